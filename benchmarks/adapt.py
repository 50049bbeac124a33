"""The collected-data loop's learning curve (issue 28): accuracy on a new population after k corrections
per digit, each through the real loop, and how long a loop turn takes.

    python -m benchmarks.adapt                          # uci and writer, k = 0 5 10 30 100, params.yaml's seed
    python -m benchmarks.adapt --populations uci --k 5  # quick smoke run: the base model and one loop turn
    python -m benchmarks.adapt --seeds 0 1 2 --out adapt.jsonl --plot adapt.png
    python -m benchmarks.adapt --set train.epochs=3 --repo ../other-checkout

It works in a temporary clone of --repo at HEAD (committed work only) whose DVC cache is the project's own
(linked), so the committed outputs come by `dvc checkout`, with MNIST_MIRROR set to ../shared/datasets/mnist
should a stage download. For each seed (--seeds sets train.seed; none: params.yaml's) the first `dvc repro`,
nothing collected, is the k=0 point: its time, the base model's, is printed apart, no loop turn. Each k then
empties data/collected, runs `digits collect` on the first k pool pictures of each digit and times
`dvc repro --no-run-cache`: the loop turn. It measures with `digits predict --json` on the population's measured
part, which it never collects, and reads MNIST test accuracy from metrics/test.json. Only commands and files
every version has are used, so one benchmark measures today's full retrain and a fine-tuning stage alike.

Populations: `uci`, scikit-learn's 1797 UCI digits made into pictures as the ood stage makes them (bicubic 8x):
the first half is the pool, the second half measured. `writer`, scripts/new_writer.py's child writer: the pool
drawn with seed 0, the measured part with seed 1 (--writer-per-digit each). Once UCI digits are collected, UCI
is no longer out of distribution: the clone's `ood` stage figure for UCI then counts digits like those trained
on, and says nothing of unseen populations (the clone is thrown away; this project's metrics are untouched).
Times are wall seconds on this machine as it is; the load average printed beside them says how busy it was.
"""

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path

from benchmarks.adapt_loop import (
    Clone,
    UnknownParamError,
    collect,
    edit_params,
    make_clone,
    measure,
    output,
    project_cache,
    repro,
    reset_collected,
    train_seed,
)
from benchmarks.adapt_populations import Population, make_population
from benchmarks.adapt_report import Row, append_json, format_table, machine, plot

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "datasets" / "mnist"


def turns(ks: list[int], per_class: int) -> list[int]:
    """The loop turns' k: those above 0 (k=0 is the base model), capped at what each digit's pool has."""
    return sorted({min(k, per_class) for k in ks if k > 0})


def report(row: Row) -> None:
    turn = "base model" if row.seconds is None else f"dvc repro {row.seconds:.1f} s"
    ran = ", ".join(row.stages) or "nothing"
    print(
        f"  {row.population} seed {row.seed} k={row.k}: {row.pictures} pictures, {turn} (ran: {ran}); "
        f"accuracy {row.accuracy:.2%}, MNIST test {row.mnist:.2%}",
        flush=True,
    )


def run_seed(clone: Clone, populations: list[Population], ks: list[int]) -> tuple[dict, list[Row]]:
    """The base model (k=0) then each loop turn, for every population, with the clone's params as they are."""
    seed = train_seed(clone.root)
    reset_collected(clone.root)
    seconds, stages = repro(clone, run_cache=True)  # setup, not a turn: DVC may restore the base from its run cache
    print(f"seed {seed}: base model, `dvc repro` with nothing collected: {seconds:.1f} s", flush=True)
    rows = [Row(p.name, seed, 0, 0, None, *measure(clone, p), tuple(stages)) for p in populations]
    for row in rows:
        report(row)
    for population in populations:
        for k in turns(ks, population.per_class()):
            reset_collected(clone.root)
            pictures = collect(clone, population, k)
            turn, ran = repro(clone, run_cache=False)
            rows.append(Row(population.name, seed, k, pictures, turn, *measure(clone, population), tuple(ran)))
            report(rows[-1])
    return {"seed": seed, "seconds": seconds, "stages": stages}, rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=ROOT, help="the git repository to clone (default: this one)")
    parser.add_argument("--cache", type=Path, help="DVC cache to share (default: the repo's main checkout's)")
    parser.add_argument("--populations", nargs="+", choices=["uci", "writer"], default=["uci", "writer"])
    parser.add_argument("--k", nargs="+", type=int, default=[0, 5, 10, 30, 100], help="corrections per digit")
    parser.add_argument("--seeds", nargs="+", type=int, help="train.seed values, a base model each (default: as is)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="edit the clone's params")
    parser.add_argument(
        "--writer-per-digit", type=int, default=100, help="writer pictures per digit, pool and measured"
    )
    parser.add_argument("--out", type=Path, help="append the run to this file as one JSON line")
    parser.add_argument("--plot", type=Path, help="draw accuracy against k per population into this PNG")
    return parser.parse_args()


def setup(args: argparse.Namespace, work: Path) -> tuple[Clone, list[Population]]:
    """The clone, its params edited by --set (a key it lacks stops here, before any picture is drawn), and
    the populations' pictures."""
    cache = args.cache or project_cache(args.repo)
    clone, complete = make_clone(args.repo.resolve(), work / "project", cache, MIRROR)
    if not complete:
        print("dvc checkout: some outputs are not in the cache; the base `dvc repro` makes them", flush=True)
    try:
        if args.set:
            edit_params(clone.root / "params.yaml", args.set)
    except UnknownParamError as err:
        sys.exit(f"adapt: {err}")
    return clone, [make_population(name, work / name, args.writer_per_digit) for name in args.populations]


def loads(averages: tuple[float, float, float]) -> str:
    return "load average (1, 5, 15 min) " + " ".join(f"{load:.2f}" for load in averages)


def main() -> None:
    args = parse_args()
    run = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine(), "set": args.set}
    run["load_before"] = os.getloadavg()  # other work on the machine slows the turns: say how much there was
    print(f"adapt: {run['machine']['cpu']}, {run['machine']['cores']} cores, torch {run['machine']['torch']}")
    print(f"{loads(run['load_before'])} before", flush=True)
    bases, rows = [], []
    with tempfile.TemporaryDirectory(prefix="bench-adapt-") as tmp:  # the clone and pictures go, whatever happens
        clone, populations = setup(args, Path(tmp))
        run["commit"] = output(["git", "rev-parse", "HEAD"], clone.root)
        run["measured"] = {p.name: len(list(p.measured.glob("*.png"))) for p in populations}
        for seed in args.seeds or [None]:
            if seed is not None:
                edit_params(clone.root / "params.yaml", [f"train.seed={seed}"])
            base, seed_rows = run_seed(clone, populations, args.k)
            bases.append(base)
            rows += seed_rows
    run["load_after"] = os.getloadavg()
    print(f"\n{loads(run['load_after'])} after; commit {run['commit'][:12]}")
    for base in bases:
        ran = ", ".join(base["stages"]) or "nothing"
        print(f"base model, seed {base['seed']}: dvc repro {base['seconds']:.1f} s (ran: {ran})")
    for name, count in run["measured"].items():
        print("\n" + format_table(name, count, rows))
    if args.out:
        append_json(args.out, {**run, "bases": bases}, rows)
    if args.plot:
        plot(args.plot, rows)


if __name__ == "__main__":
    main()
