"""Per-key concurrency: one caller cannot hold more than its share of the service."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from dealopt.errors import TooMany

__all__ = ["KeyLimits", "TooMany", "fingerprint"]


def fingerprint(key: str) -> str:
    """A short name for a key in logs and limits: a hash prefix, never part of the key."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


class KeyLimits:
    """Counts the requests, and the solver jobs, each key has in progress (all on the event loop: no lock)."""

    def __init__(self, requests: int, solver: int) -> None:
        self.requests = requests
        self.solver = solver
        self._requests: Counter[str] = Counter()
        self._solver: Counter[str] = Counter()

    def in_progress(self, key: str | None = None) -> int:
        """How many requests are in progress now: of the key named ``key``, or of every key."""
        return sum(self._requests.values()) if key is None else self._requests[key]

    @contextmanager
    def request(self, key: str) -> Iterator[None]:
        """Hold one of the key's request slots for the block (TooMany when it has none left)."""
        with self._hold(self._requests, key, self.requests, "requests"):
            yield

    @contextmanager
    def solver_job(self, key: str) -> Iterator[None]:
        """Hold one of the key's solver slots for the block (TooMany when it has none left)."""
        with self._hold(self._solver, key, self.solver, "frontier computations"):
            yield

    @staticmethod
    @contextmanager
    def _hold(counts: Counter[str], key: str, limit: int, what: str) -> Iterator[None]:
        if counts[key] >= limit:
            raise TooMany(f"this key already has {limit} {what} in progress; retry when one is answered")
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
