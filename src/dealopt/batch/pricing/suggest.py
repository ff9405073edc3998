"""From the key prices of a row to what the desk sends: the suggested price, its discount, approver and odds.

The key prices (break-evens, floor, the split price) come from :mod:`.closed` or
:mod:`.numeric`; everything here is shared by both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dealopt.batch.pricing.curves import Curve
from dealopt.batch.pricing.expected import expected_best_price
from dealopt.batch.pricing.model import PricingModel

__all__ = ["KeyPrices", "Priced", "approvals", "finish", "round_to_step", "win_probability"]

TOL = 1e-9


@dataclass
class KeyPrices:
    """A row's prices before the suggestion: NaN where a price does not exist."""

    break_even: np.ndarray  # seller: U_s(variant, p) = U_s(base)
    buyer_break_even: np.ndarray  # buyer: U_b(variant, p) = U_b(base)
    floor: np.ndarray  # the lowest price the seller may propose for the variant
    split: np.ndarray  # the price that gives the seller value_share of the variant's joint gain
    split_gain: np.ndarray  # the joint gain at the split price
    zopa: np.ndarray  # some price in range gives both sides at least their walk-away


@dataclass
class Priced:
    """Every computed column of a model group (arrays, one entry per row)."""

    break_even: np.ndarray
    break_even_in_range: np.ndarray
    buyer_break_even: np.ndarray
    floor: np.ndarray
    value: np.ndarray
    suggested: np.ndarray
    discount: np.ndarray
    approval: np.ndarray  # index into ("none", *model.tier_names); -1 where unknown
    win: np.ndarray
    expected_best: np.ndarray  # maximizes P(win) × (U_s − w_s) (NaN without profiles)
    loses_value: np.ndarray
    zopa: np.ndarray
    below_floor: np.ndarray


def _digits(step: float) -> int:
    return int(min(12, max(0, math.ceil(-math.log10(step)) + 3)))


def round_to_step(p: np.ndarray, lo: float, step: float, how: str) -> np.ndarray:
    """``p`` on the grid lo + k·step: ``nearest``, ``up`` or ``down`` (a price within 1e-9 steps of a level is on it)."""
    k = (p - lo) / step
    if how == "nearest":
        k = np.rint(k)
    elif how == "up":
        k = np.ceil(k - TOL)
    else:
        k = np.floor(k + TOL)
    return np.round(lo + k * step, _digits(step))


def _suggest(pm: PricingModel, key: KeyPrices, adds: np.ndarray, loses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The suggested price and whether the floor raised it."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo = pm.price.lo
    ptol = TOL * max(1.0, abs(lo), abs(pm.price.hi))  # prices are compared to within a billionth of the range
    p_s, p_b, floor = key.break_even, key.buyer_break_even, key.floor
    target = np.where(adds, key.split, p_s)  # no break-even and no value added: no suggestion
    low = np.fmax(p_s, floor)  # NaN only where both are
    below = floor > target + ptol  # False where either is NaN
    raised = np.where(low > target + ptol, low, target)
    lo_ok = np.where(np.isnan(low), -np.inf, low - ptol)
    hi_ok = np.where(adds & ~np.isnan(p_b), p_b + ptol, np.inf)
    hi_ok[raised > hi_ok] = np.inf  # a floor above the buyer's break-even still rounds up
    held = below | ~adds  # at the floor or the break-even: never round down
    out = raised.copy()
    todo = np.flatnonzero(~np.isnan(raised) & (adds | loses | below))  # else nothing gained or lost: as it is
    # a level of the price issue's step when one fits between the bounds, else a cent, else as it is
    for step in ([pm.step] if pm.step is not None else []) + [0.01]:
        for how in ("nearest", "up", "down"):
            if not len(todo):
                return out, below
            x = round_to_step(raised[todo], lo, step, how)
            ok = (x >= lo_ok[todo]) & (x <= hi_ok[todo])
            if how != "up":
                ok &= ~held[todo]
            out[todo[ok]] = x[ok]
            todo = todo[~ok]
    return out, below


def approvals(pm: PricingModel, price: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Discount % and the approval tier passed (0: none; -1: no list price or no price)."""
    n = len(price)
    if pm.list_price is None:
        return np.full(n, np.nan), np.full(n, -1, dtype=np.int64)
    discount = 100.0 * (pm.list_price - price) / pm.list_price
    tier = np.zeros(n, dtype=np.int64)
    for pct in pm.tier_pcts:
        tier += discount > pct + TOL
    return discount, np.where(np.isnan(price), -1, tier)


def win_probability(pm: PricingModel, profiles: list[Curve], price: np.ndarray) -> np.ndarray:
    """The probability of the buyer profiles that accept the variant at ``price`` (NaN without profiles)."""
    if not profiles:
        return np.full(len(price), np.nan)
    total = np.zeros(len(price))
    at = np.where(np.isnan(price), 0.0, price)
    for curve, prob, walk in zip(profiles, pm.profile_probs, pm.profile_walks):
        if np.isnan(walk):
            total += prob
        else:
            total += prob * (curve.at(at) >= walk - TOL * max(1.0, abs(walk)))
    return np.where(np.isnan(price), np.nan, np.minimum(total / pm.profile_probs.sum(), 1.0))


def finish(
    pm: PricingModel,
    key: KeyPrices,
    seller: Curve,
    buyer: Curve,
    base: tuple[np.ndarray, np.ndarray],
    profiles: list[Curve],
) -> Priced:
    """The suggested price and every column derived from it."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo, hi = pm.price.lo, pm.price.hi
    u0_s, u0_b = base
    scale = TOL * np.maximum(1.0, np.abs(u0_s) + np.abs(u0_b))
    gain = key.split_gain
    adds = gain > scale
    loses = gain < -scale
    adds &= ~np.isnan(key.split)
    sug, below = _suggest(pm, key, adds, loses)
    at = np.where(np.isnan(sug), 0.0, sug)
    value = np.where(np.isnan(sug), np.nan, (seller.at(at) - u0_s) + (buyer.at(at) - u0_b))
    discount, tier = approvals(pm, sug)
    be = key.break_even
    ptol = TOL * max(1.0, abs(lo), abs(hi))
    return Priced(
        break_even=be,
        break_even_in_range=(be >= lo - ptol) & (be <= hi + ptol),
        buyer_break_even=key.buyer_break_even,
        floor=key.floor,
        value=value,
        suggested=sug,
        discount=discount,
        approval=tier,
        win=win_probability(pm, profiles, sug),
        expected_best=expected_best_price(pm, seller, profiles),
        loses_value=loses,
        zopa=key.zopa,
        below_floor=below,
    )
