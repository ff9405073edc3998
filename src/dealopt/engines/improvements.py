"""The best trades from a package for any number of changed issues: an exact bounded merge.

A trade from package p is a package q, changing 1 to K issues of p, at least as
good for both sides (one strictly); trades are ranked by joint gain. Utility is
additive over components and feasibility a conjunction, so a trade is one
*option* per component (its joint level there: p's own, or a change), and its
gains are the sums of the options' gains. The search merges components one at
a time, as the frontier merge does, keeping only partial sums that can still
lead to a top-N trade:

* **reachability**: a partial sum whose seller (buyer) gain cannot come back to
  ≥ 0 even with every remaining component's best seller (buyer) option;
* **bounds**: for multipliers λ, μ ≥ 0, no completion of a partial sum ``x``
  gains more than ``joint_x + λ·ds_x + μ·db_x`` plus, per remaining component,
  its best ``joint + λ·ds + μ·db`` (the Lagrangian relaxation of ds ≥ 0,
  db ≥ 0); a partial sum bounded below the N-th best trade already found is
  dropped. The multipliers and those first trades come from the relaxation
  itself, solved per component on a grid of multipliers.

Options that a trade would drop as redundant (an issue whose change, reverted,
leaves both gains as good: see :mod:`dealopt.negotiation.trades`) are left out
first, so the result is the same list, in the same order, as listing every
candidate package and filtering; only faster, and for any K.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dealopt.engines.base import pareto_keep
from dealopt.errors import LimitError
from dealopt.model.compiled import CompiledDeal, Component
from dealopt.model.evaluation import evaluate_indices

__all__ = ["best_improvements", "MAX_STATES", "METHOD"]

#: Most partial sums kept in one merge step before giving up.
MAX_STATES = 4_000_000
#: The name of the method, as reported.
METHOD = "bounded merge"
_REL = 1e-9


@dataclass
class _Options:
    """One component's options: joint level, gains, issues changed."""

    comp: Component
    joint: np.ndarray
    ds: np.ndarray
    db: np.ndarray
    n: np.ndarray

    def __post_init__(self) -> None:
        # the options that can win a relaxation: for each number of changes, the non-dominated gains
        keep = []
        q_s = 1e-12 * max(1.0, float(np.abs(self.ds).max(initial=0.0)))
        q_b = 1e-12 * max(1.0, float(np.abs(self.db).max(initial=0.0)))
        for k in np.unique(self.n):
            at = np.flatnonzero(self.n == k)
            keep.append(at[pareto_keep(self.ds[at], self.db[at], q_s, q_b, ties=True)])
        self.front = np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.intp)


def _options(
    deal: CompiledDeal, comp: Component, base: np.ndarray, max_issues: int, tol_s: float, tol_b: float
) -> _Options:
    """The feasible options of a component that change at most ``max_issues`` issues and are not redundant."""
    assert comp.tables is not None and comp.feasible is not None
    levels = np.stack(np.unravel_index(np.arange(comp.size), comp.shape), axis=1)
    own = base[list(comp.issues)]
    j0 = int(np.ravel_multi_index(own, comp.shape))
    s, b = comp.tables["seller"], comp.tables["buyer"]
    diff = levels != own[None, :]
    n = diff.sum(axis=1)
    ds, db = s - s[j0], b - b[j0]
    ok = comp.feasible & (n <= max_issues)
    # redundant: reverting one changed issue leaves a feasible option at least as good for both sides
    strides = np.asarray(comp.strides, dtype=np.int64)
    for k in range(len(comp.issues)):
        has = np.flatnonzero(ok & diff[:, k])  # a lone change that adds nothing is no trade either
        if not len(has):
            continue
        back = has + (own[k] - levels[has, k]) * strides[k]
        no_worse = comp.feasible[back] & (ds[back] >= ds[has] - tol_s) & (db[back] >= db[has] - tol_b)
        ok[has[no_worse]] = False
    keep = np.flatnonzero(ok)
    return _Options(comp, keep, ds[keep], db[keep], n[keep])


def _relaxed(o: _Options, lam: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """``joint + λ·ds + μ·db − ν·n`` of each option that can win (rows of ``o.front``) for each multiplier
    triple (columns)."""
    f = o.front
    relaxed: np.ndarray = (
        (1.0 + lam[None, :]) * o.ds[f, None] + (1.0 + mu[None, :]) * o.db[f, None] - nu[None, :] * o.n[f, None]
    )
    return relaxed


def _best_per_component(opts: list[_Options], lam: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> np.ndarray:
    """For each multiplier triple (columns) and component (rows), its options' best relaxed gain."""
    return np.stack([_relaxed(o, lam, mu, nu).max(axis=0) for o in opts])


def _relaxed_trades(opts: list[_Options], lam: np.ndarray, mu: np.ndarray, nu: np.ndarray) -> list[tuple[int, ...]]:
    """The package with the best relaxed gain for each multiplier triple (option index per component)."""
    picks = [o.front[np.argmax(_relaxed(o, lam, mu, nu), axis=0)] for o in opts]
    return [tuple(int(p[k]) for p in picks) for k in range(len(lam))]


def _lower_bound(
    opts: list[_Options], picks: set[tuple[int, ...]], top: int, max_issues: int, tol_s: float, tol_b: float
) -> float:
    """The joint gain of the ``top``-th best of some distinct trades: the relaxation's packages and their
    neighbours (one component's option changed), twice over; −inf when fewer are found."""
    gains: dict[tuple[int, ...], float] = {}

    def totals(pick: tuple[int, ...]) -> tuple[float, float, int]:
        ds = sum(float(o.ds[p]) for o, p in zip(opts, pick))
        db = sum(float(o.db[p]) for o, p in zip(opts, pick))
        return ds, db, sum(int(o.n[p]) for o, p in zip(opts, pick))

    def valid(ds: np.ndarray, db: np.ndarray, n: np.ndarray) -> np.ndarray:
        return (n >= 1) & (n <= max_issues) & (ds >= -tol_s) & (db >= -tol_b) & ((ds > tol_s) | (db > tol_b))

    for pick in picks:
        ds, db, n = totals(pick)
        ok = bool(valid(np.asarray(ds), np.asarray(db), np.asarray(n)))
        gains[pick] = ds + db if ok else -math.inf
    for _ in range(2):
        seeds = sorted((g, p) for p, g in gains.items() if g > -math.inf)[-top:]
        for _, pick in seeds:
            ds, db, n = totals(pick)
            for c, o in enumerate(opts):
                p = pick[c]
                alt_ds, alt_db = ds - o.ds[p] + o.ds, db - o.db[p] + o.db
                joint = np.where(valid(alt_ds, alt_db, n - o.n[p] + o.n), alt_ds + alt_db, -np.inf)
                best = np.argpartition(-joint, top)[:top] if len(joint) > top else np.arange(len(joint))
                for alt in best:
                    if joint[alt] > -np.inf:
                        gains.setdefault((*pick[:c], int(alt), *pick[c + 1 :]), float(joint[alt]))
    found = sorted((g for g in gains.values() if g > -math.inf), reverse=True)
    return found[top - 1] if len(found) >= top else -math.inf


def best_improvements(
    deal: CompiledDeal, base_row: np.ndarray, max_issues: int, top: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The ``top`` best trades from ``base_row`` (level indices) changing at most ``max_issues`` issues, exactly.

    Returns (rows, seller gains, buyer gains, method): level-index rows of the trades, best first, ranked
    as :func:`dealopt.negotiation.trades.find_trades` ranks them (joint gain, then fewer changes, then
    buyer gain, then issue and level order), with redundant trades left out as it leaves them out.
    Raises :class:`~dealopt.errors.LimitError` when a component cannot be tabulated or the search grows
    past :data:`MAX_STATES` partial sums.
    """
    if not deal.gridded or any(c.tables is None for c in deal.components):
        raise LimitError("trades: the search for trades needs every component tabulated (listable levels)")
    base = np.asarray(base_row, dtype=np.int64)
    k_issues = len(deal.issues)
    ev0 = evaluate_indices(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    tol_s, tol_b = _REL * max(1.0, abs(s0)), _REL * max(1.0, abs(b0))
    opts = [_options(deal, c, base, max_issues, tol_s, tol_b) for c in deal.components]
    empty = (np.empty((0, k_issues), dtype=np.int64), np.empty(0), np.empty(0), METHOD)
    if any(len(o.joint) == 0 for o in opts) or top <= 0:
        return empty
    # multipliers on a grid (ν prices each changed issue, for the limit on changes); the relaxation's
    # packages and their neighbours are the first trades (a lower bound on the top-th best)
    grid = np.concatenate([[0.0], np.geomspace(1e-3, 64.0, 9)])
    spread = max(float(np.abs(o.ds).max() + np.abs(o.db).max()) for o in opts)
    nus = np.concatenate([[0.0], spread * np.geomspace(1e-3, 4.0, 5)]) if max_issues < len(deal.issues) else np.zeros(1)
    lam, mu, nu = (g.ravel() for g in np.meshgrid(grid, grid, nus, indexing="ij"))
    picks = set(_relaxed_trades(opts, lam, mu, nu))
    lower = _lower_bound(opts, picks, top, max_issues, tol_s, tol_b)
    best = _best_per_component(opts, lam, mu, nu)
    # keep the multiplier triples whose bound on the whole problem is tightest
    whole = best.sum(axis=0) + nu * max_issues
    tight = np.argsort(whole, kind="stable")[:12]
    lam, mu, nu, best = lam[tight], mu[tight], nu[tight], best[:, tight]
    rest = np.vstack([np.cumsum(best[::-1], axis=0)[::-1], np.zeros((1, len(lam)))])  # rest[c]: components c…
    max_ds = np.array([float(o.ds.max()) for o in opts])
    max_db = np.array([float(o.db.max()) for o in opts])
    rest_ds = np.append(np.cumsum(max_ds[::-1])[::-1], 0.0)
    rest_db = np.append(np.cumsum(max_db[::-1])[::-1], 0.0)
    margin = 4 * _REL * max(1.0, abs(s0), abs(b0), abs(float(whole.min())))
    ds = np.zeros(1)
    db = np.zeros(1)
    n = np.zeros(1, dtype=np.int64)
    back: list[tuple[np.ndarray, np.ndarray]] = []
    for c, o in enumerate(opts):
        cand_ds = (ds[:, None] + o.ds[None, :]).ravel()
        cand_db = (db[:, None] + o.db[None, :]).ravel()
        cand_n = (n[:, None] + o.n[None, :]).ravel()
        ok = (cand_n <= max_issues) & (cand_ds + rest_ds[c + 1] >= -tol_s) & (cand_db + rest_db[c + 1] >= -tol_b)
        idx = np.flatnonzero(ok)
        cand_ds, cand_db, cand_n = cand_ds[idx], cand_db[idx], cand_n[idx]
        if np.isfinite(lower) and len(idx):
            bound = (
                (1.0 + lam[None, :]) * cand_ds[:, None]
                + (1.0 + mu[None, :]) * cand_db[:, None]
                + nu[None, :] * (max_issues - cand_n[:, None])
                + rest[c + 1][None, :]
            ).min(axis=1)
            keep = bound >= lower - margin
            idx, cand_ds, cand_db, cand_n = idx[keep], cand_ds[keep], cand_db[keep], cand_n[keep]
        if len(idx) > MAX_STATES:
            raise LimitError(
                f"trades: the search keeps {len(idx):,} partial trades (limit {MAX_STATES:,}); "
                "use a smaller max_issues",
                limit="trade_states",
                value=MAX_STATES,
            )
        back.append((idx // len(o.joint), idx % len(o.joint)))
        ds, db, n = cand_ds, cand_db, cand_n
    # the trades, with their gains recomputed from whole packages as the evaluator computes them
    slack = (n >= 1) & (ds >= -2 * tol_s) & (db >= -2 * tol_b) & (ds + db > -margin)
    rows = _rows(base, opts, back, np.flatnonzero(slack))
    ev = evaluate_indices(deal, rows) if len(rows) else None
    if ev is None:
        return empty
    g_s, g_b = ev.seller - s0, ev.buyer - b0
    valid = ev.feasible & (g_s >= -tol_s) & (g_b >= -tol_b) & ((g_s > tol_s) | (g_b > tol_b))
    rows, g_s, g_b = rows[valid], g_s[valid], g_b[valid]
    if not len(rows):
        return empty
    joint = g_s + g_b
    changed = (rows != base[None, :]).sum(axis=1)
    q = _REL * max(1.0, float(np.max(np.abs(joint))))
    order = np.lexsort(
        (*[rows[:, j] for j in range(k_issues - 1, -1, -1)], -np.round(g_b / q), changed, -np.round(joint / q))
    )[:top]
    return rows[order], g_s[order], g_b[order], METHOD


def _rows(
    base: np.ndarray, opts: list[_Options], back: list[tuple[np.ndarray, np.ndarray]], final: np.ndarray
) -> np.ndarray:
    """Level-index rows of the final partial sums, traced back through the merge."""
    rows = np.repeat(base[None, :], len(final), axis=0)
    p = final
    for c in range(len(opts) - 1, -1, -1):
        prev, opt = back[c][0][p], back[c][1][p]
        comp = opts[c].comp
        for col, issue in zip(np.unravel_index(opts[c].joint[opt], comp.shape), comp.issues):
            rows[:, issue] = col
        p = prev
    return rows
