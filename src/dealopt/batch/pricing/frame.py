"""Assembling the output columns of many rows: model groups, blocks, typed pandas and Arrow columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from dealopt.batch.pricing.cells import Col
from dealopt.batch.pricing.group import Codes, price_group
from dealopt.batch.pricing.model import model_path, pricing_model
from dealopt.batch.pricing.rows import label_rows
from dealopt.batch.pricing.suggest import Priced

__all__ = [
    "BOOL_COLUMNS",
    "FLOAT_COLUMNS",
    "OUTPUT_COLUMNS",
    "OUTPUT_FIELDS",
    "Outputs",
    "price_columns",
    "price_frame",
    "price_table",
]

#: Columns added to the input, in this order.
OUTPUT_COLUMNS = (
    "break_even_price",
    "break_even_in_range",
    "buyer_break_even_price",
    "floor_price",
    "variant_value",
    "suggested_price",
    "discount_pct",
    "approval",
    "win_probability",
    "expected_best_price",
    "variant_loses_value",
    "below_floor",
    "zopa",
    "suggested_feasible",
    "error",
)
FLOAT_COLUMNS = (
    "break_even_price",
    "buyer_break_even_price",
    "floor_price",
    "variant_value",
    "suggested_price",
    "discount_pct",
    "win_probability",
    "expected_best_price",
)
BOOL_COLUMNS = ("break_even_in_range", "variant_loses_value", "below_floor", "zopa", "suggested_feasible")
_TYPES = {
    **dict.fromkeys(FLOAT_COLUMNS, pa.float64()),
    **dict.fromkeys(BOOL_COLUMNS, pa.bool_()),
    "approval": pa.dictionary(pa.int32(), pa.string()),
    "error": pa.string(),
}
OUTPUT_FIELDS = [pa.field(c, _TYPES[c]) for c in OUTPUT_COLUMNS]
#: Rows priced at once: enough to amortize the Python overhead, few enough to stay in cache.
ROWS_AT_ONCE = 65_536


@dataclass
class Outputs:
    """The output columns of some rows as NumPy arrays: NaN, a null mask or code -1 where empty."""

    floats: dict[str, np.ndarray]
    bools: dict[str, np.ndarray]
    bool_null: dict[str, np.ndarray]
    approval: np.ndarray  # code into ``approvers``, -1 where empty
    approvers: list[str]
    error: np.ndarray  # str or None
    kinds: dict[str, str] = field(default_factory=dict)  # input column → the kind of its issue
    arrow: dict[str, pa.Array] = field(default_factory=dict, repr=False)  # input columns read as Arrow
    codes: _CodeBook | None = field(default=None, repr=False)  # categorical input columns' option codes
    offset: int = 0  # where these rows start in ``codes``

    @staticmethod
    def unset(n: int) -> Outputs:
        """``n`` rows, their values not set yet (see :meth:`clear`); errors are None."""
        return Outputs(
            {c: np.empty(n) for c in FLOAT_COLUMNS},
            {c: np.empty(n, dtype=bool) for c in BOOL_COLUMNS},
            {c: np.empty(n, dtype=bool) for c in BOOL_COLUMNS},
            np.empty(n, dtype=np.int32),
            ["none"],
            np.empty(n, dtype=object),  # None throughout
            codes=_CodeBook(n),
        )

    def note_codes(self, rows: np.ndarray | slice, n: int, codes: dict[str, Codes]) -> None:
        """Keep a model group's categorical codes (``rows`` of these rows; ``n`` of them)."""
        if self.codes is None:
            return
        where = np.arange(self.offset, self.offset + n) if isinstance(rows, slice) else rows + self.offset
        for col, (values, labels, ok) in codes.items():
            self.codes.add(col, where, values, labels, ok)

    def categorical(self) -> dict[str, pd.Categorical]:
        """The categorical input columns rebuilt from their codes, where every row was read as an option."""
        return self.codes.categoricals() if self.codes is not None else {}

    def clear(self) -> None:
        """Every column empty (in place)."""
        for v in self.floats.values():
            v.fill(np.nan)
        for v in self.bools.values():
            v.fill(False)
        for v in self.bool_null.values():
            v.fill(True)
        self.approval.fill(-1)

    def rows(self, start: int, stop: int) -> Outputs:
        """A view of rows ``start:stop``: writing into it writes into these arrays (approvers and kinds shared)."""
        return Outputs(
            {c: v[start:stop] for c, v in self.floats.items()},
            {c: v[start:stop] for c, v in self.bools.items()},
            {c: v[start:stop] for c, v in self.bool_null.items()},
            self.approval[start:stop],
            self.approvers,
            self.error[start:stop],
            self.kinds,
            self.arrow,
            self.codes,
            self.offset + start,
        )

    @staticmethod
    def concat(parts: list[Outputs]) -> Outputs:
        """Rows of several parts, in order."""
        if len(parts) == 1:
            return parts[0]
        approvers: list[str] = []
        codes = []
        for p in parts:
            remap = np.array([_code(approvers, a) for a in p.approvers] + [-1], dtype=np.int32)
            codes.append(remap[p.approval])  # -1 indexes the trailing -1
        kinds: dict[str, str] = {}
        for p in parts:
            for col, kind in p.kinds.items():
                kinds[col] = kind if kinds.get(col, kind) == kind else "mixed"
        return Outputs(
            {c: np.concatenate([p.floats[c] for p in parts]) for c in FLOAT_COLUMNS},
            {c: np.concatenate([p.bools[c] for p in parts]) for c in BOOL_COLUMNS},
            {c: np.concatenate([p.bool_null[c] for p in parts]) for c in BOOL_COLUMNS},
            np.concatenate(codes),
            approvers,
            np.concatenate([p.error for p in parts]),
            kinds,
        )

    def to_pandas(self) -> dict[str, pd.api.extensions.ExtensionArray]:
        """Typed pandas columns: nullable floats and booleans, a categorical approver, string errors."""
        out: dict[str, pd.api.extensions.ExtensionArray] = {}
        for c in OUTPUT_COLUMNS:
            if c in FLOAT_COLUMNS:  # the arrays are ours: no copies (values under the mask are ignored)
                v = self.floats[c]
                out[c] = pd.arrays.FloatingArray(v, np.isnan(v))
            elif c in BOOL_COLUMNS:
                out[c] = pd.arrays.BooleanArray(self.bools[c], self.bool_null[c])
            elif c == "approval":
                # pandas-stubs accept only an Index as categories; pandas documents any list-like.
                out[c] = pd.Categorical.from_codes(self.approval, categories=self.approvers)  # type: ignore[call-overload]
            else:
                out[c] = pd.array(self._errors_arrow(), dtype=pd.StringDtype("pyarrow"))
        return out

    def _errors_arrow(self) -> pa.Array:
        if not (self.error != None).any():  # noqa: E711 (elementwise)
            return pa.nulls(len(self.error), pa.string())
        return pa.array(self.error, type=pa.string())

    def to_arrow(self) -> list[pa.Array]:
        """Arrow columns in the order of :data:`OUTPUT_FIELDS`."""
        out = []
        for c in OUTPUT_COLUMNS:
            if c in FLOAT_COLUMNS:
                v = self.floats[c]
                out.append(pa.array(v, mask=np.isnan(v), type=pa.float64()))
            elif c in BOOL_COLUMNS:
                out.append(pa.array(self.bools[c], mask=self.bool_null[c], type=pa.bool_()))
            elif c == "approval":
                idx = pa.array(self.approval, mask=self.approval < 0, type=pa.int32())
                out.append(pa.DictionaryArray.from_arrays(idx, pa.array(self.approvers, type=pa.string())))
            else:
                out.append(self._errors_arrow())
        return out


class _CodeBook:
    """Option codes of categorical input columns over all rows, kept while pricing reads them.

    A column can be rebuilt from its codes only when every row was read against the same options and
    every non-empty cell was one of them; otherwise it is typed from its values.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.codes: dict[str, np.ndarray] = {}
        self.labels: dict[str, tuple[str, ...]] = {}
        self.covered: dict[str, int] = {}
        self.unusable: set[str] = set()

    def add(self, col: str, rows: np.ndarray, values: np.ndarray, labels: tuple[str, ...], ok: bool) -> None:
        if col in self.unusable:
            return
        if not ok or self.labels.setdefault(col, labels) != labels:
            self.unusable.add(col)
            return
        if col not in self.codes:
            self.codes[col] = np.full(self.n, -1, dtype=np.int32)
        self.codes[col][rows] = values
        self.covered[col] = self.covered.get(col, 0) + len(rows)

    def categoricals(self) -> dict[str, pd.Categorical]:
        return {
            # pandas-stubs accept only an Index as categories; pandas documents any list-like.
            col: pd.Categorical.from_codes(codes, categories=list(self.labels[col]), validate=False)  # type: ignore[call-overload]
            for col, codes in self.codes.items()
            if col not in self.unusable and self.covered.get(col) == self.n
        }


def _code(names: list[str], name: str) -> int:
    if name not in names:
        names.append(name)
    return names.index(name)


def _fill(out: Outputs, rows: np.ndarray | slice, p: Priced, feasible: np.ndarray, tier_codes: np.ndarray) -> None:
    """Write a group's columns into the rows it covers."""
    values = {
        "break_even_price": p.break_even,
        "buyer_break_even_price": p.buyer_break_even,
        "floor_price": p.floor,
        "variant_value": p.value,
        "suggested_price": p.suggested,
        "discount_pct": p.discount,
        "win_probability": p.win,
        "expected_best_price": p.expected_best,
    }
    for c, v in values.items():
        out.floats[c][rows] = v
    no_price = np.isnan(p.suggested)
    flags = {
        "break_even_in_range": (p.break_even_in_range, np.isnan(p.break_even)),
        "variant_loses_value": (p.loses_value, no_price),
        "below_floor": (p.below_floor, no_price),
        "zopa": (p.zopa, np.zeros(len(no_price), dtype=bool)),
        "suggested_feasible": (feasible, no_price),
    }
    for c, (value, null) in flags.items():
        out.bools[c][rows] = value
        out.bool_null[c][rows] = null
    out.approval[rows] = np.where(p.approval < 0, -1, tier_codes[np.maximum(p.approval, 0)])


def price_columns(
    n: int, columns: list[str], column: Callable[[str], Col], models_dir: Path, cwd: Path | None, first_row: int
) -> Outputs:
    """The output columns of ``n`` rows (in blocks); rows are numbered from ``first_row`` in messages.

    ``model`` cells name models in ``models_dir``; paths are read (relative to ``cwd``) only when ``cwd`` is given.
    """
    out = Outputs.unset(n)  # each block clears its rows first: memory is touched a block at a time
    whole: dict[str, Col] = {}

    def full(c: str) -> Col:
        if c not in whole:
            whole[c] = column(c)
        return whole[c]

    for s in range(0, n, ROWS_AT_ONCE):
        e = min(n, s + ROWS_AT_ONCE)
        block = full if e - s == n else _rows_of(full, s, e)
        _price_block(out.rows(s, e), columns, block, models_dir, cwd, first_row + s)
    out.arrow = {c: col.arrow for c, col in whole.items()}
    return out


def _price_block(
    out: Outputs, columns: list[str], column: Callable[[str], Col], models_dir: Path, cwd: Path | None, first_row: int
) -> None:
    """Fill ``out`` (a view of some rows) with their output columns."""
    out.clear()
    n = len(out.error)
    cache: dict[str, Col] = {}

    def raw(col: str) -> Col | None:
        if col not in columns:
            return None
        if col not in cache:
            cache[col] = column(col)
        return cache[col]

    errors = out.error
    bad = np.zeros(n, dtype=bool)
    qids = raw("quote_id")
    qid_empty = None
    if qids is None:
        errors[:] = "quote_id: missing column; expected a quote_id column naming each row's quote"
        bad[:] = True
    else:
        qid_empty = qids.empty()
        errors[qid_empty] = "quote_id: empty; expected the id of the row's quote"
        bad |= qid_empty
    models = raw("model")
    groups: list[tuple[np.ndarray, object]] = []
    if models is None:
        errors[~bad] = "model: missing column; expected a model name or path on every row"
        bad[:] = True
    elif n:
        codes, uniques = models.factorize()
        order = np.argsort(codes, kind="stable")
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        groups = [(rows, uniques[codes[rows[0]]] if codes[rows[0]] >= 0 else None) for rows in np.split(order, cuts)]
    for rows, value in groups:
        where = model_path(value, models_dir, cwd)
        pm = where if isinstance(where, str) else pricing_model(where)
        whole_group = len(rows) == n  # one model: its rows in order, no copies
        picked: dict[str, Col] = {}

        def get(
            col: str, rows: np.ndarray = rows, whole: bool = whole_group, picked: dict[str, Col] = picked
        ) -> Col | None:
            c = raw(col)
            if c is None or whole:
                return c
            if col not in picked:
                picked[col] = c.take(rows)
            return picked[col]

        group = price_group(pm, get, columns, len(rows))
        at: np.ndarray | slice = slice(None) if whole_group else rows
        fresh = group.errors.bad & ~bad[at]
        errors[np.flatnonzero(fresh) if whole_group else rows[fresh]] = group.errors.messages[fresh]
        bad[at] |= group.errors.bad
        out.note_codes(at, len(rows), group.codes)
        if group.priced is None or isinstance(pm, str):
            continue
        tier_codes = np.array([_code(out.approvers, a) for a in ("none", *pm.tier_names)], dtype=np.int32)
        assert group.feasible is not None
        _fill(out, at, group.priced, group.feasible, tier_codes)
        for issue in pm.deal.issues:
            for prefix in ("base.", "variant."):
                col = prefix + issue.name
                if col in columns:
                    prev = out.kinds.get(col, issue.kind)
                    out.kinds[col] = issue.kind if prev == issue.kind else "mixed"
    where_bad = np.flatnonzero(bad)
    label_rows(errors, where_bad, first_row, qids, qid_empty)
    for c in FLOAT_COLUMNS:
        out.floats[c][bad] = np.nan
    for c in BOOL_COLUMNS:
        out.bool_null[c][bad] = True
    out.approval[bad] = -1


def price_frame(frame: pd.DataFrame, models_dir: Path, cwd: Path | None, first_row: int) -> Outputs:
    """The output columns for a DataFrame."""
    by_name = {str(c): c for c in frame.columns}
    return price_columns(
        len(frame), list(by_name), lambda c: Col.of_series(frame[by_name[c]]), models_dir, cwd, first_row
    )


def price_table(table: pa.Table, models_dir: Path, cwd: Path | None, first_row: int) -> Outputs:
    """The output columns for an Arrow table."""
    return price_columns(
        table.num_rows, table.column_names, lambda c: Col.of_arrow(table.column(c)), models_dir, cwd, first_row
    )


def _rows_of(full: Callable[[str], Col], start: int, stop: int) -> Callable[[str], Col]:
    """A column reader giving rows ``start:stop`` of the whole columns."""
    return lambda c: full(c).slice(start, stop)
