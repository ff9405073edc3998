"""Reading input cells as levels of an issue, column at a time, on Arrow arrays."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dealopt.model.compiled import CompiledIssue, expected_level
from dealopt.model.levels import display_value

__all__ = ["Cells", "Col", "fmt", "parse_cells", "show"]

TOL = 1e-9


def show(v: Any) -> str:
    """A cell as quoted in messages (a number written as text shows as the number)."""
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return repr(v)
        return repr(display_value(x)) if math.isfinite(x) else repr(v)
    if isinstance(v, float) and math.isfinite(v):
        return repr(display_value(v))
    return repr(v)


def fmt(x: float) -> str:
    """A number in messages."""
    return f"{float(x):,.6g}"


def _text(v: Any) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(display_value(v))


class Col:
    """One input column as an Arrow array (a column of mixed types is read as text)."""

    __slots__ = ("arrow",)

    def __init__(self, arrow: pa.Array) -> None:
        self.arrow = arrow

    @staticmethod
    def of_series(series: pd.Series) -> Col:
        """A pandas column as Arrow; cells of mixed types become their text."""
        try:
            arr = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arr = pa.array([_text(v) for v in series.tolist()], type=pa.string())
        return Col.of_arrow(arr)

    @staticmethod
    def of_arrow(arr: pa.Array | pa.ChunkedArray) -> Col:
        """An Arrow column in one chunk, dictionaries decoded."""
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        return Col(arr)

    @staticmethod
    def nulls(n: int) -> Col:
        """A column of ``n`` empty cells."""
        return Col(pa.nulls(n, pa.float64()))

    def __len__(self) -> int:
        return len(self.arrow)

    def slice(self, start: int, stop: int) -> Col:
        """Rows ``start:stop``."""
        return Col(self.arrow.slice(start, stop - start))

    def take(self, rows: np.ndarray) -> Col:
        """The given rows."""
        return Col(self.arrow.take(pa.array(rows)))

    def item(self, j: int) -> Any:
        """One cell as a Python value."""
        return self.arrow[j].as_py()

    @property
    def is_text(self) -> bool:
        """Whether the cells are strings."""
        t = self.arrow.type
        return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))

    def empty(self) -> np.ndarray:
        """Cells that count as empty: null, NaN or ''."""
        arr = self.arrow
        if self.is_text:
            out = pc.fill_null(pc.equal(arr, ""), True)
        else:
            out = arr.is_null(nan_is_null=pa.types.is_floating(arr.type))
        empty: np.ndarray = out.to_numpy(zero_copy_only=False)
        return empty

    def numbers(self) -> np.ndarray:
        """Cells as finite floats (NaN where a cell is not a finite number)."""
        arr = self.arrow
        t = arr.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            x = arr.cast(pa.float64()).to_numpy(zero_copy_only=False)
        elif self.is_text:
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
        """Index of each cell among ``labels`` (matching the cell's text), -1 when none."""
        arr = self.arrow
        if not self.is_text:  # e.g. a CSV column of numbers: match their text
            try:
                arr = arr.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return np.full(len(arr), -1, dtype=np.int64)
        found = pc.index_in(arr, value_set=pa.array(list(labels), type=arr.type))
        codes: np.ndarray = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes

    def factorize(self) -> tuple[np.ndarray, list[Any]]:
        """Codes (-1 for null) and the distinct values."""
        enc = self.arrow.dictionary_encode()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, enc.dictionary.to_pylist()


def _match(levels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Level index of each value (within the level tolerance), -1 when none."""
    tol = TOL * np.maximum(1.0, np.abs(x))
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
class Cells:
    """One column read as levels: values (NaN for categorical), level indices (-1: none), empty and bad cells."""

    value: np.ndarray
    index: np.ndarray
    empty: np.ndarray
    bad: np.ndarray
    why: Callable[[int], str]


def parse_cells(issue: CompiledIssue, raw: Col, as_price: bool) -> Cells:
    """Read one column as levels of ``issue`` (as the price: any real number in its range)."""
    n = len(raw)
    empty = raw.empty()
    if issue.kind == "categorical":
        index = raw.codes(issue.labels)
        opts = ", ".join(map(str, issue.labels))
        return Cells(
            np.full(n, np.nan),
            index,
            empty,
            ~empty & (index < 0),
            lambda j: f"{show(raw.item(j))} is not an option; expected one of {opts}",
        )
    if not as_price and pa.types.is_integer(raw.arrow.type):
        if issue.kind == "integer":
            return _whole_numbers(issue, raw, empty)
        if issue.kind == "ordinal" and _small_whole_levels(issue):
            return _whole_options(issue, raw, empty)
    x = raw.numbers()
    assert issue.lo is not None and issue.hi is not None
    lo, hi = issue.lo, issue.hi
    span = f"[{fmt(lo)}, {fmt(hi)}]"
    inside = (x >= lo - TOL * max(1.0, abs(lo))) & (x <= hi + TOL * max(1.0, abs(hi)))
    if issue.levels is None or as_price:
        index = np.full(n, -1, dtype=np.int64)
    elif issue.kind == "integer":  # an even grid: the nearest level by arithmetic
        step = float(issue.spec.step)
        j = np.clip(np.rint((x - lo) / step), 0, len(issue.levels) - 1)
        j = np.where(np.isnan(j), 0, j).astype(np.int64)
        index = np.where(np.abs(issue.levels[j] - x) <= TOL * np.maximum(1.0, np.abs(x)), j, -1)
    else:
        index = _match(issue.levels, x)
    if as_price or issue.kind == "continuous":
        value = np.clip(x, lo, hi)
        if not as_price and issue.levels is not None:
            value = np.where(index >= 0, issue.levels[np.maximum(index, 0)], value)
        bad = ~empty & ~inside
        want = f"a price in {span}" if as_price else f"a number in {span}"
    else:
        assert issue.levels is not None
        value = issue.levels[np.maximum(index, 0)]
        bad = ~empty & (index < 0)
        want = expected_level(issue)

    def why(j: int) -> str:
        if np.isnan(x[j]):
            return f"{show(raw.item(j))} is not a number; expected {want}"
        if not inside[j]:
            return f"{show(raw.item(j))} is outside {span}; expected {want}"
        return f"{show(raw.item(j))} is not a level of {issue.name!r}; expected {want}"

    return Cells(value, index, empty, bad, why)


def _whole_numbers(issue: CompiledIssue, raw: Col, empty: np.ndarray) -> Cells:
    """An integer issue read from a column of integers: levels by integer arithmetic."""
    assert issue.levels is not None and issue.lo is not None and issue.hi is not None
    lo, step, top = int(issue.lo), int(issue.spec.step), len(issue.levels) - 1
    k = raw.arrow.fill_null(lo).to_numpy(zero_copy_only=False).astype(np.int64, copy=False) - lo
    j = k // step
    ok = (k == j * step) & (j >= 0) & (j <= top)
    index = np.where(ok, j, -1)
    want = expected_level(issue)
    span = f"[{fmt(issue.lo)}, {fmt(issue.hi)}]"

    def why(row: int) -> str:
        x = raw.item(row)
        where = "outside " + span if not issue.lo <= x <= issue.hi else f"not a level of {issue.name!r}"
        return f"{show(x)} is {where}; expected {want}"

    return Cells(np.take(issue.levels, np.maximum(index, 0)), index, empty, ~empty & ~ok, why)


def _small_whole_levels(issue: CompiledIssue) -> bool:
    levels = issue.levels
    return levels is not None and bool(np.all(levels == np.round(levels))) and levels[-1] - levels[0] <= 1 << 16


def _whole_options(issue: CompiledIssue, raw: Col, empty: np.ndarray) -> Cells:
    """An ordinal issue of whole-number options read from a column of integers: levels by a look-up table."""
    assert issue.levels is not None
    first = int(issue.levels[0])
    table = np.full(int(issue.levels[-1]) - first + 1, -1, dtype=np.int64)
    table[issue.levels.astype(np.int64) - first] = np.arange(len(issue.levels))
    k = raw.arrow.fill_null(first).to_numpy(zero_copy_only=False).astype(np.int64, copy=False) - first
    inside = (k >= 0) & (k < len(table))
    index = np.where(inside, np.take(table, np.clip(k, 0, len(table) - 1)), -1)
    want = expected_level(issue)

    lo, hi = issue.levels[0], issue.levels[-1]
    span = f"[{fmt(lo)}, {fmt(hi)}]"

    def why(row: int) -> str:
        x = raw.item(row)
        where = "outside " + span if not lo <= x <= hi else f"not a level of {issue.name!r}"
        return f"{show(x)} is {where}; expected {want}"

    return Cells(np.take(issue.levels, np.maximum(index, 0)), index, empty, ~empty & (index < 0), why)
