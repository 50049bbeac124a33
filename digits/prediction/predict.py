"""`digits predict`: classify image files with a trained model, a batch at a time.

Folders are read one level deep (not recursively), keeping the files Pillow knows by extension;
files named on the command line are tried whatever their extension. Results come out in input
order; a file that cannot be classified gets one error line on stderr and the rest go on. Every
answer carries its decision (digit, unsure, not a digit: digits/model/confidence.py), from the
thresholds stored in the checkpoint; digits/prediction/answers.py says how it reads.
"""

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from tqdm import tqdm

from digits.data.imageprep import prepare_image
from digits.data.inputs import Failure, collect_inputs
from digits.data.pictures import BadImageError
from digits.model.checkpoint import Checkpoint, load_checkpoint
from digits.model.confidence import decide
from digits.model.networks import predict_logits
from digits.prediction.answers import Prediction, as_json, as_text
from digits.prediction.set_aside import REVIEWED, SortingFolder

BATCH_SIZE = 256  # images decoded, then classified, together
CPU = torch.device("cpu")


def calibrated_logits(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(n, 1, 28, 28) model inputs -> (n, 10) calibrated logits (a checkpoint's model divides by its temperature);
    `digits predict` and `digits serve` both use it."""
    return predict_logits(model, images, BATCH_SIZE, CPU)


def probabilities(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """(n, 1, 28, 28) model inputs -> (n, 10) probabilities."""
    return calibrated_logits(model, images).softmax(1)


def classify_batch(checkpoint: Checkpoint, batch: list[Path | Failure]) -> list[Prediction | Failure]:
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
    answers: Iterator[tuple[str, list[float], list[int]]] = iter(())
    if images:
        logits = calibrated_logits(checkpoint.model, torch.stack(images))  # (n, 10)
        probs, digits = logits.softmax(1).sort(dim=1, descending=True, stable=True)  # (n, 10) each
        answers = zip(decide(logits, checkpoint.calibration), probs.tolist(), digits.tolist(), strict=True)
    results: list[Prediction | Failure] = []
    for i, item in enumerate(batch):
        if isinstance(item, Path) and i not in failures:
            decision, probs_i, digits_i = next(answers)
            results.append(Prediction(item, decision, list(zip(digits_i, probs_i, strict=True))))
        else:
            results.append(failures[i])
    return results


def predict_all(checkpoint: Checkpoint, inputs: list[Path | Failure]) -> Iterator[Prediction | Failure]:
    """Yield one result per input, in order; a progress bar on stderr when there is more than a batch."""
    quiet = True if len(inputs) <= BATCH_SIZE else None  # None: shown only on a terminal
    with tqdm(total=len(inputs), unit="image", disable=quiet, leave=False, file=sys.stderr) as bar:
        for start in range(0, len(inputs), BATCH_SIZE):
            batch = inputs[start : start + BATCH_SIZE]
            yield from classify_batch(checkpoint, batch)
            bar.update(len(batch))


def run_predict(
    paths: Sequence[Path], model: Path, top_k: int = 1, json_lines: bool = False, unsure_to: Path | None = None
) -> int:
    """Print an answer per image (its decision, the `top_k` most likely digits) and an error line per failed file;
    return how many failed. Unsure and not-a-digit answers are answers, not failures; with `unsure_to`, they are
    copied there to be sorted by hand (digits/prediction/set_aside.py), and a last line on stderr says how many."""
    checkpoint = load_checkpoint(model)  # a missing or foreign model is a PipelineError: run `dvc repro`
    sorting = SortingFolder(unsure_to) if unsure_to is not None else None  # made before any output, or one line
    failures = 0
    for result in predict_all(checkpoint, collect_inputs(paths)):
        if isinstance(result, Failure):
            failures += 1
            tqdm.write(f"digits: error: {result.path}: {result.reason}", file=sys.stderr)
        if json_lines:
            tqdm.write(as_json(result, top_k), file=sys.stdout)
        elif isinstance(result, Prediction):
            tqdm.write(as_text(result, top_k), file=sys.stdout)
        if sorting is not None and isinstance(result, Prediction) and result.decision in REVIEWED:
            try:
                sorting.set_aside(result.path)
            except OSError as err:  # the file went away, a full disk: this picture fails, the others go on
                failures += 1
                tqdm.write(f"digits: error: {result.path}: cannot set aside: {err.strerror or err}", file=sys.stderr)
    if sorting is not None:  # stderr, so stdout stays one answer per image (and --json valid JSON Lines)
        tqdm.write(sorting.summary(), file=sys.stderr)
    return failures
