"""The new populations benchmarks/adapt.py teaches the model, written as picture files: a pool that
`digits collect` takes corrections from, and a measured part it never collects from.

Layout under a population's folder: pool/<digit>/<n>.png (the first k by name are the first k corrections)
and measured/<n>_<digit>.png, flat, since `digits predict` reads a folder one level deep.
"""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digits.evaluation.ood.uci import UPSCALINGS, as_picture, uci_digits

ROOT = Path(__file__).resolve().parents[1]
NEW_WRITER = ROOT / "scripts" / "new_writer.py"
DIGITS = range(10)
UCI_UPSCALING = "bicubic_8x"  # the ood stage's reported figure: 8x8 -> 64x64 pictures


@dataclass(frozen=True)
class Population:
    name: str
    pool: Path  # pool/<digit>/<n>.png
    measured: Path  # <n>_<digit>.png

    def pool_files(self, digit: int, k: int) -> list[Path]:
        """The first `k` pictures of `digit` in the pool, by name: k + 5 extends k's, as corrections add up."""
        return sorted((self.pool / str(digit)).glob("*.png"))[:k]

    def per_class(self) -> int:
        """Pictures of the scarcest digit in the pool: the largest k every digit can give."""
        return min(len(list((self.pool / str(digit)).glob("*.png"))) for digit in DIGITS)


def label_of(path: Path) -> int:
    """The digit a measured picture shows, from its name <n>_<digit>.png."""
    return int(Path(path).stem.rsplit("_", 1)[1])


def split_by_index(n: int) -> tuple[range, range]:
    """(pool, measured) indices: the first half and the rest (the measured part gets the odd one)."""
    return range(n // 2), range(n // 2, n)


def write_uci(folder: Path, images: np.ndarray, labels: np.ndarray) -> Population:
    """(N, 8, 8) ink 0..16 and (N,) labels -> pictures as the ood stage makes them (uci.as_picture, bicubic 8x)."""
    population = Population("uci", folder / "pool", folder / "measured")
    factor, resample = UPSCALINGS[UCI_UPSCALING]
    pool, _ = split_by_index(len(labels))  # the rest is measured
    for digit in DIGITS:
        (population.pool / str(digit)).mkdir(parents=True, exist_ok=True)
    population.measured.mkdir(parents=True, exist_ok=True)
    for i in range(len(labels)):
        label = int(labels[i])
        path = (
            population.pool / str(label) / f"{i:04d}.png" if i in pool else population.measured / f"{i:04d}_{label}.png"
        )
        path.write_bytes(as_picture(images[i], factor, resample))
    return population


def uci_population(folder: Path) -> Population:
    """scikit-learn's 1797 UCI digits: the first 898 are the pool, the other 899 measured."""
    images, labels = uci_digits()
    return write_uci(folder, images, labels.numpy())


def flatten(by_digit: Path, into: Path) -> None:
    """new_writer's OUT/<digit>/<n>.png -> INTO/<n>_<digit>.png (moved)."""
    into.mkdir(parents=True, exist_ok=True)
    for digit in DIGITS:
        for picture in sorted((by_digit / str(digit)).glob("*.png")):
            picture.rename(into / f"{picture.stem}_{digit}.png")
    shutil.rmtree(by_digit)


def draw_writer(out: Path, per_digit: int, seed: int) -> None:
    """scripts/new_writer.py, run as its docstring says: OUT/<digit>/<n>.png, 280x280 black strokes on white."""
    command = [sys.executable, str(NEW_WRITER), str(out), "--per-digit", str(per_digit), "--seed", str(seed)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 (our script, our arguments)


def writer_population(folder: Path, per_digit: int, pool_seed: int = 0, measured_seed: int = 1) -> Population:
    """scripts/new_writer.py's writer: the pool drawn with one seed, the measured part with another, so
    the two share the writer's hand but not a single picture."""
    population = Population("writer", folder / "pool", folder / "measured")
    draw_writer(population.pool, per_digit, pool_seed)
    draw_writer(folder / "measured-by-digit", per_digit, measured_seed)
    flatten(folder / "measured-by-digit", population.measured)
    return population


def make_population(name: str, folder: Path, writer_per_digit: int) -> Population:
    if name == "uci":
        return uci_population(folder)
    if name == "writer":
        return writer_population(folder, writer_per_digit)
    raise ValueError(f"unknown population {name!r} (uci or writer)")
