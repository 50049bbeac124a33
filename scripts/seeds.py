"""Train the default params once per seed as DVC experiments, then print each seed's figures and
the mean +- sd: accuracy claims rest on seeds 0-4, never on one run.

    python scripts/seeds.py              # queue seed-0 ... seed-4, run them one at a time, summarize
    python scripts/seeds.py --summary    # only summarize the seed-N experiments already run
    python scripts/seeds.py --summary --rev REV   # ... those run on commit REV (default: HEAD)
    python scripts/seeds.py -S train.epochs=9 --prefix e9   # another setting, as e9-0 ... e9-4

Each seed is `dvc exp run --queue -n seed-N -S train.seed=N` on the workspace as it is, run by
`dvc queue start -j 1` (one at a time: two trainings on two cores would only slow each other);
the figures come from `dvc exp show --json`, so they are the experiments' own metrics files. A run
summarizes the commit it queued on, so a commit made while it runs does not hide its experiments.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

SEEDS = range(5)
# (column, metrics file, key path): what each seed reports
FIGURES = [
    ("MNIST test", "metrics/test.json", ("accuracy",)),
    ("UCI digits", "metrics/ood.json", ("uci", "accuracy")),
    ("robustness mean", "metrics/ood.json", ("robustness", "mean_accuracy")),
]


def dvc(*args: str) -> str:
    # the dvc of this environment, with arguments built here, never from input
    return subprocess.run(["dvc", *args], check=True, capture_output=True, text=True).stdout  # noqa: S603, S607


def head_commit() -> str:
    # the commit the queued experiments are based on: commits made while they run do not move it
    command = ["git", "rev-parse", "HEAD"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def queue_and_run(seeds: range, prefix: str, settings: list[str]) -> str:
    """Queue one experiment per seed and run them one at a time; the commit they are based on."""
    baseline = head_commit()
    existing = {record["name"] for record in experiments(baseline)}
    stale = [f"{prefix}-{seed}" for seed in seeds if f"{prefix}-{seed}" in existing]
    if stale:
        dvc("exp", "remove", *stale)
    others = [arg for setting in settings for arg in ("-S", setting)]
    for seed in seeds:
        dvc("exp", "run", "--queue", "-n", f"{prefix}-{seed}", "-S", f"train.seed={seed}", *others)
    dvc("queue", "start", "-j", "1")
    while True:  # `dvc queue start` returns at once; its worker runs the experiments in the background
        status = dvc("queue", "status")
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(10)
    if "Failed" in status:
        sys.exit(f"seeds: an experiment failed (see `dvc queue logs NAME`):\n{status}")
    return baseline


def experiments(rev: str) -> Iterator[dict[str, Any]]:
    """The finished experiments based on commit `rev`, from `dvc exp show --json` (DVC 3 nests them).
    A queued or running one is left out: until it ends, it shows its baseline's metrics."""
    for baseline in json.loads(dvc("exp", "show", "--json", "--rev", rev)):
        for experiment in baseline.get("experiments") or []:
            if (experiment.get("executor") or {}).get("state", "success") == "success":
                yield from experiment.get("revs", [])


def figure(record: dict[str, Any], path: str, keys: tuple[str, ...]) -> float:
    value = record["data"]["metrics"][path]["data"]
    for key in keys:
        value = value[key]
    return float(value)


def summarize(seeds: range, rev: str, prefix: str) -> None:
    found = {record["name"]: record for record in experiments(rev) if record.get("name")}
    missing = [f"{prefix}-{seed}" for seed in seeds if f"{prefix}-{seed}" not in found]
    if missing:
        sys.exit(f"seeds: no finished experiment named {', '.join(missing)}; run `python scripts/seeds.py` first")
    rows = {seed: [figure(found[f"{prefix}-{seed}"], path, keys) for _, path, keys in FIGURES] for seed in seeds}
    print(f"{'seed':>6}" + "".join(f"{name:>18}" for name, _, _ in FIGURES))
    for seed, values in rows.items():
        print(f"{seed:>6}" + "".join(f"{v:>17.2%} " for v in values))
    columns = list(zip(*rows.values(), strict=True))
    print(f"{'mean':>6}" + "".join(f"{statistics.mean(c):>17.2%} " for c in columns))
    print(f"{'sd':>6}" + "".join(f"{statistics.stdev(c):>17.2%} " for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="only summarize experiments already run")
    parser.add_argument("--rev", default="HEAD", help="the commit the experiments were run on (with --summary)")
    parser.add_argument("-S", "--set", action="append", default=[], metavar="KEY=VALUE", help="as `dvc exp run -S`")
    parser.add_argument("--prefix", default="seed", help="experiments are named PREFIX-N (default: %(default)s)")
    args = parser.parse_args()
    rev = args.rev if args.summary else queue_and_run(SEEDS, args.prefix, args.set)
    summarize(SEEDS, rev, args.prefix)


if __name__ == "__main__":
    main()
