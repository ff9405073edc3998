"""An engine that answers from a frontier already computed for the same deal without bounds.

The frontier of the packages above any walk-aways is the frontier of all feasible
packages cut at those walk-aways (whatever dominates an acceptable package is
acceptable). So once the feasible frontier is known, a change of walk-aways needs
no new solve: this is what makes walk-away sweeps cheap.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from dealopt.engines.base import EngineOptions, RawFrontier, Status, at_least
from dealopt.model.compiled import CompiledDeal

__all__ = ["FilteredFrontierEngine"]


class FilteredFrontierEngine:
    """Cuts a precomputed feasible frontier (of a gridded deal) at the requested minima."""

    exact: ClassVar[bool] = True

    def __init__(self, feasible: RawFrontier) -> None:
        if feasible.segment is not None:
            raise ValueError("a piecewise-linear frontier cannot be cut point by point")
        self.feasible = feasible
        self.name = feasible.engine

    def accepts(self, deal: CompiledDeal) -> str | None:
        """Any deal with the same issues, terms and constraints as the one solved."""
        return None

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """The precomputed points with utilities ≥ the minima."""
        raw = self.feasible
        if raw.status is Status.INFEASIBLE:
            return raw
        keep = np.flatnonzero(at_least(raw.seller, seller_min) & at_least(raw.buyer, buyer_min))
        return RawFrontier(
            raw.engine,
            Status.OPTIMAL,
            raw.seller[keep],
            raw.buyer[keep],
            [raw.packages[int(i)] for i in keep],
            min_seller=raw.min_seller,
            min_buyer=raw.min_buyer,
            stats=raw.stats,
        )
