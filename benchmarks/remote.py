"""Team storage on a real S3 server: `dvc push` and `dvc pull` of the pipeline's outputs against a plain
copy of the same cache, and a fresh clone to a usable model by `dvc pull` against by `dvc repro`.

Run after `dvc repro` (it shares HEAD's outputs from this workspace's cache):
    python -m benchmarks.remote [--mirror ../shared/datasets/mnist]
It starts SeaweedFS on loopback in a temporary folder and stops it at the end. Every figure comes from
this run; the clone that reruns the pipeline needs MNIST from --mirror.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.seaweed import S3Server, seaweed_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # this environment's dvc and digits
MB = 1e6
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@localhost",
}


def run(*command: str, cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"remote benchmark: `{' '.join(command)}` failed in {cwd}:\n{done.stdout}{done.stderr}")


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def clone(origin: Path, path: Path, env: dict[str, str]) -> None:
    run("git", "clone", "-q", str(origin), str(path), cwd=path.parent, env=env)


def share(work: Path, server: S3Server, env: dict[str, str]) -> tuple[Path, Path]:
    """A bare origin of HEAD whose .dvc/config names a remote on `server`, and the owner's clone with
    exactly HEAD's outputs in its cache (fetched from this workspace's cache, untimed)."""
    origin, owner = work / "origin.git", work / "owner"
    run("git", "clone", "-q", "--bare", str(ROOT), str(origin), cwd=work, env=env)
    clone(origin, owner, env)
    run("dvc", "remote", "add", "seed", str(ROOT / ".dvc" / "cache"), cwd=owner, env=env)
    run("dvc", "fetch", "-r", "seed", cwd=owner, env=env)
    run("dvc", "remote", "remove", "seed", cwd=owner, env=env)
    run("dvc", "remote", "add", "-d", "storage", f"s3://{server.bucket}/digits", cwd=owner, env=env)
    run("dvc", "remote", "modify", "storage", "endpointurl", server.endpoint, cwd=owner, env=env)
    run("git", "commit", "-qam", "storage", cwd=owner, env=env)
    run("git", "push", "-q", "origin", "HEAD", cwd=owner, env=env)
    return origin, owner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mirror", default=str(ROOT.parent / "shared/datasets/mnist"), help="MNIST for the repro clone"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as tmp, seaweed_server(Path(tmp) / "s3") as server:
        work = Path(tmp)
        env = {**os.environ, **server.env(), **GIT_IDENTITY, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        env.pop("MNIST_MIRROR", None)
        origin, owner = share(work, server, env)
        cache = owner / ".dvc" / "cache"
        size = folder_size(cache)

        copy = timed(lambda: run("cp", "-r", str(cache), str(work / "cache-copy"), cwd=work, env=env))
        push = timed(lambda: run("dvc", "push", cwd=owner, env=env))

        newcomer = work / "newcomer"
        pull_clone = timed(lambda: clone(origin, newcomer, env))
        pull = timed(lambda: run("dvc", "pull", cwd=newcomer, env=env))
        usable = timed(lambda: run("digits", "inspect", "--model", "models/model.pt", cwd=newcomer, env=env))

        rebuilder = work / "rebuilder"
        repro_clone = timed(lambda: clone(origin, rebuilder, env))
        repro = timed(lambda: run("dvc", "repro", cwd=rebuilder, env={**env, "MNIST_MIRROR": args.mirror}))

    by_pull, by_repro = pull_clone + pull + usable, repro_clone + repro
    print(f"pipeline outputs in the cache: {size / MB:.1f} MB (data/raw, data/processed, models/model.pt)")
    print(f"  cp -r of the cache:        {copy:6.2f} s  {size / MB / copy:7.1f} MB/s")
    print(f"  dvc push to SeaweedFS:     {push:6.2f} s  {size / MB / push:7.1f} MB/s  ({push / copy:.0f}x the copy)")
    print(f"  dvc pull in a fresh clone: {pull:6.2f} s  {size / MB / pull:7.1f} MB/s  ({pull / copy:.0f}x the copy)")
    print("fresh clone to a usable model (`digits inspect` works):")
    print(f"  git clone + dvc pull:      {by_pull:6.1f} s")
    print(f"  git clone + dvc repro:     {by_repro:6.1f} s")
    print(f"  pull is {by_repro / by_pull:.0f}x faster")


if __name__ == "__main__":
    main()
