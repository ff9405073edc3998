"""Exact issue-by-issue Pareto merge of tabulated components (Nemhauser–Ullmann), as points.

Utility is additive across components (issues that share a term or a
constraint), and feasibility is a conjunction across them. So the frontier of
the whole is the Pareto filter of the sums of the components' frontiers:
merge one component at a time, keeping only non-dominated partial sums. The
cost follows the sizes of the frontiers, not of the outcome space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.engines.base import pareto_keep
from dealopt.errors import LimitError
from dealopt.model.compiled import CompiledDeal, Component
from dealopt.model.levels import display_value

__all__ = ["PointMerge", "merge_points", "MAX_CANDIDATES"]

#: Most candidate sums formed in one merge step before giving up.
MAX_CANDIDATES = 50_000_000


@dataclass
class _Stage:
    """Distinct non-dominated points, each with its alternatives (CSR layout)."""

    seller: np.ndarray
    buyer: np.ndarray
    alt_ptr: np.ndarray  # alternatives of point p: alt_ptr[p]:alt_ptr[p+1]
    alt_a: np.ndarray  # previous stage's point (or, for a component, the joint level)
    alt_b: np.ndarray  # this component's point (unused for a component)


def _group(
    seller: np.ndarray, buyer: np.ndarray, q_s: float, q_b: float, ties: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-dominated candidates grouped by distinct pair: (representatives, alt_ptr, members)."""
    kept = pareto_keep(seller, buyer, q_s, q_b, ties=ties)
    if not ties:
        return kept, np.arange(len(kept) + 1), kept
    ks = np.round(seller[kept] / q_s).astype(np.int64)
    kb = np.round(buyer[kept] / q_b).astype(np.int64)
    # kept is sorted by seller desc, buyer desc, index asc: groups are contiguous
    new = np.ones(len(kept), dtype=bool)
    new[1:] = (ks[1:] != ks[:-1]) | (kb[1:] != kb[:-1])
    starts = np.flatnonzero(new)
    ptr = np.append(starts, len(kept))
    return kept[starts], ptr, kept


@dataclass
class PointMerge:
    """The merged frontier of some tabulated components (seller descending), and how to rebuild its packages."""

    comps: tuple[Component, ...]
    comp_stages: list[_Stage]
    stages: list[_Stage]
    min_seller: float
    min_buyer: float
    largest: int

    @property
    def seller(self) -> np.ndarray:
        """Seller utility of each point."""
        return self.stages[-1].seller

    @property
    def buyer(self) -> np.ndarray:
        """Buyer utility of each point."""
        return self.stages[-1].buyer

    def fill(self, index: np.ndarray, points: np.ndarray) -> None:
        """Write the levels of the first package reaching each point into the rows of ``index`` (its columns)."""
        p = points.astype(np.intp)
        for k in range(len(self.stages) - 1, -1, -1):
            st = self.stages[k]
            a = st.alt_ptr[p]
            cpoint = st.alt_b[a]
            cs = self.comp_stages[k]
            joint = cs.alt_a[cs.alt_ptr[cpoint]]
            for col, issue in zip(np.unravel_index(joint, self.comps[k].shape), self.comps[k].issues):
                index[:, issue] = col
            p = st.alt_a[a]

    def packages(self, deal: CompiledDeal, point: int, cap: int, levels: list[int] | None = None) -> list[list[int]]:
        """Level indices of every package (up to ``cap``) reaching ``point``; other issues keep ``levels``."""
        out: list[list[int]] = []
        row = list(levels) if levels is not None else [0] * len(deal.issues)

        def comp_levels(k: int, cpoint: int) -> list[np.ndarray]:
            cs = self.comp_stages[k]
            joints = cs.alt_a[cs.alt_ptr[cpoint] : cs.alt_ptr[cpoint + 1]]
            return [np.array(np.unravel_index(int(j), self.comps[k].shape)) for j in joints]

        def walk(k: int, p: int) -> None:
            st = self.stages[k]
            for a in range(st.alt_ptr[p], st.alt_ptr[p + 1]):
                for lv in comp_levels(k, int(st.alt_b[a])):
                    for issue, level in zip(self.comps[k].issues, lv):
                        row[issue] = int(level)
                    if k == 0:
                        out.append(list(row))
                    else:
                        walk(k - 1, int(st.alt_a[a]))
                    if len(out) >= cap:
                        return

        walk(len(self.stages) - 1, point)
        return out


def labels(deal: CompiledDeal, row: list[int]) -> dict[str, Any]:
    """A package given by level indices, as ``{issue: level}``."""
    return {i.name: display_value(i.labels[row[i.index]]) for i in deal.issues}


def merge_points(comps: tuple[Component, ...], q_s: float, q_b: float, ties: bool) -> PointMerge | None:
    """Merge the tabulated components' frontiers one at a time; None when one has no feasible level."""
    comp_stages: list[_Stage] = []
    lo_s = lo_b = 0.0
    for comp in comps:
        assert comp.tables is not None and comp.feasible is not None
        joint = comp.joint
        if len(joint) == 0:
            return None
        s = comp.feasible_tables["seller"]
        b = comp.feasible_tables["buyer"]
        lo_s += float(s.min())
        lo_b += float(b.min())
        reps, ptr, members = _group(s, b, q_s, q_b, ties)
        comp_stages.append(_Stage(s[reps], b[reps], ptr, joint[members], np.zeros(0, dtype=np.intp)))
    # merge, in component order (the evaluator sums in the same order, so values match bit for bit)
    first = comp_stages[0]
    n0 = len(first.seller)
    stages = [_Stage(first.seller, first.buyer, np.arange(n0 + 1), np.zeros(n0, dtype=np.intp), np.arange(n0))]
    largest = n0
    for cs in comp_stages[1:]:
        prev = stages[-1]
        m, n = len(prev.seller), len(cs.seller)
        if m * n > MAX_CANDIDATES:
            raise LimitError(f"merge: a merge step would form {m * n:,} candidate sums (limit {MAX_CANDIDATES:,})")
        s = (prev.seller[:, None] + cs.seller[None, :]).ravel()
        b = (prev.buyer[:, None] + cs.buyer[None, :]).ravel()
        reps, ptr, members = _group(s, b, q_s, q_b, ties)
        stages.append(_Stage(s[reps], b[reps], ptr, members // n, members % n))
        largest = max(largest, len(reps))
    return PointMerge(comps, comp_stages, stages, lo_s, lo_b, largest)
