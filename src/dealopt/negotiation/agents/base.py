"""What every negotiating agent shares: its own preferences over the packages, a turn, an action.

An agent sees only its own utility of each feasible package (indexed by the
deal's row-major flat package index) and its own reservation value; it never
sees the other side's utility. The packages are sorted by utility once, so a
turn costs a binary search, never a scan of the outcome space.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Action", "Agent", "Preferences", "Turn", "accept", "end", "offer"]

#: Utilities closer than this are equal (agents' utilities lie in [0, 1]).
EPS = 1e-12


@dataclass(frozen=True, eq=False)
class Preferences:
    """One side's utility of each feasible package and its reservation value (walk-away)."""

    packages: np.ndarray  # flat indices of the feasible packages
    values: np.ndarray  # the side's utility of each, same order
    reservation: float
    size: int  # number of packages in the whole outcome space, feasible or not

    @functools.cached_property
    def order(self) -> np.ndarray:
        """Flat indices of the feasible packages, best first (ties: lower flat index first)."""
        order: np.ndarray = self.packages[self._rank]
        return order

    @functools.cached_property
    def ranked(self) -> np.ndarray:
        """Utilities in :attr:`order` (non-increasing)."""
        ranked: np.ndarray = self.values[self._rank]
        return ranked

    @functools.cached_property
    def _rank(self) -> np.ndarray:
        return np.lexsort((self.packages, -self.values))

    @functools.cached_property
    def _negated(self) -> np.ndarray:
        return -self.ranked  # ascending: what binary search needs

    @functools.cached_property
    def _full(self) -> np.ndarray:
        full = np.full(self.size, -np.inf)
        full[self.packages] = self.values
        return full

    @functools.cached_property
    def rational(self) -> int:
        """How many packages are worth at least the reservation value (they come first in :attr:`order`)."""
        return self.count_at_least(self.reservation)

    @property
    def best(self) -> float:
        """The highest utility of a feasible package."""
        return float(self.ranked[0])

    @property
    def worst(self) -> float:
        """The lowest utility of a feasible package."""
        return float(self.ranked[-1])

    @property
    def floor(self) -> float:
        """The lowest utility an agent aims for: the reservation value, or the worst package above it."""
        return max(self.worst, self.reservation)

    def utility(self, flat: int) -> float:
        """Own utility of a package (-inf when it is infeasible)."""
        return float(self._full[flat])

    def count_at_least(self, target: float) -> int:
        """How many feasible packages are worth at least ``target``."""
        return int(np.searchsorted(self._negated, -target + EPS, side="right"))

    def lowest_at_least(self, target: float) -> int | None:
        """Position in :attr:`order` of the least valuable package worth at least ``target`` (None if none)."""
        n = min(self.count_at_least(target), self.rational)
        return n - 1 if n > 0 else None

    def nearest(self, target: float) -> int | None:
        """Position in :attr:`order` of the rational package whose utility is nearest ``target`` (None if none)."""
        n = self.rational
        if n == 0:
            return None
        k = min(self.count_at_least(target), n)  # positions < k are worth ≥ target
        above, below = k - 1, k if k < n else None
        if above < 0:
            return below
        if below is None or self.ranked[above] - target <= target - self.ranked[below]:
            return above
        return below


@dataclass(frozen=True)
class Turn:
    """What an agent knows when it acts: the step, the number of steps, the standing offer of the other side."""

    step: int  # 0-based
    rounds: int  # N: the negotiation has N steps
    offer: int | None  # flat index of the other side's standing offer; None before any

    @property
    def time(self) -> float:
        """Relative time (step + 1) / (N + 1): it never reaches 1."""
        return (self.step + 1) / (self.rounds + 1)


@dataclass(frozen=True)
class Action:
    """Accept the standing offer, make an offer (a flat package index) or end the negotiation."""

    kind: Literal["accept", "offer", "end"]
    package: int | None = None


def accept() -> Action:
    """Accept the standing offer."""
    return Action("accept")


def offer(package: int) -> Action:
    """Offer a package (flat index)."""
    return Action("offer", int(package))


def end() -> Action:
    """End the negotiation without agreement."""
    return Action("end")


class Agent(ABC):
    """A negotiating agent: one act per turn, from its own preferences only."""

    #: The registry name (``AGENTS``).
    name: str = "agent"

    def __init__(self, prefs: Preferences, seed: int = 0) -> None:
        self.prefs = prefs
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def act(self, turn: Turn) -> Action:
        """Accept, offer or end, given the turn."""
