"""Capabilities as data: the registry, what engines need, and the names the CLI, the service and the docs use."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from dealopt.engines.base import declared_reason
from dealopt.engines.registry import ENGINE_NAMES, ENGINES, engines_table, get_engine, installed, installed_engines
from dealopt.engines.stepless import AFFINE, LINEAR, NONE
from engines.cases import ROOT

ENGINE_DIR = ROOT / "src" / "dealopt" / "engines"
ENGINE_MODULES = {
    "merge": ["merge.py"],
    "enumerate": ["enumerate.py"],
    "milp": sorted(p.name for p in (ENGINE_DIR / "milp").glob("*.py")),
}


def test_every_engine_declares_what_it_needs():
    for e in ENGINES:
        assert isinstance(e.name, str) and isinstance(e.exact, bool)
        assert isinstance(e.listed_levels, bool) and isinstance(e.tables, bool)
        assert e.stepless in (NONE, AFFINE, LINEAR)
        assert all(isinstance(m, str) for m in (*e.requires, *e.fallback))
    assert ENGINE_NAMES == ("auto", *(e.name for e in ENGINES))
    assert get_engine("milp").requires == ("highspy",) and get_engine("milp").fallback == ("pulp",)


def test_installed_engines_imports_no_solver():
    code = (
        "import sys; from dealopt.engines.registry import installed_engines, ENGINES;"
        "names = [e.name for e in installed_engines()];"
        "assert 'highspy' not in sys.modules and 'pulp' not in sys.modules, sorted(m for m in sys.modules if 'pulp' in m or 'highs' in m);"
        "print(','.join(names))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ",".join(e.name for e in installed_engines())


def test_an_engine_whose_requirements_are_missing_is_not_installed(monkeypatch):
    milp = get_engine("milp")
    monkeypatch.setattr(type(milp), "requires", ("no_such_module_here",))
    monkeypatch.setattr(type(milp), "fallback", ("nor_this_one",))
    assert not installed(type(milp))
    assert "milp" not in [e.name for e in installed_engines()]
    with pytest.raises(Exception, match="not installed here"):
        get_engine("milp")


def test_declared_needs_decide_acceptance():
    from dealopt import compile_model, model_from_data
    from engines.cases import example_cases, random_model

    saas_stepless_deal = compile_model(
        model_from_data(next(c.data for c in example_cases() if c.name == "stepless:saas-renewal-stepless"))
    )
    piecewise_deal = compile_model(model_from_data(random_model(2000, "piecewise")))
    merge, enum, milp = (get_engine(n) for n in ("merge", "enumerate", "milp"))
    assert declared_reason(enum, saas_stepless_deal) is not None and "without step" in enum.accepts(saas_stepless_deal)
    assert merge.accepts(saas_stepless_deal) is None and milp.accepts(saas_stepless_deal) is None
    assert "piecewise factor" in merge.accepts(piecewise_deal) and milp.accepts(piecewise_deal) is None


def test_no_engine_imports_another():
    for name, files in ENGINE_MODULES.items():
        others = {f"dealopt.engines.{n}" for n in ENGINE_MODULES if n != name}
        for f in files:
            path = ENGINE_DIR / ("milp" if name == "milp" else "") / f
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                mods = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    mods = [node.module]
                elif isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                for m in mods:
                    assert not any(m == o or m.startswith(o + ".") for o in others), f"{path.name} imports {m}"


def test_engine_names_in_the_cli_the_service_and_the_docs_come_from_the_registry():
    from dealopt.service.bodies import FrontierBody

    assert FrontierBody.model_json_schema()["properties"]["engine"]["enum"] == list(ENGINE_NAMES)
    from typer.testing import CliRunner

    from dealopt.interfaces.cli import app

    done = CliRunner().invoke(app, ["frontier", "--help"], env={"COLUMNS": "200"})
    assert ", ".join(ENGINE_NAMES) in " ".join(done.stdout.split())
    doc = (ROOT / "docs" / "engines.md").read_text()
    table = doc.split("<!-- engines-table -->\n", 1)[1].split("\n<!-- /engines-table -->", 1)[0]
    assert table == engines_table(), "docs/engines.md: paste the output of engines_table()"
    cli = sorted((ROOT / "src" / "dealopt" / "interfaces" / "cli").glob("*.py"))
    for src in (*cli, ROOT / "src" / "dealopt" / "service" / "bodies.py"):
        assert '"merge", "enumerate"' not in src.read_text() and "merge, enumerate or milp" not in src.read_text()
