"""An independent, per-row recomputation of quote-variant prices for the tests.

It reads the model through the plain reference evaluator (:mod:`dealopt.model.reference`),
finds every root with ``scipy.optimize.brentq`` on brackets it grows itself, and shares no
code with :mod:`dealopt.batch.pricing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import brentq

from dealopt.model.levels import issue_levels
from dealopt.model.reference import reference_evaluate, reference_feasible, reference_walk_away
from dealopt.model.schema import CategoricalIssue, DealModel

TOL = 1e-9
#: Points of the scan that finds a root (and of the scan for a zone of agreement: the same points, evaluated once).
SCAN = 513


def price_name(model: DealModel) -> str:
    pol = model.policy
    return pol.price_issue if pol is not None and pol.price_issue else "price"


def _root(f: Callable[[float], float], lo: float, hi: float) -> float | None:
    """The lowest root in [lo, hi] (on a fine scan), else the nearest one outside, else None."""
    grid = np.linspace(lo, hi, SCAN)
    vals = [f(x) for x in grid]
    scale = max(1.0, max(abs(v) for v in vals))
    for x, v in zip(grid, vals):
        if abs(v) <= 1e-12 * scale:
            return float(x)
    for (a, fa), (b, fb) in zip(zip(grid, vals), zip(grid[1:], vals[1:])):
        if fa * fb < 0:
            return brentq(f, a, b, xtol=1e-12, rtol=1e-15)
    span = hi - lo
    steps = [span * (2.0 ** (k / 8) - 1) / 32 for k in range(1, 260)]  # finer and finer grids, far out
    prev_l, prev_r = (lo, vals[0]), (hi, vals[-1])
    for d in steps:  # both sides at once: the first crossing is the nearest root
        a, b = lo - d, hi + d
        fa, fb = f(a), f(b)
        if fa * prev_l[1] < 0:
            return brentq(f, a, prev_l[0], xtol=1e-12, rtol=1e-15)
        if fb * prev_r[1] < 0:
            return brentq(f, prev_r[0], b, xtol=1e-12, rtol=1e-15)
        prev_l, prev_r = (a, fa), (b, fb)
    return None


def reference_row(model: DealModel, base: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any] | str:
    """Every key price of one row, or the kind of bad input (``base``/``variant``)."""
    name = price_name(model)
    spec = model.issues[name]
    lo, hi = float(spec.min), float(spec.max)
    if not reference_feasible(model, base):
        return "base"
    changed = {**base, **variant}
    if not reference_feasible(model, {**changed, name: base[name]}):
        return "variant"
    pol = model.policy
    sigma = 0.5 if pol is None else pol.value_share

    seen: dict[float, dict[str, Any]] = {}  # the root scans of one row share their grid points

    def ev(p: float) -> dict[str, Any]:
        got = seen.get(p)
        if got is None:
            got = seen[p] = reference_evaluate(model, {**changed, name: p})
        return got

    u0 = reference_evaluate(model, base)
    u0_s, u0_b = u0["seller"], u0["buyer"]

    def gain_s(p: float) -> float:
        return ev(p)["seller"] - u0_s

    def gain_b(p: float) -> float:
        return ev(p)["buyer"] - u0_b

    p_s = _root(gain_s, lo, hi)
    p_b = _root(gain_b, lo, hi)
    split = _root(lambda p: (1 - sigma) * gain_s(p) - sigma * gain_b(p), lo, hi)
    joint = None if split is None else gain_s(split) + gain_b(split)
    pf = None if pol is None or pol.floor_price is None else float(pol.floor_price)
    seller = model.parties.seller
    w_s = reference_walk_away(model, seller.utility or [], seller.walk_away)
    floor = pf
    if w_s is not None:
        if ev(lo)["seller"] >= w_s - TOL * max(1.0, abs(w_s)):
            at: float | None = lo
        else:
            at = _root(lambda p: ev(p)["seller"] - w_s, lo, hi)
            at = at if at is not None and at > lo else None
        floor = at if pf is None else (pf if at is None else max(at, pf))
    low = lo if pf is None else max(lo, pf)
    points = list(np.linspace(low, hi, SCAN)) if low <= hi else []
    buyer = model.parties.buyer
    w_b = None if buyer.profiles else reference_walk_away(model, buyer.utility or [], buyer.walk_away)
    if buyer.profiles and all(p.walk_away is not None for p in buyer.profiles):
        total = sum(p.probability for p in buyer.profiles)
        w_b = sum(p.probability / total * reference_walk_away(model, p.utility, p.walk_away) for p in buyer.profiles)  # type: ignore[operator]
    for side, w in (("seller", w_s), ("buyer", w_b)):
        if w is not None and points:
            r = _root(lambda p, side=side, w=w: ev(p)[side] - w, low, hi)
            if r is not None and low <= r <= hi:
                points.append(r)
    zopa = any(e["acceptable_seller"] and e["acceptable_buyer"] for e in (ev(float(p)) for p in points))
    step = None
    if spec.kind in ("continuous", "integer") and getattr(spec, "step", None):
        step = float(spec.step)
    return {
        "lo": lo,
        "hi": hi,
        "step": step,
        "sigma": sigma,
        "break_even": p_s,
        "buyer_break_even": p_b,
        "split": split,
        "joint_at_split": joint,
        "floor": floor,
        "zopa": zopa,
        "gain_s": gain_s,
        "gain_b": gain_b,
        "ev": ev,
        "scale": TOL * max(1.0, abs(u0_s) + abs(u0_b)),
    }


def levels_of(model: DealModel, issue: str) -> list[Any]:
    spec = model.issues[issue]
    if isinstance(spec, CategoricalIssue):
        return list(spec.options)
    levels = issue_levels(spec)
    if levels is None:  # continuous without step: any value in range; a few off any grid
        levels = np.linspace(float(spec.min), float(spec.max), 9)[1:-1] + 0.137
    return [int(x) if float(x).is_integer() else float(x) for x in levels]


def approver(model: DealModel, discount: float | None) -> str | None:
    """The approver the spec names for a discount (None without a list price)."""
    if discount is None or math.isnan(discount):
        return None
    assert model.policy is not None
    passed = [t.approver for t in model.policy.tiers() if discount > t.above_discount_pct + 1e-9]
    return passed[-1] if passed else "none"
