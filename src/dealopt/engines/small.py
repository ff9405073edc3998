"""A direct path for outcome spaces small enough to list: every package evaluated once per deal, then filtered.

On a few thousand packages, one vectorized Pareto filter over the whole space
costs less than merging components; the space's utilities are kept with the
compiled deal, so asking again (other walk-aways, another solution) costs only
the filter.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from dealopt.engines.base import EngineOptions, IndexedPackages, RawFrontier, Status, at_least, pareto_keep, resolution
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices

__all__ = ["SMALL_SPACE", "list_small"]

#: Largest outcome space listed directly.
SMALL_SPACE = 20_000

#: (rows, seller, buyer, flat) of the feasible packages and the deal's resolution (q_s, q_b).
_Space = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]
_SPACES: weakref.WeakKeyDictionary[CompiledDeal, _Space] = weakref.WeakKeyDictionary()


def _space(deal: CompiledDeal) -> _Space:
    """(rows, seller, buyer, flat) of the feasible packages, in row-major order, and the resolution; cached per deal."""
    got = _SPACES.get(deal)
    if got is None:
        size = deal.space_size or 0
        flat = np.arange(size, dtype=np.int64)
        rows = np.stack(np.unravel_index(flat, deal.shape), axis=1) if size else np.empty((0, len(deal.issues)))
        ev = evaluate_indices(deal, rows.astype(np.int64))
        feas = ev.feasible
        got = (rows[feas], ev.seller[feas], ev.buyer[feas], flat[feas], *resolution(deal))
        _SPACES[deal] = got
    return got


def list_small(
    engine: str, deal: CompiledDeal, seller_min: float | None, buyer_min: float | None, options: EngineOptions
) -> RawFrontier:
    """The frontier of a small gridded deal, by filtering its listed space."""
    rows, seller, buyer, _, q_s, q_b = _space(deal)
    if not len(seller):
        return RawFrontier(engine, Status.INFEASIBLE, np.empty(0), np.empty(0), [])
    ok = np.flatnonzero(at_least(seller, seller_min) & at_least(buyer, buyer_min))
    kept = ok[pareto_keep(seller[ok], buyer[ok], q_s, q_b, ties=options.all_packages)]
    stats = {"packages_evaluated": len(seller), "listed": True}
    lo_s, lo_b = float(seller.min()), float(buyer.min())
    if not options.all_packages:
        return RawFrontier(
            engine, Status.OPTIMAL, seller[kept], buyer[kept], IndexedPackages(deal, rows[kept]), lo_s, lo_b,
            stats=stats,
        )  # fmt: skip
    # kept is sorted by seller desc, buyer desc, index asc: one group per distinct pair
    ks = np.round(seller[kept] / q_s).astype(np.int64)
    kb = np.round(buyer[kept] / q_b).astype(np.int64)
    new = np.ones(len(kept), dtype=bool)
    new[1:] = (ks[1:] != ks[:-1]) | (kb[1:] != kb[:-1])
    starts = np.flatnonzero(new)
    packages: list[list[dict[str, Any]]] = []
    for a, z in zip(starts, [*starts[1:], len(kept)]):
        members = kept[a:z][: options.max_packages_per_point]
        packages.append([deal.package_labels(rows[m]) for m in members])
    return RawFrontier(
        engine, Status.OPTIMAL, seller[kept[starts]], buyer[kept[starts]], packages, lo_s, lo_b, stats=stats
    )
