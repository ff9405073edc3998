"""Pricing the rows of one model: read the base quote and the variant, check them, compute every column."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dealopt.batch.pricing.cells import Col, fmt, parse_cells, show
from dealopt.batch.pricing.closed import key_prices_affine
from dealopt.batch.pricing.curves import Curve, curve_of_combos, curve_of_levels
from dealopt.batch.pricing.model import PricingModel
from dealopt.batch.pricing.numeric import key_prices_numeric
from dealopt.batch.pricing.rows import RowErrors, violated
from dealopt.batch.pricing.suggest import Priced, finish
from dealopt.model.compiled import expected_level

__all__ = ["Codes", "Group", "Levels", "price_group"]


@dataclass
class Levels:
    """Each issue's value and level index for every row of a group (issue order)."""

    value: list[np.ndarray]
    index: list[np.ndarray]
    _combo: np.ndarray | None = None

    def combo(self, pm: PricingModel) -> np.ndarray:
        """The joint level of the non-price issues (0 where a level is missing)."""
        if self._combo is None:
            out = np.zeros(len(self.value[0]), dtype=np.int64)
            for i, stride in zip(pm.combo_issues, pm.combo_strides.tolist()):
                out += np.maximum(self.index[i], 0) * stride
            self._combo = out
        return self._combo


#: A categorical column's option codes (-1: empty or no option), its options, and whether every given cell is one.
Codes = tuple[np.ndarray, tuple[str, ...], bool]


def _read(
    pm: PricingModel, get: Callable[[str], Col | None], columns: Sequence[str], n: int, errors: RowErrors
) -> tuple[Levels, Levels, dict[str, Codes]]:
    """Base and variant levels of every issue, and the codes of categorical columns; problems go to ``errors``."""
    deal, price = pm.deal, pm.price
    assert price is not None and price.lo is not None and price.hi is not None
    base = Levels([], [])
    variant = Levels([], [])
    codes: dict[str, Codes] = {}
    later: list[tuple[np.ndarray, Callable[[int], str]]] = []
    for issue in deal.issues:
        is_price = issue.index == price.index
        col = f"base.{issue.name}"
        raw = get(col)
        if raw is None:
            errors.all(f"{col}: missing column; expected the base quote's level of every issue of model {deal.name!r}")
            raw = Col.nulls(n)
        cells = parse_cells(issue, raw, is_price)
        want = f"a price in [{fmt(price.lo)}, {fmt(price.hi)}]" if is_price else expected_level(issue)
        errors.flag(cells.empty, f"{col}: empty; expected {want} (the base quote)")
        errors.flag(cells.bad, _prefixed(col, cells.why))
        base.value.append(cells.value)
        base.index.append(cells.index)
        categorical = issue.kind == "categorical"
        if categorical:
            codes[col] = (cells.index, issue.labels, not cells.bad.any())
        vcol = f"variant.{issue.name}"
        vraw = get(vcol)
        given = np.flatnonzero(~vraw.empty()) if vraw is not None else np.zeros(0, dtype=np.int64)
        if categorical and vraw is not None:
            vcodes = np.full(n, -1, dtype=np.int64)
            codes[vcol] = (vcodes, issue.labels, True)
        if vraw is None or len(given) == 0 or is_price:
            if vraw is not None and len(given) and is_price:
                mask = np.zeros(n, dtype=bool)
                mask[given] = True
                later.append(
                    (
                        mask,
                        _price_given(vcol, vraw),
                    )
                )
            variant.value.append(cells.value)
            variant.index.append(cells.index)
            continue
        vc = parse_cells(issue, vraw.take(given), False)  # only the cells given (variant columns are mostly empty)
        value, index = cells.value.copy(), cells.index.copy()
        value[given], index[given] = vc.value, vc.index
        if categorical:
            vcodes[given] = vc.index
            codes[vcol] = (vcodes, issue.labels, not vc.bad.any())
        bad = np.zeros(n, dtype=bool)
        bad[given] = vc.bad
        later.append((bad, _at_given(vcol, vc.why, given)))
        variant.value.append(value)
        variant.index.append(index)
    for mask, make in later:
        errors.flag(mask, make)
    names = ", ".join(deal.by_name)
    for col in columns:
        head, _, name = col.partition(".")
        if head in ("base", "variant") and name and name not in deal.by_name:
            raw = get(col)
            assert raw is not None
            errors.flag(
                ~raw.empty(),
                _prefixed(col, _no_issue(raw, deal.name, name, names)),
            )
    return base, variant, codes


def _check_constraints(pm: PricingModel, base: Levels, variant: Levels, errors: RowErrors) -> None:
    """The base quote as it is, the variant on its non-price levels: each must be feasible."""
    deal = pm.deal
    n = len(errors.bad)
    every = tuple(range(len(deal.constraints)))
    if not every:
        return
    if pm.combo_feasible is not None:
        suspect_b = ~np.take(pm.combo_feasible, base.combo(pm))
        suspect_v = ~np.take(pm.combo_feasible, variant.combo(pm))
        if pm.price_constraints:
            suspect_b |= True
    else:
        suspect_b = suspect_v = np.ones(n, dtype=bool)
    for levels, suspect, which, what in (
        (base, suspect_b, every, "base: the base quote"),
        (variant, suspect_v, pm.other_constraints, "variant: the variant"),
    ):
        rows = np.flatnonzero(suspect & ~errors.bad)
        if not len(rows) or not which:
            continue
        first = violated(deal, levels.value, levels.index, which, rows)
        broken = np.zeros(n, dtype=bool)
        broken[rows] = first >= 0
        at = dict(zip(rows.tolist(), first.tolist()))
        errors.flag(
            broken,
            _breaks(what, pm.constraint_texts, at),
        )


def _curves(pm: PricingModel, levels: Levels, keys: Sequence[str]) -> list[Curve]:
    if pm.combos is not None:
        combo = levels.combo(pm)
        return [curve_of_combos(pm.combos[k], combo) for k in keys]
    n = len(levels.value[0])
    return [curve_of_levels(pm.sides[k], levels.value, levels.index, n) for k in keys]


def _feasible_at(pm: PricingModel, variant: Levels, price: np.ndarray) -> np.ndarray:
    """Whether the variant at ``price`` keeps the constraints that read the price."""
    ok = np.ones(len(price), dtype=bool)
    if not pm.price_constraints or pm.price is None:
        return ok
    value, index = list(variant.value), list(variant.index)
    value[pm.price.index] = price
    index[pm.price.index] = np.full(len(price), -1, dtype=np.int64)
    rows = np.flatnonzero(~np.isnan(price))
    ok[rows] = violated(pm.deal, value, index, pm.price_constraints, rows) < 0
    return ok


@dataclass
class Group:
    """A model group priced: every column (None when the model cannot be used), price-constraint feasibility,
    the rows' errors and the codes of its categorical columns."""

    priced: Priced | None
    feasible: np.ndarray | None
    errors: RowErrors
    codes: dict[str, Codes]


def price_group(pm: PricingModel | str, get: Callable[[str], Col | None], columns: Sequence[str], n: int) -> Group:
    """Price the rows of one model: parse, check, compute."""
    errors = RowErrors(n)
    if isinstance(pm, str) or pm.problem is not None:
        errors.all(pm if isinstance(pm, str) else str(pm.problem))
        return Group(None, None, errors, {})
    assert pm.price is not None
    k = pm.price.index
    base, variant, codes = _read(pm, get, columns, n, errors)
    _check_constraints(pm, base, variant, errors)
    profiles = [f"profile:{i}" for i in range(len(pm.deal.profiles))]
    with np.errstate(all="ignore"):
        seller, buyer, *prof = _curves(pm, variant, ["seller", "buyer", *profiles])
        base_s, base_b = _curves(pm, base, ["seller", "buyer"])
        u0_s, u0_b = base_s.at(base.value[k]), base_b.at(base.value[k])
        if pm.affine:
            key = key_prices_affine(pm, seller, buyer, u0_s, u0_b)
            priced = finish(pm, key, seller, buyer, (u0_s, u0_b), prof)
        else:  # only the good rows: the numerical path costs more per row
            good = np.flatnonzero(~errors.bad)
            sub = [c.rows(good) for c in (seller, buyer, *prof)]
            key = key_prices_numeric(pm, sub[0], sub[1], u0_s[good], u0_b[good])
            part = finish(pm, key, sub[0], sub[1], (u0_s[good], u0_b[good]), sub[2:])
            priced = _scatter(part, good, n)
        feasible = _feasible_at(pm, variant, priced.suggested)
    return Group(priced, feasible, errors, codes)


def _scatter(part: Priced, rows: np.ndarray, n: int) -> Priced:
    """A group's columns from those of some of its rows (the others empty)."""
    out = {}
    for name, arr in vars(part).items():
        fill = -1 if arr.dtype.kind == "i" else False if arr.dtype.kind == "b" else np.nan
        full = np.full(n, fill, dtype=arr.dtype)
        full[rows] = arr
        out[name] = full
    return Priced(**out)


def _price_given(col: str, raw: Col) -> Callable[[int], str]:
    """The message for a variant cell that gives the price the run computes."""
    return lambda j: f"{col}: {show(raw.item(j))}, but the price is what gets computed; expected an empty cell"


def _at_given(col: str, why: Callable[[int], str], given: np.ndarray) -> Callable[[int], str]:
    """The message for row ``j`` of a column whose cells were read only at the rows ``given``."""
    return lambda j: f"{col}: {why(int(np.searchsorted(given, j)))}"


def _prefixed(col: str, why: Callable[[int], str]) -> Callable[[int], str]:
    """The message for row ``j`` of column ``col``: the column's name, then why."""
    return lambda j: f"{col}: {why(j)}"


def _no_issue(raw: Col, model: str, name: str, names: str) -> Callable[[int], str]:
    """Why a cell of a column naming no issue of the model is wrong."""
    return lambda j: (
        f"{show(raw.item(j))}, but model {model!r} has no issue {name!r}; expected an empty cell (its issues: {names})"
    )


def _breaks(what: str, texts: Sequence[str], at: dict[int, int]) -> Callable[[int], str]:
    """Why row ``j`` breaks the constraint ``at[j]``."""
    return lambda j: f"{what} breaks {texts[at[j]]}; expected a feasible package"
