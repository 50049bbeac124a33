"""Train the default params once per seed as DVC experiments, then print each seed's figures and
the mean +- sd: accuracy claims rest on seeds 0-4, never on one run.

    python scripts/seeds.py              # queue seed-0 ... seed-4, run them one at a time, summarize
    python scripts/seeds.py --summary    # only summarize the seed-N experiments already run
    python scripts/seeds.py --summary --rev REV   # ... those run on commit REV (default: HEAD)
    python scripts/seeds.py -S train.epochs=9 --prefix e9   # another setting, as e9-0 ... e9-4
    python scripts/seeds.py --seeds 3    # seeds 0-2 only (a quicker look; claims rest on 0-4)

Each seed is `dvc exp run --queue -n seed-N -S train.seed=N` on the workspace as it is, run by
`dvc queue start -j 1` (one at a time: two trainings on two cores would only slow each other),
each one's log shown as it runs; the figures come from `dvc exp show --json`, so they are the
experiments' own metrics files. A run summarizes the commit it queued on, so a commit made while
it runs does not hide its experiments.
Ctrl-C stops the sweep: the running experiment is killed and the sweep's queued ones are removed
(otherwise DVC's worker would go on running them in the background).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

SEEDS = 5  # seeds 0-4, unless --seeds says fewer
ACTIVE, FINAL = ("Queued", "Running"), ("Success", "Failed")  # the states of `dvc queue status`
# (column, metrics file, key path, format): what each seed reports
FIGURES = [
    ("MNIST test", "metrics/test.json", ("accuracy",), "{:.2%}"),
    ("UCI digits", "metrics/ood.json", ("uci", "accuracy"), "{:.2%}"),
    ("robustness mean", "metrics/ood.json", ("robustness", "mean_accuracy"), "{:.2%}"),
    ("test ECE", "metrics/test.json", ("ece",), "{:.4f}"),
    ("errors @99% pic", "metrics/ood.json", ("mnist_as_pictures", "errors_at_99pct"), "{:.1f}"),
    ("errors @99.5% pic", "metrics/ood.json", ("mnist_as_pictures", "errors_at_99_5pct"), "{:.1f}"),
    ("UCI err @90%", "metrics/ood.json", ("uci", "error_at_90pct_coverage"), "{:.2%}"),
    ("non-digit AUROC", "metrics/ood.json", ("not_a_digit", "worst_auroc"), "{:.4f}"),
]


def dvc(*args: str, check: bool = True) -> str:
    # the dvc of this environment, with arguments built here, never from input
    return subprocess.run(["dvc", *args], check=check, capture_output=True, text=True).stdout  # noqa: S603, S607


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
    names = [f"{prefix}-{seed}" for seed in seeds]
    earlier = frozenset(task for task, _, _ in queue_rows())  # tasks already there: an earlier sweep's may share names
    try:  # from the first experiment queued, so that Ctrl-C takes off the queue what this run put on it
        for seed, name in zip(seeds, names, strict=True):
            dvc("exp", "run", "--queue", "-n", name, "-S", f"train.seed={seed}", *others)
        start_worker()
        states = follow_queue(names, earlier)
    except KeyboardInterrupt:
        stop_sweep(names)
        print("seeds: stopped: the running experiment killed, the queued ones removed", file=sys.stderr)
        sys.exit(130)  # the shell's code for Ctrl-C
    failed = [name for name in names if states.get(name) == "Failed"]
    if failed:
        sys.exit(f"seeds: {', '.join(failed)} failed; `dvc queue logs NAME` shows why")
    return baseline


def start_worker() -> None:
    """`dvc queue start -j 1`. Its worker, a daemon, keeps the command's output open: to a pipe, that would hold
    this script until the worker exits (10 s after the queue empties), so the output goes to a file."""
    with tempfile.TemporaryFile() as output:
        command = ["dvc", "queue", "start", "-j", "1"]
        started = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, check=False)  # noqa: S603
        if started.returncode != 0:
            output.seek(0)
            sys.exit(f"seeds: `dvc queue start` failed:\n{output.read().decode(errors='replace')}")


def follow_queue(names: list[str], earlier: frozenset[str], patience: float = 120) -> dict[str, str]:
    """The queue's worker runs the experiments in the background: show the log of the one running as it
    comes (`dvc queue logs -f`, which returns when that experiment ends), and poll only while the worker
    moves on to the next; the experiments' last states. A task the worker has taken but not yet started is
    listed neither queued nor running: it is waited for, up to `patience` seconds."""
    missing_since = None
    while True:
        states = queue_states(skip=earlier)
        running = [name for name in names if states.get(name) == "Running"]
        pending = [name for name in names if states.get(name) not in FINAL]
        if running:
            print(f"seeds: {running[0]}:", flush=True)
            follow = subprocess.run(["dvc", "queue", "logs", "--follow", running[0]], check=False)  # noqa: S603, S607
            if follow.returncode != 0:  # its log not there yet: come round again, not at once
                time.sleep(2)
            continue
        if not pending:
            return states
        if any(states.get(name) == "Queued" for name in pending):
            missing_since = None
        elif missing_since is None:
            missing_since = time.monotonic()
        elif time.monotonic() - missing_since > patience:
            sys.exit(f"seeds: {', '.join(pending)} left the queue unfinished; see `dvc queue status`")
        time.sleep(2)


def stop_sweep(names: list[str], patience: float = 120) -> None:
    """After Ctrl-C, without which DVC's worker would run the rest of the sweep in the background: take
    the sweep's queued experiments off the queue, then kill its running one (a failed run), and wait
    until the worker has recorded it. Not `dvc queue stop --kill`: a worker stopped so leaves the
    experiment it was on shown as running for good. Again if the worker started another meanwhile."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        states = queue_states()
        queued = [name for name in names if states.get(name) == "Queued"]
        running = [name for name in names if states.get(name) == "Running"]
        if not queued and not running:
            return
        # Unchecked: a task that changed state meanwhile makes the command fail, and the loop comes round again.
        if queued:  # first, so the worker has nothing to go on with
            dvc("queue", "remove", *queued, check=False)
        if running:
            dvc("queue", "kill", *running, check=False)
        time.sleep(2)
    sys.exit(f"seeds: the sweep did not stop within {patience:.0f} s; see `dvc queue status`")


def queue_rows() -> list[tuple[str, str, str]]:
    """(task, name, state) of each task in `dvc queue status`, whose rows read: task, name, created, state."""
    rows = [line.split() for line in dvc("queue", "status").splitlines()]
    return [(row[0], row[1], row[-1]) for row in rows if len(row) >= 3 and row[-1] in ACTIVE + FINAL]


def queue_states(skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """name -> state of the tasks in the queue, but the tasks in `skip`; a name queued or running again
    shows that, not an earlier run's end."""
    states: dict[str, str] = {}
    for task, name, state in queue_rows():
        if task not in skip and (name not in states or state in ACTIVE):
            states[name] = state
    return states


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
    rows = {seed: [figure(found[f"{prefix}-{seed}"], path, keys) for _, path, keys, _ in FIGURES] for seed in seeds}
    formats = [fmt for *_, fmt in FIGURES]

    def line(label: object, values: list[float]) -> str:
        return f"{label:>6}" + "".join(f"{fmt.format(v):>18}" for fmt, v in zip(formats, values, strict=True))

    print(f"{'seed':>6}" + "".join(f"{name:>18}" for name, *_ in FIGURES))
    for seed, values in rows.items():
        print(line(seed, values))
    columns = list(zip(*rows.values(), strict=True))
    print(line("mean", [statistics.mean(c) for c in columns]))
    print(line("sd", [statistics.stdev(c) for c in columns]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true", help="only summarize experiments already run")
    parser.add_argument("--rev", default="HEAD", help="the commit the experiments were run on (with --summary)")
    parser.add_argument("-S", "--set", action="append", default=[], metavar="KEY=VALUE", help="as `dvc exp run -S`")
    parser.add_argument("--prefix", default="seed", help="experiments are named PREFIX-N (default: %(default)s)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=SEEDS,
        choices=range(2, 101),
        metavar="N",
        help="seeds 0 to N-1, N >= 2 for an sd (default: %(default)s)",
    )
    args = parser.parse_args()
    seeds = range(args.seeds)
    rev = args.rev if args.summary else queue_and_run(seeds, args.prefix, args.set)
    summarize(seeds, rev, args.prefix)


if __name__ == "__main__":
    main()
