"""Bargaining solutions on a frontier: Nash, Kalai–Smorodinsky, max joint value, egalitarian.

The frontier is given by its points sorted by seller utility descending; where
``segment[i]`` is set, every point on the straight line from point i to i+1 is
achievable too, so a solution may lie inside a segment. Each function returns
the solution's utility pair and where it lies: ``(i, t)``, the point
``p_i + t·(p_{i+1} − p_i)`` with ``t = 0`` at a vertex.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Location", "nash", "kalai_smorodinsky", "max_joint", "egalitarian"]


@dataclass(frozen=True)
class Location:
    """A point of the frontier: vertex ``i`` moved ``t`` of the way to vertex ``i+1``."""

    i: int
    t: float
    seller: float
    buyer: float


def _segments(seller: np.ndarray, segment: np.ndarray | None) -> list[int]:
    if segment is None:
        return []
    return [i for i in range(len(seller) - 1) if segment[i]]


def _best(
    seller: np.ndarray,
    buyer: np.ndarray,
    segment: np.ndarray | None,
    score: Callable[[float, float], tuple[float, ...]],
    interior: Callable[[float, float, float, float], list[float]],
) -> Location | None:
    """The location maximizing ``score`` (a tuple, compared lexicographically); first one on ties."""
    if len(seller) == 0:
        return None
    best: Location | None = None
    best_score: tuple[float, ...] | None = None
    candidates: list[Location] = [Location(i, 0.0, float(seller[i]), float(buyer[i])) for i in range(len(seller))]
    for i in _segments(seller, segment):
        s0, b0, s1, b1 = float(seller[i]), float(buyer[i]), float(seller[i + 1]), float(buyer[i + 1])
        for t in interior(s0, b0, s1 - s0, b1 - b0):
            if 0.0 < t < 1.0:
                candidates.append(Location(i, t, s0 + t * (s1 - s0), b0 + t * (b1 - b0)))
    candidates.sort(key=lambda c: (c.i, c.t))
    for c in candidates:
        sc = score(c.seller, c.buyer)
        if best_score is None or sc > best_score:
            best, best_score = c, sc
    return best


def max_joint(seller: np.ndarray, buyer: np.ndarray, segment: np.ndarray | None = None) -> Location | None:
    """Maximizes seller + buyer (always at a vertex)."""
    return _best(seller, buyer, None, lambda s, b: (s + b,), lambda *_: [])


def nash(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes (U_s − w_s)(U_b − w_b); ties go to the larger joint value."""

    def interior(s0: float, b0: float, ds: float, db: float) -> list[float]:
        # d/dt (s0 - w_s + t ds)(b0 - w_b + t db) = 0
        denom = 2 * ds * db
        return [] if denom == 0 else [-((s0 - w_s) * db + (b0 - w_b) * ds) / denom]

    return _best(seller, buyer, segment, lambda s, b: (_r((s - w_s) * (b - w_b)), _r(s + b)), interior)


def _ratio_score(
    w_s: float, w_b: float, scale_s: float, scale_b: float
) -> tuple[Callable[[float, float], tuple[float, ...]], Callable[[float, float, float, float], list[float]]]:
    def gains(s: float, b: float) -> tuple[float, float]:
        gs = (s - w_s) / scale_s if scale_s > 0 else 1.0
        gb = (b - w_b) / scale_b if scale_b > 0 else 1.0
        return gs, gb

    def score(s: float, b: float) -> tuple[float, ...]:
        gs, gb = gains(s, b)
        return (_r(min(gs, gb)), _r(gs + gb))

    def interior(s0: float, b0: float, ds: float, db: float) -> list[float]:
        if scale_s <= 0 or scale_b <= 0:
            return []
        # (s0 + t ds - w_s)/scale_s = (b0 + t db - w_b)/scale_b
        a = ds / scale_s - db / scale_b
        c = (b0 - w_b) / scale_b - (s0 - w_s) / scale_s
        return [] if a == 0 else [c / a]

    return score, interior


def kalai_smorodinsky(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes min of the gains as shares of each side's best (Ū − w); ties go to the larger sum."""
    if len(seller) == 0:
        return None
    best_s, best_b = float(np.max(seller)), float(np.max(buyer))
    score, interior = _ratio_score(w_s, w_b, best_s - w_s, best_b - w_b)
    return _best(seller, buyer, segment, score, interior)


def egalitarian(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes the smaller of the two gains over the walk-aways; ties go to the larger sum."""
    score, interior = _ratio_score(w_s, w_b, 1.0, 1.0)
    return _best(seller, buyer, segment, score, interior)


def _r(x: float) -> float:
    """Round away float noise so that mathematically equal scores tie."""
    return float(f"{x:.12g}")
