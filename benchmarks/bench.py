"""Speed and memory of the pipeline against the PyTorch tutorial's way, measured side by side.

Run from the repo root after `dvc repro` (it reads data/raw and data/processed):  python -m benchmarks.bench
Prints seconds, images per second and ratios; every ratio compares two runs made here, now.
"""

import dataclasses
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml
from torch import nn
from torchvision import datasets, transforms

from digits.core.params import load_params
from digits.core.paths import ProjectPaths
from digits.core.runtime import configure_torch
from digits.data.idx import read_mnist_pair
from digits.data.splits import Normalization, build_splits, load_split
from digits.model.networks import MLP, predict_logits
from digits.training.fit import fit, init_model

ROOT = Path(__file__).resolve().parents[1]
PATHS = ProjectPaths(ROOT)
CPU = torch.device("cpu")
TUTORIAL = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def torchvision_mnist(train: bool, transform: object) -> datasets.MNIST:
    """torchvision's MNIST dataset over our verified data/raw files (linked, not copied)."""
    root = Path(tempfile.mkdtemp(prefix="bench-mnist-"))
    (root / "MNIST" / "raw").mkdir(parents=True)
    for file in PATHS.raw_dir.iterdir():
        (root / "MNIST" / "raw" / file.name).symlink_to(file)
    return datasets.MNIST(str(root), train=train, download=False, transform=transform)


def tutorial_epoch(model: nn.Module, loader: torch.utils.data.DataLoader) -> float:
    """One epoch the tutorial's way: DataLoader + per-sample transforms, SGD, batch 64. Seconds."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.003, momentum=0.9)
    start = time.perf_counter()
    for images, labels in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def compare_training_loops(epochs: int) -> None:
    loader = torch.utils.data.DataLoader(torchvision_mnist(True, TUTORIAL), batch_size=64, shuffle=True)
    theirs = min(tutorial_epoch(MLP((128, 64)), loader) for _ in range(epochs)) / len(loader.dataset)
    train, val = load_split(PATHS.split("train")), load_split(PATHS.split("val"))
    params = dataclasses.replace(
        load_params(PATHS.params, "train"),
        model="mlp",
        optimizer="sgd",
        lr=0.003,
        momentum=0.9,
        batch_size=64,
        schedule="constant",
        max_shift=0,
        max_rotation=0.0,
        max_scale=0.0,
        label_smoothing=0.0,
        ema_decay=0.0,
        epochs=epochs,
        device="cpu",
    )
    history = fit(init_model(params), train, val, params, CPU)
    ours = min(s.seconds for s in history.epochs) / len(train)
    print("training loop, tutorial MLP 784-128-64-10, batch 64, SGD (best of", epochs, "epochs):")
    print(f"  tutorial (DataLoader + ToTensor/Normalize per sample): {theirs * 60_000:6.2f} s per 60,000 images")
    print(f"  ours (tensor slices in memory, incl. validation pass): {ours * 60_000:6.2f} s per 60,000 images")
    print(f"  speed-up: {theirs / ours:.1f}x")


def compare_preprocessing() -> None:
    start = time.perf_counter()
    raw = PATHS.raw_dir
    train = read_mnist_pair(raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte")
    test = read_mnist_pair(raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte")
    build_splits(train, test, 5000, 0, Normalization(0.5, 0.5))
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for split in (True, False):
        dataset = torchvision_mnist(split, TUTORIAL)
        torch.stack([dataset[i][0] for i in range(len(dataset))])
    theirs = time.perf_counter() - start
    print("preprocessing all 70,000 images:")
    print(f"  per-sample torchvision ToTensor + Normalize: {theirs:6.2f} s")
    print(f"  our preprocess code (vectorized):            {ours:6.2f} s")
    print(f"  speed-up: {theirs / ours:.1f}x")


def default_model_throughput(steps: int) -> None:
    params = load_params(PATHS.params, "train")
    train, val = load_split(PATHS.split("train")), load_split(PATHS.split("val"))
    subset = dataclasses.replace(
        train, images=train.images[: steps * params.batch_size], labels=train.labels[: steps * params.batch_size]
    )
    model = init_model(dataclasses.replace(params, device="cpu"))
    history = fit(model, subset, val, dataclasses.replace(params, epochs=1, device="cpu"), CPU)
    test = load_split(PATHS.split("test"))
    start = time.perf_counter()
    predict_logits(model, test.images, 1000, CPU)
    evaluate_seconds = time.perf_counter() - start
    print(f"default model ({params.model} {list(params.cnn_channels)}), {torch.get_num_threads()} threads:")
    print(f"  training:   {len(subset) / history.epochs[0].seconds:8.0f} images/s (incl. a validation pass)")
    print(f"  evaluation: {len(test) / evaluate_seconds:8.0f} images/s")


def train_stage_peak_rss() -> None:
    """Run the real train stage (1 epoch) on a copy of the project; report the child's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        copy = Path(folder)
        for name in ("digits", "stages"):
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        params = yaml.safe_load(PATHS.params.read_text())
        params["train"]["epochs"] = 1
        (copy / "params.yaml").write_text(yaml.safe_dump(params))
        (copy / "data").mkdir()
        (copy / "data" / "processed").symlink_to(PATHS.processed_dir)
        subprocess.run([sys.executable, "-m", "stages.train"], cwd=copy, check=True, capture_output=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB
    print(f"train stage (1 epoch, default params): peak RSS {peak_kib / 1024**2:.2f} GiB")


def main() -> None:
    configure_torch("auto")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {CPU}")
    compare_training_loops(epochs=2)
    compare_preprocessing()
    default_model_throughput(steps=100)
    train_stage_peak_rss()


if __name__ == "__main__":
    main()
