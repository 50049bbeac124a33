"""DVC stage `ood`: how the model reads digits unlike MNIST's, written to metrics/ood.json.

The UCI optical digits go in as pictures through digits.data.imageprep (as `digits predict` reads
files); the robustness suite varies MNIST's test digits. Both are reported, never trained on.
"""

from digits.core.atomic import write_json
from digits.core.errors import run_main
from digits.core.params import OodParams, load_params
from digits.core.paths import project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.evaluation.figures import save_png, variant_grid
from digits.evaluation.loading import load_model_and_test
from digits.evaluation.ood.suite import robustness_metrics, robustness_rows, uci_metrics, variant_accuracies
from digits.evaluation.ood.variants import VARIANTS, make_variant
from digits.evaluation.reports import to_pixels

EXAMPLES = 10  # test digits per variant in the picture


def main() -> None:
    paths = project_paths(__file__)
    params: OodParams = load_params(paths.params, "ood")
    device = resolve_device(params.device, "ood.device")
    configure_torch("auto")
    checkpoint, test = load_model_and_test(paths)
    model = checkpoint.model.to(device)
    uci, uci_recall = uci_metrics(model, checkpoint.norm, params.batch_size, device)
    scores = variant_accuracies(model, test, params.seed, params.batch_size, device)
    robustness = robustness_metrics(scores)
    examples = to_pixels(test.images[:EXAMPLES], test.norm)  # (K, 28, 28) in [0, 1]
    pictures = {"original": examples} | {
        name: make_variant(name, examples.unsqueeze(1), params.seed)[:, 0] for name in VARIANTS
    }
    save_png(variant_grid(pictures), paths.variants_image)
    write_json(paths.uci_per_class, uci_recall)
    write_json(paths.robustness_plot, robustness_rows(scores))
    write_json(paths.ood_metrics, {"uci": uci, "robustness": robustness})  # last: says the stage finished
    print(
        f"ood: UCI digits accuracy {uci['accuracy']:.4f} on {uci['n_images']} pictures; "
        f"robustness suite mean accuracy {robustness['mean_accuracy']:.4f} over {len(VARIANTS)} variants "
        f"(worst: {robustness['worst_variant']} {robustness['worst_accuracy']:.4f})"
    )


if __name__ == "__main__":
    run_main(main, "ood")
