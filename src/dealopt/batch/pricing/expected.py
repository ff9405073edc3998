"""``expected_best_price``: the price that maximizes P(win) × (U_s − w_s) for a variant, with buyer profiles.

P(win) at a price is the probability of the profiles that accept the variant there
(a fitted buyer from ``dealopt learn`` is such profiles). It is a step function of
the price, so when every utility is affine in the price the best price is a
profile's threshold (the highest price at which it still accepts) or the top of
the range: those are the candidates, exactly. Otherwise the candidates are a fine
grid over the range. Never below ``policy.floor_price``; NaN without profiles or
when no price gives the seller more than its walk-away.
"""

from __future__ import annotations

import numpy as np

from dealopt.batch.pricing.curves import Curve
from dealopt.batch.pricing.model import PricingModel

__all__ = ["GRID", "expected_best_price"]

#: Candidate prices per row when some utility is not affine in the price.
GRID = 401
#: Relative tolerance of a walk-away (as for ``win_probability``).
TOL = 1e-9


def _candidates(pm: PricingModel, profiles: list[Curve], lo: float, hi: float, n: int) -> np.ndarray:
    if not pm.affine:
        return np.broadcast_to(np.linspace(lo, hi, GRID), (n, GRID))
    cols = [np.full(n, lo), np.full(n, hi)]
    for curve, walk in zip(profiles, pm.profile_walks, strict=True):
        if np.isnan(walk):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = (walk - curve.const) / curve.lin
        cols.append(np.where(np.isfinite(cut), np.clip(cut, lo, hi), lo))
    return np.sort(np.column_stack(cols), axis=1)


def expected_best_price(pm: PricingModel, seller: Curve, profiles: list[Curve]) -> np.ndarray:
    """Per row, the price in range maximizing the win probability times the seller's gain over its walk-away."""
    n = len(seller.const)
    if not profiles or pm.price is None or pm.price.lo is None or pm.price.hi is None:
        return np.full(n, np.nan)
    lo, hi = float(pm.price.lo), float(pm.price.hi)
    if pm.policy_floor is not None:
        lo = min(max(lo, float(pm.policy_floor)), hi)
    cand = _candidates(pm, profiles, lo, hi, n)
    win = np.zeros(cand.shape)
    for curve, prob, walk in zip(profiles, pm.profile_probs, pm.profile_walks, strict=True):
        if np.isnan(walk):
            win += prob
        else:
            win += prob * (curve.at(cand) >= walk - TOL * max(1.0, abs(walk)))
    win /= pm.profile_probs.sum()
    w_s = pm.deal.seller_walk_away
    gain = seller.at(cand) - (0.0 if w_s is None else w_s)
    value = np.where(gain > 0, win * gain, 0.0)
    best = np.argmax(value, axis=1)
    rows = np.arange(n)
    price = cand[rows, best]
    return np.where(value[rows, best] > 0, price, np.nan)
