"""The FastAPI application: versioned JSON API, API keys with roles, limits, and the deal-desk page.

Every answer is the CLI's ``--json`` document; counter and trade answers add a
buyer-facing ``proposal`` part (package and sentence only).
"""

import asyncio
import functools
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealopt.errors import DealoptError, LimitError
from dealopt.interfaces.documents import counter_proposal, describe_model, evaluation_document, trades_proposal
from dealopt.model.compiled import CompiledDeal
from dealopt.service.bodies import CounterBody, EvaluateBody, FrontierBody, TradesBody, offers
from dealopt.service.catalog import Catalog, UnknownModel
from dealopt.service.settings import ROLES, ServiceSettings

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"
_bearer = HTTPBearer(auto_error=False)


class BodyLimit:
    """ASGI middleware: answer 413 to a request body larger than the limit, counted as it streams."""

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
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse({"detail": f"request body larger than {self.limit:,} bytes"}, status_code=413)
        await response({"type": "http"}, _no_receive, send)


class _TooLarge(Exception):
    pass


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


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

    def allowed(action: str) -> Callable[..., str]:
        def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
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

    async def solve(fn: Callable[[], Any]) -> Any:
        """Run a computation off the event loop within the time budget (503 past it)."""
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, fn), timeout=settings.time_budget)
        except TimeoutError:
            raise HTTPException(503, f"over the time budget of {settings.time_budget:g} s per request") from None
        except LimitError as exc:
            raise HTTPException(422, str(exc)) from None
        except DealoptError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",)) or "body"
            errors.append({"field": loc, "message": e.get("msg", "invalid")})
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return JSONResponse({"detail": f"{first['field']}: {first['message']}", "errors": errors}, status_code=422)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        """Liveness: the service runs and how many models it serves."""
        return {"status": "ok", "models": len(cat.deals)}

    @app.get("/v1/models", tags=["models"])
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

    @app.get("/v1/models/{name}", tags=["models"])
    def get_model(name: str, role: Annotated[str, Depends(allowed("models"))]) -> dict[str, Any]:
        """A model's issues and levels (analysts also see walk-aways, profiles and policy)."""
        return describe_model(deal_of(name), private=role == "analyst")

    @app.post("/v1/models/{name}/evaluate", tags=["negotiation"])
    async def evaluate_route(
        name: str, body: EvaluateBody, role: Annotated[str, Depends(allowed("evaluate"))]
    ) -> dict[str, Any]:
        """Both utilities, joint value, feasibility and acceptability of a package (as ``dealopt evaluate --json``)."""
        deal = deal_of(name)
        return await solve(functools.partial(evaluation_document, deal, dict(body.package)))

    @app.post("/v1/models/{name}/frontier", tags=["analysis"])
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

    @app.post("/v1/models/{name}/trades", tags=["negotiation"])
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

    @app.post("/v1/models/{name}/counter", tags=["negotiation"])
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

        return await solve(run)

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
