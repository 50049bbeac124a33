"""The `digits` command: look inside a trained model (`inspect`), classify images (`predict`), serve it (`serve`),
import corrected digits (`collect`)."""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from digits.core.errors import EXIT_USER_ERROR, run_main
from digits.core.paths import COLLECTED_DIR
from digits.data.idx import NUM_CLASSES
from digits.model.checkpoint import load_checkpoint
from digits.prediction.model_info import describe
from digits.prediction.predict import run_predict
from digits.serve.settings import COLLECT_MAX, MAX_BATCH, MAX_DRAIN_DELAY, MAX_PIXELS, Settings

DEFAULT_MODEL = Path("models/model.pt")


def inspect_model(args: argparse.Namespace) -> None:
    print(json.dumps(describe(load_checkpoint(args.model), args.model), indent=2, default=list))


def predict_images(args: argparse.Namespace) -> None:
    if run_predict(args.paths, args.model, args.top_k, args.json, args.unsure_to):  # some failed: said on stderr
        sys.exit(EXIT_USER_ERROR)


def serve_model(args: argparse.Namespace) -> None:
    from digits.serve.server import serve  # FastAPI and uvicorn load only for this command

    settings = Settings(
        max_batch=args.max_batch, max_pixels=args.max_pixels, collect_dir=args.collect, collect_max=args.collect_max
    )
    serve(args.model, args.host, args.port, settings, args.workers, args.drain_delay)


def collect_images(args: argparse.Namespace) -> None:
    from digits.data.collect import run_collect
    from digits.data.collect_sorted import run_collect_sorted

    if args.sorted:
        failed = run_collect_sorted(args.paths, args.into)
    else:
        failed = run_collect(args.paths, args.label, args.into)
    if failed:  # some files failed: said on stderr
        sys.exit(EXIT_USER_ERROR)


def digit(text: str) -> int:
    if text not in tuple("0123456789"):
        raise argparse.ArgumentTypeError(f"must be one digit 0-9, got {text!r}")
    return int(text)


def top_k(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= NUM_CLASSES:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {NUM_CLASSES}, got {text!r}")
    return int(text)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def worker_count(text: str) -> int:
    """--workers: a number, or `auto`: one per core this process may run on (1 on Windows: no gunicorn)."""
    if text == "auto":
        if sys.platform == "win32":
            return 1
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return positive(text)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_DRAIN_DELAY:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to {MAX_DRAIN_DELAY}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digits", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="print what a model file holds (architecture, params, normalization)")
    inspect.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file (default: %(default)s)")
    inspect.set_defaults(handler=inspect_model)
    predict = commands.add_parser("predict", help="classify image files (PNG, JPEG, ...) or folders of them")
    predict.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="image files, or folders of them (not recursive)"
    )
    predict.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file (default: %(default)s)")
    predict.add_argument(
        "--top-k",
        type=top_k,
        default=1,
        metavar="N",
        help="show the N most likely digits of an answer (1-10, default 1); not a digit names none",
    )
    predict.add_argument("--json", action="store_true", help="one JSON object per image and line (JSON Lines)")
    predict.add_argument(
        "--unsure-to",
        type=Path,
        metavar="DIR",
        help="copy the pictures answered not sure or not a digit into DIR, to sort by hand into DIR/<digit>/ "
        "for `digits collect DIR --sorted` (the originals stay as they are)",
    )
    predict.set_defaults(handler=predict_images)
    add_serve_command(commands)
    add_collect_command(commands)
    return parser


def add_collect_command(commands: argparse._SubParsersAction) -> None:
    collect = commands.add_parser("collect", help="store image files of one digit as corrected digits, for training")
    collect.add_argument(
        "paths", nargs="+", type=Path, metavar="SRC", help="image files, or folders of them (with --sorted: see there)"
    )
    labels = collect.add_mutually_exclusive_group(required=True)  # where the label comes from: one of the two
    labels.add_argument("--label", type=digit, metavar="D", help="the digit they all show (0-9)")
    labels.add_argument(
        "--sorted",
        action="store_true",
        help="SRC are folders sorted by hand into SRC/0 .. SRC/9 (`digits predict --unsure-to` makes them): each "
        "picture gets the digit of its folder",
    )
    collect.add_argument(
        "--into",
        type=Path,
        default=Path(COLLECTED_DIR),
        metavar="DIR",
        help="the collection: DIR/<digit>/<sha256>.png (default: %(default)s)",
    )
    collect.set_defaults(handler=collect_images)


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="an HTTP API and a drawing page for the model (FastAPI on uvicorn)")
    serve.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file (default: %(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default: %(default)s)")
    serve.add_argument(
        "--max-batch",
        type=positive,
        default=MAX_BATCH,
        metavar="N",
        help="images of concurrent requests in one forward pass; 1 turns micro-batching off (default: %(default)s)",
    )
    serve.add_argument(
        "--max-pixels",
        type=positive,
        default=MAX_PIXELS,
        metavar="N",
        help="refuse images of more pixels, from their header (default: %(default)s)",
    )
    serve.add_argument(
        "--collect",
        type=Path,
        metavar="DIR",
        help="turn on POST /collect and the page's correction buttons: pictures go to DIR/<digit>/ (default: off)",
    )
    serve.add_argument(
        "--collect-max",
        type=positive,
        default=COLLECT_MAX,
        metavar="N",
        help="with --collect: refuse new pictures once DIR holds N (default: %(default)s)",
    )
    serve.add_argument(
        "--workers",
        type=worker_count,
        default="auto",
        metavar="N",
        help="worker processes, forked once the model is loaded (gunicorn); auto: one per core; 1: this process "
        "serves (default: %(default)s)",
    )
    serve.add_argument(
        "--drain-delay",
        type=seconds,
        default=0.0,
        metavar="S",
        help="on SIGTERM, answer /health with 503 for S seconds before closing the socket (default: %(default)s)",
    )
    serve.set_defaults(handler=serve_model)


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run_main(lambda: args.handler(args), "digits")


if __name__ == "__main__":
    main()
