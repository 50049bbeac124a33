"""Every file the pipeline reads or writes, relative to the project root (the folder of dvc.yaml).

dvc.yaml lists the same paths; tests/unit/test_dvc_yaml.py checks that the two agree.
"""

from dataclasses import dataclass
from pathlib import Path

PARAMS = "params.yaml"
RAW_DIR = "data/raw"  # decompressed IDX files, one per name in params.MNIST_FILES
PROCESSED_DIR = "data/processed"  # train.pt, val.pt, test.pt
SPLITS = ("train", "val", "test")
COLLECTED_DIR = "data/collected"  # pictures people corrected or imported: <digit>/<sha256>.png (`dvc add`)
COLLECTED_SPLITS_DIR = "data/processed_collected"  # train.pt, holdout.pt: the collected pictures, normalized
COLLECTED_SPLITS = ("train", "holdout")
OOD_INPUTS = "data/ood_inputs.pt"  # the ood stage's pictures as model inputs (UCI, MNIST test, non-digits)
MNIST_MODEL = "models/mnist.pt"  # trained on MNIST alone (train)
MODEL = "models/model.pt"  # what every consumer reads: the MNIST model adapted to the collected pictures (adapt)
TRAIN_LOG_DIR = "metrics/train"  # DVCLive: metrics.json and plots/metrics/{train,val}/*.tsv
TEST_METRICS = "metrics/test.json"  # the headline: accuracy, loss (NLL), ECE, Brier, macro F1, collected holdout
SELECTIVE_METRICS = "metrics/selective.json"  # test: AURC per score, errors at 99% coverage, the decisions' shares
RISK_COVERAGE = "metrics/plots/risk_coverage.json"  # {set, coverage, risk} rows of the MNIST test set
PER_CLASS = "metrics/plots/per_class.json"  # one {digit, precision, recall, f1} row per digit (a plot, not a metric)
CONFUSION = "metrics/plots/confusion.json"  # one {actual, predicted} row per test image
CALIBRATION = "metrics/plots/calibration.json"  # reliability diagram: confidence vs accuracy per bin
ERRORS_IMAGE = "metrics/plots/errors.png"  # the most confidently wrong test digits
OOD_METRICS = "metrics/ood.json"  # UCI digits: accuracy; robustness suite: mean and worst variant's accuracy
UCI_PER_CLASS = "metrics/plots/uci_per_class.json"  # one {digit, recall} row per digit of the UCI digits
ROBUSTNESS_PLOT = "metrics/plots/robustness.json"  # one {variant, accuracy} row per variant
UCI_RISK_COVERAGE = "metrics/plots/uci_risk_coverage.json"  # {set, coverage, risk} rows of the UCI digits
NOT_A_DIGIT_PLOT = "metrics/plots/not_a_digit.json"  # one {kind, auroc, fpr_at_95_tpr} row per non-digit kind
NON_DIGITS_IMAGE = "metrics/plots/non_digits.png"  # examples of each non-digit kind, as the model sees them
VARIANTS_IMAGE = "metrics/plots/variants.png"  # test digits under each variant of the suite


@dataclass(frozen=True)
class ProjectPaths:
    root: Path

    @property
    def params(self) -> Path:
        return self.root / PARAMS

    @property
    def raw_dir(self) -> Path:
        return self.root / RAW_DIR

    @property
    def processed_dir(self) -> Path:
        return self.root / PROCESSED_DIR

    def split(self, name: str) -> Path:
        assert name in SPLITS, name
        return self.root / PROCESSED_DIR / f"{name}.pt"

    @property
    def collected_dir(self) -> Path:
        return self.root / COLLECTED_DIR

    def collected_split(self, name: str) -> Path:
        assert name in COLLECTED_SPLITS, name
        return self.root / COLLECTED_SPLITS_DIR / f"{name}.pt"

    @property
    def ood_inputs(self) -> Path:
        return self.root / OOD_INPUTS

    @property
    def mnist_model(self) -> Path:
        return self.root / MNIST_MODEL

    @property
    def model(self) -> Path:
        return self.root / MODEL

    @property
    def train_log_dir(self) -> Path:
        return self.root / TRAIN_LOG_DIR

    @property
    def test_metrics(self) -> Path:
        return self.root / TEST_METRICS

    @property
    def per_class(self) -> Path:
        return self.root / PER_CLASS

    @property
    def confusion(self) -> Path:
        return self.root / CONFUSION

    @property
    def calibration(self) -> Path:
        return self.root / CALIBRATION

    @property
    def errors_image(self) -> Path:
        return self.root / ERRORS_IMAGE

    @property
    def selective_metrics(self) -> Path:
        return self.root / SELECTIVE_METRICS

    @property
    def risk_coverage(self) -> Path:
        return self.root / RISK_COVERAGE

    @property
    def uci_risk_coverage(self) -> Path:
        return self.root / UCI_RISK_COVERAGE

    @property
    def not_a_digit_plot(self) -> Path:
        return self.root / NOT_A_DIGIT_PLOT

    @property
    def non_digits_image(self) -> Path:
        return self.root / NON_DIGITS_IMAGE

    @property
    def ood_metrics(self) -> Path:
        return self.root / OOD_METRICS

    @property
    def uci_per_class(self) -> Path:
        return self.root / UCI_PER_CLASS

    @property
    def robustness_plot(self) -> Path:
        return self.root / ROBUSTNESS_PLOT

    @property
    def variants_image(self) -> Path:
        return self.root / VARIANTS_IMAGE


def project_paths(stage_file: str) -> ProjectPaths:
    """Paths for the project whose stages/ folder holds `stage_file` (a stage's __file__)."""
    return ProjectPaths(Path(stage_file).resolve().parents[1])
