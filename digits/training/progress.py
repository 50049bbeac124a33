"""A progress line at least every 30 s when stdout is not a terminal: tqdm's bar shows only on a
terminal, and a CI log or `dvc repro > log` would otherwise be silent for a whole epoch."""

import sys
import time

EVERY = 30.0  # seconds between lines


class Heartbeat:
    def __init__(self, desc: str, total: int, enabled: bool, every: float = EVERY) -> None:
        self.desc, self.total, self.enabled, self.every = desc, total, enabled, every
        self.start = self.last = time.monotonic()

    def tick(self, done: int) -> None:
        """`done` of `total` steps are finished; print a line if `every` seconds passed since the last."""
        now = time.monotonic()
        if self.enabled and now - self.last >= self.every:
            self.last = now
            print(f"train: {self.desc}: step {done}/{self.total} ({now - self.start:.0f} s)", flush=True)


def heartbeat(desc: str, total: int, writer: bool) -> Heartbeat:
    """On for the writing process when stdout is not a terminal (where tqdm draws its bar instead)."""
    return Heartbeat(desc, total, enabled=writer and not sys.stdout.isatty())
