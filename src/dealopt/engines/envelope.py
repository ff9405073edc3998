"""The Pareto envelope of segments in the (seller, buyer) plane, and Minkowski sums of segment sets.

A *piece* runs from its high-seller end ``(s0, b0)`` to its high-buyer end
``(s1, b1)`` (``s1 ≤ s0``, ``b1 ≥ b0``); a point is a piece of length zero.
The envelope is traced by increasing buyer utility, as the MILP sweep traces
it, with the same conventions: utilities are compared on the grids ``q_s`` and
``q_b``; a piece is efficient until a point of another piece lies strictly
above it (by two grid units); where a piece stops being efficient at a point
that another point weakly dominates (same seller, more buyer), the piece is
reported up to one seller grid cell before that point, and the frontier goes on
from the next buyer grid cell. Every vertex remembers the piece and the
position on it that reach it, so the engine can rebuild its package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dealopt.errors import SolveError

__all__ = ["Pieces", "Vertex", "envelope", "minkowski", "efficient_pieces"]

#: How far above a piece (in grid units) another piece must reach to dominate part of it.
_ABOVE = 2.0


@dataclass
class Pieces:
    """Pieces, each with where it comes from: ``src`` and the positions ``t0 → t1`` on it there."""

    s0: np.ndarray
    b0: np.ndarray
    s1: np.ndarray
    b1: np.ndarray
    src: np.ndarray  # int: the owner's index of what the piece is a part of
    t0: np.ndarray  # position at (s0, b0) on src
    t1: np.ndarray  # position at (s1, b1) on src

    def __len__(self) -> int:
        return len(self.s0)

    def take(self, keep: np.ndarray) -> Pieces:
        """The pieces at ``keep`` (indices or mask)."""
        return Pieces(*(a[keep] for a in self.arrays()))

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Every field, in order."""
        return (self.s0, self.b0, self.s1, self.b1, self.src, self.t0, self.t1)


@dataclass
class Vertex:
    """A frontier vertex: the piece and position reaching it, and the efficient edge to the next vertex."""

    s: float
    b: float
    piece: int
    lam: float  # 0 at the piece's high-seller end, 1 at its high-buyer end
    seg: bool = False
    carrier: tuple[int, float, float] | None = None  # piece and positions of the edge to the next vertex


def _empty() -> Pieces:
    z = np.empty(0)
    return Pieces(z, z, z, z, np.empty(0, dtype=np.int64), z, z)


def _cat(parts: list[Pieces]) -> Pieces:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    return Pieces(*(np.concatenate(cols) for cols in zip(*(p.arrays() for p in parts))))


def efficient_pieces(p: Pieces, q_s: float, q_b: float) -> Pieces:
    """The same pieces with any that trade no seller utility for buyer utility reduced to their best end."""
    flat_b = p.b1 - p.b0 <= q_b  # no buyer gained: the high-seller end is best
    flat_s = (p.s0 - p.s1 <= q_s) & ~flat_b  # no seller lost: the high-buyer end is best
    out = Pieces(*(a.copy() for a in p.arrays()))
    out.s1[flat_b], out.b1[flat_b], out.t1[flat_b] = out.s0[flat_b], out.b0[flat_b], out.t0[flat_b]
    out.s0[flat_s], out.b0[flat_s], out.t0[flat_s] = out.s1[flat_s], out.b1[flat_s], out.t1[flat_s]
    return out


def _clip(p: Pieces, smin: float | None, bmin: float | None) -> Pieces:
    """The parts of the pieces with seller ≥ smin and buyer ≥ bmin."""
    keep = np.ones(len(p), dtype=bool)
    if smin is not None:
        keep &= p.s0 >= smin
    if bmin is not None:
        keep &= p.b1 >= bmin
    p = p.take(keep)
    out = Pieces(*(a.copy() for a in p.arrays()))
    if bmin is not None:
        cut = out.b0 < bmin
        lam = (bmin - p.b0[cut]) / (p.b1[cut] - p.b0[cut])
        out.s0[cut] = p.s0[cut] + lam * (p.s1[cut] - p.s0[cut])
        out.b0[cut] = bmin
        out.t0[cut] = p.t0[cut] + lam * (p.t1[cut] - p.t0[cut])
    if smin is not None:
        cut = out.s1 < smin
        s0, b0, t0 = out.s0[cut], out.b0[cut], out.t0[cut]
        lam = (s0 - smin) / (s0 - p.s1[cut])
        out.s1[cut] = smin
        out.b1[cut] = b0 + lam * (p.b1[cut] - b0)
        out.t1[cut] = t0 + lam * (p.t1[cut] - t0)
    return out


def _box_prune(p: Pieces, q_s: float, q_b: float) -> Pieces:
    """Drop the pieces that one end of another piece dominates entirely (cheap and safe)."""
    if len(p) < 64:
        return p
    ends_s = np.concatenate([p.s0, p.s1])
    ends_b = np.concatenate([p.b0, p.b1])
    order = np.argsort(-ends_s, kind="stable")
    sorted_s = -ends_s[order]  # ascending
    best_b = np.maximum.accumulate(ends_b[order])  # best buyer among ends with seller ≥ that end's

    def best_at_least(s: np.ndarray) -> np.ndarray:
        k = np.searchsorted(sorted_s, -s, side="right")  # ends with seller ≥ s
        return np.where(k > 0, best_b[np.maximum(k - 1, 0)], -np.inf)

    margin_s, margin_b = 2 * q_s, 2 * q_b
    dominated = (best_at_least(p.s0 + margin_s) >= p.b1) | (best_at_least(p.s0) >= p.b1 + margin_b)
    return p.take(~dominated)


def minkowski(a: Pieces, c: Pieces) -> tuple[Pieces, Pieces]:
    """Efficient chains of every sum of a piece of ``a`` and a piece of ``c``, as two aligned piece sets.

    Each chain edge moves along one of the two pieces while the other stays at an end: the
    first result tells where on ``a`` (``src`` an index into ``a``), the second where on ``c``.
    """
    na, nc = len(a), len(c)
    ia = np.repeat(np.arange(na), nc)
    ic = np.tile(np.arange(nc), na)
    da_s, da_b = a.s1[ia] - a.s0[ia], a.b1[ia] - a.b0[ia]
    dc_s, dc_b = c.s1[ic] - c.s0[ic], c.b1[ic] - c.b0[ic]
    a_point = (da_s == 0) & (da_b == 0)
    c_point = (dc_s == 0) & (dc_b == 0)
    # the flatter piece (less seller lost per buyer gained) moves first: da_s/da_b ≥ dc_s/dc_b;
    # a chain with a point on one side is one edge, the first
    a_first = np.where(a_point, False, np.where(c_point, True, da_s * dc_b >= dc_s * da_b))
    zero, one = np.zeros(len(ia)), np.ones(len(ia))
    s_start, b_start = a.s0[ia] + c.s0[ic], a.b0[ia] + c.b0[ic]
    s_mid = np.where(a_first, a.s1[ia] + c.s0[ic], a.s0[ia] + c.s1[ic])
    b_mid = np.where(a_first, a.b1[ia] + c.b0[ic], a.b0[ia] + c.b1[ic])
    s_end, b_end = a.s1[ia] + c.s1[ic], a.b1[ia] + c.b1[ic]
    # edge 1: start → mid; edge 2: mid → end (positions 0 → 1 on the moving piece, the other fixed)
    first_a = Pieces(s_start, b_start, s_mid, b_mid, ia, zero, np.where(a_first, one, zero))
    first_c = Pieces(s_start, b_start, s_mid, b_mid, ic, zero, np.where(a_first, zero, one))
    second_a = Pieces(s_mid, b_mid, s_end, b_end, ia, np.where(a_first, one, zero), one)
    second_c = Pieces(s_mid, b_mid, s_end, b_end, ic, np.where(a_first, zero, one), one)
    two = ~a_point & ~c_point
    return _cat([first_a, second_a.take(two)]), _cat([first_c, second_c.take(two)])


def envelope(
    p: Pieces, q_s: float, q_b: float, smin: float | None = None, bmin: float | None = None
) -> tuple[list[Vertex], Pieces]:
    """The Pareto frontier of the union of the pieces (cut at the minima), and the pieces it refers to."""
    p = _clip(efficient_pieces(p, q_s, q_b), smin, bmin)
    p = _box_prune(p, q_s, q_b)
    return _Sweep(p, q_s, q_b).run(), p


class _Sweep:
    """Traces the envelope by increasing buyer utility (see the module docstring)."""

    def __init__(self, p: Pieces, q_s: float, q_b: float) -> None:
        self.p = p
        self.q_s, self.q_b = q_s, q_b
        self.ds = p.s1 - p.s0
        self.db = p.b1 - p.b0
        self.proper = self.db > 0

    def at(self, k: int, lam: float) -> tuple[float, float]:
        p = self.p
        return float(p.s0[k] + lam * self.ds[k]), float(p.b0[k] + lam * self.db[k])

    def grid_next(self, b: float) -> float:
        """The top of the buyer grid cell of ``b``: anything above is a different buyer utility."""
        top = (math.floor(b / self.q_b + 0.5) + 0.5) * self.q_b
        return top if top > b else top + self.q_b

    def cell_s(self, s: float) -> int:
        return round(s / self.q_s)

    def from_buyer(self, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every piece reaching buyer ≥ beta: (indices, position, seller, buyer) of its first such point."""
        p = self.p
        k = np.flatnonzero(p.b1 >= beta)
        lam = np.zeros(len(k))
        prop = self.proper[k]
        lam[prop] = np.clip((beta - p.b0[k[prop]]) / self.db[k[prop]], 0.0, 1.0)
        return k, lam, p.s0[k] + lam * self.ds[k], p.b0[k] + lam * self.db[k]

    def best(self, beta: float) -> tuple[int, float] | None:
        """The lexicographic maximum (seller, then buyer) over the pieces' parts with buyer ≥ beta."""
        k, lam, s, b = self.from_buyer(beta)
        if not len(k):
            return None
        j = np.lexsort((k, -b, -np.round(s / self.q_s)))[0]
        return int(k[j]), float(lam[j])

    def continuation(self, v: Vertex) -> tuple[int, float] | None:
        """A piece that goes on from ``v`` (its part above v's buyer starts at v), the flattest first."""
        k, lam, s, b = self.from_buyer(v.b)
        near = (np.abs(s - v.s) <= 2 * self.q_s) & (np.abs(b - v.b) <= 2 * self.q_b) & (lam < 1.0) & self.proper[k]
        near &= self.p.b1[k] > v.b + self.q_b
        if not near.any():
            return None
        k, lam = k[near], lam[near]
        rate = self.ds[k] / self.db[k]
        j = np.lexsort((k, -rate))[0]
        return int(k[j]), float(lam[j])

    def run(self) -> list[Vertex]:
        F: list[Vertex] = []
        b_cur: float | None = None
        for _ in range(8 * len(self.p) + 16):
            if F and b_cur is not None and F[-1].b == b_cur:
                cont = self.continuation(F[-1])
                if cont is not None:
                    b_new = self.follow(F, *cont)
                    if b_new > b_cur:
                        b_cur = b_new
                        continue
            beta = -math.inf if b_cur is None else self.grid_next(b_cur)
            got = self.best(beta)
            if got is None:
                break
            k, lam = got
            s, b = self.at(k, lam)
            if F and b_cur is not None and F[-1].b == b_cur and self.proper[k]:
                last = F[-1]
                lam0 = max(0.0, (last.b - float(self.p.b0[k])) / float(self.db[k]))
                s0, b0 = self.at(k, lam0)
                if lam0 < 1.0 and abs(s0 - last.s) <= 2 * self.q_s and abs(b0 - last.b) <= 2 * self.q_b:
                    b_new = self.follow(F, k, lam0)
                    b_cur = max(b_new, beta)
                    continue
            self.push(F, Vertex(s, b, k, lam))
            b_new = self.follow(F, k, lam)
            b_cur = max(b_new, beta)
        else:
            raise SolveError(
                "merge: the segment envelope did not close (a bug: please report the model)", engine="merge"
            )
        if F:
            F[-1].seg, F[-1].carrier = False, None
        return F

    def push(self, F: list[Vertex], v: Vertex) -> None:
        """Append a vertex after a gap, dropping what it dominates (same seller cell, higher buyer)."""
        while F and self.cell_s(v.s) >= self.cell_s(F[-1].s):
            gone = F.pop()
            if F and F[-1].seg and (carrier := F[-1].carrier) is not None:
                a = F[-1]
                k, la, lb = carrier
                s_r = v.s + self.q_s
                if a.s > s_r > gone.s:
                    frac = (a.s - s_r) / (a.s - gone.s)
                    lam = la + frac * (lb - la)
                    a.carrier = (k, la, lam)
                    s, b = self.at(k, lam)
                    F.append(Vertex(s, b, k, lam))
                else:
                    a.seg, a.carrier = False, None
        if F:
            F[-1].seg, F[-1].carrier = False, None
        F.append(v)

    def follow(self, F: list[Vertex], k: int, lam_a: float) -> float:
        """Walk piece ``k`` from position ``lam_a`` (the point of F[-1]) while it is efficient; the buyer reached."""
        for _ in range(4 * len(self.p) + 4):
            a = F[-1]
            s_b, b_b = float(self.p.s1[k]), float(self.p.b1[k])
            if not self.proper[k] or b_b <= a.b or s_b >= a.s:
                return a.b
            top = self.dominating(k, a, s_b, b_b)
            if top is None:
                a.seg, a.carrier = True, (k, lam_a, 1.0)
                F.append(Vertex(s_b, b_b, k, 1.0))
                return b_b
            j, lam_j, t_s, t_b, crossing = top
            s_r = min(t_s, a.s)
            frac = (a.s - s_r) / (a.s - s_b)
            if crossing:
                if frac <= 1e-12:  # dominated right from a: go on along j from here
                    if j == k or lam_j >= 1.0:
                        return a.b
                    k, lam_a = j, lam_j
                    a.piece, a.lam = j, lam_j
                    continue
                a.seg, a.carrier = True, (k, lam_a, lam_a + frac * (1.0 - lam_a))
                F.append(Vertex(t_s, t_b, j, lam_j))
                k, lam_a = j, lam_j
                continue
            # a point above the line weakly dominates the point at s_r: efficient up to there, open
            b_r = a.b + frac * (b_b - a.b)
            frac2 = (a.s - (s_r + self.q_s)) / (a.s - s_b)
            if frac2 > 1e-12:
                lam2 = lam_a + frac2 * (1.0 - lam_a)
                a.seg, a.carrier = True, (k, lam_a, lam2)
                s2, b2 = self.at(k, lam2)
                F.append(Vertex(s2, b2, k, lam2))
            return b_r
        raise SolveError(
            "merge: a piece of the segment envelope did not end (a bug: please report the model)", engine="merge"
        )

    def dominating(self, k: int, a: Vertex, s_b: float, b_b: float) -> tuple[int, float, float, float, bool] | None:
        """What first dominates the edge a → (s_b, b_b) of piece k: the lexicographic top of the other pieces'
        parts on or above its line, with buyer ≥ b_a and seller ≥ s_b, among those reaching strictly above it.

        Returns (piece, position, seller, buyer, whether the top lies on the line), or None.
        """
        p = self.p
        w = (a.s - s_b) / (b_b - a.b)
        c = a.s + w * a.b
        unit = self.q_s + w * self.q_b
        lo = np.zeros(len(p))
        hi = np.ones(len(p))
        db, ds = self.db, self.ds
        prop = self.proper
        with np.errstate(divide="ignore", invalid="ignore"):
            # buyer ≥ b_a
            need = prop & (p.b0 < a.b)
            lo[need] = np.maximum(lo[need], (a.b - p.b0[need]) / db[need])
            out = (~prop & (p.b0 < a.b)) | (p.b1 < a.b)
            # seller ≥ s_b
            need = prop & (p.s1 < s_b)
            hi[need] = np.minimum(hi[need], (p.s0[need] - s_b) / (p.s0[need] - p.s1[need]))
            out |= p.s0 < s_b
            # on or above the line: h(λ) = h0 + λ (h1 − h0) ≥ 0
            h0 = p.s0 + w * p.b0 - c
            h1 = p.s1 + w * p.b1 - c
            up = prop & (h1 > h0)
            down = prop & (h1 < h0)
            root = np.where(prop & (h1 != h0), -h0 / (h1 - h0), 0.0)
            lo[up] = np.maximum(lo[up], root[up])
            hi[down] = np.minimum(hi[down], root[down])
            out |= ~prop & (h0 < 0)
            out |= (h0 < 0) & (h1 < 0)
        out |= lo > hi
        out[k] = True
        h_top = np.maximum(h0 + lo * (h1 - h0), h0 + hi * (h1 - h0))
        ok = ~out & (h_top > _ABOVE * unit)
        cand = np.flatnonzero(ok)
        if not len(cand):
            return None
        lam = lo[cand]
        t_s = p.s0[cand] + lam * ds[cand]
        t_b = p.b0[cand] + lam * db[cand]
        j = np.lexsort((cand, -t_b, -t_s))[0]
        ts, tb = float(t_s[j]), float(t_b[j])
        crossing = ts + w * tb - c <= 0.5 * unit
        return int(cand[j]), float(lam[j]), ts, tb, bool(crossing)
