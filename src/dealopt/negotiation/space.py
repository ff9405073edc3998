"""The whole outcome space of a deal, evaluated once and kept: the counter-offer engine searches it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from dealopt.errors import LimitError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices

__all__ = ["OutcomeSpace", "outcome_space", "MAX_SPACE"]

#: Largest outcome space kept in memory for counter-offers (packages).
MAX_SPACE = 8_000_000
_CHUNK = 1_000_000


@dataclass(frozen=True, eq=False)
class OutcomeSpace:
    """Utilities and feasibility of every package, indexed by row-major flat index."""

    deal: CompiledDeal
    seller: np.ndarray
    buyer: np.ndarray  # expected utility under the model's prior
    profiles: np.ndarray | None  # (profiles, packages): each profile's utility
    feasible: np.ndarray

    @functools.cached_property
    def profile_accepts(self) -> np.ndarray | None:
        """(profiles, packages): 1.0 where a buyer profile accepts a package, else 0.0."""
        if self.profiles is None:
            return None
        rows = []
        for j, p in enumerate(self.deal.profiles):
            w = p.walk_away
            rows.append(
                np.ones(self.size, dtype=bool) if w is None else self.profiles[j] >= w - 1e-9 * max(1.0, abs(w))
            )
        return np.stack(rows).astype(np.float64)

    @functools.cached_property
    def profile_range(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Lowest and highest utility of each profile over the feasible packages."""
        if self.profiles is None or not self.feasible.any():
            return None
        feas = self.profiles[:, self.feasible]
        return feas.min(axis=1), feas.max(axis=1)

    def best_matching(self, values: np.ndarray, partial: dict[int, int], within: np.ndarray) -> np.ndarray | None:
        """Max of ``values`` (…, packages) over the packages ``within`` that agree with ``partial``; None if none."""
        if len(partial) == len(self.deal.issues):
            flat = int(self.flat(np.array([partial[i] for i in range(len(partial))]))[0])
            return values[..., flat] if within[flat] else None
        mask = self.matching(partial) & within
        if not mask.any():
            return None
        best: np.ndarray = values[..., mask].max(axis=-1)
        return best

    def best_matching_memo(self, name: str, values: np.ndarray, partial: dict[int, int]) -> np.ndarray | None:
        """:meth:`best_matching` over the feasible packages, remembered per ``name`` (which must identify
        ``values``) and offer: a negotiation asks about the same offers every round."""
        memo: dict[tuple[str, frozenset[tuple[int, int]]], np.ndarray | None] = self.__dict__.setdefault("_memo", {})
        key = (name, frozenset(partial.items()))
        if key in memo:
            return memo[key]
        if len(memo) >= 20_000:
            memo.clear()
        found = self.best_matching(values, partial, self.feasible)
        memo[key] = found
        return found

    @property
    def size(self) -> int:
        """Number of packages."""
        return len(self.seller)

    def rows(self, flat: np.ndarray) -> np.ndarray:
        """Level indices of packages given by flat index."""
        return np.stack(np.unravel_index(np.asarray(flat, dtype=np.int64), self.deal.shape), axis=1)

    def flat(self, rows: np.ndarray) -> np.ndarray:
        """Flat indices of packages given by level indices."""
        flat: np.ndarray = np.ravel_multi_index(tuple(np.atleast_2d(rows).T), self.deal.shape)
        return flat

    def matching(self, partial: dict[int, int]) -> np.ndarray:
        """Boolean mask of the packages that agree with a partial package ``{issue: level}``."""
        if not partial:
            return np.ones(self.size, dtype=bool)
        shape = self.deal.shape
        grid = np.ones((1,) * len(shape), dtype=bool)
        for issue, level in partial.items():
            keep = np.zeros(shape[issue], dtype=bool)
            keep[level] = True
            view = [1] * len(shape)
            view[issue] = shape[issue]
            grid = grid & keep.reshape(view)
        return np.broadcast_to(grid, shape).reshape(-1)


def is_evaluated(deal: CompiledDeal) -> bool:
    """Whether :func:`outcome_space` has already evaluated ``deal``."""
    return "_outcome_space" in deal.__dict__


def outcome_space(deal: CompiledDeal) -> OutcomeSpace:
    """Every package of ``deal`` evaluated, once: the result is kept with the compiled deal."""
    cached: OutcomeSpace | None = deal.__dict__.get("_outcome_space")
    if cached is not None:
        return cached
    space = _evaluate_space(deal)
    deal.__dict__["_outcome_space"] = space  # a frozen dataclass: stored the way cached_property does
    return space


def _evaluate_space(deal: CompiledDeal) -> OutcomeSpace:
    if not deal.gridded:
        stepless = next(i.name for i in deal.issues if not i.gridded)
        raise LimitError(f"issue {stepless!r} is continuous without step; give it a step to search counter-offers")
    size = deal.space_size or 0
    if size > MAX_SPACE:
        raise LimitError(
            f"the outcome space has {size:,} packages, more than {MAX_SPACE:,} searched for counter-offers"
        )
    seller = np.empty(size)
    buyer = np.empty(size)
    feasible = np.empty(size, dtype=bool)
    profiles = np.empty((len(deal.profiles), size)) if deal.profiles else None
    for start in range(0, size, _CHUNK):
        flat = np.arange(start, min(size, start + _CHUNK))
        ev = evaluate_indices(deal, np.stack(np.unravel_index(flat, deal.shape), axis=1))
        seller[flat] = ev.seller
        buyer[flat] = ev.buyer
        feasible[flat] = ev.feasible
        if profiles is not None and ev.profiles is not None:
            for j, p in enumerate(deal.profiles):
                profiles[j, flat] = ev.profiles[p.name]
    return OutcomeSpace(deal, seller, buyer, profiles, feasible)
