"""DVC stage `evaluate`: score the trained model on the held-out test split, write metrics/."""

from digits.core.atomic import write_json
from digits.core.errors import run_main
from digits.core.params import EvaluateParams, load_params
from digits.core.paths import project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.data.splits import Split, load_split
from digits.evaluation.figures import error_grid, save_png
from digits.evaluation.loading import load_model_and_test
from digits.evaluation.metrics import classification_metrics, per_class_rows
from digits.evaluation.reports import calibration, confident_errors, confusion_rows, summary_line, to_pixels
from digits.model.checkpoint import Checkpoint
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
    bins, ece = calibration(probabilities, test.labels, params.calibration_bins)
    metrics = {**classification_metrics(logits, test.labels), "ece": ece}
    worst = confident_errors(probabilities, test.labels, params.error_examples)
    figure = error_grid(
        to_pixels(test.images[worst], test.norm),
        test.labels[worst].tolist(),
        probabilities[worst].argmax(1).tolist(),
        probabilities[worst].max(1).values.tolist(),
    )
    metrics["collected_holdout"] = holdout_metrics(checkpoint, holdout, params)
    write_json(paths.per_class, per_class_rows(logits, test.labels))
    write_json(paths.confusion, confusion_rows(logits.argmax(1), test.labels))
    write_json(paths.calibration, bins)
    save_png(figure, paths.errors_image)
    write_json(paths.test_metrics, metrics)  # last: the file `dvc metrics` reads says the stage finished
    if len(holdout):
        held = metrics["collected_holdout"]
        print(f"evaluate: collected holdout accuracy {held['accuracy']:.2%} on {held['n_images']:,} pictures")
    errors = int((logits.argmax(1) != test.labels).sum())
    print(f"evaluate: {summary_line(metrics, errors)} -> {paths.test_metrics.relative_to(paths.root)}")


if __name__ == "__main__":
    run_main(main, "evaluate")
