"""How well win probabilities predict outcomes on held-out quotes, against a price-only baseline."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = ["HOLDOUT", "Metrics", "auc", "brier", "calibration", "ece", "holdout_mask", "log_loss"]

#: The share of rows held out of the fit to measure it.
HOLDOUT = 0.25
_BINS = 10


@dataclass(frozen=True)
class Metrics:
    """Held-out log loss, Brier score, AUC and expected calibration error; the price-only baseline's AUC."""

    log_loss: float
    brier: float
    auc: float
    baseline_auc: float
    baseline_log_loss: float
    ece: float
    held_out: int

    def to_dict(self) -> dict[str, float | int]:
        """Plain data."""
        return asdict(self)


def holdout_mask(rows: int, seed: int) -> np.ndarray:
    """A seeded random ``HOLDOUT`` share of the rows (True = held out)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(rows, dtype=bool)
    mask[rng.permutation(rows)[: round(HOLDOUT * rows)]] = True
    return mask


def log_loss(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean negative log-likelihood."""
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.sum(w * (y * np.log(q) + (1 - y) * np.log(1 - q))) / np.sum(w))


def brier(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean squared error of the probabilities."""
    return float(np.sum(w * (p - y) ** 2) / np.sum(w))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """The probability that a won quote scores above a lost one (ties count half); NaN with one class only."""
    pos = y.astype(bool)
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration(p: np.ndarray, y: np.ndarray, w: np.ndarray, bins: int = _BINS) -> tuple[np.ndarray, ...]:
    """Per bin of predicted probability (equal width): mean predicted, observed win rate and weight."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    weight = np.bincount(which, weights=w, minlength=bins)
    pred = np.bincount(which, weights=w * p, minlength=bins)
    seen = np.bincount(which, weights=w * y, minlength=bins)
    ok = weight > 0
    return pred[ok] / weight[ok], seen[ok] / weight[ok], weight[ok]


def ece(p: np.ndarray, y: np.ndarray, w: np.ndarray, bins: int = _BINS) -> float:
    """Expected calibration error: the weighted mean gap between predicted and observed win rate over bins."""
    pred, seen, weight = calibration(p, y, w, bins)
    return float(np.sum(weight * np.abs(pred - seen)) / np.sum(weight))
