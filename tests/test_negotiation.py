"""Trades and counter-offers: every rule of the negotiating discipline, proved on models."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealopt
from cli_runner import run_cli as in_process
from conftest import model_files
from dealopt import PackageError, compile_model, load_model, model_from_data
from dealopt.errors import OptionError
from dealopt.model.evaluation import evaluate
from dealopt.negotiation.counter import Offer, recommend
from dealopt.negotiation.packages import package_index
from dealopt.negotiation.rules import move_kind
from dealopt.negotiation.simulate import BUYERS, simulate
from dealopt.negotiation.space import outcome_space
from dealopt.negotiation.trades import find_trades
from random_models import deal_models

MODELS = {p.stem: p for p in model_files()}


def deal_of(name: str):
    return compile_model(load_model(MODELS[name]))


def utilities(deal, package):
    ev = evaluate(deal, [package])
    return float(ev.seller[0]), float(ev.buyer[0])


# ---------------------------------------------------------------- trades


def brute_force_trades(deal, base, k):
    """Every valid trade by listing all packages within k changes, in plain Python."""
    ev0 = evaluate(deal, base[None, :])
    s0, b0 = ev0.seller[0], ev0.buyer[0]
    out = []
    sizes = [len(i.labels) for i in deal.issues]
    for r in range(1, k + 1):
        for subset in itertools.combinations(range(len(sizes)), r):
            for levels in itertools.product(*[[lv for lv in range(sizes[i]) if lv != base[i]] for i in subset]):
                row = base.copy()
                row[list(subset)] = levels
                ev = evaluate(deal, row[None, :])
                ds, db = ev.seller[0] - s0, ev.buyer[0] - b0
                tol_s, tol_b = 1e-9 * max(1, abs(s0)), 1e-9 * max(1, abs(b0))
                if ev.feasible[0] and ds >= -tol_s and db >= -tol_b and (ds > tol_s or db > tol_b):
                    out.append((ds + db, ds, db, tuple(row)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=deal_models(), seed=st.integers(0, 10_000), k=st.integers(1, 3))
def test_trades_match_brute_force(data, seed, k):
    deal = compile_model(model_from_data(data))
    k = min(k, len(deal.issues))
    rng = np.random.default_rng(seed)
    base = np.array([rng.integers(0, len(i.labels)) for i in deal.issues])
    result = find_trades(deal, base, k, top=None)
    ref = brute_force_trades(deal, base, k)
    if not ref:
        assert result.trades == ()
        return
    best = max(r[0] for r in ref)
    assert result.trades, "a trade exists but none was listed"
    assert abs(result.trades[0].joint_gain - best) <= 1e-7 * max(1.0, abs(best))
    valid = {r[3] for r in ref}
    gains = [t.joint_gain for t in result.trades]
    assert gains == sorted(gains, reverse=True)
    for t in result.trades:
        row = tuple(package_index(deal, t.package))
        assert row in valid
        assert 1 <= len(t.gives) + len(t.asks) <= k
        assert t.seller_gain >= -1e-7 and t.buyer_gain >= -1e-7


def test_trade_gives_and_asks_follow_the_definition():
    deal = deal_of("saas-renewal")
    base_pkg = {
        "price": 95,
        "seats": 300,
        "term_months": 12,
        "payment": "net30",
        "support": "standard",
        "start_days": 0,
    }
    base = package_index(deal, base_pkg)
    s0, b0 = utilities(deal, base_pkg)
    result = dealopt.trades(deal, base_pkg, max_issues=2, top=20)
    assert result.trades
    tol_s, tol_b = 1e-9 * max(1.0, abs(s0)), 1e-9 * max(1.0, abs(b0))
    for t in result.trades:
        for m in t.gives + t.asks:
            alone = dict(base_pkg)
            alone[m.issue] = m.to
            s, b = utilities(deal, alone)
            kind = move_kind(s - s0, b - b0, tol_s, tol_b)
            # the one give/ask rule: a move the buyer gains from alone is a give (a mutual one too)
            assert kind in (("give", "mutual") if m in t.gives else ("ask", "neutral")), (m, kind)
            if m in t.gives:
                assert b > b0 or (s < s0 and b >= b0 - tol_b)
            else:
                assert b <= b0 + tol_b
        if t.gives and t.asks:
            assert t.sentence.startswith("If we ") and "can you" in t.sentence
    assert result.trades[0].sentence == "If we extend the term to 36 months, can you increase seats to 400?"
    assert base.shape == (6,)


def test_trades_from_a_bargaining_package_finds_none():
    deal = deal_of("saas-renewal")
    for name in ("nash", "max_joint"):
        assert dealopt.trades(deal, name).trades == ()


def test_trades_bad_input():
    deal = deal_of("saas-renewal")
    with pytest.raises(PackageError, match="missing issue"):
        dealopt.trades(deal, {"price": 95})
    with pytest.raises(OptionError, match="max_issues"):
        dealopt.trades(deal, "nash", max_issues=9)
    with pytest.raises(OptionError, match=r"^from_package: 'fair'; expected a package or one of nash") as info:
        dealopt.trades(deal, "fair")
    assert info.value.param == "from_package"


# ---------------------------------------------------------------- counter-offers
# (every invariant of a counter is judged together in test_counter_invariants.py; the issue's cases in test_counter.py)


def test_discount_past_approval_is_flagged():
    deal = deal_of("saas-renewal")
    seen = 0
    for t in (0.8, 0.9, 0.95, 0.99):
        for c in recommend(deal, [], t, top=3).counters:
            codes = [f.code for f in c.flags]
            assert ("needs_approval" in codes) == (c.package["price"] < 120 * 0.85 - 1e-9), (c.package, codes)
            seen += "needs_approval" in codes
    assert seen


def test_beliefs_learn_from_offers():
    deal = deal_of("cloud-migration")
    space = outcome_space(deal)
    names = [p.name for p in deal.profiles]
    prior = recommend(deal, [], 0.2).beliefs
    assert prior == pytest.approx({p.name: p.probability for p in deal.profiles})
    lo, hi = space.profile_range
    scaled = (space.profiles - lo[:, None]) / (hi - lo)[:, None]
    for j, name in enumerate(names):
        # an offer that tells this profile apart: much better for it than for the others
        contrast = scaled[j] - np.delete(scaled, j, axis=0).max(axis=0)
        best = int(np.argmax(np.where(space.feasible, contrast, -np.inf)))
        pkg = deal.package_labels(space.rows(np.array([best]))[0])
        post = recommend(deal, [Offer("buyer", pkg)] * 3, 0.2).beliefs
        assert abs(sum(post.values()) - 1) < 1e-9
        assert post[name] > prior[name], (name, post)


def test_learned_utility_orders_what_the_offers_never_named_as_the_model_does():
    """Levels no offer named have equal counts: the buyer model, not the package index, orders them."""
    from dealopt.negotiation.beliefs import belief
    from dealopt.negotiation.simulate import guessed_deal

    deal = guessed_deal(deal_of("saas-renewal"))
    space = outcome_space(deal)
    pay = [i.name for i in deal.issues].index("payment")
    feas = np.flatnonzero(space.feasible)
    rows = space.rows(feas)
    named = rows[rows[:, pay] == 0][:: max(1, int((rows[:, pay] == 0).sum()) // 6)][:6]  # only net30 is named
    offers = [{i: int(r[i]) for i in range(len(r))} for r in named]
    bel = belief(space, offers)
    assert bel.learned is not None and bel.model_weight < 1.0
    base = named[0].copy()
    pair = []
    for level in (1, 2):  # net60 and annual_prepay: never named
        base[pay] = level
        pair.append(int(space.flat(base[None, :])[0]))
    a, b = pair
    assert space.buyer[a] != space.buyer[b]
    assert np.sign(bel.learned[a] - bel.learned[b]) == np.sign(space.buyer[a] - space.buyer[b])


def test_accept_when_offer_reaches_our_counter():
    deal = deal_of("saas-renewal")
    rec = recommend(deal, [], 0.5)
    generous = rec.counters[0].package
    rec2 = recommend(deal, [Offer("buyer", generous)], 0.5)
    assert rec2.recommendation == "accept" and rec2.accepted_package == generous


def test_walk_away_without_zopa():
    data = load_model(MODELS["saas-renewal"]).to_file_data()
    data["parties"]["seller"]["walk_away"] = 2_000_000
    deal = compile_model(model_from_data(data))
    rec = recommend(deal, [], 0.1)
    assert rec.recommendation == "walk_away" and "walk-away" in rec.reason and rec.counters == ()


def test_bad_histories():
    deal = deal_of("saas-renewal")
    for bad in (
        {"by": "buyer"},
        [{"by": "rep", "package": {"price": 90}}],
        [{"by": "buyer", "package": {"price": "ninety"}}],
        [{"by": "buyer", "package": {"colour": "red"}}],
    ):
        with pytest.raises(PackageError):
            dealopt.counter(deal, bad, progress=0.5)
    with pytest.raises(OptionError, match="progress"):
        dealopt.counter(deal, [], progress=1.5)
    assert dealopt.counter(deal, [], round=3, deadline=10).progress == pytest.approx(0.3)


# ---------------------------------------------------------------- simulation


@pytest.mark.parametrize("name", sorted(MODELS))
def test_conceding_buyer_reaches_an_efficient_deal(name):
    res = simulate(deal_of(name), "conceder", 20)
    assert res.agreement is not None and not res.failures
    assert res.score.frontier_distance <= 0.05  # normalized utilities: close to the Pareto frontier


@pytest.mark.parametrize("name", sorted(MODELS))
def test_simulation_against_every_buyer_ends(name):
    deal = deal_of(name)
    for buyer in BUYERS:
        res = simulate(deal, buyer, 20)
        assert res.steps <= 20 and not res.score.below_walk_away
        if res.agreement is not None:
            s, _ = utilities(deal, res.agreement)
            assert s >= (deal.seller_walk_away or -np.inf) - 1e-6


# ---------------------------------------------------------------- the CLI


def run_cli(*args: str):
    return in_process(*args)


def test_cli_trades_and_counter_json(tmp_path):
    model = str(MODELS["saas-renewal"])
    pkg = '{"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}'
    r = run_cli("trades", model, "--from", pkg, "--json", "--top", "3")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"from", "trades", "method"} and len(d["trades"]) == 3 and d["method"] == "listed"
    assert set(d["trades"][0]) == {
        "gives",
        "asks",
        "seller_gain",
        "buyer_gain",
        "joint_gain",
        "package",
        "sentence",
        "flags",
        "price_range",
    }
    assert all(set(f) == {"code", "detail"} for t in d["trades"] for f in t["flags"])
    hist = tmp_path / "h.yaml"
    hist.write_text("- by: buyer\n  package: {price: 80, term_months: 24}\n")
    r = run_cli("counter", model, "--history", str(hist), "--progress", "0.4", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {
        "recommendation",
        "reason",
        "counters",
        "accepted_package",
        "accepted_sentence",
        "last_best_offer",
        "aspiration",
        "concession_used",
        "progress",
        "turns_left",
        "beliefs",
        "notes",
    }
    assert d["recommendation"] == "counter" and d["counters"]
    assert set(d["counters"][0]) == {
        "package",
        "seller",
        "buyer",
        "joint",
        "acceptance_probability",
        "sentence",
        "gives",
        "asks",
        "flags",
    }
    r = run_cli("counter", model, "--history", str(hist), "--round", "2", "--deadline", "10")
    assert r.returncode == 0 and "counter" in r.stdout


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["trades", "{model}", "--from", '{"price": 95}'], "missing issue"),
        (["trades", "{model}", "--from", "{not json"], "not valid JSON"),
        (["counter", "{model}", "--history", "{hist}", "--round", "3"], "--round/--deadline"),
        (["counter", "{model}", "--history", "{hist}", "--progress", "2"], "expected a number in [0, 1]"),
        (["counter", "{model}", "--history", "{bad}", "--progress", "0.5"], "history"),
    ],
)
def test_cli_negotiation_errors_exit_2(tmp_path, args, phrase):
    hist = tmp_path / "h.yaml"
    hist.write_text("- by: buyer\n  package: {price: 80}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- by: buyer\n  package: {price: cheap}\n")
    subs = {"{model}": str(MODELS["saas-renewal"]), "{hist}": str(hist), "{bad}": str(bad)}
    argv = [subs.get(a, a) for a in args]
    r = run_cli(*argv)
    assert r.returncode == 2, r.stdout + r.stderr
    assert phrase in r.stderr and "Traceback" not in r.stderr
