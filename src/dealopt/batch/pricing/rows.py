"""Bad input rows: the first problem of each row, in one line naming the row, the column and what was expected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dealopt.batch.pricing.cells import Col
from dealopt.model.compiled import CompiledDeal
from dealopt.model.levels import display_value

__all__ = ["RowErrors", "label_rows", "violated"]


class RowErrors:
    """The first problem of each row of a group (later problems of a flagged row are not kept)."""

    def __init__(self, n: int) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.messages = np.full(n, None, dtype=object)

    def flag(self, mask: np.ndarray, make: Callable[[int], str] | str) -> None:
        """Flag the rows of ``mask`` not flagged yet, with ``make(row)`` or a fixed message."""
        new = np.flatnonzero(mask & ~self.bad)
        if len(new):
            self.messages[new] = make if isinstance(make, str) else [make(j) for j in new.tolist()]
            self.bad[new] = True

    def all(self, message: str) -> None:
        """Flag every row."""
        self.flag(np.ones(len(self.bad), dtype=bool), message)


def violated(
    deal: CompiledDeal, value: list[np.ndarray], index: list[np.ndarray], which: Sequence[int], rows: np.ndarray
) -> np.ndarray:
    """For each of ``rows``: the first constraint (of ``which``) it breaks, -1 when none."""
    first = np.full(len(rows), -1, dtype=np.int64)
    for k in which:
        con = deal.constraints[k]

        def holds(tests: Any) -> np.ndarray:
            ok = np.ones(len(rows), dtype=bool)
            for t in tests:
                cat = deal.issues[t.issue].kind == "categorical"
                ok &= t.on_values(value[t.issue][rows], index[t.issue][rows], cat)
            return ok

        when = holds(con.when)
        broken = when if con.then is None else when & ~holds(con.then)
        first = np.where((first < 0) & broken, k, first)
    return first


def label_rows(
    messages: np.ndarray, where: np.ndarray, first_row: int, qids: Col | None, qid_empty: np.ndarray | None
) -> None:
    """Prefix each message at ``where`` with ``row N (quote ID): `` (rows counted from ``first_row``)."""
    if not len(where):
        return
    numbers = (first_row + where).tolist()
    if qids is None or qid_empty is None:
        quotes = [""] * len(where)
    else:
        ids = qids.arrow.take(pa.array(where))
        try:
            text = ids.cast(pa.string())
            parts = pc.binary_join_element_wise(" (quote ", text, ")", "").fill_null("").to_pylist()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parts = [f" (quote {display_value(q)})" for q in ids.to_pylist()]
        quotes = ["" if e else p for p, e in zip(parts, qid_empty[where].tolist())]
    messages[where] = [f"row {r}{q}: {m}" for r, q, m in zip(numbers, quotes, messages[where].tolist())]
