"""What the ood stage keeps as metrics (the mean and the worst variant) and what goes to the plot file."""

from digits.evaluation.ood.suite import robustness_metrics, robustness_rows

SCORES = {"thin": 0.94, "thick": 0.99, "broken": 0.94, "blurred": 1.0}


def test_robustness_metrics_are_the_mean_and_the_first_worst_variant() -> None:
    assert robustness_metrics(SCORES) == {"mean_accuracy": 0.9675, "worst_accuracy": 0.94, "worst_variant": "thin"}


def test_every_variant_goes_to_the_plot_rows_in_order() -> None:
    assert robustness_rows(SCORES) == [{"variant": name, "accuracy": score} for name, score in SCORES.items()]
