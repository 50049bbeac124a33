"""What `digits serve` can be told, with its defaults (no heavy imports: the CLI reads this)."""

from dataclasses import dataclass

MAX_BODY_BYTES = 10 * 1024 * 1024  # 10 MiB: a phone photo fits, a runaway upload does not
MAX_BATCH = 64  # images in one forward pass
# Refused from the header, before decoding. Measured here: a 16-megapixel PNG (a 25 kB upload)
# took 0.74 s and 740 MB to prepare, a 49-megapixel one (63 kB) 2.6 s and 1.2 GB.
MAX_PIXELS = 16_000_000


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch: int = MAX_BATCH  # 1: no micro-batching, one forward pass per request
    max_pixels: int = MAX_PIXELS  # `digits predict` allows more (imageprep.MAX_PIXELS): its files are the user's own
