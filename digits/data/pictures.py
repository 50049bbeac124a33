"""Picture files and uploads decoded into grayscale pixels, with the limits that keep a bomb out.

Any format Pillow opens; EXIF rotation applied; transparency laid on the background its strokes
contrast with. What is wrong with a file is one short BadImageError message.
"""

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

MAX_PIXELS = 50_000_000  # refused before decoding: a 50-megapixel image is ~150 MB of RGB


ImageSource = Path | bytes  # an image file, or its content (an upload to `digits serve`)


class BadImageError(Exception):
    """A file that cannot be turned into a digit; the message says why, in a few words."""


def open_gray(source: ImageSource, max_pixels: int | None = None) -> np.ndarray:
    """Decode an image file or its bytes into (H, W) float32 luminance 0..255, refusing images over
    `max_pixels` (default MAX_PIXELS) from their header, before decoding them."""
    limit = max_pixels or MAX_PIXELS
    try:
        with warnings.catch_warnings():  # Pillow warns over ~89 megapixels; ours is the stricter limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        with image:  # lazy: reads only the header, so .size is known before decoding
            width, height = image.size
            if width * height > limit:
                raise BadImageError(f"image is {width}x{height}, over the limit of {limit / 1e6:g} megapixels")
            if width * height == 0:
                raise BadImageError(f"image is empty ({width}x{height} pixels)")
            image.draft("L", (1024, 1024))  # JPEG only: decode at 1/2..1/8 scale if it stays >= 1024 px
            return to_gray(ImageOps.exif_transpose(image))  # phone photos: apply the EXIF rotation
    except Image.DecompressionBombError:  # Pillow's own limit, hit while opening
        raise BadImageError(f"image is too large (over {limit / 1e6:g} megapixels)") from None
    except FileNotFoundError:
        raise BadImageError("file not found") from None
    except Image.UnidentifiedImageError:
        empty = not source if isinstance(source, bytes) else source.is_file() and source.stat().st_size == 0
        raise BadImageError("empty file" if empty else "not an image (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:  # unreadable, truncated or corrupt
        if getattr(err, "errno", None) is not None:  # from the file system: permission denied, a directory, ...
            raise BadImageError(f"cannot read: {err.strerror}") from None
        text = str(err).strip().splitlines()
        raise BadImageError(f"cannot decode image: {text[0][:120] if text else type(err).__name__}") from None


def to_gray(image: Image.Image) -> np.ndarray:
    """Any Pillow image -> (H, W) float32 luminance 0..255; transparency is flattened first."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):  # 16-bit or float scans
        gray = np.asarray(image, dtype=np.float32)
        return gray * np.float32(255 / 65535) if gray.max() > 255 else gray
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        lum, alpha = np.moveaxis(np.asarray(image.convert("RGBA").convert("LA"), dtype=np.float32), -1, 0)
        alpha /= 255
        # Strokes drawn on a transparent canvas: lay them on the background they contrast with.
        visible = float(alpha.sum())
        ink_level = float((lum * alpha).sum()) / visible if visible else 0.0
        background = 255.0 if ink_level < 128 else 0.0
        return lum * alpha + background * (1 - alpha)
    return np.asarray(image.convert("L"), dtype=np.float32)
