"""Shared fixtures: paths to the repository's models and the shared reference cases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases"


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
