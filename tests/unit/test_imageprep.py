"""The MNIST-style conversion on tiny synthetic images: invert, crop, fit 20x20, centre, normalize."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from digits.data.imageprep import (
    CENTRE,
    centre_of_mass,
    crop_to_ink,
    fit_box,
    histogram_256,
    ink_signal,
    mnistify,
    prepare_image,
    refuse_a_dot,
    thickness,
    to_model_input,
)
from digits.data.pictures import BadImageError, to_gray
from digits.data.splits import Normalization
from tests.real_mnist import needs_real_mnist, read_gz


def page(height: int = 60, width: int = 80, paper: float = 255.0) -> np.ndarray:
    return np.full((height, width), paper, dtype=np.float32)


def test_light_background_is_inverted_so_ink_is_bright() -> None:
    dark_on_light = page()
    dark_on_light[20:30, 10:20] = 40
    light_on_dark = page(paper=10)
    light_on_dark[20:30, 10:20] = 220
    for gray in (dark_on_light, light_on_dark):
        signal = ink_signal(gray)
        assert signal[25, 15] > 200 and signal[0, 0] == 0 and signal[50, 70] == 0


def test_crop_is_the_ink_bounding_box_despite_faint_noise() -> None:
    gray = page() - np.random.default_rng(0).uniform(0, 25, size=(60, 80)).astype(np.float32)  # paper texture
    gray[10:20, 30:35] = 0  # a 10x5 stroke
    gray[45, 70] = 235  # a faint speck far away
    crop = crop_to_ink(ink_signal(gray))
    assert crop.shape == (10, 5)
    assert crop.max() == pytest.approx(255)  # the ink is stretched to full strength


@pytest.mark.parametrize(("shape", "fitted"), [((10, 40), (5, 20)), ((60, 30), (20, 10)), ((3, 3), (20, 20))])
def test_fit_box_keeps_the_aspect_ratio(shape: tuple[int, int], fitted: tuple[int, int]) -> None:
    assert fit_box(np.full(shape, 255, dtype=np.float32)).shape == fitted


def test_tall_stroke_stays_tall_and_thin() -> None:
    gray = page(200, 200)
    gray[20:120, 150:160] = 0  # 100x10 pixels
    pixels = mnistify(gray)
    ink = pixels > 128
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    assert rows[-1] - rows[0] + 1 == 20
    assert cols[-1] - cols[0] + 1 <= 3


@pytest.mark.parametrize("seed", range(5))
def test_centre_of_mass_lands_at_the_centre(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gray = page(90, 120)
    top, left = rng.integers(0, 40, size=2)
    gray[top : top + 40, left : left + 8] = 0  # an L: a heavy bar and a foot, lopsided on purpose
    gray[top + 32 : top + 40, left : left + 30] = 0
    pixels = mnistify(gray)
    assert pixels.shape == (28, 28) and pixels.dtype == np.uint8
    row, col = centre_of_mass(pixels.astype(np.float64))
    assert abs(row - CENTRE) <= 0.5 and abs(col - CENTRE) <= 0.5


def test_normalization_uses_the_given_mean_and_std() -> None:
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[0, 0] = 255
    tensor = to_model_input(pixels, Normalization(mean=0.5, std=0.25))
    assert tensor.shape == (1, 28, 28) and tensor.dtype == torch.float32
    assert tensor[0, 0, 0].item() == pytest.approx(2.0)  # (1 - 0.5) / 0.25
    assert tensor[0, 1, 1].item() == pytest.approx(-2.0)  # (0 - 0.5) / 0.25


@pytest.mark.parametrize("noise", [0.0, 20.0])
def test_blank_image_is_an_error(noise: float) -> None:
    gray = page() - np.random.default_rng(1).uniform(0, noise, size=(60, 80)).astype(np.float32)
    with pytest.raises(BadImageError, match="no ink found"):
        mnistify(gray)


def blob(radius: float, stretch: float = 0, side: int = 280) -> np.ndarray:
    """A dark disc on white (the page's pen is 20 px wide on its 280 px canvas), dragged `stretch` px sideways."""
    rows, cols = np.indices((side, side)) - side / 2
    ink = (np.hypot(rows, cols) <= radius) | (np.hypot(rows, cols - stretch) <= radius)
    ink |= (np.abs(rows) <= radius) & (cols >= 0) & (cols <= stretch)
    return np.where(ink, 0, 255).astype(np.float32)


def speck() -> np.ndarray:
    gray = page(200, 300)
    gray[120, 70] = 0
    return gray


def test_thickness_is_the_width_of_the_thickest_part() -> None:
    bar = np.zeros((20, 30), dtype=bool)
    bar[2:18, 10:14] = True  # 4 px wide
    assert thickness(bar) == 4
    bar[5:11, 20:26] = True  # a 6x6 block beside it
    assert thickness(bar) == 6 and thickness(np.zeros((5, 5), dtype=bool)) == 0


@pytest.mark.parametrize(
    ("what", "gray"),
    [
        ("a click with the page's pen", blob(10)),
        ("a big round blot", blob(60)),
        ("a click dragged 5 px", blob(14, stretch=5)),
        ("one dark pixel on a page", speck()),
    ],
)
def test_a_dot_is_refused_not_read_as_a_digit(what: str, gray: np.ndarray) -> None:
    with pytest.raises(BadImageError, match=r"^too little ink: draw a digit, not a dot$"):
        mnistify(gray)


@pytest.mark.parametrize(
    ("what", "gray"),
    [("a short dash, twice as long as thick", blob(10, stretch=20)), ("a dot dragged 10 px", blob(10, stretch=10))],
)
def test_a_short_stroke_is_read(what: str, gray: np.ndarray) -> None:
    assert mnistify(gray).max() == 255


@needs_real_mnist
def test_no_mnist_test_digit_is_taken_for_a_dot() -> None:
    for digit in read_gz("t10k-images-idx3-ubyte", 3):  # 10,000, light ink on black
        refuse_a_dot(fit_box(crop_to_ink(ink_signal(digit.astype(np.float32)))))


@pytest.mark.parametrize("ink", [0, 255])
def test_strokes_on_a_transparent_canvas_are_found(ink: int) -> None:
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[..., :3] = ink  # invisible pixels have the ink's colour too, as drawing apps often save them
    rgba[10:30, 18:22, 3] = 255  # only the stroke is opaque
    gray = to_gray(Image.fromarray(rgba, "RGBA"))
    signal = ink_signal(gray)
    assert signal[20, 20] == pytest.approx(255) and signal[5, 5] == 0


def test_prepare_image_reads_a_file(tmp_path: Path) -> None:
    gray = page(50, 50).astype(np.uint8)
    gray[10:40, 20:30] = 0
    Image.fromarray(gray).convert("RGB").save(tmp_path / "bar.jpg", quality=75)
    tensor = prepare_image(tmp_path / "bar.jpg", Normalization(0.0, 1.0))
    assert tensor.shape == (1, 28, 28)
    assert tensor.min().item() == 0.0 and tensor.max().item() == pytest.approx(1.0)


@pytest.mark.parametrize("peak", [32.0, 100.3, 255.0, 4321.5])
def test_histogram_256_is_numpys_to_the_last_count(peak: float) -> None:
    """Random levels, and levels exactly on the bin edges and one float step either side of them."""
    rng = np.random.default_rng(int(peak))
    edges = np.linspace(0.0, peak, 257, dtype=np.float32)
    on_edges = np.concatenate([edges, np.nextafter(edges, np.float32(0)), np.nextafter(edges, np.float32(1e9))])
    for values in (rng.uniform(0, peak, 5000), rng.choice(on_edges, 5000), np.round(rng.uniform(0, peak, 300))):
        values = np.clip(values.astype(np.float32), np.float32(1e-6), np.float32(peak))
        values[0] = np.float32(peak)  # the maximum is the range's end, as otsu_threshold calls it
        top = float(values.max())
        counts, bin_edges = histogram_256(values, top)
        expected_counts, expected_edges = np.histogram(values, bins=256, range=(0.0, top))
        assert counts.dtype == expected_counts.dtype and bin_edges.dtype == expected_edges.dtype
        assert np.array_equal(counts, expected_counts) and np.array_equal(bin_edges, expected_edges)
