"""What benchmarks/adapt.py prints and keeps: a table per population, one JSON line per run, and the
learning curve as a figure (accuracy on the measured part against k corrections per digit)."""

import json
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    population: str
    seed: object  # train.seed of the clone's params.yaml
    k: int  # corrections per digit: the first k pool pictures of each digit
    pictures: int  # pictures in data/collected after `digits collect`
    seconds: float | None  # wall seconds of the loop turn's `dvc repro`; None at k=0 (the base model: no turn)
    accuracy: float  # top-1, on the population's measured part
    mnist: float  # MNIST test accuracy, metrics/test.json
    stages: tuple[str, ...] = ()  # the stages `dvc repro` ran


HEADER = f"{'seed':>5} {'k':>4} {'pictures':>8} {'turn (s)':>9} {'accuracy':>9} {'MNIST test':>10}"


def format_table(population: str, measured: int, rows: Sequence[Row]) -> str:
    """The rows of one population, by seed then k; a mean line per k when there are several seeds."""
    ours = sorted((row for row in rows if row.population == population), key=lambda row: (str(row.seed), row.k))
    lines = [f"{population}: accuracy on the {measured} measured pictures after k corrections per digit", HEADER]
    for row in ours:
        turn = "-" if row.seconds is None else f"{row.seconds:.1f}"
        lines.append(f"{row.seed!s:>5} {row.k:>4} {row.pictures:>8} {turn:>9} {row.accuracy:>9.2%} {row.mnist:>10.2%}")
    if len({row.seed for row in ours}) > 1:
        for k in sorted({row.k for row in ours}):
            same = [row for row in ours if row.k == k]
            turns = [row.seconds for row in same if row.seconds is not None]
            turn = f"{statistics.mean(turns):.1f}" if turns else "-"
            accuracy, mnist = statistics.mean(r.accuracy for r in same), statistics.mean(r.mnist for r in same)
            lines.append(f"{'mean':>5} {k:>4} {'':>8} {turn:>9} {accuracy:>9.2%} {mnist:>10.2%}")
    return "\n".join(lines)


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's name as /proc/cpuinfo gives it (the first core's), or "unknown"."""
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": version("torch")}


def append_json(path: Path, run: dict[str, Any], rows: Sequence[Row]) -> None:
    """One JSON object per run, a line each (JSON Lines): runs on several machines or commits add up."""
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({**run, "rows": [asdict(row) for row in rows]}) + "\n")


def plot(path: Path, rows: Sequence[Row]) -> None:
    """Accuracy on the measured part against k, per population: the mean over seeds, each seed a dot."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator, PercentFormatter

    figure, axes = plt.subplots(figsize=(6, 4))
    for population in dict.fromkeys(row.population for row in rows):
        ours = [row for row in rows if row.population == population]
        ks = sorted({row.k for row in ours})
        means = [statistics.mean(row.accuracy for row in ours if row.k == k) for k in ks]
        (line,) = axes.plot(ks, means, marker="o", label=population)
        axes.scatter([row.k for row in ours], [row.accuracy for row in ours], s=10, alpha=0.4, color=line.get_color())
    axes.set_xscale("symlog", linthresh=5)  # k = 0, 5, 10, 30, 100 spread out; 0 stays on the axis
    ks = sorted({row.k for row in rows})
    # the measured k, not powers of ten; of two within 20% (86 of UCI's and 100 of the writer's), the larger
    shown = [k for i, k in enumerate(ks) if i + 1 == len(ks) or ks[i + 1] > 1.2 * k]
    axes.set_xticks(shown, [str(k) for k in shown])
    axes.xaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("corrections per digit (k)")
    axes.set_ylabel("accuracy on the measured part")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
