"""The errors of learning a buyer (defined in :mod:`dealopt.errors`, named here for the learning package)."""

from __future__ import annotations

from dealopt.errors import HistoryError, LearnError

__all__ = ["HistoryError", "LearnError"]
