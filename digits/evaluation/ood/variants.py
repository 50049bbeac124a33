"""The robustness suite: deterministic variants of MNIST's test digits that imitate how writers and
devices differ (after MNIST-C, Mu & Gilmer 2019). Library operations do the work: torchvision's
affine, resize and blur, scikit-image's morphology and noise.

Every variant maps pixels (N, 1, 28, 28) float32 in [0, 1] (ink bright, as in MNIST) to the same
shape and dtype. Variants see images only, never labels, so they preserve labels by construction;
their strengths are fixed here, like MNIST-C's severities, so a score means the same in every run.
"""

from collections.abc import Callable

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from skimage.morphology import dilation, disk, erosion
from skimage.util import random_noise

from digits.data.idx import IMAGE_SIDE
from digits.data.image_ops import BOX, INK, ink_boxes

Variant = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
SLANT = 20.0  # degrees of shear (x moves by tan(20 deg) = 0.36 px per row)
ROTATION = (15, 25)  # degrees, either way
SMALL, LARGE = 0.6, 1.3  # zoom factors about the centre (MNIST's 20 px box becomes 12 or 26 px)
OFF_CENTRE = 5.0  # pixels of translation in one of 8 directions
BLUR_SIGMA = 1.0  # pixels
SPECKLE = 0.05  # fraction of pixels set to ink or background (salt and pepper)
GAPS, GAP_SIDE = 3, 2  # broken strokes: this many GAP_SIDE x GAP_SIDE holes on ink pixels


def box_normalized(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each digit's ink box stretched to fill the 20x20 box (aspect ratio not kept), centred in 28x28,
    as forms and postal pipelines normalize digits: a thin 1 becomes a square block."""
    margin = (IMAGE_SIDE - BOX) // 2
    out = torch.zeros_like(pixels)
    for i, (top, left, bottom, right) in enumerate(ink_boxes(pixels[:, 0] > INK).int().tolist()):
        crop = TF.resized_crop(pixels[i], top, left, bottom - top, right - left, [BOX, BOX])
        out[i, :, margin:-margin, margin:-margin] = crop
    return out.clamp_(0, 1)


def affine(pixels: torch.Tensor, **kwargs: object) -> torch.Tensor:
    """torchvision's affine with identity defaults; bilinear, background (0) outside the image."""
    args = {"angle": 0.0, "translate": [0.0, 0.0], "scale": 1.0, "shear": [0.0, 0.0]} | kwargs
    return TF.affine(pixels, interpolation=TF.InterpolationMode.BILINEAR, **args).clamp_(0, 1)


def slanted(degrees: float) -> Variant:
    return lambda pixels, generator: affine(pixels, shear=[degrees, 0.0])


def zoomed(scale: float) -> Variant:
    return lambda pixels, generator: affine(pixels, scale=scale)


def off_centre(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each digit moved OFF_CENTRE pixels in one of 8 directions (seeded per image)."""
    direction = torch.randint(0, 8, (len(pixels),), generator=generator)
    out = torch.empty_like(pixels)
    for d in range(8):
        angle = d * np.pi / 4
        members = direction == d
        move = [OFF_CENTRE * float(np.cos(angle)), OFF_CENTRE * float(np.sin(angle))]
        out[members] = affine(pixels[members], translate=move)
    return out


def rotated(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Each digit rotated by its own whole number of degrees in ROTATION, either way (seeded)."""
    low, high = ROTATION
    angles = torch.randint(low, high + 1, (len(pixels),), generator=generator)
    angles *= torch.randint(0, 2, (len(pixels),), generator=generator) * 2 - 1
    out = torch.empty_like(pixels)
    for angle in angles.unique().tolist():  # one torchvision call per angle, not per image
        members = angles == angle
        out[members] = affine(pixels[members], angle=float(angle))
    return out


def morphology(operation: Callable[..., np.ndarray]) -> Variant:
    """Grey-level erosion (thinner strokes) or dilation (thicker) with a 3x3 cross, image by image."""
    footprint = disk(1)[None]  # (1, 3, 3): no mixing across the batch dimension
    return lambda pixels, generator: torch.from_numpy(operation(pixels[:, 0].numpy(), footprint)).unsqueeze(1)


def blurred(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Out of focus: a Gaussian blur of BLUR_SIGMA pixels."""
    return TF.gaussian_blur(pixels, kernel_size=[5, 5], sigma=[BLUR_SIGMA, BLUR_SIGMA])


def speckled(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Dust and dropouts: SPECKLE of the pixels set to ink or to background (seeded)."""
    seed = int(torch.randint(0, 2**31, (1,), generator=generator))
    noisy = random_noise(pixels.numpy(), mode="s&p", amount=SPECKLE, rng=seed, clip=True)
    return torch.from_numpy(noisy.astype(np.float32))


def broken(pixels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A pen that skips: GAPS small holes, each on an ink pixel drawn at random (seeded)."""
    out = pixels.clone()
    for i, image in enumerate(pixels):
        ink = (image[0] > INK).flatten().float()
        if not ink.any():
            continue
        for centre in torch.multinomial(ink, GAPS, replacement=True, generator=generator).tolist():
            row, col = divmod(centre, IMAGE_SIDE)
            out[i] = TF.erase(out[i], row - GAP_SIDE // 2, col - GAP_SIDE // 2, GAP_SIDE, GAP_SIDE, torch.tensor(0.0))
    return out


VARIANTS: dict[str, Variant] = {
    "box_normalized": box_normalized,
    "slant_left": slanted(-SLANT),
    "slant_right": slanted(SLANT),
    "thin": morphology(erosion),
    "thick": morphology(dilation),
    "small": zoomed(SMALL),
    "large": zoomed(LARGE),
    "off_centre": off_centre,
    "rotated": rotated,
    "blurred": blurred,
    "speckled": speckled,
    "broken": broken,
}


def make_variant(name: str, pixels: torch.Tensor, seed: int) -> torch.Tensor:
    """Variant `name` of pixels (N, 1, 28, 28) in [0, 1]; its own generator, so each variant is
    reproducible on its own and adding a variant changes no other."""
    generator = torch.Generator().manual_seed(seed * 1000 + list(VARIANTS).index(name))
    result = VARIANTS[name](pixels, generator)
    assert result.shape == pixels.shape and result.dtype == pixels.dtype, name
    return result
