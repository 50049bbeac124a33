"""Does the confidence mean what it says: the temperature fit, and the figures that judge it.

The temperature is one scalar T that divides the logits, fitted by minimising the negative
log-likelihood on held-out data (Guo et al., ICML 2017, "On Calibration of Modern Neural Networks").
It is fitted here by hand (a one-parameter L-BFGS): netcal works on NumPy and torch-uncertainty's
scaler wants Lightning. ECE is the textbook sum over confidence bins, written here too: torchmetrics'
MulticlassCalibrationError computes the same figure (tests/unit/test_calibration.py checks them against each
other), but importing torchmetrics took 2.4 s (it imports torchvision, torch._dynamo and scipy.signal) of every
`evaluate` and `ood` run, a twentieth of a loop's turn.
"""

import torch
import torch.nn.functional as F


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The T > 0 that minimises the mean NLL of softmax(logits / T) on (N, C) logits and (N,) labels."""
    logits, labels = logits.double().cpu(), labels.cpu()
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)  # T = exp(log_t) stays positive
    optimizer = torch.optim.LBFGS([log_t], lr=0.5, max_iter=100, line_search_fn="strong_wolfe")

    def nll() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(nll)
    return round(float(log_t.detach().exp()), 6)


def confidence_bins(logits: torch.Tensor, labels: torch.Tensor, bins: int) -> tuple[torch.Tensor, ...]:
    """(confidence, correct, bin) of each image, each (N,): the top-class probability (float64), whether the top
    class is the label (float64), and its equal-width bin [k/bins, (k+1)/bins), a confidence of 1 in the last."""
    confidence, predicted = logits.float().softmax(1).max(1)
    which = (confidence.double() * bins).long().clamp(max=bins - 1)
    return confidence.double(), (predicted == labels).double(), which


def ece(logits: torch.Tensor, labels: torch.Tensor, bins: int) -> float:
    """Expected calibration error of the top label: over equal-width confidence bins, the gap between mean
    confidence and accuracy, each bin weighted by its share of the images (Guo et al.; L1)."""
    confidence, correct, which = confidence_bins(logits, labels, bins)
    gaps = torch.zeros(bins, dtype=torch.float64).scatter_add_(0, which, confidence - correct)  # per bin, summed
    return float(gaps.abs().sum() / len(labels))


def brier(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean over images of the squared distance between the probabilities and the one-hot label (0..2)."""
    probabilities = logits.double().softmax(1)
    return float(((probabilities - F.one_hot(labels, logits.shape[1])) ** 2).sum(1).mean())


def calibration_metrics(logits: torch.Tensor, labels: torch.Tensor, bins: int) -> dict[str, float]:
    """{ece, nll, brier} of (N, C) (calibrated) logits against (N,) labels, rounded for metrics files."""
    return {
        "ece": round(ece(logits, labels, bins), 6),
        "nll": round(float(F.cross_entropy(logits.double(), labels)), 6),
        "brier": round(brier(logits, labels), 6),
    }


def reliability_rows(logits: torch.Tensor, labels: torch.Tensor, bins: int) -> list[dict[str, float]]:
    """The calibration plot: per non-empty equal-width bin of top-class confidence, its edges, mean
    confidence, accuracy and number of images (a bin of a few images weighs little in the ECE)."""
    confidence, correct, which = confidence_bins(logits, labels, bins)
    rows = []
    for b in range(bins):
        members = which == b
        if not members.any():
            continue
        rows.append(
            {
                "bin": b,
                "lower": round(b / bins, 6),
                "upper": round((b + 1) / bins, 6),
                "confidence": round(confidence[members].mean().item(), 6),
                "accuracy": round(correct[members].mean().item(), 6),
                "images": int(members.sum()),
            }
        )
    return rows
