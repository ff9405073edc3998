"""Where batch work runs: in this process, on a local Dask cluster, or on an existing one.

Every executor maps a function over a list of items and returns the results in
the items' order, whatever order the workers finish in, so the output is the
same whichever way the work ran.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dealopt.batch.options import OptionError
from dealopt.options import ClusterOptions

__all__ = ["Executor", "Progress", "executor", "BatchSummary", "cpu_count", "local_cluster", "plural"]

T = TypeVar("T")
R = TypeVar("R")


class Progress:
    """A progress bar on stderr (Rich), shown only on a terminal and when not quiet."""

    def __init__(self, total: int, label: str, quiet: bool = False) -> None:
        self.total = total
        self.enabled = not quiet and sys.stderr.isatty() and total > 0
        self._progress: Any = None
        self._task: Any = None
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        if self.enabled:
            self._progress.update(self._task, advance=n)

    def close(self) -> None:
        """Remove the bar."""
        if self.enabled:
            self._progress.stop()


@dataclass
class BatchSummary:
    """The final line of a batch: rows, errors, time, rate."""

    rows: int = 0
    errors: int = 0
    seconds: float = 0.0
    where: str = "in process"
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self, what: str = "row") -> str:
        """``10,000 rows, 3 errors, 1.23 s, 8,130 rows/s (in process)``."""
        rate = self.rows / self.seconds if self.seconds > 0 else float("inf")
        return (
            f"{plural(self.rows, what)}, {plural(self.errors, 'error')}, {self.seconds:.2f} s, "
            f"{rate:,.0f} {what}s/s ({self.where})"
        )


def plural(n: int, word: str) -> str:
    """``1 row``, ``2 rows``, ``1,000 rows``."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class Executor:
    """Runs ``fn`` over items and returns results in order."""

    where = "in process"

    def map(self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None) -> list[R]:
        """``[fn(x) for x in items]``."""
        out = []
        for item in items:
            out.append(fn(item))
            if progress is not None:
                progress.advance()
        return out

    @property
    def client(self) -> Any:
        """The Dask client, or None in process."""
        return None

    def close(self) -> None:
        """Release workers."""


#: glibc settings for local workers. Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes
#: glibc's mmap threshold at 128 KiB: every temporary array larger than that is mapped and unmapped per
#: operation. Batch work makes many such arrays; keeping them on the heap (trimming it only past
#: 256 MiB of free memory) gives the workers the speed of a plain process.
WORKER_HEAP = {"MALLOC_MMAP_THRESHOLD_": 32 << 20, "MALLOC_TRIM_THRESHOLD_": 256 << 20}


@contextmanager
def _worker_environment(values: dict[str, int]) -> Iterator[None]:
    """Workers started inside get ``values`` in their environment before they start (as Dask's own settings).

    A nanny prefers a variable already in this process's environment to its configuration, and puts its
    own there: set ours for the start, and leave the environment as it was afterwards.
    """
    import dask

    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **values}
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update({k: str(v) for k, v in environ.items()})
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def local_cluster(workers: int | None) -> Any:
    """A local Dask cluster of ``workers`` processes (one thread each) that listens on 127.0.0.1 only and shows no
    dashboard (it would show the cluster to anyone; its HTTP port stays on loopback)."""
    from distributed import LocalCluster

    with _worker_environment(WORKER_HEAP):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=40,
        )


class DaskExecutor(Executor):
    """Runs on a Dask cluster: a local one of ``workers`` processes, or the one at ``scheduler``."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        from distributed import Client

        self._cluster = None
        try:
            if scheduler is not None:
                self._client = Client(scheduler, timeout="10s")
                self.where = f"Dask cluster at {scheduler}"
            else:
                self._cluster = local_cluster(workers)
                self._client = Client(self._cluster)
                self.where = f"local Dask cluster of {workers} processes"
        except OSError as exc:
            raise OptionError(
                "scheduler", f"cannot reach {scheduler!r} ({exc}); expected tcp://HOST:PORT of a running scheduler"
            ) from None

    @property
    def client(self) -> Any:
        """The Dask client."""
        return self._client

    def map(self, fn: Callable[[T], R], items: Sequence[T], progress: Progress | None = None) -> list[R]:
        """Submit every item, gather in order."""
        from distributed import as_completed

        futures = self._client.map(fn, list(items), pure=False)
        index = {f.key: n for n, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            out[index[fut.key]] = fut.result()
            if progress is not None:
                progress.advance()
        return out

    def close(self) -> None:
        """Close the client (and the local cluster we started)."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """In process when neither is given; else a local Dask cluster of ``workers`` or the one at ``scheduler``."""
    if workers is not None and scheduler is not None:
        raise OptionError("workers/scheduler", "give one or the other, not both")
    ClusterOptions.check(workers=workers, scheduler=scheduler)
    if workers is None and scheduler is None:
        ex: Executor = Executor()
    else:
        try:
            ex = DaskExecutor(workers, scheduler)
        except ImportError as exc:
            raise OptionError(
                "workers/scheduler", f"need Dask ({exc}); expected pip install 'dask[distributed]'"
            ) from None
    try:
        yield ex
    finally:
        ex.close()


def cpu_count() -> int:
    """Cores available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
