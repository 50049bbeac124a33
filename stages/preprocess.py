"""DVC stage `preprocess`: IDX files -> normalized train/val/test tensor files in data/processed/."""

from digits.atomic import atomic_dir
from digits.data import Normalization, build_splits, save_split
from digits.errors import run_main
from digits.idx import read_mnist_pair
from digits.params import PreprocessParams, load_params
from digits.paths import project_paths


def main() -> None:
    paths = project_paths(__file__)
    params: PreprocessParams = load_params(paths.params, "preprocess")
    raw = paths.raw_dir
    train = read_mnist_pair(raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte")
    test = read_mnist_pair(raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte")
    splits = build_splits(train, test, params.val_size, params.seed, Normalization(params.mean, params.std))
    with atomic_dir(paths.processed_dir) as staging:
        for name, split in splits.items():
            save_split(split, staging / paths.split(name).name)
            print(f"preprocess: {name}: {len(split)} images")


if __name__ == "__main__":
    run_main(main, "preprocess")
