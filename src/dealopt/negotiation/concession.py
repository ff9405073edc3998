"""Time-dependent concession: how much the seller still aims for at a point of the negotiation."""

from __future__ import annotations

__all__ = ["aspiration", "DEFAULT_EXPONENT"]

#: e < 1 is Boulware (firm, then concede near the deadline); 1 linear; > 1 Conceder.
DEFAULT_EXPONENT = 0.2


def aspiration(best: float, walk_away: float, progress: float, exponent: float = DEFAULT_EXPONENT) -> float:
    """target(t) = best − (best − walk_away) · t^(1/e), t the progress in [0, 1]."""
    if exponent <= 0:
        raise ValueError("exponent must be > 0")
    t = min(1.0, max(0.0, progress))
    return best - (best - walk_away) * float(t ** (1.0 / exponent))
