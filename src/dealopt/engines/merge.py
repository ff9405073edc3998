"""The merge engine: exact issue-by-issue Pareto merge, with points and with segments.

On gridded models each component's frontier is a set of points, merged as
points (:mod:`dealopt.engines.point_merge`). Where continuous issues without
step enter the utilities affinely, a component's outcomes are segments, and the
frontier of the whole is the Pareto envelope of Minkowski sums of segments and
points (:mod:`dealopt.engines.segment_merge`): vertices of a piecewise-linear
frontier, with ``segment`` telling which consecutive vertices an efficient
segment joins. Walk-aways are applied at the end: whatever dominates an
acceptable package is acceptable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from dealopt.engines.base import (
    EngineOptions,
    IndexedPackages,
    RawFrontier,
    Status,
    at_least,
    declared_reason,
    ensure_accepts,
    resolution,
)
from dealopt.engines.point_merge import labels, merge_points
from dealopt.engines.segment_merge import merge_segments
from dealopt.engines.small import SMALL_SPACE, list_small
from dealopt.engines.stepless import AFFINE
from dealopt.model.compiled import CompiledDeal

__all__ = ["MergeEngine"]


class MergeEngine:
    """Exact and output-sensitive on every model whose components can be tabulated; stepless issues as segments."""

    name: ClassVar[str] = "merge"
    exact: ClassVar[bool] = True
    listed_levels: ClassVar[bool] = False
    tables: ClassVar[bool] = True
    stepless: ClassVar[str] = AFFINE
    requires: ClassVar[tuple[str, ...]] = ()
    fallback: ClassVar[tuple[str, ...]] = ()

    def accepts(self, deal: CompiledDeal) -> str | None:
        """Needs components small enough to tabulate, and stepless issues only as bare factors."""
        return declared_reason(self, deal)

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """Merge the components' frontiers one at a time, then apply the minima."""
        ensure_accepts(self, deal)
        if not deal.gridded:
            return merge_segments(self.name, deal, seller_min, buyer_min, options)
        if (deal.space_size or 0) <= SMALL_SPACE:
            return list_small(self.name, deal, seller_min, buyer_min, options)
        q_s, q_b = resolution(deal)
        merged = merge_points(deal.components, q_s, q_b, options.all_packages)
        if merged is None:
            return RawFrontier(self.name, Status.INFEASIBLE, np.empty(0), np.empty(0), [])
        ok = at_least(merged.seller, seller_min) & at_least(merged.buyer, buyer_min)
        points = np.flatnonzero(ok)  # already sorted by seller desc
        packages: Sequence[list[dict[str, Any]]]
        if options.all_packages:
            cap = options.max_packages_per_point
            packages = [[labels(deal, row) for row in merged.packages(deal, int(p), cap)] for p in points]
        else:
            index = np.zeros((len(points), len(deal.issues)), dtype=np.int64)
            merged.fill(index, points)
            packages = IndexedPackages(deal, index)
        return RawFrontier(
            self.name,
            Status.OPTIMAL,
            merged.seller[points].copy(),
            merged.buyer[points].copy(),
            packages,
            min_seller=merged.min_seller,
            min_buyer=merged.min_buyer,
            stats={"components": len(deal.components), "largest_intermediate_frontier": merged.largest},
        )
