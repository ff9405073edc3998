"""Work sent to an existing Dask cluster, reached by its address (``scheduler=``): pricing and sweeps give the same
output as in process. One local cluster (2 worker processes, loopback, free ports) serves the module; the local
clusters the library starts itself (``workers=``) are tested in test_pricing_files.py and faults/test_batch_dask.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import MODELS
from dealopt.batch.executor import executor
from dealopt.batch.pricing import price_variants, price_variants_file
from dealopt.batch.sweep import SweepSpec, sweep
from test_pricing_files import _example, _same

SAAS = MODELS / "saas-renewal.yaml"


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """The address of one local Dask cluster (2 worker processes) for the module, on loopback at free ports."""
    from dealopt.batch.executor import local_cluster

    with local_cluster(2) as cluster:  # as `--workers 2` starts it
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("batch")
    frame = _example()
    frame.to_csv(d / "in.csv", index=False)
    return {"dir": d, "frame": frame}


def test_scheduler_and_worker_give_the_same_output(batch: dict[str, Any], dask_scheduler: str) -> None:
    d: Path = batch["dir"]
    price_variants_file(d / "in.csv", d / "local.csv", MODELS, quiet=True, chunk_rows=70)
    run = price_variants_file(
        d / "in.csv", d / "remote.csv", MODELS, scheduler=dask_scheduler, quiet=True, chunk_rows=70
    )
    assert run.where == f"Dask cluster at {dask_scheduler}"
    assert (d / "remote.csv").read_text() == (d / "local.csv").read_text()
    there = price_variants(batch["frame"], MODELS, scheduler=dask_scheduler, chunk_rows=90).to_frame()
    _same(there, price_variants(batch["frame"], MODELS).to_frame())


def test_sweep_on_the_cluster_gives_identical_rows(dask_scheduler: str) -> None:
    spec = SweepSpec.model_validate(
        {"vary": {"cost_per_seat_month": {"dist": "uniform", "low": 25, "high": 50}}, "n": 30, "seed": 5}
    )
    here = sweep(SAAS, spec).to_frame()
    with executor(scheduler=dask_scheduler) as ex:
        there = sweep(SAAS, spec, executor=ex, chunk_size=4).to_frame()
    pd.testing.assert_frame_equal(here, there)
