"""How a candidate package moves away from a reference (the buyer's offer, or our previous counter), issue by issue.

A move is judged alone, from the reference: what the seller and the buyer gain
when that one issue goes from the reference's level to the candidate's and
nothing else changes. An issue the reference leaves open takes the
candidate's level (it is not a move). Utilities are exact: a reference value
between grid steps is evaluated as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dealopt.model.evaluation import evaluate_off_grid
from dealopt.negotiation.beliefs import BuyerBelief
from dealopt.negotiation.rules import move_kinds
from dealopt.negotiation.space import OutcomeSpace

__all__ = ["Reference", "Utilities", "utilities", "move_table"]


@dataclass(frozen=True)
class Reference:
    """A (partial) package to measure moves from: levels on the grid, exact values between steps."""

    grid: dict[int, int]
    exact: dict[int, float]

    @property
    def issues(self) -> list[int]:
        """Positions of the issues the reference sets, in order."""
        return sorted(set(self.grid) | set(self.exact))


@dataclass(frozen=True)
class Utilities:
    """Seller and (believed) buyer utilities of some packages, and whether they are feasible."""

    seller: np.ndarray
    buyer: np.ndarray
    feasible: np.ndarray


def utilities(space: OutcomeSpace, belief: BuyerBelief, rows: np.ndarray, exact: dict[int, float]) -> Utilities:
    """Utilities of packages given by level ``rows``, with issues in ``exact`` at those exact values."""
    if not exact:
        flat = space.flat(rows)
        return Utilities(space.seller[flat], belief.utility[flat], space.feasible[flat])
    ev = evaluate_off_grid(space.deal, rows, exact)
    return Utilities(ev.seller, belief.of(ev, rows), ev.feasible)


def move_table(
    space: OutcomeSpace,
    belief: BuyerBelief,
    rows: np.ndarray,
    ref: Reference,
    tol_s: float,
    tol_b: float,
) -> np.ndarray:
    """Move codes (rules.move_kinds) per candidate row and per issue the reference sets (0 where nothing moves)."""
    issues = ref.issues
    out = np.zeros((len(rows), len(issues)), dtype=np.int8)
    if not len(rows) or not issues:
        return out
    base = rows.copy()
    for i, level in ref.grid.items():
        base[:, i] = level
    for i, x in ref.exact.items():
        levels = space.deal.issues[i].levels
        assert levels is not None
        base[:, i] = int(np.argmin(np.abs(levels - x)))
    at_ref = utilities(space, belief, base, ref.exact)
    for col, i in enumerate(issues):
        moved = rows[:, i] != base[:, i] if i in ref.grid else np.ones(len(rows), dtype=bool)
        if not moved.any():
            continue
        alone = base[moved].copy()
        alone[:, i] = rows[moved, i]
        exact = {j: x for j, x in ref.exact.items() if j != i}
        u = utilities(space, belief, alone, exact)
        out[moved, col] = move_kinds(u.seller - at_ref.seller[moved], u.buyer - at_ref.buyer[moved], tol_s, tol_b)
    return out
