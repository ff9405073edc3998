"""``learn``: the buyer's named parameters, walk-away and noise from a seller's deal history."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from dealopt.errors import OptionError
from dealopt.learning.design import Design, buyer_parameters, design_matrix, model_data
from dealopt.learning.errors import LearnError
from dealopt.learning.fit import Z90, ChoiceFit, fit_choice, fit_logit
from dealopt.learning.history import History, IssueValues, history_from_frame, read_history
from dealopt.learning.metrics import Metrics, auc, brier, ece, holdout_mask, log_loss
from dealopt.learning.profiles import DRAWS, QUANTILES, draw, fitted_data
from dealopt.learning.report import BuyerFit, Estimate, LearnResult
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.loading import load_model
from dealopt.model.schema import DealModel
from dealopt.negotiation.flags import price_issue

__all__ = ["learn", "packages_design", "reference_package"]


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or "blank"


def _labels(model: DealModel, names: tuple[str, ...]) -> dict[str, str]:
    """Each parameter in words: the level it is the value of (a table entry), else its name."""
    out = {}
    for name in names:
        label = name.replace("_", " ")
        for use in model.parameter_uses.get(name, ()):
            keys = use.keys
            if len(keys) >= 3 and keys[0] == "parties" and keys[1] == "buyer" and keys[-3] != "piecewise":
                issue, option = str(keys[-2]), keys[-1]
                spec = model.issues.get(issue)
                if spec is not None and isinstance(keys[-3], int) and keys[-4] == "of":
                    words = getattr(spec, "labels", None) or {}
                    label = str(words.get(option) or words.get(str(option)) or f"{issue} {option}")
                    break
        out[name] = label
    return out


def _estimates(fit: ChoiceFit) -> tuple[dict[str, Estimate], Estimate, Estimate]:
    se = fit.se()
    values = np.r_[fit.scale, fit.theta, fit.walk_away]
    est = [Estimate(float(v), float(v - Z90 * s), float(v + Z90 * s)) for v, s in zip(values, se, strict=True)]
    return dict(zip(fit.names, est[1:-1], strict=True)), est[-1], est[0]


def _price_column(deal: CompiledDeal, values: IssueValues, design: Design) -> np.ndarray:
    name = price_issue(deal)
    if name is None or name not in deal.by_name:
        return design.fixed
    return values.value[deal.by_name[name].index]


def _metrics(
    deal: CompiledDeal, hist: History, design: Design, penalty: float, seed: int
) -> tuple[Metrics, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    test = holdout_mask(hist.rows, seed)
    train = ~test
    x = np.column_stack([design.fixed, design.features])
    nan = float("nan")
    y, w = hist.won.astype(float), hist.weight
    try:
        model = fit_logit(x[train], hist.won[train], w[train], penalty)
        p = model.probability(x[test])
    except LearnError:
        p = np.full(int(test.sum()), nan)
    price = _price_column(deal, hist.values, design)[:, None]
    try:
        base = fit_logit(price[train], hist.won[train], w[train], penalty)
        pb = base.probability(price[test])
    except LearnError:
        pb = np.full(int(test.sum()), nan)
    yt, wt = y[test], w[test]
    metrics = Metrics(
        log_loss(p, yt, wt),
        brier(p, yt, wt),
        auc(p, yt),
        auc(pb, yt),
        log_loss(pb, yt, wt),
        ece(p, yt, wt) if np.all(np.isfinite(p)) else nan,
        int(test.sum()),
    )
    return metrics, (p, yt, wt)


def _one(
    model: DealModel,
    deal: CompiledDeal,
    hist: History,
    segment: str | None,
    penalty: float,
    seed: int,
    draws: int,
    quantiles: int,
) -> BuyerFit:
    what = f"{hist.source}: " + (f"segment {segment!r}: " if segment is not None else "")
    names = buyer_parameters(model)
    design = design_matrix(model, hist.values, names)
    choice = fit_choice(design, hist.won, hist.weight, penalty, what)
    metrics, held = _metrics(deal, hist, design, penalty, seed)
    sample = draw(choice, seed, draws, quantiles)
    name = model.name if segment is None else f"{model.name}-{_slug(segment)}"
    fitted = fitted_data(model_data(model), choice, sample, name)
    params, walk, scale = _estimates(choice)
    return BuyerFit(
        segment,
        int(np.count_nonzero(hist.weight > 0)),
        params,
        _labels(model, names),
        walk,
        scale,
        metrics,
        model.unit_label,
        draws * quantiles,
        penalty,
        fitted,
        choice,
        held,
        price_issue(deal),
    )


def learn(
    model: DealModel | str | Path,
    history: pd.DataFrame | str | Path,
    *,
    segment: str | None = None,
    penalty: float = 0.0,
    seed: int = 0,
    draws: int = DRAWS,
    quantiles: int = QUANTILES,
) -> LearnResult:
    """Learn the buyer's named parameters, walk-away and noise from won and lost quotes.

    ``history``: a CSV or Parquet file, or a frame: one column per issue, ``won``, optional
    ``weight`` and ``segment`` columns. ``penalty`` > 0 makes a ridge-penalized fit (for a
    perfectly separated history). The fitted buyer is ``draws × quantiles`` weighted profiles,
    the same for the same ``seed``. Raises :class:`dealopt.DealoptError` subclasses on bad input.
    """
    if not (isinstance(penalty, (int, float)) and np.isfinite(penalty) and penalty >= 0):
        raise OptionError("penalty", penalty, "a number ≥ 0")
    if not (isinstance(draws, int) and draws >= 1):
        raise OptionError("draws", draws, "a whole number ≥ 1")
    if not (isinstance(quantiles, int) and quantiles >= 1):
        raise OptionError("quantiles", quantiles, "a whole number ≥ 1")
    m = load_model(model) if isinstance(model, (str, Path)) else model
    deal = compile_model(m)
    if not buyer_parameters(m):
        design_matrix(m, IssueValues([], []), ())  # raises: nothing to learn
    segments = (segment,) if segment else ()
    if isinstance(history, pd.DataFrame):
        hist = history_from_frame(history, deal, "history", segments)
    else:
        hist = read_history(history, deal, segments)
    if segment is None:
        fits: tuple[BuyerFit, ...] = (_one(m, deal, hist, None, float(penalty), seed, draws, quantiles),)
    else:
        col = hist.segments[segment].to_numpy()
        slugs: dict[str, str] = {}
        for value in sorted(set(col.tolist())):
            other = slugs.setdefault(_slug(value), value)
            if other != value:
                raise LearnError(f"{hist.source}: segments {other!r} and {value!r} would write the same file name")
        fits = tuple(
            _one(m, deal, hist.subset(col == value), value, float(penalty), seed, draws, quantiles)
            for value in sorted(set(col.tolist()))
        )
    return LearnResult(m.name, segment, fits)


def packages_design(model: DealModel, packages: pd.DataFrame) -> Design:
    """The design of packages given as a frame (one column per issue), for the model's learned parameters."""
    deal = compile_model(model)
    frame = packages.assign(won=True)
    hist = history_from_frame(frame, deal, "packages")
    return design_matrix(model, hist.values, buyer_parameters(model))


def reference_package(model: DealModel, history: pd.DataFrame | None = None) -> dict[str, object]:
    """The package the win curve is drawn for: the buyer's walk-away package, else the most quoted levels."""
    buyer = model.parties.buyer
    walk = getattr(buyer, "walk_away", None)
    if walk is None and buyer.profiles:
        walk = next((p.walk_away for p in buyer.profiles if hasattr(p.walk_away, "package")), None)
    package = getattr(walk, "package", None)
    if package is not None:
        return dict(package)
    if history is None:
        raise LearnError(f"{model.name}: no reference package; expected a buyer walk-away package or a history")
    return {name: history[name].mode().iloc[0] for name in model.issues}
