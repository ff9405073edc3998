"""The fallback back-end when highspy is missing: PuLP with its bundled CBC, the model rebuilt for every solve.

Slower than :mod:`.highs` (PuLP writes the whole model each time), but the
same interface, the same answers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pulp

from dealopt.engines.base import Status
from dealopt.engines.milp.backend import INF, Outcome

__all__ = ["PulpBackend", "STATUS_MAP"]

#: PuLP statuses the engine understands; any other is a solver failure.
STATUS_MAP: dict[int, Status] = {
    pulp.LpStatusOptimal: Status.OPTIMAL,
    pulp.LpStatusInfeasible: Status.INFEASIBLE,
}


class PulpBackend:
    """A MILP kept as plain rows and columns, handed to CBC through PuLP at each solve."""

    name = "pulp"

    def __init__(self) -> None:
        self._cols: list[tuple[float, float, bool]] = []
        self._rows: list[tuple[Mapping[int, float], float, float]] = []

    def add_col(self, lo: float, hi: float, integer: bool) -> int:
        self._cols.append((lo, hi, integer))
        return len(self._cols) - 1

    def add_row(self, coefs: Mapping[int, float], lo: float, hi: float) -> int:
        self._rows.append((dict(coefs), lo, hi))
        return len(self._rows) - 1

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        self._rows[row] = (self._rows[row][0], lo, hi)

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        for c, a, b in zip(cols, lo, hi):
            self._cols[int(c)] = (float(a), float(b), self._cols[int(c)][2])

    def mark(self) -> int:
        return len(self._rows)

    def drop_rows_from(self, mark: int) -> None:
        del self._rows[mark:]

    def solve(
        self, cost: Mapping[int, float], maximize: bool, presolve: bool, tol: float, time_limit: float | None
    ) -> Outcome:
        prob = pulp.LpProblem("dealopt", pulp.LpMaximize if maximize else pulp.LpMinimize)
        xs = []
        for k, (lo, hi, integer) in enumerate(self._cols):
            cat = pulp.LpContinuous
            if integer:
                cat = pulp.LpBinary if (lo, hi) == (0, 1) else pulp.LpInteger
            xs.append(prob.add_variable(f"x{k}", lo, hi, cat))
        objective: Any = pulp.lpSum(v * xs[k] for k, v in cost.items())
        prob.setObjective(objective if cost else pulp.LpAffineExpression())
        for r, (coefs, lo, hi) in enumerate(self._rows):
            expr = pulp.lpSum(v * xs[k] for k, v in coefs.items())
            if lo == hi:
                prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", lo)
                continue
            if lo != -INF:
                prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}lo", lo)
            if hi != INF:
                prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}hi", hi)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=False, gapRel=0.0, gapAbs=0.0, timeLimit=time_limit, presolve=presolve,
                options=[f"primalTolerance {tol}", f"integerTolerance {tol}"],
            )  # fmt: skip
            try:
                prob.solve(solver)
            except pulp.PulpSolverError as exc:  # pragma: no cover - solver crash
                return Outcome(None, None, f"error: {exc}")
        status = STATUS_MAP.get(prob.status)
        if status is Status.OPTIMAL and prob.sol_status != pulp.LpSolutionOptimal:
            status = Status.TIME_LIMIT if time_limit is not None else None
        values = None
        if status in (Status.OPTIMAL, Status.TIME_LIMIT):
            values = np.array([v.varValue or 0.0 for v in xs])
        return Outcome(status, values, pulp.LpStatus.get(prob.status, str(prob.status)))
