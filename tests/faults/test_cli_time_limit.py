"""``dealopt frontier --time-limit SECONDS`` (issue 10, points 1 and 5): the MILP stops and says what it found."""

from __future__ import annotations

import json
import time
from pathlib import Path

from typer.testing import CliRunner

from dealopt.interfaces.cli import app

MODEL = str(Path(__file__).resolve().parents[2] / "models" / "saas-renewal.yaml")


def test_milp_time_limit_reports_the_partial_frontier() -> None:
    full = CliRunner().invoke(app, ["frontier", MODEL, "--json"])
    assert full.exit_code == 0
    every = len(json.loads(full.stdout)["points"])
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["frontier", MODEL, "--engine", "milp", "--time-limit", "0.2", "--json"])
    took = time.perf_counter() - t0
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == "time_limit" and 0 < len(doc["points"]) < every
    assert took < 10, f"the time limit did not stop the work: {took:.1f} s"
    text = CliRunner().invoke(app, ["frontier", MODEL, "--engine", "milp", "--time-limit", "0.2"])
    assert text.exit_code == 0 and "status: time_limit" in text.stdout and "found before the time limit" in text.stdout


def test_time_limit_must_be_a_positive_number_of_seconds() -> None:
    for bad in ("0", "-1", "nan", "inf", "soon"):
        res = CliRunner().invoke(app, ["frontier", MODEL, "--engine", "milp", "--time-limit", bad])
        assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1 and "--time-limit" in res.stderr, res.stderr
