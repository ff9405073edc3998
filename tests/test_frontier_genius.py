"""The frontier engines on real GENIUS/ANAC domains, through import-genius, against expected.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import CASES
from dealopt import compile_model, frontier
from dealopt.model.importers.genius import import_genius
from test_genius import _more_triples

GENIUS = CASES / "genius"
EXPECTED = json.loads((GENIUS / "expected.json").read_text()) if (GENIUS / "expected.json").is_file() else {}
TOL = 1e-6


def _import(case: str):
    f = EXPECTED[case]["files"]
    return import_genius(GENIUS / case / f["domain"], GENIUS / case / f["seller"], GENIUS / case / f["buyer"])


@pytest.mark.parametrize("engine", ["merge", "enumerate"])
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_expected_frontier_and_solutions(case, engine):
    want = EXPECTED[case]
    res = frontier(_import(case), engine)
    assert res.engine == engine
    assert res.units == "normalized"
    assert res.walk_away == (want["walk_away"]["seller"], want["walk_away"]["buyer"])
    got = np.array([[p.seller, p.buyer] for p in res.points])
    assert len(got) == want["frontier_points"]
    assert np.allclose(got, np.array(want["frontier"]), atol=TOL, rtol=0)
    assert np.allclose([res.nash.seller, res.nash.buyer], want["nash"], atol=TOL)
    assert np.allclose([res.kalai_smorodinsky.seller, res.kalai_smorodinsky.buyer], want["kalai_smorodinsky"], atol=TOL)
    assert abs(res.max_joint.joint - want["max_joint"]) <= TOL


@pytest.mark.parametrize("triple", _more_triples(), ids=lambda t: t[0].stem)
def test_more_domains_solve_and_engines_agree(triple):
    deal = compile_model(import_genius(*triple))
    res = frontier(deal)
    assert res.engine == "merge"
    assert res.zopa and res.nash is not None and res.kalai_smorodinsky is not None
    if (deal.space_size or 0) <= 2_000_000:
        ref = frontier(deal, "enumerate")
        assert [(p.seller, p.buyer) for p in ref.points] == [(p.seller, p.buyer) for p in res.points]
        assert (ref.nash.seller, ref.nash.buyer) == (res.nash.seller, res.nash.buyer)
