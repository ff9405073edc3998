"""Reading the buyer's pace: what its own concessions let us hold, and our smallest step when it waits for us.

A buyer that concedes on its own (a time-dependent buyer) keeps conceding
whatever we do: its pace since its first offer, carried to the deadline, says what it
will give by then, and our level need not fall below the most we get at that
buyer utility. Only the concessions it made while we held still count, so a
buyer that mirrors our moves (tit-for-tat) or answers them one for one (MiCRO)
gives us no reason to hold. A buyer that goes back to an earlier offer waits for
our move: then we make the smallest concession there is, a new offer it can
answer.
"""

from __future__ import annotations

import numpy as np

from dealopt.negotiation.situation import Situation

__all__ = ["PACE_SHARE", "pace_hold", "smallest_step"]

#: Share of the buyer's pace we count on until the deadline (benchmarks/negotiation.py at 100 rounds, mean seller
#: utility: 0.745 with the pace since its first offer and 1.0; 0.742 with the last third of its offers and 0.8).
PACE_SHARE = 1.0
_MIN_OFFERS = 4


def pace_hold(sit: Situation, target: float, turns_left: int | None) -> float:
    """The level the buyer's own pace lets us hold (``target`` when it does not concede alone or time is unknown):
    we neither accept nor offer less before its last two turns."""
    every = np.array(sit.buyer_path, dtype=float)
    keep = np.isfinite(every)
    path = every[keep]
    alone = ~np.array(sit.we_moved, dtype=bool)[keep]
    n = len(path)
    if n < _MIN_OFFERS or turns_left is None or turns_left < 2:
        return target
    low = np.minimum.accumulate(path)  # the least the buyer has asked for so far, in its utility
    drops = np.diff(low)[alone[1:]]  # its concessions made while we held still
    pace = float(drops.sum()) / (n - 1)
    if pace >= 0:
        return target
    expected = low[-1] + PACE_SHARE * pace * turns_left
    ok = sit.zopa & (sit.belief.utility >= expected - sit.tol_b)
    if not ok.any():
        return target
    cap = sit.previous.seller if sit.previous is not None else sit.best
    return max(target, min(float(sit.space.seller[ok].max()), cap))


def smallest_step(sit: Situation, level: float) -> float:
    """The most for us among the packages better for the buyer than our previous counter (``level`` if none)."""
    prev = sit.previous
    if prev is None or prev.buyer is None:
        return level
    pool = sit.zopa & (sit.belief.utility > prev.buyer + sit.tol_b) & (sit.space.seller <= prev.seller + sit.tol_s)
    if not pool.any():
        return level
    return max(float(sit.space.seller[pool].max()), sit.low)
