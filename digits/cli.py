"""The `digits` command: look inside a trained model (`inspect`) and classify images (`predict`)."""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from digits.checkpoint import load_checkpoint
from digits.errors import run_main
from digits.models import count_parameters

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digits", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="print what a model file holds (architecture, params, normalization)")
    inspect.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model file (default: %(default)s)")
    inspect.set_defaults(handler=inspect_model)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run_main(lambda: args.handler(args), "digits")


if __name__ == "__main__":
    main()
