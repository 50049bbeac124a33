"""DVC stage `train`: fit the model chosen in params.yaml on MNIST and save a self-describing checkpoint,
models/mnist.pt (the `adapt` stage makes models/model.pt from it and the collected pictures).

dvc.yaml starts it through digits/distributed/launch.py: in this process when `train.processes`
is 1, else once per process under torchrun. Every process trains; one of them writes.
"""

from functools import partial

import torch
from dvclive import Live
from torch import nn

from digits.core.params import TrainParams, load_params
from digits.core.paths import ProjectPaths, project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.data.splits import Split, load_split
from digits.distributed.failures import run_worker
from digits.distributed.sharding import check_batch_divides
from digits.distributed.world import World, check_processes, local_device, process_group, wait_for_all
from digits.model.checkpoint import save_checkpoint
from digits.training.calibrate import calibrate, check_targets
from digits.training.fit import EpochStats, History, architecture, fit, init_model


def log_epoch(live: Live, stats: EpochStats) -> None:
    """One row per curve, at step = the 1-based epoch (DVCLive would count from 0)."""
    live.step = stats.epoch
    for split in ("train", "val"):
        live.log_metric(f"{split}/loss", getattr(stats, f"{split}_loss"))  # plain cross-entropy, both
        live.log_metric(f"{split}/acc", getattr(stats, f"{split}_acc"))
    live.log_metric("train/smoothed_loss", stats.train_smoothed_loss)  # the objective, with label smoothing
    live.next_step()
    print(
        f"train: epoch {stats.epoch}: loss {stats.train_loss:.4f} (smoothed {stats.train_smoothed_loss:.4f}), "
        f"val loss {stats.val_loss:.4f}, val acc {stats.val_acc:.4f} ({stats.seconds:.1f} s)"
    )


def train_and_log(
    paths: ProjectPaths, params: TrainParams, data: tuple[Split, Split], world: World, device: torch.device
) -> tuple[History, nn.Module]:
    """fit() on this rank, on (train, val); the writer also logs each epoch with DVCLive."""
    model = init_model(params)
    train, val = data
    if not world.writer:
        return fit(model, train, val, params, device, world=world), model
    # dvc.yaml declares the plots, so DVCLive only writes files (no dvc.yaml edits, no exp saves).
    with Live(str(paths.train_log_dir), dvcyaml=False, save_dvc_exp=False) as live:
        log = partial(log_epoch, live)
        history = fit(model, train, val, params, device, on_epoch=log, world=world)
        live.summary["best_epoch"] = history.best_epoch
        live.summary["best_val_acc"] = history.best.val_acc
    return history, model


def main() -> None:
    paths = project_paths(__file__)
    params: TrainParams = load_params(paths.params, "train")
    world = World.from_env()
    check_processes(world, params.processes)
    check_batch_divides(params.batch_size, world.size)
    check_targets(params)
    device = local_device(resolve_device(params.device, "train.device"), world)
    configure_torch(params.threads, world.local_size)
    data = load_split(paths.split("train")), load_split(paths.split("val"))
    with process_group(world, device) as world:
        history, model = train_and_log(paths, params, data, world, device)
        wait_for_all(world)  # no model unless every process finished
    if world.writer:
        name, args = architecture(params)
        calibration = calibrate(model, data[1], params, device)
        views = f" (views: the picture turned by 0, +-{params.tta_degrees:g} degrees)" if params.tta_degrees else ""
        print(
            f"train: temperature {calibration.temperature:.3f}{views}; not a digit below "
            f"{calibration.not_a_digit_below:.3f}, unsure below a margin of {calibration.unsure_below:.3f} "
            "(on the validation split)"
        )
        norm, epoch = data[0].norm, history.best_epoch
        save_checkpoint(paths.mnist_model, model, name, args, norm, params, epoch, calibration)
        best, where = history.best, paths.mnist_model.relative_to(paths.root)
        print(f"train: saved {where} (epoch {best.epoch}, val acc {best.val_acc:.4f}, on {device})")


if __name__ == "__main__":
    run_worker(main, "train")
