"""Augmentation on whole batches of tensors (no per-sample Python work).

Each augmentation is two steps: draw the random numbers for a batch (from a CPU generator), then
apply them. The draws keep the batch along dim 1, so `draws[:, part]` belongs to `images[part]`:
a process that computes part of a batch applies its part of the one batch's draws.

The warp covers how writers differ (after the robustness suite in digits/evaluation/ood/variants.py): rotation,
zoom, stretch of one axis, slant (shear), translation, a smooth elastic wobble, and for a share of
the images the ink box stretched to fill MNIST's 20x20 box as forms do. Then strokes are thinned or
thickened (grey erosion or dilation with a 3x3 cross), some images blurred or seen at a low resolution
(a thumbnail, a coarse scan, UCI's 8x8 digits), and a few pixels speckled.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from digits.data.image_ops import INK, SIDE, apply_shift, box_filled, dilate, shift_draws
from digits.data.splits import Normalization

CONTROL = 4  # the elastic wobble: a 4x4 grid of random offsets per axis, interpolated bicubically
BLUR_SIGMA = 1.0  # pixels: the Gaussian that blurred images are blended towards
# Low resolution: the 28x28 image shrunk (antialiased) to a side drawn from these, then brought back
# bilinearly; 9..15 px put MNIST's 20 px digit box at 6-11 pixels across (UCI's digits are 8 across).
LOW_SIDES = tuple(range(9, 16))
# Rows of the draws: 12 scalars per image, the elastic control offsets, a uniform per pixel (speckle).
ANGLE, ZOOM, DX, DY, STRETCH, SHEAR = range(6)  # the warp
BOX_COIN, STROKE_COIN, STROKE_AMOUNT, BLUR_COIN, BLUR_AMOUNT, SPECKLE_AMOUNT = range(6, 12)  # the rest
ELASTIC = slice(12, 12 + 2 * CONTROL * CONTROL)
PIXELS = slice(ELASTIC.stop, ELASTIC.stop + SIDE * SIDE)
LOW_COIN, LOW_SIDE = PIXELS.stop, PIXELS.stop + 1  # drawn only when low_resolution > 0 (older draws unchanged)


def warp_maps(u: torch.Tensor, aug: "Augmentation") -> torch.Tensor:
    """(k, N) draws -> (N, 3, 3) output-to-input maps (affine_grid's [-1, 1] coordinates) of a random
    rotation, zoom, x-stretch, slant and translation (the inverse of what happens to the digit)."""
    n = u.shape[1]
    angle = torch.deg2rad(signed(u[ANGLE]) * aug.max_degrees)
    zoom = 1 + signed(u[ZOOM]) * aug.max_scale
    stretch = 1 + signed(u[STRETCH]) * aug.max_stretch
    shear = torch.tan(torch.deg2rad(signed(u[SHEAR]) * aug.max_shear))
    cos, sin, zeros, ones = torch.cos(angle), torch.sin(angle), torch.zeros(n), torch.ones(n)
    rotate = torch.stack([cos, -sin, sin, cos], 1).reshape(n, 2, 2)
    slant = torch.stack([ones, shear, zeros, ones], 1).reshape(n, 2, 2)
    scale = torch.diag_embed(torch.stack([zoom * stretch, zoom], 1))
    maps = torch.eye(3).repeat(n, 1, 1)
    maps[:, :2, :2] = torch.linalg.inv(rotate @ slant @ scale)
    maps[:, :2, 2] = torch.stack([signed(u[DX]), signed(u[DY])], 1) * (2 * aug.max_shift / SIDE)
    return maps


def signed(u: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) -> uniform [-1, 1)."""
    return u * 2 - 1


@dataclass(frozen=True)
class Augmentation:
    """Exact pixel shifts when only shifting; else the warp, strokes and speckle; or none.

    Units: max_shift pixels; max_degrees and max_shear degrees; max_scale and max_stretch fractions;
    box_fill, stroke_width, blur and low_resolution the share of images box-filled, given thinner or
    thicker strokes, blurred, or shrunk and enlarged again; elastic the
    wobble's size in pixels; speckle the largest share of an image's pixels set to ink or background.
    """

    max_shift: int
    max_degrees: float
    max_scale: float
    norm: Normalization
    max_stretch: float = 0.0
    max_shear: float = 0.0
    box_fill: float = 0.0
    stroke_width: float = 0.0
    elastic: float = 0.0
    speckle: float = 0.0
    blur: float = 0.0
    low_resolution: float = 0.0

    @property
    def fill(self) -> float:
        return self.norm.blank

    @property
    def warps(self) -> bool:
        knobs = (self.max_degrees, self.max_scale, self.max_stretch, self.max_shear, self.box_fill, self.elastic)
        return any(knobs) or bool(self.stroke_width or self.blur or self.speckle or self.low_resolution)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """The random numbers for a batch of n images, batch along dim 1; (0, n) when there are none."""
        if self.warps:
            draws = torch.rand(PIXELS.stop, n, generator=generator)
            draws[ELASTIC] = torch.randn(ELASTIC.stop - ELASTIC.start, n, generator=generator)
            if self.low_resolution:  # drawn last, so the other draws are those of a model without it
                draws = torch.cat([draws, torch.rand(LOW_SIDE - LOW_COIN + 1, n, generator=generator)])
            return draws
        if self.max_shift:
            return shift_draws(n, self.max_shift, generator)
        return torch.empty(0, n)

    def apply(self, images: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
        if self.warps:
            images = self.blurred(self.restroked(self.warped(images, draws), draws), draws)
            return self.speckled(self.low_res(images, draws), draws)
        if self.max_shift:
            return apply_shift(images, draws, self.max_shift, self.fill)
        return images

    def warped(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """images (N, 1, 28, 28) resampled (bilinear) through each image's map, `fill` outside."""
        n, fill = len(images), self.fill
        chosen = (u[BOX_COIN] < self.box_fill).nonzero().flatten().to(images.device)
        if len(chosen):
            picked = images[chosen]
            images = images.index_copy(0, chosen, box_filled(picked, picked[:, 0] > fill + INK / self.norm.std, fill))
        grid = F.affine_grid(warp_maps(u, self)[:, :2].to(images), [n, 1, SIDE, SIDE], align_corners=False)
        if self.elastic:
            control = u[ELASTIC].T.reshape(n, 2, CONTROL, CONTROL)  # x offsets, y offsets; N(0, 1)
            wobble = F.interpolate(control, size=(SIDE, SIDE), mode="bicubic", align_corners=True)  # (N, 2, 28, 28)
            wobble = wobble * (2 * self.elastic / SIDE)  # pixels -> affine_grid's [-1, 1] units
            grid = grid + wobble.permute(0, 2, 3, 1).to(grid)
        # grid_sample pads with zeros; shift by `fill` so the background stays the normalized blank value
        return F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill

    def restroked(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """A `stroke_width` share of the images thinner (blended towards one grey erosion) or thicker
        (towards up to two dilations: written with a felt pen, MNIST's thick digits grow thicker still)."""
        if not self.stroke_width:
            return images
        chosen = (u[STROKE_COIN] < self.stroke_width).nonzero().flatten()
        if not len(chosen):
            return images
        amount = signed(u[STROKE_AMOUNT, chosen]).to(images)[:, None, None, None]  # < 0: thinner, > 0: thicker
        picked = images[chosen.to(images.device)]
        thinner, thicker = -dilate(-picked), dilate(picked)
        thickest, steps = dilate(thicker), 2 * amount.clamp(min=0)  # steps: dilations, 0..2
        once = picked + steps.clamp(max=1) * (thicker - picked)
        grown = torch.where(steps <= 1, once, thicker + (steps - 1) * (thickest - thicker))
        changed = torch.where(amount < 0, picked - amount * (thinner - picked), grown)
        return images.index_copy(0, chosen.to(images.device), changed)

    def blurred(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """A `blur` share of the images blended by a random amount towards a Gaussian blur."""
        chosen = (u[BLUR_COIN] < self.blur).nonzero().flatten()
        if not len(chosen):
            return images
        amount = u[BLUR_AMOUNT, chosen].to(images)[:, None, None, None]
        picked = images[chosen.to(images.device)]
        soft = TF.gaussian_blur(picked, kernel_size=[5, 5], sigma=[BLUR_SIGMA, BLUR_SIGMA])
        return images.index_copy(0, chosen.to(images.device), picked + amount * (soft - picked))

    def low_res(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """A `low_resolution` share of the images shrunk to a side in LOW_SIDES and enlarged back:
        one pair of torchvision resizes per side drawn, not per image."""
        if not self.low_resolution:
            return images
        chosen = (u[LOW_COIN] < self.low_resolution).nonzero().flatten()
        sides = torch.tensor(LOW_SIDES)[(u[LOW_SIDE, chosen] * len(LOW_SIDES)).long().clamp(max=len(LOW_SIDES) - 1)]
        out = images.clone()
        for side in sides.unique().tolist():
            members = chosen[sides == side].to(images.device)
            small = TF.resize(images[members] - self.fill, [side, side], antialias=True)  # background 0
            out[members] = TF.resize(small, [SIDE, SIDE], antialias=False) + self.fill
        return out

    def speckled(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Up to `speckle` of each image's pixels set to full ink (half of them) or background."""
        if not self.speckle:
            return images
        amount = (u[SPECKLE_AMOUNT] * self.speckle).to(images)[:, None, None, None]
        r = u[PIXELS].T.reshape(images.shape).to(images)
        ink = (1 - self.norm.mean) / self.norm.std
        return torch.where(r < amount / 2, ink, torch.where(r < amount, self.fill, images))
