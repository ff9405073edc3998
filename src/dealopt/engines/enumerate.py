"""The reference engine: evaluate every package, in bounded-memory chunks, and filter."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from dealopt.engines.base import (
    EngineOptions,
    RawFrontier,
    Status,
    at_least,
    declared_reason,
    ensure_accepts,
    pareto_keep,
    resolution,
)
from dealopt.engines.stepless import NONE
from dealopt.errors import LimitError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices

__all__ = ["EnumerateEngine"]


class EnumerateEngine:
    """Lists the whole outcome space; exact on every gridded model, up to a size limit."""

    name: ClassVar[str] = "enumerate"
    exact: ClassVar[bool] = True
    listed_levels: ClassVar[bool] = True
    tables: ClassVar[bool] = False
    stepless: ClassVar[str] = NONE
    requires: ClassVar[tuple[str, ...]] = ()
    fallback: ClassVar[tuple[str, ...]] = ()

    def accepts(self, deal: CompiledDeal) -> str | None:
        """Only models whose every issue has listable levels."""
        return declared_reason(self, deal)

    def solve(
        self, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
    ) -> RawFrontier:
        """Evaluate every package and keep the non-dominated ones above the minima."""
        ensure_accepts(self, deal)
        size = deal.space_size or 0
        if size > options.max_space:
            raise LimitError(
                f"enumerate: the outcome space has {size:,} packages, more than the limit max_space = "
                f"{options.max_space:,}; use the engine merge or milp, or raise max_space",
                limit="max_space",
                value=options.max_space,
            )
        q_s, q_b = resolution(deal)
        shape = deal.shape
        keep_s = np.empty(0)
        keep_b = np.empty(0)
        keep_i = np.empty(0, dtype=np.int64)
        lo_s = lo_b = np.inf
        any_feasible = False
        for start in range(0, size, options.chunk_size):
            flat = np.arange(start, min(size, start + options.chunk_size), dtype=np.int64)
            idx = np.stack(np.unravel_index(flat, shape), axis=1)
            ev = evaluate_indices(deal, idx)
            feas = ev.feasible
            if not feas.any():
                continue
            any_feasible = True
            lo_s = min(lo_s, float(ev.seller[feas].min()))
            lo_b = min(lo_b, float(ev.buyer[feas].min()))
            ok = feas & at_least(ev.seller, seller_min) & at_least(ev.buyer, buyer_min)
            s = np.concatenate([keep_s, ev.seller[ok]])
            b = np.concatenate([keep_b, ev.buyer[ok]])
            i = np.concatenate([keep_i, flat[ok]])
            kept = pareto_keep(s, b, q_s, q_b, ties=options.all_packages)
            keep_s, keep_b, keep_i = s[kept], b[kept], i[kept]
        if not any_feasible:
            return RawFrontier(self.name, Status.INFEASIBLE, np.empty(0), np.empty(0), [])
        # group ties: one point per distinct pair, packages in row-major order
        ks = np.round(keep_s / q_s).astype(np.int64)
        kb = np.round(keep_b / q_b).astype(np.int64)
        order = np.lexsort((keep_i, -kb, -ks))
        seller: list[float] = []
        buyer: list[float] = []
        packages: list[list[dict[str, Any]]] = []
        last: tuple[int, int] | None = None
        for j in order:
            key = (int(ks[j]), int(kb[j]))
            row = np.array(np.unravel_index(int(keep_i[j]), shape))
            if key != last:
                seller.append(float(keep_s[j]))
                buyer.append(float(keep_b[j]))
                packages.append([deal.package_labels(row)])
                last = key
            elif len(packages[-1]) < options.max_packages_per_point:
                packages[-1].append(deal.package_labels(row))
        return RawFrontier(
            self.name,
            Status.OPTIMAL,
            np.asarray(seller),
            np.asarray(buyer),
            packages,
            min_seller=lo_s,
            min_buyer=lo_b,
            stats={"packages_evaluated": size},
        )
