"""fit(): train a classifier from in-memory tensors and keep the weights that score best on validation.

Batches are slices of a tensor already on the device; shuffles and augmentation draw from one
seeded CPU generator, so the data order is the same on every device.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from digits.augment import random_affine, random_shift
from digits.data import Split
from digits.evaluation import loss_and_accuracy
from digits.models import build_model
from digits.params import TrainParams


@dataclass(frozen=True)
class EpochStats:
    epoch: int  # 1-based
    train_loss: float  # mean over the epoch's batches, with augmentation and label smoothing
    train_acc: float
    val_loss: float  # plain cross-entropy of the weights being evaluated
    val_acc: float
    lr: float  # at the end of the epoch
    seconds: float


@dataclass
class History:
    epochs: list[EpochStats] = field(default_factory=list)
    best_epoch: int = 0  # the epoch whose weights fit() left in the model

    @property
    def best(self) -> EpochStats:
        return self.epochs[self.best_epoch - 1]


def model_args(params: TrainParams) -> dict[str, object]:
    """The architecture arguments the chosen model is built from (stored in checkpoints)."""
    if params.model == "mlp":
        return {"hidden": list(params.mlp_hidden)}
    return {"channels": list(params.cnn_channels)}


def init_model(params: TrainParams) -> nn.Module:
    """The chosen architecture with weights drawn from `params.seed`."""
    torch.manual_seed(params.seed)
    return build_model(params.model, model_args(params))


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


def fit(
    model: nn.Module,
    train: Split,
    val: Split,
    params: TrainParams,
    device: torch.device,
    on_epoch: Callable[[EpochStats], None] | None = None,
) -> History:
    """Train `model` in place; on return it holds the weights of the best validation epoch."""
    model.to(device, memory_format=torch.channels_last)  # NHWC convolutions: ~1.8x faster on CPU here
    images, labels = train.images.to(device, memory_format=torch.channels_last), train.labels.to(device)
    steps_per_epoch = len(labels) // params.batch_size  # the short last batch is dropped
    assert steps_per_epoch > 0, "batch_size is larger than the training split"
    optimizer = make_optimizer(model, params)
    schedule = make_schedule(optimizer, params, params.epochs * steps_per_epoch)
    averaged = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(params.ema_decay), use_buffers=True)
        if params.ema_decay
        else None
    )
    scored = averaged.module if averaged else model
    generator = torch.Generator().manual_seed(params.seed)
    background = -train.norm.mean / train.norm.std  # a blank pixel, after normalization
    amp = params.amp and device.type == "cuda"
    history, best_state = History(), None
    for epoch in range(1, params.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(labels), generator=generator)
        totals = torch.zeros(3, device=device)  # loss sum, correct, count
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{params.epochs}", disable=None, leave=False)
        for step in bar:
            batch = order[step * params.batch_size : (step + 1) * params.batch_size].to(device)
            x, y = images[batch], labels[batch]  # (B, 1, 28, 28), (B,)
            if params.max_rotation or params.max_scale:
                x = random_affine(x, params.max_shift, params.max_rotation, params.max_scale, generator, background)
            elif params.max_shift:
                x = random_shift(x, params.max_shift, generator, background)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                logits = model(x)
                loss = F.cross_entropy(logits.float(), y, label_smoothing=params.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if averaged:
                averaged.update_parameters(model)
            with torch.no_grad():
                totals[0] += loss.detach() * len(y)
                totals[1] += (logits.argmax(1) == y).sum()
            totals[2] += len(y)
        val_loss, val_acc = loss_and_accuracy(scored, val.images, val.labels, params.batch_size * 8, device)
        loss_sum, correct, count = totals.tolist()
        stats = EpochStats(
            epoch,
            loss_sum / count,
            correct / count,
            val_loss,
            val_acc,
            schedule.get_last_lr()[0],
            time.perf_counter() - start,
        )
        history.epochs.append(stats)
        if best_state is None or stats.val_acc >= history.best.val_acc:  # ties: the later, lower-lr weights
            history.best_epoch = epoch
            best_state = {
                k: v.detach().clone(memory_format=torch.contiguous_format) for k, v in scored.state_dict().items()
            }
        if on_epoch:
            on_epoch(stats)
    model.load_state_dict(best_state)
    return history
