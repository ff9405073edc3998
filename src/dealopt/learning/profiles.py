"""The fitted buyer as weighted ``profiles``: parameter uncertainty and deal-to-deal noise.

K draws of the regression coefficients from their normal (antithetic pairs, so
they centre on the estimate) each give θ_j, w_j and τ_j. Each draw gets M quantiles
of the logistic noise, folded into its walk-away: w_jm = w_j + τ_j·logit(q_jm). The
K·M quantiles interleave on one grid, q = (m·K + j + ½)/(K·M), so even when the
draws agree the noise is a K·M-point grid. Every profile has probability 1/(K·M).
A package's acceptance probability under the profiles (the share whose walk-away
it clears) is then Σ_j Σ_m 1[U(θ_j) ≥ w_jm] / KM ≈ mean_j σ((U(θ_j) − w_j)/τ_j):
the fitted win probability with the parameters' uncertainty, within 1/(2KM).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.learning.fit import ChoiceFit
from dealopt.model.parameters import resolve_parameters

__all__ = ["DRAWS", "QUANTILES", "Draws", "draw", "fitted_data"]

#: Parameter draws (even: antithetic pairs).
DRAWS = 4
#: Noise quantiles per draw.
QUANTILES = 8


@dataclass(frozen=True)
class Draws:
    """θ, w and τ per draw (K rows) and the walk-away of every profile (K × M)."""

    theta: np.ndarray  # (K, k)
    walk_away: np.ndarray  # (K,)
    scale: np.ndarray  # (K,)
    profile_walk_away: np.ndarray  # (K, M)


def draw(fit: ChoiceFit, seed: int, draws: int = DRAWS, quantiles: int = QUANTILES) -> Draws:
    """The K·M profiles' numbers, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    b, cov = fit.logit.beta, fit.logit.cov
    half = rng.standard_normal((max(draws // 2, 1), len(b)))
    z = np.vstack([half, -half])[:draws] if draws > 1 else np.zeros((1, len(b)))
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    betas = b + z @ root.T
    betas[betas[:, 0] <= 0] = b  # a draw with no money scale (far in the tail) falls back on the estimate
    tau = 1.0 / betas[:, 0]
    theta = betas[:, 1:-1] * tau[:, None]
    w = -betas[:, -1] * tau
    k, m = len(betas), quantiles
    q = (np.arange(m)[None, :] * k + np.arange(k)[:, None] + 0.5) / (k * m)
    noise = np.log(q / (1.0 - q))
    return Draws(theta, w, tau, w[:, None] + tau[:, None] * noise)


def _rounded(x: float) -> float:
    """A number as written in the fitted file: 6 significant digits."""
    return float(f"{x:.6g}")


def _buyer_terms(data: dict[str, Any], names: tuple[str, ...], theta: np.ndarray) -> list[Any]:
    """The buyer's utility terms with the parameters set (plain numbers): the expected utility for profiles."""
    scenario = copy.deepcopy(data)
    scenario["parameters"] = {**scenario.get("parameters", {}), **dict(zip(names, map(float, theta), strict=True))}
    buyer = resolve_parameters(scenario).data["parties"]["buyer"]
    if buyer.get("utility") is not None:
        return list(buyer["utility"])
    profiles = buyer["profiles"]
    total = sum(float(p["probability"]) for p in profiles)
    terms = []
    for p in profiles:
        share = float(p["probability"]) / total
        for t in p["utility"]:
            terms.append({**t, "coef": float(t.get("coef", 1.0)) * share})
    return terms


def fitted_data(data: dict[str, Any], fit: ChoiceFit, draws: Draws, name: str | None = None) -> dict[str, Any]:
    """The model's file data with the buyer replaced by the fitted profiles; unused parameters dropped."""
    out = copy.deepcopy(data)
    k, m = draws.profile_walk_away.shape
    profiles = []
    for j in range(k):
        terms = _buyer_terms(data, fit.names, draws.theta[j])
        for q in range(m):
            profiles.append(
                {
                    "name": f"fit_{j + 1}_{q + 1}",
                    "probability": 1.0 / (k * m),
                    "walk_away": _rounded(float(draws.profile_walk_away[j, q])),
                    "utility": copy.deepcopy(terms),
                }
            )
    out["parties"]["buyer"] = {"profiles": profiles}
    if name is not None:
        out["name"] = name
    params = dict(out.get("parameters") or {})
    if params:
        used = resolve_parameters(out).uses
        kept = {n: v for n, v in params.items() if n in used}
        if kept:
            out["parameters"] = kept
        else:
            out.pop("parameters", None)
    return out
