"""fit(): train a classifier from in-memory tensors and keep the weights that score best on validation.

Batches are slices of a tensor already on the device; shuffles and augmentation draw from one
seeded CPU generator, so the data order is the same on every device. Under torchrun every rank
draws the same global batches and computes its contiguous share (digits/distributed/sharding.py),
so the data order is the same at every world size too. One epoch, and one validation pass, are
digits/training/epoch.py's.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from digits.core.params import TrainParams
from digits.core.runtime import train_in_bf16
from digits.data.splits import Normalization, Split, normalize
from digits.distributed.ddp import wrap
from digits.distributed.world import ONE_PROCESS, World
from digits.model.networks import build_model
from digits.training.augment import Augmentation
from digits.training.batches import TrainingSet, training_set
from digits.training.epoch import Trainer, train_epoch, validate
from digits.training.optimization import make_optimizer, make_schedule
from digits.training.outliers import outlier_pixels

OUTLIER_VIEWS = 8  # the pool of synthetic non-digits holds one for every 8 drawn in training (each is augmented)


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


def architecture(params: TrainParams) -> tuple[str, dict[str, object]]:
    """The name and arguments the chosen model is built from (stored in checkpoints): the network,
    or an ensemble of `params.members` of them."""
    mlp = params.model == "mlp"
    args: dict[str, object] = {"hidden": list(params.mlp_hidden)} if mlp else {"channels": list(params.cnn_channels)}
    if params.members == 1:
        return params.model, args
    return "ensemble", {"members": params.members, "member": params.model, "args": args}


def init_model(params: TrainParams) -> nn.Module:
    """The chosen architecture with weights drawn from `params.seed` (an ensemble's members one after another)."""
    torch.manual_seed(params.seed)
    return build_model(*architecture(params))


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


def with_outlier_pool(data: TrainingSet, params: TrainParams, norm: Normalization, steps: int) -> TrainingSet:
    """The training set plus a pool of synthetic non-digits from `params.seed` for `steps` optimizer steps,
    when outlier_share > 0."""
    if not params.outlier_share:
        return data
    per_batch = max(1, round(params.outlier_share * params.batch_size))
    # MNIST's default: 8 per batch x 429 steps x 9 epochs / 8 = 3,861 pictures, drawn in about 4 s
    count = math.ceil(per_batch * steps / OUTLIER_VIEWS)
    pool = normalize(outlier_pixels(count, params.seed).numpy(), norm)  # (count, 1, 28, 28) float32
    return TrainingSet(data.images, data.labels, data.mnist, data.collected_per_batch, pool, per_batch)


def fit(
    model: nn.Module,
    train: Split,
    val: Split,
    params: TrainParams,
    device: torch.device,
    on_epoch: Callable[[EpochStats], None] | None = None,
    world: World = ONE_PROCESS,
) -> History:
    """Train `model` in place; on return it holds the weights of the best validation epoch.
    (The pictures people corrected come later, in digits/training/adapt.py.)

    With several processes (`world`), call it on every rank: each gets the same History and weights.
    """
    assert params.batch_size % world.size == 0, "batch_size must divide by the world size (check_batch_divides)"
    model.to(device, memory_format=torch.channels_last)  # NHWC convolutions: ~1.8x faster on CPU here
    data = training_set(train, None, 0.0, params.batch_size)
    data = with_outlier_pool(data, params, train.norm, data.steps(params.batch_size) * params.epochs)
    assert data.steps(params.batch_size) >= 1, "batch_size is larger than the training split"
    data = data.to(device)
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
