"""Issue 10, limits before cost: ``sweep`` multiplied its grids out in memory with no cap (three grids of
1000 → 12.7 GB in 36 s). The scenario count is now computed from the spec and refused past
``max_scenarios`` (``--max-scenarios``) before any scenario is built."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import MODELS
from dealopt.batch.sweep import DEFAULT_MAX_SCENARIOS, parse_vary, scenario_table, sweep
from dealopt.errors import LimitError
from dealopt.interfaces.cli import app

SAAS = MODELS / "saas-renewal.yaml"
BIG = ["seller_walk_away=0:1:1000", "cost_per_seat_month=1:2:1000", "seat_month_value=1:2:1000"]


def test_a_billion_scenarios_are_refused_before_any_is_built() -> None:
    plan = parse_vary(BIG)
    assert plan.size == 1000**3
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(LimitError) as info:
        sweep(SAAS, plan)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.value.limit == "max_scenarios" and info.value.value == 1000**3
    assert "1,000,000,000 scenarios (1000 × 1000 × 1000)" in str(info.value)
    assert f"at most {DEFAULT_MAX_SCENARIOS:,}" in str(info.value)
    assert "\n" not in str(info.value)
    assert seconds < 5 and peak < 50 << 20


def test_draws_count_per_grid_point_and_a_lower_limit_is_obeyed() -> None:
    spec = {
        "vary": {
            "seller_walk_away": {"start": 0, "stop": 1, "n": 10},
            "cost_per_seat_month": {"dist": "uniform", "low": 30, "high": 40},
        },
        "n": 7,
    }
    with pytest.raises(LimitError, match=r"70 scenarios \(10 × 7 draws\); expected at most 69"):
        sweep(SAAS, spec, max_scenarios=69)
    with pytest.raises(LimitError):
        scenario_table(parse_vary(["seller_walk_away=0:1:70"]), max_scenarios=69)
    assert len(scenario_table(parse_vary(["seller_walk_away=0:1:70"]), max_scenarios=70)) == 70


def test_cli_refuses_in_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sweep.parquet"
    args = ["sweep", str(SAAS), "-o", str(out)]
    for v in BIG:
        args += ["--vary", v]
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert time.perf_counter() - t0 < 5
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "1,000,000,000 scenarios" in lines[0] and "--max-scenarios" in lines[0]
    assert not out.exists()
    res = CliRunner().invoke(
        app, ["sweep", str(SAAS), "-o", str(out), "--vary", "seller_walk_away=0:1:5", "--max-scenarios", "4"]
    )
    assert res.exit_code == 2 and "5 scenarios" in res.output and not out.exists()
    res = CliRunner().invoke(
        app, ["sweep", str(SAAS), "-o", str(out), "--vary", "seller_walk_away=0:1:5", "--max-scenarios", "5", "-q"]
    )
    assert res.exit_code == 0, res.output
    assert out.exists()
