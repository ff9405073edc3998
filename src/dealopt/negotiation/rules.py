"""The rules of the counter-offer discipline, one function per rule: the engine applies them and the tests check them."""

from __future__ import annotations

from typing import Literal

__all__ = ["MoveKind", "move_kind"]

MoveKind = Literal["give", "ask", "mutual", "neutral"]


def move_kind(seller_alone: float, buyer_alone: float, tol_s: float = 0.0, tol_b: float = 0.0) -> MoveKind:
    """What one issue's move is, judged by moving it alone: ``give`` (the buyer gains and we don't), ``ask`` (we gain,
    or the buyer loses, and the buyer doesn't gain), ``mutual`` (both gain) or ``neutral`` (neither side changes)."""
    gain_b, gain_s = buyer_alone > tol_b, seller_alone > tol_s
    if gain_b and gain_s:
        return "mutual"
    if gain_b:
        return "give"
    if gain_s or buyer_alone < -tol_b:
        return "ask"
    if seller_alone < -tol_s:
        return "give"
    return "neutral"
