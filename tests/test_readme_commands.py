"""Every ``dealopt`` command in the README runs, in process, on the files the repository ships (issue 12, point 3).

The commands are read from the README's bash blocks, so the README cannot name a file or a flag that does not
exist. ``serve``, ``mcp`` and runs on a Dask cluster (``--workers``, ``--scheduler``) are parsed and checked up to the
point where they would start the server or the cluster.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from dealopt.interfaces.cli import app

ROOT = Path(__file__).resolve().parents[1]
#: Commands that would start something long-lived: checked with that last step replaced.
STUBBED = ("serve", "mcp", "--workers", "--scheduler")


def readme_commands() -> list[str]:
    """Every ``dealopt …`` line of the README's bash blocks, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in text.split("```bash")[1:]:
        body = block.split("```", 1)[0].replace("\\\n", " ")
        for line in body.splitlines():
            line = line.strip()
            if line.startswith("dealopt "):
                commands.append(line)
    return commands


#: A placeholder in a command (``dealopt learn MODEL HISTORY …``): such a line shows a form, it is not run.
PLACEHOLDER = re.compile(r"(?<![\w/.-])[A-Z]{3,}(?![\w/.-])")
ALL = readme_commands()
COMMANDS = [c for c in ALL if not PLACEHOLDER.search(c.split("#")[0])]


def test_the_readme_shows_every_command() -> None:
    from typer.main import get_command

    shown = {shlex.split(c, comments=True)[1] for c in ALL}
    assert shown == set(get_command(app).commands)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "models", work / "models")
    shutil.copytree(ROOT / "examples", work / "examples")
    return work


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = shlex.split(command, comments=True)[1:]
    target = None
    if ">" in argv:
        at = argv.index(">")
        argv, target = argv[:at], argv[at + 1]
    argv = [str(p) for a in argv for p in (sorted(Path(workdir).glob(a)) if "*" in a else [a])]
    argv = [str(Path(a).relative_to(workdir)) if Path(a).is_absolute() else a for a in argv]
    calls: list[Any] = []
    if any(s in argv for s in STUBBED):
        _stub(monkeypatch, calls)
    monkeypatch.chdir(workdir)
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, f"{command}\n{res.stderr}"
    if target is not None:
        (workdir / target).write_text(res.stdout)
    if any(s in argv for s in STUBBED):
        assert calls, "the stubbed step was not reached"


def _stub(monkeypatch: pytest.MonkeyPatch, calls: list[Any]) -> None:
    import dealopt.batch.pricing as pricing
    import dealopt.service.server as server

    def price_variants_file(*args: Any, **kwargs: Any) -> Any:
        calls.append((args, kwargs))
        return SimpleNamespace(line=lambda: "stub", format="parquet", summary=lambda: None)

    monkeypatch.setattr(pricing, "price_variants_file", price_variants_file)
    monkeypatch.setattr(server, "serve", lambda *a, **k: calls.append((a, k)))
    import dealopt.service.mcp_server as mcp_server

    def create_mcp_server(*args: Any, **kwargs: Any) -> Any:
        return SimpleNamespace(run=lambda *a, **k: calls.append((a, k)))

    monkeypatch.setattr(mcp_server, "create_mcp_server", create_mcp_server)
