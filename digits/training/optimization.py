"""The optimizer and learning-rate schedule params.yaml asks for."""

import torch
from torch import nn

from digits.core.params import TrainParams


def make_optimizer(model: nn.Module, params: TrainParams) -> torch.optim.Optimizer:
    decay, beta1 = params.weight_decay, params.momentum
    if params.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), params.lr, momentum=beta1, nesterov=beta1 > 0, weight_decay=decay)
    adam = torch.optim.AdamW if params.optimizer == "adamw" else torch.optim.Adam
    return adam(model.parameters(), params.lr, betas=(beta1, 0.999), weight_decay=decay)


def make_schedule(
    optimizer: torch.optim.Optimizer, params: TrainParams, steps: int
) -> torch.optim.lr_scheduler.LRScheduler:
    if params.schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, params.lr, total_steps=steps, pct_start=0.25, cycle_momentum=False
        )
    return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
