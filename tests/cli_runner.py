"""Run the ``dealopt`` CLI in this process (typer's CliRunner), answering like ``subprocess.run`` did."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from dealopt.interfaces.cli import app


def run_cli(
    *args: str | Path, env: dict[str, str | None] | None = None, cwd: str | Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``dealopt ARGS…`` in process: exit code, stdout and stderr kept apart, as from a subprocess."""
    argv = [str(a) for a in args]
    extra = {k: v for k, v in (env or {}).items() if os.environ.get(k) != v}
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        result = CliRunner().invoke(app, argv, env=extra, catch_exceptions=False)
    return subprocess.CompletedProcess(["dealopt", *argv], result.exit_code, result.stdout, result.stderr)
