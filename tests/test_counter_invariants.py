"""Counter-offers judged as a salesperson would: every invariant at once, on every answer, by an independent judge.

Histories are scripted (buyers that state whole or partial offers, between grid
steps and out of range) on the example models and on random models
(hypothesis); our counters come from playing the engine round after round, so
monotonicity is judged on the engine's own sequence.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import dealopt
from dealopt.model import compile_model, load_model, model_from_data
from dealopt.model.levels import display_value
from invariants import check_counter, space_of
from random_models import deal_models

MODELS = {p.stem: p for p in sorted(Path(__file__).parent.parent.joinpath("models").glob("*.yaml"))}


def _buyer_offer(model: Any, rng: random.Random, partial: bool, off_grid: bool) -> dict[str, Any]:
    space = space_of(model)
    row = space.packages.iloc[rng.randrange(len(space.packages))].to_dict()
    names = list(model.issues)
    if partial:
        keep = rng.sample(names, rng.randint(1, max(1, len(names) - 1)))
        row = {k: row[k] for k in names if k in keep}
    if off_grid:
        for name in list(row):
            spec = model.issues[name]
            if spec.kind == "continuous" and rng.random() < 0.7:
                row[name] = round(rng.uniform(spec.min - 0.1 * (spec.max - spec.min), spec.max), 2)
            elif spec.kind == "integer" and rng.random() < 0.5:
                row[name] = rng.randint(spec.min, spec.max)
    return {k: display_value(v) for k, v in row.items()}


def play(
    model: Any, seed: int, rounds: int, partial: bool, off_grid: bool, learn: bool = False, opening: str = "zopa"
) -> list[str]:
    """Alternate scripted buyer offers and the engine's answers; judge every answer."""
    deal = compile_model(model)
    rng = random.Random(seed)
    history: list[dict[str, Any]] = []
    previous = None
    bad: list[str] = []
    for r in range(1, rounds + 1):
        history.append({"by": "buyer", "package": _buyer_offer(model, rng, partial and rng.random() < 0.5, off_grid)})
        rec = dealopt.counter(deal, history, round=r, deadline=rounds, top=3, learn=learn, opening=opening).to_dict()
        bad += [
            f"round {r}: {b}" for b in check_counter(model, history, rec, previous=previous, in_zone=opening == "zopa")
        ]
        if rec["recommendation"] != "counter":
            break
        previous = rec["counters"][0]["package"]
        history.append({"by": "seller", "package": previous})
    return bad


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("seed", range(3))
def test_every_counter_obeys_every_invariant_on_the_example_models(name: str, seed: int) -> None:
    model = load_model(MODELS[name])
    bad = play(model, seed, 12, partial=seed == 1, off_grid=seed == 2)
    assert not bad, "\n".join(bad[:5])


#: Found by hypothesis: the profiles' posterior moves in round 5 so that our previous counter is dominated by a
#: package better for both sides; the engine used to offer the dominated counter again.
_DOMINATED_AFTER_LEARNING = {
    "format": "dealopt/1",
    "name": "random",
    "currency": "USD",
    "issues": {
        "i0": {"kind": "continuous", "min": 0, "max": 1.5, "step": 0.5},
        "i1": {"kind": "integer", "min": 0, "max": 1, "step": 1},
        "i2": {"kind": "integer", "min": 0, "max": 3, "step": 1},
        "i3": {"kind": "integer", "min": 1, "max": 3, "step": 2},
    },
    "parties": {
        "seller": {"utility": [{"coef": 1, "of": ["i0"]}, {"coef": 1, "of": ["i1", "i3"]}], "walk_away": 0},
        "buyer": {
            "profiles": [
                {
                    "name": "a",
                    "probability": 0.25,
                    "utility": [{"coef": 1, "of": ["i0"]}, {"coef": 1, "of": ["i0", "i3"]}],
                },
                {
                    "name": "b",
                    "probability": 0.75,
                    "utility": [
                        {"coef": 1, "of": ["i0"]},
                        {"coef": 2, "of": ["i3"]},
                        {"coef": 1, "of": ["i0", {"i1": {"piecewise": [[0, -2]]}}]},
                    ],
                },
            ]
        },
    },
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=deal_models(), seed=st.integers(0, 10_000), partial=st.booleans(), off_grid=st.booleans())
@example(data=_DOMINATED_AFTER_LEARNING, seed=0, partial=False, off_grid=False)
def test_every_counter_obeys_every_invariant_on_random_models(
    data: dict[str, Any], seed: int, partial: bool, off_grid: bool
) -> None:
    model = model_from_data(data)
    bad = play(model, seed, 6, partial, off_grid)
    assert not bad, "\n".join(bad[:5])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_counter_obeys_every_invariant_when_opening_above_the_zone(name: str) -> None:
    model = load_model(MODELS[name])
    bad = play(model, 7, 10, partial=True, off_grid=True, opening="best")
    assert not bad, "\n".join(bad[:5])
