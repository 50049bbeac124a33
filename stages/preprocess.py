"""DVC stage `preprocess`: IDX files -> normalized train/val/test tensor files in data/processed/,
and the collected pictures (data/collected/) -> train/holdout tensor files in data/processed_collected/."""

from pathlib import Path

from digits.core.atomic import atomic_dir
from digits.core.errors import run_main
from digits.core.params import PreprocessParams, load_params
from digits.core.paths import project_paths
from digits.data.collection import collected_splits
from digits.data.idx import read_mnist_pair
from digits.data.splits import Normalization, Split, build_splits, save_split


def save_all(splits: dict[str, Split], folder: Path, label: str) -> None:
    with atomic_dir(folder) as staging:
        for name, split in splits.items():
            save_split(split, staging / f"{name}.pt")
            print(f"preprocess: {label}{name}: {len(split)} images")


def main() -> None:
    paths = project_paths(__file__)
    params: PreprocessParams = load_params(paths.params, "preprocess")
    raw = paths.raw_dir
    train = read_mnist_pair(raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte")
    test = read_mnist_pair(raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte")
    norm = Normalization(params.mean, params.std)
    collected = collected_splits(paths.collected_dir, params.collected_holdout, norm)  # read first: may refuse
    save_all(build_splits(train, test, params.val_size, params.seed, norm), paths.processed_dir, "")
    save_all(collected, paths.collected_split("train").parent, "collected ")


if __name__ == "__main__":
    run_main(main, "preprocess")
