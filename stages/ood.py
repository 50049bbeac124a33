"""DVC stage `ood`: how the model reads digits unlike MNIST's, and what it says of pictures that are
no digit, written to metrics/ood.json.

The UCI optical digits, MNIST's test digits and the generated non-digits go in as pictures through
digits.data.imageprep (as `digits predict` reads files), made once by the `ood_inputs` stage; the robustness
suite varies MNIST's test digits. All are reported, never trained on.
"""

import torch

from digits.core.atomic import write_json
from digits.core.errors import run_main
from digits.core.params import OodParams, load_params
from digits.core.paths import project_paths
from digits.core.runtime import configure_torch, resolve_device
from digits.evaluation.figures import save_png, variant_grid
from digits.evaluation.loading import load_model_and_test
from digits.evaluation.ood.inputs import load_ood_inputs
from digits.evaluation.ood.rejection import non_digit_report
from digits.evaluation.ood.suite import robustness_metrics, robustness_rows, uci_metrics, variant_accuracies
from digits.evaluation.ood.variants import VARIANTS, make_variant
from digits.evaluation.reports import to_pixels
from digits.evaluation.selective import selective_metrics
from digits.model.confidence import sureness
from digits.model.networks import predict_logits

EXAMPLES = 10  # pictures per variant, and per kind of non-digit, in the example images


def main() -> None:
    paths = project_paths(__file__)
    params: OodParams = load_params(paths.params, "ood")
    bins = load_params(paths.params, "evaluate").calibration_bins  # ECE as evaluate computes it
    device = resolve_device(params.device, "ood.device")
    configure_torch("auto")
    checkpoint, test = load_model_and_test(paths)
    model, inputs = checkpoint.model.to(device), load_ood_inputs(paths.ood_inputs)
    uci, uci_recall, uci_curve = uci_metrics(model, inputs.uci, inputs.uci_labels, params.batch_size, device, bins)
    scores = variant_accuracies(model, test, params.seed, params.batch_size, device)
    robustness = robustness_metrics(scores)
    logits = predict_logits(model, inputs.mnist_pictures, params.batch_size, device)  # (N, 10)
    correct = logits.argmax(1) == test.labels
    pictures = {k: v for k, v in selective_metrics(sureness(logits), correct).items() if k.startswith("errors_at")}
    mnist = {"accuracy": round(float(correct.double().mean()), 6), **pictures}
    kinds = inputs.non_digits
    not_a_digit, kind_rows = non_digit_report(model, logits, kinds, test.norm, params.batch_size, device)
    examples = to_pixels(test.images[:EXAMPLES], test.norm)  # (K, 28, 28) in [0, 1]
    variants = {"original": examples} | {
        name: make_variant(name, examples.unsqueeze(1), params.seed)[:, 0] for name in VARIANTS
    }
    save_png(variant_grid(variants), paths.variants_image)
    save_png(
        variant_grid({k: torch.from_numpy(p[:EXAMPLES]) / 255 for k, (p, _) in kinds.items()}), paths.non_digits_image
    )
    write_json(paths.uci_per_class, uci_recall)
    write_json(paths.uci_risk_coverage, uci_curve)
    write_json(paths.robustness_plot, robustness_rows(scores))
    write_json(paths.not_a_digit_plot, kind_rows)
    metrics = {"uci": uci, "robustness": robustness, "mnist_as_pictures": mnist, "not_a_digit": not_a_digit}
    write_json(paths.ood_metrics, metrics)  # last: says the stage finished
    print(
        f"ood: UCI digits accuracy {uci['accuracy']:.4f} on {uci['n_images']} pictures "
        f"(ECE {uci['ece']:.4f}, error {uci['error_at_90pct_coverage']:.2%} among the surest 90%); "
        f"robustness suite mean accuracy {robustness['mean_accuracy']:.4f} over {len(VARIANTS)} variants "
        f"(worst: {robustness['worst_variant']} {robustness['worst_accuracy']:.4f}); MNIST test as pictures: "
        f"{mnist['accuracy']:.4f}, errors among the surest 99% / 99.5%: {mnist['errors_at_99pct']} / "
        f"{mnist['errors_at_99_5pct']}; not a digit: worst AUROC {not_a_digit['worst_auroc']:.4f} "
        f"({not_a_digit['worst_kind']})"
    )


if __name__ == "__main__":
    run_main(main, "ood")
