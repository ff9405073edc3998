"""Vectorized evaluation: utilities, joint value, feasibility and acceptability of many packages.

Packages come as an ``(n, issues)`` array of level indices (the fast path, used
by every engine) or as a pandas DataFrame / list of mappings with one column
per issue holding levels as written (any value of a continuous issue allowed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal, CompiledIssue, CompiledUtility, compile_model, expected_level
from dealopt.model.levels import as_number
from dealopt.model.schema import DealModel

if TYPE_CHECKING:  # pandas is imported only by the functions that build frames
    import pandas as pd

__all__ = ["Evaluation", "evaluate", "evaluate_indices", "evaluate_off_grid", "evaluate_values", "acceptable_mask"]

_TOL = 1e-9


@dataclass(frozen=True)
class Evaluation:
    """Per-package results; every array has one entry per package."""

    seller: np.ndarray
    buyer: np.ndarray  # expected utility when the buyer is modelled by profiles
    feasible: np.ndarray
    acceptable_seller: np.ndarray
    acceptable_buyer: np.ndarray
    profiles: dict[str, np.ndarray] | None = None  # buyer utility under each profile
    acceptance_probability: np.ndarray | None = None

    @property
    def joint(self) -> np.ndarray:
        """Seller utility + buyer utility."""
        joint: np.ndarray = self.seller + self.buyer
        return joint

    @property
    def acceptable(self) -> np.ndarray:
        """Feasible and acceptable to both sides (in the ZOPA)."""
        both: np.ndarray = self.feasible & self.acceptable_seller & self.acceptable_buyer
        return both

    def __len__(self) -> int:
        return len(self.seller)

    def to_frame(self) -> pd.DataFrame:
        """One row per package."""
        import pandas as pd

        data: dict[str, Any] = {
            "seller": self.seller,
            "buyer": self.buyer,
            "joint": self.joint,
            "feasible": self.feasible,
            "acceptable_seller": self.acceptable_seller,
            "acceptable_buyer": self.acceptable_buyer,
            "acceptable": self.acceptable,
        }
        if self.acceptance_probability is not None:
            data["acceptance_probability"] = self.acceptance_probability
        for name, values in (self.profiles or {}).items():
            data[f"buyer[{name}]"] = values
        return pd.DataFrame(data)


def acceptable_mask(utility: np.ndarray, walk_away: float | None) -> np.ndarray:
    """``utility ≥ walk_away`` with a relative tolerance; all True when there is no walk-away."""
    if walk_away is None:
        return np.ones(len(utility), dtype=bool)
    return utility >= walk_away - _TOL * max(1.0, abs(walk_away))


def _as_deal(model: DealModel | CompiledDeal) -> CompiledDeal:
    return model if isinstance(model, CompiledDeal) else compile_model(model)


def evaluate(model: DealModel | CompiledDeal, packages: Any) -> Evaluation:
    """Evaluate packages given as level indices (ndarray), a DataFrame, or mappings."""
    deal = _as_deal(model)
    if isinstance(packages, np.ndarray):
        return evaluate_indices(deal, packages)
    label = "packages"
    if isinstance(packages, Mapping):
        packages, label = [packages], "package"
    return evaluate_values(deal, package_columns(packages), label)


def package_columns(packages: Any) -> dict[str, list[Any]]:
    """Packages as columns ``{issue: [level, …]}``, from a DataFrame, a mapping of columns or a list of mappings.

    A list of mappings gives one column per name seen (first-seen order); a row without a name gets NaN there,
    as a DataFrame built from it would.
    """
    if isinstance(packages, Mapping):  # already columns
        return {str(k): list(v) for k, v in packages.items()}
    columns = getattr(packages, "columns", None)
    if columns is not None:  # a DataFrame
        return {str(c): packages[c].tolist() for c in columns}
    rows = list(packages)
    names: dict[str, None] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise PackageError(f"packages: {type(row).__name__} row; expected a mapping {{issue: level, …}}")
        names.update(dict.fromkeys(row))
    return {name: [row.get(name, float("nan")) for row in rows] for name in names}


def evaluate_indices(deal: CompiledDeal, index: np.ndarray) -> Evaluation:
    """Evaluate packages given as an ``(n, issues)`` integer array of level indices."""
    idx = np.asarray(index)
    if idx.ndim != 2 or idx.shape[1] != len(deal.issues):
        raise PackageError(f"packages: array of shape {idx.shape}; expected (n, {len(deal.issues)}) level indices")
    if not np.issubdtype(idx.dtype, np.integer):
        raise PackageError(f"packages: array of {idx.dtype}; expected integer level indices")
    if not deal.gridded:
        raise PackageError("packages: the model has a continuous issue without step; give packages by value instead")
    n = idx.shape[0]
    if n:
        lo = idx.min(axis=0)
        hi = idx.max(axis=0)
        for issue in deal.issues:
            if lo[issue.index] < 0 or hi[issue.index] >= len(issue.labels):
                raise PackageError(
                    f"packages: level index out of range for {issue.name!r}; expected 0…{len(issue.labels) - 1}"
                )
    keys = ["seller", "buyer"] + [f"profile:{p.name}" for p in deal.profiles]
    sums = {k: np.zeros(n) for k in keys}
    feasible = np.ones(n, dtype=bool)
    values = None
    for comp in deal.components:
        if comp.tables is None:
            if values is None:
                values = _values_from_index(deal, idx)
            utils = deal.utilities()
            for k in keys:
                sums[k] += _utility_on_values(utils[k], values, comp.issues)
            feasible &= _feasible_on_values(deal, values, comp.issues)
            continue
        flat = _flat(idx, comp.issues, comp.strides)
        for k in keys:
            table = comp.tables[k]
            if table.any():
                sums[k] += table.take(flat)
        assert comp.feasible is not None
        if not comp.feasible.all():
            feasible &= comp.feasible.take(flat)
    return _finish(deal, sums, feasible)


def _flat(idx: np.ndarray, issues: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    flat = idx[:, issues[-1]].astype(np.intp, copy=True)
    for i, s in zip(issues[:-1], strides[:-1]):
        flat += idx[:, i] * s
    return flat


def _finish(deal: CompiledDeal, sums: dict[str, np.ndarray], feasible: np.ndarray) -> Evaluation:
    seller = sums["seller"]
    buyer = sums["buyer"]
    profiles = None
    prob = None
    if deal.profiles:
        profiles = {p.name: sums[f"profile:{p.name}"] for p in deal.profiles}
        prob = np.zeros(len(seller))
        for p in deal.profiles:
            prob += p.probability * acceptable_mask(profiles[p.name], p.walk_away)
    return Evaluation(
        seller=seller,
        buyer=buyer,
        feasible=feasible,
        acceptable_seller=acceptable_mask(seller, deal.seller_walk_away),
        acceptable_buyer=acceptable_mask(buyer, deal.buyer_walk_away),
        profiles=profiles,
        acceptance_probability=prob,
    )


# ---------------------------------------------------------------- by value


@dataclass(frozen=True)
class _Values:
    value: list[np.ndarray]  # numeric value per issue (NaN for categorical)
    index: list[np.ndarray]  # level index per issue (-1 when off the grid)


def _values_from_index(deal: CompiledDeal, idx: np.ndarray) -> _Values:
    vals = []
    for issue in deal.issues:
        col = idx[:, issue.index]
        vals.append(issue.levels[col] if issue.levels is not None else np.full(len(col), np.nan))
    return _Values(vals, [idx[:, i.index] for i in deal.issues])


def packages_to_values(
    deal: CompiledDeal, frame: pd.DataFrame | Mapping[str, list[Any]], label: str = "packages"
) -> tuple[_Values, np.ndarray | None]:
    """Check and convert a frame of packages; also level indices when all are on the grid.

    ``label`` names the input in messages (``packages[3].price: …``, or ``package.price: …`` for one).
    """

    def where(r: int) -> str:
        return f"{label}[{r}]" if label == "packages" else label

    cols = frame if isinstance(frame, Mapping) else package_columns(frame)
    unknown = [c for c in cols if c not in deal.by_name]
    if unknown:
        raise PackageError(f"{label}: unknown issue {unknown[0]!r}; expected {', '.join(deal.by_name)}")
    n = len(next(iter(cols.values()), []))
    values: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    on_grid = True
    for issue in deal.issues:
        if issue.name not in cols:
            raise PackageError(f"{label}: missing issue {issue.name!r}; expected a level for every issue")
        # each distinct value of the column is read once (by type and value: 1, 1.0 and True stay apart)
        seen: dict[tuple[type, Any], int] = {}
        read: list[tuple[int, float]] = []
        codes = np.empty(n, dtype=np.int64)
        for r, raw in enumerate(cols[issue.name]):
            key = (type(raw), raw)
            try:
                code = seen.get(key)
            except TypeError:  # unhashable: never a level, refused by _read_level
                code = None
            if code is None:
                j, x, grid = _read_level(issue, raw, where(r))
                on_grid = on_grid and grid
                code = len(read)
                read.append((j, x))
                seen[key] = code
            codes[r] = code
        index = np.array([j for j, _ in read], dtype=np.int64)[codes] if n else np.full(0, -1, dtype=np.int64)
        value = np.array([x for _, x in read], dtype=float)[codes] if n else np.full(0, np.nan)
        values.append(value)
        indices.append(index)
    idx = np.stack(indices, axis=1) if (on_grid and deal.gridded) else None
    return _Values(values, indices), idx


def _read_level(issue: CompiledIssue, raw: Any, at: str) -> tuple[int, float, bool]:
    """One value of a package: its level index (-1 between grid steps), its value (NaN for an option), and whether
    it is on the grid; a PackageError naming ``at`` (``packages[3]``) when it is not a level."""
    if issue.kind == "categorical":
        j = issue.index_of(raw)
        if j is None:
            raise PackageError(
                f"{at}.{issue.name}: {raw!r} is not an option; expected one of {', '.join(issue.labels)}"
            )
        return j, math.nan, True
    x = as_number(raw)
    if x is None:
        raise PackageError(f"{at}.{issue.name}: {raw!r} is not a number; expected a level of {issue.name!r}")
    assert issue.lo is not None and issue.hi is not None
    if issue.kind == "continuous":
        if not issue.lo - _TOL * max(1.0, abs(issue.lo)) <= x <= issue.hi + _TOL * max(1.0, abs(issue.hi)):
            raise PackageError(
                f"{at}.{issue.name}: {raw!r} is outside [{issue.labels[0] if issue.labels else issue.lo}, "
                f"{issue.labels[-1] if issue.labels else issue.hi}]; expected a value in range"
            )
        j = issue.index_of(x)
        if j is None:
            return -1, x, False
        return j, float(issue.levels[j]), True  # type: ignore[index]
    j = issue.index_of(x)
    if j is None and issue.kind == "integer" and float(x).is_integer() and issue.lo <= x <= issue.hi:
        return -1, x, False  # a whole number between steps: evaluated as it is
    if j is None:
        raise PackageError(
            f"{at}.{issue.name}: {raw!r} is not a level of {issue.name!r}; expected {expected_level(issue)}"
        )
    return j, float(issue.levels[j]), True  # type: ignore[index]


def evaluate_values(
    deal: CompiledDeal, frame: pd.DataFrame | Mapping[str, list[Any]], label: str = "packages"
) -> Evaluation:
    """Evaluate packages given by value (one column per issue)."""
    vals, idx = packages_to_values(deal, frame, label)
    if idx is not None and len(idx):
        return evaluate_indices(deal, idx)
    return _evaluate_on_values(deal, vals)


def _evaluate_on_values(deal: CompiledDeal, vals: _Values) -> Evaluation:
    everything = tuple(range(len(deal.issues)))
    keys = {"seller": deal.seller, "buyer": deal.buyer}
    for p in deal.profiles:
        keys[f"profile:{p.name}"] = p.utility
    sums = {k: _utility_on_values(u, vals, everything) for k, u in keys.items()}
    return _finish(deal, sums, _feasible_on_values(deal, vals, everything))


def _utility_on_values(util: CompiledUtility, vals: _Values, issues: Iterable[int]) -> np.ndarray:
    members = set(issues)
    n = len(vals.value[0]) if vals.value else 0
    total = np.zeros(n)
    for term in util.terms:
        if not term.issues <= members:
            continue
        prod = np.full(n, term.coef)
        for f in term.factors:
            if f.form == "table":
                assert f.table is not None
                prod = prod * f.table[vals.index[f.issue]]
            else:
                prod = prod * f.on_values(vals.value[f.issue])
        total += prod
    return total


def _feasible_on_values(deal: CompiledDeal, vals: _Values, issues: Iterable[int]) -> np.ndarray:
    members = set(issues)
    n = len(vals.value[0]) if vals.value else 0
    ok = np.ones(n, dtype=bool)
    for con in deal.constraints:
        if not con.issues <= members:
            continue
        when = np.ones(n, dtype=bool)
        for t in con.when:
            when &= t.on_values(vals.value[t.issue], vals.index[t.issue], deal.issues[t.issue].kind == "categorical")
        if con.then is None:
            ok &= ~when
        else:
            then = np.ones(n, dtype=bool)
            for t in con.then:
                then &= t.on_values(
                    vals.value[t.issue], vals.index[t.issue], deal.issues[t.issue].kind == "categorical"
                )
            ok &= ~when | then
    return ok


def evaluate_off_grid(deal: CompiledDeal, index: np.ndarray, exact: Mapping[int, float]) -> Evaluation:
    """Evaluate packages given by level indices, except that issue ``i`` takes the value ``exact[i]`` (off the grid).

    The level index of an overridden issue is ignored; ``exact`` holds numeric issues only.
    """
    idx = np.atleast_2d(np.asarray(index, dtype=np.int64))
    if not exact:
        return evaluate_indices(deal, idx)
    vals = _values_from_index(deal, idx)
    for i, x in exact.items():
        vals.value[i] = np.full(len(idx), float(x))
        vals.index[i] = np.full(len(idx), -1, dtype=np.int64)
    return _evaluate_on_values(deal, vals)
