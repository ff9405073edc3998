"""Offers as negotiators make them: the history, and one offer read exactly.

A buyer says whatever it likes: a price between grid steps (87.25), a quantity
off the step (320 seats), a value outside the range. A numeric value of a
continuous or integer issue is read as it is and evaluated exactly (the step is
only the grid the engine searches); a value outside the range is read at the
nearest bound, with a note. A **partial** offer states some issues and leaves
the others open: its completions are every feasible package that keeps the
stated terms, and "the buyer's offer" is worth to us its best completion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal, CompiledIssue, expected_level
from dealopt.model.evaluation import Evaluation, evaluate_off_grid
from dealopt.model.levels import as_number, display_value

__all__ = ["Offer", "StatedOffer", "parse_history", "read_offer", "completions"]

_TOL = 1e-9
#: Most completions of a partial offer evaluated one by one (beyond: the outcome space answers).
MAX_COMPLETIONS = 2_000_000
#: Packages read remembered per deal.
_OFFERS_MEMO = 20_000


@dataclass(frozen=True)
class Offer:
    """One offer of the history: who made it and the (possibly partial) package."""

    by: str
    package: dict[str, Any]


@dataclass(frozen=True)
class StatedOffer:
    """An offer read against a deal: what was stated, at which levels, and what had to be noted."""

    values: dict[str, Any]  # issue → value as read (clamped into range), in the model's issue order
    grid: dict[int, int]  # issue position → level index, for stated values on the grid
    exact: dict[int, float]  # issue position → exact value, for stated values between grid steps
    notes: tuple[str, ...] = field(default=())
    clamped: frozenset[int] = field(default=frozenset())  # issue positions read at the nearest bound

    @property
    def stated(self) -> frozenset[int]:
        """Positions of the issues the offer states."""
        return frozenset(self.grid) | frozenset(self.exact)

    def complete(self, deal: CompiledDeal) -> bool:
        """Whether every issue is stated."""
        return len(self.stated) == len(deal.issues)

    def near_flat(self, deal: CompiledDeal) -> int | None:
        """Flat index of a complete offer at its nearest levels; None for a partial one (kept: offers are read once
        per deal and asked about every turn)."""
        return self._flats(deal)[0]

    def grid_flat(self, deal: CompiledDeal) -> int | None:
        """Flat index of a complete offer whose every value is a level; None otherwise."""
        return self._flats(deal)[1]

    def _flats(self, deal: CompiledDeal) -> tuple[int | None, int | None]:
        cached: tuple[int | None, int | None] | None = self.__dict__.get("_flat_indices")
        if cached is None:
            near: int | None = None
            if self.complete(deal):
                levels = self.nearest(deal)
                near = int(np.ravel_multi_index(tuple(levels[i] for i in range(len(deal.issues))), deal.shape))
            cached = (near, near if near is not None and not self.exact else None)
            self.__dict__["_flat_indices"] = cached  # a frozen dataclass: stored the way cached_property does
        return cached

    def nearest(self, deal: CompiledDeal) -> dict[int, int]:
        """Level index per stated issue: exact for grid values, the nearest level for values between steps."""
        out = dict(self.grid)
        for i, x in self.exact.items():
            levels = deal.issues[i].levels
            assert levels is not None
            out[i] = int(np.argmin(np.abs(levels - x)))
        return out


def parse_history(data: Any, source: str = "history") -> list[Offer]:
    """Offers from plain data: a list of ``{by: buyer|seller, package: {...}}``, oldest first."""
    if not isinstance(data, list):
        raise PackageError(f"{source}: expected a list of offers [{{by: buyer|seller, package: {{…}}}}, …]", source)
    out = []
    for n, item in enumerate(data):
        where = f"{source}[{n}]"
        if not isinstance(item, dict):
            raise PackageError(f"{where}: expected {{by: buyer|seller, package: {{…}}}}", where)
        extra = set(item) - {"by", "package"}
        if extra:
            raise PackageError(f"{where}: unknown key {sorted(extra)[0]!r}; expected by and package", where)
        by = item.get("by")
        if by not in ("buyer", "seller"):
            raise PackageError(f"{where}.by: {by!r}; expected buyer or seller", where)
        pkg = item.get("package")
        if not isinstance(pkg, dict) or not pkg:
            raise PackageError(f"{where}.package: expected a mapping {{issue: level, …}}", where)
        out.append(Offer(by, pkg))
    return out


def read_offer(deal: CompiledDeal, package: dict[str, Any], where: str = "package") -> StatedOffer:
    """Read a (partial) package: levels where the values are levels, exact values between steps."""
    try:  # a negotiation's history is read again at every turn: each package once per deal
        key: tuple[tuple[str, str, Any], ...] | None = tuple((k, type(v).__name__, v) for k, v in package.items())
        hash(key)
    except TypeError:
        key = None
    memo: dict[tuple[tuple[str, str, Any], ...], StatedOffer] = deal.__dict__.setdefault("_offers_read", {})
    if key is not None and key in memo:
        return memo[key]
    stated = _read_offer(deal, package, where)
    if key is not None:
        if len(memo) >= _OFFERS_MEMO:
            memo.clear()
        memo[key] = stated
    return stated


def _read_offer(deal: CompiledDeal, package: dict[str, Any], where: str) -> StatedOffer:
    grid: dict[int, int] = {}
    exact: dict[int, float] = {}
    notes: list[str] = []
    clamped: set[int] = set()
    for name, raw in package.items():
        issue = deal.by_name.get(name)
        if issue is None:
            raise PackageError(f"{where}: unknown issue {name!r}; expected one of {', '.join(deal.by_name)}", where)
        if not issue.gridded:
            raise PackageError(
                f"{where}.{name}: a continuous issue without step; give it a step to negotiate over it", where
            )
        idx = issue.index_of(raw)
        if idx is not None:
            grid[issue.index] = idx
            continue
        x = _number(issue, raw, where)
        if x is None:
            raise PackageError(f"{where}.{name}: {_brief(raw)} is not a level; expected {expected_level(issue)}", where)
        assert issue.lo is not None and issue.hi is not None
        if x < issue.lo or x > issue.hi:
            bound = issue.lo if x < issue.lo else issue.hi
            notes.append(
                f"{name}: {display_value(x)} is outside [{display_value(issue.lo)}, {display_value(issue.hi)}]; "
                f"read as {display_value(bound)}"
            )
            x = bound
            clamped.add(issue.index)
        idx = issue.index_of(x)
        if idx is not None:
            grid[issue.index] = idx
        else:
            exact[issue.index] = x
    values = {}
    for issue in deal.issues:
        if issue.index in grid:
            values[issue.name] = display_value(issue.labels[grid[issue.index]])
        elif issue.index in exact:
            values[issue.name] = display_value(exact[issue.index])
    return StatedOffer(values, grid, exact, tuple(notes), frozenset(clamped))


def _number(issue: CompiledIssue, raw: Any, where: str) -> float | None:
    """A value of a continuous or integer issue read as a number (None for other kinds or non-numbers)."""
    if issue.kind not in ("continuous", "integer"):
        return None
    x = as_number(raw)
    if x is None:
        return None
    if issue.kind == "integer" and not float(x).is_integer():
        raise PackageError(f"{where}.{issue.name}: {_brief(raw)} is not a whole number; expected an integer", where)
    return x


def _brief(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "…"


def completions(
    deal: CompiledDeal, offer: StatedOffer, shape_limit: int = MAX_COMPLETIONS
) -> tuple[np.ndarray, Evaluation]:
    """Every package that keeps the offer's stated terms, as (nearest-level rows, exact evaluation)."""
    sizes = [1 if i.index in offer.stated else len(i.labels) for i in deal.issues]
    n = math.prod(sizes)
    if n > shape_limit:
        raise PackageError(
            f"the offer leaves {n:,} completions open, more than {shape_limit:,}; state more of its terms"
        )
    fixed = offer.nearest(deal)
    axes = [np.array([fixed[i.index]]) if i.index in fixed else np.arange(len(i.labels)) for i in deal.issues]
    rows = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(deal.issues))
    return rows, evaluate_off_grid(deal, rows, offer.exact)
