"""Reading the buyer's pace: hold against a buyer that concedes alone, step when a buyer waits for our move.

Outcomes are judged in a real alternating-offers negotiation against the
standard agents (true utilities, the engine told the model), and every answer
on the way is checked by the independent judge in ``tests/invariants.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dealopt
from dealopt.model import compile_model, load_model
from dealopt.negotiation import pace
from dealopt.negotiation.offers import Offer
from dealopt.negotiation.simulate import simulate
from dealopt.negotiation.situation import read_situation
from dealopt.negotiation.space import outcome_space
from invariants import check_counter

MODELS = Path(__file__).parent.parent / "models"


def _deal(name: str) -> Any:
    return compile_model(load_model(MODELS / f"{name}.yaml"))


def _ladder(deal: Any, n: int) -> list[dict[str, Any]]:
    """``n`` allowed packages from the best for the buyer downwards: a buyer conceding step by step."""
    space = outcome_space(deal)
    order = np.argsort(-space.buyer, kind="stable")
    ok = order[space.seller[order] >= (deal.seller_walk_away or -np.inf)]
    picks = ok[np.linspace(0, len(ok) // 2, n).astype(int)]
    return [deal.package_labels(space.rows(np.array([f]))[0]) for f in picks]


def _history(buyer: list[dict[str, Any]], seller: list[dict[str, Any]]) -> list[Offer]:
    out: list[Offer] = []
    for b, s in zip(buyer, seller, strict=False):
        out += [Offer("buyer", b), Offer("seller", s)]
    if len(buyer) > len(seller):
        out.append(Offer("buyer", buyer[-1]))
    return out


def test_a_buyer_conceding_alone_lets_us_hold() -> None:
    deal = _deal("saas-renewal")
    ours = dealopt.counter(deal, [], round=1, deadline=40).counters[0].package
    buyer = _ladder(deal, 8)
    sit = read_situation(deal, _history(buyer, [ours] * 7), 5.0)
    assert not any(sit.we_moved[2:])  # our opening is our only move
    target = float(np.min(sit.space.seller[sit.zopa]))
    assert pace.pace_hold(sit, target, turns_left=10) > target


def test_a_buyer_that_only_answers_our_moves_gives_no_reason_to_hold() -> None:
    deal = _deal("saas-renewal")
    buyer = _ladder(deal, 8)
    space = outcome_space(deal)
    mine = np.argsort(-space.seller, kind="stable")[:7]
    seller = [deal.package_labels(space.rows(np.array([f]))[0]) for f in mine]  # a new counter every time
    sit = read_situation(deal, _history(buyer, seller), 5.0)
    assert all(sit.we_moved[1:])
    target = float(np.min(sit.space.seller[sit.zopa]))
    assert pace.pace_hold(sit, target, turns_left=10) == target


def test_a_buyer_going_back_to_an_earlier_offer_gets_a_new_counter() -> None:
    model = load_model(MODELS / "saas-renewal.yaml")
    deal = compile_model(model)
    buyer = _ladder(deal, 3)
    history: list[dict[str, Any]] = []
    for b in (buyer[0], buyer[1], buyer[0]):  # it went back: it waits for us
        history.append({"by": "buyer", "package": b})
        rec = dealopt.counter(deal, history, round=len(history) // 2 + 1, deadline=40)
        assert rec.recommendation == "counter"
        history.append({"by": "seller", "package": rec.counters[0].package})
    sit = read_situation(deal, [Offer(h["by"], h["package"]) for h in history[:-1]], 5.0)
    assert sit.buyer_waits
    last, before = history[-1]["package"], history[-3]["package"]
    assert last != before
    space = outcome_space(deal)
    b_last = space.buyer[
        space.flat(np.array([deal.issues[i].index_of(last[x.name]) for i, x in enumerate(deal.issues)]))
    ]
    b_before = space.buyer[
        space.flat(np.array([deal.issues[i].index_of(before[x.name]) for i, x in enumerate(deal.issues)]))
    ]
    assert b_last[0] > b_before[0]  # a real step toward the buyer
    doc = dealopt.counter(deal, history[:-1], round=len(history) // 2, deadline=40).to_dict()
    assert not check_counter(model, history[:-1], doc)


@pytest.mark.parametrize(("opponent", "gains"), [("linear", True), ("conceder", True), ("tit_for_tat", False)])
def test_holding_pays_against_buyers_that_concede_alone_only(
    opponent: str, gains: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal = _deal("cloud-migration")
    with_pace = simulate(deal, opponent, 100, seed=3)
    monkeypatch.setattr(pace, "PACE_SHARE", 0.0)
    without = simulate(deal, opponent, 100, seed=3)
    assert not with_pace.score.below_walk_away
    if gains:  # a time-dependent buyer concedes whatever we do: holding gets more
        assert with_pace.score.agreement and without.score.agreement
        assert with_pace.score.seller > without.score.seller + 1e-3
    else:  # a buyer mirroring our moves concedes only when we do: nothing to hold for, the same negotiation
        assert with_pace.score.agreement == without.score.agreement
        assert with_pace.score.seller == pytest.approx(without.score.seller)
        assert with_pace.steps == without.steps


def test_a_longer_deadline_means_a_firmer_line() -> None:
    from dealopt.negotiation.concession import DEFAULT_EXPONENT, deadline_exponent

    assert deadline_exponent(None) == deadline_exponent(20) == DEFAULT_EXPONENT
    assert deadline_exponent(100) == pytest.approx(0.15)
    assert deadline_exponent(40) > deadline_exponent(100) > deadline_exponent(400) > 0
    deal = _deal("saas-renewal")
    history = [{"by": "buyer", "package": _ladder(deal, 1)[0]}]
    long = dealopt.counter(deal, history, round=80, deadline=100)  # the same point of the negotiation
    short = dealopt.counter(deal, history, round=16, deadline=20)
    told = dealopt.counter(deal, history, round=80, deadline=100, exponent=DEFAULT_EXPONENT)
    assert long.aspiration is not None and short.aspiration is not None and told.aspiration is not None
    assert long.aspiration > told.aspiration
    assert told.aspiration == pytest.approx(short.aspiration)
