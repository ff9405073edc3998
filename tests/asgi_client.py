"""A synchronous client that calls an ASGI app on an event loop of its own, in the calling thread.

Starlette's ``TestClient`` runs the app's event loop in another thread and crosses over to it about eight times a
request (2.8 ms of CPU for an ``/evaluate`` request); this client runs the same request on a loop in the test's own
thread (0.9 ms), with the app's lifespan entered on ``with`` as ``TestClient`` does. The requests are the ones a
client sends (httpx's ASGI transport builds the scope), the answers read whole. The service tests send about 2,000
requests. What only a real server shows (slow and partial requests, signals, workers) is tested on uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx2


class _Transport(httpx2.BaseTransport):
    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._asgi = httpx2.ASGITransport(app=app, client=("testclient", 50000))
        self._loop = loop

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        inner = httpx2.Request(request.method, request.url, headers=request.headers, content=body)

        async def call() -> tuple[int, httpx2.Headers, bytes]:
            response = await self._asgi.handle_async_request(inner)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers, content

        status, headers, content = self._loop.run_until_complete(call())
        return httpx2.Response(status, headers=headers, content=content, request=request)


def _no_signal_handlers(*_: Any) -> None:
    raise RuntimeError("signal handlers are a real server's (the test process keeps its own)")


class AppClient(httpx2.Client):
    """``with AppClient(app) as client: client.get(...)`` — the app started (lifespan) for the block.

    The app's lifespan may not install signal handlers (SIGHUP reload): as under ``TestClient``, whose loop runs
    in another thread, asking raises RuntimeError, which the lifespan expects outside a main thread.
    """

    def __init__(self, app: Any, base_url: str = "http://testserver", **kwargs: Any) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._loop.add_signal_handler = _no_signal_handlers  # type: ignore[method-assign]
        self._lifespan: contextlib.AbstractAsyncContextManager[Any] | None = None
        super().__init__(transport=_Transport(app, self._loop), base_url=base_url, follow_redirects=True, **kwargs)

    def __enter__(self) -> AppClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        self._loop.run_until_complete(self._lifespan.__aenter__())
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._lifespan is not None:
                self._loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()
            super().__exit__(*exc)
