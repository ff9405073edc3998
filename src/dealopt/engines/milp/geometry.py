"""Exact plane geometry of MILP choices: points, convex polygons, their efficient chains.

Fixing every binary of the MILP (a *choice*) leaves the stepless issues in fixed
cells, where both utilities are affine in them: the image of a choice in the
(seller, buyer) plane is a convex polygon (a zonotope), computed exactly.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["P", "lerp", "hull", "clip", "chain", "lexmax", "locate"]


class P(NamedTuple):
    """A point of the (seller, buyer) plane and the position ``t ∈ [0, 1]^K`` of the stepless issues in their cells."""

    s: float
    b: float
    t: tuple[float, ...]


def lerp(p: P, q: P, lam: float) -> P:
    return P(
        p.s + lam * (q.s - p.s),
        p.b + lam * (q.b - p.b),
        tuple(a + lam * (c - a) for a, c in zip(p.t, q.t)),
    )


def hull(points: list[P], eps_s: float, eps_b: float) -> list[P]:
    """Convex hull, counter-clockwise (seller on the x axis), collinear points dropped."""
    pts = sorted(points, key=lambda p: (p.s, p.b))
    uniq: list[P] = []
    for p in pts:
        if uniq and abs(uniq[-1].s - p.s) <= eps_s and abs(uniq[-1].b - p.b) <= eps_b:
            continue
        uniq.append(p)
    if len(uniq) <= 2:
        return uniq

    def turn(o: P, a: P, c: P) -> bool:
        ax, ay = (a.s - o.s) / eps_s, (a.b - o.b) / eps_b
        cx, cy = (c.s - o.s) / eps_s, (c.b - o.b) / eps_b
        return ax * cy - ay * cx > 1e-9 * math.hypot(ax, ay) * math.hypot(cx, cy)

    lower: list[P] = []
    for p in uniq:
        while len(lower) >= 2 and not turn(lower[-2], lower[-1], p):
            lower.pop()
        lower.append(p)
    upper: list[P] = []
    for p in reversed(uniq):
        while len(upper) >= 2 and not turn(upper[-2], upper[-1], p):
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def clip(poly: list[P], a_s: float, a_b: float, c: float) -> list[P]:
    """The part of a convex polygon where ``a_s·s + a_b·b ≥ c`` (Sutherland–Hodgman)."""
    if not poly:
        return []
    val = [a_s * p.s + a_b * p.b - c for p in poly]
    if len(poly) == 1:
        return list(poly) if val[0] >= 0 else []
    out: list[P] = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        vp, vq = val[i], val[(i + 1) % n]
        if vp >= 0:
            out.append(p)
        if (vp >= 0) != (vq >= 0):
            x = lerp(p, q, vp / (vp - vq))
            if a_b == 0.0:  # land exactly on an axis-parallel bound
                x = P(c / a_s, x.b, x.t)
            elif a_s == 0.0:
                x = P(x.s, c / a_b, x.t)
            out.append(x)
    dedup: list[P] = []
    for p in out:
        if dedup and dedup[-1].s == p.s and dedup[-1].b == p.b:
            continue
        dedup.append(p)
    while len(dedup) > 1 and dedup[0].s == dedup[-1].s and dedup[0].b == dedup[-1].b:
        dedup.pop()
    return dedup


def chain(poly: list[P]) -> list[P]:
    """The efficient boundary of a convex polygon: from its best seller point to its best buyer point."""
    if not poly:
        return []
    n = len(poly)
    r = max(range(n), key=lambda i: (poly[i].s, poly[i].b))
    u = max(range(n), key=lambda i: (poly[i].b, poly[i].s))
    out = [poly[r]]
    i = r
    while i != u:
        i = (i + 1) % n
        p = poly[i]
        if p.b > out[-1].b and p.s < out[-1].s:
            out.append(p)
    return out


def lexmax(poly: list[P]) -> P:
    return max(poly, key=lambda p: (p.s, p.b))


def locate(poly: list[P], s: float, b: float, eps_s: float, eps_b: float) -> tuple[float, ...] | None:
    """The stepless position at which a convex polygon reaches (s, b), or None when it does not."""
    if not poly:
        return None
    if len(poly) == 1:
        p = poly[0]
        return p.t if abs(p.s - s) <= eps_s and abs(p.b - b) <= eps_b else None
    if len(poly) == 2:
        p, q = poly
        ds, db = (q.s - p.s) / eps_s, (q.b - p.b) / eps_b
        den = ds * ds + db * db
        lam = 0.0 if den == 0 else (((s - p.s) / eps_s) * ds + ((b - p.b) / eps_b) * db) / den
        lam = min(1.0, max(0.0, lam))
        x = lerp(p, q, lam)
        return x.t if abs(x.s - s) <= eps_s and abs(x.b - b) <= eps_b else None
    p0 = poly[0]
    for i in range(1, len(poly) - 1):
        p1, p2 = poly[i], poly[i + 1]
        x1, y1 = (p1.s - p0.s) / eps_s, (p1.b - p0.b) / eps_b
        x2, y2 = (p2.s - p0.s) / eps_s, (p2.b - p0.b) / eps_b
        xs, ys = (s - p0.s) / eps_s, (b - p0.b) / eps_b
        det = x1 * y2 - x2 * y1
        if det == 0:
            continue
        l1 = (xs * y2 - x2 * ys) / det
        l2 = (x1 * ys - xs * y1) / det
        slack = 1.0 / max(1.0, math.hypot(x1, y1), math.hypot(x2, y2))
        if l1 >= -slack and l2 >= -slack and l1 + l2 <= 1 + slack:
            l1, l2 = max(0.0, l1), max(0.0, l2)
            tot = l1 + l2
            if tot > 1:
                l1, l2 = l1 / tot, l2 / tot
            return tuple(a + l1 * (c - a) + l2 * (d - a) for a, c, d in zip(p0.t, p1.t, p2.t))
    return None
