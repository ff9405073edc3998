"""Bargaining solutions on a frontier: Nash, Kalai–Smorodinsky, max joint value, egalitarian.

The frontier is given by its points sorted by seller utility descending; where
``segment[i]`` is set, every point on the straight line from point i to i+1 is
achievable too, so a solution may lie inside a segment. Each function returns
where the solution lies: ``(i, t)``, the point ``p_i + t·(p_{i+1} − p_i)``
(``t = 0`` at a vertex). Ties on the score go to the larger joint value, then
to the first point in frontier order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Location", "nash", "kalai_smorodinsky", "max_joint", "egalitarian"]

Scores = Callable[[np.ndarray, np.ndarray], np.ndarray]
Interior = Callable[[float, float, float, float], list[float]]


@dataclass(frozen=True)
class Location:
    """A point of the frontier: vertex ``i`` moved ``t`` of the way to vertex ``i+1``."""

    i: int
    t: float
    seller: float
    buyer: float


def _quantized(x: np.ndarray) -> np.ndarray:
    """Scores rounded so that mathematically equal ones tie despite float noise."""
    scale = float(np.max(np.abs(x))) if len(x) else 1.0
    q = 1e-10 * max(scale, 1e-300)
    return np.round(x / q)


def _best(
    seller: np.ndarray, buyer: np.ndarray, segment: np.ndarray | None, score: Scores, interior: Interior
) -> Location | None:
    if len(seller) == 0:
        return None
    s = np.asarray(seller, dtype=float)
    b = np.asarray(buyer, dtype=float)
    ii = np.arange(len(s))
    tt = np.zeros(len(s))
    if segment is not None:
        extra_s, extra_b, extra_i, extra_t = [], [], [], []
        for i in np.flatnonzero(np.asarray(segment[:-1], dtype=bool)):
            s0, b0, s1, b1 = float(s[i]), float(b[i]), float(s[i + 1]), float(b[i + 1])
            for t in interior(s0, b0, s1 - s0, b1 - b0):
                if 0.0 < t < 1.0:
                    extra_s.append(s0 + t * (s1 - s0))
                    extra_b.append(b0 + t * (b1 - b0))
                    extra_i.append(i)
                    extra_t.append(t)
        if extra_s:
            s = np.concatenate([s, extra_s])
            b = np.concatenate([b, extra_b])
            ii = np.concatenate([ii, extra_i])
            tt = np.concatenate([tt, extra_t])
    primary = _quantized(score(s, b))
    secondary = _quantized(s + b)
    k = np.lexsort((tt, ii, -secondary, -primary))[0]
    return Location(int(ii[k]), float(tt[k]), float(s[k]), float(b[k]))


def max_joint(seller: np.ndarray, buyer: np.ndarray, segment: np.ndarray | None = None) -> Location | None:
    """Maximizes seller + buyer (always reached at a vertex)."""
    return _best(seller, buyer, None, lambda s, b: s + b, lambda *_: [])


def nash(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes (U_s − w_s)(U_b − w_b)."""

    def interior(s0: float, b0: float, ds: float, db: float) -> list[float]:
        denom = 2 * ds * db  # d/dt (s0 − w_s + t·ds)(b0 − w_b + t·db) = 0
        return [] if denom == 0 else [-((s0 - w_s) * db + (b0 - w_b) * ds) / denom]

    return _best(seller, buyer, segment, lambda s, b: (s - w_s) * (b - w_b), interior)


def _min_gain(w_s: float, w_b: float, scale_s: float, scale_b: float) -> tuple[Scores, Interior]:
    def score(s: np.ndarray, b: np.ndarray) -> np.ndarray:
        gs = (s - w_s) / scale_s if scale_s > 0 else np.ones_like(s)
        gb = (b - w_b) / scale_b if scale_b > 0 else np.ones_like(b)
        return np.minimum(gs, gb)

    def interior(s0: float, b0: float, ds: float, db: float) -> list[float]:
        if scale_s <= 0 or scale_b <= 0:
            return []
        a = ds / scale_s - db / scale_b  # where the two gains are equal
        c = (b0 - w_b) / scale_b - (s0 - w_s) / scale_s
        return [] if a == 0 else [c / a]

    return score, interior


def kalai_smorodinsky(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes the smaller gain as a share of each side's best possible gain (Ū − w)."""
    if len(seller) == 0:
        return None
    score, interior = _min_gain(w_s, w_b, float(np.max(seller)) - w_s, float(np.max(buyer)) - w_b)
    return _best(seller, buyer, segment, score, interior)


def egalitarian(
    seller: np.ndarray, buyer: np.ndarray, w_s: float, w_b: float, segment: np.ndarray | None = None
) -> Location | None:
    """Maximizes the smaller of the two gains over the walk-aways (disagreement point)."""
    score, interior = _min_gain(w_s, w_b, 1.0, 1.0)
    return _best(seller, buyer, segment, score, interior)
