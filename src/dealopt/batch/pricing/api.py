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

from dealopt.batch.executor import Executor, Progress, executor
from dealopt.batch.options import OptionError
from dealopt.batch.output import PartRecord, PartsOutput, atomic_file, write_part
from dealopt.batch.pricing.files import Quotes, Task, Writer, output_kind, read_task, run_key
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
    cwd: str | None


def _opt(path: str | None) -> Path | None:
    return None if path is None else Path(path)


def _run_frame_task(task: _FrameTask) -> Outputs:
    out = price_frame(task.frame, Path(task.models_dir), _opt(task.cwd), task.first_row)
    out.arrow, out.codes = {}, None  # the input is the caller's: do not send it back
    return out


def price_variants(
    quotes: pd.DataFrame,
    models_dir: Path | str = "models",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    allow_model_paths: bool = False,
) -> PricedVariants:
    """Price every (quote, variant) row of ``quotes``; the columns are defined in :mod:`dealopt.batch.pricing`.

    Parameters
    ----------
    quotes
        One row per (quote, variant): ``quote_id``, ``model``, ``base.ISSUE`` for every issue,
        ``variant.ISSUE`` for the issues the variant changes (missing or empty = unchanged).
    models_dir
        Where a model named in the ``model`` column is found (``NAME.yaml``, ``.yml`` or ``.json``);
        only files inside it are read (a symbolic link leading out of it is refused).
    allow_model_paths
        Also read a ``model`` cell that is a path (absolute, or relative to the current directory);
        without it such a row gets an error. An error cell never quotes a model file's contents.
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
    cwd = str(Path.cwd()) if allow_model_paths else None
    base = quotes.drop(columns=[c for c in quotes.columns if str(c) in OUTPUT_COLUMNS])
    if workers is None and scheduler is None:
        outputs = price_frame(base, mdir, _opt(cwd), 1)
        where = "in process"
    else:
        tasks = [
            _FrameTask(base.iloc[s : s + chunk_rows], s + 1, str(mdir), cwd) for s in range(0, len(base), chunk_rows)
        ]
        with executor(workers, scheduler) as ex:
            parts = ex.map(_run_frame_task, tasks)
            where = ex.where
        outputs = Outputs.concat(parts) if parts else price_frame(base, mdir, _opt(cwd), 1)
    added = pd.DataFrame(outputs.to_pandas(), index=base.index, copy=False)
    typed = typed_issue_columns(base, outputs.kinds, outputs.arrow, outputs.categorical())
    frame = pd.concat([typed, added], axis=1)
    return PricedVariants(frame, time.perf_counter() - t0, where)


@dataclass(frozen=True)
class _Runner:
    """A picklable ``task → (table, issue kinds)`` with the output schema bound (a part's record for part tasks)."""

    schema: pa.Schema

    def __call__(self, task: Task) -> tuple[pa.Table, dict[str, str]] | PartRecord:
        pieces = []
        kinds: dict[str, str] = {}
        first = task.first_row
        for table in read_task(task, self.schema):
            outputs = price_table(table, Path(task.models_dir), _opt(task.cwd), first)
            for col, kind in outputs.kinds.items():
                kinds[col] = kind if kinds.get(col, kind) == kind else "mixed"
            first += table.num_rows
            pieces.append(pa.Table.from_arrays(list(table.columns) + outputs.to_arrow(), schema=self.schema))
        result = pa.concat_tables(pieces) if pieces else self.schema.empty_table()
        if task.part is None:
            return result, kinds
        return write_part(result, Path(task.part), kinds)


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
    resume: bool = False,
    allow_model_paths: bool = False,
) -> PricingRun:
    """Price a file of quote variants into ``out``; returns the run's account (``.to_frame()`` reads ``out``).

    ``quotes`` is a CSV file, a Parquet file or a directory of Parquet part files, read in
    row-group chunks of about ``chunk_rows`` rows (a CSV file is read whole). ``out`` is a
    ``.parquet`` or ``.csv`` file (money rounded to the cent in CSV), written chunk by chunk in
    order, or a directory (an existing one, or a path ending in ``/``) of Parquet part files
    ``part-NNNNN.parquet``, one per chunk in input order, each written by whoever priced it.
    Arguments, the models folder and the output path are checked before any row is read.

    The output never looks complete before it is (see :mod:`dealopt.batch.output`): a file is
    renamed into place at the end, a directory gets ``_manifest.json`` and then ``_SUCCESS`` once
    every part is in (its previous parts are replaced only then); on any failure or interruption
    the previous output is left as it was. ``resume`` continues an interrupted directory run (same
    input, models and ``chunk_rows``): parts whose checksum matches their record are kept.

    In process when neither ``workers`` nor ``scheduler`` is given; else on a local Dask
    cluster of ``workers`` processes or on the cluster at ``scheduler``, whose workers read the
    input and the models and write part files themselves (paths must be visible to them).
    ``run_on`` reuses an executor already started. The output is the same whichever way it runs.
    ``models_dir`` and ``allow_model_paths`` as in :func:`price_variants`.
    """
    t0 = time.perf_counter()
    mdir = _check(chunk_rows, models_dir)
    qpath = Path(quotes).expanduser()
    if not qpath.exists():
        raise OptionError(
            "quotes", f"{quotes}: no such file or directory; expected a CSV or Parquet file of quote variants"
        )
    kind = output_kind(str(out), qpath)
    if resume and kind != "parts":
        raise OptionError("resume", f"{out} is a file; expected a directory of Parquet part files to resume")
    opath = Path(out).expanduser()
    src = Quotes(qpath, chunk_rows, mdir, Path.cwd() if allow_model_paths else None)
    runner = _Runner(src.schema)
    rows = errors = 0
    kinds: dict[str, str] = {}
    ctx = contextlib.nullcontext(run_on) if run_on is not None else executor(workers, scheduler)
    with ctx as ex:
        assert ex is not None
        if kind == "parts":
            parts = PartsOutput(opath, run_key(qpath, mdir, chunk_rows, allow_model_paths), resume)
            tasks = _parts(parts, src)
            done = parts.prepare({Path(str(t.part)).name: t.rows for t in tasks})
            todo = [t for t in tasks if Path(str(t.part)).name not in done]
        else:
            tasks = todo = list(src.tasks)
        progress = Progress(len(todo), "pricing quote variants", quiet)
        try:
            if kind == "parts":
                made = {r.name: r for r in ex.map(runner, todo, progress) if isinstance(r, PartRecord)}
                records = [done.get(n) or made[n] for n in (Path(str(t.part)).name for t in tasks)]
                parts.commit(records)
                for record in records:
                    rows += record.rows
                    errors += record.errors
                    _merge(kinds, record.kinds)
            else:
                with atomic_file(opath) as tmp:
                    writer = Writer(tmp, kind, src.schema)
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


def _parts(parts: PartsOutput, src: Quotes) -> list[Task]:
    """The tasks, each naming its part file in the staging directory (an empty input still gets one)."""
    tasks = src.tasks
    if not tasks:
        empty = src.schema.empty_table().select([f.name for f in src.schema if f.name not in OUTPUT_COLUMNS])
        tasks = [Task(0, 1, 0, src.models_dir, src.cwd, table=empty)]
    width = max(5, len(str(max(0, len(tasks) - 1))))
    where = parts.staging.resolve()
    return [replace(t, part=str(where / f"part-{t.index:0{width}d}.parquet")) for t in tasks]


def _waves(ex: Executor, runner: _Runner, tasks: list[Task], progress: Progress) -> Iterator[Any]:
    """Results in input order, a few tasks per worker at a time (bounded memory on a cluster)."""
    wave = 1 if ex.client is None else 4 * _cluster_size(ex)
    for start in range(0, len(tasks), wave):
        yield from ex.map(runner, tasks[start : start + wave], progress)
