"""Solver processes that can be stopped: a request past its budget has its process killed, and replaced.

Frontier work (the MILP above all) can run for minutes in C code that no thread can interrupt. Here it runs
in a small set of processes started from a fork server (forked from a process that has imported the
engines: a replacement is ready in milliseconds). A job that overruns its budget gets SIGKILL, so its CPU
stops within the time it takes the kernel to reap the process; the caller answers 503. The processes run
at a lower scheduling priority (``nice``): on a busy machine the quick requests answered by the web
workers go first. A job waits for a free process within its own budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from dealopt.errors import DealoptError, JobFailed, Timeout

__all__ = ["JobFailed", "SolverPool", "Timeout"]

_PRELOAD = ["dealopt.service.jobs", "dealopt.negotiation.frontier", "dealopt.negotiation.api", "dealopt.engines.milp"]
log = logging.getLogger("dealopt.service")


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the process that started it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve(conn: Connection, nice: int) -> None:
    """A solver process: run the jobs it is sent, one at a time, until its connection closes."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us; Ctrl-C in a terminal is for it
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[str, Any] = ("ok", fn(*args))
        except DealoptError as exc:
            result = ("error", exc)
        except MemoryError:
            result = ("failed", "MemoryError")
        except Exception as exc:  # a bug: reported by type, never with its text (it may quote input)
            result = ("failed", type(exc).__name__)
        try:
            conn.send(result)
        except (OSError, ValueError):
            return


@contextlib.contextmanager
def _importable_main() -> Iterator[None]:
    """While a process starts: hide a ``__main__`` file that does not exist (``python -`` or ``-c``), which the
    new process would otherwise try to import again."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    hide = main is not None and path is not None and not os.path.isfile(path)
    if hide:
        del main.__file__  # type: ignore[union-attr]
    try:
        yield
    finally:
        if hide:
            main.__file__ = path  # type: ignore[union-attr]


class _Worker:
    """One solver process and its end of the pipe."""

    def __init__(self, ctx: Any, nice: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, nice), daemon=True, name="dealopt-solver")
        with _importable_main():
            self.process.start()
        child.close()

    def kill(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        self.process.join(timeout=5)
        with contextlib.suppress(OSError):
            self.conn.close()


class SolverPool:
    """At most ``size`` solver processes, started when first needed; ``run`` sends a job and awaits its answer."""

    def __init__(self, size: int = 2, nice: int = 10) -> None:
        self.size = max(1, size)
        self.nice = nice
        self._idle: list[_Worker] = []
        self._slots: asyncio.Semaphore | None = None
        self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="dealopt-solver-io")
        self._lock = threading.Lock()
        self._ctx: Any = None
        self.killed = 0  # jobs stopped past their budget (for tests and the log)
        self.busy: set[int] = set()  # pids of the processes running a job now
        self.ran: list[int] = []  # pids of the processes that took a job, in order (for tests)

    def _context(self) -> Any:
        if self._ctx is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            self._ctx = ctx
        return self._ctx

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.kill()
            return _Worker(self._context(), self.nice)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    async def run(self, fn: Callable[..., Any], *args: Any, timeout: float) -> Any:
        """``fn(*args)`` in a solver process within ``timeout`` seconds (waiting for a free one included)."""
        loop = asyncio.get_running_loop()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        deadline = loop.time() + timeout
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout)
        except TimeoutError:
            raise Timeout("no solver process came free within the time budget") from None
        worker: _Worker | None = None
        try:
            worker = await loop.run_in_executor(self._threads, self._take)
            pid = worker.process.pid or 0
            self.busy.add(pid)
            self.ran.append(pid)
            worker.conn.send((fn, args))
            remaining = max(0.0, deadline - loop.time())
            try:
                status, value = await asyncio.wait_for(loop.run_in_executor(self._threads, worker.conn.recv), remaining)
            except (TimeoutError, asyncio.CancelledError):
                self.killed += 1
                worker.kill()  # its CPU stops here; the thread waiting on its pipe gets EOF and ends
                self.busy.discard(pid)
                log.warning("solver process %d stopped: past the time budget", pid)
                worker = None
                raise
            except (EOFError, OSError):
                worker.kill()
                self.busy.discard(pid)
                worker = None
                raise JobFailed("the solver process ended unexpectedly") from None
        finally:
            if worker is not None:
                self.busy.discard(worker.process.pid or 0)
                self._give_back(worker)
            self._slots.release()
        if status == "error":
            raise value
        if status == "failed":
            raise JobFailed(f"the computation failed ({value})")
        return value

    def start(self) -> None:
        """Start every solver process now (blocking: call it from a thread), so no request waits for one."""
        with self._lock:
            missing = self.size - len(self._idle)
        started = [_Worker(self._context(), self.nice) for _ in range(max(0, missing))]
        with self._lock:
            self._idle.extend(started)

    def close(self) -> None:
        """Stop every idle solver process (busy ones are stopped by their job's budget); the pool stays usable."""
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.kill()

    def pids(self) -> list[int]:
        """The idle solver processes (for tests)."""
        with self._lock:
            return [w.process.pid for w in self._idle if w.process.pid is not None]
