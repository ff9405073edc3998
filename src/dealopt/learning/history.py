"""A seller's deal history: one row per past quote or offer, checked against a model.

Columns: one per issue of the model (the package), ``won`` (true/false or 1/0),
optional ``weight`` (a non-negative number: how many such quotes the row stands
for) and optional segment columns. Every problem is one line naming the file,
the column and, for bad cells, the first few rows (numbered from 1, header
excluded) and values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dealopt.learning.errors import LearnError
from dealopt.model.compiled import CompiledDeal, CompiledIssue
from dealopt.model.compiled import expected_level as _expected_level

__all__ = ["History", "HistoryError", "IssueValues", "history_from_frame", "read_history"]

_SHOWN = 3  # offending rows and values named in a message
_TRUE = {"true", "1", "yes", "won", "t", "y", "1.0"}
_FALSE = {"false", "0", "no", "lost", "f", "n", "0.0"}
_TOL = 1e-9


class HistoryError(LearnError):
    """A deal history does not fit its model."""


@dataclass(frozen=True)
class IssueValues:
    """The packages of a history as arrays: numeric value and level index per issue (-1 off the grid)."""

    value: list[np.ndarray]
    index: list[np.ndarray]


@dataclass(frozen=True)
class History:
    """A checked history: the packages as a frame and as arrays, outcomes, weights and segments."""

    source: str
    packages: pd.DataFrame  # one column per issue, levels as read (categorical as text)
    values: IssueValues
    won: np.ndarray  # bool
    weight: np.ndarray  # float, 1.0 without a weight column
    segments: pd.DataFrame  # the segment columns asked for (may have none)

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.won)

    def subset(self, mask: np.ndarray) -> History:
        """The rows where ``mask`` holds."""
        idx = np.flatnonzero(mask)
        return History(
            self.source,
            self.packages.iloc[idx].reset_index(drop=True),
            IssueValues([v[idx] for v in self.values.value], [i[idx] for i in self.values.index]),
            self.won[idx],
            self.weight[idx],
            self.segments.iloc[idx].reset_index(drop=True),
        )


def read_history(path: str | Path, deal: CompiledDeal, segments: tuple[str, ...] = ()) -> History:
    """Read and check a CSV or Parquet history for ``deal``; raises :class:`HistoryError`."""
    p = Path(path)
    if not p.is_file():
        raise HistoryError(f"{p}: no such file; expected a CSV or Parquet deal history")
    suffix = p.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            frame = pq.read_table(p).to_pandas()
        elif suffix in (".csv", ".txt"):
            import pyarrow.csv as pacsv

            frame = pacsv.read_csv(p).to_pandas()
        else:
            raise HistoryError(f"{p}: unknown file type {suffix or '(none)'!r}; expected .csv or .parquet")
    except HistoryError:
        raise
    except Exception as exc:  # pyarrow's errors: a file that is not what its name says
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HistoryError(f"{p}: cannot be read ({first}); expected a CSV or Parquet deal history") from None
    return history_from_frame(frame, deal, str(p), segments)


def _rows(mask: np.ndarray) -> str:
    bad = np.flatnonzero(mask)
    shown = ", ".join(str(int(r) + 1) for r in bad[:_SHOWN])
    more = f" ({len(bad)} rows in all)" if len(bad) > _SHOWN else ""
    return f"row{'s' if len(bad) > 1 else ''} {shown}{more}"


def _values(col: pd.Series, mask: np.ndarray) -> str:
    seen: list[str] = []
    for v in col[mask].tolist():
        text = repr(v) if not isinstance(v, float) or np.isfinite(v) else "empty"
        if text not in seen:
            seen.append(text)
        if len(seen) == _SHOWN:
            break
    return ", ".join(seen)


def _won(col: pd.Series, source: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) and not col.isna().any():
        return col.to_numpy(dtype=bool)
    text = col.astype("string").str.strip().str.lower().fillna("")
    yes = text.isin(list(_TRUE)).to_numpy()
    no = text.isin(list(_FALSE)).to_numpy()
    bad = ~(yes | no)
    if bad.any():
        raise HistoryError(
            f"{source}: column 'won': {_rows(bad)}: {_values(col, bad)}; expected true/false or 1/0 in every row"
        )
    return yes


def _weight(col: pd.Series, source: str) -> np.ndarray:
    w = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise HistoryError(f"{source}: column 'weight': {_rows(bad)}: {_values(col, bad)}; expected a number ≥ 0")
    if not (w > 0).any():
        raise HistoryError(f"{source}: column 'weight': every weight is 0; expected some rows to count")
    return w


def _issue(issue: CompiledIssue, col: pd.Series, source: str) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Numeric value, level index and the column as kept, for one issue; raises on a cell that is not a level."""
    n = len(col)
    where = f"{source}: column {issue.name!r}"
    if issue.kind == "categorical":
        text = col.astype("string").str.strip()
        lookup = {str(label): j for j, label in enumerate(issue.labels)}
        index = text.map(lookup).to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(index)
        if bad.any():
            raise HistoryError(
                f"{where}: unknown level at {_rows(bad)}: {_values(col, bad)}; expected {_expected_level(issue)}"
            )
        return np.full(n, np.nan), index.astype(np.int64), text.astype(str)
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise HistoryError(
            f"{where}: not a number at {_rows(bad)}: {_values(col, bad)}; expected {_expected_level(issue)}"
        )
    assert issue.lo is not None and issue.hi is not None
    tol = _TOL * max(1.0, abs(issue.lo), abs(issue.hi))
    index = np.full(n, -1, dtype=np.int64)
    if issue.levels is not None:
        levels = np.asarray(issue.levels, dtype=float)
        j = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1) if len(levels) > 1 else np.zeros(n, dtype=int)
        near = np.where(np.abs(levels[j - 1] - x) <= np.abs(levels[j] - x), j - 1, j) if len(levels) > 1 else j
        on = np.abs(levels[near] - x) <= tol
        index[on] = near[on]
        x = np.where(on, levels[near], x)
    if issue.kind == "ordinal":
        bad = index < 0
    elif issue.kind == "integer":
        bad = (index < 0) & ((x < issue.lo - tol) | (x > issue.hi + tol) | (np.abs(x - np.round(x)) > tol))
    else:
        bad = (x < issue.lo - tol) | (x > issue.hi + tol)
    if bad.any():
        raise HistoryError(
            f"{where}: unknown level at {_rows(bad)}: {_values(col, bad)}; expected {_expected_level(issue)}"
        )
    return x, index, pd.Series(x, name=issue.name)


def history_from_frame(
    frame: pd.DataFrame, deal: CompiledDeal, source: str = "history", segments: tuple[str, ...] = ()
) -> History:
    """Check a history given as a frame (see the module's docstring); raises :class:`HistoryError`."""
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    missing = [i.name for i in deal.issues if i.name not in columns]
    if missing:
        raise HistoryError(
            f"{source}: missing issue column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
            f"expected one column per issue of the model ({', '.join(i.name for i in deal.issues)})"
        )
    if "won" not in columns:
        raise HistoryError(f"{source}: missing column 'won'; expected true/false or 1/0: was the quote won")
    for s in segments:
        if s not in columns:
            raise HistoryError(f"{source}: no segment column {s!r}; expected one of {', '.join(columns)}")
        if frame[s].isna().any():
            bad = frame[s].isna().to_numpy()
            raise HistoryError(f"{source}: column {s!r}: empty segment at {_rows(bad)}; expected a value in every row")
    if len(frame) == 0:
        raise HistoryError(f"{source}: no rows; expected one row per past quote or offer")
    won = _won(frame["won"], source)
    weight = _weight(frame["weight"], source) if "weight" in columns else np.ones(len(frame))
    values: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    kept: dict[str, Any] = {}
    for issue in deal.issues:
        v, i, col = _issue(issue, frame[issue.name].reset_index(drop=True), source)
        values.append(v)
        indices.append(i)
        kept[issue.name] = col.to_numpy()
    return History(
        source,
        pd.DataFrame(kept),
        IssueValues(values, indices),
        won,
        weight,
        frame[list(segments)].reset_index(drop=True).astype(str) if segments else pd.DataFrame(index=frame.index),
    )
