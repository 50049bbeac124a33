"""The classifiers, built from plain keyword arguments so a checkpoint can rebuild them."""

import itertools
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from digits.core.errors import PipelineError
from digits.data.idx import IMAGE_SIDE, NUM_CLASSES


class MLP(nn.Sequential):
    """The PyTorch tutorial's network: 784 -> hidden... -> 10, ReLU between layers."""

    def __init__(self, hidden: Sequence[int] = (128, 64)) -> None:
        widths = [IMAGE_SIDE * IMAGE_SIDE, *hidden]
        layers: list[nn.Module] = [nn.Flatten()]  # (N, 1, 28, 28) -> (N, 784)
        for width_in, width_out in itertools.pairwise(widths):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], NUM_CLASSES))
        super().__init__(*layers)


def conv_block(channels_in: int, channels_out: int, pool: bool) -> nn.Sequential:
    """3x3 conv (no bias: BatchNorm has one), optional 2x2 max-pool, BatchNorm, ReLU.

    Pooling before BatchNorm and ReLU (as airbench does) runs them on a quarter of the
    pixels, which makes training about 25% faster on CPU here.
    """
    layers = [nn.Conv2d(channels_in, channels_out, kernel_size=3, padding=1, bias=False)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.BatchNorm2d(channels_out), nn.ReLU(inplace=True))


class GlobalMaxPool(nn.Module):
    """(N, C, H, W) -> (N, C). Unlike nn.AdaptiveMaxPool2d, its CUDA backward is deterministic."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=(2, 3))


class CNN(nn.Sequential):
    """Four conv layers for CPU throughput: pool early, spend the compute at 7x7.

    28x28 -> conv c1, pool -> 14x14 -> conv c2, pool -> 7x7 -> conv c3 -> conv c4, pool -> 3x3,
    then a global max-pool and one linear layer.
    """

    def __init__(self, channels: Sequence[int] = (32, 64, 128, 128)) -> None:
        c1, c2, c3, c4 = channels
        super().__init__(
            conv_block(1, c1, pool=True),  # (N, c1, 14, 14)
            conv_block(c1, c2, pool=True),  # (N, c2, 7, 7)
            conv_block(c2, c3, pool=False),  # (N, c3, 7, 7)
            conv_block(c3, c4, pool=True),  # (N, c4, 3, 3)
            GlobalMaxPool(),  # (N, c4)
            nn.Linear(c4, NUM_CLASSES),
        )


class Ensemble(nn.Module):
    """`members` networks of one architecture, initialized apart and trained side by side on the same
    batches. In training mode each member's logits are returned, (N, 10, members), so each member
    learns the labels on its own (cross_entropy reads the last dim as a position); in eval mode the
    log of the members' mean probability, (N, 10): logits whose softmax is the ensemble's answer.
    """

    def __init__(self, members: int, member: str, args: dict[str, Any]) -> None:
        super().__init__()
        if member == "ensemble" or members < 1:
            raise ValueError(f"members must be >= 1 networks of a plain architecture, got {members} x {member}")
        self.members = nn.ModuleList(build_model(member, args) for _ in range(members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.stack([member(x) for member in self.members], dim=-1)  # (N, 10, members)
        if self.training:
            return logits
        return torch.logsumexp(logits.float().log_softmax(dim=1), dim=-1) - math.log(len(self.members))


ARCHITECTURES: dict[str, type[nn.Module]] = {"mlp": MLP, "cnn": CNN, "ensemble": Ensemble}


def build_model(name: str, args: dict[str, Any]) -> nn.Module:
    """Instantiate an architecture by name; the pair (name, args) is what checkpoints store."""
    if name not in ARCHITECTURES:
        raise PipelineError(f"unknown model '{name}' (known: {', '.join(ARCHITECTURES)})")
    try:
        return ARCHITECTURES[name](**args)
    except (TypeError, ValueError) as err:
        raise PipelineError(f"model '{name}': bad architecture arguments {args}: {err}") from None


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int, device: torch.device) -> torch.Tensor:
    """(N, 1, 28, 28) normalized images -> (N, 10) float32 logits on the CPU, in eval mode.

    Channels-last (NHWC), as in training: convolutions run about twice as fast so on the CPU.
    """
    model.eval().to(memory_format=torch.channels_last)
    chunks = [
        model(images[i : i + batch_size].to(device, memory_format=torch.channels_last)).float().cpu()
        for i in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks) if chunks else torch.empty(0, NUM_CLASSES)
