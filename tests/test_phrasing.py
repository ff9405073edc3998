"""Sentences a buyer can be sent, read aloud as a rep would: complete, in natural words, nothing private.

Checked on every example model, on the imported GENIUS domains and on random models: trades from several
packages (flags past the approval tiers, price steps collapsed into one range) and counter sentences for
constructed offers (partial, off-grid, complete, none).
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealopt
from cli_runner import run_cli
from conftest import model_files
from dealopt import compile_model, load_model, model_from_data
from dealopt.model.compiled import CompiledDeal
from dealopt.model.evaluation import evaluate
from dealopt.model.importers.genius import import_genius
from dealopt.model.levels import display_value
from dealopt.model.loading import model_from_text
from dealopt.negotiation.frontier import frontier
from dealopt.negotiation.phrasing import (
    counter_sentence,
    issue_words,
    join_words,
    money,
    move_words,
    package_words,
    trade_sentence,
    value_words,
)
from dealopt.negotiation.trades import find_trades, price_issue
from random_models import deal_models
from test_genius import GENIUS, _case_files, _expected, _more_triples

MODELS = {p.stem: p for p in model_files()}
PRIVATE = re.compile(r"utilit|walk[- ]?away|floor|costs? us|cost to us|margin|aspiration|probabilit", re.I)

SAAS_PACKAGE = {
    "price": 111.5,
    "seats": 400,
    "term_months": 36,
    "payment": "annual_prepay",
    "support": "premium",
    "start_days": 30,
}


def deal_of(name: str) -> CompiledDeal:
    return compile_model(load_model(MODELS[name]))


def genius_deals() -> list[CompiledDeal]:
    if not (GENIUS / "expected.json").is_file():
        return []
    triples = [_case_files(c) for c in _expected()] + _more_triples()
    return [compile_model(import_genius(*t)) for t in triples]


# ---------------------------------------------------------------- an independent reader


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    out = {w.rstrip("s") for w in words if len(w) >= 3} - {"the", "and", "for", "per", "with", "one", "time"}
    return out | {w[len(p) :] for w in out for p in ("pre", "post") if w.startswith(p)}  # "prepayment"


def _model_strings(deal: CompiledDeal) -> list[str]:
    """Every piece of text the model itself provides (names, labels, units, option ids and their words)."""
    out: set[str] = set()
    for issue in deal.issues:
        spec = issue.spec
        out |= {issue.name, issue.name.replace("_", " "), issue_words(issue), spec.label or "", spec.unit or ""}
        if not issue.numeric or getattr(spec, "labels", None):
            for level in issue.labels:
                out |= {str(level), str(level).replace("_", " "), value_words(issue, level)}
    return sorted((s for s in out if s), key=len, reverse=True)


def _spellings(x: float) -> set[str]:
    x = float(x)
    out = {repr(x), f"{x:g}", f"{x:.4f}", f"{x:.3f}", f"{x:.3g}"}
    for d in (0, 1, 2):
        out |= {f"{x:.{d}f}", f"{x:,.{d}f}"}
    return {s.lstrip("-") for s in out if s.strip("-0.,")}


def _public(deal: CompiledDeal) -> set[str]:
    """How the levels and the model's own words may write a number."""
    out: set[str] = set()
    for issue in deal.issues:
        for level in issue.labels:
            v = display_value(level)
            if isinstance(v, (int, float)):
                out |= {str(v), f"{v:,}", f"{v:g}", f"{v:,.2f}"}
    for s in _model_strings(deal):
        out |= set(re.findall(r"\d[\d,]*(?:\.\d+)?", s))
    return out


def _walk_aways(deal: CompiledDeal) -> list[float]:
    xs = [deal.seller_walk_away, deal.buyer_walk_away, *(p.walk_away for p in deal.profiles)]
    return [float(x) for x in xs if x is not None]


def assert_buyer_safe(deal: CompiledDeal, text: str) -> None:
    """No raw option id or issue name with "_", no private word, no walk-away, amounts with separators."""
    assert text and text[0].isupper() and text.rstrip()[-1] in ".?", text
    for issue in deal.issues:
        if "_" in issue.name and issue.name not in (issue_words(issue), value_words(issue, issue.labels[0])):
            assert issue.name not in text, (issue.name, text)
        if issue.kind == "categorical":
            for option in issue.labels:
                if "_" in option and option not in value_words(issue, option):
                    assert option not in text, (option, text)
    rest = text
    for s in _model_strings(deal):
        rest = rest.replace(s, " ")
    assert not PRIVATE.search(rest), text
    assert "keep the rest of your offer" not in text and "costs us nothing" not in text
    assert not re.search(r"(?<![\d.,])\d{4,}", rest), f"an amount without separators: {text}"
    public = _public(deal)
    for x in _walk_aways(deal):
        for s in _spellings(x) - public:
            assert not re.search(r"(?<![\d.,])" + re.escape(s) + r"(?![\d]|[.,]\d)", text), (x, s, text)


def _number_forms(v: float) -> set[str]:
    out = {f"{v:,.2f}", f"{v:,.10g}"}
    if float(v).is_integer():
        out.add(f"{int(v):,}")
    return out


def assert_names(deal: CompiledDeal, text: str, name: str, value: Any) -> None:
    """The sentence names ``value`` for issue ``name`` and says which issue it is."""
    issue = deal.by_name[name]
    words = issue_words(issue)
    labelled = issue.kind == "ordinal" and float(value) in (getattr(issue.spec, "labels", None) or {})
    if not issue.numeric or labelled:
        shown = value_words(issue, value)
        assert shown in text, (name, shown, text)
    else:
        v = float(value)
        zero = v == 0 and any(w in text for w in ("immediate", f"no {words}", "waive"))
        forms = _number_forms(v)
        assert zero or any(re.search(r"(?<![\d.,])" + re.escape(f) + r"(?![\d]|[.,]\d)", text) for f in forms), (
            name,
            value,
            text,
        )
        shown = value_words(issue, value)
    whole = re.search(r"(?<!\w)" + re.escape(words) + r"(?!\w)", text) is not None
    said = whole or bool(_stems(words) & _stems(shown) and shown.split(" ", 1)[-1] in text)
    assert said, f"{name}: which issue is {shown!r}? {text}"


# ---------------------------------------------------------------- the words themselves


def test_join_words():
    assert [join_words(p) for p in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]


def test_issue_and_value_words_on_the_example_models():
    saas, cloud = deal_of("saas-renewal"), deal_of("cloud-migration")
    by = saas.by_name
    assert [issue_words(i) for i in saas.issues] == ["price per seat", "seats", "term", "payment", "support", "start"]
    assert value_words(by["price"], 111.5) == "111.50 USD/seat/month"
    assert value_words(by["price"], 87.25) == "87.25 USD/seat/month"  # off the grid
    assert value_words(by["price"], 95) == "95 USD/seat/month"
    assert value_words(by["seats"], 320) == "320 seats"
    assert value_words(by["term_months"], 36) == "36 months"  # the unit read from the name
    assert value_words(by["start_days"], 1) == "1 day"
    assert value_words(by["payment"], "annual_prepay") == "annual prepayment"
    assert value_words(cloud.by_name["sla"], "high_99_9") == "99.9 % availability"
    assert value_words(cloud.by_name["migration_fee"], 200000) == "200,000 USD"
    assert value_words(cloud.by_name["monthly_fee"], 48000) == "48,000 USD/month"
    assert money(saas, 1068203.6) == "1,068,204 USD" and money(saas, 12.5) == "12.50 USD"


def test_words_without_labels_or_units():
    text = """
format: dealopt/1
name: plain
currency: EUR
issues:
  price: {kind: continuous, min: 10, max: 20, step: 0.5}
  lead_days: {kind: integer, min: 0, max: 30, step: 10}
  contract_years: {kind: ordinal, options: [1, 2, 3]}
  billing: {kind: categorical, options: [time_and_materials, fixed_price]}
parties:
  seller: {utility: [{of: [price]}]}
  buyer: {utility: [{coef: -1, of: [price]}]}
"""
    deal = compile_model(model_from_text(text))
    by = deal.by_name
    assert [issue_words(i) for i in deal.issues] == ["price", "lead", "contract", "billing"]
    assert value_words(by["billing"], "time_and_materials") == "time and materials"
    assert value_words(by["contract_years"], 2) == "2 years"
    pkg = {"price": 12.5, "lead_days": 10, "contract_years": 3, "billing": "fixed_price"}
    assert package_words(deal, pkg) == "a price of 12.50 EUR, a 10-day lead, a 3-year contract and billing: fixed price"
    assert move_words(deal, "price", 12.5, 11) == "lower the price to 11 EUR"
    assert move_words(deal, "contract_years", 1, 3) == "extend the contract to 3 years"
    assert move_words(deal, "billing", "fixed_price", "time_and_materials") == "switch billing to time and materials"


def test_moves_have_the_right_verb():
    saas, cloud = deal_of("saas-renewal"), deal_of("cloud-migration")
    cases = [
        (saas, "price", 100, 95, "lower the price per seat to 95 USD/seat/month"),
        (saas, "price", 87.25, 111.5, "raise the price per seat to 111.50 USD/seat/month"),
        (saas, "term_months", 12, 36, "extend the term to 36 months"),
        (saas, "term_months", 36, 24, "shorten the term to 24 months"),
        (saas, "seats", 320, 400, "increase seats to 400"),
        (saas, "seats", 400, 300, "reduce seats to 300"),
        (saas, "start_days", 0, 30, "start in 30 days"),
        (saas, "start_days", 30, 0, "start immediately"),
        (saas, "payment", "net30", "annual_prepay", "move to annual prepayment"),
        (saas, "support", "standard", "premium", "move to premium support"),
        (cloud, "migration_fee", 100000, 0, "waive the one-time migration fee"),
        (cloud, "workloads", 150, 200, "increase to 200 applications"),
        (cloud, "sla", "standard_99_5", "high_99_9", "move to 99.9 % availability"),
    ]
    for deal, name, old, new, want in cases:
        assert move_words(deal, name, old, new) == want


def test_package_words_name_every_issue():
    saas = deal_of("saas-renewal")
    assert package_words(saas, SAAS_PACKAGE) == (
        "a price per seat of 111.50 USD/seat/month, 400 seats, a 36-month term, annual prepayment, "
        "premium support and a start in 30 days"
    )
    assert package_words(saas, SAAS_PACKAGE, ["support", "seats"]) == "400 seats and premium support"


# ---------------------------------------------------------------- counter sentences


def test_counter_sentence_forms():
    saas = deal_of("saas-renewal")
    pkg = SAAS_PACKAGE
    rest = "400 seats, a 36-month term, annual prepayment, premium support and a start in 30 days"
    assert counter_sentence(saas, pkg, {"price": 80}, [], ["price"]) == (
        f"If you raise the price per seat to 111.50 USD/seat/month, we have a deal with {rest}."
    )
    assert counter_sentence(saas, pkg, None, [], []) == f"We propose {package_words(saas, pkg)}."
    assert counter_sentence(saas, pkg, dict(pkg), [], []) == "We can agree to your offer as it stands."
    stated = {**pkg, "price": 120, "support": "standard"}
    assert counter_sentence(saas, pkg, stated, ["price", "support"], []) == (
        "We can lower the price per seat to 111.50 USD/seat/month and move to premium support."
    )
    stated = {**pkg, "price": 100, "support": "standard", "start_days": 0}
    assert counter_sentence(saas, pkg, stated, ["support"], ["price", "start_days"]) == (
        "If you raise the price per seat to 111.50 USD/seat/month and start in 30 days, we can move to premium support."
    )
    assert counter_sentence(saas, pkg, {"price": 111.5, "seats": 400}, [], []).startswith(
        "We can agree to the terms you named, with a 36-month term"
    )


@pytest.mark.parametrize("name", sorted(MODELS))
def test_counter_sentences_on_the_example_models(name):
    deal = deal_of(name)
    result = frontier(deal)
    rng = np.random.default_rng(7)
    packages = [p.package for p in result.points[:: max(1, len(result.points) // 5)]]
    for package in packages:
        for stated in _offers(deal, package, rng):
            gives, asks = _split(deal, package, stated, rng)
            text = counter_sentence(deal, package, stated, gives, asks)
            _check_counter(deal, package, stated, text)


def _offers(deal: CompiledDeal, package: dict[str, Any], rng: np.random.Generator) -> list[dict[str, Any] | None]:
    """None, the package itself, one other complete offer, a partial one, one off-grid (87.25-style) price."""
    other = {i.name: display_value(i.labels[rng.integers(len(i.labels))]) for i in deal.issues}
    partial = {k: v for k, v in other.items() if rng.random() < 0.4} or {
        deal.issues[0].name: other[deal.issues[0].name]
    }
    out: list[dict[str, Any] | None] = [None, dict(package), other, partial]
    price = price_issue(deal)
    if price is not None:
        issue = deal.by_name[price]
        x = float(issue.lo) + 0.37 * (float(issue.hi) - float(issue.lo)) + 0.25
        out.append({price: round(x, 2)})
    return out


def _split(deal, package, stated, rng):
    if not stated:
        return [], []
    moved = [n for n in stated if n in package and stated[n] != package[n]]
    gives = [n for n in moved if rng.random() < 0.5]
    return gives, [n for n in moved if n not in gives]


def _check_counter(deal: CompiledDeal, package: dict[str, Any], stated: dict[str, Any] | None, text: str) -> None:
    assert_buyer_safe(deal, text)
    said = stated or {}
    named = [n for n in package if n not in said or said[n] != package[n]]
    for n in named:
        assert_names(deal, text, n, package[n])
    if said and not named:
        assert text == "We can agree to your offer as it stands."
    if not said:
        assert text.startswith("We propose ")


@pytest.mark.skipif(not genius_deals(), reason="shared/cases is not here")
def test_counter_and_trade_sentences_on_genius_domains():
    rng = np.random.default_rng(3)
    for deal in genius_deals():
        for _ in range(2):
            package = {i.name: i.labels[rng.integers(len(i.labels))] for i in deal.issues}
            for stated in _offers(deal, package, rng):
                gives, asks = _split(deal, package, stated, rng)
                _check_counter(deal, package, stated, counter_sentence(deal, package, stated, gives, asks))
            _check_trades(deal, package, top=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models(), seed=st.integers(0, 10_000))
def test_counter_sentences_on_random_models(data, seed):
    deal = compile_model(model_from_data(data))
    rng = np.random.default_rng(seed)
    package = {i.name: display_value(i.labels[rng.integers(len(i.labels))]) for i in deal.issues}
    for stated in _offers(deal, package, rng):
        if stated:  # off-grid numbers: halfway between two levels
            for n in list(stated):
                issue = deal.by_name[n]
                if issue.numeric and rng.random() < 0.5:
                    stated[n] = float(stated[n]) + 0.5
        gives, asks = _split(deal, package, stated, rng)
        _check_counter(deal, package, stated, counter_sentence(deal, package, stated, gives, asks))


# ---------------------------------------------------------------- trades


def _check_trades(deal: CompiledDeal, package: dict[str, Any], top: int | None = 10) -> list[Any]:
    base = deal.package_index(package)
    result = find_trades(deal, base, min(2, len(deal.issues)), top)
    price = price_issue(deal)
    pol = deal.model.policy
    for t in result.trades:
        text = t.sentence
        assert_buyer_safe(deal, text)
        assert text.startswith(("If we ", "Can you ", "We can ")), text
        if t.gives and t.asks:
            assert text.startswith("If we ") and ", can you " in text
        for m in t.gives + t.asks:
            if m.issue == price and t.price_range is not None:
                lo, hi = t.price_range
                assert lo <= m.to <= hi and "–" in text
                assert any(f in text for f in _number_forms(lo)) and any(f in text for f in _number_forms(hi))
            else:
                assert_names(deal, text, m.issue, m.to)
        # flags: approval past the tiers, on the trade's price (the lowest of a collapsed range)
        want = None
        if price is not None and pol is not None and pol.list_price:
            low = min(t.price_range) if t.price_range else t.package[price]
            discount = 100 * (pol.list_price - low) / pol.list_price
            passed = [tier for tier in pol.tiers() if discount > tier.above_discount_pct + 1e-9]
            want = passed[-1].approver if passed else None
        codes = [f.code for f in t.flags]
        if want is None:
            assert "needs_approval" not in codes, (t.sentence, t.flags)
        else:
            assert codes == ["needs_approval"] and want in t.flags[0].detail, (t.sentence, t.flags)
    return list(result.trades)


def _feasible_packages(deal: CompiledDeal, n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(50 * n):
        pkg = {i.name: display_value(i.labels[rng.integers(len(i.labels))]) for i in deal.issues}
        if evaluate(deal, [pkg]).feasible[0]:
            out.append(pkg)
        if len(out) == n:
            break
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_trades_read_aloud_on_the_example_models(name):
    deal = deal_of(name)
    starts = [frontier(deal).nash.package, *_feasible_packages(deal, 4, seed=11)]
    wa = deal.model.parties.buyer.walk_away
    if wa is not None and not isinstance(wa, (int, float)):
        starts.append(dict(wa.package))
    seen = 0
    for start in starts:
        seen += len(_check_trades(deal, start))
    assert seen > 0


def test_trades_past_the_approval_tier_are_flagged_and_price_steps_collapse():
    deal = deal_of("saas-renewal")
    base = {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}
    result = dealopt.trades(deal, base, top=10)
    assert all([f.code for f in t.flags] == ["needs_approval"] for t in result.trades)  # 95 is a 20.8 % discount
    assert result.trades[0].sentence == "If we extend the term to 36 months, can you increase seats to 400?"
    collapsed = [t for t in result.trades if t.price_range is not None]
    assert collapsed
    t = collapsed[0]
    assert t.sentence == "We can lower the price per seat to 60–94.50 USD/seat/month and extend the term to 36 months."
    assert t.to_dict()["price_range"] == [60, 94.5] and "50.0%" in t.flags[0].detail
    keys = [_group_key(deal, deal.package_index(base), deal.package_index(t.package)) for t in result.trades]
    assert len(keys) == len(set(keys)), "two trades in the top N differ only in the price level"


def test_trades_name_the_highest_approval_tier_passed():
    from dealopt.model.reading import read_model_data

    data = read_model_data(MODELS["saas-renewal"]).data
    tiers = [
        {"above_discount_pct": 10, "approver": "sales manager"},
        {"above_discount_pct": 30, "approver": "VP sales"},
    ]
    data["policy"] = {**data["policy"], "approval_tiers": tiers}
    deal = compile_model(model_from_data(data))
    base = {"price": 110, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}
    trades = _check_trades(deal, base, top=None)  # the oracle recomputes every trade's tier
    details = {t.flags[0].detail.rsplit("needs ", 1)[-1] for t in trades if t.flags}
    assert details == {"sales manager", "VP sales"}
    assert any(not t.flags for t in trades)  # 110 is an 8.3 % discount: trades that keep it need no approval


def _group_key(deal, base, row):
    p = deal.by_name[price_issue(deal)].index
    key = list(row)
    key[p] = int(np.sign(row[p] - base[p]))
    return tuple(key)


def _brute_force(deal, base, k):
    ev0 = evaluate(deal, base[None, :])
    s0, b0 = float(ev0.seller[0]), float(ev0.buyer[0])
    tol_s, tol_b = 1e-9 * max(1, abs(s0)), 1e-9 * max(1, abs(b0))
    out = []
    sizes = [len(i.labels) for i in deal.issues]
    for r in range(1, k + 1):
        for subset in itertools.combinations(range(len(sizes)), r):
            for levels in itertools.product(*[[v for v in range(sizes[i]) if v != base[i]] for i in subset]):
                row = base.copy()
                row[list(subset)] = levels
                ev = evaluate(deal, row[None, :])
                ds, db = float(ev.seller[0]) - s0, float(ev.buyer[0]) - b0
                if ev.feasible[0] and ds >= -tol_s and db >= -tol_b and (ds > tol_s or db > tol_b):
                    out.append((ds + db, ds, db, row))

    def idle(ds: float, db: float, row: np.ndarray) -> bool:
        """A move that adds nothing: reverting it leaves a trade at least as good for both."""
        for j in np.flatnonzero(row != base) if (row != base).sum() > 1 else ():
            back = row.copy()
            back[j] = base[j]
            ev = evaluate(deal, back[None, :])
            if ev.feasible[0] and ev.seller[0] - s0 >= ds - tol_s and ev.buyer[0] - b0 >= db - tol_b:
                return True
        return False

    return [(joint, row) for joint, ds, db, row in out if not idle(ds, db, row)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models(), seed=st.integers(0, 10_000))
def test_collapsed_trades_match_brute_force(data, seed):
    """Each group of trades that differ only in the price level is one trade: its best, its price range."""
    first = next(iter(data["issues"]))
    if data["issues"][first]["kind"] == "categorical":
        return
    data = {**data, "policy": {"price_issue": first}}
    deal = compile_model(model_from_data(data))
    rng = np.random.default_rng(seed)
    base = np.array([rng.integers(0, len(i.labels)) for i in deal.issues])
    result = find_trades(deal, base, 2, top=None)
    ref = _brute_force(deal, base, 2)
    groups: dict[tuple, list] = {}
    for joint, row in ref:
        groups.setdefault(_group_key(deal, base, row), []).append((joint, row))
    got = {_group_key(deal, base, deal.package_index(t.package)): t for t in result.trades}
    assert set(got) == set(groups)
    price = deal.issues[0]
    for key, members in groups.items():
        t = got[key]
        best = max(j for j, _ in members)
        assert abs(t.joint_gain - best) <= 1e-7 * max(1.0, abs(best))
        values = sorted(display_value(price.labels[row[0]]) for _, row in members)
        assert t.price_range == ((values[0], values[-1]) if len(members) > 1 else None)
    gains = [t.joint_gain for t in result.trades]
    assert gains == sorted(gains, reverse=True)


def test_trade_sentence_forms():
    saas = deal_of("saas-renewal")
    base = {**SAAS_PACKAGE, "price": 100, "term_months": 24}
    assert trade_sentence(saas, base, SAAS_PACKAGE, ["term_months"], ["price"]) == (
        "If we extend the term to 36 months, can you raise the price per seat to 111.50 USD/seat/month?"
    )
    asks_only = trade_sentence(saas, base, {**base, "price": 111.5}, [], ["price"], ranges={"price": (105, 111.5)})
    assert asks_only.startswith("Can you raise the price per seat to 105–111.50 USD/seat/month? ")
    assert trade_sentence(saas, base, {**base, "term_months": 36}, ["term_months"], []) == (
        "We can extend the term to 36 months."
    )


# ---------------------------------------------------------------- models, CLI, the old names


def _strip_words(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_words(v) for k, v in data.items() if k not in ("labels", "label", "unit", "description")}
    if isinstance(data, list):
        return [_strip_words(v) for v in data]
    return data


@pytest.mark.parametrize("name", sorted(MODELS))
def test_labels_never_change_what_a_package_means(name):
    from dealopt.model.reading import read_model_data

    deal = deal_of(name)
    bare = compile_model(model_from_data(_strip_words(read_model_data(MODELS[name]).data)))
    rows = np.array(list(itertools.islice(itertools.product(*[range(len(i.labels)) for i in deal.issues]), 20000)))
    a, b = dealopt.model.evaluation.evaluate_indices(deal, rows), dealopt.model.evaluation.evaluate_indices(bare, rows)
    assert np.array_equal(a.seller, b.seller) and np.array_equal(a.buyer, b.buyer)
    assert np.array_equal(a.feasible, b.feasible)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_cli_show_trades_and_schema():
    model = str(MODELS["saas-renewal"])
    r = _cli("show", model)
    assert r.returncode == 0 and "annual_prepay (annual prepayment)" in r.stdout
    base = '{"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}'
    r = _cli("trades", model, "--from", base, "--top", "3")
    assert r.returncode == 0 and "flags" in r.stdout and "needs_approval" in r.stdout
    r = _cli("schema")
    assert r.returncode == 0 and '"labels"' in r.stdout
    assert "labels" in json.dumps(json.loads(r.stdout))


def test_the_old_names_still_import():
    from dealopt.negotiation.packages import issue_label
    from dealopt.negotiation.trades import join_words as jw
    from dealopt.negotiation.trades import move_phrase

    saas = deal_of("saas-renewal")
    assert jw(["a", "b"]) == "a and b" and issue_label(saas.by_name["term_months"]) == "term"
    assert move_phrase(saas, "term_months", 0, 2) == "extend the term to 36 months"
