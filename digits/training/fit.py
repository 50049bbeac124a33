"""fit(): train a classifier from in-memory tensors and keep the weights that score best on validation.

Batches are slices of a tensor already on the device; shuffles and augmentation draw from one
seeded CPU generator, so the data order is the same on every device. Under torchrun every rank
draws the same global batches and computes its contiguous share (digits/distributed/sharding.py),
so the data order is the same at every world size too.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from digits.core.params import TrainParams
from digits.core.runtime import train_in_bf16
from digits.data.splits import Normalization, Split
from digits.distributed.ddp import copy_buffers_from_rank0, gather_rows, sum_over_ranks, wrap
from digits.distributed.sharding import share
from digits.distributed.world import ONE_PROCESS, World
from digits.evaluation.metrics import logits_loss_and_accuracy
from digits.model.networks import build_model, predict_logits
from digits.training.augment import Augmentation
from digits.training.batches import TrainingSet, epoch_batches, training_set
from digits.training.optimization import make_optimizer, make_schedule
from digits.training.progress import heartbeat


@dataclass(frozen=True)
class EpochStats:
    epoch: int  # 1-based
    # Means over the epoch's augmented batches, from the logits the optimizer stepped on (weights still moving):
    train_loss: float  # plain cross-entropy, no label smoothing: the same measure as val_loss
    train_smoothed_loss: float  # the objective minimised: cross-entropy with label smoothing (train_loss at 0)
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


@dataclass
class Trainer:
    """What one fit() call updates step by step."""

    model: nn.Module  # the model, or DDP around it when there are several processes
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    averaged: AveragedModel | None  # the EMA of the weights, when params.ema_decay > 0
    generator: torch.Generator  # CPU: shuffles and augmentation, the same on every device and rank
    augmentation: Augmentation
    amp: bool  # bfloat16 autocast (runtime.train_in_bf16)
    world: World


def model_args(params: TrainParams) -> dict[str, object]:
    """The architecture arguments the chosen model is built from (stored in checkpoints)."""
    if params.model == "mlp":
        return {"hidden": list(params.mlp_hidden)}
    return {"channels": list(params.cnn_channels)}


def init_model(params: TrainParams) -> nn.Module:
    """The chosen architecture with weights drawn from `params.seed`."""
    torch.manual_seed(params.seed)
    return build_model(params.model, model_args(params))


def augmentation(params: TrainParams, norm: Normalization, epoch: int) -> Augmentation:
    """The epoch's augmentation: in the last `params.plain_epochs` epochs only the shifts, rotations
    and zooms (MNIST's own variety), so training ends on images like the ones it is judged on."""
    if epoch > params.epochs - params.plain_epochs:
        return Augmentation(params.max_shift, params.max_rotation, params.max_scale, norm)
    return Augmentation(
        params.max_shift,
        params.max_rotation,
        params.max_scale,
        norm,
        params.max_stretch,
        params.max_shear,
        params.box_fill,
        params.stroke_width,
        params.elastic,
        params.speckle,
        params.blur,
        params.low_resolution,
    )


def rank_batch(
    images: torch.Tensor, labels: torch.Tensor, batch: torch.Tensor, draws: torch.Tensor, part: slice, trainer: Trainer
) -> tuple[torch.Tensor, torch.Tensor]:
    """Part `part` of a global batch (indices (B,), augmentation draws (k, B, ...)), augmented:
    images (b, 1, 28, 28) and labels (b,)."""
    index = batch[part].to(labels.device)
    return trainer.augmentation.apply(images[index], draws[:, part]), labels[index]


def train_epoch(trainer: Trainer, data: TrainingSet, params: TrainParams, desc: str) -> tuple[float, float, float]:
    """One pass over shuffled full batches (the short last one is dropped);
    (mean plain cross-entropy, mean label-smoothed loss, accuracy)."""
    trainer.model.train()
    totals = torch.zeros(3, device=data.labels.device)  # plain loss sum, smoothed loss sum, correct (this rank's share)
    size, steps = params.batch_size, data.steps(params.batch_size)
    mine = share(size, trainer.world.rank, trainer.world.size)
    batches = epoch_batches(data, size, trainer.generator)  # (B,) global batches, the same on every rank
    beat = heartbeat(desc, steps, trainer.world.writer)
    bar = tqdm(batches, total=steps, desc=desc, disable=None if trainer.world.writer else True, leave=False)
    for done, batch in enumerate(bar, 1):
        draws = trainer.augmentation.draw(size, trainer.generator)
        x, y = rank_batch(data.images, data.labels, batch, draws, mine, trainer)
        with torch.autocast(data.labels.device.type, dtype=torch.bfloat16, enabled=trainer.amp):
            logits = trainer.model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=params.label_smoothing)
        trainer.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        trainer.optimizer.step()
        trainer.schedule.step()
        if trainer.averaged:
            trainer.averaged.update_parameters(trainer.model)
        with torch.no_grad():  # the same logits again: no extra forward pass, nothing the gradients see
            totals[0] += F.cross_entropy(logits.float(), y) * len(y)
            totals[1] += loss.detach() * len(y)
            totals[2] += (logits.argmax(1) == y).sum()
        beat.tick(done)
    plain, smoothed, correct = (total / (steps * size) for total in sum_over_ranks(totals, trainer.world).tolist())
    return plain, smoothed, correct


def validate(model: nn.Module, val: Split, batch_size: int, device: torch.device, world: World) -> tuple[float, float]:
    """(loss, accuracy) on the validation split, each rank scoring its contiguous share."""
    copy_buffers_from_rank0(model, world)  # the BatchNorm statistics the checkpoint will hold
    rows = share(len(val), world.rank, world.size)
    logits = predict_logits(model, val.images[rows], batch_size, device)  # (n, 10) on the CPU
    return logits_loss_and_accuracy(gather_rows(logits, rows, len(val), world, device), val.labels)


def fit(
    model: nn.Module,
    train: Split,
    val: Split,
    params: TrainParams,
    device: torch.device,
    on_epoch: Callable[[EpochStats], None] | None = None,
    world: World = ONE_PROCESS,
    collected: Split | None = None,
) -> History:
    """Train `model` in place; on return it holds the weights of the best validation epoch.
    `collected` (pictures people corrected) fills `params.collected_share` of every batch.

    With several processes (`world`), call it on every rank: each gets the same History and weights.
    """
    assert params.batch_size % world.size == 0, "batch_size must divide by the world size (check_batch_divides)"
    model.to(device, memory_format=torch.channels_last)  # NHWC convolutions: ~1.8x faster on CPU here
    data = training_set(train, collected, params.collected_share, params.batch_size)
    assert data.steps(params.batch_size) >= 1, "batch_size is larger than the training split"
    images = data.images.to(device, memory_format=torch.channels_last)
    data = TrainingSet(images, data.labels.to(device), data.mnist, data.collected_per_batch)
    optimizer = make_optimizer(model, params)
    ema = get_ema_multi_avg_fn(params.ema_decay)
    trainer = Trainer(
        wrap(model, world, device),
        optimizer,
        make_schedule(optimizer, params, params.epochs * data.steps(params.batch_size)),
        AveragedModel(model, multi_avg_fn=ema, use_buffers=True) if params.ema_decay else None,
        torch.Generator().manual_seed(params.seed),
        augmentation(params, train.norm, 1),
        train_in_bf16(params.amp, device),
        world,
    )
    scored = trainer.averaged.module if trainer.averaged else model  # the weights validated and kept
    history, best_state = History(), {}
    for epoch in range(1, params.epochs + 1):
        trainer.augmentation = augmentation(params, train.norm, epoch)
        start = time.perf_counter()
        losses_acc = train_epoch(trainer, data, params, f"epoch {epoch}/{params.epochs}")  # 3 floats
        val_loss, val_acc = validate(scored, val, params.batch_size * 8, device, world)
        lr = trainer.schedule.get_last_lr()[0]
        history.epochs.append(EpochStats(epoch, *losses_acc, val_loss, val_acc, lr, time.perf_counter() - start))
        if not best_state or val_acc >= history.best.val_acc:  # ties: the later, lower-lr weights
            history.best_epoch = epoch
            best_state = {
                k: v.detach().clone(memory_format=torch.contiguous_format) for k, v in scored.state_dict().items()
            }
        if on_epoch:
            on_epoch(history.epochs[-1])
    model.load_state_dict(best_state)
    return history
