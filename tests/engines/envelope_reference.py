"""An independent segment envelope: the exact frontier of a model with continuous issues without step.

It shares no code with the engines. Every gridded package is listed with the
reference evaluator; the stepless issue's range is cut at every constraint
threshold and piecewise breakpoint, so that within a cell both utilities are
affine in it (one stepless issue at most). The frontier of the union of the
resulting segments is then found by brute force in the buyer coordinate: every
endpoint and every pairwise crossing is a breakpoint, the top segment between
two breakpoints is found at their midpoint, and a stretch is efficient where it
beats everything with more buyer utility.
"""

from __future__ import annotations

import itertools
from typing import Any

from dealopt.model.levels import display_value, issue_levels
from dealopt.model.reference import reference_evaluate, reference_walk_away
from dealopt.model.schema import CategoricalIssue, ContinuousIssue, DealModel

__all__ = ["reference_envelope"]

_NEAR = 2e-9


def _cells(model: DealModel, name: str, spec: ContinuousIssue) -> list[tuple[float, float]]:
    lo, hi = float(spec.min), float(spec.max)
    cuts = {lo, hi}
    for party in (model.parties.seller, *(model.parties.buyer.profiles or [model.parties.buyer])):
        for term in party.utility or []:
            for f in term.of:
                if f.issue == name and f.piecewise:
                    cuts.update(float(x) for x, _ in f.piecewise if lo < x < hi)
    for con in model.constraints:
        for cond in (con.forbid, con.if_, con.then):
            test = (cond or {}).get(name)
            if test is None:
                continue
            for a in (test.min, test.max, test.eq):
                if a is not None:
                    a = float(a)
                    cuts.update(
                        x for x in (a - _NEAR * max(1.0, abs(a)), a, a + _NEAR * max(1.0, abs(a))) if lo <= x <= hi
                    )
    pts = sorted(cuts)
    return list(itertools.pairwise(pts)) if len(pts) > 1 else [(lo, lo)]


def _segments(model: DealModel) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Every feasible segment (or point) of the ZOPA, cut at the walk-aways."""
    free = [n for n, s in model.issues.items() if isinstance(s, ContinuousIssue) and s.step is None]
    assert len(free) <= 1, "the reference envelope takes one continuous issue without step"
    lists: list[list[Any]] = []
    names = [n for n in model.issues if n not in free]
    for n in names:
        spec = model.issues[n]
        if isinstance(spec, CategoricalIssue):
            lists.append(list(spec.options))
        else:
            levels = issue_levels(spec)
            assert levels is not None
            lists.append([display_value(x) for x in levels])
    cells = _cells(model, free[0], model.issues[free[0]]) if free else [(0.0, 0.0)]
    out = []
    for combo in itertools.product(*lists):
        base = dict(zip(names, combo))
        for a, b in cells:
            mid = {**base, **({free[0]: 0.5 * (a + b)} if free else {})}
            if not reference_evaluate(model, mid)["feasible"]:
                continue
            ends = []
            for x in (a, b):
                r = reference_evaluate(model, {**base, **({free[0]: x} if free else {})})
                ends.append((r["seller"], r["buyer"]))
            seg = _clip(model, ends[0], ends[1])
            if seg is not None:
                out.append(seg)
    return out


def _clip(model: DealModel, p: tuple[float, float], q: tuple[float, float]):
    """The part of segment pq acceptable to both sides (walk-aways as the evaluator reads them), or None."""
    w = _walk_aways(model)
    lo, hi = 0.0, 1.0
    for k, bound in enumerate(w):
        if bound is None:
            continue
        bound -= 0.9e-9 * max(1.0, abs(bound))
        a, c = p[k], q[k]
        if a < bound and c < bound:
            return None
        if a < bound:
            lo = max(lo, (bound - a) / (c - a))
        elif c < bound:
            hi = min(hi, (a - bound) / (a - c))
    if lo > hi:
        return None

    def at(t: float) -> tuple[float, float]:
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    return at(lo), at(hi)


def _walk_aways(model: DealModel) -> tuple[float | None, float | None]:
    seller, buyer = model.parties.seller, model.parties.buyer
    w_s = reference_walk_away(model, seller.utility or [], seller.walk_away)
    if buyer.profiles:
        ws = [reference_walk_away(model, p.utility, p.walk_away) for p in buyer.profiles]
        total = sum(p.probability for p in buyer.profiles)
        w_b = None if any(w is None for w in ws) else sum(p.probability / total * w for p, w in zip(buyer.profiles, ws))
    else:
        w_b = reference_walk_away(model, buyer.utility or [], buyer.walk_away)
    return w_s, w_b


def reference_envelope(model: DealModel) -> tuple[list[tuple[float, float]], list[bool]]:
    """The frontier of the ZOPA as vertices (seller descending) and segment flags (the line to the next
    vertex is efficient). Open ends are reported at their limit points."""
    segs = _segments(model)
    if not segs:
        return [], []
    scale_s = max(1.0, *(abs(v) for seg in segs for pt in seg for v in (pt[0],)))
    scale_b = max(1.0, *(abs(v) for seg in segs for pt in seg for v in (pt[1],)))
    tol_s, tol_b = 1e-9 * scale_s, 1e-9 * scale_b
    # each piece as seller over buyer: decreasing segments, or points
    lines, points = [], []
    for (s0, b0), (s1, b1) in segs:
        if b1 < b0:
            (s0, b0), (s1, b1) = (s1, b1), (s0, b0)
        if b1 - b0 > tol_b and s1 < s0 - tol_s:
            lines.append((b0, b1, s0, (s1 - s0) / (b1 - b0)))
        else:
            points.append((max(s0, s1) if b1 - b0 <= tol_b else s1, b1))
    breaks = {b for _, b in points} | {ln[0] for ln in lines} | {ln[1] for ln in lines}
    for (a0, a1, sa, ka), (c0, c1, sc, kc) in itertools.combinations(lines, 2):
        if ka == kc:
            continue
        # sa + ka (b − a0) = sc + kc (b − c0)
        b = (sc - kc * c0 - sa + ka * a0) / (ka - kc)
        if max(a0, c0) < b < min(a1, c1):
            breaks.add(b)
    order = sorted(breaks)

    def seller_at(b: float) -> float:
        best = max((s for s, pb in points if abs(pb - b) <= 0.0), default=-float("inf"))
        for b0, b1, s0, k in lines:
            if b0 <= b <= b1:
                best = max(best, s0 + k * (b - b0))
        return best

    pieces: list[tuple[tuple[float, float], tuple[float, float], bool]] = []  # (high-seller end, other end, line?)
    sup = -float("inf")
    for i in range(len(order) - 1, -1, -1):
        b = order[i]
        if i + 1 < len(order):  # the open stretch (b, next)
            nb = order[i + 1]
            mid = 0.5 * (b + nb)
            top = None
            for b0, b1, s0, k in lines:
                if b0 <= b and b1 >= nb:
                    v = s0 + k * (mid - b0)
                    if top is None or v > top[0]:
                        top = (v, b0, s0, k)
            if top is not None:
                _, b0, s0, k = top
                lo_s, hi_s = s0 + k * (b - b0), s0 + k * (nb - b0)  # at b (more seller) and at nb
                if lo_s > sup + tol_s:
                    end_b = nb if hi_s > sup else b0 + (sup - s0) / k
                    pieces.append(((lo_s, b), (s0 + k * (end_b - b0), end_b), True))
                sup = max(sup, lo_s)
        s = seller_at(b)
        if s > sup + tol_s:
            pieces.append(((s, b), (s, b), False))
        sup = max(sup, s)
    # vertices, seller descending
    pieces.sort(key=lambda p: (-p[0][0], -p[0][1]))
    verts: list[tuple[float, float]] = []
    flags: list[bool] = []
    for start, end, line in pieces:
        if verts and abs(verts[-1][0] - start[0]) <= 10 * tol_s and abs(verts[-1][1] - start[1]) <= 10 * tol_b:
            pass  # continues from the last vertex
        else:
            if flags:
                flags[-1] = False
            verts.append(start)
            flags.append(False)
        if line:
            flags[-1] = True
            verts.append(end)
            flags.append(False)
    return _merge_collinear(verts, flags, tol_s, tol_b)


def _merge_collinear(verts, flags, tol_s, tol_b):
    out_v: list[tuple[float, float]] = []
    out_f: list[bool] = []
    for v, f in zip(verts, flags):
        if len(out_v) >= 2 and out_f[-1] and out_f[-2]:
            (s0, b0), (s1, b1) = out_v[-2], out_v[-1]
            ax, ay = (s1 - s0) / tol_s, (b1 - b0) / tol_b
            cx, cy = (v[0] - s0) / tol_s, (v[1] - b0) / tol_b
            if abs(ax * cy - ay * cx) <= 2.0 * (cx * cx + cy * cy) ** 0.5:
                out_v.pop()
                out_f.pop()
        out_v.append(v)
        out_f.append(f)
    if out_f:
        out_f[-1] = False
    return out_v, out_f
