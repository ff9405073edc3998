"""Pricing entry points: a DataFrame in memory, or a file to a file, in process or on a Dask cluster."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dealopt.batch.executor import Executor, Progress, executor
from dealopt.batch.options import OptionError
from dealopt.batch.pricing.files import Quotes, Task, Writer, output_kind, read_task
from dealopt.batch.pricing.frame import OUTPUT_COLUMNS, Outputs, price_frame, price_table
from dealopt.batch.pricing.model import check_models_dir
from dealopt.batch.pricing.results import PricedVariants, PricingRun, typed_issue_columns
from dealopt.options import PricingOptions

__all__ = ["DEFAULT_CHUNK_ROWS", "price_variants", "price_variants_file"]

#: Rows priced per chunk (and per task on a Dask cluster).
DEFAULT_CHUNK_ROWS = 250_000


def _check(chunk_rows: int, models_dir: Path | str) -> Path:
    PricingOptions.check(chunk_rows=chunk_rows)
    mdir = Path(models_dir).expanduser().resolve()
    check_models_dir(mdir)
    return mdir


@dataclass(frozen=True)
class _FrameTask:
    """A slice of a DataFrame to price (on a worker)."""

    frame: pd.DataFrame
    first_row: int
    models_dir: str
    cwd: str


def _run_frame_task(task: _FrameTask) -> Outputs:
    out = price_frame(task.frame, Path(task.models_dir), Path(task.cwd), task.first_row)
    out.arrow, out.codes = {}, None  # the input is the caller's: do not send it back
    return out


def price_variants(
    quotes: pd.DataFrame,
    models_dir: Path | str = "models",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> PricedVariants:
    """Price every (quote, variant) row of ``quotes``; the columns are defined in :mod:`dealopt.batch.pricing`.

    Parameters
    ----------
    quotes
        One row per (quote, variant): ``quote_id``, ``model``, ``base.ISSUE`` for every issue,
        ``variant.ISSUE`` for the issues the variant changes (missing or empty = unchanged).
    models_dir
        Where a model named in the ``model`` column is found (``NAME.yaml``, ``.yml`` or ``.json``);
        a ``model`` cell that is a path is read relative to the current directory.
    workers, scheduler
        Run on a local Dask cluster of ``workers`` processes, or on the cluster at ``scheduler``
        (``tcp://HOST:PORT``); in process when neither is given. The result is the same.
    chunk_rows
        Rows per task on a cluster.

    Returns
    -------
    PricedVariants
        ``.to_frame()``: the input's columns (issue columns typed by their issue; output columns
        already present are replaced) and the pricing columns. Same rows, same order.
    """
    t0 = time.perf_counter()
    mdir = _check(chunk_rows, models_dir)
    cwd = str(Path.cwd())
    base = quotes.drop(columns=[c for c in quotes.columns if str(c) in OUTPUT_COLUMNS])
    if workers is None and scheduler is None:
        outputs = price_frame(base, mdir, Path(cwd), 1)
        where = "in process"
    else:
        tasks = [
            _FrameTask(base.iloc[s : s + chunk_rows], s + 1, str(mdir), cwd) for s in range(0, len(base), chunk_rows)
        ]
        with executor(workers, scheduler) as ex:
            parts = ex.map(_run_frame_task, tasks)
            where = ex.where
        outputs = Outputs.concat(parts) if parts else price_frame(base, mdir, Path(cwd), 1)
    added = pd.DataFrame(outputs.to_pandas(), index=base.index, copy=False)
    typed = typed_issue_columns(base, outputs.kinds, outputs.arrow, outputs.categorical())
    frame = pd.concat([typed, added], axis=1)
    return PricedVariants(frame, time.perf_counter() - t0, where)


@dataclass(frozen=True)
class _Runner:
    """A picklable ``task → (table, issue kinds)`` with the output schema bound."""

    schema: pa.Schema

    def __call__(self, task: Task) -> tuple[pa.Table, dict[str, str]]:
        pieces = []
        kinds: dict[str, str] = {}
        first = task.first_row
        for table in read_task(task, self.schema):
            outputs = price_table(table, Path(task.models_dir), Path(task.cwd), first)
            for col, kind in outputs.kinds.items():
                kinds[col] = kind if kinds.get(col, kind) == kind else "mixed"
            first += table.num_rows
            pieces.append(pa.Table.from_arrays(list(table.columns) + outputs.to_arrow(), schema=self.schema))
        result = pa.concat_tables(pieces) if pieces else self.schema.empty_table()
        if task.part is None:
            return result, kinds
        pq.write_table(result, task.part)
        errors = result.num_rows - result["error"].null_count
        return pa.table({"rows": [result.num_rows], "errors": [errors]}), kinds


def _cluster_size(ex: Executor) -> int:
    client = ex.client
    if client is None:
        return 1
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # the count only sizes the waves
        return 1


def _merge(into: dict[str, str], kinds: dict[str, str]) -> None:
    for col, kind in kinds.items():
        into[col] = kind if into.get(col, kind) == kind else "mixed"


def price_variants_file(
    quotes: Path | str,
    out: Path | str,
    models_dir: Path | str = "models",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    run_on: Executor | None = None,
) -> PricingRun:
    """Price a file of quote variants into ``out``; returns the run's account (``.to_frame()`` reads ``out``).

    ``quotes`` is a CSV file, a Parquet file or a directory of Parquet part files, read in
    row-group chunks of about ``chunk_rows`` rows (a CSV file is read whole). ``out`` is a
    ``.parquet`` or ``.csv`` file (money rounded to the cent in CSV), written chunk by chunk in
    order, or a directory (an existing one, or a path ending in ``/``) of Parquet part files
    ``part-NNNNN.parquet``, one per chunk in input order, each written by whoever priced it
    (existing ``part-*.parquet`` files there are replaced). Arguments, the models folder and the
    output path are checked before any row is read.

    In process when neither ``workers`` nor ``scheduler`` is given; else on a local Dask
    cluster of ``workers`` processes or on the cluster at ``scheduler``, whose workers read the
    input and the models and write part files themselves (paths must be visible to them).
    ``run_on`` reuses an executor already started. The output is the same whichever way it runs.
    """
    t0 = time.perf_counter()
    mdir = _check(chunk_rows, models_dir)
    qpath = Path(quotes).expanduser()
    if not qpath.exists():
        raise OptionError(
            "quotes", f"{quotes}: no such file or directory; expected a CSV or Parquet file of quote variants"
        )
    kind = output_kind(str(out), qpath)
    opath = Path(out).expanduser()
    src = Quotes(qpath, chunk_rows, mdir, Path.cwd())
    tasks = list(src.tasks)
    runner = _Runner(src.schema)
    rows = errors = 0
    kinds: dict[str, str] = {}
    ctx = contextlib.nullcontext(run_on) if run_on is not None else executor(workers, scheduler)
    with ctx as ex:
        assert ex is not None
        progress = Progress(len(tasks), "pricing quote variants", quiet)
        try:
            if kind == "parts":
                for done, k in ex.map(runner, _parts(opath, tasks, src.schema), progress):
                    rows += done["rows"][0].as_py()
                    errors += done["errors"][0].as_py()
                    _merge(kinds, k)
            else:
                writer = Writer(opath, kind, src.schema)
                try:
                    for table, k in _waves(ex, runner, tasks, progress):
                        writer.write(table)
                        rows += table.num_rows
                        errors += table.num_rows - table["error"].null_count
                        _merge(kinds, k)
                finally:
                    writer.close()
        finally:
            progress.close()
        where = ex.where
    return PricingRun(opath, kind, rows, errors, time.perf_counter() - t0, where, kinds)


def _parts(opath: Path, tasks: list[Task], schema: pa.Schema) -> list[Task]:
    """The tasks, each naming its part file (old part files removed; an empty input still gets one)."""
    opath.mkdir(parents=True, exist_ok=True)
    for old in opath.glob("part-*.parquet"):
        old.unlink()
    if not tasks:
        pq.write_table(schema.empty_table(), str(opath / "part-00000.parquet"))
    width = max(5, len(str(max(0, len(tasks) - 1))))
    where = opath.resolve()
    return [replace(t, part=str(where / f"part-{t.index:0{width}d}.parquet")) for t in tasks]


def _waves(ex: Executor, runner: _Runner, tasks: list[Task], progress: Progress) -> Iterator[Any]:
    """Results in input order, a few tasks per worker at a time (bounded memory on a cluster)."""
    wave = 1 if ex.client is None else 4 * _cluster_size(ex)
    for start in range(0, len(tasks), wave):
        yield from ex.map(runner, tasks[start : start + wave], progress)
