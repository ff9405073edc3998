"""Quote-variant pricing: closed forms and root finding against a per-row brute-force reference,
bad rows, files (CSV, Parquet, partitioned Parquet), the CLI, and Dask (LocalCluster and a real
scheduler + worker pair) giving the same output as the in-process run."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from scipy.optimize import brentq, minimize_scalar
from typer.testing import CliRunner

from conftest import MODELS, model_files
from dealopt import compile_model, load_model
from dealopt.batch.pricing import OUTPUT_COLUMNS, price_variants, price_variants_file
from dealopt.errors import DealoptError
from dealopt.interfaces.batch_commands import register
from dealopt.model.reference import (
    all_packages,
    reference_evaluate,
    reference_feasible,
    reference_walk_away,
)
from dealopt.model.schema import CategoricalIssue, DealModel
from dealopt.negotiation.trades import price_issue

VALUES = [c for c in OUTPUT_COLUMNS if c != "error"]

# A price factor that is piecewise (tiered rebates): the numerical path; no buyer walk-away, so
# the Nash price uses the buyer's disagreement utility (its lowest over the feasible packages).
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

# The price twice in a term (a revenue curve bending down): the numerical path without breakpoints;
# the buyer's price sensitivity piecewise too.
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


@pytest.fixture(scope="module")
def extra_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    (d / "tiered.yaml").write_text(TIERED)
    (d / "curved.yaml").write_text(CURVED)
    for f in model_files():
        (d / f.name).write_text(f.read_text())
    return d


# ---------------------------------------------------------------- the reference


@cache
def _model(path: str) -> DealModel:
    return load_model(path)


def _disagreement(model: DealModel, party: str) -> float:
    """The party's walk-away, or its lowest utility over the feasible packages (brute force)."""
    side = getattr(model.parties, party)
    if party == "buyer" and side.profiles:
        total = sum(p.probability for p in side.profiles)
        walks = [reference_walk_away(model, p.utility, p.walk_away) for p in side.profiles]
        if all(w is not None for w in walks):
            return sum(p.probability / total * w for p, w in zip(side.profiles, walks))  # type: ignore[operator]
    else:
        w = reference_walk_away(model, side.utility or [], side.walk_away)
        if w is not None:
            return w
    return min(reference_evaluate(model, p)[party] for p in all_packages(model) if reference_feasible(model, p))


def reference_row(model: DealModel, base: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any] | str:
    """One row priced the slow way: brentq on the reference evaluator, a dense grid for the Nash price."""
    deal = compile_model(model)
    name = price_issue(deal)
    assert name is not None
    lo, hi = float(model.issues[name].min), float(model.issues[name].max)
    if not reference_feasible(model, base):
        return "base"
    changed = {**base, **variant}
    if not reference_feasible(model, {**changed, name: base[name]}):
        return "variant"

    def seller(p: float) -> float:
        return reference_evaluate(model, {**changed, name: p})["seller"]

    def buyer(p: float) -> float:
        return reference_evaluate(model, {**changed, name: p})["buyer"]

    target = reference_evaluate(model, base)["seller"]
    f_lo, f_hi = seller(lo) - target, seller(hi) - target
    if abs(f_lo) <= 1e-9 * max(1.0, abs(target)):
        be = lo
    elif f_lo * f_hi > 0:
        return "break_even"
    else:
        be = brentq(lambda p: seller(p) - target, lo, hi, xtol=1e-13, rtol=1e-15)

    pol = model.policy
    pf = None if pol is None or pol.floor_price is None else float(pol.floor_price)
    w_s = reference_walk_away(model, model.parties.seller.utility or [], model.parties.seller.walk_away)
    if w_s is None:
        floor = pf
    else:
        if seller(lo) >= w_s - 1e-9 * max(1.0, abs(w_s)):
            floor = lo
        elif seller(hi) < w_s:
            return "floor"
        else:
            floor = brentq(lambda p: seller(p) - w_s, lo, hi, xtol=1e-13, rtol=1e-15)
        if pf is not None:
            floor = max(floor, pf)

    d_s, d_b = _disagreement(model, "seller"), _disagreement(model, "buyer")
    low = max(lo, pf) if pf is not None else lo

    def nash(p: float) -> float:
        s, b = seller(p), buyer(p)
        if s < d_s - 1e-9 * max(1.0, abs(d_s)) or b < d_b - 1e-9 * max(1.0, abs(d_b)):
            return -math.inf
        return (s - d_s) * (b - d_b)

    grid = np.linspace(low, hi, 401)
    values = [nash(p) for p in grid]
    k = int(np.argmax(values))
    if not math.isfinite(values[k]):
        return "suggested"
    a, c = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    best, best_n = float(grid[k]), values[k]
    if c > a:
        res = minimize_scalar(
            lambda p: -nash(p) if math.isfinite(nash(p)) else 1e300,
            bounds=(a, c),
            method="bounded",
            options={"xatol": 1e-12},
        )
        if -res.fun > best_n:
            best, best_n = float(res.x), -res.fun
    return {"break_even_price": be, "floor_price": floor, "suggested_price": best, "nash": best_n, "d": (d_s, d_b)}


def _levels(model: DealModel, issue: str) -> list[Any]:
    spec = model.issues[issue]
    if isinstance(spec, CategoricalIssue):
        return list(spec.options)
    levels = compile_model(model).by_name[issue].labels
    return list(levels)


def random_rows(model_path: Path, model_ref: str, n: int, seed: int) -> pd.DataFrame:
    """Random feasible base quotes (any price in range) and variants of 1–2 issues (most of them feasible)."""
    model = _model(str(model_path))
    name = price_issue(compile_model(model))
    rng = np.random.default_rng(seed)
    spec = model.issues[name]
    others = [i for i in model.issues if i != name]
    levels = {i: _levels(model, i) for i in others}
    rows = []
    for r in range(n):
        for _ in range(200):
            base = {i: levels[i][rng.integers(len(levels[i]))] for i in others}
            base[name] = round(float(rng.uniform(spec.min, spec.max)), 2)
            if reference_feasible(model, base):
                break
        for _ in range(200 if rng.random() < 0.85 else 1):
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


KIND_OF_ERROR = {
    "base": "base: the base quote breaks",
    "variant": "variant: the variant breaks",
    "break_even": "break_even_price:",
    "floor": "floor_price:",
    "suggested": "suggested_price:",
}


def check_against_reference(model_path: Path, frame: pd.DataFrame, out: pd.DataFrame) -> int:
    """Every row agrees with :func:`reference_row`; returns how many rows were priced."""
    model = _model(str(model_path))
    deal = compile_model(model)
    name = price_issue(deal)
    lo, hi = float(model.issues[name].min), float(model.issues[name].max)
    pol = model.policy
    priced = 0
    for i in range(len(frame)):
        row, got = frame.iloc[i], out.iloc[i]
        ref = reference_row(model, _package(model, row, "base"), _package(model, row, "variant"))
        if isinstance(ref, str):
            assert isinstance(got["error"], str) and KIND_OF_ERROR[ref] in got["error"], (i, ref, got["error"])
            assert all(pd.isna(got[c]) for c in VALUES)
            continue
        assert got["error"] is None, (i, got["error"])
        priced += 1
        span = hi - lo
        assert got["break_even_price"] == pytest.approx(ref["break_even_price"], abs=1e-7 * span)
        if ref["floor_price"] is None:
            assert pd.isna(got["floor_price"])
        else:
            assert got["floor_price"] == pytest.approx(ref["floor_price"], abs=1e-7 * span)
        p = float(got["suggested_price"])
        assert lo <= p <= hi and (ref["floor_price"] is None or p >= ref["floor_price"] - 1e-9 * span)
        changed = {**_package(model, row, "base"), **_package(model, row, "variant"), name: p}
        ev = reference_evaluate(model, changed)
        d_s, d_b = ref["d"]
        n_got = (ev["seller"] - d_s) * (ev["buyer"] - d_b)
        assert ev["seller"] >= d_s - 1e-6 * max(1.0, abs(d_s)) and ev["buyer"] >= d_b - 1e-6 * max(1.0, abs(d_b))
        assert n_got >= ref["nash"] - 1e-9 * abs(ref["nash"]) - 1e-9, (i, p, ref["suggested_price"])
        assert p == pytest.approx(ref["suggested_price"], abs=1e-4 * span)
        assert got["buyer_utility"] == pytest.approx(ev["buyer"], rel=1e-9, abs=1e-9)
        if pol is not None and pol.list_price is not None:
            disc = 100 * (pol.list_price - p) / pol.list_price
            assert got["discount_pct"] == pytest.approx(disc, rel=1e-9, abs=1e-9)
            threshold = pol.approval_discount_pct
            assert bool(got["needs_approval"]) == (threshold is not None and disc > threshold)
        else:
            assert pd.isna(got["discount_pct"]) and pd.isna(got["needs_approval"])
    return priced


# ---------------------------------------------------------------- against the reference


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_example_models_match_the_reference(path: Path) -> None:
    frame = random_rows(path, path.stem, 60, seed=len(path.stem))
    out = price_variants(frame, MODELS)
    assert len(out) == len(frame) and list(out.columns) == [*frame.columns, *OUTPUT_COLUMNS]
    assert check_against_reference(path, frame, out) >= 5


@pytest.mark.parametrize("name", ["tiered", "curved"])
def test_numerical_path_matches_the_reference(extra_models: Path, name: str) -> None:
    path = extra_models / f"{name}.yaml"
    frame = random_rows(path, name, 40, seed=7)
    out = price_variants(frame, extra_models)
    assert check_against_reference(path, frame, out) >= 10


def test_unchanged_variant_breaks_even_at_the_base_price() -> None:
    path = MODELS / "saas-renewal.yaml"
    frame = random_rows(path, "saas-renewal", 30, seed=3)
    frame = frame[[c for c in frame.columns if not c.startswith("variant.")]]
    out = price_variants(frame, MODELS)
    ok = out["error"].isna()
    assert ok.sum() > 10
    assert np.allclose(out.loc[ok, "break_even_price"].astype(float), frame.loc[ok, "base.price"], atol=1e-9)


def test_the_example_file() -> None:
    frame = pd.read_csv(MODELS / "quotes-example.csv")
    out = price_variants(frame, MODELS)
    assert len(out) == 14
    assert out["error"].notna().sum() == 1
    bad = out["error"].dropna().iloc[0]
    assert bad.startswith("row 9 (quote Q-1002): variant.support: 'platinum' is not an option")
    first = out.iloc[0]
    assert first["break_even_price"] == pytest.approx(95.0)  # the base quote as it is
    assert set(out["model"]) == {"saas-renewal", "hardware-supply"}


# ---------------------------------------------------------------- bad rows


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


def test_bad_rows_keep_their_place(tmp_path: Path) -> None:
    (tmp_path / "no-price.yaml").write_text(BAD_PRICE)
    (tmp_path / "table-price.yaml").write_text(TABLE_PRICE)
    (tmp_path / "broken.yaml").write_text("format: dealopt/1\nname: broken\nissues: {}\n")
    (tmp_path / "saas-renewal.yaml").write_text((MODELS / "saas-renewal.yaml").read_text())
    (tmp_path / "tiered.yaml").write_text(TIERED)
    cases: list[tuple[dict[str, Any], str | None]] = [
        (_saas(), None),
        (_saas(model="nope"), "model: 'nope' is not a model in"),
        (_saas(model="elsewhere/missing.yaml"), "no such model file"),
        (_saas(model=str(tmp_path / "broken.yaml")), "is not a valid model"),
        (_saas(model="no-price"), "has no price issue"),
        (_saas(model="table-price"), "through a table"),
        (_saas(model=None), "model: empty"),
        (_saas(**{"base.support": "gold"}), "base.support: 'gold' is not an option; expected one of standard, premium"),
        (
            _saas(**{"base.seats": 275}),
            "base.seats: 275 is not a level of 'seats'; expected a level in 200…400 (step 50)",
        ),
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
        (_saas(**{"base.term_months": 36, "variant.term_months": 12}), "break_even_price: the seller breaks even at"),
        (_saas(**{"base.seats": 200, "base.price": 60, "variant.support": "premium", "variant.seats": 250}), None),
        (_saas(**{"base.price": 60, "variant.start_days": 15}), "break_even_price:"),
        (_saas(quote_id=None), "quote_id: empty"),
        (_saas(model="tiered"), "base.users: missing column; expected the base quote's level of every issue"),
    ]
    frame = pd.DataFrame([c for c, _ in cases])
    out = price_variants(frame, tmp_path)
    assert len(out) == len(frame)
    assert out["base.price"].tolist() == frame["base.price"].tolist()
    for i, (_, expected) in enumerate(cases):
        got = out.iloc[i]
        if expected is None:
            assert got["error"] is None, got["error"]
            assert all(not pd.isna(got[c]) for c in VALUES)
            continue
        assert isinstance(got["error"], str) and expected in got["error"], (i, got["error"])
        assert got["error"].startswith(f"row {i + 1}"), got["error"]
        assert "\n" not in got["error"]
        assert all(pd.isna(got[c]) for c in VALUES), i


def test_no_zopa_and_unreachable_floor(tmp_path: Path) -> None:
    text = (MODELS / "saas-renewal.yaml").read_text()
    (tmp_path / "far.yaml").write_text(text.replace("walk_away: 50000", "walk_away: 900000"))
    (tmp_path / "apart.yaml").write_text(text.replace("walk_away: 50000", "walk_away: 250000"))
    frame = pd.DataFrame([_saas(model="far"), _saas(model="apart", **{"base.price": 119})])
    out = price_variants(frame, tmp_path)
    assert "floor_price: the seller stays below its walk-away (900,000)" in out["error"][0]
    assert (
        "suggested_price: no price in [60, 120] gives both sides at least their walk-away (seller 250,000"
        in out["error"][1]
    )


def test_missing_key_columns() -> None:
    frame = pd.DataFrame([_saas()]).drop(columns=["model"])
    out = price_variants(frame, MODELS)
    assert "model: missing column" in out["error"][0]
    frame = pd.DataFrame([_saas()]).drop(columns=["quote_id"])
    out = price_variants(frame, MODELS)
    assert out["error"][0] == "row 1: quote_id: missing column; expected a quote_id column naming each row's quote"


def test_empty_input_and_output_columns_replaced() -> None:
    out = price_variants(pd.DataFrame([_saas()]).iloc[:0], MODELS)
    assert len(out) == 0 and list(out.columns)[-7:] == list(OUTPUT_COLUMNS)
    again = price_variants(price_variants(pd.DataFrame([_saas()]), MODELS), MODELS)
    assert list(again.columns).count("error") == 1


# ---------------------------------------------------------------- files


def _example(n: int = 400) -> pd.DataFrame:
    """A mixed batch: two models, bad rows among them."""
    a = random_rows(MODELS / "saas-renewal.yaml", "saas-renewal", n // 2, seed=11)
    b = random_rows(MODELS / "hardware-supply.yaml", "hardware-supply", n // 2, seed=12)
    frame = pd.concat([a, b], ignore_index=True).sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame.loc[5, "base.support"] = "gold"
    frame.loc[9, "model"] = "nope"
    return frame


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same rows, same order, same values (nulls compare equal)."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in OUTPUT_COLUMNS:
        x = a[c].astype(object).where(a[c].notna(), None).tolist()
        y = b[c].astype(object).where(b[c].notna(), None).tolist()
        assert x == y, c
    assert a["quote_id"].tolist() == b["quote_id"].tolist()


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    return pq.read_table(path).to_pandas()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("batch")
    frame = _example()
    frame.to_csv(d / "in.csv", index=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, d / "in.parquet", row_group_size=64)
    parts = d / "in-parts"
    parts.mkdir()
    for k, s in enumerate(range(0, len(frame), 150)):
        pq.write_table(table.slice(s, 150), parts / f"part-{k}.parquet", row_group_size=50)
    expected = price_variants(pd.read_csv(d / "in.csv", keep_default_na=False, na_values=[""]), MODELS)
    return {"dir": d, "frame": frame, "expected": expected, "parts": parts}


@pytest.mark.parametrize("src", ["in.csv", "in.parquet", "in-parts"])
@pytest.mark.parametrize("dst", ["out.csv", "out.parquet", "out-parts/"])
def test_files_in_and_out(batch: dict[str, Any], src: str, dst: str) -> None:
    d: Path = batch["dir"]
    out = d / f"{Path(src).stem}-{dst.rstrip('/')}"
    target = str(out) + ("/" if dst.endswith("/") else "")
    summary = price_variants_file(d / src, target, MODELS, quiet=True, chunk_rows=100)
    assert summary.rows == 400 and summary.errors == int(batch["expected"]["error"].notna().sum())
    got = _read(out)
    if dst.endswith("/"):
        names = sorted(p.name for p in out.glob("*.parquet"))
        assert len(names) > 1 and names[0] == "part-00000.parquet"  # one part per chunk, in order
    _same(got, batch["expected"])
    assert np.allclose(got["base.price"].astype(float), batch["frame"]["base.price"].astype(float), equal_nan=True)


def test_partitioned_chunks_follow_row_groups(batch: dict[str, Any]) -> None:
    from dealopt.batch.pricing import _Quotes

    src = _Quotes(batch["parts"], 100, MODELS, Path.cwd())
    assert src.rows == 400
    assert [t.rows for t in src.tasks] == [100, 50, 100, 50, 100]
    assert [t.first_row for t in src.tasks] == [1, 101, 151, 251, 301]
    assert all(t.table is None for t in src.tasks)  # workers read their own row groups


def test_row_numbers_count_across_part_files(batch: dict[str, Any]) -> None:
    d: Path = batch["dir"]
    price_variants_file(batch["parts"], d / "numbered.parquet", MODELS, quiet=True, chunk_rows=30)
    got = _read(d / "numbered.parquet")
    assert got.loc[5, "error"].startswith("row 6 ") and got.loc[9, "error"].startswith("row 10 ")


def test_csv_with_text_in_a_number_column(tmp_path: Path) -> None:
    frame = pd.DataFrame([_saas()] * 3000 + [_saas(**{"base.seats": "three hundred"})])
    frame.to_csv(tmp_path / "q.csv", index=False)
    price_variants_file(tmp_path / "q.csv", tmp_path / "o.csv", MODELS, quiet=True)
    got = _read(tmp_path / "o.csv")
    assert len(got) == 3001 and got["error"].notna().sum() == 1
    assert "base.seats: 'three hundred' is not a number" in got["error"].iloc[-1]


@pytest.mark.parametrize(
    ("quotes", "out", "message"),
    [
        ("missing.csv", "o.csv", "QUOTES: missing.csv: no such file or directory"),
        ("q.txt", "o.csv", "unknown format '.txt'"),
        ("empty.csv", "o.csv", "empty file"),
        ("junk.parquet", "o.csv", "not a readable Parquet file"),
        ("q.csv", "o.json", "-o: "),
        ("q.csv", "nowhere/o.csv", "does not exist"),
        ("q.csv", "q.csv", "is the input"),
    ],
)
def test_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quotes: str, out: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame([_saas()]).to_csv("q.csv", index=False)
    Path("q.txt").write_text("x")
    Path("empty.csv").write_text("")
    Path("junk.parquet").write_text("not parquet")
    with pytest.raises(DealoptError, match=None) as exc:
        price_variants_file(quotes, out, MODELS, quiet=True)
    assert message in str(exc.value) and "\n" not in str(exc.value)


# ---------------------------------------------------------------- CLI


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """dealopt"""

    register(app)
    return app


def test_cli_prices_and_prints_the_summary(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        _app(),
        [
            "price-variants",
            str(MODELS / "quotes-example.csv"),
            "-o",
            str(tmp_path / "o.parquet"),
            "--models",
            str(MODELS),
        ],
    )
    assert res.exit_code == 0, res.output
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("14 rows, 1 errors, ") and line.endswith("rows/s (in process)")
    assert len(_read(tmp_path / "o.parquet")) == 14


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "-o", "o.csv"], "error: QUOTES: missing.csv: no such file or directory"),
        (["q.csv", "-o", "o.txt"], "error: -o: o.txt: unknown format '.txt'"),
        (["q.csv", "-o", "o.csv", "--workers", "0"], "error: --workers: 0; expected at least 1"),
        (
            ["q.csv", "-o", "o.csv", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "error: --workers and --scheduler: give one",
        ),
        (["q.csv", "-o", "o.csv", "--scheduler", "localhost"], "error: --scheduler: 'localhost'; expected an address"),
        (["q.csv", "-o", "o.csv", "--models", "nowhere"], "error: --models: nowhere is not a directory"),
        (["q.csv", "-o", "o.csv", "--chunk-rows", "0"], "error: --chunk-rows: 0; expected at least 1"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame([_saas()]).to_csv("q.csv", index=False)
    res = CliRunner().invoke(_app(), ["price-variants", *args])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [res.stderr.strip()] and res.stderr.startswith(message), res.stderr
    assert not Path("o.csv").exists()


# ---------------------------------------------------------------- Dask


def test_local_cluster_gives_the_same_output(batch: dict[str, Any]) -> None:
    d: Path = batch["dir"]
    price_variants_file(batch["parts"], d / "local.parquet", MODELS, quiet=True, chunk_rows=60)
    summary = price_variants_file(
        batch["parts"], str(d / "dask-parts") + "/", MODELS, workers=2, quiet=True, chunk_rows=60
    )
    assert summary.where == "local Dask cluster of 2 processes" and summary.rows == 400
    _same(_read(d / "dask-parts"), _read(d / "local.parquet"))
    assert pq.read_table(d / "dask-parts").equals(pq.read_table(d / "local.parquet"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Any:
    """A real ``dask scheduler`` and ``dask worker`` on 127.0.0.1, stopped afterwards."""
    from distributed import Client

    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": tmp_path}
    procs = [
        subprocess.Popen(
            [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **common
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], **common
            )
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(1, timeout=25)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def test_scheduler_and_worker_give_the_same_output(batch: dict[str, Any], dask_cluster: str) -> None:
    d: Path = batch["dir"]
    price_variants_file(d / "in.csv", d / "local.csv", MODELS, quiet=True, chunk_rows=70)
    summary = price_variants_file(
        d / "in.csv", d / "remote.csv", MODELS, scheduler=dask_cluster, quiet=True, chunk_rows=70
    )
    assert summary.where == f"Dask cluster at {dask_cluster}"
    assert (d / "remote.csv").read_text() == (d / "local.csv").read_text()
    out = price_variants(batch["frame"], MODELS, scheduler=dask_cluster, chunk_rows=90)
    _same(out, price_variants(batch["frame"], MODELS))


def test_through_the_dealopt_entry_point(tmp_path: Path) -> None:
    """``dealopt price-variants`` as the console script runs it (cli.main), registering the command if needed."""
    script = (
        "from dealopt.interfaces import cli\n"
        "from dealopt.interfaces.batch_commands import register\n"
        "if not any(c.name == 'price-variants' for c in cli.app.registered_commands):\n"
        "    register(cli.app)\n"
        "cli.main()\n"
    )
    run = [sys.executable, "-c", script, "price-variants", str(MODELS / "quotes-example.csv")]
    ok = subprocess.run([*run, "-o", str(tmp_path / "o.csv"), "--quiet"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr.startswith("14 rows, 1 errors, ") and len(ok.stderr.splitlines()) == 1
    bad = subprocess.run([*run, "-o", str(tmp_path / "o.xlsx")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: -o: ") and len(bad.stderr.splitlines()) == 1


def test_without_walk_aways_the_floor_is_null_and_nash_uses_disagreement(tmp_path: Path) -> None:
    text = TIERED.replace("    walk_away: 15000\n", "").replace("  floor_price: 60\n", "")
    (tmp_path / "open.yaml").write_text(text)
    frame = random_rows(tmp_path / "open.yaml", "open", 12, seed=5)
    out = price_variants(frame, tmp_path)
    ok = out["error"].isna()
    assert ok.sum() >= 4 and out.loc[ok, "floor_price"].isna().all() and out.loc[ok, "suggested_price"].notna().all()
    check_against_reference(tmp_path / "open.yaml", frame, out)


def test_a_constraint_on_the_price_is_checked_at_the_suggested_price(tmp_path: Path) -> None:
    text = (MODELS / "saas-renewal.yaml").read_text()
    text = text.replace("constraints:\n", "constraints:\n  - forbid: {seats: 350, price: {max: 75}}\n", 1)
    (tmp_path / "saas-renewal.yaml").write_text(text)
    frame = pd.DataFrame([_saas(), _saas(**{"variant.seats": 350}), _saas(**{"base.seats": 350, "base.price": 70})])
    out = price_variants(frame, tmp_path)
    assert out["error"][0] is None and out["suggested_price"][0] < 75  # 300 seats: the constraint does not apply
    assert "suggested_price: 69.9229 breaks constraints[0] {forbid: {seats: 350, price: {max: 75}}}" in out["error"][1]
    assert "base: the base quote breaks constraints[0]" in out["error"][2]
