"""What the browser tests draw on the page, rendered here as the page sends it, and a model whose thresholds
are set from its own scores on those drawings, so that each decision the tests read on the page is sure to
be the one the model gives.

Strokes are lists of points in 0..1 of the canvas. The page (digits/serve/page/app.js) draws them with a
20 px round pen on its 280 px canvas and sends the canvas scaled to 112 px; render() does the same with
Pillow, whose anti-aliasing differs a little from Chromium's: the thresholds sit halfway between scores far
apart, so a little does not matter.
"""

import dataclasses
import io
import math
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from digits.data.imageprep import prepare_image
from digits.model.checkpoint import load_checkpoint
from digits.model.confidence import digitness, sureness

ROOT = Path(__file__).resolve().parents[1]
Strokes = list[list[tuple[float, float]]]
CANVAS, PEN, SENT = 280, 20, 112  # px: the page's canvas, its pen, the side of the PNG it sends
EXAMPLES = ROOT / "examples"


def one() -> Strokes:
    return [[(0.55, 0.15), (0.5, 0.5), (0.45, 0.85)]]


def zero() -> Strokes:
    turn = [t / 24 * 2 * math.pi for t in range(25)]
    return [[(0.5 + 0.24 * math.sin(a), 0.5 - 0.34 * math.cos(a)) for a in turn]]


def bar() -> Strokes:
    """A click, then a stroke down from it: a 1."""
    return [[(0.5, 0.5), (0.5, 0.85)]]


def scribble() -> Strokes:
    """Seven loops of a pen running across, as when scribbling a word out: not a digit."""
    ts = [i / 120 for i in range(121)]
    return [[(0.15 + 0.7 * t + 0.1 * math.cos(14 * math.pi * t), 0.5 + 0.28 * math.sin(14 * math.pi * t)) for t in ts]]


def render(strokes: Strokes) -> bytes:
    """The PNG the page sends for these strokes (black on white, SENT px square)."""
    page = Image.new("L", (CANVAS, CANVAS), 255)
    draw = ImageDraw.Draw(page)
    for stroke in strokes:
        points = [(x * CANVAS, y * CANVAS) for x, y in stroke]
        draw.line(points, fill=0, width=PEN, joint="curve")
        for x, y in (points[0], points[-1]):  # round caps
            draw.ellipse([x - PEN / 2, y - PEN / 2, x + PEN / 2, y + PEN / 2], fill=0)
    buffer = io.BytesIO()
    page.resize((SENT, SENT), Image.Resampling.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()


def logits(model_file: Path, pictures: list[bytes]) -> torch.Tensor:
    """(n, 10) calibrated logits of the model on the pictures, as `digits serve` reads them."""
    checkpoint = load_checkpoint(model_file)
    with torch.no_grad():
        return checkpoint.model(torch.stack([prepare_image(p, checkpoint.norm) for p in pictures]))


def scores(model_file: Path, pictures: list[bytes]) -> tuple[list[float], list[float]]:
    """(digitness, sureness) of each picture under the model's own calibration."""
    answers = logits(model_file, pictures)
    return digitness(answers).tolist(), sureness(answers).tolist()


def likeliest_two(model_file: Path, picture: bytes) -> list[int]:
    """The picture's two likeliest digits, most likely first: what an unsure answer names."""
    return logits(model_file, [picture])[0].topk(2).indices.tolist()


def page_model(trained: Path, out: Path) -> Path:
    """`trained`'s checkpoint with its thresholds moved halfway between its scores on what the tests show the
    page: the drawings and example files it must read as digits, examples/five-or-six.png (unsure) and the
    scribble (not a digit). Fails, saying the scores, when the model does not tell them apart by a margin."""
    files = [(EXAMPLES / name).read_bytes() for name in ("scan.png", "photo.jpg")]
    digit_ness, sure_ness = scores(trained, [render(one()), render(zero()), render(bar()), *files])
    (unsure_ness,), (unsure_sure,) = scores(trained, [(EXAMPLES / "five-or-six.png").read_bytes()])
    (scribble_ness,), _ = scores(trained, [render(scribble())])
    lowest = min(*digit_ness, unsure_ness)  # of the pictures that are digits, sure or not
    assert lowest - scribble_ness > 1, f"digitness: scribble {scribble_ness:.2f}, digits {digit_ness}, {unsure_ness}"
    assert min(sure_ness) - unsure_sure > 0.1, f"sureness: five-or-six {unsure_sure:.3f}, digits {sure_ness}"
    calibration = dataclasses.replace(
        load_checkpoint(trained).calibration,
        not_a_digit_below=(scribble_ness + lowest) / 2,
        unsure_below=(unsure_sure + min(sure_ness)) / 2,
    )
    record = torch.load(trained, weights_only=True)
    torch.save({**record, "calibration": dataclasses.asdict(calibration)}, out)
    return out
