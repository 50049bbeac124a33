"""What `digits serve` can be told, with its defaults (no heavy imports: the CLI reads this)."""

from dataclasses import dataclass
from pathlib import Path

MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: a phone photo fits, a runaway upload does not
MAX_BATCH = 64  # images in one forward pass
# Refused from the header, before decoding. Measured here: a 16-megapixel PNG (a 25 kB upload)
# took 0.74 s and 740 MB to prepare, a 49-megapixel one (63 kB) 2.6 s and 1.2 GB.
MAX_PIXELS = 16_000_000
# Pictures POST /collect may store: a page open to others cannot fill the disk. Each is a file of
# 0.1-0.5 kB (a 4 kB block on most file systems), so 10,000 take about 40 MB.
COLLECT_MAX = 10_000
MAX_DRAIN_DELAY = 300  # seconds: --drain-delay is for a load balancer to notice, not to keep a server up


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch: int = MAX_BATCH  # 1: no micro-batching, one forward pass per request
    max_pixels: int = MAX_PIXELS  # `digits predict` allows more (pictures.MAX_PIXELS): its files are the user's own
    collect_dir: Path | None = None  # None: POST /collect is refused (403)
    collect_max: int = COLLECT_MAX
