"""Shared fixtures: paths to the repository's models and the shared reference cases."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
import typer.testing

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases"


# typer's CliRunner builds the click command from the Typer app on every ``invoke`` (~50 ms for dealopt's: it reads
# every command's signature and annotations); the tests invoke the CLI in process hundreds of times, so the command
# is built once per app. The command is the one ``dealopt`` runs (typer.main.get_command), unchanged.
typer.testing._get_command = functools.cache(typer.main.get_command)

# The CLI sizes its output to $COLUMNS, else 200 columns when piped: the tests that check a width set COLUMNS
# themselves, the others expect the piped default whatever the shell exports (pytest-xdist's workers run with
# COLUMNS=80).
os.environ.pop("COLUMNS", None)


def model_files() -> list[Path]:
    """Every example model in models/."""
    return sorted(MODELS.glob("*.yaml"))


@pytest.fixture
def saas_path() -> Path:
    return MODELS / "saas-renewal.yaml"


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """The address of one local Dask cluster (2 worker processes), started once for every test that runs work on
    an existing cluster (``scheduler=``) and stopped at the end of the session."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address
