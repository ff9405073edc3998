"""Trades: "if we do this, can you do that".

A trade from package p is a package q that changes at most K issues of p and is
at least as good for both sides, strictly better for one. Each changed issue is a
give or an ask by :func:`dealopt.negotiation.rules.move_kind` (moved alone; a move
both sides gain from counts as a give). Trades are found exactly by listing every
change of at most K issues (vectorized) and ranked by joint value gained; trades
that differ only in the price level collapse into one that shows the price range,
ranked by the best of them. A trade past an approval tier carries a flag.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from dealopt.engines.improvements import best_improvements
from dealopt.errors import LimitError, OptionError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate_indices
from dealopt.model.levels import display_value
from dealopt.negotiation.flags import Flag, approval_flag, price_issue
from dealopt.negotiation.phrasing import join_words, move_words, trade_sentence
from dealopt.negotiation.rules import move_kind

__all__ = ["Move", "Trade", "TradeResult", "find_trades", "join_words", "move_phrase", "price_issue", "MAX_CANDIDATES"]

#: Most candidate packages one search lists; past it, the bounded merge finds the top trades exactly.
MAX_CANDIDATES = 5_000_000
#: How the trades were found when every candidate was listed.
LISTED = "listed"
#: Trades asked of the bounded merge per trade shown: room for price-step near-duplicates that collapse into one.
_COLLAPSE_SLACK = 8
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
    flags: tuple[Flag, ...] = ()
    price_range: tuple[Any, Any] | None = None  # the prices of the collapsed trades, when more than one

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
            "flags": [f.to_dict() for f in self.flags],
            "price_range": list(self.price_range) if self.price_range is not None else None,
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
    method: str = LISTED  # how the trades were found: every candidate listed, or the bounded merge

    def to_dict(self) -> dict[str, Any]:
        """As in ``dealopt trades --json``."""
        return {"from": self.from_package, "trades": [t.to_dict() for t in self.trades], "method": self.method}


def _candidates(deal: CompiledDeal, max_issues: int) -> int:
    """How many packages differ from a package in 1…max_issues issues: the coefficients 1…K of
    Π (1 + (levels − 1)·x), by dynamic programming (exact integers)."""
    coef = [1] + [0] * max_issues
    for issue in deal.issues:
        other = len(issue.labels) - 1
        for r in range(max_issues, 0, -1):
            coef[r] += coef[r - 1] * other
    return sum(coef[1:])


def _changes(deal: CompiledDeal, base: np.ndarray, max_issues: int) -> np.ndarray:
    """Every package that differs from ``base`` in 1…max_issues issues, as level-index rows."""
    sizes = [len(i.labels) for i in deal.issues]
    k = len(sizes)
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
        raise OptionError("max_issues", max_issues, f"1…{k} (the number of issues)")
    base = np.asarray(base, dtype=np.int64)
    ev0 = evaluate_indices(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    tol_s = _REL * max(1.0, abs(s0))
    tol_b = _REL * max(1.0, abs(b0))
    total = _candidates(deal, max_issues)
    if total > MAX_CANDIDATES:  # too many to list: the exact bounded merge over improving packages
        if top is None:
            raise LimitError(
                f"trades: changing up to {max_issues} issues gives {total:,} candidate packages, more than "
                f"{MAX_CANDIDATES:,} to list them all; ask for the top trades"
            )
        rows, ds, db, method = best_improvements(deal, base, max_issues, top * _COLLAPSE_SLACK)
        changed = rows != base[None, :]
        n_changed = changed.sum(axis=1)
    else:
        rows, ds, db, changed, n_changed = _listed(deal, base, max_issues, s0, b0, tol_s, tol_b)
        method = LISTED
    joint = ds + db
    q = _REL * max(1.0, float(np.max(np.abs(joint))) if len(joint) else 1.0)
    # best joint gain first; then fewer changes, larger buyer gain, then issue/level order
    order = np.lexsort(
        (*[rows[:, j] for j in range(k - 1, -1, -1)], -np.round(db / q), n_changed, -np.round(joint / q))
    )
    picks, spans = _collapse(deal, base, rows, order, top)
    single = _single_moves(deal, base, s0, b0)
    trades = tuple(
        _trade(deal, base, rows[j], float(ds[j]), float(db[j]), single, (tol_s, tol_b), spans[j]) for j in picks
    )
    return TradeResult(deal.package_labels(base), s0, b0, trades, max_issues, total, method)


def _listed(
    deal: CompiledDeal, base: np.ndarray, max_issues: int, s0: float, b0: float, tol_s: float, tol_b: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every trade, found by listing every change of at most ``max_issues`` issues (vectorized)."""
    rows = _changes(deal, base, max_issues)
    ev = evaluate_indices(deal, rows)
    ds = ev.seller - s0
    db = ev.buyer - b0
    ok = ev.feasible & (ds >= -tol_s) & (db >= -tol_b) & ((ds > tol_s) | (db > tol_b))
    rows, ds, db = rows[ok], ds[ok], db[ok]
    changed = rows != base[None, :]
    n_changed = changed.sum(axis=1)
    if len(rows):
        keep = _irredundant(deal, base, rows, changed, ds, db, s0, b0, tol_s, tol_b)
        rows, ds, db, changed, n_changed = rows[keep], ds[keep], db[keep], changed[keep], n_changed[keep]
    return rows, ds, db, changed, n_changed


def _collapse(
    deal: CompiledDeal, base: np.ndarray, rows: np.ndarray, order: np.ndarray, top: int | None
) -> tuple[np.ndarray, dict[int, tuple[Any, Any] | None]]:
    """The best trade of each group that differs only in the price level (moved the same way), best first,
    with the group's price range (None for a group of one)."""
    name = price_issue(deal)
    price = deal.by_name.get(name) if name else None
    if price is None or not price.numeric or not len(rows):
        picks = order if top is None else order[:top]
        return picks, dict.fromkeys(picks.tolist())
    p = price.index
    key = rows.copy()
    key[:, p] = np.sign(rows[:, p] - base[p])  # levels of a numeric issue are in increasing order
    _, group = np.unique(key, axis=0, return_inverse=True)
    group = group.ravel()
    n = int(group.max()) + 1
    first = np.full(n, len(order))
    np.minimum.at(first, group[order], np.arange(len(order)))
    picks = order[np.sort(first)]
    if top is not None:
        picks = picks[:top]
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -1)
    np.minimum.at(lo, group, rows[:, p])
    np.maximum.at(hi, group, rows[:, p])
    spans: dict[int, tuple[Any, Any] | None] = {}
    for j in picks.tolist():
        g = group[j]
        spans[j] = (display_value(price.labels[lo[g]]), display_value(price.labels[hi[g]])) if lo[g] != hi[g] else None
    return picks, spans


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
    tols: tuple[float, float],
    span: tuple[Any, Any] | None,
) -> Trade:
    gives: list[Move] = []
    asks: list[Move] = []
    for i in np.flatnonzero(row != base):
        issue = deal.issues[int(i)]
        s_alone, b_alone = single[(int(i), int(row[i]))]
        move = Move(
            issue.name, display_value(issue.labels[base[i]]), display_value(issue.labels[row[i]]), s_alone, b_alone
        )
        kind = move_kind(s_alone, b_alone, *tols)
        (gives if kind in ("give", "mutual") else asks).append(move)
    before, after = deal.package_labels(base), deal.package_labels(row)
    name = price_issue(deal)
    ranges = {name: span} if name is not None and span is not None else {}
    sentence = trade_sentence(deal, before, after, [m.issue for m in gives], [m.issue for m in asks], ranges=ranges)
    return Trade(tuple(gives), tuple(asks), ds, db, after, sentence, _flags(deal, after, span), span)


def _flags(deal: CompiledDeal, package: dict[str, Any], span: tuple[Any, Any] | None) -> tuple[Flag, ...]:
    """``needs_approval`` when the trade's price (the lowest of a collapsed range) passes an approval tier."""
    name = price_issue(deal)
    if name is None or name not in package:
        return ()
    price = min(span) if span is not None else package[name]
    flag = approval_flag(deal, float(price))
    return (flag,) if flag is not None else ()


def move_phrase(deal: CompiledDeal, issue_name: str, old: int, new: int) -> str:
    """A move between two level indices in words (see :func:`dealopt.negotiation.phrasing.move_words`)."""
    issue = deal.by_name[issue_name]
    return move_words(deal, issue_name, display_value(issue.labels[old]), display_value(issue.labels[new]))
