"""The FastAPI application: versioned JSON API, API keys with roles, bounded work, and the deal-desk page.

Every answer is the CLI's ``--json`` document as the caller's role may see it (:mod:`dealopt.service.roles`),
with the ``model_version`` it was computed on; counter and trade answers add a buyer-facing ``proposal``.
Quick searches (an evaluated outcome space of up to 200,000 packages: about a millisecond) run on the event
loop; larger searches in threads, bounded by the outcome-space limit; frontier work in solver processes that
are killed past the time budget (:mod:`dealopt.service.pool`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from dealopt.errors import DealoptError, JobFailed, OptionError, ReloadRefused, Timeout, TooMany, UnknownModel
from dealopt.model.compiled import CompiledDeal
from dealopt.service import answers, jobs, responses
from dealopt.service.bodies import FIELDS, CounterBody, EvaluateBody, FrontierBody, TradesBody, field_of, offers
from dealopt.service.catalog import Catalog
from dealopt.service.docs import add_docs
from dealopt.service.gate import Gate
from dealopt.service.limits import KeyLimits
from dealopt.service.pool import SolverPool
from dealopt.service.problems import Problem, problem, validation_answer
from dealopt.service.roles import sees_field
from dealopt.service.settings import ServiceSettings
from dealopt.service.store import ModelStore
from dealopt.service.warm import Warm

__all__ = ["SERVE_ENV", "app_from_environment", "create_app"]

STATIC = Path(__file__).parent / "static"
#: Where ``dealopt serve --workers N`` hands its settings to the worker processes (never a key: the key
#: file's path, the workers read DEALOPT_API_KEYS themselves).
SERVE_ENV = "DEALOPT_SERVE"
QUICK_SPACE = 200_000  # outcome spaces searched on the event loop once evaluated
log = logging.getLogger("dealopt.service")
_bearer = HTTPBearer(auto_error=False)  # documents the scheme; the key is checked by the Gate, before the body

_WHY = {
    401: "No API key, a malformed Authorization header or an unknown key (WWW-Authenticate: Bearer).",
    403: "The key's role may not use this endpoint.",
    404: "No model of that name.",
    408: "The request body did not arrive within the body timeout.",
    409: "The reload was refused: a model file is invalid (the version in force is kept).",
    413: "The request body is larger than the service's limit.",
    422: "Invalid input (the field is named), or a model over the outcome-space limit.",
    429: "The key already has as many requests or frontier computations in progress as it may (Retry-After).",
    503: "The computation went over the per-request time budget (and was stopped).",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of a route, for the OpenAPI document."""
    return {code: {"model": Problem, "description": _WHY[code]} for code in codes}


_READ = _errors(401, 403, 404, 408, 413, 422, 429)
_SOLVE = _errors(401, 403, 404, 408, 413, 422, 429, 503)
#: The action each API route needs (checked by the Gate before the body is read).
ROUTE_ACTIONS = {
    ("GET", "/v1/models"): "models",
    ("GET", "/v1/models/{name}"): "models",
    ("POST", "/v1/models/{name}/evaluate"): "evaluate",
    ("POST", "/v1/models/{name}/frontier"): "frontier",
    ("POST", "/v1/models/{name}/trades"): "trades",
    ("POST", "/v1/models/{name}/counter"): "counter",
    ("POST", "/v1/admin/reload"): "reload",
}


async def role_of(request: Request, _: Annotated[Any, Depends(_bearer)] = None) -> str:
    """The caller's role (the Gate checked the key before the body was read)."""
    role: str = request.state.role
    return role


Role = Annotated[str, Depends(role_of)]


class Overrun(Exception):
    """The request went over its time budget."""


def create_app(settings: ServiceSettings, catalog: Catalog | None = None) -> FastAPI:
    """The service for the models in ``settings.models_dir`` (or ``catalog``, already loaded)."""
    if not settings.keys:
        raise OptionError(
            "keys", OptionError.NO_VALUE, "no API keys; expected a YAML file key: role or DEALOPT_API_KEYS"
        )
    store = ModelStore(settings.models_dir, settings.state_dir, catalog)
    pool = SolverPool(settings.solver_processes, settings.solver_nice)
    warm = Warm(settings.space_cache_bytes)
    searches = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dealopt-search")
    limits = KeyLimits(settings.per_key_requests, settings.per_key_solver)
    seen = {"catalog": store.catalog}
    worker = uuid.uuid4().hex[:8]  # which worker process answered /healthz (not its pid)
    reloads: set[asyncio.Task[None]] = set()  # reloads started by SIGHUP, kept until done

    def current() -> Catalog:
        cat = store.catalog
        if cat is not seen["catalog"]:  # a reload: drop what was kept for the models no longer served
            seen["catalog"] = cat
            warm.forget({id(d) for d in cat.deals.values()})
        return cat

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):  # only in a main thread
            loop.add_signal_handler(signal.SIGHUP, lambda: reloads.add(loop.create_task(reload_logged())))
        starting = loop.run_in_executor(None, pool.start)  # solver processes ready before the first request
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await starting
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.remove_signal_handler(signal.SIGHUP)
            pool.close()

    async def reload_logged() -> None:
        try:
            done = await asyncio.to_thread(store.reload)
            log.warning("reload (SIGHUP): model version %s (was %s)", done.version, done.previous)
        except DealoptError as exc:
            log.warning("%s", exc)
        finally:
            reloads.discard(asyncio.current_task())

    app = FastAPI(
        title="dealopt",
        version="1",
        summary="Deal optimization for B2B negotiation: evaluate, frontier, trades and counter-offers.",
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # the Gate redirects, with a relative Location
    app.state.store, app.state.pool, app.state.warm, app.state.settings = store, pool, warm, settings
    app.state.limits = limits
    add_docs(app)

    def action_of(scope: Scope) -> str | None:
        for route in app.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return ROUTE_ACTIONS.get((scope["method"], getattr(route, "path", "")))
        return None

    app.add_middleware(
        Gate,
        keys=settings.keys,
        action_of=action_of,
        catalog=current,
        limits=limits,
        max_body=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
    )

    if settings.cors_origins:  # outermost: a browser's preflight is answered before the Gate asks for a key
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )

    def answer(request: Request, kind: str, doc: Any) -> JSONResponse:
        """The answer as the caller's role may see it, with the model version it was computed on."""
        return JSONResponse(answers.shown(request.state.role, kind, doc, request.state.catalog.version))

    def deal_of(request: Request, name: str) -> CompiledDeal:
        catalog: Catalog = request.state.catalog
        try:
            return catalog.get(name)
        except UnknownModel as exc:
            raise HTTPException(404, str(exc)) from None

    def within_space(deal: CompiledDeal) -> None:
        try:
            answers.within_space(deal, settings.max_space)
        except DealoptError as exc:
            raise HTTPException(422, str(exc)) from None

    def budget() -> float:
        return time.monotonic() + settings.time_budget

    def left(deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Overrun
        return remaining

    async def search(fn: Callable[[], Any], deadline: float, quick: bool) -> Any:
        """A search: on the event loop when quick, else in a search thread within the budget."""
        if quick and settings.time_budget >= 0.05:
            return fn()
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(searches, fn), left(deadline))

    async def solver(request: Request, fn: Callable[..., Any], *args: Any, deadline: float) -> Any:
        """``fn(*args)`` in a solver process, within the budget and the key's share of solver jobs."""
        with limits.solver_job(request.state.key):
            return await pool.run(fn, *args, timeout=left(deadline))

    async def summary(request: Request, deal: CompiledDeal, deadline: float) -> dict[str, Any]:
        src = request.state.catalog.sources[deal.name]
        return await warm.summary(deal, lambda: solver(request, jobs.frontier_summary, src, deadline=deadline))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_answer(list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Overrun)
    @app.exception_handler(Timeout)
    @app.exception_handler(TimeoutError)
    async def overrun(request: Request, exc: Exception) -> JSONResponse:
        return problem(
            503, f"over the time budget of {settings.time_budget:g} s per request; the computation was stopped"
        )

    @app.exception_handler(TooMany)
    async def too_many(request: Request, exc: TooMany) -> JSONResponse:
        return problem(429, str(exc), headers={"Retry-After": "1"})

    @app.exception_handler(DealoptError)
    async def refused(request: Request, exc: DealoptError) -> JSONResponse:
        if isinstance(exc, JobFailed):
            log.error("%s %s", request.state.request_id, exc)
        param = exc.param if isinstance(exc, OptionError) else None
        return problem(422, exc.shown_as(FIELDS), field_of(param) if param else None)

    @app.get("/healthz", tags=["service"], response_model=responses.Health)
    def healthz(request: Request) -> dict[str, Any]:
        """Liveness: the service runs, how many models it serves, and their version (content hash)."""
        cat = request.state.catalog
        return {"status": "ok", "models": len(cat.deals), "model_version": cat.version, "worker": worker}

    @app.get("/v1/models", tags=["models"], responses=_errors(401, 403, 429), response_model=responses.ModelList)
    def list_models(request: Request, role: Role) -> list[dict[str, Any]]:
        """The models served."""
        return answer(request, "models", answers.models_document(request.state.catalog))  # type: ignore[return-value]

    @app.get("/v1/models/{name}", tags=["models"], responses=_READ, response_model=responses.ModelAnswer)
    def get_model(request: Request, name: str, role: Role) -> dict[str, Any]:
        """A model's issues and levels (with walk-aways, profiles and policy for the roles that see them)."""
        return answer(request, "model", answers.model_document(deal_of(request, name)))  # type: ignore[return-value]

    @app.post(
        "/v1/models/{name}/evaluate", tags=["negotiation"], responses=_READ, response_model=responses.EvaluateAnswer
    )
    async def evaluate_route(request: Request, name: str, body: EvaluateBody, role: Role) -> dict[str, Any]:
        """Both utilities, joint value, feasibility and acceptability of a package (as ``dealopt evaluate --json``)."""
        doc = answers.evaluate_document(deal_of(request, name), dict(body.package))
        return answer(request, "evaluate", doc)  # type: ignore[return-value]

    @app.post(
        "/v1/models/{name}/frontier", tags=["analysis"], responses=_SOLVE, response_model=responses.FrontierAnswer
    )
    async def frontier_route(request: Request, name: str, body: FrontierBody, role: Role) -> dict[str, Any]:
        """The exact frontier and bargaining packages (as ``dealopt frontier --json``), in a solver process."""
        deal = deal_of(request, name)
        if body.engine == "enumerate":
            within_space(deal)
        src = request.state.catalog.sources[deal.name]
        options = body.model_copy(update={"max_space": min(body.max_space, settings.max_space)})
        args = (src, options.model_dump())
        doc = await solver(request, jobs.frontier_document, *args, deadline=budget())
        return answer(request, "frontier", doc)  # type: ignore[return-value]

    @app.post("/v1/models/{name}/trades", tags=["negotiation"], responses=_SOLVE, response_model=responses.TradesAnswer)
    async def trades_route(request: Request, name: str, body: TradesBody, role: Role) -> dict[str, Any]:
        """Trades from a package (as ``dealopt trades --json``), plus the buyer-facing ``proposal``."""
        deal = deal_of(request, name)
        within_space(deal)
        deadline = budget()
        start = dict(body.from_) if not isinstance(body.from_, str) else None
        if start is None:
            start = (await summary(request, deal, deadline))["solutions"][body.from_]
            if start is None:
                raise HTTPException(422, f"from: {body.from_}: there is no ZOPA, so no {body.from_} package")

        def run() -> dict[str, Any]:
            return answers.trades_document(deal, start, body.model_dump(exclude={"from_"}))

        quick = (deal.space_size or 0) <= QUICK_SPACE and (body.max_issues or 2) <= 2
        return answer(request, "trades", await search(run, deadline, quick))  # type: ignore[return-value]

    @app.post(
        "/v1/models/{name}/counter", tags=["negotiation"], responses=_SOLVE, response_model=responses.CounterAnswer
    )
    async def counter_route(request: Request, name: str, body: CounterBody, role: Role) -> dict[str, Any]:
        """Accept, counter or walk away (as ``dealopt counter --json``), plus the buyer-facing ``proposal``."""
        deal = deal_of(request, name)
        within_space(deal)
        history = offers(body)
        deadline = budget()
        await warm.space(deal, left(deadline))
        points = None
        if body.include_frontier and sees_field(role, "counter", "frontier"):
            points = (await summary(request, deal, deadline))["points"]

        def run() -> dict[str, Any]:
            options = body.model_dump(exclude={"history", "include_frontier"})
            return answers.counter_document(deal, history, options, points)

        quick = (deal.space_size or 0) <= QUICK_SPACE and warm.ready(deal)
        return answer(request, "counter", await search(run, deadline, quick))  # type: ignore[return-value]

    @app.post(
        "/v1/admin/reload",
        tags=["service"],
        responses=_errors(401, 403, 409, 429),
        response_model=responses.ReloadAnswer,
    )
    async def reload_route(request: Request, role: Role) -> dict[str, Any]:
        """Read the models folder again and serve it from every worker at once (refused if a file is invalid)."""
        try:
            done = await asyncio.to_thread(store.reload)
        except ReloadRefused as exc:
            raise HTTPException(409, str(exc)) from None
        request.state.catalog = current()
        log.warning("%s reload: model version %s (was %s)", request.state.request_id, done.version, done.previous)
        doc = {"previous": done.previous, "changed": done.changed, "models": done.models}
        return answer(request, "reload", doc)  # type: ignore[return-value]

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
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover - a bug, logged
        log.exception("%s internal error", getattr(request.state, "request_id", "-"))
        return problem(500, f"internal error: {type(exc).__name__}")

    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``dealopt serve --workers N`` (settings from ``DEALOPT_SERVE``)."""
    from dealopt.service.settings import load_keys

    raw = json.loads(os.environ[SERVE_ENV])
    keys = load_keys(raw.pop("keys"))
    raw["models_dir"] = Path(raw["models_dir"])
    raw["state_dir"] = Path(raw["state_dir"]) if raw.get("state_dir") else None
    raw["cors_origins"] = tuple(raw.get("cors_origins") or ())
    return create_app(ServiceSettings(keys=keys, **raw))
