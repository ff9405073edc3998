"""The alternating-offers protocol, our engine's seat in it, the judge's measures, `dealopt simulate` and the
negotiation benchmark."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import dealopt
from conftest import MODELS, ROOT
from dealopt import compile_model, load_model, model_from_data
from dealopt.errors import OptionError
from dealopt.interfaces.cli import app
from dealopt.negotiation.agents import AGENTS, Turn, make_agent
from dealopt.negotiation.agents.base import Action, Agent, accept, end, offer
from dealopt.negotiation.engine_seat import EngineAgent
from dealopt.negotiation.protocol import negotiate
from dealopt.negotiation.scoring import pareto_front, score, setting
from dealopt.negotiation.simulate import BUYERS, guessed_deal, simulate
from dealopt.negotiation.space import outcome_space

TINY = {
    "format": "dealopt/1",
    "name": "tiny",
    "currency": "USD",
    "issues": {
        "price": {"kind": "integer", "min": 10, "max": 20},
        "support": {"kind": "categorical", "options": ["basic", "premium"]},
    },
    "parties": {
        "seller": {"walk_away": 12, "utility": [{"of": ["price"]}, {"of": [{"support": {"basic": 0, "premium": -2}}]}]},
        "buyer": {
            "walk_away": -19,
            "utility": [{"coef": -1, "of": ["price"]}, {"of": [{"support": {"basic": 0, "premium": 5}}]}],
        },
    },
}


def tiny():
    return compile_model(model_from_data(TINY))


@dataclass
class Scripted(Agent):
    """Plays a fixed list of actions and records every turn it sees."""

    script: list[Action]
    turns: list[Turn] = field(default_factory=list)

    def act(self, turn: Turn) -> Action:
        self.turns.append(turn)
        return self.script[min(len(self.turns), len(self.script)) - 1]


def stubborn(package: int) -> Scripted:
    return Scripted([offer(package)])


# ---------------------------------------------------------------- the protocol


@pytest.mark.parametrize("rounds", [1, 5, 100])
def test_the_clock_never_reaches_one(rounds: int) -> None:
    seller, buyer = stubborn(1), stubborn(2)
    run = negotiate(seller, buyer, rounds)
    assert run.agreement is None and run.outcome == "deadline" and run.steps == rounds
    times = [t.time for t in seller.turns]
    assert times == [(k + 1) / (rounds + 1) for k in range(rounds)]
    assert max(times) < 1.0
    assert [t.time for t in buyer.turns] == times  # both sides see the same clock in a step


def test_the_last_step_is_played_by_both_sides_then_no_deal() -> None:
    seller, buyer = stubborn(1), stubborn(2)
    run = negotiate(seller, buyer, 3)
    assert [(m.step, m.by, m.action, m.package) for m in run.transcript] == [
        (0, "buyer", "offer", 2),
        (0, "seller", "offer", 1),
        (1, "buyer", "offer", 2),
        (1, "seller", "offer", 1),
        (2, "buyer", "offer", 2),
        (2, "seller", "offer", 1),
    ]
    assert seller.turns[-1] == Turn(2, 3, 2) and buyer.turns[0] == Turn(0, 3, None)


def test_an_acceptance_is_an_agreement_on_the_standing_offer() -> None:
    seller = Scripted([offer(5), accept()])
    buyer = Scripted([offer(9), offer(7)])
    run = negotiate(seller, buyer, 10)
    assert run.agreement == 7 and run.ended_by == "seller" and run.steps == 2
    assert run.transcript[-1].action == "accept" and run.transcript[-1].package == 7


def test_the_seller_may_move_first_and_either_side_may_end() -> None:
    seller, buyer = stubborn(4), Scripted([end()])
    run = negotiate(seller, buyer, 10, first="seller")
    assert seller.turns[0].offer is None and buyer.turns[0].offer == 4
    assert run.agreement is None and run.outcome == "ended" and run.ended_by == "buyer" and run.steps == 1


def test_accepting_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no offer"):
        negotiate(stubborn(1), Scripted([accept()]), 3)
    with pytest.raises(ValueError, match="rounds"):
        negotiate(stubborn(1), stubborn(2), 0)


def test_two_standard_agents_reach_a_deal_both_accept() -> None:
    judge = setting(tiny())
    run = negotiate(make_agent("linear", judge.seller), make_agent("linear", judge.buyer), 20)
    assert run.agreement is not None
    assert judge.seller.utility(run.agreement) >= judge.seller.reservation
    assert judge.buyer.utility(run.agreement) >= judge.buyer.reservation


# ---------------------------------------------------------------- our engine's seat


def test_engine_seat_plays_the_public_api_and_maps_counters_back() -> None:
    deal = tiny()
    judge = setting(deal)
    engine = EngineAgent(deal)
    run = negotiate(engine, make_agent("conceder", judge.buyer), 10)
    space = outcome_space(deal)
    ours = [m for m in run.transcript if m.by == "seller" and m.action == "offer"]
    sent = [o for o in engine.history if o.by == "seller"]
    assert len(ours) == len(sent) and not engine.failures
    for move, o in zip(ours, sent):
        assert deal.package_labels(space.rows(np.array([move.package]))[0]) == o.package
    buyers = [m for m in run.transcript if m.by == "buyer" and m.action == "offer"]
    assert [o.package for o in engine.history if o.by == "buyer"] == [
        deal.package_labels(space.rows(np.array([m.package]))[0]) for m in buyers
    ]
    assert all(isinstance(o, dealopt.Offer) for o in engine.history)


def test_engine_seat_can_open_when_the_seller_moves_first() -> None:
    result = simulate(tiny(), "linear", 6, first="seller")
    assert result.transcript[0]["by"] == "seller" and result.transcript[0]["action"] == "offer"
    assert not result.failures


def _fake_counter(answers: list[str], calls: list[dict], package: dict | None = None):
    def counter(deal, history, **kw):
        calls.append({"n": len(history), **kw})
        rec = answers[min(len(calls), len(answers)) - 1]
        counters = (SimpleNamespace(package=package),) if package is not None and rec == "counter" else ()
        return SimpleNamespace(recommendation=rec, counters=counters)

    return counter


def test_engine_seat_asks_with_round_and_deadline(monkeypatch) -> None:
    deal = tiny()
    calls: list[dict] = []
    monkeypatch.setattr(dealopt, "counter", _fake_counter(["counter"], calls, {"price": 20, "support": "basic"}))
    run = negotiate(EngineAgent(deal), make_agent("hardliner", setting(deal).buyer), 4)
    assert run.outcome == "deadline"
    assert [c["round"] for c in calls] == [1, 2, 3, 4]
    assert {c["deadline"] for c in calls} == {4} and {c["top"] for c in calls} == {1}
    assert [c["n"] for c in calls] == [1, 3, 5, 7]  # the buyer's offer and our previous counters


@pytest.mark.parametrize(
    ("answers", "package", "failure"),
    [
        (["counter"], None, "empty_counter"),
        (["counter"], {"price": 15.5, "support": "basic"}, "off_grid_counter"),
    ],
)
def test_engine_answers_that_cannot_be_played_end_the_negotiation_and_are_counted(
    monkeypatch, answers, package, failure
) -> None:
    deal = tiny()
    monkeypatch.setattr(dealopt, "counter", _fake_counter(answers, [], package))
    result = simulate(deal, "boulware", 10)
    assert result.failures == (failure,)
    assert result.outcome == "ended" and result.agreement is None and result.steps == 1


def test_engine_walk_away_ends_without_failure(monkeypatch) -> None:
    monkeypatch.setattr(dealopt, "counter", _fake_counter(["walk_away"], []))
    result = simulate(tiny(), "boulware", 10)
    assert result.outcome == "ended" and result.ended_by == "seller" and result.failures == ()


def test_engine_told_a_guessed_buyer_reads_the_guessed_model() -> None:
    deal = tiny()
    seen = []
    real = dealopt.counter

    def spy(model, history, **kw):
        seen.append(model)
        return real(model, history, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dealopt, "counter", spy)
        simulate(deal, "linear", 3, guessed=True)
    assert seen and all(m is guessed_deal(deal) for m in seen)
    assert guessed_deal(deal).buyer_walk_away is None


# ---------------------------------------------------------------- the judge


def test_pareto_front_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    s, b = np.round(rng.random(300), 2), np.round(rng.random(300), 2)
    front = {tuple(p) for p in pareto_front(s, b)}
    brute = {(x, y) for x, y in zip(s, b) if not np.any((s >= x) & (b >= y) & ((s > x) | (b > y)))}
    assert front == brute


def test_scores_are_normalized_and_no_deal_counts_at_the_walk_aways() -> None:
    deal = tiny()
    judge = setting(deal)
    assert judge.seller.best == 1.0 and judge.seller.worst == 0.0
    assert judge.seller.reservation == pytest.approx((12 - 8) / (20 - 8))  # seller utility spans 8 (10, premium) .. 20
    none = score(judge, negotiate(stubborn(0), stubborn(1), 2))
    assert not none.agreement and none.seller == judge.seller.reservation and none.buyer == judge.buyer.reservation
    assert none.frontier_distance is None and none.nash_distance is None
    space = outcome_space(deal)
    nash_flat = int(space.flat(deal.package_index({"price": 15, "support": "premium"}))[0])
    agreed = negotiate(Scripted([offer(3), accept()]), stubborn(nash_flat), 3)
    sc = score(judge, agreed)
    assert sc.agreement and sc.frontier_distance == 0.0 and not sc.below_walk_away
    assert sc.seller == judge.seller.utility(nash_flat) and sc.joint == sc.seller + sc.buyer


def test_an_agreement_below_our_walk_away_is_flagged() -> None:
    deal = tiny()
    judge = setting(deal)
    cheap = int(outcome_space(deal).flat(deal.package_index({"price": 10, "support": "basic"}))[0])
    sc = score(judge, negotiate(Scripted([offer(3), accept()]), stubborn(cheap), 3))
    assert sc.below_walk_away


def test_profiles_model_plays_the_most_probable_profile() -> None:
    deal = compile_model(load_model(MODELS / "cloud-migration.yaml"))
    judge = setting(deal)
    top = max(deal.profiles, key=lambda p: p.probability)
    assert judge.buyer_profile == top.name
    result = simulate(deal, "hardliner", 2, seller="hardliner")
    assert result.buyer_profile == top.name and result.outcome == "deadline"


def test_simulate_rejects_unknown_names_in_their_own_words() -> None:
    deal = tiny()
    with pytest.raises(OptionError, match=r"^opponent: 'nobody'; expected one of boulware"):
        simulate(deal, "nobody")
    with pytest.raises(OptionError, match=r"^seller: 'x'; expected one of engine, boulware"):
        simulate(deal, "linear", seller="x")
    with pytest.raises(OptionError, match=r"^rounds: 0; expected a number ≥ 1$"):
        simulate(deal, "linear", 0)
    with pytest.raises(OptionError, match="only our engine is told a buyer model"):
        simulate(deal, "linear", seller="linear", guessed=True)


@pytest.mark.parametrize("seller", ["engine", *AGENTS])
def test_every_seller_against_every_buyer_ends_and_is_judged(seller: str) -> None:
    deal = tiny()
    for name in BUYERS:
        r = simulate(deal, name, 12, seller=seller, seed=4)
        assert 1 <= r.steps <= 12 and not r.score.below_walk_away
        if r.agreement is not None:
            assert r.score.frontier_distance is not None and r.transcript[-1]["action"] == "accept"
        assert r == simulate(deal, name, 12, seller=seller, seed=4)  # deterministic


# ---------------------------------------------------------------- dealopt simulate


def test_cli_simulate_prints_one_row_per_opponent() -> None:
    res = CliRunner().invoke(app, ["simulate", str(MODELS / "saas-renewal.yaml"), "--rounds", "8"])
    assert res.exit_code == 0, res.output
    for name in AGENTS:
        assert name in res.stdout
    for col in ("agreement", "our utility", "buyer's", "joint", "to frontier", "to Nash", "rounds"):
        assert col in res.stdout


def test_cli_simulate_json_transcript_and_baseline() -> None:
    model = str(MODELS / "cloud-migration.yaml")
    res = CliRunner().invoke(
        app,
        ["simulate", model, "--opponent", "linear", "--seller", "boulware", "--rounds", "6", "--json", "--transcript"],
    )
    assert res.exit_code == 0, res.output
    (data,) = json.loads(res.stdout)
    assert data["seller_agent"] == "boulware" and data["opponent"] == "linear" and data["rounds"] == 6
    assert data["buyer_profile"] == "cost_cutter"
    assert data["transcript"][0]["by"] == "buyer" and "package" in data["transcript"][0]
    text = CliRunner().invoke(app, ["simulate", model, "--opponent", "micro", "--rounds", "3", "--transcript"])
    assert text.exit_code == 0 and "most probable profile" in text.stdout and "step   1" in text.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--opponent", "nobody"], "opponent: 'nobody'; expected one of"),
        (["--seller", "nobody"], "--seller: 'nobody'; expected one of engine, boulware"),
        (["--rounds", "0"], "--rounds: 0; expected a number ≥ 1"),
        (["--seller", "linear", "--guessed"], "--guessed: True; expected false: only our engine"),
    ],
)
def test_cli_simulate_bad_options_exit_2_in_one_line(args: list[str], words: str) -> None:
    res = CliRunner().invoke(app, ["simulate", str(MODELS / "saas-renewal.yaml"), *args])
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {words}") and "Traceback" not in res.output


# ---------------------------------------------------------------- the benchmark


def test_negotiation_benchmark_smoke(capsys, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # as when run as a script: its helpers sit beside it
    spec = importlib.util.spec_from_file_location("negotiation_bench", ROOT / "benchmarks" / "negotiation.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--scenario", "Laptop", "--scenario", "saas-renewal", "--rounds", "10"]) == 0
    printed = capsys.readouterr().out
    for words in ("engine_guessed", "per opponent", "margin of our engine", "targets, engine", "hardliner"):
        assert words in printed
