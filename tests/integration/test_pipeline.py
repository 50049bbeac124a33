"""The real `dvc repro` on small synthetic MNIST served from a loopback HTTP mirror."""

import json

import pytest

from digits.evaluation.ood.nondigits import KINDS
from digits.evaluation.ood.variants import VARIANTS
from digits.model.checkpoint import load_checkpoint
from digits.model.confidence import DECISIONS
from tests.integration.conftest import PAYLOADS
from tests.integration.pipeline_repo import PipelineRepo, Run
from tests.support import MNIST_FILES, MirrorServer

OUTPUTS = [
    *(f"data/raw/{name}" for name in MNIST_FILES),
    "data/processed/train.pt",
    "data/processed/val.pt",
    "data/processed/test.pt",
    "data/ood_inputs.pt",
    "models/mnist.pt",
    "models/model.pt",
    "metrics/test.json",
    "metrics/plots/per_class.json",
    "metrics/train/metrics.json",
    "metrics/train/plots/metrics/train/loss.tsv",
    "metrics/train/plots/metrics/train/smoothed_loss.tsv",
    "metrics/train/plots/metrics/val/acc.tsv",
    "metrics/ood.json",
    "metrics/plots/uci_per_class.json",
    "metrics/plots/robustness.json",
    "metrics/plots/variants.png",
    "metrics/selective.json",
    "metrics/plots/risk_coverage.json",
    "metrics/plots/uci_risk_coverage.json",
    "metrics/plots/not_a_digit.json",
    "metrics/plots/non_digits.png",
]


def test_a_fresh_clone_reproduces_with_dvc_repro_alone(baseline: tuple[PipelineRepo, Run]) -> None:
    """`git clone` then `dvc repro` as the first command: every stage runs and writes every output, with no
    folder to make first and no warning about the empty collection, and DVC then calls it all up to date."""
    repo, first_run = baseline
    assert first_run.stages_run == {
        "collected",
        "download",
        "preprocess",
        "train",
        "adapt",
        "evaluate",
        "ood_inputs",
        "ood",
    }
    assert "WARNING" not in first_run.output and "ERROR" not in first_run.output, first_run.output
    assert (repo.path / "data/collected").is_dir()  # the empty collection data/collected.dvc records
    assert repo.run("dvc", "status", "--json", check=True).output.strip() == "{}"
    missing = [out for out in OUTPUTS if not (repo.path / out).is_file()]
    assert missing == []
    for name in MNIST_FILES:
        assert (repo.path / "data/raw" / name).read_bytes() == PAYLOADS[name]
    metrics = json.loads((repo.path / "metrics/test.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert len(json.loads((repo.path / "metrics/plots/confusion.json").read_text())) == 200  # every test image


def test_ood_stage_reports_uci_digits_and_every_variant(baseline: tuple[PipelineRepo, Run]) -> None:
    repo, _ = baseline
    ood = json.loads((repo.path / "metrics/ood.json").read_text())
    assert ood["uci"]["n_images"] == 1797 and 0.0 <= ood["uci"]["accuracy"] <= 1.0  # scikit-learn's digits, all
    assert list(ood["uci"]["other_upscalings"]) == ["bilinear_4x"]
    recall = json.loads((repo.path / "metrics/plots/uci_per_class.json").read_text())
    assert [row["digit"] for row in recall] == list(range(10)) and all(0 <= row["recall"] <= 1 for row in recall)
    rows = json.loads((repo.path / "metrics/plots/robustness.json").read_text())
    variants = {row["variant"]: row["accuracy"] for row in rows}
    assert list(variants) == list(VARIANTS)
    worst = min(variants.values())
    assert ood["robustness"] == {
        "mean_accuracy": pytest.approx(sum(variants.values()) / len(variants), abs=1e-6),
        "worst_accuracy": worst,
        "worst_variant": next(name for name, score in variants.items() if score == worst),
    }
    shown = json.loads(repo.run("dvc", "metrics", "show", "--json", check=True).output)
    assert "metrics/ood.json" in json.dumps(shown)  # a top-level metric: `dvc metrics diff` and `exp show` see it


def test_the_stages_measure_calibration_selective_answers_and_non_digits(baseline: tuple[PipelineRepo, Run]) -> None:
    """train stores a temperature and thresholds; evaluate reports ECE, Brier, risk-coverage and the decisions;
    ood the UCI digits' ECE and error at 90% coverage, MNIST test as pictures and every kind of non-digit."""
    repo, _ = baseline
    calibration = load_checkpoint(repo.path / "models/model.pt").calibration
    assert calibration.temperature > 0 and calibration.unsure_below > 0  # a margin, in nats
    assert calibration.tta_degrees == repo.params()["train"]["tta_degrees"]  # the views it answers with
    test = json.loads((repo.path / "metrics/test.json").read_text())
    assert 0 <= test["ece"] <= 1 and 0 <= test["brier"] <= 2
    selective = json.loads((repo.path / "metrics/selective.json").read_text())["test"]
    assert set(selective["aurc_by_score"]) == {"msp", "max_logit", "margin", "energy"}
    assert 0 <= selective["errors_at_99pct"] <= selective["errors_at_99_5pct"] <= 200
    decisions = selective["decisions"]
    assert sum(decisions[name] for name in DECISIONS) == pytest.approx(1, abs=1e-5)
    ood = json.loads((repo.path / "metrics/ood.json").read_text())
    assert 0 <= ood["uci"]["ece"] <= 1 and 0 <= ood["uci"]["error_at_90pct_coverage"] <= 1
    assert 0 <= ood["mnist_as_pictures"]["accuracy"] <= 1
    not_a_digit = ood["not_a_digit"]
    assert all(0 <= not_a_digit[kind]["auroc"] <= 1 for kind in KINDS)
    assert not_a_digit["worst_auroc"] == min(not_a_digit[k]["auroc"] for k in KINDS if k != "letter_twins")
    rows = json.loads((repo.path / "metrics/plots/not_a_digit.json").read_text())
    assert [row["kind"] for row in rows] == list(KINDS)
    for curve in ("risk_coverage", "uci_risk_coverage"):
        points = json.loads((repo.path / f"metrics/plots/{curve}.json").read_text())
        assert points[-1]["coverage"] == 1.0 and all(0 <= p["risk"] <= 1 for p in points)


def test_metrics_files_hold_the_headline_and_the_plot_files_the_rest(baseline: tuple[PipelineRepo, Run]) -> None:
    """`dvc metrics show` and `dvc exp show` list only the headline; per class and per variant are plot files."""
    repo, _ = baseline
    metrics = json.loads((repo.path / "metrics/test.json").read_text())
    assert list(metrics) == ["accuracy", "loss", "macro", "ece", "brier", "collected_holdout"]
    per_class = json.loads((repo.path / "metrics/plots/per_class.json").read_text())
    assert [row["digit"] for row in per_class] == list(range(10))
    assert metrics["macro"] == pytest.approx({"f1": sum(row["f1"] for row in per_class) / 10}, abs=1e-6)
    shown = json.loads(repo.run("dvc", "metrics", "show", "--json", check=True).output)
    assert not {"metrics/plots/per_class.json", "metrics/plots/uci_per_class.json"} & set(json.dumps(shown).split('"'))


def test_ood_key_reruns_only_ood(repo: PipelineRepo) -> None:
    """ood.batch_size: ood reads it, ood_inputs does not. (ood.seed, which both read, would rerun ood_inputs too,
    13 s of CPU here; that each stage depends on exactly the keys it reads is tests/unit/test_dvc_yaml.py's.)"""
    repo.edit_params({"ood": {"batch_size": 50}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == {"ood"}


def test_second_repro_runs_nothing(repo: PipelineRepo) -> None:
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == set()
    assert "Data and pipelines are up to date" in run.output


def test_preprocess_key_reruns_all_but_download(repo: PipelineRepo) -> None:
    repo.edit_params({"preprocess": {"val_size": 120}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == {"preprocess", "train", "adapt", "evaluate", "ood"}


def test_new_mirror_with_same_data_reruns_only_download(repo: PipelineRepo, server: MirrorServer) -> None:
    other = server.serve_mirror("/recompressed", PAYLOADS, level=1)  # other .gz bytes, same payload
    repo.edit_params({"download": {"mirrors": [other]}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == {"download"}


def test_train_key_reruns_train_evaluate_and_ood_and_metrics_diff_reports_it(repo: PipelineRepo) -> None:
    old_lr = repo.params()["train"]["lr"]
    repo.edit_params({"train": {"lr": old_lr * 4}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == {"train", "adapt", "evaluate", "ood"}
    diff = json.loads(repo.run("dvc", "metrics", "diff", "--json", check=True).output)
    changed = diff["metrics/test.json"]
    assert "loss" in changed and changed["loss"]["old"] != changed["loss"]["new"]
    assert "uci.accuracy" in diff["metrics/ood.json"] or "robustness.mean_accuracy" in diff["metrics/ood.json"]
    params = json.loads(repo.run("dvc", "params", "diff", "--json", check=True).output)
    assert list(params["params.yaml"]) == ["train.lr"]
    assert params["params.yaml"]["train.lr"]["old"] == old_lr and params["params.yaml"]["train.lr"]["new"] == old_lr * 4


def test_corrupt_mirror_falls_through_to_a_good_one(repo: PipelineRepo, server: MirrorServer) -> None:
    corrupt = {name: data[:-1] + bytes([data[-1] ^ 0xFF]) for name, data in PAYLOADS.items()}
    bad_url = server.serve_mirror("/corrupt", corrupt)
    repo.edit_params({"download": {"mirrors": [bad_url, f"{server.url}/mnist/"]}})
    run = repo.repro()
    assert run.returncode == 0, run.output
    assert run.stages_run == {"download"}
    assert (repo.path / "data/raw/train-images-idx3-ubyte").read_bytes() == PAYLOADS["train-images-idx3-ubyte"]


def test_no_good_mirror_fails_with_checksum_message_and_no_file(repo: PipelineRepo, server: MirrorServer) -> None:
    corrupt = {name: data[:-1] + bytes([data[-1] ^ 0xFF]) for name, data in PAYLOADS.items()}
    repo.edit_params({"download": {"mirrors": [server.serve_mirror("/corrupt2", corrupt)]}})
    run = repo.repro()
    assert run.returncode != 0
    assert "download: error: train-images-idx3-ubyte.gz: no source delivered a verified file:" in run.output
    assert "checksum mismatch" in run.output
    assert "Traceback" not in run.output
    raw = repo.path / "data/raw"
    assert not raw.exists() or list(raw.iterdir()) == []
    assert [p.name for p in (repo.path / "data").iterdir() if p.name.startswith(".raw")] == []


def test_bad_params_fail_before_any_work(repo: PipelineRepo) -> None:
    repo.edit_params({"train": {"epochs": 0}})
    before = (repo.path / "models/mnist.pt").read_bytes()
    run = repo.repro()
    assert run.returncode != 0
    assert "train: error: " in run.output and "train.epochs: must be >= 1, got 0" in run.output
    assert "Traceback" not in run.output
    assert run.stages_run == {"train"}
    lock = (repo.path / "dvc.lock").read_text()
    assert "epochs: 2" in lock
    assert not (repo.path / "models/mnist.pt").exists() or (repo.path / "models/mnist.pt").read_bytes() == before
