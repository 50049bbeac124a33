"""DVC stage `ood_inputs`: the `ood` stage's pictures as model inputs, made once (digits/evaluation/ood/inputs.py).

They depend on MNIST's test split and `ood.seed`, not on the model: a new model reruns `ood`, not this.
"""

from digits.core.errors import run_main
from digits.core.params import OodParams, load_params
from digits.core.paths import project_paths
from digits.data.splits import load_split
from digits.evaluation.ood.inputs import build_ood_inputs, save_ood_inputs


def main() -> None:
    paths = project_paths(__file__)
    params: OodParams = load_params(paths.params, "ood")
    inputs = build_ood_inputs(load_split(paths.split("test")), params.seed)
    save_ood_inputs(inputs, paths.ood_inputs)
    non_digits = sum(len(pixels) for pixels, _ in inputs.non_digits.values())
    print(
        f"ood_inputs: {len(inputs.uci_labels)} UCI digits ({len(inputs.uci)} upscalings), "
        f"{len(inputs.mnist_pictures)} MNIST test digits as pictures, "
        f"{non_digits} non-digits of {len(inputs.non_digits)} kinds"
    )


if __name__ == "__main__":
    run_main(main, "ood_inputs")
