"""Augmentation on whole batches of tensors (no per-sample Python work)."""

import torch
import torch.nn.functional as F


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator, fill: float) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift] pixels.

    images: (N, C, H, W). Uncovered pixels get `fill` (the normalized background value).
    Offsets are drawn on the CPU from `generator`, so results do not depend on the device.
    """
    n, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=fill)  # (N, C, H + 2s, W + 2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n, 1), generator=generator).to(images.device)
    rows = offsets[0] + torch.arange(height, device=images.device)  # (N, H)
    cols = offsets[1] + torch.arange(width, device=images.device)  # (N, W)
    batch = torch.arange(n, device=images.device)[:, None, None]
    # Advanced indexing picks, per image, the H x W window at its offset: (N, H, W, C) -> (N, C, H, W)
    return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def random_affine(
    images: torch.Tensor,
    max_shift: float,
    max_degrees: float,
    max_scale: float,
    generator: torch.Generator,
    fill: float,
) -> torch.Tensor:
    """Rotate by up to +-max_degrees, scale by 1 +- max_scale and translate by up to
    +-max_shift pixels, each image its own draw; bilinear sampling, `fill` outside the image.

    images: (N, C, H, W) with H == W. Draws come from `generator` on the CPU.
    """
    n, _, side, _ = images.shape
    u = torch.rand(4, n, generator=generator) * 2 - 1  # uniform in [-1, 1): angle, scale, dx, dy
    angle = torch.deg2rad(u[0] * max_degrees)
    scale = 1 + u[1] * max_scale
    shift = u[2:] * (2 * max_shift / side)  # pixels -> the [-1, 1] coordinates affine_grid uses
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale  # output -> input map: inverse zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[0]], 1), torch.stack([sin, cos, shift[1]], 1)], 1)
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    # grid_sample pads with zeros; shift by `fill` so the background stays the normalized blank value
    return F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill
