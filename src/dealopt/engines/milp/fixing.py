"""Bound tightening for MILPs made of tabulated blocks only, done before each solve with vector operations."""

from __future__ import annotations

import numpy as np

from dealopt.engines.milp.backend import Backend
from dealopt.engines.milp.choices import Block

__all__ = ["Fixing"]


class Fixing:
    """Bound tightening for models made of tabulated blocks only: before a solve, every column that cannot
    meet the active bounds whatever the other blocks choose is fixed to 0 (what presolve probing finds,
    found here with a few vector operations)."""

    def __init__(self, blocks: list[Block]) -> None:
        self.cols = np.concatenate([np.asarray(b.vars, dtype=np.int64) for b in blocks])
        self.s = [np.asarray(b.seller, dtype=float) for b in blocks]
        self.b = [np.asarray(b.buyer, dtype=float) for b in blocks]
        self.fixed = np.zeros(len(self.cols), dtype=bool)

    def apply(self, lp: Backend, limits: list[tuple[float, float, float]], tol_s: float, tol_b: float) -> None:
        fixed = np.zeros(len(self.cols), dtype=bool)
        for a_s, a_b, r in limits:
            vals = [a_s * s + a_b * b for s, b in zip(self.s, self.b)]
            best = [float(v.max()) for v in vals]
            total = sum(best)
            slack = abs(a_s) * tol_s + abs(a_b) * tol_b
            at = 0
            for v, top in zip(vals, best):
                fixed[at : at + len(v)] |= v + (total - top) < r - slack
                at += len(v)
        changed = np.flatnonzero(fixed != self.fixed)
        if len(changed):
            lp.set_col_bounds(self.cols[changed], np.zeros(len(changed)), np.where(fixed[changed], 0.0, 1.0))
            self.fixed = fixed
