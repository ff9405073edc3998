"""Quote-variant pricing against an independent per-row recomputation (:mod:`pricing_reference`).

Every valid row: both break-evens to the cent wherever they exist, in range or not; the floor;
the suggested price inside [seller break-even, buyer break-even] (or at the floor, flagged),
splitting the variant's joint value as ``policy.value_share`` says up to the price step;
discount, approval tier, win probability, ZOPA and dtypes. Bad input rows, and only they,
carry an ``error``; rows in = rows out.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import MODELS, model_files
from dealopt import load_model
from dealopt.batch.pricing import OUTPUT_COLUMNS, price_variants
from dealopt.model.reference import reference_feasible
from dealopt.model.schema import DealModel
from pricing_reference import approver, levels_of, price_name, reference_row

VALUES = [c for c in OUTPUT_COLUMNS if c != "error"]
CENT = 0.005

# A price factor that is piecewise (tiered rebates): the numerical path; no buyer walk-away.
TIERED = """
format: dealopt/1
name: tiered-licence
currency: USD
issues:
  price:   {kind: continuous, min: 50, max: 150, step: 1}
  users:   {kind: integer, min: 10, max: 50, step: 10}
  term:    {kind: ordinal, options: [1, 2, 3]}
  support: {kind: categorical, options: [basic, gold]}
constraints:
  - forbid: {support: gold, users: {max: 10}}
parties:
  seller:
    walk_away: 15000
    utility:
      - coef: 12
        of: [{price: {piecewise: [[50, 45], [100, 90], [150, 115]]}}, users, term]
      - coef: -360
        of: [users, term]
      - of: [{support: {basic: 0, gold: -4000}}]
  buyer:
    utility:
      - coef: 2400
        of: [users, term]
      - coef: -12
        of: [price, users, term]
      - of: [{support: {basic: 0, gold: 9000}}]
      - of: [{term: {1: 0, 2: -3000, 3: -9000}}]
policy:
  list_price: 150
  approval_discount_pct: 20
  floor_price: 60
"""

# The price twice in a term (revenue bending down) and a piecewise buyer price: numerical, no step.
CURVED = """
format: dealopt/1
name: curved-volume
units: normalized
issues:
  unit_cost: {kind: continuous, min: 2, max: 8}
  volume:    {kind: ordinal, options: [1, 2, 4]}
  express:   {kind: categorical, options: ["no", "yes"]}
parties:
  seller:
    walk_away: 1.5
    utility:
      - of: [unit_cost, volume]
      - coef: -0.05
        of: [unit_cost, unit_cost, volume]
      - coef: -1.2
        of: [volume]
      - of: [{express: {"no": 0, "yes": -0.6}}]
  buyer:
    walk_away: 0.5
    utility:
      - coef: 3.0
        of: [volume]
      - coef: -1
        of: [{unit_cost: {piecewise: [[2, 2], [5, 5.5], [8, 9.5]]}}, volume]
      - of: [{express: {"no": 0, "yes": 1.5}}]
policy:
  price_issue: unit_cost
  list_price: 8
"""


# A continuous issue besides the price (no step): rows are priced term by term, not from tables.
HOURS = """
format: dealopt/1
name: support-hours
currency: EUR
issues:
  rate:   {kind: continuous, min: 80, max: 160}
  hours:  {kind: continuous, min: 10, max: 90}
  tier:   {kind: categorical, options: [remote, onsite]}
parties:
  seller:
    walk_away: 500
    utility:
      - of: [rate, hours]
      - coef: -70
        of: [hours]
      - of: [{tier: {remote: 0, onsite: -900}}]
  buyer:
    walk_away: 0
    utility:
      - of: [{hours: {piecewise: [[10, 2000], [50, 7000], [90, 9000]]}}]
      - coef: -1
        of: [rate, hours]
      - of: [{tier: {remote: 0, onsite: 2500}}]
policy:
  price_issue: rate
  list_price: 160
  approval_tiers: [{above_discount_pct: 25, approver: team_lead}]
"""


def _tiers_model() -> str:
    """The SaaS example with three approval tiers and a seller share of 0.7."""
    text = (MODELS / "saas-renewal.yaml").read_text()
    tiers = (
        "  approval_tiers:\n"
        "    - {above_discount_pct: 10, approver: sales_manager}\n"
        "    - {above_discount_pct: 20, approver: sales_director}\n"
        "    - {above_discount_pct: 30, approver: cfo}\n"
        "  value_share: 0.7\n"
    )
    return text.replace("  approval_discount_pct: 15        # deeper discounts need approval: flag them\n", tiers)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    for f in model_files():
        (d / f.name).write_text(f.read_text())
    (d / "tiered.yaml").write_text(TIERED)
    (d / "curved.yaml").write_text(CURVED)
    (d / "support-hours.yaml").write_text(HOURS)
    (d / "saas-tiers.yaml").write_text(_tiers_model().replace("name: saas-renewal", "name: saas-tiers"))
    return d


@cache
def _model(path: str) -> DealModel:
    return load_model(path)


def random_rows(model_path: Path, model_ref: str, n: int, seed: int) -> pd.DataFrame:
    """Feasible base quotes (any price in range, to the cent) and variants of 1–2 issues (most feasible)."""
    model = _model(str(model_path))
    name = price_name(model)
    rng = np.random.default_rng(seed)
    spec = model.issues[name]
    others = [i for i in model.issues if i != name]
    levels = {i: levels_of(model, i) for i in others}
    rows = []
    for r in range(n):
        for _ in range(200):
            base = {i: levels[i][rng.integers(len(levels[i]))] for i in others}
            base[name] = round(float(rng.uniform(spec.min, spec.max)), 2)
            if reference_feasible(model, base):
                break
        for _ in range(200 if rng.random() < 0.9 else 1):
            picked = rng.choice(others, size=min(len(others), int(rng.integers(1, 3))), replace=False)
            variant = {str(i): levels[str(i)][rng.integers(len(levels[str(i)]))] for i in picked}
            if reference_feasible(model, {**base, **variant}):
                break
        row: dict[str, Any] = {"quote_id": f"{model.name}-{r // 3}", "model": model_ref}
        row.update({f"base.{i}": base[i] for i in model.issues})
        row.update({f"variant.{i}": v for i, v in variant.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _package(model: DealModel, row: pd.Series, prefix: str) -> dict[str, Any]:
    out = {}
    for issue in model.issues:
        key = f"{prefix}.{issue}"
        if key in row.index and not pd.isna(row[key]):
            v = row[key]
            out[issue] = v.item() if hasattr(v, "item") else v
    return out


def _num(x: Any) -> float | None:
    return None if pd.isna(x) else float(x)


def _near(got: Any, want: float | None, tol: float = CENT) -> bool:
    g = _num(got)
    if want is None:
        return g is None
    return g is not None and abs(g - want) <= tol + 1e-12 * abs(want)


def check_row(model: DealModel, row: pd.Series, got: pd.Series) -> str:
    """Check one output row against the reference; returns its kind (error / adds / loses / floor)."""
    ref = reference_row(model, _package(model, row, "base"), _package(model, row, "variant"))
    if isinstance(ref, str):
        assert (
            isinstance(got["error"], str)
            and f"{ref}: the {'base quote' if ref == 'base' else 'variant'} breaks" in got["error"]
        )
        assert all(pd.isna(got[c]) for c in VALUES)
        return "error"
    assert pd.isna(got["error"]), got["error"]
    lo, hi, step = ref["lo"], ref["hi"], ref["step"]
    joint, scale = ref["joint_at_split"], ref["scale"]
    if not (joint is not None and joint > scale) and ref["break_even"] is None:
        assert pd.isna(got["suggested_price"]) and pd.isna(got["break_even_price"])  # no price makes the seller whole
        return "none"
    be, bbe = ref["break_even"], ref["buyer_break_even"]
    assert _near(got["break_even_price"], be), (got["break_even_price"], be)
    assert _near(got["buyer_break_even_price"], bbe), (got["buyer_break_even_price"], bbe)
    if be is not None:
        assert bool(got["break_even_in_range"]) == (lo - 1e-9 <= be <= hi + 1e-9)
    assert _near(got["floor_price"], ref["floor"]), (got["floor_price"], ref["floor"])
    assert bool(got["zopa"]) == ref["zopa"]
    sug = float(got["suggested_price"])
    gs, gb = ref["gain_s"](sug), ref["gain_b"](sug)
    assert float(got["variant_value"]) == pytest.approx(gs + gb, rel=1e-9, abs=1e-6)
    grain = step or 0.01
    floor = ref["floor"]
    adds = joint is not None and joint > scale
    assert bool(got["variant_loses_value"]) == (joint is not None and joint < -scale)
    kind = "adds" if adds else "loses"
    target = ref["split"] if adds else be
    if floor is not None and target is not None and floor > target + 1e-9 * max(1.0, abs(target)):
        assert bool(got["below_floor"])
        assert floor - 1e-9 <= sug <= floor + grain + 1e-9  # the floor, rounded up
        return "floor"
    assert not bool(got["below_floor"])
    if be is not None:
        assert sug >= be - 1e-9 * max(1.0, abs(be)), (sug, be)  # never below the break-even
    if adds:
        assert bbe is None or sug <= bbe + 1e-9 * max(1.0, abs(bbe)), (sug, bbe)
        # the split up to rounding: the seller keeps value_share of the joint gain
        sigma = ref["sigma"]
        assert abs(sug - ref["split"]) <= grain + 1e-9
        slope = abs((1 - sigma) * (gs - ref["gain_s"](sug + 1)) - sigma * (gb - ref["gain_b"](sug + 1)))
        assert abs((1 - sigma) * gs - sigma * gb) <= slope * grain + 1e-6 * max(1.0, abs(gs + gb))
    elif joint is not None and joint >= -scale:
        assert sug == pytest.approx(be, abs=1e-9)  # nothing gained or lost: the break-even as it is
    else:
        assert be is None or sug <= be + grain + 1e-9  # the break-even, rounded up
    return kind


def check_frame(models_dir: Path, frame: pd.DataFrame, out: pd.DataFrame) -> dict[str, int]:
    """Every row checked; counts by kind."""
    assert len(out) == len(frame)
    counts: dict[str, int] = {}
    for i in range(len(frame)):
        row, got = frame.iloc[i], out.iloc[i]
        model = _model(str(models_dir / f"{row['model']}.yaml"))
        kind = check_row(model, row, got)
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("error", "none"):
            continue
        price = float(got["suggested_price"])
        pol = model.policy
        if pol is not None and pol.list_price:
            disc = 100 * (pol.list_price - price) / pol.list_price
            assert float(got["discount_pct"]) == pytest.approx(disc, abs=1e-9)
            assert got["approval"] == approver(model, disc)
        if model.parties.buyer.profiles:
            name = price_name(model)
            pkg = {**_package(model, row, "base"), **_package(model, row, "variant"), name: price}
            from dealopt.model.reference import reference_evaluate

            assert float(got["win_probability"]) == pytest.approx(
                reference_evaluate(model, pkg)["acceptance_probability"]
            )
        else:
            assert pd.isna(got["win_probability"])
    return counts


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_example_models_match_the_reference(models_dir: Path, path: Path) -> None:
    frame = random_rows(path, path.stem, 45, seed=len(path.stem))
    out = price_variants(frame, models_dir).to_frame()
    assert list(out.columns) == [*frame.columns, *OUTPUT_COLUMNS]
    counts = check_frame(models_dir, frame, out)
    assert counts.get("adds", 0) >= 5, counts


@pytest.mark.parametrize("name", ["tiered", "curved", "saas-tiers", "support-hours"])
def test_numerical_path_tiers_and_value_share_match_the_reference(models_dir: Path, name: str) -> None:
    frame = random_rows(models_dir / f"{name}.yaml", name, 30, seed=7)
    out = price_variants(frame, models_dir).to_frame()
    counts = check_frame(models_dir, frame, out)
    assert counts.get("adds", 0) + counts.get("loses", 0) >= 10, counts


def test_approval_tiers_name_the_highest_tier_passed(models_dir: Path) -> None:
    rows = []
    for price, support in ((118, "standard"), (104, "standard"), (90, "standard"), (70, "standard")):
        rows.append(_saas(model="saas-tiers", **{"base.price": price, "base.support": support}))
    out = price_variants(pd.DataFrame(rows), models_dir).to_frame()
    assert out["approval"].tolist() == ["none", "sales_manager", "sales_director", "cfo"]
    assert out["suggested_price"].tolist() == [118, 104, 90, 70]  # as quoted: the base price


def test_an_unchanged_variant_is_priced_at_the_base_price(models_dir: Path) -> None:
    frame = random_rows(MODELS / "saas-renewal.yaml", "saas-renewal", 30, seed=3)
    frame = frame[[c for c in frame.columns if not c.startswith("variant.")]]
    out = price_variants(frame, models_dir).to_frame()
    assert out["error"].isna().all()
    assert np.allclose(out["break_even_price"].astype(float), frame["base.price"], atol=1e-9)
    assert np.allclose(out["buyer_break_even_price"].astype(float), frame["base.price"], atol=1e-9)
    assert np.allclose(out["variant_value"].astype(float), 0, atol=1e-6)
    assert np.allclose(out["suggested_price"].astype(float), frame["base.price"], atol=1e-9)
    assert not out["variant_loses_value"].any()


def test_the_example_file() -> None:
    frame = pd.read_csv(MODELS / "quotes-example.csv")
    out = price_variants(frame, MODELS).to_frame()
    assert len(out) == 14 and out["error"].notna().sum() == 1
    assert (
        out["error"].dropna().iloc[0].startswith("row 9 (quote Q-1002): variant.support: 'platinum' is not an option")
    )
    first = out.iloc[0]
    assert first["suggested_price"] == 95 and first["break_even_price"] == pytest.approx(95.0)
    ok = out[out["error"].isna()]
    adds = ~ok["variant_loses_value"].astype(bool)
    # no reflexive discount: a variant that adds value is never priced below the seller's break-even
    assert (ok.loc[adds, "suggested_price"] >= ok.loc[adds, "break_even_price"] - 1e-9).all()
    assert (ok.loc[adds, "suggested_price"] <= ok.loc[adds, "buyer_break_even_price"] + 1e-9).all()
    check_frame(
        MODELS,
        frame[frame["variant_name"] != "platinum support"].reset_index(drop=True),
        out[out["error"].isna()].reset_index(drop=True),
    )


# ---------------------------------------------------------------- bad rows and odd ones


BAD_PRICE = """
format: dealopt/1
name: no-price
currency: USD
issues:
  tier: {kind: categorical, options: [a, b]}
parties:
  seller: {utility: [{of: [{tier: {a: 1, b: 2}}]}]}
  buyer: {utility: [{of: [{tier: {a: 2, b: 1}}]}]}
"""

TABLE_PRICE = """
format: dealopt/1
name: table-price
currency: USD
issues:
  price: {kind: ordinal, options: [10, 20, 30]}
  qty: {kind: integer, min: 1, max: 3}
parties:
  seller: {utility: [{of: [{price: {10: 1, 20: 2, 30: 3}}, qty]}]}
  buyer: {utility: [{coef: -1, of: [price, qty]}]}
"""


def _saas(**cells: Any) -> dict[str, Any]:
    row = {
        "quote_id": "Q",
        "model": "saas-renewal",
        "base.price": 95,
        "base.seats": 300,
        "base.term_months": 12,
        "base.payment": "net30",
        "base.support": "standard",
        "base.start_days": 0,
    }
    row.update(cells)
    return row


PLANTED: list[tuple[dict[str, Any], str | None]] = [
    (_saas(), None),
    (_saas(model="nope"), "model: 'nope' is not a model in"),
    (_saas(model="elsewhere/missing.yaml"), "is a path; expected a model name in"),
    (_saas(model="broken"), "is not a valid model"),
    (_saas(model="no-price"), "has no price issue"),
    (_saas(model="table-price"), "through a table"),
    (_saas(model=None), "model: empty"),
    (_saas(**{"base.support": "gold"}), "base.support: 'gold' is not an option; expected one of standard, premium"),
    (_saas(**{"base.seats": 275}), "base.seats: 275 is not a level of 'seats'; expected a level in 200…400 (step 50)"),
    (_saas(**{"base.seats": "many"}), "base.seats: 'many' is not a number"),
    (_saas(**{"base.price": 130}), "base.price: 130 is outside [60, 120]; expected a price in [60, 120]"),
    (_saas(**{"base.start_days": None}), "base.start_days: empty; expected"),
    (_saas(**{"variant.term_months": 18}), "variant.term_months: 18 is not a level"),
    (_saas(**{"variant.price": 90}), "variant.price: 90, but the price is what gets computed"),
    (_saas(**{"variant.colour": "red"}), "variant.colour: 'red', but model 'saas-renewal' has no issue 'colour'"),
    (
        _saas(**{"variant.payment": "net60"}),
        "variant: the variant breaks constraints[0] {forbid: {payment: net60, term_months: 12}}",
    ),
    (_saas(**{"base.payment": "net60"}), "base: the base quote breaks constraints[0]"),
    (_saas(quote_id=None), "quote_id: empty"),
    (_saas(model="tiered"), "base.users: missing column; expected the base quote's level of every issue"),
    # valid rows that used to be errors: the numbers are kept, flags say what is odd
    (_saas(**{"base.term_months": 36, "variant.term_months": 12}), None),  # break-even out of range
    (_saas(**{"base.seats": 200, "base.price": 60, "variant.support": "premium", "variant.seats": 250}), None),
    (_saas(**{"base.price": 60, "variant.start_days": 15}), None),  # break-even below the range
    (_saas(model="far"), None),  # the seller cannot reach its walk-away: no ZOPA
]


@pytest.fixture(scope="module")
def planted_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("planted")
    saas = (MODELS / "saas-renewal.yaml").read_text()
    (d / "saas-renewal.yaml").write_text(saas)
    (d / "far.yaml").write_text(
        saas.replace("seller_walk_away: 50000", "seller_walk_away: 900000").replace("name: saas-renewal", "name: far")
    )
    (d / "no-price.yaml").write_text(BAD_PRICE)
    (d / "table-price.yaml").write_text(TABLE_PRICE)
    (d / "broken.yaml").write_text("format: dealopt/1\nname: broken\nissues: {}\n")
    (d / "tiered.yaml").write_text(TIERED)
    return d


def test_only_bad_input_carries_an_error(planted_dir: Path) -> None:
    frame = pd.DataFrame([c for c, _ in PLANTED])
    out = price_variants(frame, planted_dir).to_frame()
    assert len(out) == len(frame) and out["base.price"].tolist() == frame["base.price"].tolist()
    for i, (_, expected) in enumerate(PLANTED):
        got = out.iloc[i]
        if expected is None:
            assert pd.isna(got["error"]), (i, got["error"])
            for c in ("break_even_price", "buyer_break_even_price", "floor_price", "suggested_price", "variant_value"):
                assert not pd.isna(got[c]), (i, c)
            continue
        assert isinstance(got["error"], str) and expected in got["error"], (i, got["error"])
        assert got["error"].startswith(f"row {i + 1}") and "\n" not in got["error"]
        assert all(pd.isna(got[c]) for c in VALUES), i


def test_odd_rows_keep_their_numbers_with_flags(planted_dir: Path) -> None:
    frame = pd.DataFrame([c for c, want in PLANTED if want is None])
    out = price_variants(frame, planted_dir).to_frame()
    shorter = out.iloc[1]  # 36 → 12 months: the seller breaks even far above the range
    assert shorter["break_even_price"] > 120 and not shorter["break_even_in_range"]
    low = out.iloc[3]  # start later from a base at the range's minimum: break-even below it
    assert low["break_even_price"] < 60 and not low["break_even_in_range"]
    far = out.iloc[4]
    assert not far["zopa"] and far["floor_price"] > 120  # the seller's walk-away lies above the range
    check_frame(
        planted_dir, frame.iloc[[0, 1, 2, 3]].reset_index(drop=True), out.iloc[[0, 1, 2, 3]].reset_index(drop=True)
    )


def test_missing_key_columns() -> None:
    frame = pd.DataFrame([_saas()]).drop(columns=["model"])
    assert "model: missing column" in price_variants(frame, MODELS).to_frame()["error"][0]
    frame = pd.DataFrame([_saas()]).drop(columns=["quote_id"])
    out = price_variants(frame, MODELS).to_frame()
    assert out["error"][0] == "row 1: quote_id: missing column; expected a quote_id column naming each row's quote"


def test_empty_input_and_output_columns_replaced() -> None:
    out = price_variants(pd.DataFrame([_saas()]).iloc[:0], MODELS).to_frame()
    assert len(out) == 0 and list(out.columns)[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)
    again = price_variants(price_variants(pd.DataFrame([_saas()]), MODELS).to_frame(), MODELS).to_frame()
    assert list(again.columns).count("error") == 1


def test_output_dtypes() -> None:
    frame = pd.read_csv(MODELS / "quotes-example.csv")
    out = price_variants(frame, MODELS).to_frame()
    for c in (
        "break_even_price",
        "buyer_break_even_price",
        "floor_price",
        "variant_value",
        "suggested_price",
        "discount_pct",
        "win_probability",
    ):
        assert out[c].dtype == "Float64", c
    for c in ("break_even_in_range", "variant_loses_value", "below_floor", "zopa", "suggested_feasible"):
        assert out[c].dtype == "boolean", c
    assert isinstance(out["approval"].dtype, pd.CategoricalDtype) and out["error"].dtype == "string"
    assert out["base.seats"].dtype == "Int64" and out["variant.seats"].dtype == "Int64"  # integer issues
    assert isinstance(out["base.payment"].dtype, pd.CategoricalDtype)  # categorical issues
    assert out["base.price"].dtype == "Float64"


def test_a_constraint_on_the_price_is_checked_at_the_suggested_price(tmp_path: Path) -> None:
    text = (MODELS / "saas-renewal.yaml").read_text()
    text = text.replace("constraints:\n", "constraints:\n  - forbid: {seats: 350, price: {max: 75}}\n", 1)
    (tmp_path / "saas-renewal.yaml").write_text(text)
    frame = pd.DataFrame(
        [_saas(), _saas(**{"base.price": 80, "variant.seats": 350}), _saas(**{"base.seats": 350, "base.price": 70})]
    )
    out = price_variants(frame, tmp_path).to_frame()
    assert out["suggested_feasible"].tolist()[:2] == [True, False]  # 350 seats at the suggested price ≤ 75
    assert out["suggested_price"][1] <= 75
    assert "base: the base quote breaks constraints[0]" in out["error"][2]


def test_without_walk_aways_the_floor_is_the_policy_floor(tmp_path: Path) -> None:
    text = TIERED.replace("    walk_away: 15000\n", "")
    (tmp_path / "open.yaml").write_text(text)
    frame = random_rows(tmp_path / "open.yaml", "open", 12, seed=5)
    out = price_variants(frame, tmp_path).to_frame()
    ok = out["error"].isna()
    assert ok.sum() >= 4 and (out.loc[ok, "floor_price"] == 60).all() and out.loc[ok, "zopa"].all()
    check_frame(tmp_path, frame, out)


def test_missing_or_empty_models_folder_fails_once(tmp_path: Path) -> None:
    from dealopt.batch.options import OptionError

    frame = pd.DataFrame([_saas()] * 3)
    with pytest.raises(OptionError, match=r"models_dir: .*nowhere: no such directory"):
        price_variants(frame, tmp_path / "nowhere")
    with pytest.raises(OptionError, match="no model files"):
        price_variants(frame, tmp_path)


def test_counts_and_summary() -> None:
    result = price_variants(pd.read_csv(MODELS / "quotes-example.csv"), MODELS)
    counts = result.counts()
    assert counts["rows"] == 14 and counts["errors"] == 1 and counts["lose_value"] == 2
    assert result.summary().line().startswith("14 rows, 1 error, ")
    assert math.isfinite(result.seconds)


def test_a_column_of_integers_is_read_as_levels() -> None:
    frame = pd.DataFrame([_saas(**{"base.seats": s}) for s in (300, 275, 500, 250)])
    assert frame["base.seats"].dtype == "int64"
    out = price_variants(frame, MODELS).to_frame()
    assert pd.isna(out["error"][0]) and pd.isna(out["error"][3])
    assert out["error"][1].endswith("base.seats: 275 is not a level of 'seats'; expected a level in 200…400 (step 50)")
    assert out["error"][2].endswith("base.seats: 500 is outside [200, 400]; expected a level in 200…400 (step 50)")

    frame = pd.DataFrame([_saas(**{"base.term_months": t}) for t in (24, 18, 48, 36)])
    out = price_variants(frame, MODELS).to_frame()
    assert out["error"].isna().tolist() == [True, False, False, True]
    assert out["error"][1].endswith("base.term_months: 18 is not a level of 'term_months'; expected one of 12, 24, 36")
