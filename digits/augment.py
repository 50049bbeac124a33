"""Augmentation on whole batches of tensors (no per-sample Python work).

Each augmentation is two steps: draw the random numbers for a batch (from a CPU generator), then
apply them. The draws keep the batch along dim 1, so `draws[:, part]` belongs to `images[part]`:
a process that computes part of a batch applies its part of the one batch's draws.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F


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


def affine_draws(n: int, generator: torch.Generator) -> torch.Tensor:
    """(4, n) float32 uniform in [-1, 1): angle, scale, dx, dy of each image."""
    return torch.rand(4, n, generator=generator) * 2 - 1


def apply_affine(
    images: torch.Tensor, u: torch.Tensor, max_shift: float, max_degrees: float, max_scale: float, fill: float
) -> torch.Tensor:
    """Rotate by u[0] * max_degrees, scale by 1 + u[1] * max_scale, translate by u[2:] * max_shift
    pixels; bilinear sampling, `fill` outside the image.

    images: (N, C, H, W) with H == W; u: (4, N) from affine_draws.
    """
    side = images.shape[-1]
    angle = torch.deg2rad(u[0] * max_degrees)
    scale = 1 + u[1] * max_scale
    shift = u[2:] * (2 * max_shift / side)  # pixels -> the [-1, 1] coordinates affine_grid uses
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # output -> input map: inverse zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[0]], 1), torch.stack([sin, cos, shift[1]], 1)], 1)
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    # grid_sample pads with zeros; shift by `fill` so the background stays the normalized blank value
    return F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator, fill: float) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift] pixels."""
    return apply_shift(images, shift_draws(len(images), max_shift, generator), max_shift, fill)


def random_affine(
    images: torch.Tensor,
    max_shift: float,
    max_degrees: float,
    max_scale: float,
    generator: torch.Generator,
    fill: float,
) -> torch.Tensor:
    """Rotate, zoom and translate each image by its own random draw (see apply_affine)."""
    return apply_affine(images, affine_draws(len(images), generator), max_shift, max_degrees, max_scale, fill)


@dataclass(frozen=True)
class Augmentation:
    """Affine warps when rotation or zoom is on; exact pixel shifts when only shifting; else none."""

    max_shift: int  # pixels
    max_degrees: float
    max_scale: float
    fill: float  # a blank pixel, after normalization

    @property
    def affine(self) -> bool:
        return bool(self.max_degrees or self.max_scale)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """The random numbers for a batch of n images, batch along dim 1; (0, n) when there are none."""
        if self.affine:
            return affine_draws(n, generator)
        if self.max_shift:
            return shift_draws(n, self.max_shift, generator)
        return torch.empty(0, n)

    def apply(self, images: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
        if self.affine:
            return apply_affine(images, draws, self.max_shift, self.max_degrees, self.max_scale, self.fill)
        if self.max_shift:
            return apply_shift(images, draws, self.max_shift, self.fill)
        return images
