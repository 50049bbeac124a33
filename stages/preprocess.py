"""DVC stage `preprocess`: IDX files -> normalized train/val/test tensor files in data/processed/.

The collected pictures are made tensors by the `collected` stage: adding some rebuilds none of MNIST's."""

from digits.core.atomic import atomic_dir
from digits.core.errors import run_main
from digits.core.params import PreprocessParams, load_params
from digits.core.paths import project_paths
from digits.data.idx import read_mnist_pair
from digits.data.splits import Normalization, build_splits, save_split


def main() -> None:
    paths = project_paths(__file__)
    params: PreprocessParams = load_params(paths.params, "preprocess")
    raw = paths.raw_dir
    train = read_mnist_pair(raw / "train-images-idx3-ubyte", raw / "train-labels-idx1-ubyte")
    test = read_mnist_pair(raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte")
    norm = Normalization(params.mean, params.std)
    with atomic_dir(paths.processed_dir) as staging:
        for name, split in build_splits(train, test, params.val_size, params.seed, norm).items():
            save_split(split, staging / f"{name}.pt")
            print(f"preprocess: {name}: {len(split)} images")


if __name__ == "__main__":
    run_main(main, "preprocess")
