"""One conformance suite, generated for every engine in the registry (see conformance.py for the checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from dealopt import Evaluation, ModelError, compile_model, evaluate, frontier, load_model, model_from_data
from dealopt.engines.base import EngineOptions, RawFrontier, resolution
from dealopt.engines.registry import ENGINES, EngineNotApplicable, get_engine
from dealopt.errors import LimitError, OptionError
from dealopt.model.compiled import CompiledDeal
from dealopt.model.reference import all_packages
from engines.cases import ROOT, Case, model_paths, reordered
from engines.conformance import (
    cases,
    compiled,
    compiled_case,
    dominated_points,
    engine_names,
    frontier_json,
    known,
    packages_off,
    reference_of,
    same_frontier,
    solve,
    solved_case,
)

ENGINE_NAMES = engine_names()
CASES = cases()
PAIRS = [(e, c) for e in ENGINE_NAMES for c in CASES]


def _id(pair: tuple[str, Case]) -> str:
    return f"{pair[0]}-{pair[1].name}"


def _deal(case_name: str) -> CompiledDeal:
    return compiled_case(case_name)


@cache
def _every_package_evaluated(case_name: str) -> Evaluation:
    """Every package of the case listed as a dict and evaluated by value (the reference; once per case)."""
    deal = _deal(case_name)
    return evaluate(deal, list(all_packages(deal.model)))


def _solved(engine: str, case_name: str) -> RawFrontier:
    return solved_case(engine, case_name)


def _applies(engine: str, case: Case, check: str) -> None:
    reason = known(engine, case, check)
    if reason:
        pytest.skip(f"known exception: {reason}")
    if get_engine(engine).accepts(_deal(case.name)) is not None:
        pytest.skip(f"{engine} does not accept {case.name} (checked by test_accepts_agrees_with_solve)")


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_accepts_agrees_with_solve(pair):
    engine, case = pair
    deal = _deal(case.name)
    reason = get_engine(engine).accepts(deal)
    if reason is None:
        assert len(_solved(engine, case.name)) >= 0
    else:
        assert isinstance(reason, str) and reason
        with pytest.raises(LimitError, match=engine):
            solve(engine, deal)
        with pytest.raises(EngineNotApplicable, match="cannot solve"):
            frontier(deal, engine)


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_reference_frontier(pair):
    engine, case = pair
    _applies(engine, case, "reference")
    ref, flags = reference_of(case)
    why = same_frontier(_deal(case.name), _solved(engine, case.name), ref, flags)
    assert why is None, why


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_no_dominated_point(pair):
    engine, case = pair
    _applies(engine, case, "no_dominated")
    raw = _solved(engine, case.name)
    assert dominated_points(_deal(case.name), raw) == []
    if len(raw) > 1:
        assert np.all(np.diff(raw.seller) < 0) and np.all(np.diff(raw.buyer) > 0)


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_packages_reach_their_points(pair):
    engine, case = pair
    _applies(engine, case, "packages")
    assert packages_off(_deal(case.name), _solved(engine, case.name)) == []


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_second_solve_is_identical(pair):
    engine, case = pair
    _applies(engine, case, "second_solve")
    again = solve(engine, compiled(case))
    assert frontier_json(again) == frontier_json(_solved(engine, case.name))


@pytest.mark.parametrize("pair", PAIRS, ids=_id)
def test_reordered_issues_and_options_give_the_same_frontier(pair):
    engine, case = pair
    _applies(engine, case, "reordered")
    deal = _deal(case.name)
    raw = _solved(engine, case.name)
    other = compile_model(model_from_data(reordered(case.data)))
    got = solve(engine, other)
    flags = None if raw.segment is None else [bool(x) for x in raw.segment]
    why = same_frontier(deal, got, np.column_stack([raw.seller, raw.buyer]).reshape(-1, 2), flags)
    assert why is None, why


@pytest.mark.parametrize("pair", [(e, c) for e, c in PAIRS if not c.stepless or c.kind != "stepless-example"], ids=_id)
def test_all_packages_lists_every_tie(pair):
    engine, case = pair
    _applies(engine, case, "all_packages")
    deal = _deal(case.name)
    raw = solved_case(engine, case.name, all_packages=True)
    assert packages_off(deal, raw) == []
    if case.stepless:
        return
    ev = _every_package_evaluated(case.name)
    q_s, q_b = resolution(deal)
    for i in range(len(raw)):
        reach = ev.acceptable & (np.abs(ev.seller - raw.seller[i]) <= q_s) & (np.abs(ev.buyer - raw.buyer[i]) <= q_b)
        assert len(raw.packages[i]) == int(reach.sum())


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_fresh_process_gives_the_same_answer(engine):
    """Every random case (and every stepless example) solved again in a new process: identical answers."""
    chosen = [c for c in CASES if c.kind.startswith("random") or c.kind == "stepless-example"]
    chosen = [
        c for c in chosen if not known(engine, c, "fresh_process") and get_engine(engine).accepts(_deal(c.name)) is None
    ]
    code = (
        "import json, sys\n"
        "sys.path[:0] = [sys.argv[1]]\n"
        "from engines.conformance import solve, frontier_json, compiled, cases\n"
        "names = json.loads(sys.argv[3])\n"
        "out = {c.name: frontier_json(solve(sys.argv[2], compiled(c))) for c in cases() if c.name in names}\n"
        "sys.stderr.write('RESULT' + json.dumps(out))\n"
    )
    names = [c.name for c in chosen]
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "tests"), engine, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    assert done.stdout == ""  # nothing on stdout (HiGHS' banner included)
    got = json.loads(done.stderr.split("RESULT", 1)[1])
    for c in chosen:
        assert got[c.name] == json.loads(json.dumps(frontier_json(_solved(engine, c.name)))), c.name


def _empty_deal():
    """A compiled deal with no issue (the loader refuses one: built by hand)."""
    model = load_model(model_paths()[0])
    seller = model.parties.seller.model_copy(update={"utility": [], "walk_away": None})
    buyer = model.parties.buyer.model_copy(update={"utility": [], "walk_away": None, "profiles": None})
    parties = model.parties.model_copy(update={"seller": seller, "buyer": buyer})
    return compile_model(model.model_copy(update={"issues": {}, "constraints": [], "parties": parties, "policy": None}))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_an_empty_deal_is_a_model_error(engine):
    with pytest.raises(ModelError, match="issues: is empty"):
        get_engine(engine).solve(_empty_deal(), None, None, EngineOptions())
    data = {"format": "dealopt/1", "name": "empty", "currency": "USD", "issues": {}, "parties": {}}
    with pytest.raises(ModelError, match="issues"):
        frontier(model_from_data(data), engine)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_space": 0}, "max_space: 0; expected an integer ≥ 1"),
        ({"chunk_size": -3}, "chunk_size: -3; expected an integer ≥ 1"),
        ({"max_packages_per_point": 1.5}, "max_packages_per_point: 1.5; expected an integer ≥ 1"),
        ({"time_limit": 0}, "time_limit: 0; expected a number of seconds > 0, or none"),
        ({"time_limit": float("nan")}, "time_limit: nan; expected a number of seconds > 0, or none"),
        ({"all_packages": "yes"}, "all_packages: 'yes'; expected true or false"),
    ],
)
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_bad_options_get_the_standard_message(engine, options, message):
    with pytest.raises(OptionError) as info:
        EngineOptions(**options)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    given = {k: v for k, v in options.items() if k != "chunk_size"} or {"max_space": 0}
    with pytest.raises(OptionError) as info:
        frontier(model_paths()[0], engine, **given)
    assert info.value.param == next(iter(given)) and "\n" not in str(info.value)


def test_every_registered_engine_is_covered():
    assert {e.name for e in ENGINES} == set(ENGINE_NAMES)
    assert {c.kind for c in CASES} == {"example", "stepless-example", "random", "random-stepless", "random-piecewise"}
