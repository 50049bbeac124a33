"""The three decisions as users meet them, in real processes, on tests/decisive_model.py's pictures:
`digits predict` (the command in a subprocess) prints each and --json says it, with exit status 0;
`digits serve --workers 2` returns each from POST /predict, and /metrics adds up digits_answers_total
over the workers (prometheus-client's multiprocess mode). The page: test_serve_browser.py."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.decisive_model import EXPECTED_TEXT, decision_pictures, decisive_model, write_pictures
from tests.integration.test_serve_process import request
from tests.integration.test_serve_workers import THREADS, metric, scrape
from tests.serve_process import running_server

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 6  # of the three pictures, sent concurrently


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decisive_model(tmp_path_factory.mktemp("model") / "model.pt")


def digits_predict(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "digits.cli", "predict", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_digits_predict_prints_each_decision(model_file: Path, tmp_path: Path) -> None:
    paths = write_pictures(tmp_path)
    text = digits_predict("--model", str(model_file), *map(str, paths.values()))
    assert (text.returncode, text.stderr) == (0, "")
    assert text.stdout.splitlines() == [f"{path}: {EXPECTED_TEXT[decision]}" for decision, path in paths.items()]
    lines = digits_predict("--json", "--model", str(model_file), str(tmp_path))  # the folder: in name order
    assert (lines.returncode, lines.stderr) == (0, "")
    decisions = {Path(r["path"]).name: r["decision"] for r in map(json.loads, lines.stdout.splitlines())}
    assert decisions == {"blob.png": "unsure", "letter.png": "not_a_digit", "scan.png": "digit"}


def test_a_running_server_returns_each_decision_and_counts_them_over_its_workers(
    model_file: Path, tmp_path: Path
) -> None:
    sends = [(decision, picture) for decision, picture in decision_pictures().items()] * ROUNDS
    with running_server(model_file, tmp_path / "server.log", ["--workers", "2"]) as server:
        server.wait_for_workers(2)
        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(lambda sent: request(server, "POST", "/predict", sent[1], "image/png"), sends))
        assert [(status, answer["decision"]) for status, answer in answers] == [(200, d) for d, _ in sends]
        text = scrape(server)
    for decision in ("digit", "unsure", "not_a_digit"):
        assert metric(text, "digits_answers_total", f'decision="{decision}"') == ROUNDS, decision
