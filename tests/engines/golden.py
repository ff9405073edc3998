"""Approved frontiers of the example models, kept in tests/golden/ (run this file to write them again).

For each ``models/NAME.yaml``: ``NAME.json``, the frontier of the ZOPA listed by
the enumerate engine, and ``NAME-stepless.json``, the frontier with the price
made stepless, traced by the MILP and confirmed by the segment merge (two
independent methods) before it is written. Each file records the SHA-256 of the
model file it was made from: a changed model needs its frontier approved again.

Run: python tests/engines/golden.py [--check]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dealopt import compile_model, model_from_data
from dealopt.engines.base import EngineOptions, RawFrontier, resolution
from dealopt.engines.enumerate import EnumerateEngine
from dealopt.engines.merge import MergeEngine
from dealopt.engines.milp import MilpEngine
from engines.cases import GOLDEN, example_cases


def digest(path: Path) -> str:
    """SHA-256 of a model file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _document(raw: RawFrontier, source: str, made_by: str) -> dict:
    return {
        "model_sha256": source,
        "made_by": made_by,
        "points": [[float(s), float(b)] for s, b in zip(raw.seller, raw.buyer)],
        **({"segment": [bool(x) for x in raw.segment]} if raw.segment is not None else {}),
        "min_seller": raw.min_seller,
        "min_buyer": raw.min_buyer,
    }


def make(case_name: str | None = None) -> dict[str, dict]:
    """The golden documents, by file name."""
    out = {}
    for case in example_cases():
        if case_name and case.name != case_name:
            continue
        deal = compile_model(model_from_data(case.data))
        bounds = (deal.seller_walk_away, deal.buyer_walk_away)
        source = digest(Path("models") / f"{case.name.split(':', 1)[1].removesuffix('-stepless')}.yaml")
        if case.kind == "example":
            raw = EnumerateEngine().solve(deal, *bounds, EngineOptions())
            doc = _document(raw, source, "enumerate")
        else:
            raw = MilpEngine().solve(deal, *bounds, EngineOptions())
            other = MergeEngine().solve(deal, *bounds, EngineOptions())
            q_s, q_b = resolution(deal)
            assert len(raw) == len(other) and np.allclose(raw.seller, other.seller, rtol=0, atol=8 * q_s)
            assert np.allclose(raw.buyer, other.buyer, rtol=0, atol=8 * q_b)
            assert list(raw.segment) == list(other.segment)
            doc = _document(raw, source, "milp, confirmed by merge")
        out[case.golden.name] = doc
    return out


if __name__ == "__main__":
    import os

    os.chdir(Path(__file__).resolve().parents[2])
    GOLDEN.mkdir(exist_ok=True)
    for name, doc in make().items():
        (GOLDEN / name).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote tests/golden/{name}: {len(doc['points'])} points")
