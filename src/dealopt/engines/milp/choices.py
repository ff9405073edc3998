"""The choices of the MILP (every binary fixed) and their exact images: utilities, polygons, packages.

The solver only ever *proposes* choices; everything the engine reports is
recomputed here from the chosen levels, as the evaluator computes it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dealopt.engines.milp.geometry import P, hull
from dealopt.errors import SolveError
from dealopt.model.compiled import CompiledDeal, CompiledIssue, Component, utility_of_values
from dealopt.model.evaluation import evaluate_indices
from dealopt.model.levels import display_value

__all__ = ["Block", "Choice", "Choices", "Free"]


@dataclass(frozen=True)
class Choice:
    """Every binary of a solution: a column per block, a level per gridded issue, a cell per stepless issue."""

    cols: tuple[int, ...]
    levels: tuple[int, ...]
    cells: tuple[int, ...]


@dataclass
class Block:
    """A tabulated component: one binary per column, each column a group of tied joint levels."""

    comp: Component
    joints: list[np.ndarray]
    seller: np.ndarray
    buyer: np.ndarray
    vars: list[int]


@dataclass
class Free:
    """A continuous issue without step, split into cells where everything about it is affine."""

    issue: CompiledIssue
    cells: list[tuple[float, float]]
    scale: float
    c: list[int] = field(default_factory=list)
    xi: list[int] = field(default_factory=list)  # x / scale inside the chosen cell, 0 in the others


class Choices:
    """Exact values, polygons and packages of choices (cached per choice)."""

    def __init__(
        self, deal: CompiledDeal, blocks: list[Block], grid: list[int], free: list[Free], q_s: float, q_b: float
    ) -> None:
        self.deal = deal
        self.blocks = blocks
        self.grid = grid
        self.free = free
        self.q_s, self.q_b = q_s, q_b
        self._poly: dict[Choice, list[P]] = {}
        self._rows: dict[Choice, np.ndarray] = {}

    def read(self, values: np.ndarray, y: dict[int, list[int]], terms_only: bool) -> Choice:
        """The choice a solution sets (the largest binary of each group)."""

        def argmax(vs: list[int]) -> int:
            return int(np.argmax(values[vs]))

        cols = () if terms_only else tuple(argmax(b.vars) for b in self.blocks)
        return Choice(cols, tuple(argmax(y[i]) for i in self.grid), tuple(argmax(f.c) for f in self.free))

    def levels_of(self, choice: Choice) -> np.ndarray:
        """Level index per issue (−1 for stepless issues)."""
        row = self._rows.get(choice)
        if row is None:
            row = np.full(len(self.deal.issues), -1, dtype=np.int64)
            for blk, col in zip(self.blocks, choice.cols):
                for issue, lv in zip(blk.comp.issues, np.unravel_index(int(blk.joints[col][0]), blk.comp.shape)):
                    row[issue] = int(lv)
            for i, level in zip(self.grid, choice.levels):
                row[i] = level
            self._rows[choice] = row
        return row

    def x_of(self, choice: Choice, t: tuple[float, ...]) -> list[float]:
        """The stepless values at position ``t`` of their cells (0 at a cell's low end, 1 at its high end)."""
        out = []
        for fr, j, tk in zip(self.free, choice.cells, t):
            lo, hi = fr.cells[j]
            out.append(min(hi, max(lo, lo + tk * (hi - lo))) if tk < 1.0 else hi)
        return out

    def exact(self, row: np.ndarray, x: list[float]) -> tuple[float, float]:
        """Seller and buyer utility of one package, as the evaluator computes them."""
        if not self.free:
            ev = evaluate_indices(self.deal, row[None, :])
            if not ev.feasible[0]:
                raise SolveError("milp: the solver chose an infeasible package", engine="milp")
            return float(ev.seller[0]), float(ev.buyer[0])
        values: dict[int, tuple[Any, CompiledIssue]] = {}
        for issue in self.deal.issues:
            if issue.gridded:
                values[issue.index] = (issue.labels[int(row[issue.index])], issue)
        for fr, xv in zip(self.free, x):
            values[fr.issue.index] = (xv, fr.issue)
        return utility_of_values(self.deal.seller, values), utility_of_values(self.deal.buyer, values)

    def polygon(self, choice: Choice) -> list[P]:
        """The exact image of a choice in the (seller, buyer) plane, counter-clockwise."""
        poly = self._poly.get(choice)
        if poly is not None:
            return poly
        row = self.levels_of(choice)
        if not self.free:
            s, b = self.exact(row, [])
            poly = [P(s, b, ())]
        else:
            x0 = [fr.cells[j][0] for fr, j in zip(self.free, choice.cells)]
            s0, b0 = self.exact(row, x0)
            gens = []
            for k, (fr, j) in enumerate(zip(self.free, choice.cells)):
                lo, hi = fr.cells[j]
                if hi == lo:
                    gens.append((0.0, 0.0))
                    continue
                xk = list(x0)
                xk[k] = hi
                sk, bk = self.exact(row, xk)
                gens.append((sk - s0, bk - b0))
            corners = []
            for bits in itertools.product((0.0, 1.0), repeat=len(self.free)):
                s = s0 + sum(bit * g[0] for bit, g in zip(bits, gens))
                b = b0 + sum(bit * g[1] for bit, g in zip(bits, gens))
                corners.append(P(s, b, bits))
            poly = hull(corners, self.q_s * 1e-3, self.q_b * 1e-3)
        self._poly[choice] = poly
        return poly

    def package(self, choice: Choice, t: tuple[float, ...], joints: tuple[int, ...] | None = None) -> dict[str, Any]:
        """The package of a choice at stepless position ``t`` (``joints``: other columns' tied levels)."""
        row = self.levels_of(choice)
        if joints is not None:
            row = row.copy()
            for blk, j in zip(self.blocks, joints):
                for issue, lv in zip(blk.comp.issues, np.unravel_index(int(j), blk.comp.shape)):
                    row[issue] = int(lv)
        xs = dict(zip((fr.issue.index for fr in self.free), self.x_of(choice, t)))
        out: dict[str, Any] = {}
        for ci in self.deal.issues:
            if ci.gridded:
                out[ci.name] = display_value(ci.labels[int(row[ci.index])])
            else:
                out[ci.name] = float(xs[ci.index])
        return out

    def expand(self, choice: Choice, t: tuple[float, ...], cap: int) -> list[dict[str, Any]]:
        """The packages of a choice at t, one per combination of tied columns (up to ``cap``)."""
        out = []
        for joints in itertools.product(*(blk.joints[c] for blk, c in zip(self.blocks, choice.cols))):
            out.append(self.package(choice, t, tuple(int(j) for j in joints)))
            if len(out) >= cap:
                break
        return out
