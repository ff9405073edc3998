"""Trades: "if we do this, can you do that".

A trade from package p is a package q that changes at most K issues of p and is
at least as good for both sides, strictly better for one. Its *gives* are the
changed issues that, moved alone, raise the buyer's utility; its *asks* the ones
that raise the seller's. Trades are found exactly by listing every change of at
most K issues (vectorized), and ranked by joint value gained.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.errors import LimitError, PackageError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices
from dealopt.model.levels import display_value
from dealopt.negotiation.packages import issue_label, level_text

__all__ = ["Move", "Trade", "TradeResult", "find_trades", "join_words", "move_phrase", "price_issue", "MAX_CANDIDATES"]

#: Most candidate packages one search lists.
MAX_CANDIDATES = 5_000_000
_REL = 1e-9


@dataclass(frozen=True)
class Move:
    """One issue moved from one level to another."""

    issue: str
    from_: Any
    to: Any
    seller_alone: float  # seller's gain if this move were made alone
    buyer_alone: float

    def to_dict(self) -> dict[str, Any]:
        """As in ``--json``."""
        return {"issue": self.issue, "from": self.from_, "to": self.to}


@dataclass(frozen=True)
class Trade:
    """A package better for both sides than the starting one, with its gives and asks."""

    gives: tuple[Move, ...]
    asks: tuple[Move, ...]
    seller_gain: float
    buyer_gain: float
    package: dict[str, Any]
    sentence: str

    @property
    def joint_gain(self) -> float:
        """Seller gain + buyer gain."""
        return self.seller_gain + self.buyer_gain

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt trades --json``."""
        return {
            "gives": [m.to_dict() for m in self.gives],
            "asks": [m.to_dict() for m in self.asks],
            "seller_gain": self.seller_gain,
            "buyer_gain": self.buyer_gain,
            "joint_gain": self.joint_gain,
            "package": self.package,
            "sentence": self.sentence,
        }


@dataclass(frozen=True)
class TradeResult:
    """The trades from one package, best first."""

    from_package: dict[str, Any]
    seller: float
    buyer: float
    trades: tuple[Trade, ...]
    max_issues: int
    candidates: int

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt trades --json``."""
        return {"from": self.from_package, "trades": [t.to_dict() for t in self.trades]}


def _changes(deal: CompiledDeal, base: np.ndarray, max_issues: int) -> np.ndarray:
    """Every package that differs from ``base`` in 1…max_issues issues, as level-index rows."""
    sizes = [len(i.labels) for i in deal.issues]
    k = len(sizes)
    total = sum(
        math.prod(sizes[i] - 1 for i in subset)
        for r in range(1, max_issues + 1)
        for subset in itertools.combinations(range(k), r)
    )
    if total > MAX_CANDIDATES:
        raise LimitError(
            f"trades: changing up to {max_issues} issues gives {total:,} candidate packages, more than {MAX_CANDIDATES:,}; "
            "use a smaller --max-issues"
        )
    blocks = []
    for r in range(1, max_issues + 1):
        for subset in itertools.combinations(range(k), r):
            others = [np.delete(np.arange(sizes[i]), base[i]) for i in subset]
            grid = np.stack(np.meshgrid(*others, indexing="ij"), axis=-1).reshape(-1, r)
            rows = np.repeat(base[None, :], len(grid), axis=0)
            rows[:, list(subset)] = grid
            blocks.append(rows)
    return np.concatenate(blocks) if blocks else np.empty((0, k), dtype=np.int64)


def find_trades(deal: CompiledDeal, base: np.ndarray, max_issues: int = 2, top: int | None = 10) -> TradeResult:
    """Every trade from ``base`` (level indices) changing at most ``max_issues`` issues, best first."""
    if not deal.gridded:
        stepless = next(i.name for i in deal.issues if not i.gridded)
        raise LimitError(f"trades: issue {stepless!r} is continuous without step; give it a step to list trades")
    k = len(deal.issues)
    if not 1 <= max_issues <= k:
        raise PackageError(f"--max-issues: {max_issues}; expected 1…{k} (the number of issues)")
    base = np.asarray(base, dtype=np.int64)
    ev0 = evaluate_indices(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    rows = _changes(deal, base, max_issues)
    ev = evaluate_indices(deal, rows)
    tol_s = _REL * max(1.0, abs(s0))
    tol_b = _REL * max(1.0, abs(b0))
    ds = ev.seller - s0
    db = ev.buyer - b0
    ok = ev.feasible & (ds >= -tol_s) & (db >= -tol_b) & ((ds > tol_s) | (db > tol_b))
    rows, ds, db = rows[ok], ds[ok], db[ok]
    changed = rows != base[None, :]
    n_changed = changed.sum(axis=1)
    if len(rows):
        keep = _irredundant(deal, base, rows, changed, ds, db, s0, b0, tol_s, tol_b)
        rows, ds, db, changed, n_changed = rows[keep], ds[keep], db[keep], changed[keep], n_changed[keep]
    joint = ds + db
    q = _REL * max(1.0, float(np.max(np.abs(joint))) if len(joint) else 1.0)
    # best joint gain first; then fewer changes, larger buyer gain, then issue/level order
    order = np.lexsort(
        (*[rows[:, j] for j in range(k - 1, -1, -1)], -np.round(db / q), n_changed, -np.round(joint / q))
    )
    if top is not None:
        order = order[:top]
    single = _single_moves(deal, base, s0, b0)
    trades = tuple(_trade(deal, base, rows[j], float(ds[j]), float(db[j]), single) for j in order)
    return TradeResult(deal.package_labels(base), s0, b0, trades, max_issues, int(ok.size))


def _irredundant(
    deal: CompiledDeal,
    base: np.ndarray,
    rows: np.ndarray,
    changed: np.ndarray,
    ds: np.ndarray,
    db: np.ndarray,
    s0: float,
    b0: float,
    tol_s: float,
    tol_b: float,
) -> np.ndarray:
    """Drop trades with a move that adds nothing: reverting it leaves a trade at least as good for both."""
    keep = np.ones(len(rows), dtype=bool)
    for j in range(len(deal.issues)):
        has = np.flatnonzero(changed[:, j] & (changed.sum(axis=1) > 1))
        if not len(has):
            continue
        reverted = rows[has].copy()
        reverted[:, j] = base[j]
        ev = evaluate_indices(deal, reverted)
        rs, rb = ev.seller - s0, ev.buyer - b0
        no_worse = ev.feasible & (rs >= ds[has] - tol_s) & (rb >= db[has] - tol_b)
        keep[has[no_worse]] = False
    return keep


def _single_moves(
    deal: CompiledDeal, base: np.ndarray, s0: float, b0: float
) -> dict[tuple[int, int], tuple[float, float]]:
    """(issue, level) → (seller gain, buyer gain) of moving that issue alone."""
    rows, keys = [], []
    for issue in deal.issues:
        for level in range(len(issue.labels)):
            if level != base[issue.index]:
                r = base.copy()
                r[issue.index] = level
                rows.append(r)
                keys.append((issue.index, level))
    if not rows:
        return {}
    ev = evaluate_indices(deal, np.array(rows))
    return {key: (float(ev.seller[n] - s0), float(ev.buyer[n] - b0)) for n, key in enumerate(keys)}


def _trade(
    deal: CompiledDeal,
    base: np.ndarray,
    row: np.ndarray,
    ds: float,
    db: float,
    single: dict[tuple[int, int], tuple[float, float]],
) -> Trade:
    gives, asks = [], []
    for i in np.flatnonzero(row != base):
        issue = deal.issues[int(i)]
        s_alone, b_alone = single[(int(i), int(row[i]))]
        move = Move(
            issue.name, display_value(issue.labels[base[i]]), display_value(issue.labels[row[i]]), s_alone, b_alone
        )
        if b_alone > 0 or (s_alone <= 0 and b_alone > s_alone):
            gives.append(move)
        else:
            asks.append(move)
    return Trade(
        tuple(gives), tuple(asks), ds, db, deal.package_labels(row), trade_sentence(deal, base, row, gives, asks)
    )


def price_issue(deal: CompiledDeal) -> str | None:
    """The name of the price issue: ``policy.price_issue``, else an issue called ``price``."""
    pol = deal.model.policy
    if pol is not None and pol.price_issue:
        return pol.price_issue
    return "price" if "price" in deal.by_name and deal.by_name["price"].numeric else None


def move_phrase(deal: CompiledDeal, issue_name: str, old: int, new: int) -> str:
    """A move in words: "move support to premium", "lower the price per seat to 95 USD/seat/month"."""
    issue = deal.by_name[issue_name]
    target = level_text(issue, new)
    if issue.name == price_issue(deal):
        verb = "lower" if new < old else "raise"
        return f"{verb} the {issue_label(issue)} to {target}"
    return f"move {issue_label(issue)} to {target}"


def _phrase(deal: CompiledDeal, move: Move, base: np.ndarray, row: np.ndarray) -> str:
    issue = deal.by_name[move.issue]
    return move_phrase(deal, issue.name, int(base[issue.index]), int(row[issue.index]))


def join_words(parts: list[str]) -> str:
    """Words joined as "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def trade_sentence(deal: CompiledDeal, base: np.ndarray, row: np.ndarray, gives: list[Move], asks: list[Move]) -> str:
    """The seller's sentence for a trade: "If we …, can you …?"."""
    give = join_words([_phrase(deal, m, base, row) for m in gives])
    ask = join_words([_phrase(deal, m, base, row) for m in asks])
    if gives and asks:
        return f"If we {give}, can you {ask}?"
    if asks:
        return f"Can you {ask}? It leaves both of us better off."
    return f"We can {give}: it costs us nothing."
