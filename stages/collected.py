"""DVC stage `collected`: the folder of pictures people corrected (data/collected/), made if missing, checked,
versioned by DVC as this stage's output, and made tensors in data/processed_collected/ (train.pt, holdout.pt,
normalized like MNIST), on their own so that adding pictures rebuilds none of MNIST's.

The stage owns the folder so that a fresh clone reproduces with `dvc repro` alone: a folder tracked by
`dvc add` that is empty is in no clone (Git keeps no empty folders) nor in a new DVC cache, and DVC stops
at it with "missing data 'source'". The output is `persist`: DVC keeps the pictures when it reruns the
stage, which it does when they change, and then records the new version in dvc.lock and the cache.
"""

from collections import Counter
from pathlib import Path

from digits.core.atomic import atomic_dir, write_text
from digits.core.errors import run_main
from digits.core.params import CollectedParams, PreprocessParams, load_params
from digits.core.paths import project_paths
from digits.data.collection import Collection, collected_splits
from digits.data.splits import Normalization, save_split

# Beside the pictures, ignored by DVC (.dvcignore): the hash of an empty collection stays that of an empty
# folder, and DVC does not warn that the output is empty on every fresh clone.
NOTE = """\
Pictures people corrected: <digit>/<sha256 of the PNG>.png, 28x28 grayscale, as the model saw them.
`digits collect FILES --label D` or `digits serve --collect data/collected` add them; `dvc repro` versions
them (the `collected` stage's output) and trains on them. See docs/collected-data.md.
"""


def write_note(folder: Path) -> None:
    note = folder / "README.md"
    if not note.exists():
        write_text(note, NOTE)


def main() -> None:
    paths = project_paths(__file__)
    params: CollectedParams = load_params(paths.params, "collected")
    mnist: PreprocessParams = load_params(paths.params, "preprocess")  # normalized as MNIST is: mean, std
    collection = Collection(paths.collected_dir)  # made when missing; a killed writer's temporaries swept
    write_note(paths.collected_dir)
    pictures = collection.pictures()
    # every picture read: a stray or edited file stops the stage before DVC versions it
    splits = collected_splits(paths.collected_dir, params.holdout, Normalization(mnist.mean, mnist.std))
    with atomic_dir(paths.collected_split("train").parent) as staging:
        for name, split in splits.items():
            save_split(split, staging / f"{name}.pt")
    counts = Counter(label for _, label in pictures)
    per_digit = ", ".join(f"{digit}: {counts[digit]}" for digit in sorted(counts))
    noun = "picture" if len(pictures) == 1 else "pictures"
    print(f"collected: {len(pictures)} {noun} in {paths.collected_dir.name}/" + (f" ({per_digit})" if counts else ""))
    if pictures:
        print(f"collected: {len(splits['train'])} to train on, {len(splits['holdout'])} held out to measure")


if __name__ == "__main__":
    run_main(main, "collected")
