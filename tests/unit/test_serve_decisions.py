"""POST /predict returns each answer's decision, the same as `digits predict`'s, and GET /metrics counts
answers by decision (digits_answers_total); on tests/decisive_model.py's pictures, in-process."""

import json
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from digits.cli import main
from digits.model.confidence import DECISIONS
from tests.decisive_model import decision_pictures, decisive_model, write_pictures
from tests.serve_support import blank_png
from tests.unit.test_serve_api import client_for


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decisive_model(tmp_path_factory.mktemp("model") / "model.pt")


def answers_so_far() -> dict[str, float]:
    """digits_answers_total by decision, in this process (one process: the default registry)."""
    decisions = ("digit", "unsure", "not_a_digit")
    return {d: REGISTRY.get_sample_value("digits_answers_total", {"decision": d}) or 0.0 for d in decisions}


def test_each_decision_is_returned_and_counted(model_file: Path) -> None:
    with client_for(model_file) as client:
        before = answers_so_far()
        for decision, picture in decision_pictures().items():
            raw = client.post("/predict", content=picture, headers={"Content-Type": "image/png"})
            form = client.post("/predict", files={"file": ("picture", picture, "application/octet-stream")})
            assert raw.status_code == form.status_code == 200 and raw.json() == form.json()
            assert raw.json()["decision"] == decision
        assert client.post("/predict", content=blank_png(), headers={"Content-Type": "image/png"}).status_code == 422
        counted = {d: n - before[d] for d, n in answers_so_far().items()}
        assert counted == {"digit": 2, "unsure": 2, "not_a_digit": 2}  # a refusal is no answer
        metrics = client.get("/metrics").text
    assert "# TYPE digits_answers_total counter" in metrics
    assert all(f'digits_answers_total{{decision="{d}"}}' in metrics for d in counted)


def test_the_api_and_digits_predict_give_the_same_answers(
    model_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_pictures(tmp_path)
    main(["predict", "--json", "--model", str(model_file), *map(str, paths.values())])
    from_cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with client_for(model_file) as client:
        for record, path in zip(from_cli, paths.values(), strict=True):
            answer = client.post("/predict", content=path.read_bytes(), headers={"Content-Type": "image/png"}).json()
            assert (answer["decision"], answer["digit"]) == (record["decision"], record["digit"])
            assert answer["probability"] == pytest.approx(record["probability"], abs=1e-6)


def test_every_decision_is_counted_from_zero_once_serving(model_file: Path) -> None:
    with client_for(model_file) as client:
        metrics = client.get("/metrics").text  # no answer yet in this app: each series is there all the same
    assert all(f'digits_answers_total{{decision="{d}"}}' in metrics for d in ("digit", "unsure", "not_a_digit"))


def test_the_api_docs_name_the_decisions(model_file: Path) -> None:
    with client_for(model_file) as client:
        schema = client.get("/openapi.json").json()["components"]["schemas"]["Prediction"]
    assert schema["properties"]["decision"]["enum"] == list(DECISIONS)  # the app's Literal is confidence's tuple
