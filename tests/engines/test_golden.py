"""Approved frontiers in tests/golden/: every example model has them, they are current, and they are right."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dealopt import compile_model, model_from_data
from dealopt.engines.base import resolution
from engines.cases import GOLDEN, example_cases, model_paths
from engines.envelope_reference import reference_envelope
from engines.golden import digest


@pytest.mark.parametrize("path", model_paths(), ids=lambda p: p.stem)
def test_every_model_has_current_golden_frontiers(path):
    for name in (f"{path.stem}.json", f"{path.stem}-stepless.json"):
        golden = GOLDEN / name
        assert golden.is_file(), f"{name} is missing: approve the frontier with python tests/engines/golden.py"
        doc = json.loads(golden.read_text())
        assert doc["model_sha256"] == digest(path), (
            f"{path.name} changed since {name} was approved: run python tests/engines/golden.py"
        )
        assert doc["points"], name


def test_no_golden_file_without_its_model():
    stems = {p.stem for p in model_paths()}
    for golden in GOLDEN.glob("*.json"):
        assert golden.stem.removesuffix("-stepless") in stems, golden.name


def test_a_stepless_golden_frontier_matches_the_independent_envelope():
    case = next(c for c in example_cases() if c.name == "stepless:saas-renewal-stepless")
    model = model_from_data(case.data)
    q_s, q_b = resolution(compile_model(model))
    verts, flags = reference_envelope(model)
    doc = json.loads(case.golden.read_text())
    got = np.asarray(doc["points"])
    assert got.shape == (len(verts), 2) and doc["segment"] == flags
    np.testing.assert_allclose(got[:, 0], [v[0] for v in verts], rtol=0, atol=8 * q_s)
    np.testing.assert_allclose(got[:, 1], [v[1] for v in verts], rtol=0, atol=8 * q_b)
