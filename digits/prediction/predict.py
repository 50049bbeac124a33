"""`digits predict`: classify image files with a trained model, a batch at a time.

Folders are read one level deep (not recursively), keeping the files Pillow knows by extension;
files named on the command line are tried whatever their extension. Results come out in input
order; a file that cannot be classified gets one error line on stderr and the rest go on.
"""

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from digits.data.imageprep import prepare_image
from digits.data.inputs import Failure, collect_inputs
from digits.data.pictures import BadImageError
from digits.model.checkpoint import Checkpoint, load_checkpoint
from digits.model.networks import predict_logits

BATCH_SIZE = 256  # images decoded, then classified, together
CPU = torch.device("cpu")


@dataclass(frozen=True)
class Prediction:
    path: Path
    top: list[tuple[int, float]]  # (digit, probability), most likely first


def probabilities(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(n, 1, 28, 28) model inputs -> (n, 10) probabilities; `digits predict` and `digits serve` both use it."""
    return predict_logits(model, images, BATCH_SIZE, CPU).softmax(1)


def classify_batch(checkpoint: Checkpoint, batch: list[Path | Failure], top_k: int) -> list[Prediction | Failure]:
    """Decode and convert each file, then run the readable ones through the model at once."""
    failures: dict[int, Failure] = {}  # by position in the batch
    images: list[torch.Tensor] = []  # (1, 28, 28) each, for the other positions in order
    for i, item in enumerate(batch):
        try:
            if isinstance(item, Failure):
                failures[i] = item
            else:
                images.append(prepare_image(item, checkpoint.norm))
        except BadImageError as err:
            failures[i] = Failure(item, str(err))
    ranked: Iterator[tuple[list[float], list[int]]] = iter(())
    if images:
        probs, digits = probabilities(checkpoint.model, torch.stack(images)).topk(top_k, dim=1)  # (n, top_k) each
        ranked = zip(probs.tolist(), digits.tolist(), strict=True)
    results: list[Prediction | Failure] = []
    for i, item in enumerate(batch):
        if isinstance(item, Path) and i not in failures:
            probs_i, digits_i = next(ranked)
            results.append(Prediction(item, list(zip(digits_i, probs_i, strict=True))))
        else:
            results.append(failures[i])
    return results


def predict_all(checkpoint: Checkpoint, inputs: list[Path | Failure], top_k: int) -> Iterator[Prediction | Failure]:
    """Yield one result per input, in order; a progress bar on stderr when there is more than a batch."""
    quiet = True if len(inputs) <= BATCH_SIZE else None  # None: shown only on a terminal
    with tqdm(total=len(inputs), unit="image", disable=quiet, leave=False, file=sys.stderr) as bar:
        for start in range(0, len(inputs), BATCH_SIZE):
            batch = inputs[start : start + BATCH_SIZE]
            yield from classify_batch(checkpoint, batch, top_k)
            bar.update(len(batch))


def as_text(result: Prediction) -> str:
    """`path: 7 (99.8%)`, followed by the runners-up when top_k > 1."""
    return f"{result.path}: " + "  ".join(f"{digit} ({prob:.1%})" for digit, prob in result.top)


def as_json(result: Prediction | Failure) -> str:
    """One JSON object per image (JSON Lines), errors included, so the output maps 1:1 to the inputs."""
    if isinstance(result, Failure):
        return json.dumps({"path": str(result.path), "error": result.reason})
    top = [{"digit": digit, "probability": round(prob, 6)} for digit, prob in result.top]
    return json.dumps(
        {"path": str(result.path), "digit": top[0]["digit"], "probability": top[0]["probability"], "top": top}
    )


def run_predict(paths: Sequence[Path], model: Path, top_k: int = 1, json_lines: bool = False) -> int:
    """Print a prediction per image and an error line per failed file; return how many failed."""
    checkpoint = load_checkpoint(model)  # a missing or foreign model is a PipelineError: run `dvc repro`
    failures = 0
    for result in predict_all(checkpoint, collect_inputs(paths), top_k):
        if isinstance(result, Failure):
            failures += 1
            tqdm.write(f"digits: error: {result.path}: {result.reason}", file=sys.stderr)
        if json_lines:
            tqdm.write(as_json(result), file=sys.stdout)
        elif isinstance(result, Prediction):
            tqdm.write(as_text(result), file=sys.stdout)
    return failures
