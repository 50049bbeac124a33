"""One epoch of training and one validation pass: what fit() repeats.

Every rank draws the same global batch and the same augmentation draws from the one seeded CPU
generator, then computes its contiguous share (digits/distributed/sharding.py), so the data order and
the draws are the same at every world size.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from digits.core.params import TrainParams
from digits.data.splits import Split
from digits.distributed.ddp import copy_buffers_from_rank0, gather_rows, sum_over_ranks
from digits.distributed.sharding import share
from digits.distributed.world import World
from digits.evaluation.metrics import logits_loss_and_accuracy
from digits.model.networks import predict_logits
from digits.training.augment import Augmentation
from digits.training.batches import TrainingSet, epoch_batches, outlier_batch
from digits.training.progress import heartbeat


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


def rank_batch(
    images: torch.Tensor, labels: torch.Tensor, batch: torch.Tensor, draws: torch.Tensor, part: slice, trainer: Trainer
) -> tuple[torch.Tensor, torch.Tensor]:
    """Part `part` of a global batch (indices (B,), augmentation draws (k, B, ...)), augmented:
    images (b, 1, 28, 28) and labels (b,)."""
    index = batch[part].to(labels.device)
    return trainer.augmentation.apply(images[index], draws[:, part]), labels[index]


def member_targets(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The labels as cross_entropy wants them for `logits`: (b,), or (b, members) when an ensemble
    returns each member's logits (b, 10, members), so that every member learns every label."""
    return labels if logits.dim() == 2 else labels[:, None].expand(-1, logits.shape[-1])


def uniform_cross_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Outlier exposure's loss: the mean cross-entropy from (k, 10) logits to the uniform distribution,
    smallest when every class gets the same logit (Hendrycks et al., ICLR 2019)."""
    return (torch.logsumexp(logits, dim=1) - logits.mean(dim=1)).mean()


def with_outliers(x: torch.Tensor, data: TrainingSet, trainer: Trainer) -> torch.Tensor:
    """The rank's images, then its share of the step's outliers (augmented like the digits): (b + k, 1, 28, 28)."""
    if not data.outliers_per_batch:
        return x
    picked = outlier_batch(data, trainer.generator)  # the same draws on every rank
    draws = trainer.augmentation.draw(len(picked), trainer.generator)
    part = share(len(picked), trainer.world.rank, trainer.world.size)
    outliers = trainer.augmentation.apply(data.outliers[picked[part].to(x.device)], draws[:, part])
    return torch.cat([x, outliers.contiguous(memory_format=torch.channels_last)])


def train_step(trainer: Trainer, data: TrainingSet, batch: torch.Tensor, params: TrainParams) -> torch.Tensor:
    """One optimizer step on the global batch `batch` ((B,) indices into data.images), this rank's share of it;
    (3,) sums over the rank's images: plain cross-entropy, label-smoothed loss, correct answers."""
    size = params.batch_size
    draws = trainer.augmentation.draw(size, trainer.generator)
    x, y = rank_batch(
        data.images, data.labels, batch, draws, share(size, trainer.world.rank, trainer.world.size), trainer
    )
    x = with_outliers(x, data, trainer)
    with torch.autocast(data.labels.device.type, dtype=torch.bfloat16, enabled=trainer.amp):
        both = trainer.model(x)  # (b + k, 10), or (b + k, 10, members) from an ensemble: one BatchNorm batch
        logits, outlier_logits = both[: len(y)], both[len(y) :]
        y = member_targets(logits, y)
        smoothed = F.cross_entropy(logits.float(), y, label_smoothing=params.label_smoothing)
        loss = smoothed  # + outlier exposure's term, which the logged losses leave out: they are the digits'
        if len(outlier_logits):
            loss = loss + params.outlier_weight * uniform_cross_entropy(outlier_logits.float())
    trainer.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    trainer.optimizer.step()
    trainer.schedule.step()
    if trainer.averaged:
        trainer.averaged.update_parameters(trainer.model)
    with torch.no_grad():  # the same logits again: no extra forward pass, nothing the gradients see
        return torch.stack(
            [
                F.cross_entropy(logits.float(), y) * len(y),
                smoothed.detach() * len(y),
                (logits.argmax(1) == y).sum() / (y.numel() / len(y)),  # an ensemble's: its members' mean
            ]
        )


def train_epoch(trainer: Trainer, data: TrainingSet, params: TrainParams, desc: str) -> tuple[float, float, float]:
    """One pass over shuffled full batches (the short last one is dropped);
    (mean plain cross-entropy, mean label-smoothed loss, accuracy)."""
    trainer.model.train()
    totals = torch.zeros(3, device=data.labels.device)  # plain loss sum, smoothed loss sum, correct (this rank's share)
    size, steps = params.batch_size, data.steps(params.batch_size)
    batches = epoch_batches(data, size, trainer.generator)  # (B,) global batches, the same on every rank
    beat = heartbeat(desc, steps, trainer.world.writer)
    bar = tqdm(batches, total=steps, desc=desc, disable=None if trainer.world.writer else True, leave=False)
    for done, batch in enumerate(bar, 1):
        totals += train_step(trainer, data, batch, params)
        beat.tick(done)
    plain, smoothed, correct = (total / (steps * size) for total in sum_over_ranks(totals, trainer.world).tolist())
    return plain, smoothed, correct


def validate(model: nn.Module, val: Split, batch_size: int, device: torch.device, world: World) -> tuple[float, float]:
    """(loss, accuracy) on the validation split, each rank scoring its contiguous share."""
    copy_buffers_from_rank0(model, world)  # the BatchNorm statistics the checkpoint will hold
    rows = share(len(val), world.rank, world.size)
    logits = predict_logits(model, val.images[rows], batch_size, device)  # (n, 10) on the CPU
    return logits_loss_and_accuracy(gather_rows(logits, rows, len(val), world, device), val.labels)
