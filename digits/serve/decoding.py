"""Where an upload is decoded and centred (imageprep.model_view, the code of `digits predict`): small
pictures on the event loop, large ones in a few threads.

Handing a picture to a thread and back (a Python thread switch each way, contending for the GIL)
costs more than decoding a small one: measured side by side under `ab` (32 clients, 160x160 PNG, one
process), decoding on the event loop served 13-30% more requests/s. A large picture (a 12-megapixel
photo takes about half a second) would hold up every other request of its worker meanwhile, so those
still go to the threads, at most DECODE_THREADS at once, which also bounds the memory a burst takes.
"""

import io
import warnings
from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from PIL import Image

from digits.data.pictures import BadImageError
from digits.serve.errors import ApiError

DECODE_THREADS = 2
INLINE_PIXELS = 500 * 500  # decoded on the event loop up to this size: a few milliseconds at most
T = TypeVar("T")


def header_pixels(data: bytes) -> int | None:
    """The pixel count an image's header announces (nothing is decoded); None when it is not an image
    Pillow can open (model_view then says why)."""
    try:
        with warnings.catch_warnings():  # a bomb's header: model_view refuses it with the reason
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
    except (Image.UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError, EOFError):
        return None
    return width * height


class Decoder:
    def __init__(self) -> None:
        self.threads = CapacityLimiter(DECODE_THREADS)

    async def __call__(self, prepare: Callable[[bytes], T], data: bytes) -> T:
        """`prepare(data)`, here or in a thread; a BadImageError is a 422 for the client."""
        pixels = header_pixels(data)
        try:
            if pixels is not None and pixels <= INLINE_PIXELS:
                return prepare(data)
            return await to_thread.run_sync(prepare, data, limiter=self.threads)
        except BadImageError as err:
            raise ApiError(422, str(err), "bad_image") from None
