"""The logistic choice model: P(won | package) = σ((U_b(package; θ) − w) / τ).

With U_b = fixed + Σ θ_k·feature_k this is a logistic regression of ``won`` on
[fixed, features, 1] (statsmodels GLM, binomial, ``freq_weights`` for the rows'
weights): β_fixed = 1/τ, β_k = θ_k/τ, β_0 = −w/τ. The columns are scaled to unit
spread before fitting (the fixed part is in money, a feature may be 0/1) and the
coefficients scaled back. τ, θ and w, with their covariance by the delta method,
follow from β. A perfectly separated history has no maximum-likelihood fit; with
a penalty, a ridge-penalized fit (on the scaled coefficients, not the constant)
is made instead, its covariance the inverse of the penalized information.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dealopt.learning.design import Design
from dealopt.learning.errors import LearnError

__all__ = ["Z90", "LogitFit", "fit_logit", "fit_choice", "ChoiceFit", "min_rows"]

#: The normal quantile of a two-sided 90 % interval.
Z90 = 1.6448536269514722
#: Rows needed per estimated number (each parameter, the walk-away and the scale).
ROWS_PER_ESTIMATE = 10


def min_rows(parameters: int) -> int:
    """The fewest history rows that can be learned from, for ``parameters`` named parameters."""
    return ROWS_PER_ESTIMATE * (parameters + 2)


@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic regression: coefficients (the columns' order, constant last) and their covariance."""

    beta: np.ndarray
    cov: np.ndarray

    def linear(self, x: np.ndarray) -> np.ndarray:
        """The linear predictor of rows ``x`` (without the constant column)."""
        return np.asarray(x @ self.beta[:-1] + self.beta[-1], dtype=float)

    def probability(self, x: np.ndarray) -> np.ndarray:
        """The fitted win probability of rows ``x``."""
        from scipy.special import expit

        return np.asarray(expit(self.linear(x)), dtype=float)


@dataclass(frozen=True)
class ChoiceFit:
    """θ, w and τ of the buyer, with the covariance of (τ, θ…, w) and the regression they come from."""

    names: tuple[str, ...]
    theta: np.ndarray
    walk_away: float
    scale: float  # τ: the money the noise is worth (one logit)
    cov: np.ndarray  # of (τ, θ_1…θ_k, w)
    logit: LogitFit
    penalty: float

    def se(self) -> np.ndarray:
        """Standard errors of (τ, θ…, w)."""
        return np.asarray(np.sqrt(np.clip(np.diag(self.cov), 0.0, None)), dtype=float)

    def probability(self, design: Design) -> np.ndarray:
        """The fitted win probability of the design's packages."""
        return self.logit.probability(np.column_stack([design.fixed, design.features]))


def _separated(caught: list[warnings.WarningMessage]) -> bool:
    return any("separation" in str(w.message).lower() for w in caught)


def fit_logit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, penalty: float = 0.0, what: str = "") -> LogitFit:
    """Logistic regression of ``y`` on ``x`` and a constant; raises :class:`LearnError` on separation."""
    import statsmodels.api as sm
    from scipy.special import expit
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    spread = x.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    xs = np.column_stack([x / spread, np.ones(len(x))])
    model = sm.GLM(y.astype(float), xs, family=sm.families.Binomial(), freq_weights=weight)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if penalty > 0:
                alpha = np.r_[np.full(x.shape[1], penalty), 0.0]
                res = model.fit_regularized(alpha=alpha, L1_wt=0.0, maxiter=200)
                b = np.asarray(res.params, dtype=float)
            else:
                res = model.fit(maxiter=100)
                b = np.asarray(res.params, dtype=float)
        except PerfectSeparationError:
            caught.append(warnings.WarningMessage("perfect separation", UserWarning, "", 0))
            b = np.full(xs.shape[1], np.nan)
    p = expit(xs @ b) if np.all(np.isfinite(b)) else np.full(len(y), np.nan)
    if penalty <= 0 and (_separated(caught) or not np.all(np.isfinite(b)) or _perfect(p, y)):
        raise LearnError(
            f"{what}the outcome is perfectly separated: the packages won and lost can be split exactly, so the "
            "buyer's values grow without bound; expected won and lost quotes that overlap, or a penalized fit "
            "(a penalty > 0)"
        )
    info = (xs * (weight * p * (1 - p))[:, None]).T @ xs
    if penalty > 0:
        info = info + float(weight.sum()) * np.diag(np.r_[np.full(x.shape[1], penalty), 0.0])
    try:
        cov_s = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        raise LearnError(f"{what}the fit has no covariance (collinear columns); expected varied packages") from None
    unscale = np.r_[1.0 / spread, 1.0]
    return LogitFit(b * unscale, cov_s * np.outer(unscale, unscale))


def _perfect(p: np.ndarray, y: np.ndarray) -> bool:
    """Whether the fit classifies every row: finite coefficients that do exist only for separable data."""
    return bool(np.all((p > 0.5) == (y > 0.5)))


def _check_columns(design: Design, weight: np.ndarray, what: str) -> None:
    if np.ptp(design.fixed[weight > 0]) <= 1e-12 * (1.0 + np.max(np.abs(design.fixed))):
        raise LearnError(
            f"{what}the buyer's fixed utility (what it pays) is the same in every row, so nothing sets the money "
            "scale; expected quotes at different prices"
        )
    for k, name in enumerate(design.names):
        col = design.features[weight > 0, k]
        if np.ptp(col) <= 1e-12 * (1.0 + np.max(np.abs(col))):
            raise LearnError(
                f"{what}parameter {name!r} cannot be learned: what it multiplies is the same in every row; "
                "expected quotes that differ in it"
            )
    x = np.column_stack([design.fixed, design.features, np.ones(len(design.fixed))])[weight > 0]
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    x[:, -1] = 1.0
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise LearnError(
            f"{what}parameters {', '.join(design.names)} cannot be told apart: what they multiply moves together "
            "in every row; expected quotes that vary them independently"
        )


def fit_choice(design: Design, won: np.ndarray, weight: np.ndarray, penalty: float = 0.0, what: str = "") -> ChoiceFit:
    """Fit θ, w and τ (see the module's docstring); raises :class:`LearnError` when the history cannot tell them."""
    k = len(design.names)
    rows = int(np.count_nonzero(weight > 0))
    if rows < min_rows(k):
        raise LearnError(
            f"{what}too few rows: {rows} for {k} parameter{'s' if k != 1 else ''}, the walk-away and the scale; "
            f"expected at least {min_rows(k)} ({ROWS_PER_ESTIMATE} per estimated number)"
        )
    wins = float(weight[won].sum())
    if wins == 0 or wins == float(weight.sum()):
        raise LearnError(
            f"{what}every quote was {'won' if wins else 'lost'}: the outcome is constant, so nothing tells what the "
            "buyer values; expected both won and lost quotes"
        )
    _check_columns(design, weight, what)
    logit = fit_logit(np.column_stack([design.fixed, design.features]), won, weight, penalty, what)
    b, cov_b = logit.beta, logit.cov
    bf, se_f = b[0], float(np.sqrt(max(cov_b[0, 0], 0.0)))
    if not bf > Z90 * se_f:
        raise LearnError(
            f"{what}the price the buyer pays does not lower its chance of signing (the fixed part's coefficient is "
            f"{bf:.3g} ± {se_f:.2g}), so nothing sets the money scale; expected fewer wins at higher prices"
        )
    tau = 1.0 / bf
    theta = b[1 : 1 + k] * tau
    w = -b[-1] * tau
    jac = np.zeros((k + 2, k + 2))  # rows (τ, θ…, w), columns (β_fixed, β_k…, β_0)
    jac[0, 0] = -tau * tau
    for j in range(k):
        jac[1 + j, 0] = -b[1 + j] * tau * tau
        jac[1 + j, 1 + j] = tau
    jac[-1, 0] = b[-1] * tau * tau
    jac[-1, -1] = -tau
    return ChoiceFit(design.names, theta, float(w), float(tau), jac @ cov_b @ jac.T, logit, penalty)
