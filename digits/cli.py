"""The `digits` command: look inside a trained model (`inspect`) and classify images (`predict`)."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from digits.checkpoint import load_checkpoint
from digits.errors import EXIT_USER_ERROR, run_main
from digits.idx import NUM_CLASSES
from digits.models import count_parameters
from digits.predict import run_predict

DEFAULT_MODEL = Path("models/model.pt")


def inspect_model(args: argparse.Namespace) -> None:
    checkpoint = load_checkpoint(args.model)
    summary = {
        "model": str(args.model),
        "architecture": checkpoint.architecture,
        "model_args": checkpoint.model_args,
        "parameters": count_parameters(checkpoint.model),
        "normalization": {"mean": checkpoint.norm.mean, "std": checkpoint.norm.std},
        "best_epoch": checkpoint.best_epoch,
        "train_params": checkpoint.train_params,
    }
    print(json.dumps(summary, indent=2, default=list))


def predict_images(args: argparse.Namespace) -> None:
    if run_predict(args.paths, args.model, args.top_k, args.json):  # some files failed: said on stderr
        sys.exit(EXIT_USER_ERROR)


def top_k(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= NUM_CLASSES:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {NUM_CLASSES}, got {text!r}")
    return int(text)


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
        "--top-k", type=top_k, default=1, metavar="N", help="show the N most likely digits (1-10, default 1)"
    )
    predict.add_argument("--json", action="store_true", help="one JSON object per image and line (JSON Lines)")
    predict.set_defaults(handler=predict_images)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run_main(lambda: args.handler(args), "digits")


if __name__ == "__main__":
    main()
