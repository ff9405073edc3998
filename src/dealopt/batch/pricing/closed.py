"""Closed forms when each side's utility is affine in the price: U = a + b·p for the row's other levels."""

from __future__ import annotations

import numpy as np

from dealopt.batch.pricing.curves import Curve
from dealopt.batch.pricing.model import PricingModel
from dealopt.batch.pricing.suggest import TOL, KeyPrices

__all__ = ["key_prices_affine"]


def _root(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The p with a + b·p = 0 (NaN where b = 0)."""
    flat = b == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flat, np.nan, -a / np.where(flat, 1.0, b))


def _walk_tol(w: float) -> float:
    return TOL * max(1.0, abs(w))


def _floor(pm: PricingModel, a: np.ndarray, b: np.ndarray, lo: float) -> np.ndarray:
    """The lowest price from ``lo`` up with a + b·p ≥ w_s (above the range when only there), raised to the policy floor."""
    w_s = pm.deal.seller_walk_away
    pf = np.nan if pm.policy_floor is None else pm.policy_floor
    if w_s is None:
        return np.full(len(a), pf)
    r = _root(a - w_s, b)
    reached_at_lo = a + b * lo >= w_s - _walk_tol(w_s)
    at = np.where(b > 0, np.maximum(lo, r), np.where(reached_at_lo, lo, np.nan))
    return np.fmax(at, pf)


def _zopa(pm: PricingModel, s: Curve, b: Curve, lo: float, hi: float) -> np.ndarray:
    """Whether some price in range (from the policy floor up) gives both sides at least their walk-away."""
    n = len(s.const)
    low = np.full(n, lo if pm.policy_floor is None else max(lo, pm.policy_floor))
    high = np.full(n, hi)
    empty = np.zeros(n, dtype=bool)
    for curve, w in ((s, pm.deal.seller_walk_away), (b, pm.deal.buyer_walk_away)):
        if w is None:
            continue
        tol = _walk_tol(w)
        r = _root(curve.const - w + tol, curve.lin)
        low = np.where(curve.lin > 0, np.maximum(low, r), low)
        high = np.where(curve.lin < 0, np.minimum(high, r), high)
        empty |= (curve.lin == 0) & (curve.const < w - tol)
    ptol = TOL * max(1.0, abs(lo), abs(hi))
    return ~empty & (low <= high + ptol)


def key_prices_affine(pm: PricingModel, s: Curve, b: Curve, u0_s: np.ndarray, u0_b: np.ndarray) -> KeyPrices:
    """Break-evens, floor, split price and ZOPA in closed form."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo, hi = pm.price.lo, pm.price.hi
    a_s, a_b = s.const - u0_s, b.const - u0_b  # the gains over the base quote: a + lin·p
    sigma = pm.value_share
    # (1 − σ)·gain_s(p) = σ·gain_b(p): the seller keeps σ of the joint gain, the buyer the rest
    split = _root((1.0 - sigma) * a_s - sigma * a_b, (1.0 - sigma) * s.lin - sigma * b.lin)
    gain = a_s + a_b + (s.lin + b.lin) * split
    return KeyPrices(
        break_even=_root(a_s, s.lin),
        buyer_break_even=_root(a_b, b.lin),
        floor=_floor(pm, s.const, s.lin, lo),
        split=split,
        split_gain=gain,
        zopa=_zopa(pm, s, b, lo, hi),
    )
