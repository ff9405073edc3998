"""Key prices when the price is not a bare factor (piecewise, or twice in a term): found numerically.

Roots are bracketed on a grid through the price factors' breakpoints and refined with
``scipy.optimize.elementwise.find_root``; a root outside the price range is bracketed on
grids growing outward from the range's ends (the nearest one is kept). Whether some price gives both sides their walk-away is the
maximum of min(U_s − w_s, U_b − w_b), refined with ``find_minimum``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import elementwise

from dealopt.batch.pricing.curves import Curve
from dealopt.batch.pricing.model import PricingModel
from dealopt.batch.pricing.suggest import TOL, KeyPrices

__all__ = ["key_prices_numeric"]

GRID = 129  # grid points that bracket roots and maxima
BLOCK = 4096  # rows per block (bounds the rows × grid arrays)
OUTWARD = 27  # points of the outward grids (doubling steps)
_ROOT_TOL = {"xatol": 1e-12, "xrtol": 4e-16}


def _refine(curve: Curve, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The root of ``curve`` in [left, right] (a sign change on each row)."""
    f, args = curve.function()
    res = elementwise.find_root(f, (left, right), args=args, tolerances=_ROOT_TOL)
    return np.where(res.success, res.x, np.nan)


def _outside(curve: Curve, lo: float, hi: float) -> np.ndarray:
    """The root nearest the range [lo, hi] beyond it (grids growing outward from each end), NaN when none."""
    span = hi - lo if hi > lo else max(1.0, abs(lo))
    reach = span * (2.0 ** np.arange(OUTWARD) - 1.0) / 64.0  # from the end out to ~1e6 spans
    left, right = lo - reach, hi + reach  # each starts at the range's end
    n = len(curve.const)
    out = np.full(n, np.nan)
    best = np.full(n, np.inf)
    for points in (left, right):
        f = curve.on_grid(points)
        change = np.sign(f[:, :-1]) * np.sign(f[:, 1:]) < 0
        found = change.any(axis=1)
        k = np.argmax(change, axis=1)
        distance = np.where(found, reach[np.minimum(k + 1, len(reach) - 1)], np.inf)
        take = found & (distance < best)
        if take.any():
            a, b = points[k[take]], points[k[take] + 1]
            out[take] = _refine(curve.rows(take), np.fmin(a, b), np.fmax(a, b))
            best[take] = distance[take]
    return out


def _root(curve: Curve, grid: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """The lowest root of each row's curve in the grid's range, else one outside it, else NaN."""
    f = curve.on_grid(grid) if values is None else values
    tol = TOL * np.maximum(1.0, np.abs(curve.const))[:, None]
    zero = np.abs(f) <= tol
    change = np.zeros_like(zero)
    change[:, :-1] = np.sign(f[:, :-1]) * np.sign(f[:, 1:]) < 0
    hit = zero | change
    found = hit.any(axis=1)
    k = np.argmax(hit, axis=1)
    rows = np.arange(len(k))
    out = np.full(len(k), np.nan)
    node = found & zero[rows, k]
    out[node] = grid[k[node]]
    between = found & ~node
    if between.any():
        kk = k[between]
        out[between] = _refine(curve.rows(between), grid[kk], grid[np.minimum(kk + 1, len(grid) - 1)])
    missing = ~found
    if missing.any():
        out[missing] = _outside(curve.rows(missing), float(grid[0]), float(grid[-1]))
    return out


def _lowest_reaching(curve: Curve, grid: np.ndarray, w: float) -> np.ndarray:
    """The lowest price in the grid's range with curve ≥ w, else a root above it, else NaN."""
    values = curve.on_grid(grid) - w
    ok = values >= -TOL * max(1.0, abs(w))
    found = np.asarray(ok.any(axis=1))  # an array (the stubs allow a scalar for 1-D input)
    k = np.argmax(ok, axis=1)
    out = np.where(found & (k == 0), grid[0], np.nan)
    inner = found & (k > 0)
    if inner.any():
        kk = k[inner]
        out[inner] = _refine(curve.rows(inner).shifted(np.full(inner.sum(), w)), grid[kk - 1], grid[kk])
    up = ~found
    if up.any():
        above = _outside(curve.rows(up).shifted(np.full(up.sum(), w)), float(grid[0]), float(grid[-1]))
        out[up] = np.where(above > grid[-1], above, np.nan)
    return out


def _margin(
    s: Curve, b: Curve, w_s: float | None, w_b: float | None
) -> tuple[Callable[..., np.ndarray], tuple[np.ndarray, ...]]:
    """−min(U_s − w_s, U_b − w_b) as an elementwise function of the price (to minimize)."""
    fs, args_s = s.function()
    fb, args_b = b.function()
    cut = len(args_s)

    def f(p: np.ndarray, *args: np.ndarray) -> np.ndarray:
        m = np.full(np.shape(p), np.inf)
        if w_s is not None:
            m = np.minimum(m, fs(p, *args[:cut]) - w_s)
        if w_b is not None:
            m = np.minimum(m, fb(p, *args[cut:]) - w_b)
        return -m

    return f, (*args_s, *args_b)


def _zopa(pm: PricingModel, s: Curve, b: Curve, grid: np.ndarray) -> np.ndarray:
    """Whether some price in range (from the policy floor up) gives both sides at least their walk-away."""
    w_s, w_b = pm.deal.seller_walk_away, pm.deal.buyer_walk_away
    n = len(s.const)
    if w_s is None and w_b is None:
        return np.ones(n, dtype=bool)
    low = grid[0] if pm.policy_floor is None else max(grid[0], pm.policy_floor)
    if low > grid[-1]:
        return np.zeros(n, dtype=bool)
    nodes = np.union1d(grid[grid > low], [low])
    f, args = _margin(s, b, w_s, w_b)
    values = f(nodes[None, :], *(a[:, None] for a in args))
    k = np.argmin(values, axis=1)
    best = values[np.arange(n), k]
    inner = (k > 0) & (k < len(nodes) - 1)
    if inner.any():
        kk = k[inner]
        res = elementwise.find_minimum(
            f, (nodes[kk - 1], nodes[kk], nodes[kk + 1]), args=tuple(a[inner] for a in args), maxiter=200
        )
        best[inner] = np.minimum(best[inner], np.where(np.isfinite(res.f_x), res.f_x, np.inf))
    tol = TOL * max(1.0, abs(w_s or 0.0), abs(w_b or 0.0))
    within: np.ndarray = best <= tol
    return within


def _split(
    s: Curve,
    b: Curve,
    u0: tuple[np.ndarray, np.ndarray],
    sigma: float,
    p_s: np.ndarray,
    p_b: np.ndarray,
    grid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The split price (between the break-evens when they bracket it) and the joint gain there."""
    gain_s, gain_b = s.shifted(u0[0]), b.shifted(u0[1])
    h = gain_s.combined(1.0 - sigma, gain_b, -sigma)
    out = np.full(len(p_s), np.nan)
    both = ~np.isnan(p_s) & ~np.isnan(p_b) & (np.abs(p_s - p_b) > TOL * np.maximum(1.0, np.abs(p_s)))
    left, right = np.fmin(p_s, p_b), np.fmax(p_s, p_b)
    at = np.where(both, left, 0.0), np.where(both, right, 1.0)
    h_l, h_r = h.at(at[0]), h.at(at[1])
    bracketed = both & (np.sign(h_l) * np.sign(h_r) < 0)
    if bracketed.any():
        out[bracketed] = _refine(h.rows(bracketed), at[0][bracketed], at[1][bracketed])
    same = ~np.isnan(p_s) & ~np.isnan(p_b) & ~both  # the break-evens coincide: nothing to share
    out[same] = p_s[same]
    rest = np.isnan(out)
    if rest.any():
        out[rest] = _root(h.rows(rest), grid)
    x = np.where(np.isnan(out), 0.0, out)
    gain = np.where(np.isnan(out), np.nan, gain_s.at(x) + gain_b.at(x))
    return out, gain


def key_prices_numeric(pm: PricingModel, s: Curve, b: Curve, u0_s: np.ndarray, u0_b: np.ndarray) -> KeyPrices:
    """Break-evens, floor, split price and ZOPA, numerically, block by block."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo, hi = pm.price.lo, pm.price.hi
    grid = np.union1d(np.linspace(lo, hi, GRID), pm.breakpoints)
    n = len(u0_s)
    cols = {k: np.full(n, np.nan) for k in ("be", "bbe", "floor", "split", "gain")}
    zopa = np.zeros(n, dtype=bool)
    w_s, pf = pm.deal.seller_walk_away, pm.policy_floor
    for start in range(0, n, BLOCK):
        sl = slice(start, min(n, start + BLOCK))
        sb, bb = s.rows(sl), b.rows(sl)
        gain_s = sb.shifted(u0_s[sl])
        be = _root(gain_s, grid)
        bbe = _root(bb.shifted(u0_b[sl]), grid)
        cols["be"][sl], cols["bbe"][sl] = be, bbe
        floor = np.full(len(be), np.nan) if w_s is None else _lowest_reaching(sb, grid, w_s)
        cols["floor"][sl] = floor if pf is None else np.fmax(floor, pf)
        cols["split"][sl], cols["gain"][sl] = _split(sb, bb, (u0_s[sl], u0_b[sl]), pm.value_share, be, bbe, grid)
        zopa[sl] = _zopa(pm, sb, bb, grid)
    return KeyPrices(cols["be"], cols["bbe"], cols["floor"], cols["split"], cols["gain"], zopa)
