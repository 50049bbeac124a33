"""DVC stage `train`: fit the model chosen in params.yaml and save a self-describing checkpoint."""

from dvclive import Live

from digits.checkpoint import save_checkpoint
from digits.data import load_split
from digits.errors import run_main
from digits.params import TrainParams, load_params
from digits.paths import project_paths
from digits.runtime import configure_torch, resolve_device
from digits.training import EpochStats, fit, init_model, model_args


def log_epoch(live: Live, stats: EpochStats) -> None:
    for split in ("train", "val"):
        live.log_metric(f"{split}/loss", getattr(stats, f"{split}_loss"))
        live.log_metric(f"{split}/acc", getattr(stats, f"{split}_acc"))
    live.next_step()
    print(
        f"train: epoch {stats.epoch}: loss {stats.train_loss:.4f}, val loss {stats.val_loss:.4f}, "
        f"val acc {stats.val_acc:.4f} ({stats.seconds:.1f} s)"
    )


def main() -> None:
    paths = project_paths(__file__)
    params: TrainParams = load_params(paths.params, "train")
    device = resolve_device(params.device, "train.device")
    configure_torch(params.threads)
    train, val = load_split(paths.split("train")), load_split(paths.split("val"))
    model = init_model(params)
    # dvc.yaml declares the plots, so DVCLive only writes files (no dvc.yaml edits, no exp saves).
    with Live(str(paths.train_log_dir), dvcyaml=False, save_dvc_exp=False) as live:
        history = fit(model, train, val, params, device, on_epoch=lambda stats: log_epoch(live, stats))
        live.summary["best_epoch"] = history.best_epoch
        live.summary["best_val_acc"] = history.best.val_acc
    save_checkpoint(paths.model, model, params.model, model_args(params), train.norm, params, history.best_epoch)
    best, where = history.best, paths.model.relative_to(paths.root)
    print(f"train: saved {where} (epoch {best.epoch}, val acc {best.val_acc:.4f}, on {device})")


if __name__ == "__main__":
    run_main(main, "train")
