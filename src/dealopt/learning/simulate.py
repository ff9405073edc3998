"""Synthetic deal histories drawn from a model whose buyer is known, to test that learning recovers it.

Each quote's non-price levels are drawn uniformly among the feasible packages
(numbers uniformly in range when an issue has no step). Its price is drawn
around the true buyer's break-even price for those levels, so that its margin
z = (U_b − w)/τ is uniform in [−3, 3] logits, kept in the price range (a seller
quotes near what the buyer accepts). The outcome is drawn from
σ((U_b − w)/τ): U_b the model's buyer utility with its stated parameters, w its
walk-away and τ the noise (by default a tenth of the median swing in U_b across
the price range).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

from dealopt.errors import OptionError
from dealopt.learning.design import buyer_parameters, buyer_utility
from dealopt.learning.errors import LearnError
from dealopt.learning.history import IssueValues
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.evaluation import evaluate_off_grid
from dealopt.model.loading import load_model
from dealopt.model.schema import DealModel
from dealopt.negotiation.flags import price_issue

__all__ = ["MARGIN", "simulate_history", "true_buyer"]

#: Quotes' margins are drawn uniformly in [−MARGIN, MARGIN] logits.
MARGIN = 3.0


def _levels(deal: CompiledDeal, rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Level indices (n × issues) of feasible packages, and the values of stepless issues."""
    idx_parts: list[np.ndarray] = []
    exact_parts: list[dict[int, np.ndarray]] = []
    have = 0
    for _ in range(200):
        m = max(2 * (n - have), 64)
        idx = np.zeros((m, len(deal.issues)), dtype=np.int64)
        exact: dict[int, np.ndarray] = {}
        for issue in deal.issues:
            if issue.gridded:
                idx[:, issue.index] = rng.integers(0, issue.size or 1, m)
            else:
                assert issue.lo is not None and issue.hi is not None
                exact[issue.index] = rng.uniform(issue.lo, issue.hi, m)
        ok = evaluate_off_grid(deal, idx, {i: float(v[0]) for i, v in exact.items()}).feasible if not exact else None
        if ok is None:
            ok = np.ones(m, dtype=bool)  # stepless issues: constraints are checked when evaluated by value
        idx_parts.append(idx[ok])
        exact_parts.append({i: v[ok] for i, v in exact.items()})
        have += int(ok.sum())
        if have >= n:
            break
    if have < n:
        raise LearnError(f"{deal.model.name}: too few feasible packages drawn; expected a model with feasible packages")
    idx = np.vstack(idx_parts)[:n]
    exact = {i: np.concatenate([e[i] for e in exact_parts])[:n] for i in exact_parts[0]}
    return idx, exact


def _values(deal: CompiledDeal, idx: np.ndarray, exact: dict[int, np.ndarray]) -> IssueValues:
    value, index = [], []
    for issue in deal.issues:
        col = idx[:, issue.index]
        if issue.index in exact:
            value.append(exact[issue.index].astype(float))
            index.append(np.full(len(col), -1, dtype=np.int64))
        else:
            value.append(issue.levels[col].astype(float) if issue.levels is not None else np.full(len(col), np.nan))
            index.append(col.copy())
    return IssueValues(value, index)


def _with_price(values: IssueValues, at: int, price: np.ndarray) -> IssueValues:
    value = list(values.value)
    index = list(values.index)
    value[at] = price
    index[at] = np.full(len(price), -1, dtype=np.int64)
    return IssueValues(value, index)


def true_buyer(model: DealModel) -> dict[str, float]:
    """The buyer's stated parameters (the truth a simulated history is drawn from)."""
    params = model.parameters or {}
    return {name: float(params[name]) for name in buyer_parameters(model)}


def simulate_history(
    model: DealModel | str | Path, n: int = 2000, seed: int = 0, *, scale: float | None = None
) -> pd.DataFrame:
    """``n`` quotes (one column per issue) and whether each was won (``won``), drawn from the model's buyer.

    ``frame.attrs`` holds the truth: ``parameters``, ``walk_away`` and ``scale``.
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise OptionError("n", n, "a whole number ≥ 1")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise OptionError("scale", scale, "a number > 0")
    m = load_model(model) if isinstance(model, (str, Path)) else model
    deal = compile_model(m)
    name = price_issue(deal)
    if name is None or name not in deal.by_name or not deal.by_name[name].numeric:
        raise LearnError(f"{m.name}: no numeric price issue; expected policy.price_issue or an issue named 'price'")
    rng = np.random.default_rng(seed)
    price = deal.by_name[name]
    assert price.lo is not None and price.hi is not None
    idx, exact = _levels(deal, rng, n)
    values = _values(deal, idx, exact)
    at = price.index
    lo = buyer_utility(deal, _with_price(values, at, np.full(n, price.lo)))
    hi = buyer_utility(deal, _with_price(values, at, np.full(n, price.hi)))
    swing = hi - lo
    w = deal.buyer_walk_away
    if w is None:
        w = float(np.median((lo + hi) / 2))
    tau = float(scale) if scale is not None else 0.1 * float(np.median(np.abs(swing)))
    slope = swing / (price.hi - price.lo)
    z = rng.uniform(-MARGIN, MARGIN, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = price.lo + (w + z * tau - lo) / slope
    uniform = rng.uniform(price.lo, price.hi, n)
    quoted = np.where(np.isfinite(target), target, uniform)
    quoted = np.round(np.clip(quoted, price.lo, price.hi), 2)
    values = _with_price(values, at, quoted)
    u = buyer_utility(deal, values)
    won = rng.random(n) < expit((u - w) / tau)
    frame = pd.DataFrame(
        {
            issue.name: (
                pd.Categorical([issue.labels[j] for j in values.index[issue.index]], categories=list(issue.labels))
                if issue.kind == "categorical"
                else values.value[issue.index]
            )
            for issue in deal.issues
        }
    )
    for issue in deal.issues:
        if issue.kind in ("integer", "ordinal") and np.all(np.mod(frame[issue.name], 1) == 0):
            frame[issue.name] = frame[issue.name].astype("int64")
    frame["won"] = won
    frame.attrs["truth"] = {"parameters": true_buyer(m), "walk_away": float(w), "scale": tau}
    return frame
