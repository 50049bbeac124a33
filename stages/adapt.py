"""DVC stage `adapt`: the loop's turn. models/mnist.pt fine-tuned on the collected training pictures with
MNIST replay (digits/training/adapt.py), recalibrated on MNIST's validation split, saved as models/model.pt,
the model every consumer reads. Adding pictures reruns this stage and those after it, not MNIST's training.

With no collected pictures to train on (or `adapt.steps` 0), models/model.pt is a byte copy of
models/mnist.pt: the same model and metrics as a pipeline without the loop.
"""

import shutil
from dataclasses import asdict

from digits.core.atomic import atomic_file
from digits.core.errors import run_main
from digits.core.params import AdaptParams, TrainParams, load_params, parse_section
from digits.core.paths import ProjectPaths, project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.data.splits import Split, load_split
from digits.distributed.world import ONE_PROCESS
from digits.model.checkpoint import load_checkpoint, save_checkpoint

SCORING_BATCH = 1024  # images per forward pass when scoring (validation, the collected pictures)


def keep_base(paths: ProjectPaths, why: str) -> None:
    with atomic_file(paths.model) as tmp:
        shutil.copyfile(paths.mnist_model, tmp)
    print(f"adapt: {why}: {paths.model.relative_to(paths.root)} is {paths.mnist_model.relative_to(paths.root)}")


def main() -> None:
    paths = project_paths(__file__)
    params: AdaptParams = load_params(paths.params, "adapt")
    collected = load_split(paths.collected_split("train"), allow_empty=True)
    if not len(collected) or not params.steps:
        keep_base(paths, "no collected pictures to train on" if params.steps else "adapt.steps is 0")
        return
    fine_tune(paths, params, collected)


def fine_tune(paths: ProjectPaths, params: AdaptParams, collected: Split) -> None:
    # imported here: the training stack (torchvision, scikit-learn) takes seconds to import, which the byte copy
    # above, every run of a pipeline with no collected pictures, need not pay
    from digits.training.adapt import adapt
    from digits.training.calibrate import calibrate
    from digits.training.epoch import validate

    base = load_checkpoint(paths.mnist_model)
    where = paths.mnist_model.relative_to(paths.root)
    recipe: TrainParams = parse_section(TrainParams, base.train_params, f"{where}: train params")  # as trained
    device = resolve_device(recipe.device, "train.device")
    configure_torch(recipe.threads)
    network, mnist, val = base.model.network, load_split(paths.split("train")), load_split(paths.split("val"))
    before = validate(network, val, SCORING_BATCH, device, ONE_PROCESS)[1]
    seconds = adapt(network, mnist, collected, recipe, params, device)
    after = validate(network, val, SCORING_BATCH, device, ONE_PROCESS)[1]
    learned = validate(network, collected, SCORING_BATCH, device, ONE_PROCESS)[1]
    calibration = calibrate(network, val, recipe, device)
    adaptation = {"pictures": len(collected), **asdict(params)}
    norm, epoch = base.norm, base.best_epoch
    save_checkpoint(
        paths.model,
        network,
        base.architecture,
        base.model_args,
        norm,
        base.train_params,
        epoch,
        calibration,
        adaptation,
    )
    print(
        f"adapt: {len(collected)} collected pictures, {params.steps} steps in {seconds:.1f} s on {device}: "
        f"val acc {before:.4f} -> {after:.4f}, collected (trained on) {learned:.4f}; "
        f"temperature {calibration.temperature:.3f}"
    )


if __name__ == "__main__":
    run_main(main, "adapt")
