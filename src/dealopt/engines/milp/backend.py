"""What the MILP engine asks of a solver: a model built once, bounds moved, rows added and dropped, solves.

Two back-ends implement it: :mod:`.highs` (highspy, the default) and
:mod:`.pulp_fallback` (PuLP with CBC, used only when highspy is missing). Each
translates its solver's statuses through one ``STATUS_MAP`` into
:class:`~dealopt.engines.base.Status`; a status outside the map is a solver
failure.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from dealopt.engines.base import Status

__all__ = ["Backend", "Outcome", "make_backend", "backend_name", "INF"]

INF = float("inf")


@dataclass(frozen=True)
class Outcome:
    """One solve: its status (None for a solver failure, with the vendor's status in ``vendor``) and values."""

    status: Status | None
    values: np.ndarray | None
    vendor: str


class Backend(Protocol):
    """A MILP model owned by one solver."""

    name: str

    def add_col(self, lo: float, hi: float, integer: bool) -> int:
        """A new column; its index."""
        ...

    def add_row(self, coefs: Mapping[int, float], lo: float, hi: float) -> int:
        """A new row ``lo ≤ Σ coefs·x ≤ hi``; its index (rows added after :meth:`mark` are temporary)."""
        ...

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        """Move a row's bounds."""
        ...

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Move the bounds of some columns."""
        ...

    def mark(self) -> int:
        """The number of rows now: rows added from here on can be dropped together."""
        ...

    def drop_rows_from(self, mark: int) -> None:
        """Drop every row added since :meth:`mark` returned ``mark``."""
        ...

    def solve(
        self, cost: Mapping[int, float], maximize: bool, presolve: bool, tol: float, time_limit: float | None
    ) -> Outcome:
        """Optimize ``cost`` over the current model."""
        ...


def backend_name() -> str | None:
    """The back-end that would be used here (``highs``, else ``pulp``), or None; imports no solver."""
    if importlib.util.find_spec("highspy") is not None:
        return "highs"
    if importlib.util.find_spec("pulp") is not None:
        return "pulp"
    return None


def make_backend(name: str | None = None) -> Backend:
    """A fresh model on the named back-end (default: :func:`backend_name`)."""
    name = name or backend_name()
    if name == "highs":
        from dealopt.engines.milp.highs import HighsBackend

        return HighsBackend()
    if name == "pulp":
        from dealopt.engines.milp.pulp_fallback import PulpBackend

        return PulpBackend()
    raise ValueError(f"no MILP back-end {name!r}; expected highs or pulp")
