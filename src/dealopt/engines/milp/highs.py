"""The HiGHS back-end (highspy): one model built once, bounds moved with ``changeRowBounds``, cuts with ``addRow``.

HiGHS prints a banner on stdout once per process, when the first solver object
is made, even with output off: that moment runs with file descriptor 1 sent to
/dev/null (the CLI prints JSON there).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import highspy
import numpy as np

from dealopt.engines.base import Status
from dealopt.engines.milp.backend import INF, Outcome

__all__ = ["HighsBackend", "STATUS_MAP"]

_M = highspy.HighsModelStatus
#: HiGHS model statuses the engine understands; any other is a solver failure.
STATUS_MAP: dict[Any, Status] = {
    _M.kOptimal: Status.OPTIMAL,
    _M.kInfeasible: Status.INFEASIBLE,
    _M.kUnboundedOrInfeasible: Status.INFEASIBLE,  # every model here is bounded
    _M.kTimeLimit: Status.TIME_LIMIT,
}

_OPTIONS: dict[str, Any] = {
    "output_flag": False,
    "mip_rel_gap": 0.0,
    "mip_abs_gap": 0.0,
    "threads": 1,
    # the primal heuristics cost more than they save on these small models
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    # after aggregation or merging parallel rows/columns, a row of the original model can end up off by
    # just over the tolerance, and HiGHS then rejects every solution it finds (see docs/milp.md)
    "presolve_rule_off": (1 << 12) | (1 << 13),
}

_QUIET = threading.RLock()
_LIBC: Any = None


def _flush() -> None:
    global _LIBC
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    try:
        if _LIBC is None:
            _LIBC = ctypes.CDLL(None)
        _LIBC.fflush(None)
    except Exception:  # pragma: no cover - no C runtime to flush
        pass


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send whatever is printed on file descriptor 1 to /dev/null meanwhile."""
    with _QUIET:
        _flush()
        try:
            saved = os.dup(1)
        except OSError:  # pragma: no cover - no stdout at all
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            yield
        finally:
            _flush()
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


class HighsBackend:
    """A MILP on one ``highspy.Highs`` object; columns and permanent rows are passed in one go at the first solve."""

    name = "highs"

    def __init__(self) -> None:
        with quiet():
            self.h = highspy.Highs()
            self.h.setOptionValue("output_flag", False)
        for key, value in _OPTIONS.items():
            self.h.setOptionValue(key, value)
        self._cols: list[tuple[float, float, bool]] = []
        self._rows: list[tuple[Mapping[int, float], float, float]] = []
        self._built = False
        self._rows_in_model = 0
        self._state: tuple[bool, float, float | None] | None = None

    # -- building ------------------------------------------------------
    def add_col(self, lo: float, hi: float, integer: bool) -> int:
        assert not self._built, "columns are added before the first solve"
        self._cols.append((lo, hi, integer))
        return len(self._cols) - 1

    def add_row(self, coefs: Mapping[int, float], lo: float, hi: float) -> int:
        if not self._built:
            self._rows.append((coefs, lo, hi))
            return len(self._rows) - 1
        idx = np.fromiter(coefs.keys(), dtype=np.int32, count=len(coefs))
        val = np.fromiter(coefs.values(), dtype=np.float64, count=len(coefs))
        self.h.addRow(_bound(lo), _bound(hi), len(idx), idx, val)
        self._rows_in_model += 1
        return self._rows_in_model - 1

    def _build(self) -> None:
        n = len(self._cols)
        lo = np.array([c[0] for c in self._cols], dtype=np.float64)
        hi = np.array([c[1] for c in self._cols], dtype=np.float64)
        empty_i = np.zeros(0, dtype=np.int32)
        self.h.addCols(n, np.zeros(n), lo, hi, 0, empty_i, empty_i, np.zeros(0))
        ints = np.array([k for k, c in enumerate(self._cols) if c[2]], dtype=np.int32)
        if len(ints):
            self.h.changeColsIntegrality(len(ints), ints, np.full(len(ints), highspy.HighsVarType.kInteger, np.uint8))
        if self._rows:
            starts: list[int] = []
            index: list[int] = []
            value: list[float] = []
            for coefs, _, _ in self._rows:
                starts.append(len(index))
                index.extend(coefs.keys())
                value.extend(coefs.values())
            lower = np.array([_bound(r[1]) for r in self._rows], dtype=np.float64)
            upper = np.array([_bound(r[2]) for r in self._rows], dtype=np.float64)
            self.h.addRows(
                len(self._rows), lower, upper, len(index), np.array(starts, dtype=np.int32),
                np.array(index, dtype=np.int32), np.array(value, dtype=np.float64),
            )  # fmt: skip
        self._rows_in_model = len(self._rows)
        self._built = True

    # -- moving --------------------------------------------------------
    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        if not self._built:
            coefs, _, _ = self._rows[row]
            self._rows[row] = (coefs, lo, hi)
            return
        self.h.changeRowBounds(row, _bound(lo), _bound(hi))

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        if not self._built:
            for c, a, b in zip(cols, lo, hi):
                self._cols[int(c)] = (float(a), float(b), self._cols[int(c)][2])
            return
        self.h.changeColsBounds(
            len(cols), np.asarray(cols, dtype=np.int32), np.asarray(lo, float), np.asarray(hi, float)
        )

    def mark(self) -> int:
        return self._rows_in_model if self._built else len(self._rows)

    def drop_rows_from(self, mark: int) -> None:
        if not self._built:
            del self._rows[mark:]
            return
        n = self._rows_in_model - mark
        if n > 0:
            self.h.deleteRows(n, np.arange(mark, self._rows_in_model, dtype=np.int32))
            self._rows_in_model = mark

    # -- solving -------------------------------------------------------
    def solve(
        self, cost: Mapping[int, float], maximize: bool, presolve: bool, tol: float, time_limit: float | None
    ) -> Outcome:
        if not self._built:
            self._build()
        h = self.h
        n = len(self._cols)
        c = np.zeros(n)
        for k, v in cost.items():
            c[k] = v
        h.changeColsCost(n, np.arange(n, dtype=np.int32), c)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)
        state = (presolve, tol, time_limit)
        if state != self._state:
            h.setOptionValue("presolve", "on" if presolve else "off")
            h.setOptionValue("mip_feasibility_tolerance", tol)
            for key in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
                h.setOptionValue(key, min(tol, 1e-8))
            h.setOptionValue("time_limit", INF if time_limit is None else max(1e-3, time_limit))
            self._state = state
        h.clearSolver()  # a basis or solution kept from the previous question can mislead the next solve
        h.run()
        model_status = h.getModelStatus()
        status = STATUS_MAP.get(model_status)
        values = None
        if status in (Status.OPTIMAL, Status.TIME_LIMIT) and h.getInfo().primal_solution_status == 2:
            values = np.asarray(h.getSolution().col_value)
        if status is Status.OPTIMAL and values is None:
            status = None  # "optimal" without a feasible solution: a failure
        return Outcome(status, values, h.modelStatusToString(model_status))


def _bound(x: float) -> float:
    return highspy.kHighsInf if x == INF else (-highspy.kHighsInf if x == -INF else float(x))
