"""How long `digits predict --json` takes on 1,000 PNG files of real MNIST test digits.

    python -m benchmarks.predict_speed --model models/model.pt [--n 1000] [--size 112]   # from the repo root

The digits are written as black ink on white, scaled to --size pixels (28 keeps MNIST's own size),
into a temporary folder; the whole command is timed, Python and torch start-up included, and
once more on a single file to show that fixed cost. Reads data/raw/ or ../shared/datasets/mnist.
"""

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from digits.data.idx import parse_idx, read_mnist_pair

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared" / "datasets" / "mnist"


def mnist_test_set() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test images (N, 28, 28) uint8 and labels (N,), from data/raw or the shared .gz files."""
    if (RAW / "t10k-images-idx3-ubyte").is_file():
        return read_mnist_pair(RAW / "t10k-images-idx3-ubyte", RAW / "t10k-labels-idx1-ubyte")
    if not SHARED.is_dir():
        sys.exit(f"predict_speed: MNIST not found in {RAW} or {SHARED}")

    def read(name: str, ndim: int) -> np.ndarray:
        return parse_idx(gzip.decompress((SHARED / f"{name}.gz").read_bytes()), name, ndim)

    return read("t10k-images-idx3-ubyte", 3), read("t10k-labels-idx1-ubyte", 1)


def digits_command() -> list[str]:
    """The installed `digits` console script, or the same entry point through this Python."""
    script = shutil.which("digits") or shutil.which("digits", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "digits.cli"]


def timed(args: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
    return time.perf_counter() - start, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="model file to classify with")
    parser.add_argument("--n", type=int, default=1000, help="number of PNG files (default: %(default)s)")
    parser.add_argument("--size", type=int, default=112, help="side of each PNG in pixels (default: %(default)s)")
    args = parser.parse_args()
    images, labels = mnist_test_set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, (digit, label) in enumerate(zip(images[: args.n], labels[: args.n], strict=True)):
            picture = Image.fromarray(255 - digit)  # black ink on white, as people write
            picture.resize((args.size, args.size), Image.Resampling.BICUBIC).save(folder / f"{i:05d}_{label}.png")
        files = sorted(folder.iterdir())
        command = [*digits_command(), "predict", "--json", "--model", str(args.model.resolve())]
        one_seconds, _ = timed([*command, str(files[0])])
        seconds, run = timed([*command, str(folder)])
    if run.returncode != 0:
        sys.exit(f"predict_speed: digits predict failed ({run.returncode}):\n{run.stderr.strip()}")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    correct = sum(r["digit"] == int(Path(r["path"]).stem.split("_")[1]) for r in records)
    print(
        f"{len(records)} PNG files ({args.size}x{args.size}) in {seconds:.2f} s: {len(records) / seconds:.0f} files/s"
    )
    print(f"of which start-up (the same command on 1 file): {one_seconds:.2f} s")
    print(f"accuracy on them: {correct / len(records):.4f}")


if __name__ == "__main__":
    main()
