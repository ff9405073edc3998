"""Quote-variant pricing: break-even, floor and Nash prices for many quote variants at once.

Each input row is one (quote, variant): ``quote_id``, ``model`` (a model name in
the models folder, or a path to a model file), ``base.ISSUE`` for every issue of
the model (the base quote, its price included) and ``variant.ISSUE`` for the
issues the variant changes (a missing column or an empty cell means unchanged).
For each row, with the variant's non-price levels fixed:

- ``break_even_price``: the price at which the seller's utility with the variant
  equals its utility with the base quote (the lowest such price in the price
  issue's range);
- ``floor_price``: the lowest price in the range at which the seller's utility
  with the variant reaches its walk-away (the root of U_s(p) = walk-away when it
  lies in the range), raised to ``policy.floor_price`` when that is higher; with
  no seller walk-away, ``policy.floor_price`` or null;
- ``suggested_price``: the Nash price, the p in [min, max] with p ≥ the policy
  floor and both sides at least at their walk-away that maximizes
  (U_s(p) − w_s)(U_b(p) − w_b), with the buyer's expected utility (profiles) and
  walk-away, or the disagreement utilities of :func:`dealopt.frontier` (the
  lowest utility over the feasible packages) for a side without a walk-away;
- ``buyer_utility`` at the suggested price, ``discount_pct`` = 100 × (list −
  suggested) / list (null without ``policy.list_price``) and ``needs_approval``
  (discount > ``policy.approval_discount_pct``; false without a threshold).

The price is priced as a **continuous real number** in the price issue's
[min, max], whatever its kind or ``step``: computed prices are not rounded to
the issue's grid. Prices are computed per model group, vectorized. When the
price enters every utility term at most once and as a bare factor, each side's
utility is affine in the price for fixed other levels (U = a + b·p) and every
price has a closed form (the Nash price is the vertex of a quadratic, clipped
to the acceptable interval). Otherwise (a piecewise price factor, the price
twice in a term) prices are found numerically on arrays: a grid through the
price factors' breakpoints to bracket, then bisection for roots and
golden-section search for the Nash maximum.

A bad row keeps its input and gets a one-line ``error`` (naming the row, the
column and what was expected) with every computed column null: unknown model,
unknown level, missing column, a variant that breaks a constraint, no price
that breaks even or reaches the seller's walk-away within the range, no price
both sides accept, a model without a numeric price issue. Rows in = rows out,
in the same order, always.

:func:`price_variants` prices a DataFrame; :func:`price_variants_file` runs
file to file (CSV, Parquet, partitioned Parquet) in bounded-memory chunks, in
process or on a Dask cluster, with the same results either way.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from dealopt.batch.executor import BatchSummary, Executor, Progress, executor
from dealopt.errors import DealoptError, ModelError
from dealopt.model.compiled import CompiledDeal, CompiledFactor, CompiledIssue, compile_model, expected_level
from dealopt.model.levels import display_value
from dealopt.model.loading import load_model
from dealopt.negotiation.trades import price_issue

__all__ = ["OUTPUT_COLUMNS", "DEFAULT_CHUNK_ROWS", "price_variants", "price_variants_file"]

#: Columns added to the input, in this order.
OUTPUT_COLUMNS = (
    "break_even_price",
    "floor_price",
    "suggested_price",
    "buyer_utility",
    "discount_pct",
    "needs_approval",
    "error",
)
#: Rows priced per chunk (and per task on a Dask cluster).
DEFAULT_CHUNK_ROWS = 250_000

_OUTPUT_FIELDS = [pa.field(c, pa.float64()) for c in OUTPUT_COLUMNS[:5]] + [
    pa.field("needs_approval", pa.bool_()),
    pa.field("error", pa.string()),
]
_TOL = 1e-9
_GRID = 129  # grid points that bracket roots and maxima on the numerical path
_BISECT = 60  # bisection steps: the bracket shrinks 2^60-fold
_GOLDEN = 80  # golden-section steps
_BLOCK = 8192  # rows per block on the numerical path (bounds the (rows × grid) arrays)


# ---------------------------------------------------------------- models


@dataclass(frozen=True)
class _Split:
    """A utility term as coef × Π rest × Π price factors.

    ``tables`` holds, for each of ``rest``, its value at each level when the rows' level indices
    give it (tables, integer and ordinal issues), else None (read the values).
    """

    coef: float
    rest: tuple[CompiledFactor, ...]
    price: tuple[CompiledFactor, ...]
    tables: tuple[np.ndarray | None, ...]


@dataclass
class _Model:
    """A model ready for pricing; ``problem`` says why it cannot be priced."""

    path: Path
    deal: CompiledDeal
    problem: str | None
    price: CompiledIssue | None
    seller: tuple[_Split, ...]
    buyer: tuple[_Split, ...]
    affine: bool
    breakpoints: np.ndarray
    list_price: float | None
    approval_pct: float | None
    policy_floor: float | None
    constraint_texts: tuple[str, ...]
    _disagreement: tuple[float, float] | str | None = None

    @property
    def name(self) -> str:
        return self.deal.name

    def disagreement(self) -> tuple[float, float] | str:
        """(w_s, w_b): the walk-aways, or the disagreement utilities of :func:`dealopt.frontier` where missing."""
        if self._disagreement is None:
            w_s, w_b = self.deal.seller_walk_away, self.deal.buyer_walk_away
            if w_s is None or w_b is None:
                from dealopt.negotiation.frontier import frontier

                try:
                    d_s, d_b = frontier(self.deal).disagreement
                except DealoptError as exc:
                    d_s = d_b = None
                    why = str(exc).splitlines()[0]
                else:
                    why = "the model has no feasible package"
                if d_s is None or d_b is None:
                    self._disagreement = f"suggested_price: no disagreement utility for model {self.name!r} ({why})"
                    return self._disagreement
                w_s = d_s if w_s is None else w_s
                w_b = d_b if w_b is None else w_b
            self._disagreement = (float(w_s), float(w_b))
        return self._disagreement


_CACHE: dict[str, tuple[tuple[int, int], _Model | str]] = {}


def _load(path: Path) -> _Model | str:
    """The model at ``path`` (cached per process, reloaded when the file changes), or why it cannot be used."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"model: cannot read {path} ({exc.strerror}); expected a readable model file"
    key = str(path)
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    try:
        prepared: _Model | str = _prepare(path, compile_model(load_model(path)))
    except ModelError as exc:
        first = exc.lines()[0] if exc.lines() else str(exc)
        more = f" and {len(exc.problems) - 1} more problems" if len(exc.problems) > 1 else ""
        prepared = f"model: {path} is not a valid model ({first}{more}); expected a dealopt/1 model file"
    _CACHE[key] = (stamp, prepared)
    return prepared


def _prepare(path: Path, deal: CompiledDeal) -> _Model:
    policy = deal.model.policy
    name = price_issue(deal)
    issue = deal.by_name.get(name) if name else None
    problem = None
    if issue is None:
        problem = (
            f"model: {deal.name!r} has no price issue; expected policy.price_issue or a numeric issue named 'price'"
            if name is None
            else f"model: {deal.name!r} names price issue {name!r}, which is not an issue; expected one of its issues"
        )
    elif not issue.numeric:
        problem = (
            f"model: the price issue {issue.name!r} of {deal.name!r} is categorical; expected a numeric price issue"
        )

    def split(terms: Any, side: str) -> tuple[_Split, ...]:
        nonlocal problem
        out = []
        for t in terms:
            price = tuple(f for f in t.factors if issue is not None and f.issue == issue.index)
            rest = tuple(f for f in t.factors if issue is None or f.issue != issue.index)
            if any(f.form == "table" for f in price) and problem is None:
                problem = (
                    f"model: the {side}'s utility of {deal.name!r} reads the price issue {name!r} through a table; "
                    "expected bare or piecewise price factors (prices are computed as real numbers)"
                )
            tables = tuple(
                f.table
                if f.form == "table"
                else f.on_levels(deal.issues[f.issue])
                if deal.issues[f.issue].kind in ("integer", "ordinal")
                else None
                for f in rest
            )
            out.append(_Split(t.coef, rest, price, tables))
        return tuple(out)

    seller = split(deal.seller.terms, "seller")
    buyer = split(deal.buyer.terms, "buyer")
    affine = all(len(s.price) == 0 or (len(s.price) == 1 and s.price[0].form == "bare") for s in seller + buyer)
    bps: set[float] = set()
    if issue is not None and issue.lo is not None and issue.hi is not None:
        for s in seller + buyer:
            for f in s.price:
                if f.xs is not None:
                    bps.update(float(x) for x in f.xs if issue.lo < x < issue.hi)
    return _Model(
        path=path,
        deal=deal,
        problem=problem,
        price=issue if problem is None else None,
        seller=seller,
        buyer=buyer,
        affine=affine,
        breakpoints=np.array(sorted(bps)),
        list_price=None if policy is None else policy.list_price,
        approval_pct=None if policy is None else policy.approval_discount_pct,
        policy_floor=None if policy is None or policy.floor_price is None else float(policy.floor_price),
        constraint_texts=tuple(_constraint_text(deal, c) for c in range(len(deal.constraints))),
    )


def _model_path(value: Any, models_dir: Path, cwd: Path) -> Path | str:
    """Where the model named in a ``model`` cell is, or why it cannot be found."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        return f"model: empty; expected a model name in {models_dir} or the path of a model file"
    text = str(display_value(value)).strip()
    if any(sep in text for sep in "/\\") or text.endswith((".yaml", ".yml", ".json")):
        p = Path(text).expanduser()
        p = p if p.is_absolute() else cwd / p
        if p.is_file():
            return p
        return f"model: {text!r}: no such model file; expected a model name in {models_dir} or the path of a model file"
    for suffix in (".yaml", ".yml", ".json"):
        p = models_dir / f"{text}{suffix}"
        if p.is_file():
            return p
    known = sorted({p.stem for p in models_dir.glob("*") if p.suffix in (".yaml", ".yml", ".json")})
    listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
    where = f"one of {listed}" if known else f"the name of a model file in {models_dir}"
    return f"model: {text!r} is not a model in {models_dir}; expected {where}, or the path of a model file"


# ---------------------------------------------------------------- cells


def _show(v: Any) -> str:
    """A cell as quoted in messages."""
    if isinstance(v, (float, np.floating)) and math.isfinite(float(v)):
        return repr(display_value(v))
    if isinstance(v, np.generic):
        v = v.item()
    return repr(v)


def _fmt(x: float) -> str:
    """A number in messages."""
    return f"{float(x):,.6g}"


def _empty_np(raw: np.ndarray) -> np.ndarray:
    kind = raw.dtype.kind
    if kind in "fc":
        return np.isnan(raw)
    if kind in "iub":
        return np.zeros(len(raw), dtype=bool)
    out = np.asarray(pd.isna(raw), dtype=bool)
    if kind in "OUT":
        out |= np.asarray(raw == "", dtype=bool)
    return out


def _numbers_np(raw: np.ndarray) -> np.ndarray:
    kind = raw.dtype.kind
    if kind == "b":
        return np.full(len(raw), np.nan)
    x = raw.astype(float) if kind in "iuf" else np.asarray(pd.to_numeric(raw, errors="coerce"), dtype=float)
    if kind == "O":  # True and False are not numbers (as in match_level)
        for j in np.flatnonzero((x == 0) | (x == 1)):
            if isinstance(raw[j], (bool, np.bool_)):
                x[j] = np.nan
    return x


class _Col:
    """One input column: an Arrow array when it converts to one (fast paths), else a NumPy object array."""

    __slots__ = ("arrow", "obj")

    def __init__(self, arrow: pa.Array | None, obj: np.ndarray | None) -> None:
        self.arrow = arrow
        self.obj = obj

    @staticmethod
    def of_series(series: pd.Series) -> _Col:
        try:
            arr = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return _Col(None, series.to_numpy(dtype=object))
        return _Col.of_arrow(arr)

    @staticmethod
    def of_arrow(arr: pa.Array | pa.ChunkedArray) -> _Col:
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        return _Col(arr, None)

    def __len__(self) -> int:
        return len(self.arrow) if self.arrow is not None else len(self.obj)  # type: ignore[arg-type]

    def slice(self, start: int, stop: int) -> _Col:
        if self.arrow is not None:
            return _Col(self.arrow.slice(start, stop - start), None)
        assert self.obj is not None
        return _Col(None, self.obj[start:stop])

    def take(self, rows: np.ndarray) -> _Col:
        if self.arrow is not None:
            return _Col(self.arrow.take(pa.array(rows)), None)
        assert self.obj is not None
        return _Col(None, self.obj[rows])

    def to_list(self) -> list[Any]:
        """Every cell as a Python value."""
        if self.arrow is not None:
            return self.arrow.to_pylist()
        assert self.obj is not None
        return self.obj.tolist()

    def item(self, j: int) -> Any:
        """One cell as a Python value."""
        if self.arrow is not None:
            return self.arrow[j].as_py()
        assert self.obj is not None
        return self.obj[j]

    def _is_text(self) -> bool:
        assert self.arrow is not None
        t = self.arrow.type
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)

    def empty(self) -> np.ndarray:
        """Cells that count as empty: null, NaN or ''."""
        if self.arrow is None:
            assert self.obj is not None
            return _empty_np(self.obj)
        import pyarrow.compute as pc

        arr = self.arrow
        out = arr.is_null(nan_is_null=pa.types.is_floating(arr.type))
        if self._is_text():
            out = pc.or_(out, pc.fill_null(pc.equal(arr, ""), False))
        return out.to_numpy(zero_copy_only=False)

    def numbers(self) -> np.ndarray:
        """Cells as finite floats (NaN where a cell is not a finite number)."""
        if self.arrow is None:
            assert self.obj is not None
            x = _numbers_np(self.obj)
        else:
            arr = self.arrow
            t = arr.type
            if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
                x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
            elif self._is_text():
                try:
                    x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    x = np.asarray(pd.to_numeric(arr.to_numpy(zero_copy_only=False), errors="coerce"), dtype=float)
            else:
                x = np.full(len(arr), np.nan)
        x = np.asarray(x, dtype=float)
        finite = np.isfinite(x)
        return x if finite.all() else np.where(finite, x, np.nan)

    def codes(self, labels: Sequence[str]) -> np.ndarray:
        """Index of each cell among ``labels`` (text cells only, as in match_level), -1 when none."""
        if self.arrow is None:
            assert self.obj is not None
            return pd.Index(list(labels)).get_indexer(self.obj).astype(np.int64)
        import pyarrow.compute as pc

        arr = self.arrow
        if not self._is_text():  # e.g. a CSV column of numbers: match their text
            try:
                arr = arr.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return np.full(len(arr), -1, dtype=np.int64)
        found = pc.index_in(arr, value_set=pa.array(list(labels), type=arr.type))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _match(levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Level index of each value (within the level tolerance), -1 when none; as :func:`match_level`."""
    tol = _TOL * np.maximum(1.0, np.abs(x))
    if len(levels) <= 16:  # a pass per level beats a binary search
        out = np.full(len(x), -1, dtype=np.int64)
        for j, level in enumerate(levels):
            out[(out < 0) & (np.abs(x - level) <= tol)] = j
        return out
    n = len(levels)
    i = np.searchsorted(levels, x)
    j0 = np.clip(i - 1, 0, n - 1)
    j1 = np.clip(i, 0, n - 1)
    ok0 = (i >= 1) & (np.abs(levels[j0] - x) <= tol)
    ok1 = (i < n) & (np.abs(levels[j1] - x) <= tol)
    return np.where(ok0, j0, np.where(ok1, j1, -1)).astype(np.int64)


@dataclass
class _Cells:
    value: np.ndarray  # float; NaN for categorical
    index: np.ndarray  # level index, -1 when not on a level
    empty: np.ndarray
    bad: np.ndarray  # not empty and not a level
    why: Callable[[int], str]


def _cells(issue: CompiledIssue, raw: _Col, as_price: bool) -> _Cells:
    """Parse one column of cells as levels of ``issue`` (the price as any real in range)."""
    n = len(raw)
    empty = raw.empty()
    if issue.kind == "categorical":
        index = raw.codes(issue.labels)
        opts = ", ".join(map(str, issue.labels))
        return _Cells(
            np.full(n, np.nan),
            index,
            empty,
            ~empty & (index < 0),
            lambda j: f"{_show(raw.item(j))} is not an option; expected one of {opts}",
        )
    x = raw.numbers()
    assert issue.lo is not None and issue.hi is not None
    lo, hi = issue.lo, issue.hi
    span = f"[{_fmt(lo)}, {_fmt(hi)}]"
    inside = (x >= lo - _TOL * max(1.0, abs(lo))) & (x <= hi + _TOL * max(1.0, abs(hi)))
    if issue.levels is None or as_price:  # the price is read as a value, never as a level
        index = np.full(n, -1, dtype=np.int64)
    elif issue.kind == "integer":  # an even grid: the nearest level by arithmetic
        step = float(issue.spec.step)
        j = np.clip(np.rint((x - lo) / step), 0, len(issue.levels) - 1)
        j = np.where(np.isnan(j), 0, j).astype(np.int64)
        index = np.where(np.abs(issue.levels[j] - x) <= _TOL * np.maximum(1.0, np.abs(x)), j, -1)
    else:
        index = _match(issue.levels, x)
    if as_price or issue.kind == "continuous":
        value = np.clip(x, lo, hi)
        if not as_price:
            value = (
                np.where(index >= 0, issue.levels[np.maximum(index, 0)], value) if issue.levels is not None else value
            )
        bad = ~empty & ~inside
        want = f"a price in {span}" if as_price else f"a number in {span}"
    else:
        assert issue.levels is not None
        value = issue.levels[np.maximum(index, 0)]
        bad = ~empty & (index < 0)
        want = expected_level(issue)

    def why(j: int) -> str:
        if np.isnan(x[j]):
            return f"{_show(raw.item(j))} is not a number; expected {want}"
        if not inside[j]:
            return f"{_show(raw.item(j))} is outside {span}; expected {want}"
        return f"{_show(raw.item(j))} is not a level of {issue.name!r}; expected {want}"

    return _Cells(value, index, empty, bad, why)


# ---------------------------------------------------------------- utilities of rows


class _Curve:
    """Per-row utility as a function of the price: const + lin·p + Σ K_t·g_t(p)."""

    def __init__(self, const: np.ndarray, lin: np.ndarray, other: list[tuple[np.ndarray, tuple[CompiledFactor, ...]]]):
        self.const = const
        self.lin = lin
        self.other = other

    @property
    def affine(self) -> bool:
        return not self.other

    def rows(self, sl: slice) -> _Curve:
        return _Curve(self.const[sl], self.lin[sl], [(k[sl], g) for k, g in self.other])

    def at(self, p: np.ndarray) -> np.ndarray:
        """Utility at prices ``p``: one per row, shape (n,), or a row of prices per row, shape (n, m)."""
        col = (slice(None), None) if p.ndim == 2 else (slice(None),)
        out = self.const[col] + self.lin[col] * p
        for k, g in self.other:
            out = out + k[col] * _g(g, p)
        return out

    def on_grid(self, grid: np.ndarray) -> np.ndarray:
        """Utility at the same prices for every row: shape (n, len(grid))."""
        out = self.const[:, None] + self.lin[:, None] * grid[None, :]
        for k, g in self.other:
            out = out + k[:, None] * _g(g, grid)[None, :]
        return out


def _g(factors: tuple[CompiledFactor, ...], p: np.ndarray) -> np.ndarray:
    out = np.ones_like(p, dtype=float)
    for f in factors:
        out = out * f.on_values(p)
    return out


def _curve(splits: Sequence[_Split], value: list[np.ndarray], index: list[np.ndarray], n: int) -> _Curve:
    const = np.zeros(n)
    lin = np.zeros(n)
    other: list[tuple[np.ndarray, tuple[CompiledFactor, ...]]] = []
    for s in splits:
        k = np.full(n, s.coef)
        for f, table in zip(s.rest, s.tables):
            if table is not None:
                k = k * table[np.maximum(index[f.issue], 0)]
            else:
                k = k * f.on_values(value[f.issue])
        if not s.price:
            const = const + k
        elif len(s.price) == 1 and s.price[0].form == "bare":
            lin = lin + k
        else:
            other.append((k, s.price))
    return _Curve(const, lin, other)


# ---------------------------------------------------------------- errors of a group


class _Flags:
    """The first problem of each row of a group."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.messages = np.full(n, None, dtype=object)

    def flag(self, mask: np.ndarray, make: Callable[[int], str] | str) -> None:
        """Flag the rows of ``mask`` not flagged yet, with ``make(row)`` or a fixed message."""
        new = np.flatnonzero(mask & ~self.bad)
        if len(new):
            self.messages[new] = make if isinstance(make, str) else [make(j) for j in new.tolist()]
            self.bad[new] = True

    def flag_many(self, mask: np.ndarray, make: Callable[[np.ndarray], list[str]]) -> None:
        """Flag the rows of ``mask`` not flagged yet, with messages made for all of them at once."""
        new = np.flatnonzero(mask & ~self.bad)
        if len(new):
            self.messages[new] = make(new)
            self.bad[new] = True

    def all(self, message: str) -> None:
        self.flag(np.ones(len(self.bad), dtype=bool), message)


def _constraint_text(deal: CompiledDeal, k: int) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {kk: plain(vv) for kk, vv in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return display_value(v)

    data = plain(deal.model.constraints[k].model_dump(by_alias=True))
    text = yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return f"constraints[{k}] {text}"


def _violated(deal: CompiledDeal, value: list[np.ndarray], index: list[np.ndarray], which: Sequence[int]) -> np.ndarray:
    """The first constraint (of ``which``) each row breaks, -1 when none."""
    n = len(value[0]) if value else 0
    first = np.full(n, -1, dtype=np.int64)
    for k in which:
        con = deal.constraints[k]

        def holds(tests: Any) -> np.ndarray:
            ok = np.ones(n, dtype=bool)
            for t in tests:
                cat = deal.issues[t.issue].kind == "categorical"
                ok &= t.on_values(value[t.issue], index[t.issue], cat)
            return ok

        when = holds(con.when)
        broken = when if con.then is None else when & ~holds(con.then)
        first = np.where((first < 0) & broken, k, first)
    return first


# ---------------------------------------------------------------- one model group


@dataclass
class _Prices:
    break_even: np.ndarray
    floor: np.ndarray
    suggested: np.ndarray
    buyer: np.ndarray
    discount: np.ndarray
    approval: np.ndarray  # bool
    approval_known: bool


def _price_group(
    pm: _Model | str, get: Callable[[str], _Col | None], columns: Sequence[str], n: int
) -> tuple[_Prices | None, _Flags]:
    """Price the rows of one model: parse, check, compute; problems go to the flags."""
    flags = _Flags(n)
    if isinstance(pm, str):
        flags.all(pm)
        return None, flags
    if pm.problem is not None:
        flags.all(pm.problem)
        return None, flags
    deal = pm.deal
    price = pm.price
    assert price is not None and price.lo is not None and price.hi is not None
    k = price.index
    issue_names = ", ".join(deal.by_name)

    b_val: list[np.ndarray] = []
    b_idx: list[np.ndarray] = []
    v_val: list[np.ndarray] = []
    v_idx: list[np.ndarray] = []
    later: list[tuple[np.ndarray, Callable[[int], str]]] = []  # variant problems, flagged after every base problem
    for issue in deal.issues:
        is_price = issue.index == k
        col = f"base.{issue.name}"
        raw = get(col)
        if raw is None:
            flags.all(f"{col}: missing column; expected the base quote's level of every issue of model {deal.name!r}")
            raw = _Col(None, np.full(n, np.nan))
        cells = _cells(issue, raw, is_price)
        want = f"a price in [{_fmt(price.lo)}, {_fmt(price.hi)}]" if is_price else expected_level(issue)
        flags.flag(cells.empty, f"{col}: empty; expected {want} (the base quote)")
        flags.flag(cells.bad, lambda j, col=col, why=cells.why: f"{col}: {why(j)}")
        b_val.append(cells.value)
        b_idx.append(cells.index)
        vcol = f"variant.{issue.name}"
        vraw = get(vcol)
        if vraw is None:
            v_val.append(cells.value)
            v_idx.append(cells.index)
            continue
        if is_price:
            given = ~vraw.empty()
            later.append(
                (
                    given,
                    lambda j, vcol=vcol, vraw=vraw: (
                        f"{vcol}: {_show(vraw.item(j))}, but the price is what gets computed; expected an empty cell"
                    ),
                )
            )
            v_val.append(cells.value)
            v_idx.append(cells.index)
            continue
        given = np.flatnonzero(~vraw.empty())
        if len(given) == 0:  # the variant leaves this issue as it is
            v_val.append(cells.value)
            v_idx.append(cells.index)
            continue
        # parse only the cells given (variant columns are mostly empty), then scatter
        vc = _cells(issue, vraw.take(given), False)
        value, index = cells.value.copy(), cells.index.copy()
        value[given], index[given] = vc.value, vc.index
        bad = np.zeros(n, dtype=bool)
        bad[given] = vc.bad
        later.append(
            (bad, lambda j, vcol=vcol, why=vc.why, given=given: f"{vcol}: {why(int(np.searchsorted(given, j)))}")
        )
        v_val.append(value)
        v_idx.append(index)
    for mask, make in later:
        flags.flag(mask, make)
    for col in columns:
        head, _, name = col.partition(".")
        if head in ("base", "variant") and name and name not in deal.by_name:
            raw = get(col)
            assert raw is not None
            flags.flag(
                ~raw.empty(),
                lambda j, col=col, raw=raw, name=name: (
                    f"{col}: {_show(raw.item(j))}, but model {deal.name!r} has no issue {name!r}; "
                    f"expected an empty cell (its issues: {issue_names})"
                ),
            )

    # constraints: the base quote as it is, the variant on its non-price levels
    every = range(len(deal.constraints))
    base_broken = _violated(deal, b_val, b_idx, every)
    flags.flag(
        base_broken >= 0,
        lambda j: f"base: the base quote breaks {pm.constraint_texts[base_broken[j]]}; expected a feasible package",
    )
    nonprice = [c for c in every if k not in deal.constraints[c].issues]
    var_broken = _violated(deal, v_val, v_idx, nonprice)
    flags.flag(
        var_broken >= 0,
        lambda j: f"variant: the variant breaks {pm.constraint_texts[var_broken[j]]}; expected a feasible package",
    )

    with np.errstate(all="ignore"):
        seller = _curve(pm.seller, v_val, v_idx, n)
        buyer = _curve(pm.buyer, v_val, v_idx, n)
        base_u = _curve(pm.seller, b_val, b_idx, n).at(b_val[k])
        solve = _solve_affine if pm.affine else _solve_numeric
        be, floor, sug = solve(pm, seller, buyer, base_u, flags)
        bu = buyer.at(np.where(np.isnan(sug), price.lo, sug))
        pricey = [c for c in every if k in deal.constraints[c].issues]
        if pricey:
            at = list(v_val)
            at[k] = sug
            at_idx = list(v_idx)
            at_idx[k] = np.full(n, -1, dtype=np.int64)
            broken = _violated(deal, at, at_idx, pricey)
            flags.flag(
                (broken >= 0) & ~np.isnan(sug),
                lambda j: (
                    f"suggested_price: {_fmt(sug[j])} breaks {pm.constraint_texts[broken[j]]}; "
                    "expected a feasible package"
                ),
            )
        if pm.list_price is not None:
            disc = 100.0 * (pm.list_price - sug) / pm.list_price
            appr = disc > pm.approval_pct if pm.approval_pct is not None else np.zeros(n, dtype=bool)
        else:
            disc = np.full(n, np.nan)
            appr = np.zeros(n, dtype=bool)
    return _Prices(be, floor, sug, bu, disc, appr, pm.list_price is not None), flags


def _walk_tol(w: float) -> float:
    return _TOL * max(1.0, abs(w))


def _solve_affine(
    pm: _Model, seller: _Curve, buyer: _Curve, base_u: np.ndarray, flags: _Flags
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed forms when U_s = a_s + b_s·p and U_b = a_b + b_b·p."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo, hi = pm.price.lo, pm.price.hi
    ptol = _TOL * max(1.0, abs(lo), abs(hi))
    name = pm.price.name
    a_s, b_s, a_b, b_b = seller.const, seller.lin, buyer.const, buyer.lin
    n = len(a_s)

    # break-even: a_s + b_s·p = U_s(base)
    flat = b_s == 0
    be = np.where(flat, lo, (base_u - a_s) / np.where(flat, 1.0, b_s))
    same = np.abs(a_s - base_u) <= _TOL * np.maximum(1.0, np.abs(base_u))
    ok = np.where(flat, same, (be >= lo - ptol) & (be <= hi + ptol))
    be = np.clip(be, lo, hi)

    span = f"the range [{_fmt(lo)}, {_fmt(hi)}] of {name!r}; expected a variant that breaks even within it"
    below, above = f"below {span}", f"above {span}"

    def no_break_even(rows: np.ndarray) -> list[str]:
        root = ((base_u[rows] - a_s[rows]) / np.where(flat[rows], 1.0, b_s[rows])).tolist()
        better = (a_s[rows] > base_u[rows]).tolist()
        return [
            (
                f"break_even_price: the seller's utility with the variant does not depend on the price and is "
                f"{'better' if up else 'worse'} than with the base quote; expected a variant that breaks even within "
                f"[{_fmt(lo)}, {_fmt(hi)}]"
            )
            if is_flat
            else f"break_even_price: the seller breaks even at {r:,.6g}, {below if r < lo else above}"
            for r, up, is_flat in zip(root, better, flat[rows].tolist())
        ]

    flags.flag_many(~ok, no_break_even)

    # floor: the lowest price in range with a_s + b_s·p ≥ w_s
    w_s = pm.deal.seller_walk_away
    pf = pm.policy_floor
    if w_s is None:
        floor = np.full(n, np.nan if pf is None else pf)
    else:
        tol = _walk_tol(w_s)
        r = (w_s - a_s) / np.where(flat, 1.0, b_s)
        inc, dec = b_s > 0, b_s < 0
        floor = np.where(inc, np.clip(r, lo, hi), lo)
        reach = np.where(inc, r <= hi + ptol, np.where(dec, r >= lo - ptol, a_s >= w_s - tol))
        best = np.maximum(a_s + b_s * lo, a_s + b_s * hi)
        flags.flag(
            ~reach,
            lambda j: (
                f"floor_price: the seller stays below its walk-away ({_fmt(w_s)}) at every price in "
                f"[{_fmt(lo)}, {_fmt(hi)}] (at best {_fmt(best[j])}); expected a variant the seller can accept"
            ),
        )
        if pf is not None:
            floor = np.maximum(floor, pf)

    # Nash: maximize (α_s + b_s·p)(α_b + b_b·p) over the acceptable interval [L, H]
    d = pm.disagreement()
    if isinstance(d, str):
        flags.all(d)
        return be, floor, np.full(n, np.nan)
    d_s, d_b = d
    al_s, al_b = a_s - d_s, a_b - d_b
    low = np.full(n, max(lo, pf) if pf is not None else lo)
    high = np.full(n, hi)
    empty = np.zeros(n, dtype=bool)
    for al, b, tol in ((al_s, b_s, _walk_tol(d_s)), (al_b, b_b, _walk_tol(d_b))):
        r = (-tol - al) / np.where(b == 0, 1.0, b)
        low = np.where(b > 0, np.maximum(low, r), low)
        high = np.where(b < 0, np.minimum(high, r), high)
        empty |= (b == 0) & (al < -tol)
    empty |= low > high + ptol
    high = np.maximum(high, low)
    concave = b_s * b_b < 0
    vertex = -(b_s * al_b + b_b * al_s) / np.where(concave, 2.0 * b_s * b_b, 1.0)

    def nash(p: np.ndarray) -> np.ndarray:
        return (al_s + b_s * p) * (al_b + b_b * p)

    sug = np.where(concave, np.clip(vertex, low, high), np.where(nash(high) > nash(low), high, low))
    _flag_no_zopa(pm, flags, empty, d_s, d_b)
    sug = np.where(empty, np.nan, sug)
    return be, floor, sug


def _flag_no_zopa(pm: _Model, flags: _Flags, empty: np.ndarray, d_s: float, d_b: float) -> None:
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo = max(pm.price.lo, pm.policy_floor) if pm.policy_floor is not None else pm.price.lo
    flags.flag(
        empty,
        lambda j: (
            f"suggested_price: no price in [{_fmt(lo)}, {_fmt(pm.price.hi)}] gives both sides at least their walk-away "
            f"(seller {_fmt(d_s)}, buyer {_fmt(d_b)}); expected a variant with a zone of agreement"
        ),
    )


def _solve_numeric(
    pm: _Model, seller: _Curve, buyer: _Curve, base_u: np.ndarray, flags: _Flags
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized root finding and maximization when the price does not enter linearly."""
    assert pm.price is not None and pm.price.lo is not None and pm.price.hi is not None
    lo, hi = pm.price.lo, pm.price.hi
    grid = np.union1d(np.linspace(lo, hi, _GRID), pm.breakpoints)
    n = len(base_u)
    be = np.full(n, np.nan)
    floor = np.full(n, np.nan)
    sug = np.full(n, np.nan)
    no_be = np.zeros(n, dtype=bool)
    no_floor = np.zeros(n, dtype=bool)
    no_zopa = np.zeros(n, dtype=bool)
    w_s = pm.deal.seller_walk_away
    pf = pm.policy_floor
    d = pm.disagreement()
    for start in range(0, n, _BLOCK):
        sl = slice(start, min(n, start + _BLOCK))
        s, b = seller.rows(sl), buyer.rows(sl)
        us = s.on_grid(grid)
        # break-even: the lowest root of U_s(p) − U_s(base)
        target = base_u[sl]
        root, found = _lowest_root(s, grid, us, target, _TOL * np.maximum(1.0, np.abs(target)))
        be[sl], no_be[sl] = root, ~found
        # floor: the lowest price with U_s(p) ≥ w_s
        if w_s is None:
            floor[sl] = np.nan if pf is None else pf
        else:
            f, found = _lowest_reaching(s, grid, us, w_s)
            floor[sl] = f if pf is None else np.maximum(f, pf)
            no_floor[sl] = ~found
        if isinstance(d, str):
            continue
        p, found = _nash_numeric(s, b, grid, us, d, lo if pf is None else max(lo, pf), hi)
        sug[sl], no_zopa[sl] = p, ~found

    def no_break_even(j: int) -> str:
        f_lo = seller.rows(slice(j, j + 1)).at(np.array([lo]))[0] - base_u[j]
        side = "better" if f_lo > 0 else "worse"
        return (
            f"break_even_price: the seller is {side} off with the variant than with the base quote at every price in "
            f"[{_fmt(lo)}, {_fmt(hi)}] of {pm.price.name!r}; expected a variant that breaks even within it"
        )

    flags.flag(no_be, no_break_even)
    if w_s is not None:
        flags.flag(
            no_floor,
            lambda j: (
                f"floor_price: the seller stays below its walk-away ({_fmt(w_s)}) at every price in "
                f"[{_fmt(lo)}, {_fmt(hi)}]; expected a variant the seller can accept"
            ),
        )
    if isinstance(d, str):
        flags.all(d)
    else:
        _flag_no_zopa(pm, flags, no_zopa, *d)
    return be, floor, sug


def _bisect(curve: _Curve, a: np.ndarray, b: np.ndarray, fa_sign: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    """Shrink [a, b] around a sign change of curve − target; ``fa_sign`` is the sign at ``a``. Returns the end with the sign of ``b``."""
    for _ in range(_BISECT):
        m = 0.5 * (a + b)
        fm = curve.at(m) - target
        same = np.sign(fm) == fa_sign
        a = np.where(same, m, a)
        b = np.where(same, b, m)
    return b


def _lowest_root(
    curve: _Curve, grid: np.ndarray, values: np.ndarray, target: np.ndarray, tol: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The lowest p on the grid's range with curve(p) = target (per row), and whether there is one."""
    f = values - target[:, None]
    zero = np.abs(f) <= tol[:, None]
    change = np.zeros_like(zero)
    change[:, :-1] = np.sign(f[:, :-1]) * np.sign(f[:, 1:]) < 0
    hit = zero | change
    found = hit.any(axis=1)
    k = np.argmax(hit, axis=1)
    rows = np.arange(len(k))
    at_node = zero[rows, k]
    k1 = np.minimum(k + 1, len(grid) - 1)
    a, b = grid[k], grid[k1]
    root = _bisect(curve, a.copy(), b.copy(), np.sign(f[rows, k]), target)
    # bisection ends on the side of b; take the end closer to the root
    return np.where(at_node, grid[k], root), found


def _lowest_reaching(curve: _Curve, grid: np.ndarray, values: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray]:
    """The lowest p on the grid's range with curve(p) ≥ w (per row), and whether there is one."""
    ok = values >= w - _walk_tol(w)
    found = ok.any(axis=1)
    k = np.argmax(ok, axis=1)
    rows = np.arange(len(k))
    first = k == 0
    k0 = np.maximum(k - 1, 0)
    # bracket [grid[k-1], grid[k]]: below w at the left end, reaching it at the right end
    p = _bisect(curve, grid[k0].copy(), grid[k].copy(), np.sign(values[rows, k0] - w), w)
    return np.where(first, grid[0], p), found


def _nash_numeric(
    s: _Curve, b: _Curve, grid: np.ndarray, us: np.ndarray, d: tuple[float, float], low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Grid search for the best feasible node, then golden-section search around it."""
    d_s, d_b = d
    t_s, t_b = _walk_tol(d_s), _walk_tol(d_b)

    def product(u_s: np.ndarray, u_b: np.ndarray, p: np.ndarray) -> np.ndarray:
        ok = (u_s >= d_s - t_s) & (u_b >= d_b - t_b) & (p >= low) & (p <= high)
        return np.where(ok, (u_s - d_s) * (u_b - d_b), -np.inf)

    nodes = np.union1d(grid[(grid > low) & (grid < high)], [low, high]) if low <= high else np.array([low])
    u_s = us if nodes.shape == grid.shape and np.array_equal(nodes, grid) else s.on_grid(nodes)
    u_b = b.on_grid(nodes)
    val = product(u_s, u_b, np.broadcast_to(nodes, u_s.shape))
    k = np.argmax(val, axis=1)
    rows = np.arange(len(k))
    best = val[rows, k]
    found = np.isfinite(best)
    left = nodes[np.maximum(k - 1, 0)]
    right = nodes[np.minimum(k + 1, len(nodes) - 1)]

    def f(p: np.ndarray) -> np.ndarray:
        return product(s.at(p), b.at(p), p)

    inv = (math.sqrt(5.0) - 1.0) / 2.0
    a, c = left.copy(), right.copy()
    x1 = c - inv * (c - a)
    x2 = a + inv * (c - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(_GOLDEN):
        keep_left = f1 >= f2  # the maximum is in [a, x2]
        c = np.where(keep_left, x2, c)
        a = np.where(keep_left, a, x1)
        nx1 = np.where(keep_left, c - inv * (c - a), x2)
        nx2 = np.where(keep_left, x1, a + inv * (c - a))
        nf1 = np.where(keep_left, np.nan, f2)
        nf2 = np.where(keep_left, f1, np.nan)
        need1, need2 = np.isnan(nf1), np.isnan(nf2)
        nf1 = np.where(need1, f(nx1), nf1)
        nf2 = np.where(need2, f(nx2), nf2)
        x1, x2, f1, f2 = nx1, nx2, nf1, nf2
    mid = 0.5 * (a + c)
    fm = f(mid)
    p = np.where(fm > best, mid, nodes[k])
    return np.where(found, p, np.nan), found


# ---------------------------------------------------------------- frames


def _price_frame(frame: pd.DataFrame, models_dir: Path, cwd: Path, first_row: int) -> dict[str, Any]:
    """The output columns for a DataFrame (positional arrays)."""
    by_name = {str(c): c for c in frame.columns}
    return _price_blocks(
        len(frame), list(by_name), lambda c: _Col.of_series(frame[by_name[c]]), models_dir, cwd, first_row
    )


def _price_table(table: pa.Table, models_dir: Path, cwd: Path, first_row: int) -> dict[str, Any]:
    """The output columns for an Arrow table (positional arrays)."""
    return _price_blocks(
        table.num_rows, table.column_names, lambda c: _Col.of_arrow(table.column(c)), models_dir, cwd, first_row
    )


#: Rows priced at once: enough to amortize the Python overhead, few enough to stay in cache.
_ROWS_AT_ONCE = 65_536


@contextlib.contextmanager
def _heap_for_arrays() -> Iterator[None]:
    """Let glibc reuse freed array memory while pricing, in a process whose malloc was tuned to trim.

    A Dask nanny starts its workers with MALLOC_TRIM_THRESHOLD_ set, which also fixes glibc's mmap
    threshold at 128 KiB: every temporary array larger than that is then mapped and unmapped on
    each operation, and pricing takes about twice as long. For the duration of a task, raise both
    thresholds; afterwards restore them and trim, so the worker gives the memory back as before.
    """
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    libc = None
    if trim is not None and trim.isdigit() and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
            libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (glibc's maximum)
        except (OSError, AttributeError):
            libc = None
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(-3, 128 << 10)
            libc.mallopt(-1, int(trim))  # type: ignore[arg-type]
            libc.malloc_trim(0)


def _price_blocks(
    n: int, columns: list[str], column: Callable[[str], _Col], models_dir: Path, cwd: Path, first_row: int
) -> dict[str, Any]:
    if n <= _ROWS_AT_ONCE:
        return _price_columns(n, columns, column, models_dir, cwd, first_row)
    full: dict[str, _Col] = {}

    def whole(c: str) -> _Col:
        if c not in full:
            full[c] = column(c)
        return full[c]

    parts = []
    for start in range(0, n, _ROWS_AT_ONCE):
        stop = min(n, start + _ROWS_AT_ONCE)
        parts.append(
            _price_columns(
                stop - start,
                columns,
                lambda c, a=start, b=stop: whole(c).slice(a, b),
                models_dir,
                cwd,
                first_row + start,
            )
        )
    return {
        c: np.concatenate([p[c] for p in parts])
        if c == "error"
        else type(parts[0][c])._concat_same_type([p[c] for p in parts])
        for c in OUTPUT_COLUMNS
    }


def _price_columns(
    n: int, columns: list[str], column: Callable[[str], _Col], models_dir: Path, cwd: Path, first_row: int
) -> dict[str, Any]:
    """The output columns for ``n`` rows of ``columns``; rows are numbered from ``first_row`` in messages."""
    cache: dict[str, _Col] = {}

    def raw(col: str) -> _Col | None:
        if col not in columns:
            return None
        if col not in cache:
            cache[col] = column(col)
        return cache[col]

    out = {c: np.full(n, np.nan) for c in OUTPUT_COLUMNS[:5]}
    approval = np.zeros(n, dtype=bool)
    approval_null = np.ones(n, dtype=bool)
    errors = np.full(n, None, dtype=object)
    bad = np.zeros(n, dtype=bool)

    qids = raw("quote_id")
    if qids is None:
        errors[:] = "quote_id: missing column; expected a quote_id column naming each row's quote"
        bad[:] = True
    else:
        qid_empty = qids.empty()
        errors[qid_empty] = "quote_id: empty; expected the id of the row's quote"
        bad |= qid_empty
    models = raw("model")
    groups: list[tuple[np.ndarray, Any]] = []
    if models is None:
        errors[~bad] = "model: missing column; expected a model name or path on every row"
        bad[:] = True
    elif n:
        codes, uniques = _factorize(models)
        order = np.argsort(codes, kind="stable")
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        for rows in np.split(order, cuts):
            code = codes[rows[0]]
            groups.append((rows, uniques[code] if code >= 0 else None))

    for rows, value in groups:
        where = _model_path(value, models_dir, cwd)
        pm = where if isinstance(where, str) else _load(where)

        whole = len(rows) == n  # one model: the rows in order
        picked: dict[str, _Col] = {}

        def get(
            col: str, rows: np.ndarray = rows, whole: bool = whole, picked: dict[str, _Col] = picked
        ) -> _Col | None:
            c = raw(col)
            if c is None or whole:
                return c
            if col not in picked:
                picked[col] = c.take(rows)
            return picked[col]

        prices, flags = _price_group(pm, get, columns, len(rows))
        if whole:
            rows = slice(None)  # type: ignore[assignment]
        fresh = flags.bad & ~bad[rows]
        errors[np.flatnonzero(fresh) if whole else rows[fresh]] = flags.messages[fresh]
        bad[rows] |= flags.bad
        if prices is None:
            continue
        out["break_even_price"][rows] = prices.break_even
        out["floor_price"][rows] = prices.floor
        out["suggested_price"][rows] = prices.suggested
        out["buyer_utility"][rows] = prices.buyer
        out["discount_pct"][rows] = prices.discount
        approval[rows] = prices.approval
        approval_null[rows] = not prices.approval_known

    # a row with a problem: its message names it; every computed column null
    where = np.flatnonzero(bad)
    if len(where):
        quotes = [""] * len(where) if qids is None else _quote_parts(qids, where, qid_empty[where])
        numbers = (first_row + where).tolist()
        errors[where] = [f"row {r}{q}: {m}" for r, q, m in zip(numbers, quotes, errors[where].tolist())]
    result: dict[str, Any] = {}
    for c in OUTPUT_COLUMNS[:5]:
        values = out[c]
        result[c] = pd.arrays.FloatingArray(np.where(bad, 0.0, values), bad | np.isnan(values))
    result["needs_approval"] = pd.arrays.BooleanArray(approval & ~bad, approval_null | bad)
    result["error"] = errors
    return result


def _quote_parts(qids: _Col, rows: np.ndarray, empty: np.ndarray) -> list[str]:
    """`` (quote ID)`` for each of ``rows`` ('' where the id is empty), as messages show it."""
    if qids.arrow is not None:
        import pyarrow.compute as pc

        ids = qids.arrow.take(pa.array(rows))
        try:
            text = ids.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            text = None
        if text is not None:
            part = pc.binary_join_element_wise(" (quote ", text, ")", "").fill_null("").to_pylist()
            return ["" if e else p for p, e in zip(part, empty.tolist())]
    ids_list = qids.take(rows).to_list()
    return ["" if e else f" (quote {display_value(q)})" for q, e in zip(ids_list, empty.tolist())]


def _factorize(col: _Col) -> tuple[np.ndarray, list[Any]]:
    """Codes (-1 for null) and distinct values of a column."""
    if col.arrow is not None:
        enc = col.arrow.dictionary_encode()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, enc.dictionary.to_pylist()
    codes, uniques = pd.factorize(pd.Series(col.obj, dtype=object), use_na_sentinel=True)
    return codes, list(uniques)


def _with_outputs(frame: pd.DataFrame, outputs: dict[str, Any]) -> pd.DataFrame:
    result = frame.copy(deep=False)
    for c in OUTPUT_COLUMNS:
        result[c] = outputs[c] if c != "error" else pd.Series(outputs[c], index=frame.index, dtype=object)
    return result


def _drop_outputs(frame: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in frame.columns if str(c) in OUTPUT_COLUMNS]
    return frame.drop(columns=present) if present else frame


def price_variants(
    quotes: pd.DataFrame,
    models_dir: Path | str = "models",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> pd.DataFrame:
    """Price every (quote, variant) row of ``quotes``; see the module docstring for the columns.

    Parameters
    ----------
    quotes
        One row per (quote, variant): ``quote_id``, ``model``, ``base.ISSUE`` for every issue,
        ``variant.ISSUE`` for the issues the variant changes (missing or empty = unchanged).
    models_dir
        Where a model named in the ``model`` column is found (``NAME.yaml``, ``.yml`` or ``.json``);
        a ``model`` cell that is a path is read relative to the current directory.
    workers, scheduler
        Run on a local Dask cluster of ``workers`` processes, or on the cluster at ``scheduler``
        (``tcp://HOST:PORT``); in process when neither is given. The result is the same.
    chunk_rows
        Rows per task on a cluster.

    Returns
    -------
    pandas.DataFrame
        The input's columns (any of the output columns already present are replaced), then
        ``break_even_price``, ``floor_price``, ``suggested_price``, ``buyer_utility``,
        ``discount_pct`` (nullable floats), ``needs_approval`` (nullable boolean) and ``error``
        (None, or one line naming the row, the column and what was expected). Same rows, same order.
    """
    mdir = Path(models_dir).expanduser().resolve()
    cwd = Path.cwd()
    base = _drop_outputs(quotes)
    if workers is None and scheduler is None:
        return _with_outputs(base, _price_frame(base, mdir, cwd, 1))
    if chunk_rows < 1:
        raise DealoptError(f"chunk_rows: {chunk_rows}; expected at least 1")
    tasks = [
        _Task(i, s + 1, min(chunk_rows, len(base) - s), str(mdir), str(cwd), frame=base.iloc[s : s + chunk_rows])
        for i, s in enumerate(range(0, len(base), chunk_rows))
    ]
    with _executor(workers, scheduler) as ex:
        parts = ex.map(_run_frame_task, tasks)
    if not parts:
        return _with_outputs(base, _price_frame(base, mdir, cwd, 1))
    merged = {}
    for c in OUTPUT_COLUMNS:
        arrays = [p[c] for p in parts]
        merged[c] = np.concatenate(arrays) if c == "error" else type(arrays[0])._concat_same_type(arrays)
    return _with_outputs(base, merged)


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class _Task:
    """One chunk of work: a slice of an in-memory table or frame, or row groups of one Parquet file."""

    index: int
    first_row: int
    rows: int
    models_dir: str
    cwd: str
    table: pa.Table | None = None
    frame: pd.DataFrame | None = None
    path: str | None = None
    row_groups: tuple[int, ...] = ()
    batch_rows: int = DEFAULT_CHUNK_ROWS
    part: str | None = None  # the part file to write


def _run_frame_task(task: _Task) -> dict[str, Any]:
    assert task.frame is not None
    with _heap_for_arrays():
        return _price_frame(task.frame, Path(task.models_dir), Path(task.cwd), task.first_row)


def _output_arrays(outputs: dict[str, Any]) -> list[pa.Array]:
    arrays = [pa.array(outputs[c], type=pa.float64()) for c in OUTPUT_COLUMNS[:5]]
    arrays.append(pa.array(outputs["needs_approval"], type=pa.bool_()))
    arrays.append(pa.array(outputs["error"], type=pa.string()))
    return arrays


def _run_task(task: _Task, schema: pa.Schema) -> pa.Table:
    """Read, price and (for a part file) write one chunk; the priced table, or its counts when written."""
    mdir, cwd = Path(task.models_dir), Path(task.cwd)
    in_schema = pa.schema([f for f in schema if f.name not in OUTPUT_COLUMNS])
    names = [f.name for f in in_schema]
    if task.table is not None:
        tables: Iterator[pa.Table] = iter([task.table.select(names)])
    else:
        import pyarrow.parquet as pq

        assert task.path is not None
        pf = pq.ParquetFile(task.path)

        def read() -> Iterator[pa.Table]:
            for batch in pf.iter_batches(batch_size=task.batch_rows, row_groups=list(task.row_groups)):
                try:
                    yield pa.Table.from_batches([batch]).select(names).cast(in_schema)
                except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                    raise DealoptError(
                        f"QUOTES: {task.path}: columns do not match those of the first part file "
                        f"({str(exc).splitlines()[0]}); expected part files with the same columns"
                    ) from None

        tables = read()
    pieces = []
    first = task.first_row
    with _heap_for_arrays():
        for table in tables:
            outputs = _price_table(table, mdir, cwd, first)
            first += table.num_rows
            pieces.append(pa.Table.from_arrays(list(table.columns) + _output_arrays(outputs), schema=schema))
    result = pa.concat_tables(pieces) if pieces else schema.empty_table()
    if task.part is not None:
        import pyarrow.parquet as pq

        pq.write_table(result, task.part)
        return pa.table({"rows": [result.num_rows], "errors": [result.num_rows - result["error"].null_count]})
    return result


_PARQUET = (".parquet", ".pq", ".parq")


class _Quotes:
    """An input file cut into tasks of about ``chunk_rows`` rows, with the output schema."""

    def __init__(self, path: Path, chunk_rows: int, models_dir: Path, cwd: Path) -> None:
        common = {"models_dir": str(models_dir), "cwd": str(cwd)}
        self.tasks: list[_Task] = []
        if path.is_dir() or path.suffix.lower() in _PARQUET:
            self._parquet(path, chunk_rows, common)
        elif path.suffix.lower() == ".csv":
            table = _read_csv(path)
            table = table.drop_columns([c for c in table.column_names if c in OUTPUT_COLUMNS])
            self.rows = table.num_rows
            self.schema = pa.schema(list(table.schema) + _OUTPUT_FIELDS)
            for i, s in enumerate(range(0, self.rows, chunk_rows)):
                piece = table.slice(s, chunk_rows)
                self.tasks.append(_Task(i, s + 1, piece.num_rows, table=piece, **common))
        else:
            raise DealoptError(
                f"QUOTES: {path}: unknown format {path.suffix or '(no extension)'!r}; "
                "expected a .csv or .parquet file, or a directory of Parquet part files"
            )

    def _parquet(self, path: Path, chunk_rows: int, common: dict[str, str]) -> None:
        import pyarrow.dataset as ds

        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in _PARQUET
                and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
            )
            if not files:
                raise DealoptError(f"QUOTES: {path}: no .parquet files in this directory; expected Parquet part files")
        else:
            files = [path]
        try:
            dataset = ds.dataset([str(f) for f in files], format="parquet")
            schema = dataset.schema.remove_metadata()
            fragments = list(dataset.get_fragments())
            metas = [frag.metadata for frag in fragments]
        except (pa.ArrowInvalid, OSError) as exc:
            raise DealoptError(
                f"QUOTES: {path}: not a readable Parquet file ({str(exc).splitlines()[0]}); expected Parquet"
            ) from None
        fields = [f for f in schema if f.name not in OUTPUT_COLUMNS and not f.name.startswith("__index_level_")]
        self.schema = pa.schema(fields + _OUTPUT_FIELDS)
        offset = 0
        for frag, meta in zip(fragments, metas):
            group: list[int] = []
            size = 0
            for rg in range(meta.num_row_groups):
                rows = meta.row_group(rg).num_rows
                if group and size + rows > chunk_rows:
                    self._add(frag.path, group, offset, size, chunk_rows, common)
                    offset += size
                    group, size = [], 0
                group.append(rg)
                size += rows
            if group:
                self._add(frag.path, group, offset, size, chunk_rows, common)
                offset += size
        self.rows = offset

    def _add(
        self, path: str, groups: list[int], offset: int, size: int, chunk_rows: int, common: dict[str, str]
    ) -> None:
        self.tasks.append(
            _Task(
                len(self.tasks), offset + 1, size, path=path, row_groups=tuple(groups), batch_rows=chunk_rows, **common
            )
        )


def _read_csv(path: Path) -> pa.Table:
    """The CSV file as a table: typed columns when every cell fits the type, text columns otherwise."""
    import pyarrow.csv as pcsv

    def read(types: dict[str, pa.DataType] | None = None) -> pa.Table:
        options = pcsv.ConvertOptions(
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True, column_types=types
        )
        return pcsv.read_csv(path, convert_options=options)

    try:
        try:
            return read()
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc).lower():
                raise
            # a later cell does not fit the type inferred from the first block: read every column as text
            names = pcsv.read_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 16)).column_names
            return read(dict.fromkeys(names, pa.string()))
    except pa.ArrowInvalid as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        if "empty" in text.lower():
            raise DealoptError(f"QUOTES: {path}: empty file; expected a CSV file with a header row") from None
        raise DealoptError(
            f"QUOTES: {path}: not a readable CSV file ({text}); expected a CSV file of quote variants"
        ) from None
    except IsADirectoryError:
        raise DealoptError(f"QUOTES: {path}: a directory; expected a CSV file") from None
    except OSError as exc:
        raise DealoptError(
            f"QUOTES: {path}: cannot read ({exc.strerror or exc}); expected a readable CSV file"
        ) from None


@contextlib.contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[Executor]:
    """:func:`dealopt.batch.executor.executor`, with a missing Dask as a one-line error."""
    stack = contextlib.ExitStack()
    try:
        ex = stack.enter_context(executor(workers, scheduler))
    except ImportError as exc:
        raise DealoptError(
            f"--workers/--scheduler need Dask ({exc}); expected pip install 'dask[distributed]'"
        ) from None
    with stack:
        yield ex


def _output_kind(out: str, quotes: Path) -> str:
    path = Path(out).expanduser()
    if path.exists() and path.resolve() == quotes.resolve():
        raise DealoptError(f"-o: {out} is the input; expected another path")
    if path.is_dir() or out.endswith(("/", "\\")):
        if path.exists() and not path.is_dir():
            raise DealoptError(f"-o: {out} is a file; expected a directory for Parquet part files")
        return "parts"
    suffix = path.suffix.lower()
    if suffix not in (*_PARQUET, ".csv"):
        raise DealoptError(
            f"-o: {out}: unknown format {path.suffix or '(no extension)'!r}; "
            "expected a .parquet or .csv file, or a directory (ending in /) for Parquet part files"
        )
    if not path.parent.is_dir():
        raise DealoptError(f"-o: {out}: the directory {path.parent} does not exist; expected an existing directory")
    return "csv" if suffix == ".csv" else "parquet"


def _cluster_size(ex: Executor) -> int:
    client = ex.client
    if client is None:
        return 1
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # the count only sizes the waves
        return 1


def price_variants_file(
    quotes: Path | str,
    out: Path | str,
    models_dir: Path | str = "models",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    run_on: Executor | None = None,
) -> BatchSummary:
    """Price a file of quote variants into ``out``; returns the summary (rows, errors, time).

    ``quotes`` is a CSV file, a Parquet file or a directory of Parquet part files, read in
    row-group chunks of about ``chunk_rows`` rows (a CSV file is read whole). ``out`` is a
    ``.parquet`` or ``.csv`` file, written chunk by chunk in order, or a directory (an existing
    one, or a path ending in ``/``) of Parquet part files ``part-NNNNN.parquet``, one per chunk
    in input order, each written by whoever priced the chunk (existing ``part-*.parquet`` files
    there are replaced). Nothing holds every row at once unless QUOTES is a CSV file.

    In process when neither ``workers`` nor ``scheduler`` is given; else on a local Dask
    cluster of ``workers`` processes or on the cluster at ``scheduler``, whose workers read the
    input and the models and write part files themselves (paths must be visible to them).
    ``run_on`` reuses an executor already started. The output is the same whichever way it runs.
    """
    t0 = time.perf_counter()
    if chunk_rows < 1:
        raise DealoptError(f"--chunk-rows: {chunk_rows}; expected at least 1")
    qpath = Path(quotes).expanduser()
    if not qpath.exists():
        raise DealoptError(
            f"QUOTES: {quotes}: no such file or directory; expected a CSV or Parquet file of quote variants"
        )
    kind = _output_kind(str(out), qpath)
    opath = Path(out).expanduser()
    mdir = Path(models_dir).expanduser().resolve()
    src = _Quotes(qpath, chunk_rows, mdir, Path.cwd())
    schema = src.schema
    tasks = list(src.tasks)
    rows = errors = 0
    ctx = contextlib.nullcontext(run_on) if run_on is not None else _executor(workers, scheduler)
    with ctx as ex:
        assert ex is not None
        progress = Progress(len(tasks), "pricing quote variants", quiet)
        runner = _Runner(schema)
        try:
            if kind == "parts":
                import pyarrow.parquet as pq

                opath.mkdir(parents=True, exist_ok=True)
                for old in opath.glob("part-*.parquet"):
                    old.unlink()
                if not tasks:
                    pq.write_table(schema.empty_table(), str(opath / "part-00000.parquet"))
                width = max(5, len(str(max(0, len(tasks) - 1))))
                where = opath.resolve()
                tasks = [replace(t, part=str(where / f"part-{t.index:0{width}d}.parquet")) for t in tasks]
                for counts in ex.map(runner, tasks, progress):
                    rows += counts["rows"][0].as_py()
                    errors += counts["errors"][0].as_py()
            else:
                writer = _Writer(opath, kind, schema)
                try:
                    wave = 1 if ex.client is None else 4 * _cluster_size(ex)
                    for start in range(0, len(tasks), wave):
                        for table in ex.map(runner, tasks[start : start + wave], progress):
                            writer.write(table)
                            rows += table.num_rows
                            errors += table.num_rows - table["error"].null_count
                finally:
                    writer.close()
        finally:
            progress.close()
        where_text = ex.where
    return BatchSummary(rows=rows, errors=errors, seconds=time.perf_counter() - t0, where=where_text)


@dataclass(frozen=True)
class _Runner:
    """A picklable ``task → table`` with the output schema bound."""

    schema: pa.Schema

    def __call__(self, task: _Task) -> pa.Table:
        return _run_task(task, self.schema)


class _Writer:
    """Writes tables one after another into one Parquet or CSV file."""

    def __init__(self, path: Path, kind: str, schema: pa.Schema) -> None:
        self.path = path
        self.kind = kind
        self.schema = schema
        self._parquet: Any = None
        self._csv_started = False
        if kind == "parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(str(path), schema)

    def write(self, table: pa.Table) -> None:
        if self.kind == "parquet":
            self._parquet.write_table(table)
            return
        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
        frame.to_csv(self.path, mode="a" if self._csv_started else "w", header=not self._csv_started, index=False)
        self._csv_started = True

    def close(self) -> None:
        if self.kind == "parquet":
            self._parquet.close()
        elif not self._csv_started:
            self.write(self.schema.empty_table())
