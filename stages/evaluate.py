"""DVC stage `evaluate`: score the trained model on the held-out test split, write metrics/."""

import json

from digits.atomic import write_text
from digits.checkpoint import load_checkpoint
from digits.data import load_split
from digits.errors import PipelineError, run_main
from digits.evaluation import classification_metrics
from digits.models import predict_logits
from digits.params import EvaluateParams, load_params
from digits.paths import project_paths
from digits.runtime import configure_torch, resolve_device


def main() -> None:
    paths = project_paths(__file__)
    params: EvaluateParams = load_params(paths.params, "evaluate")
    device = resolve_device(params.device, "evaluate.device")
    configure_torch("auto")
    checkpoint = load_checkpoint(paths.model)
    test = load_split(paths.split("test"))
    if test.norm != checkpoint.norm:
        raise PipelineError(
            f"{paths.model}: trained on inputs normalized with {checkpoint.norm}, but "
            f"{paths.split('test')} uses {test.norm}; run `dvc repro` to bring them in line"
        )
    logits = predict_logits(checkpoint.model.to(device), test.images, params.batch_size, device)
    metrics = classification_metrics(logits, test.labels)
    write_text(paths.test_metrics, json.dumps(metrics, indent=2) + "\n")
    print(
        f"evaluate: test accuracy {metrics['accuracy']:.4f}, loss {metrics['loss']:.4f} on {metrics['n_images']} images"
    )


if __name__ == "__main__":
    run_main(main, "evaluate")
