"""DVC stage `evaluate`: score the trained model on the held-out test split, write metrics/.

The checkpoint's model gives calibrated logits (digits/model/confidence.py), so the loss, ECE and
Brier score judge the probabilities every consumer reports.
"""

from digits.core.atomic import write_json
from digits.core.errors import run_main
from digits.core.params import EvaluateParams, load_params
from digits.core.paths import project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.data.splits import Split, load_split
from digits.evaluation.calibration import calibration_metrics, reliability_rows
from digits.evaluation.figures import error_grid, save_png
from digits.evaluation.loading import load_model_and_test
from digits.evaluation.metrics import classification_metrics, per_class_rows
from digits.evaluation.reports import confident_errors, confusion_rows, summary_line, to_pixels
from digits.evaluation.selective import curve_rows, selective_report
from digits.model.checkpoint import Checkpoint
from digits.model.confidence import sureness
from digits.model.networks import predict_logits


def holdout_metrics(checkpoint: Checkpoint, holdout: Split, params: EvaluateParams) -> dict[str, float | int]:
    """Accuracy on the collected pictures held out of training (none yet: only the count, 0)."""
    if not len(holdout):
        return {"n_images": 0}
    device = resolve_device(params.device, "evaluate.device")
    logits = predict_logits(checkpoint.model.to(device), holdout.images, params.batch_size, device)
    return {"accuracy": float((logits.argmax(1) == holdout.labels).float().mean()), "n_images": len(holdout)}


def main() -> None:
    paths = project_paths(__file__)
    params: EvaluateParams = load_params(paths.params, "evaluate")
    device = resolve_device(params.device, "evaluate.device")
    configure_torch("auto")
    checkpoint, test = load_model_and_test(paths)
    holdout = load_split(paths.collected_split("holdout"), allow_empty=True)  # collected pictures never trained on
    logits = predict_logits(checkpoint.model.to(device), test.images, params.batch_size, device)  # (N, 10)
    probabilities = logits.softmax(1)
    calibration = calibration_metrics(logits, test.labels, params.calibration_bins)  # ece, nll, brier
    metrics = {**classification_metrics(logits, test.labels), "ece": calibration["ece"], "brier": calibration["brier"]}
    worst = confident_errors(probabilities, test.labels, params.error_examples)
    figure = error_grid(
        to_pixels(test.images[worst], test.norm),
        test.labels[worst].tolist(),
        probabilities[worst].argmax(1).tolist(),
        probabilities[worst].max(1).values.tolist(),
    )
    metrics["collected_holdout"] = holdout_metrics(checkpoint, holdout, params)
    selective = selective_report(logits, test.labels, checkpoint.calibration)
    correct = logits.argmax(1) == test.labels
    write_json(paths.per_class, per_class_rows(logits, test.labels))
    write_json(paths.confusion, confusion_rows(logits.argmax(1), test.labels))
    write_json(paths.calibration, reliability_rows(logits, test.labels, params.calibration_bins))
    write_json(paths.risk_coverage, curve_rows(sureness(logits), correct, "MNIST test"))
    save_png(figure, paths.errors_image)
    write_json(paths.selective_metrics, {"test": selective})
    write_json(paths.test_metrics, metrics)  # last: the file `dvc metrics` reads says the stage finished
    if len(holdout):
        held = metrics["collected_holdout"]
        print(f"evaluate: collected holdout accuracy {held['accuracy']:.2%} on {held['n_images']:,} pictures")
    summary = summary_line(metrics, int((~correct).sum()), len(test.labels))
    print(f"evaluate: {summary} -> {paths.test_metrics.relative_to(paths.root)}")
    print(
        f"evaluate: errors left among the surest 99% / 99.5%: {selective['errors_at_99pct']} / "
        f"{selective['errors_at_99_5pct']}; AURC {selective['aurc']:.6f}; decisions {selective['decisions']}"
    )


if __name__ == "__main__":
    run_main(main, "evaluate")
