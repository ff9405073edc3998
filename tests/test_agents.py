"""The standard negotiating agents: each obeys its published rule; the guessed buyer mirrors the seller."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import MODELS
from dealopt import compile_model, load_model, model_from_data
from dealopt.model.schema import Factor, Term
from dealopt.negotiation.agents import AGENTS, Preferences, Turn, make_agent
from dealopt.negotiation.agents.base import Action
from dealopt.negotiation.agents.behaviour import MiCRO, TitForTat
from dealopt.negotiation.agents.simple import Hardliner, RandomAgent
from dealopt.negotiation.agents.time_based import Aspiration, Boulware, Conceder, Linear, faratin_target
from dealopt.negotiation.guess import guessed_buyer, mirrored
from dealopt.negotiation.space import outcome_space

TIMES = [(k + 1) / 21 for k in range(20)]


def prefs(n: int = 60, reservation: float = 0.3, seed: int = 0, size: int | None = None) -> Preferences:
    """Random utilities over ``n`` feasible packages scattered in a space of ``size`` packages."""
    rng = np.random.default_rng(seed)
    size = size or 2 * n
    packages = np.sort(rng.choice(size, n, replace=False))
    values = np.round(rng.random(n), 2)  # ties on purpose
    return Preferences(packages, values, reservation, size)


def turn(step: int, offer: int | None = None, rounds: int = 20) -> Turn:
    return Turn(step, rounds, offer)


def rational(p: Preferences) -> np.ndarray:
    return p.packages[p.values >= p.reservation]


# ---------------------------------------------------------------- preferences


def test_preferences_sort_once_and_answer_by_binary_search() -> None:
    p = prefs()
    assert np.all(np.diff(p.ranked) <= 0)
    assert sorted(p.order) == sorted(p.packages)
    assert p.rational == int((p.values >= p.reservation).sum())
    assert p.utility(int(p.packages[3])) == p.values[3]
    assert p.utility(int(np.setdiff1d(np.arange(p.size), p.packages)[0])) == -np.inf
    for target in (0.0, 0.25, 0.5, 0.555, 0.99, 1.5):
        assert p.count_at_least(target) == int((p.values >= target).sum())
        pos = p.lowest_at_least(target)
        ok = p.values[p.values >= max(target, p.reservation)]
        assert (pos is None) == (ok.size == 0)
        if pos is not None:
            assert p.ranked[pos] == ok.min()
        near = p.nearest(target)
        rat = p.values[p.values >= p.reservation]
        assert abs(p.ranked[near] - target) == np.abs(rat - target).min()


def test_registry_names_are_stable() -> None:
    assert list(AGENTS) == [
        "boulware",
        "linear",
        "conceder",
        "aspiration",
        "tit_for_tat",
        "micro",
        "random",
        "hardliner",
    ]
    for name in AGENTS:
        assert make_agent(name, prefs()).name == name


# ---------------------------------------------------------------- time-dependent tactics


@pytest.mark.parametrize(("cls", "e"), [(Boulware, 0.2), (Linear, 1.0), (Conceder, 2.0)])
def test_time_dependent_offers_nearest_faratin_target(cls, e) -> None:
    p = prefs()
    agent = cls(p)
    assert agent.e == e
    hi, lo = p.values.max(), max(p.values.min(), p.reservation)
    for k, t in enumerate(TIMES):
        target = lo + (hi - lo) * (1 - t ** (1 / e))
        assert agent.target(t) == pytest.approx(target)
        act = agent.act(turn(k))
        assert act.kind == "offer"
        u = p.utility(act.package)
        gaps = np.abs(p.values[p.values >= p.reservation] - target)
        assert abs(u - target) == pytest.approx(gaps.min())


def test_boulware_is_firmer_than_linear_firmer_than_conceder() -> None:
    p = prefs()
    for t in TIMES[:-1]:
        assert faratin_target(p, t, 0.2) > faratin_target(p, t, 1.0) > faratin_target(p, t, 2.0)
    assert Boulware(p).act(turn(0)).package == p.order[0]  # k = 0: opens with its best package


@pytest.mark.parametrize("cls", [Boulware, Linear, Conceder])
def test_time_dependent_accepts_what_beats_its_next_offer(cls) -> None:
    p = prefs()
    agent = cls(p)
    for k, t in enumerate(TIMES):
        planned = p.utility(agent.planned(t))
        better = p.order[p.lowest_at_least(planned)]
        worse = [f for f in p.order[: p.rational] if p.utility(f) < planned]
        assert agent.act(turn(k, int(better))).kind == "accept"
        if worse:
            assert agent.act(turn(k, int(worse[0]))).kind == "offer"


def test_aspiration_offers_just_above_its_aspiration_and_accepts_at_it() -> None:
    p = prefs()
    agent = Aspiration(p)
    hi, lo = p.values.max(), max(p.values.min(), p.reservation)
    for k, t in enumerate(TIMES):
        level = lo + (hi - lo) * (1 - t**4)
        assert agent.aspiration(t) == pytest.approx(level)
        low = p.order[p.rational - 1]  # the least valuable rational package
        act = agent.act(turn(k, int(low)))
        if p.utility(low) >= level - 1e-12:
            assert act.kind == "accept"
            continue
        assert act.kind == "offer"
        assert p.utility(act.package) == p.values[p.values >= level - 1e-12].min()


# ---------------------------------------------------------------- behaviour-dependent tactics


def test_tit_for_tat_mirrors_a_concession() -> None:
    p = prefs(200, reservation=0.0)
    agent = TitForTat(p)
    low = [int(f) for f in p.order[::-1]]  # the other side's offers, worst for us first
    first = agent.act(turn(0))  # it moves first
    assert first.package == p.order[0]  # opens with its best
    second = agent.act(turn(1, low[0]))  # one offer seen: NegMAS's minimal initial concession
    assert p.utility(second.package) < p.best and p.utility(second.package) == p.ranked[p.count_at_least(p.best)]
    # the other side repeats itself: no concession
    third = agent.act(turn(2, low[0]))
    assert p.utility(third.package) == p.utility(second.package)
    # the other side concedes d (in our utility): we concede d, not more
    conceding = int(p.order[p.count_at_least(0.3)])
    d = p.utility(conceding) - p.utility(low[0])
    fourth = agent.act(turn(3, conceding))
    assert fourth.kind == "offer"
    expected = p.values[p.values >= p.utility(third.package) - d - 1e-12].min()
    assert p.utility(fourth.package) == expected
    assert p.utility(third.package) - p.utility(fourth.package) <= d + 1e-12


def test_tit_for_tat_accepts_what_beats_its_next_offer() -> None:
    p = prefs(reservation=0.0)
    agent = TitForTat(p)
    agent.act(turn(0, int(p.order[-1])))
    assert agent.act(turn(1, int(p.order[0]))).kind == "accept"


def _micro_run(p: Preferences, offers: list[int]) -> list[tuple[Action, int]]:
    """MiCRO's acts against a scripted sequence, with the number of distinct offers received so far."""
    agent, seen, out = MiCRO(p, seed=3), set(), []
    for k, o in enumerate(offers):
        seen.add(o)
        out.append((agent.act(turn(k, o, rounds=len(offers))), len(seen)))
    return out


def test_micro_concedes_only_after_a_new_offer() -> None:
    p = prefs(100, reservation=0.0)
    worst = [int(f) for f in p.order[::-1][:5]]
    script = [worst[0]] * 4 + [worst[1], worst[1], worst[2], worst[0], worst[3]] + [worst[3]] * 3
    made: list[int] = []
    for act, received in _micro_run(p, script):
        assert act.kind == "offer"
        if act.package not in made:
            made.append(act.package)
            # m ≤ n before each new offer: beyond its opening, one new offer per new offer received
            assert len(made) - 1 <= received, "a new offer without a new offer from the other side"
        assert act.package in made
    assert made == [int(f) for f in p.order[: len(made)]]  # new offers go down its own ranking, one at a time
    assert len(made) == len(set(script)) + 1


def test_micro_accepts_what_is_worth_its_next_offer() -> None:
    p = prefs(100, reservation=0.0)
    agent = MiCRO(p)
    assert agent.act(turn(0, int(p.order[-1]))).package == p.order[0]
    # ready to concede (1 sent, 1 received): its next offer is order[1]; that offer itself is accepted
    assert agent.act(turn(1, int(p.order[1]))).kind == "accept"


def test_hardliner_never_moves_and_accepts_only_its_best() -> None:
    p = prefs()
    agent = Hardliner(p)
    for k in range(20):
        act = agent.act(turn(k, int(p.order[1 + k % (p.rational - 1)])))
        assert act.kind == "offer" and act.package == p.order[0]
    assert agent.act(turn(19, int(p.order[0]))).kind == "accept"


def test_random_is_seeded_and_rational() -> None:
    p = prefs()

    def run(seed: int) -> list[tuple[str, int | None]]:
        agent = RandomAgent(p, seed=seed)
        acts = [agent.act(turn(k, int(p.order[k % p.rational]))) for k in range(200)]
        return [(a.kind, a.package) for a in acts]

    assert run(7) == run(7)
    assert run(7) != run(8)
    acts = run(7)
    accepted = sum(kind == "accept" for kind, _ in acts)
    assert 10 < accepted < 60  # p_accept = 0.15 of 200
    assert all(p.utility(f) >= p.reservation for kind, f in acts if kind == "offer")
    below = int(p.order[-1])
    assert p.utility(below) < p.reservation
    agent = RandomAgent(p, seed=1, p_accept=1.0)
    assert agent.act(turn(0, below)).kind == "offer"  # never accepts below its reservation


@pytest.mark.parametrize("name", list(AGENTS))
def test_no_agent_offers_or_accepts_below_its_reservation(name: str) -> None:
    p = prefs(80, reservation=0.45)
    other = np.random.default_rng(5)
    agent = make_agent(name, p, seed=11)
    for k in range(50):
        o = int(other.choice(p.packages))
        act = agent.act(turn(k, o, rounds=50))
        if act.kind == "offer":
            assert p.utility(act.package) >= p.reservation
        elif act.kind == "accept":
            assert p.utility(o) >= p.reservation


@pytest.mark.parametrize("name", list(AGENTS))
def test_an_agent_with_nothing_worth_its_reservation_ends(name: str) -> None:
    p = prefs(reservation=1.5)
    assert make_agent(name, p).act(turn(0, int(p.packages[0]))).kind == "end"


# ---------------------------------------------------------------- the guessed buyer


def test_mirrored_term_flips_a_table_and_negates_anything_else() -> None:
    table = Term(coef=2.0, of=[Factor(issue="x", table={"a": 1.0, "b": 4.0, "c": 2.0})])
    assert mirrored(table).coef == 2.0
    assert mirrored(table).of[0].table == {"a": 4.0, "b": 1.0, "c": 3.0}
    bare = Term(coef=-3.0, of=[Factor(issue="x"), Factor(issue="y", table={"a": 1.0})])
    assert mirrored(bare).coef == 3.0 and mirrored(bare).of == bare.of


def test_guessed_buyer_of_a_table_model_is_the_seller_mirrored() -> None:
    data = {
        "format": "dealopt/1",
        "name": "tables",
        "units": "normalized",
        "issues": {
            "a": {"kind": "categorical", "options": ["x", "y", "z"]},
            "b": {"kind": "ordinal", "options": [1, 2]},
        },
        "parties": {
            "seller": {
                "walk_away": 0.2,
                "utility": [
                    {"coef": 0.6, "of": [{"a": {"x": 1, "y": 0.5, "z": 0}}]},
                    {"coef": 0.4, "of": [{"b": {1: 0.25, 2: 1}}]},
                ],
            },
            "buyer": {"walk_away": 0.3, "utility": [{"coef": 1, "of": [{"a": {"x": 0, "y": 1, "z": 0}}]}]},
        },
    }
    model = model_from_data(data)
    guess = compile_model(guessed_buyer(model))
    deal = compile_model(model)
    assert guess.buyer_walk_away is None and not guess.profiles
    assert guess.seller_walk_away == deal.seller_walk_away
    a, g = outcome_space(deal), outcome_space(guess)
    assert np.array_equal(a.seller, g.seller) and np.array_equal(a.feasible, g.feasible)
    total = g.seller + g.buyer  # Σ coef (max + min) for every package
    assert np.allclose(total, 0.6 * 1 + 0.4 * 1.25)


def test_guessed_buyer_drops_profiles_and_walk_away() -> None:
    for path in (MODELS / "cloud-migration.yaml", MODELS / "saas-renewal.yaml"):
        model = load_model(path)
        guess = guessed_buyer(model)
        assert guess.parties.buyer.profiles is None and guess.parties.buyer.walk_away is None
        assert guess.issues == model.issues and guess.parties.seller == model.parties.seller
        deal, gdeal = compile_model(model), compile_model(guess)
        assert gdeal.shape == deal.shape
        s = outcome_space(gdeal)
        feas = s.feasible
        best_for_seller = int(np.argmax(np.where(feas, s.seller, -np.inf)))
        assert s.buyer[best_for_seller] < np.median(s.buyer[feas])  # what suits us least suits the guess
