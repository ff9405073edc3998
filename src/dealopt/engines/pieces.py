"""A component with continuous issues without step, as pieces of the (seller, buyer) plane.

Where every such issue enters each term at most once as a bare factor, fixing
the component's gridded levels and the cell of each stepless issue (the
intervals in which every constraint test on it is constant) leaves both
utilities affine in the stepless issues: the image is a zonotope, and its
efficient boundary a chain of at most K edges, each moving one stepless issue
from one end of its cell to the other, the flattest first.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from dealopt.engines.envelope import Pieces
from dealopt.engines.stepless import cells
from dealopt.model.compiled import CompiledDeal, CompiledTerm, CompiledTest, CompiledUtility, Component, term_tensor

__all__ = ["ComponentPieces", "component_pieces"]


@dataclass
class ComponentPieces:
    """The pieces of one component; piece ``i`` sets the gridded levels ``joint[i]`` and moves the stepless
    issues from ``x0[i]`` to ``x1[i]``."""

    grid: tuple[int, ...]  # gridded issue positions (axes of ``joint``)
    shape: tuple[int, ...]
    free: tuple[int, ...]  # stepless issue positions (columns of x0, x1)
    pieces: Pieces
    joint: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    min_seller: float
    min_buyer: float

    @property
    def feasible(self) -> bool:
        """Whether some package of the component satisfies its constraints."""
        return len(self.joint) > 0


def _affine(
    deal: CompiledDeal, util: CompiledUtility, comp: Component, grid: list[int], free: list[int]
) -> list[np.ndarray]:
    """The utility of the component as ``A(g) + Σ_x B_x(g)·x``: [A, B_x for each stepless issue], flat over g."""
    shape = tuple(len(deal.issues[i].labels) for i in grid)
    axis = {issue: k for k, issue in enumerate(grid)}
    members = set(comp.issues)
    out = [np.zeros(shape) for _ in range(1 + len(free))]
    for term in util.terms:
        if not term.issues <= members:
            continue
        xs = [f.issue for f in term.factors if not deal.issues[f.issue].gridded]
        rest = CompiledTerm(term.coef, tuple(f for f in term.factors if deal.issues[f.issue].gridded))
        slot = 1 + free.index(xs[0]) if xs else 0
        out[slot] = out[slot] + term_tensor(deal, rest, axis, len(shape))
    return [np.broadcast_to(a, shape).reshape(-1) for a in out]


def _truth(
    deal: CompiledDeal, tests: tuple[CompiledTest, ...], axis: dict[int, int], ndim: int, x: dict[int, float]
) -> np.ndarray:
    out = np.ones((1,) * ndim, dtype=bool)
    for t in tests:
        if t.issue in x:
            if not bool(t.on_values(np.asarray([x[t.issue]]), np.asarray([-1]), False)[0]):
                return np.zeros((1,) * ndim, dtype=bool)
            continue
        assert t.mask is not None
        shape = [1] * ndim
        shape[axis[t.issue]] = len(t.mask)
        out = out & t.mask.reshape(shape)
    return out


def _feasible(deal: CompiledDeal, comp: Component, grid: list[int], mid: dict[int, float]) -> np.ndarray:
    """Which gridded joint levels satisfy the component's constraints with the stepless issues at ``mid``."""
    shape = tuple(len(deal.issues[i].labels) for i in grid)
    axis = {issue: k for k, issue in enumerate(grid)}
    members = set(comp.issues)
    ok = np.ones((1,) * len(shape), dtype=bool)
    for con in deal.constraints:
        if not con.issues <= members:
            continue
        when = _truth(deal, con.when, axis, len(shape), mid)
        ok = ok & (~when if con.then is None else ~when | _truth(deal, con.then, axis, len(shape), mid))
    return np.broadcast_to(ok, shape).reshape(-1)


def component_pieces(deal: CompiledDeal, comp: Component) -> ComponentPieces:
    """Every piece of the component's efficient chains, one chain per gridded joint level and cells."""
    grid = [i for i in comp.issues if deal.issues[i].gridded]
    free = [i for i in comp.issues if not deal.issues[i].gridded]
    shape = tuple(len(deal.issues[i].labels) for i in grid)
    seller = _affine(deal, deal.seller, comp, grid, free)
    buyer = _affine(deal, deal.buyer, comp, grid, free)
    K = len(free)
    parts: list[tuple[np.ndarray, ...]] = []
    lows_s: list[float] = []
    lows_b: list[float] = []
    for combo in itertools.product(*(cells(deal, deal.issues[i]) for i in free)):
        lo = np.array([c[0] for c in combo])
        hi = np.array([c[1] for c in combo])
        g = np.flatnonzero(_feasible(deal, comp, grid, {i: 0.5 * (a + b) for i, (a, b) in zip(free, combo)}))
        if not len(g):
            continue
        bs = np.stack([seller[1 + k][g] for k in range(K)], axis=1) if K else np.zeros((len(g), 0))
        bb = np.stack([buyer[1 + k][g] for k in range(K)], axis=1) if K else np.zeros((len(g), 0))
        s_lo, s_hi = seller[0][g] + bs @ lo, bs * (hi - lo)
        b_lo, b_hi = buyer[0][g] + bb @ lo, bb * (hi - lo)
        lows_s.append(float(np.min(s_lo + np.minimum(s_hi, 0.0).sum(axis=1))))
        lows_b.append(float(np.min(b_lo + np.minimum(b_hi, 0.0).sum(axis=1))))
        parts.append(_chains(g, lo, hi, s_lo, b_lo, s_hi, b_hi))
    if not parts:
        z = np.empty(0)
        empty = Pieces(z, z, z, z, np.empty(0, dtype=np.int64), z, z)
        return ComponentPieces(tuple(grid), shape, tuple(free), empty, np.empty(0, dtype=np.int64),
                               np.empty((0, K)), np.empty((0, K)), math.inf, math.inf)  # fmt: skip
    s0, b0, s1, b1, joint, x0, x1 = (np.concatenate(cols) for cols in zip(*parts))
    n = len(s0)
    pieces = Pieces(s0, b0, s1, b1, np.arange(n), np.zeros(n), np.ones(n))
    return ComponentPieces(tuple(grid), shape, tuple(free), pieces, joint, x0, x1, min(lows_s), min(lows_b))


def _chains(
    g: np.ndarray, lo: np.ndarray, hi: np.ndarray, s_lo: np.ndarray, b_lo: np.ndarray, gs: np.ndarray, gb: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The efficient chain of each zonotope ``(s_lo, b_lo) + Σ_k t_k (gs_k, gb_k)``, ``t ∈ [0, 1]^K``.

    Start at the corner with the most seller (then buyer); each generator that trades seller for buyer
    is then walked, the flattest first. Returns (s0, b0, s1, b1, joint, x0, x1) of the edges, or a point
    where no generator trades.
    """
    n, K = gs.shape
    at_hi = (gs > 0) | ((gs == 0) & (gb > 0))  # the start corner takes each generator's better end
    s = s_lo + np.where(at_hi, gs, 0.0).sum(axis=1)
    b = b_lo + np.where(at_hi, gb, 0.0).sum(axis=1)
    x = np.where(at_hi, hi, lo)
    ds = np.where(at_hi, -gs, gs)
    db = np.where(at_hi, -gb, gb)
    movable = (ds < 0) & (db > 0)
    rate = np.where(movable, ds / np.where(movable, db, 1.0), -np.inf)
    order = np.argsort(-rate, axis=1, kind="stable")
    rows = np.arange(n)
    out: list[list[np.ndarray]] = [[] for _ in range(7)]
    none = ~movable.any(axis=1)
    if none.any():
        for col, v in enumerate((s[none], b[none], s[none], b[none], g[none], x[none], x[none])):
            out[col].append(v)
    for m in range(K):
        k = order[:, m]
        mv = movable[rows, k]
        x_next = x.copy()
        x_next[rows, k] = np.where(at_hi[rows, k], lo[k], hi[k])
        s_next, b_next = s + np.where(mv, ds[rows, k], 0.0), b + np.where(mv, db[rows, k], 0.0)
        if mv.any():
            for col, v in enumerate((s[mv], b[mv], s_next[mv], b_next[mv], g[mv], x[mv], x_next[mv])):
                out[col].append(v)
        s, b = s_next, b_next
        x = np.where(mv[:, None], x_next, x)
    return tuple(np.concatenate(col) if col else np.empty((0, K) if i >= 5 else 0) for i, col in enumerate(out))
