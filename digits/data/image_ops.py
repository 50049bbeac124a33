"""Operations on batches of normalized digit images (N, 1, 28, 28), for the augmentation:
exact pixel shifts, ink boxes, box filling and grey dilation. No randomness here: digits/training/augment.py
draws the numbers and passes them in. The robustness suite (digits/evaluation/ood/variants.py) finds its
ink boxes here too, so both import it from data/.
"""

import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

SIDE, BOX = 28, 20  # image side; MNIST's digit box, which box-filling stretches the ink box to
INK = 0.25  # a pixel (0..1 of full ink) above this counts as ink when measuring a digit's box


def shift_draws(n: int, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """(2, n, 1) int64 offsets in [0, 2 * max_shift]: rows, then columns."""
    return torch.randint(0, 2 * max_shift + 1, (2, n, 1), generator=generator)


def apply_shift(images: torch.Tensor, offsets: torch.Tensor, max_shift: int, fill: float) -> torch.Tensor:
    """Translate each image by its (dy, dx) = offsets - max_shift pixels; uncovered pixels get `fill`.

    images: (N, C, H, W); offsets: (2, N, 1) from shift_draws.
    """
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=fill)  # (N, C, H + 2s, W + 2s)
    offsets = offsets.to(images.device)
    rows = offsets[0] + torch.arange(height, device=images.device)  # (N, H)
    cols = offsets[1] + torch.arange(width, device=images.device)  # (N, W)
    batch = torch.arange(n, device=images.device)[:, None, None]
    # Advanced indexing picks, per image, the H x W window at its offset: (N, H, W, C) -> (N, C, H, W)
    return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator, fill: float) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift] pixels."""
    return apply_shift(images, shift_draws(len(images), max_shift, generator), max_shift, fill)


def ink_boxes(ink: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool -> (N, 4) float (top, left, bottom, right) pixel edges of each image's ink;
    the whole image where there is none."""
    boxes = []
    for hit in (ink.any(2), ink.any(1)):  # (N, H) rows with ink, (N, W) columns with ink
        size = hit.shape[1]
        first = torch.where(hit.any(1), hit.float().argmax(1), 0)
        last = torch.where(hit.any(1), size - hit.flip(1).float().argmax(1), size)
        boxes += [first, last]
    top, bottom, left, right = boxes
    return torch.stack([top, left, bottom, right], 1).float()


def box_filled(images: torch.Tensor, ink: torch.Tensor, fill: float) -> torch.Tensor:
    """Each image's ink box resized to fill the centred 20x20 box, aspect ratio not kept: torchvision's
    roi_align crops and resizes every image's own box in one call, sampling inside the box only."""
    top, left, bottom, right = ink_boxes(ink).to(images).unbind(1)
    rois = torch.stack([torch.arange(len(images)).to(images), left, top, right, bottom], 1)  # (N, 5): x, then y
    boxed = roi_align(images - fill, rois, output_size=BOX, aligned=True)  # (N, 1, 20, 20), background 0
    margin = (SIDE - BOX) // 2
    return F.pad(boxed, (margin,) * 4) + fill


def dilate(images: torch.Tensor) -> torch.Tensor:
    """Grey dilation with a 3x3 cross: each pixel the max of itself and its 4 neighbours.

    (N, 1, H, W) -> same. Five shifted views of a padded copy: a tenth of max_pool2d's time here.
    """
    height, width = images.shape[-2:]
    padded = F.pad(images, (1, 1, 1, 1), value=float("-inf"))
    centre = padded[..., 1 : height + 1, 1 : width + 1]
    up, down = padded[..., :height, 1 : width + 1], padded[..., 2:, 1 : width + 1]
    left, right = padded[..., 1 : height + 1, :width], padded[..., 1 : height + 1, 2:]
    return torch.maximum(torch.maximum(torch.maximum(centre, up), torch.maximum(down, left)), right)
