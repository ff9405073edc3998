"""The CLI's surface (issue 12, point 2): a light import, --version, completion, plain flags, MODEL, --json."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from dealopt.interfaces.cli import app

HEAVY = ("pandas", "pyarrow", "dask", "distributed", "fastapi", "uvicorn", "matplotlib", "scipy", "highspy", "pulp")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", ["dealopt", "dealopt.interfaces.cli"])
def test_importing_loads_no_heavy_dependency(module: str) -> None:
    code = f"import sys, json, {module}; print(json.dumps(sorted(set({list(HEAVY)!r}) & set(sys.modules))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout) == [], f"import {module} loads {done.stdout}"


def test_help_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, json\nfrom dealopt.interfaces.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(set({[*HEAVY, 'numpy', 'pydantic']!r}) & set(sys.modules))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_version_comes_from_the_package_metadata() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"dealopt {version('dealopt')}"


def test_shell_completion_is_offered() -> None:
    res = CliRunner().invoke(app, ["--help"])
    assert "--install-completion" in res.stdout and "--show-completion" in res.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_plain_flags_model_metavar_and_json(command: str) -> None:
    res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.stderr
    assert "<bool>" not in res.stdout and "BOOLEAN" not in res.stdout
    usage = res.stdout.splitlines()[0]
    assert "{" not in usage, usage
    assert "--json" in res.stdout, f"{command} has no --json"
    assert not any(f"{{{name}}}" in res.stdout for name in ("engines", "solutions", "openings", "agents"))
    if command in ("show", "evaluate", "frontier", "trades", "counter", "simulate", "sweep"):
        assert usage.endswith(" MODEL"), usage


def test_choices_in_help_come_from_the_options() -> None:
    from dealopt.options import AGENT_NAMES, ENGINE_NAMES, SOLUTIONS

    def shown(command: str) -> str:
        return " ".join(CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).stdout.split())

    assert ", ".join(ENGINE_NAMES) in shown("frontier")
    assert "|".join(SOLUTIONS) in shown("trades")
    assert ", ".join(AGENT_NAMES) in shown("simulate")


def test_json_is_a_plain_flag() -> None:
    res = CliRunner().invoke(app, ["show", "models/saas-renewal.yaml", "--json", "true"])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1


def test_every_command_module_registers_its_commands() -> None:
    from pathlib import Path

    import dealopt.interfaces.cli as cli

    folder = Path(cli.__file__).parent
    text = (folder / "app.py").read_text()
    registering = [p.stem for p in folder.glob("*.py") if "def register(" in p.read_text()]
    assert registering and all(f"{name}.register(app)" in text for name in registering)


def test_the_entry_point_is_the_app_main() -> None:
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["dealopt"].partition(":")
    import importlib

    assert callable(getattr(importlib.import_module(module), name))
