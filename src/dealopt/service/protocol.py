"""uvicorn's HTTP protocol with a request-head timeout and a connection cap that sheds idle connections first.

uvicorn closes a connection idle *between* requests (``timeout_keep_alive``) but waits for ever for the
head of a request that has started to arrive. Here a connection that has not delivered a complete request
head within ``head_timeout`` seconds of connecting, or of its previous answer, is closed. And when a new
connection would pass ``max_connections``, the connection that has waited longest without a request in
progress (idle, or sending a partial head) is closed to make room; only when every connection is busy
with a request is the new one refused. Partial or idle connections can therefore never lock normal
clients out; a slow body is cut by the service's body timeout. A request head larger than ``max_head_bytes`` is
refused (431) before it is parsed further.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_protocol"]

log = logging.getLogger("dealopt.service")
_DEFAULTS = (10.0, 1000, 64 * 1024)  # head timeout (s), connections, head bytes


class _Guard:
    """Mixin for a uvicorn HTTP protocol class (h11 or httptools); limits from ``config.dealopt_limits``."""

    transport: asyncio.Transport
    connections: set[Any]
    cycle: Any
    loop: asyncio.AbstractEventLoop
    head_timeout: float
    max_connections: int
    max_head_bytes: int

    def __init__(self, config: Any, server_state: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, server_state, *args, **kwargs)  # type: ignore[call-arg]
        self.head_timeout, self.max_connections, self.max_head_bytes = getattr(config, "dealopt_limits", _DEFAULTS)
        # connections without a request in progress → since when (one registry per server)
        self.waiting: dict[Any, float] = server_state.__dict__.setdefault("dealopt_waiting", {})
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._wait()
        if len(self.connections) > self.max_connections:
            others = [(since, c) for c, since in self.waiting.items() if c is not self]
            if others:
                _, oldest = min(others, key=lambda x: x[0])
                log.info("connection limit %d: closing the longest idle connection", self.max_connections)
                oldest._close()
            else:
                log.warning("connection limit %d: every connection is busy; refusing one", self.max_connections)
                self._close()

    def data_received(self, data: bytes) -> None:
        if self in self.waiting:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:  # a request head this large is refused unread
                self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n")
                self._close()
                return
        before = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not None and self.cycle is not before and not self.cycle.response_complete:
            self._busy()  # a complete request head: its body and answer have their own limits

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._wait()

    def connection_lost(self, exc: Exception | None) -> None:
        self._busy()
        super().connection_lost(exc)  # type: ignore[misc]

    def _wait(self) -> None:
        """No request in progress: the head of the next one must arrive within the timeout."""
        self.waiting[self] = self.loop.time()
        self._head_bytes = 0
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_expired)

    def _busy(self) -> None:
        self.waiting.pop(self, None)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        if self in self.waiting:
            self._close()

    def _close(self) -> None:
        self._busy()
        if not self.transport.is_closing():
            self.transport.close()


class GuardedH11Protocol(_Guard, H11Protocol):
    """uvicorn's h11 protocol with the limits above."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class GuardedHttpToolsProtocol(_Guard, HttpToolsProtocol):
        """uvicorn's httptools protocol with the limits above."""

    _FASTEST: type[asyncio.Protocol] = GuardedHttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] installs httptools
    _FASTEST = GuardedH11Protocol


def guarded_protocol(config: Any, head_timeout: float, max_connections: int, max_head_bytes: int = 64 * 1024) -> None:
    """Make ``config`` (a ``uvicorn.Config``) use the guarded protocol (httptools when installed) with these limits."""
    config.http = _FASTEST
    config.dealopt_limits = (head_timeout, max_connections, max_head_bytes)
