"""Models ready for pricing: each side's utility split around the price, tabulated over the other issues.

A model is loaded once per process and file version (an ``lru_cache`` keyed on the
file's path, mtime and size). Every utility term is split as coef × (factors of the
other issues) × (price factors); when every other issue has listable levels, the
sums of those splits are tabulated over their joint levels ("combos"), so that a
row's utility curve is a few table look-ups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from dealopt.batch.options import OptionError
from dealopt.errors import ModelError
from dealopt.model.compiled import CompiledDeal, CompiledFactor, CompiledIssue, CompiledUtility, compile_model
from dealopt.model.levels import display_value
from dealopt.model.loading import load_model
from dealopt.negotiation.flags import price_issue

__all__ = ["MODEL_SUFFIXES", "Combos", "PricingModel", "Split", "check_models_dir", "model_path", "pricing_model"]

MODEL_SUFFIXES = (".yaml", ".yml", ".json")
#: Most joint levels of the non-price issues tabulated per side.
MAX_COMBOS = 1 << 18


@dataclass(frozen=True)
class Split:
    """A utility term as coef × Π rest × Π price; ``tables`` gives each rest factor per level (None: read values)."""

    coef: float
    rest: tuple[CompiledFactor, ...]
    price: tuple[CompiledFactor, ...]
    tables: tuple[np.ndarray | None, ...]

    @property
    def shape(self) -> str:
        """``const`` (no price factor), ``lin`` (one bare price factor) or ``other``."""
        if not self.price:
            return "const"
        return "lin" if len(self.price) == 1 and self.price[0].form == "bare" else "other"


@dataclass(frozen=True)
class Combos:
    """Sums of a side's splits over the joint levels of the non-price issues: const + lin·p + Σ K·g(p)."""

    const: np.ndarray
    lin: np.ndarray
    other: tuple[tuple[np.ndarray, tuple[CompiledFactor, ...]], ...]


@dataclass(frozen=True)
class PricingModel:
    """A model ready for pricing; ``problem`` says why its rows cannot be priced."""

    path: Path
    deal: CompiledDeal
    problem: str | None
    price: CompiledIssue | None
    sides: dict[str, tuple[Split, ...]]  # seller, buyer (expected), profile:K
    affine: bool
    breakpoints: np.ndarray
    step: float | None
    list_price: float | None
    tier_pcts: np.ndarray
    tier_names: tuple[str, ...]
    policy_floor: float | None
    value_share: float
    profile_probs: np.ndarray
    profile_walks: np.ndarray  # NaN: no walk-away
    constraint_texts: tuple[str, ...]
    combo_issues: tuple[int, ...]  # the non-price issues, tabulated when ``combos`` is set
    combo_strides: np.ndarray
    combos: dict[str, Combos] | None
    combo_feasible: np.ndarray | None  # the constraints without the price, per combo
    price_constraints: tuple[int, ...]
    other_constraints: tuple[int, ...]

    @property
    def name(self) -> str:
        """The model's name."""
        return self.deal.name


def _split(deal: CompiledDeal, util: CompiledUtility, price: CompiledIssue | None) -> tuple[Split, ...]:
    out = []
    for t in util.terms:
        on_price = tuple(f for f in t.factors if price is not None and f.issue == price.index)
        rest = tuple(f for f in t.factors if price is None or f.issue != price.index)
        tables = tuple(
            f.table
            if f.form == "table"
            else f.on_levels(deal.issues[f.issue])
            if deal.issues[f.issue].kind in ("integer", "ordinal")
            else None
            for f in rest
        )
        out.append(Split(t.coef, rest, on_price, tables))
    return tuple(out)


def _problem(deal: CompiledDeal, name: str | None, issue: CompiledIssue | None) -> str | None:
    if issue is None:
        if name is None:
            return (
                f"model: {deal.name!r} has no price issue; expected policy.price_issue or a numeric issue named 'price'"
            )
        return f"model: {deal.name!r} names price issue {name!r}, which is not an issue; expected one of its issues"
    if not issue.numeric:
        return f"model: the price issue {issue.name!r} of {deal.name!r} is categorical; expected a numeric price issue"
    return None


def _tabulate(deal: CompiledDeal, splits: tuple[Split, ...], issues: tuple[int, ...]) -> Combos:
    """Each kind of split summed over the joint levels of ``issues`` (flat, C order)."""
    shape = tuple(len(deal.issues[i].labels) for i in issues)
    axis = {issue: k for k, issue in enumerate(issues)}
    size = math.prod(shape)
    const, lin = np.zeros(size), np.zeros(size)
    other: dict[tuple[int, ...], tuple[np.ndarray, tuple[CompiledFactor, ...]]] = {}
    for s in splits:
        k = np.full((1,) * len(shape), s.coef)
        for f, table in zip(s.rest, s.tables):
            vec = table if table is not None else f.on_levels(deal.issues[f.issue])
            dims = [1] * len(shape)
            dims[axis[f.issue]] = len(vec)
            k = k * vec.reshape(dims)
        flat = np.broadcast_to(k, shape).reshape(-1)
        if s.shape == "const":
            const += flat
        elif s.shape == "lin":
            lin += flat
        else:
            key = tuple(id(f) for f in s.price)
            prev = other.get(key)
            other[key] = (flat.copy() if prev is None else prev[0] + flat, s.price)
    return Combos(const, lin, tuple(other.values()))


def _constraint_text(deal: CompiledDeal, k: int) -> str:
    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {kk: plain(vv) for kk, vv in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return display_value(v)

    data = plain(deal.model.constraints[k].model_dump(by_alias=True))
    text = yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return f"constraints[{k}] {text}"


def _feasible(deal: CompiledDeal, issues: tuple[int, ...], which: tuple[int, ...]) -> np.ndarray:
    shape = tuple(len(deal.issues[i].labels) for i in issues)
    axis = {issue: k for k, issue in enumerate(issues)}
    ok = np.ones(shape, dtype=bool)
    for c in which:
        con = deal.constraints[c]

        def holds(tests: Any) -> np.ndarray:
            out = np.ones((1,) * len(shape), dtype=bool)
            for t in tests:
                dims = [1] * len(shape)
                dims[axis[t.issue]] = len(t.mask)
                out = out & t.mask.reshape(dims)
            return out

        when = holds(con.when)
        ok &= ~when if con.then is None else ~when | holds(con.then)
    return ok.reshape(-1)


def prepare(path: Path, deal: CompiledDeal) -> PricingModel:
    """Split, tabulate and read the policy of a compiled model."""
    policy = deal.model.policy
    name = price_issue(deal)
    issue = deal.by_name.get(name) if name else None
    problem = _problem(deal, name, issue)
    sides = {"seller": _split(deal, deal.seller, issue), "buyer": _split(deal, deal.buyer, issue)}
    for k, p in enumerate(deal.profiles):
        sides[f"profile:{k}"] = _split(deal, p.utility, issue)
    if problem is None and any(f.form == "table" for ss in sides.values() for s in ss for f in s.price):
        problem = (
            f"model: the utility of {deal.name!r} reads the price issue {name!r} through a table; "
            "expected bare or piecewise price factors (prices are computed as real numbers)"
        )
    price = issue if problem is None else None
    affine = all(s.shape != "other" for ss in sides.values() for s in ss)
    bps: set[float] = set()
    if price is not None and price.lo is not None and price.hi is not None:
        for ss in sides.values():
            for s in ss:
                for f in s.price:
                    if f.xs is not None:
                        bps.update(float(x) for x in f.xs if price.lo < x < price.hi)
    step = None
    if price is not None and price.kind in ("continuous", "integer") and price.spec.step:
        step = float(price.spec.step)
    others = tuple(i.index for i in deal.issues if price is None or i.index != price.index)
    listable = all(deal.issues[i].kind in ("integer", "ordinal", "categorical") for i in others)
    size = math.prod(len(deal.issues[i].labels) for i in others) if listable else 0
    price_cons = tuple(c for c, con in enumerate(deal.constraints) if price is not None and price.index in con.issues)
    other_cons = tuple(c for c in range(len(deal.constraints)) if c not in price_cons)
    combos = feasible = None
    if price is not None and listable and 0 < size <= MAX_COMBOS:
        combos = {key: _tabulate(deal, ss, others) for key, ss in sides.items()}
        feasible = _feasible(deal, others, other_cons)
    shape = [len(deal.issues[i].labels) if listable else 1 for i in others]
    strides = np.array([math.prod(shape[k + 1 :]) for k in range(len(shape))], dtype=np.int64)
    tiers = policy.tiers() if policy is not None else []
    return PricingModel(
        path=path,
        deal=deal,
        problem=problem,
        price=price,
        sides=sides,
        affine=affine,
        breakpoints=np.array(sorted(bps)),
        step=step,
        list_price=None if policy is None else policy.list_price,
        tier_pcts=np.array([t.above_discount_pct for t in tiers], dtype=float),
        tier_names=tuple(t.approver for t in tiers),
        policy_floor=None if policy is None or policy.floor_price is None else float(policy.floor_price),
        value_share=0.5 if policy is None else float(policy.value_share),
        profile_probs=np.array([p.probability for p in deal.profiles], dtype=float),
        profile_walks=np.array([np.nan if p.walk_away is None else p.walk_away for p in deal.profiles], dtype=float),
        constraint_texts=tuple(_constraint_text(deal, c) for c in range(len(deal.constraints))),
        combo_issues=others,
        combo_strides=strides,
        combos=combos,
        combo_feasible=feasible,
        price_constraints=price_cons,
        other_constraints=other_cons,
    )


@lru_cache(maxsize=64)
def _cached(path: str, mtime_ns: int, size: int) -> PricingModel | str:
    try:
        return prepare(Path(path), compile_model(load_model(path)))
    except ModelError as exc:
        # never the problems' text: it may quote the file (a secret, if a path led to one)
        count = len(exc.problems)
        lines = [p.line for p in exc.problems if p.line is not None]
        where = f", the first on line {lines[0]}" if lines else ""
        what = f"{count} problem{'s' if count != 1 else ''}{where}"
        return f"model: {path} is not a valid model ({what}); expected a dealopt/1 model file"


def pricing_model(path: Path) -> PricingModel | str:
    """The model at ``path`` ready for pricing (cached per file version), or why it cannot be used."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"model: cannot read {path} ({exc.strerror}); expected a readable model file"
    return _cached(str(path), st.st_mtime_ns, st.st_size)


def _known(models_dir: Path) -> list[str]:
    return sorted({p.stem for p in models_dir.glob("*") if p.suffix in MODEL_SUFFIXES})


def check_models_dir(models_dir: Path) -> None:
    """Fail once, before any row is read, when the models folder is missing or holds no model file."""
    if not models_dir.is_dir():
        what = "is not a directory" if models_dir.exists() else "no such directory"
        raise OptionError("models_dir", f"{models_dir}: {what}; expected the folder of the model files")
    if not _known(models_dir):
        raise OptionError(
            "models_dir", f"{models_dir}: no model files (.yaml, .yml, .json) in it; expected the folder of the models"
        )


def _cell_text(value: Any) -> str | None:
    """A ``model`` cell as text (bytes decoded as UTF-8), or None when it is empty or not text."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(display_value(value)).strip()


def model_path(value: Any, models_dir: Path, cwd: Path | None) -> Path | str:
    """Where the model named in a ``model`` cell is, or why it cannot be used.

    A name is looked up in ``models_dir`` (``NAME``, ``NAME.yaml`` …) and must stay inside it, symbolic
    links included. A path (a separator, ``..``, an absolute path) is read only when ``cwd`` is given
    (relative paths from there); with ``cwd=None`` model files are read from ``models_dir`` only.
    """
    text = _cell_text(value)
    if text is None:
        return f"model: not UTF-8 text; expected a model name in {models_dir}"
    if text == "":
        return f"model: empty; expected a model name in {models_dir}" + (
            "" if cwd is None else " or the path of a model file"
        )
    shown = text if len(text) <= 80 else text[:77] + "…"
    if any(sep in text for sep in "/\\") or text.startswith(("~", ".")) or Path(text).is_absolute():
        if cwd is None:
            return (
                f"model: {shown!r} is a path; expected a model name in {models_dir} "
                "(model files are read from the models folder only in this run)"
            )
        p = Path(text).expanduser()
        p = p if p.is_absolute() else cwd / p
        if p.is_file():
            return p
        return (
            f"model: {shown!r}: no such model file; expected a model name in {models_dir} or the path of a model file"
        )
    names = [text] if text.endswith(MODEL_SUFFIXES) else [f"{text}{suffix}" for suffix in MODEL_SUFFIXES]
    root = models_dir.resolve()
    for name in names:
        p = models_dir / name
        if p.is_file():
            if cwd is None and root not in p.resolve().parents:
                return (
                    f"model: {shown!r} leads outside {models_dir} (a symbolic link); "
                    f"expected a model file inside {models_dir}"
                )
            return p
    known = _known(models_dir)
    listed = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
    where = f"one of {listed}" if known else f"the name of a model file in {models_dir}"
    return f"model: {shown!r} is not a model in {models_dir}; expected {where}" + (
        "" if cwd is None else ", or the path of a model file"
    )
