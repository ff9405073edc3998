"""The error of learning a buyer: a history or a model that cannot be learned from."""

from __future__ import annotations

from dealopt.errors import DealoptError

__all__ = ["LearnError"]


class LearnError(DealoptError):
    """A history does not fit its model, or the model or history leave nothing that can be learned."""
