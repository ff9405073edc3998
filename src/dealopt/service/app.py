"""The FastAPI application: versioned JSON API, API keys with roles, limits, and the deal-desk page.

Every answer is the CLI's ``--json`` document; counter and trade answers add a
buyer-facing ``proposal`` part (package and sentence only).
"""

import asyncio
import functools
import hmac
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealopt.errors import DealoptError, LimitError
from dealopt.interfaces.documents import counter_proposal, describe_model, evaluation_document, trades_proposal
from dealopt.model.compiled import CompiledDeal
from dealopt.service.bodies import CounterBody, EvaluateBody, FrontierBody, TradesBody, offers
from dealopt.service.catalog import Catalog, UnknownModel
from dealopt.service.settings import ROLES, ServiceSettings

__all__ = ["SERVE_ENV", "app_from_environment", "create_app"]

STATIC = Path(__file__).parent / "static"
#: Where ``dealopt serve --workers N`` hands its settings to the worker processes (never a key: the key
#: file's path, the workers read DEALOPT_API_KEYS themselves).
SERVE_ENV = "DEALOPT_SERVE"
_bearer = HTTPBearer(auto_error=False)


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    field: str
    message: str


class Problem(BaseModel):
    """Every error answer: one line saying what is wrong (and, for invalid input, each field)."""

    detail: str
    errors: list[FieldProblem] | None = None


_WHY = {
    401: "No API key, a malformed Authorization header or an unknown key (WWW-Authenticate: Bearer).",
    403: "The key's role may not use this endpoint.",
    404: "No model of that name.",
    413: "The request body is larger than the service's limit.",
    422: "Invalid input (the field is named), or a model over the outcome-space limit.",
    503: "The computation went over the per-request time budget.",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, for the OpenAPI document."""
    return {code: {"model": Problem, "description": _WHY[code]} for code in codes}


_READ = _errors(401, 403, 404, 413, 422)
_SOLVE = _errors(401, 403, 404, 413, 422, 503)


class BodyLimit:
    """ASGI middleware: answer 413 to a request body larger than the limit.

    A declared ``Content-Length`` over the limit is refused at once; otherwise the body is read
    (counted as it streams, so a chunked body cannot pass either) before the app sees the request,
    and handed to it whole. Bodies are small (the limit), so holding one costs nothing.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message | None = {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse({"detail": f"request body larger than {self.limit:,} bytes"}, status_code=413)
        await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


_UNION_MEMBER = re.compile(r"^(?:constrained-|function-)|\[")
_SCALAR_MEMBERS = {"float", "int", "str", "bool"}


def _field_problem(error: dict[str, Any]) -> tuple[str, str]:
    """The field an input error is about (dotted, without pydantic's union-member tags) and what is wrong."""
    loc = list(error.get("loc", ()))
    if loc[:1] == ["body"]:
        loc = loc[1:]
    if error.get("type") == "json_invalid":
        where = f" at character {loc[0]}" if loc and isinstance(loc[0], int) else ""
        reason = (error.get("ctx") or {}).get("error", "")
        return "body", f"not valid JSON{where}" + (f" ({reason})" if reason else "")
    parts = [p for p in loc if not (isinstance(p, str) and _UNION_MEMBER.search(p))]
    if len(parts) > 1 and parts[-1] in _SCALAR_MEMBERS:  # a level is a number or a text: a union's member tag
        parts = parts[:-1]
    return ".".join(str(p) for p in parts) or "body", str(error.get("msg", "invalid"))


_CLI_OPTION = re.compile(r"--(progress|round|deadline|from|max-issues|top|exponent|package)\b")


def _api_words(message: str) -> str:
    """A library message as the API says it: the CLI's options are the body's fields (``--max-issues`` → ``max_issues``)."""
    return _CLI_OPTION.sub(lambda m: m.group(1).replace("-", "_"), message)


def _space_cached(deal: CompiledDeal) -> bool:
    """Whether the outcome space of ``deal`` is already evaluated (in this process)."""
    from dealopt.negotiation.space import is_evaluated

    return is_evaluated(deal)


def create_app(settings: ServiceSettings, catalog: Catalog | None = None) -> FastAPI:
    """The service for the models in ``settings.models_dir``."""
    if not settings.keys:
        raise DealoptError("no API keys: give --keys FILE (YAML key: role) or set DEALOPT_API_KEYS=key:role,…")
    cat = catalog or Catalog.load(settings.models_dir)
    app = FastAPI(
        title="dealopt",
        version="1",
        summary="Deal optimization for B2B negotiation: evaluate, frontier, trades and counter-offers.",
    )
    app.state.catalog = cat
    app.state.settings = settings
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)  # type: ignore[arg-type]
    keys = [(k.encode(), role) for k, role in settings.keys.items()]

    def role_of(credentials: HTTPAuthorizationCredentials | None) -> str:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401, "missing API key: send Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"}
            )
        given = credentials.credentials.encode()
        found = None
        for key, role in keys:  # compare with every key, in constant time each
            if hmac.compare_digest(given, key):
                found = role
        if found is None:
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return found

    def allowed(action: str) -> Callable[..., Any]:
        # async: a few microseconds of work, not worth a hop to FastAPI's thread pool on every request
        async def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
            role = role_of(credentials)
            if action not in ROLES[role]:
                raise HTTPException(403, f"the {role} role may not use {action}")
            return role

        return check

    def deal_of(name: str) -> CompiledDeal:
        try:
            deal = cat.get(name)
        except UnknownModel as exc:
            raise HTTPException(404, str(exc)) from None
        return deal

    def within_space(deal: CompiledDeal) -> None:
        size = deal.space_size
        if size is not None and size > settings.max_space:
            raise HTTPException(
                422,
                f"model {deal.name!r} has {size:,} packages, more than this service's limit of {settings.max_space:,}",
            )

    def is_quick(deal: CompiledDeal) -> bool:
        """Whether a search on ``deal`` takes about a millisecond: its outcome space is small and evaluated."""
        return (deal.space_size or 0) <= 200_000 and _space_cached(deal)

    async def solve(fn: Callable[[], Any], quick: bool = False) -> Any:
        """Run a computation within the time budget (503 past it).

        ``quick`` work (a counter-offer or trade search on a model whose outcome space is already
        evaluated and small: about a millisecond) runs on the event loop, since a hop to a worker
        thread costs more than the work; anything else runs in a thread, bounded by the budget.
        The document is plain JSON data already: it goes out as it is, without FastAPI's response
        validation (which cost more CPU than the counter-offer itself).
        """
        loop = asyncio.get_running_loop()
        try:
            if quick and settings.time_budget >= 0.05:
                return JSONResponse(fn())
            return JSONResponse(await asyncio.wait_for(loop.run_in_executor(None, fn), timeout=settings.time_budget))
        except TimeoutError:
            raise HTTPException(503, f"over the time budget of {settings.time_budget:g} s per request") from None
        except (LimitError, DealoptError) as exc:
            raise HTTPException(422, _api_words(str(exc))) from None

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for e in exc.errors():
            field, message = _field_problem(e)
            if message not in errors.setdefault(field, []):
                errors[field].append(message)
        listed = [{"field": f, "message": " or ".join(m)} for f, m in errors.items()]
        first = listed[0] if listed else {"field": "body", "message": "invalid"}
        return JSONResponse({"detail": f"{first['field']}: {first['message']}", "errors": listed}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 400:  # FastAPI could not read the body (not UTF-8 text, …): malformed input
            return JSONResponse(
                {
                    "detail": "body: not valid JSON (expected a JSON object in UTF-8)",
                    "errors": [{"field": "body", "message": "not valid JSON (expected a JSON object in UTF-8)"}],
                },
                status_code=422,
            )
        return await http_exception_handler(request, exc)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness: the service runs and how many models it serves."""
        return {"status": "ok", "models": len(cat.deals)}

    @app.get("/v1/models", tags=["models"], responses=_errors(401, 403, 413))
    def list_models(role: Annotated[str, Depends(allowed("models"))]) -> list[dict[str, Any]]:
        """The models served."""
        return [
            {
                "name": d.name,
                "title": d.model.title,
                "units": d.model.unit_label,
                "issues": len(d.issues),
                "space_size": d.space_size,
            }
            for d in cat.deals.values()
        ]

    @app.get("/v1/models/{name}", tags=["models"], responses=_READ)
    def get_model(name: str, role: Annotated[str, Depends(allowed("models"))]) -> dict[str, Any]:
        """A model's issues and levels (analysts also see walk-aways, profiles and policy)."""
        return describe_model(deal_of(name), private=role == "analyst")

    @app.post("/v1/models/{name}/evaluate", tags=["negotiation"], responses=_SOLVE)
    async def evaluate_route(
        name: str, body: EvaluateBody, role: Annotated[str, Depends(allowed("evaluate"))]
    ) -> dict[str, Any]:
        """Both utilities, joint value, feasibility and acceptability of a package (as ``dealopt evaluate --json``)."""
        deal = deal_of(name)
        return await solve(functools.partial(evaluation_document, deal, dict(body.package)))

    @app.post("/v1/models/{name}/frontier", tags=["analysis"], responses=_SOLVE)
    async def frontier_route(
        name: str, body: FrontierBody, role: Annotated[str, Depends(allowed("frontier"))]
    ) -> dict[str, Any]:
        """The exact frontier and bargaining packages (as ``dealopt frontier --json``)."""
        from dealopt.negotiation.frontier import frontier

        deal = deal_of(name)
        if body.engine == "enumerate":
            within_space(deal)

        def run() -> dict[str, Any]:
            return frontier(deal, body.engine, all_packages=body.all_packages, max_space=settings.max_space).to_dict(
                body.all_packages
            )

        return await solve(run)

    @app.post("/v1/models/{name}/trades", tags=["negotiation"], responses=_SOLVE)
    async def trades_route(
        name: str, body: TradesBody, role: Annotated[str, Depends(allowed("trades"))]
    ) -> dict[str, Any]:
        """Trades from a package (as ``dealopt trades --json``), plus the buyer-facing ``proposal``."""
        from dealopt.negotiation.api import trades

        deal = deal_of(name)
        within_space(deal)
        start = body.from_ if isinstance(body.from_, str) else dict(body.from_)

        def run() -> dict[str, Any]:
            result = trades(deal, start, max_issues=body.max_issues, top=body.top)
            return {**result.to_dict(), "proposal": trades_proposal(result)}

        return await solve(run)

    @app.post("/v1/models/{name}/counter", tags=["negotiation"], responses=_SOLVE)
    async def counter_route(
        name: str, body: CounterBody, role: Annotated[str, Depends(allowed("counter"))]
    ) -> dict[str, Any]:
        """Accept, counter or walk away (as ``dealopt counter --json``), plus the buyer-facing ``proposal``."""
        from dealopt.negotiation.api import counter

        deal = deal_of(name)
        within_space(deal)
        history = offers(body)

        def run() -> dict[str, Any]:
            rec = counter(
                deal,
                history,
                progress=body.progress,
                round=body.round,
                deadline=body.deadline,
                exponent=body.exponent,
                top=body.top,
            )
            doc = {**rec.to_dict(), "proposal": counter_proposal(rec, history)}
            if body.include_frontier:
                from dealopt.negotiation.frontier import frontier

                doc["frontier"] = [[p.seller, p.buyer] for p in frontier(deal).points]
            return doc

        return await solve(run, quick=is_quick(deal) and not body.include_frontier)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        """The deal-desk page."""
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        """The page's script and style."""
        files = {p.name: p for p in STATIC.iterdir() if p.is_file()}
        if name not in files:
            raise HTTPException(404, "no such file")
        return FileResponse(files[name])

    @app.exception_handler(Exception)
    async def unexpected(
        request: Request, exc: Exception
    ) -> JSONResponse:  # pragma: no cover - a bug, logged by uvicorn
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``dealopt serve --workers N`` (settings from ``DEALOPT_SERVE``)."""
    from dealopt.service.settings import load_keys

    raw = json.loads(os.environ[SERVE_ENV])
    keys = load_keys(raw["keys"])
    settings = ServiceSettings(Path(raw["models"]), keys, raw["max_body"], raw["max_space"], raw["time_budget"])
    return create_app(settings)
