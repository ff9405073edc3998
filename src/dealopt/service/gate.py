"""What every request goes through before any route code: in this order, each refusal a one-line answer.

1. a request ID (the client's ``X-Request-ID`` when it is short and plain, else a new one), security headers
   and ``Cache-Control`` on every answer, and one access-log line (never the key);
2. a path ending in ``/`` is redirected to the path without it, by a relative ``Location`` (no Host header);
3. a declared body over the limit: 413;
4. for the API (``/v1/…``): the key (401), the role's right to the route (403), the key's share (429);
5. the body, read within the limit (413) and the body timeout (408);
6. a JSON body must be one object without duplicate keys, not nested too deeply (422 naming the key).

The catalog (model version) in force when the request starts is the one the whole request uses.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealopt.service.limits import KeyLimits, TooMany, fingerprint
from dealopt.service.problems import clip, problem
from dealopt.service.roles import ROLES

__all__ = ["CSP", "Gate", "strict_json"]

log = logging.getLogger("dealopt.service")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_SECURITY = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_MAX_DEPTH = 32


class _Refused(Exception):
    def __init__(self, status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None):
        self.status, self.detail, self.field, self.headers = status, detail, field, headers


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(422, f"{clip(key, 60)}: the key appears twice; expected each key once", clip(key, 60))
        out[key] = value
    return out


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def strict_json(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; duplicate keys, deep nesting and anything else but an object refused."""
    if not body.strip():
        raise _Refused(422, "body: empty; expected a JSON object", "body")
    try:
        data = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise _Refused(422, f"body: not valid JSON{where}; expected a JSON object in UTF-8", "body") from None
    except RecursionError:
        raise _Refused(422, f"body: nested too deeply; expected at most {_MAX_DEPTH} levels", "body") from None
    if _depth(data) > _MAX_DEPTH:
        raise _Refused(422, f"body: nested too deeply; expected at most {_MAX_DEPTH} levels", "body")
    if not isinstance(data, dict):
        raise _Refused(422, "body: not a JSON object; expected a JSON object", "body")
    return data


class Gate:
    """ASGI middleware: the checks above, then the app with the body handed over whole."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: dict[str, str],
        action_of: Callable[[Scope], str | None],
        catalog: Callable[[], Any],
        limits: KeyLimits,
        max_body: int,
        body_timeout: float,
    ) -> None:
        self.app = app
        self.keys = [(k.encode(), role, fingerprint(k)) for k, role in keys.items()]
        self.action_of = action_of
        self.catalog = catalog
        self.limits = limits
        self.max_body = max_body
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = scope.setdefault("state", {})
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        state["request_id"] = request_id
        catalog = self.catalog()
        state["catalog"] = catalog
        path: str = scope.get("path", "")
        extra = [
            (b"x-request-id", request_id.encode()),
            (b"x-model-version", catalog.version.encode()),
            (b"cache-control", b"no-store" if path.startswith("/v1/") or path == "/healthz" else b"no-cache"),
            *_SECURITY,
        ]
        status = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in {h for h, _ in extra}]
                message = {**message, "headers": kept + extra}
            await send(message)

        try:
            await self._checked(scope, receive, send_with_headers, path)
        except _Refused as refused:
            response = problem(refused.status, refused.detail, refused.field, refused.headers)
            await response(scope, receive, send_with_headers)
        finally:
            log.info(
                "%s %s %s %d %.1fms %s",
                request_id,
                scope.get("method", ""),
                clip(path, 120),
                status[0],
                (time.perf_counter() - start) * 1e3,
                state.get("who", "-"),
                extra={"request_id": request_id},
            )

    async def _checked(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        raw = scope.get("raw_path") or path.encode()
        if len(raw) > 1 and raw.endswith(b"/"):  # a literal slash (not an encoded one inside a name)
            query = scope.get("query_string", b"").decode("latin-1")
            location = "/" + path.strip("/") + (f"?{query}" if query else "")
            raise _Refused(308, f"moved to {clip(location, 120)}", headers={"Location": location})
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _Refused(413, f"request body larger than {self.max_body:,} bytes")
        if not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        key, role = self._key(headers.get(b"authorization", b""))
        scope["state"]["role"] = role
        scope["state"]["key"] = key
        scope["state"]["who"] = f"{role} {key}"
        action = self.action_of(scope)
        if action is not None and action not in ROLES[role].may:
            raise _Refused(403, f"the {role} role may not use {action}")
        try:
            with self.limits.request(key):
                body = await self._body(receive)
                if body is None:
                    return  # the client went away
                if body.strip():  # an empty body is the route's to refuse (its body is then missing)
                    strict_json(body)
                await self.app(scope, _replay(body, receive), send)
        except TooMany as exc:
            raise _Refused(429, str(exc), headers={"Retry-After": "1"}) from None

    def _key(self, authorization: bytes) -> tuple[str, str]:
        scheme, _, given = authorization.partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            raise _Refused(
                401, "missing API key: send Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"}
            )
        found = None
        for key, role, name in self.keys:  # compare with every key, in constant time each
            if hmac.compare_digest(given.strip(), key):
                found = (name, role)
        if found is None:
            raise _Refused(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return found

    async def _body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        seen = 0
        deadline = time.monotonic() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise _Refused(408, f"request body not received within {self.body_timeout:g} s") from None
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                raise _Refused(413, f"request body larger than {self.max_body:,} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the body already read, then waits on the connection."""
    pending: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def replay() -> Message:
        nonlocal pending
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return replay
