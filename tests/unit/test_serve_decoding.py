"""Where `digits serve` decodes an upload: small pictures on the event loop's thread, large ones (or what
is not a picture) in the decode threads; a bad picture is a 422."""

import threading

import anyio
import numpy as np
import pytest
from PIL import Image

from digits.data.imageprep import model_view
from digits.serve.decoding import INLINE_PIXELS, Decoder, header_pixels
from digits.serve.errors import ApiError
from tests.serve_support import digit_one_png, encode, png_header_only


def on_event_loop(data: bytes) -> bool:
    return threading.current_thread() is threading.main_thread()  # anyio.run runs the loop on this thread


def test_small_pictures_stay_on_the_loop_large_ones_go_to_a_thread() -> None:
    side = int(INLINE_PIXELS**0.5)
    small, large = encode(Image.new("L", (side, side), 255)), encode(Image.new("L", (side + 1, side + 1), 255))
    assert (header_pixels(small), header_pixels(large)) == (side * side, (side + 1) ** 2)
    assert header_pixels(png_header_only(10_000, 10_000)) == 10**8  # a bomb's header, read without decoding
    assert header_pixels(b"not a picture") is header_pixels(png_header_only(20_000, 20_000)) is None  # Pillow refuses
    decoder = Decoder()
    placed = [anyio.run(decoder, on_event_loop, data) for data in (small, large, b"not a picture")]
    assert placed == [True, False, False]  # what Pillow cannot open: to a thread, where model_view says why


def test_the_answer_is_model_view_and_a_bad_picture_a_422() -> None:
    decoder = Decoder()
    assert np.array_equal(anyio.run(decoder, model_view, digit_one_png()), model_view(digit_one_png()))
    with pytest.raises(ApiError) as refused:
        anyio.run(decoder, model_view, b"not a picture")
    assert (refused.value.status, refused.value.reason) == (422, "bad_image")
