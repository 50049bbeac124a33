"""What `digits serve` can be told, with its defaults (no heavy imports: the CLI reads this)."""

from dataclasses import dataclass

MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: a phone photo fits, a runaway upload does not
MAX_BATCH = 64  # images in one forward pass


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch: int = MAX_BATCH  # 1: no micro-batching, one forward pass per request
