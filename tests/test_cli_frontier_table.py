"""``dealopt frontier`` answers first and fits the terminal: money never cut, units in headers (issue 12, point 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealopt.interfaces.cli import app
from dealopt.interfaces.cli.frontier import evenly_spread
from dealopt.interfaces.cli.tables import money, short_money

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.yaml"))
SOLUTIONS = ("nash", "kalai_smorodinsky", "max_joint", "egalitarian")


def _run(*args: str, width: int = 200) -> tuple[str, dict]:
    text = CliRunner().invoke(app, ["frontier", *args], env={"COLUMNS": str(width)})
    doc = CliRunner().invoke(app, ["frontier", *args, "--json"])
    assert text.exit_code == 0 and doc.exit_code == 0, text.stderr + doc.stderr
    return text.stdout, json.loads(doc.stdout)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.replace("┃", "│").split("│")[1:-1]]


@pytest.mark.parametrize("width", [80, 100, 160])
@pytest.mark.parametrize("model", MODELS, ids=[m.stem for m in MODELS])
def test_money_is_never_cut(model: Path, width: int) -> None:
    text, doc = _run(str(model), width=width)
    assert "…" not in text, "a cell was cut"
    assert max(len(line) for line in text.splitlines()) <= width
    normalized = doc["units"] == "normalized"
    rows = [_cells(line) for line in text.splitlines() if line.startswith("│")]
    for key in SOLUTIONS:
        sol = doc[key]
        if sol is None:
            continue
        shown = {money(sol[side], normalized) for side in ("seller", "buyer")}
        short = {short_money(sol[side], normalized) for side in ("seller", "buyer")}
        assert any(shown <= set(r) or short <= set(r) for r in rows), (key, shown, short)
    blocks: list[list[list[str]]] = []  # each table's header lines
    previous = ""
    for line in text.splitlines():
        if line.startswith("┃"):
            if not previous.startswith("┃"):
                blocks.append([])
            blocks[-1].append(_cells(line))
        previous = line
    assert len(blocks) == 2, "the bargaining packages, then the frontier"
    assert all(any(cells[-1] for cells in block) for block in blocks), "an empty last column"
    unit = "(normalized)" if normalized else f"({doc['units']})"
    assert unit in text


def test_answers_come_first_then_the_condensed_frontier() -> None:
    model = str(MODELS[[m.stem for m in MODELS].index("saas-renewal")])
    text, doc = _run(model)
    lines = text.splitlines()
    assert lines[0].startswith("saas-renewal: ZOPA: yes")
    assert text.index("bargaining packages") < text.index("frontier: 15 of 437 points")
    assert text.index("Nash") < text.index("frontier: 15 of")
    frontier_rows = [
        line
        for line in lines[lines.index(next(x for x in lines if x.startswith("frontier:"))) :]
        if line.startswith("│")
    ]
    assert len(frontier_rows) == 15
    assert _cells(frontier_rows[0])[0] == "1" and _cells(frontier_rows[-1])[0] == str(len(doc["points"]))
    few, _ = _run(model, "--top", "4")
    assert "frontier: 4 of 437 points" in few
    every, _ = _run(model, "--all")
    assert "frontier: 437 points" in every and sum(line.startswith("│") for line in every.splitlines()) == 437 + 4


def test_evenly_spread_keeps_both_ends() -> None:
    assert evenly_spread(437, 15)[0] == 0 and evenly_spread(437, 15)[-1] == 436 and len(evenly_spread(437, 15)) == 15
    assert evenly_spread(5, 15) == [0, 1, 2, 3, 4] and evenly_spread(10, 1) == [0]
    assert short_money(1_078_737.6, False) == "1.08M" and short_money(-45_230.1, False) == "-45.23k"


@pytest.mark.parametrize("width", [80, 100])
def test_simulate_table_fits_without_cutting(width: int) -> None:
    model = str(MODELS[[m.stem for m in MODELS].index("saas-renewal")])
    res = CliRunner().invoke(app, ["simulate", model, "--rounds", "6"], env={"COLUMNS": str(width)})
    assert res.exit_code == 0 and "…" not in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= width
    assert "tit_for_tat" in res.stdout and "hardliner" in res.stdout
