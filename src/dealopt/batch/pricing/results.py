"""What pricing returns: the priced rows (:class:`PricedVariants`) or a file run's account (:class:`PricingRun`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from dealopt.batch.executor import BatchSummary
from dealopt.batch.pricing.frame import BOOL_COLUMNS, FLOAT_COLUMNS, OUTPUT_COLUMNS

__all__ = ["PricedVariants", "PricingRun", "typed_issue_columns"]


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    ok = frame["error"].isna()
    return {
        "rows": len(frame),
        "errors": int((~ok).sum()),
        "need_approval": int((ok & frame["approval"].notna() & (frame["approval"] != "none")).sum()),
        "lose_value": int(frame["variant_loses_value"].fillna(False).sum()),
        "below_floor": int(frame["below_floor"].fillna(False).sum()),
        "no_zopa": int((ok & ~frame["zopa"].fillna(True)).sum()),
    }


def typed_issue_columns(
    frame: pd.DataFrame,
    kinds: dict[str, str],
    arrow: dict[str, pa.Array] | None = None,
    categorical: dict[str, pd.Categorical] | None = None,
) -> pd.DataFrame:
    """``base.ISSUE`` / ``variant.ISSUE`` columns typed by their issue: Int64, Float64 or category.

    A column whose cells do not all fit (a bad row's text, issues of different kinds in
    different models) is left as it is.
    """
    out = frame.copy(deep=False)
    for col, kind in kinds.items():
        if col not in out.columns or kind == "mixed":
            continue
        known = (categorical or {}).get(col)
        if kind == "categorical" and known is not None:  # rebuilt from the codes read while pricing
            out[col] = pd.Series(known, index=out.index, name=out[col].name)
            continue
        typed = _typed(out[col], kind, (arrow or {}).get(col))
        if typed is not None:
            out[col] = typed
    return out


def _typed(series: pd.Series, kind: str, arrow: pa.Array | None = None) -> pd.Series | None:
    """The column as its issue's type (``arrow``: the same cells, already read), or None when some cell does not fit."""
    dtype = series.dtype
    try:
        if kind == "categorical":
            if isinstance(dtype, pd.CategoricalDtype):
                return series
            arr = arrow if arrow is not None else pa.array(series, from_pandas=True)
            encoded = (arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr).dictionary_encode()
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            cats = pd.Categorical.from_codes(codes, categories=encoded.dictionary.to_pylist())
            return pd.Series(cats, index=series.index, name=series.name)
        if pd.api.types.is_integer_dtype(dtype):
            return series.astype("Int64") if kind != "continuous" else series.astype("Float64")
        numbers = series if pd.api.types.is_float_dtype(dtype) else pd.to_numeric(series, errors="raise")
        numbers = numbers.astype("Float64")
        if kind == "continuous":
            return numbers
        values = numbers.to_numpy(dtype=float, na_value=np.nan)
        whole = values[~np.isnan(values)]
        return numbers.astype("Int64") if np.array_equal(whole, np.round(whole)) else numbers
    except (ValueError, TypeError, pa.ArrowException):
        return None


@dataclass(frozen=True)
class PricedVariants:
    """Priced quote variants: every input row, in order, with the pricing columns (see :mod:`dealopt.batch.pricing`)."""

    frame: pd.DataFrame = field(repr=False)
    seconds: float
    where: str

    @property
    def rows(self) -> int:
        """How many rows (as many as went in)."""
        return len(self.frame)

    @property
    def errors(self) -> int:
        """How many rows carry an error (bad input)."""
        return int(self.frame["error"].notna().sum())

    def counts(self) -> dict[str, int]:
        """Rows, errors, and the rows that need approval, lose value, sit below the floor or have no ZOPA."""
        return _counts(self.frame)

    def summary(self) -> BatchSummary:
        """Rows, errors, time and where it ran."""
        return BatchSummary(self.rows, self.errors, self.seconds, self.where)

    def to_frame(self) -> pd.DataFrame:
        """The priced rows as a DataFrame (a new frame; the data is shared)."""
        return self.frame.copy(deep=False)


@dataclass(frozen=True)
class PricingRun:
    """A file priced into ``out``: rows, errors, time, where it ran; :meth:`to_frame` reads the output back."""

    out: Path
    format: str  # parquet | csv | parts
    rows: int
    errors: int
    seconds: float
    where: str
    kinds: dict[str, str] = field(default_factory=dict, repr=False)

    def summary(self) -> BatchSummary:
        """Rows, errors, time and where it ran."""
        return BatchSummary(self.rows, self.errors, self.seconds, self.where)

    def line(self) -> str:
        """``14 rows, 1 error, 0.05 s, 280 rows/s (in process)``."""
        return self.summary().line()

    def to_frame(self) -> pd.DataFrame:
        """The output file read back, with the same types as :func:`dealopt.batch.pricing.price_variants` gives."""
        if self.format == "csv":
            types = {**dict.fromkeys(FLOAT_COLUMNS, pa.float64()), **dict.fromkeys(BOOL_COLUMNS, pa.bool_())}
            table = pcsv.read_csv(
                self.out,
                convert_options=pcsv.ConvertOptions(
                    column_types={**types, "approval": pa.string(), "error": pa.string()},
                    null_values=[""],
                    strings_can_be_null=True,
                ),
            )
        else:
            table = pq.read_table(self.out)
        frame = table.to_pandas(types_mapper=_nullable)
        frame["approval"] = frame["approval"].astype("category")
        return typed_issue_columns(
            frame[[c for c in frame.columns if c not in OUTPUT_COLUMNS] + list(OUTPUT_COLUMNS)], self.kinds
        )


def _nullable(t: pa.DataType) -> object:
    mapping = {
        pa.float64(): pd.Float64Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
        pa.string(): pd.StringDtype(),
        pa.large_string(): pd.StringDtype(),
    }
    return mapping.get(t)
