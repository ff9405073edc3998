"""Exact issue-by-issue Pareto merge (Nemhauser–Ullmann).

Utility is additive across components (issues that share a term or a
constraint), and feasibility is a conjunction across them. So the frontier of
the whole is the Pareto filter of the sums of the components' frontiers:
merge one component at a time, keeping only non-dominated partial sums. The
cost follows the sizes of the frontiers, not of the outcome space. Walk-aways
are applied at the end: whatever dominates an acceptable package is acceptable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from dealopt.engines.base import (
    EngineOptions,
    IndexedPackages,
    RawFrontier,
    Status,
    at_least,
    ensure_accepts,
    pareto_keep,
    resolution,
    unlisted_levels,
)
from dealopt.errors import LimitError
from dealopt.model.compiled import MAX_TABLE_CELLS, CompiledDeal, Component
from dealopt.model.levels import display_value

__all__ = ["MergeEngine"]

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


class MergeEngine:
    """Exact and output-sensitive on every gridded model whose components can be tabulated."""

    name: ClassVar[str] = "merge"
    exact: ClassVar[bool] = True

    def accepts(self, deal: CompiledDeal) -> str | None:
        """Needs listable levels and components small enough to tabulate."""
        reason = unlisted_levels(deal)
        if reason:
            return reason
        for comp in deal.components:
            if comp.tables is None:
                names = ", ".join(deal.issues[i].name for i in comp.issues)
                return f"issues {names} interact in {comp.size:,} joint levels, more than {MAX_TABLE_CELLS:,} (use --engine milp)"
        return None

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """Merge the components' frontiers one at a time, then apply the minima."""
        ensure_accepts(self, deal)
        q_s, q_b = resolution(deal)
        ties = options.all_packages
        comps = deal.components
        comp_stages: list[_Stage] = []
        lo_s = lo_b = 0.0
        for comp in comps:
            assert comp.tables is not None and comp.feasible is not None
            joint = comp.joint
            if len(joint) == 0:
                return RawFrontier(self.name, Status.INFEASIBLE, np.empty(0), np.empty(0), [])
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

        final = stages[-1]
        ok = at_least(final.seller, seller_min) & at_least(final.buyer, buyer_min)
        points = np.flatnonzero(ok)  # already sorted by seller desc
        if ties:
            packages: Sequence[list[dict[str, Any]]] = [
                self._packages(deal, comps, comp_stages, stages, int(p), options.max_packages_per_point) for p in points
            ]
        else:
            packages = IndexedPackages(deal, self._representatives(deal, comps, comp_stages, stages, points))
        return RawFrontier(
            self.name,
            Status.OPTIMAL,
            final.seller[points].copy(),
            final.buyer[points].copy(),
            packages,
            min_seller=lo_s,
            min_buyer=lo_b,
            stats={"components": len(comps), "largest_intermediate_frontier": largest},
        )

    @staticmethod
    def _representatives(
        deal: CompiledDeal,
        comps: tuple[Component, ...],
        comp_stages: list[_Stage],
        stages: list[_Stage],
        points: np.ndarray,
    ) -> np.ndarray:
        """Level indices of the first package reaching each point, for all points at once."""
        index = np.zeros((len(points), len(deal.issues)), dtype=np.int64)
        p = points.astype(np.intp)
        for k in range(len(stages) - 1, -1, -1):
            st = stages[k]
            a = st.alt_ptr[p]
            cpoint = st.alt_b[a]
            cs = comp_stages[k]
            joint = cs.alt_a[cs.alt_ptr[cpoint]]
            for col, issue in zip(np.unravel_index(joint, comps[k].shape), comps[k].issues):
                index[:, issue] = col
            p = st.alt_a[a]
        return index

    @staticmethod
    def _packages(
        deal: CompiledDeal,
        comps: tuple[Component, ...],
        comp_stages: list[_Stage],
        stages: list[_Stage],
        point: int,
        cap: int,
    ) -> list[dict[str, Any]]:
        """Every package (up to ``cap``) that reaches ``point`` of the last stage."""
        out: list[dict[str, Any]] = []
        levels = [0] * len(deal.issues)

        def comp_levels(k: int, cpoint: int) -> list[np.ndarray]:
            cs = comp_stages[k]
            joints = cs.alt_a[cs.alt_ptr[cpoint] : cs.alt_ptr[cpoint + 1]]
            return [np.array(np.unravel_index(int(j), comps[k].shape)) for j in joints]

        def walk(k: int, p: int) -> None:
            if len(out) >= cap:
                return
            st = stages[k]
            for a in range(st.alt_ptr[p], st.alt_ptr[p + 1]):
                for lv in comp_levels(k, int(st.alt_b[a])):
                    for issue, level in zip(comps[k].issues, lv):
                        levels[issue] = int(level)
                    if k == 0:
                        out.append({i.name: display_value(i.labels[levels[i.index]]) for i in deal.issues})
                    else:
                        walk(k - 1, int(st.alt_a[a]))
                    if len(out) >= cap:
                        return

        walk(len(stages) - 1, point)
        return out
