"""dealopt for AI assistants: an MCP server (the official ``mcp`` SDK) with the API's documents as tools.

Tools ``list_models``, ``describe_model``, ``evaluate``, ``frontier``, ``trades`` and ``counter`` answer with
the same documents as the JSON API (:mod:`dealopt.service.answers`), under the same keys and role table
(:mod:`dealopt.service.roles`): a tool the caller's role may not use is refused, and every answer is cut to
what the role may see — a rep never reads a walk-away, a cost, a utility or a belief.

The caller's key: over streamable HTTP, ``Authorization: Bearer KEY`` on each request; over stdio, the key
the server was started with (``DEALOPT_API_KEY`` in the assistant's configuration of the server).
Every bad argument is a tool error of one line naming the argument.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError

from dealopt.errors import DealoptError
from dealopt.model.compiled import CompiledDeal
from dealopt.negotiation.offers import parse_history
from dealopt.options import (
    CounterOptions,
    FrontierOptions,
    Opening,
    Package,
    SolutionName,
    TopCounters,
    TopTrades,
    TradesOptions,
    as_option_error,
)
from dealopt.service import answers
from dealopt.service.catalog import Catalog
from dealopt.service.roles import ROLES
from dealopt.service.settings import KEY_ENV, check_stdio_key

__all__ = ["KEY_ENV", "TOOLS", "check_stdio_key", "create_mcp_server"]

#: The tools, with the action of the role table each needs.
TOOLS = {
    "list_models": "models",
    "describe_model": "models",
    "evaluate": "evaluate",
    "frontier": "frontier",
    "trades": "trades",
    "counter": "counter",
}
log = logging.getLogger("dealopt.mcp")

ModelName = Annotated[str, Field(max_length=200, description="The model's name, as list_models gives it.")]
Engine = Annotated[
    Literal["auto", "merge", "enumerate", "milp"],
    Field(description="The frontier engine; auto picks the fastest exact one."),
]


def _about(field: str) -> str | None:
    """The description of a counter option, as the library declares it."""
    return CounterOptions.model_fields[field].description


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


class _Server(MCPServer):
    """An MCP server whose argument errors are one line naming the argument (not pydantic's report)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(str(as_option_error(exc.__cause__))) from None
            if isinstance(exc.__cause__, ToolError):  # ours: the one line, without the SDK's preamble
                raise ToolError(str(exc.__cause__)) from None
            raise


def create_mcp_server(
    catalog: Catalog, keys: dict[str, str], stdio_key: str | None = None, max_space: int = 5_000_000
) -> MCPServer:
    """The MCP server for the models of ``catalog``; ``keys`` maps API keys to roles (as ``dealopt serve``)."""
    stdio_role = keys.get(stdio_key) if stdio_key else None
    server = _Server(
        name="dealopt",
        title="dealopt: deal optimization for B2B negotiation",
        instructions=(
            "Evaluate packages of a B2B deal, find trades that leave both sides better off and recommend "
            "whether to accept, counter or walk away. Start with list_models, then describe_model."
        ),
    )

    def role_of(ctx: Context[Any]) -> str:
        headers = ctx.headers
        if headers is not None and "authorization" in {k.lower() for k in headers}:
            value = next(v for k, v in headers.items() if k.lower() == "authorization")
            scheme, _, key = value.partition(" ")
            role = keys.get(key.strip()) if scheme.lower() == "bearer" else None
            if role is None:
                raise ToolError("an unknown API key; expected Authorization: Bearer KEY of the keys file")
            return role
        if stdio_role is None:
            raise ToolError(f"no API key; expected Authorization: Bearer KEY (HTTP) or {KEY_ENV} (stdio)")
        return stdio_role

    def allowed(ctx: Context[Any], tool: str) -> str:
        role = role_of(ctx)
        action = TOOLS[tool]
        if action not in ROLES[role].may:
            raise ToolError(f"the {role} role may not use {tool}")
        return role

    def deal_of(name: str) -> CompiledDeal:
        return catalog.get(name)

    async def run(ctx: Context[Any], tool: str, kind: str, work: Any) -> Any:
        """``work()`` in a thread, cut to what the caller's role may see; every dealopt error as one line."""
        role = allowed(ctx, tool)
        try:
            doc = await anyio.to_thread.run_sync(work)
        except DealoptError as exc:
            raise ToolError(_one_line(exc)) from None
        return answers.shown(role, kind, doc, catalog.version)

    @server.tool(description="The models served: name, title, units, number of issues and outcome-space size.")
    async def list_models(ctx: Context[Any]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await run(ctx, "list_models", "models", lambda: answers.models_document(catalog))
        return result

    @server.tool(description="A model's issues and their levels (walk-aways and policy for the roles that see them).")
    async def describe_model(model: ModelName, ctx: Context[Any]) -> dict[str, Any]:
        result: dict[str, Any] = await run(
            ctx, "describe_model", "model", lambda: answers.model_document(deal_of(model))
        )
        return result

    @server.tool(description="Evaluate a complete package: feasible, acceptable, and the chance the buyer accepts.")
    async def evaluate(model: ModelName, package: Package, ctx: Context[Any]) -> dict[str, Any]:
        result: dict[str, Any] = await run(
            ctx, "evaluate", "evaluate", lambda: answers.evaluate_document(deal_of(model), dict(package))
        )
        return result

    @server.tool(description="The exact Pareto frontier of the ZOPA and the bargaining packages (analysts).")
    async def frontier(
        model: ModelName, ctx: Context[Any], engine: Engine = "auto", all_packages: bool = False
    ) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            deal = deal_of(model)
            options = FrontierOptions.check(engine=engine, all_packages=all_packages)
            if options.engine == "enumerate":
                answers.within_space(deal, max_space)
            return answers.frontier_document(deal, options.model_dump() | {"max_space": max_space})

        result: dict[str, Any] = await run(ctx, "frontier", "frontier", work)
        return result

    @server.tool(
        description="Trades from a package (or nash, kalai_smorodinsky, max_joint, egalitarian): "
        "'if we do this, can you do that', best first, with the sentence to say."
    )
    async def trades(
        model: ModelName,
        start: Annotated[
            Package | SolutionName, Field(description="A complete package, or a bargaining package's name.")
        ],
        ctx: Context[Any],
        max_issues: Annotated[int, Field(ge=1, le=64, description="The most issues one trade changes.")] | None = None,
        top: TopTrades = 10,
    ) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            deal = deal_of(model)
            answers.within_space(deal, max_space)
            options = TradesOptions.check(max_issues=max_issues, top=top)
            begin = answers.start_of_trades(deal, start)
            return answers.trades_document(deal, begin, options.model_dump())

        result: dict[str, Any] = await run(ctx, "trades", "trades", work)
        return result

    @server.tool(
        description="Accept, counter or walk away after the offers so far (oldest first), with ranked "
        "counter-offers phrased as trades. Give round and deadline, or progress in [0, 1]."
    )
    async def counter(
        model: ModelName,
        history: Annotated[
            list[dict[str, Any]],
            Field(max_length=500, description="The offers so far: [{by: buyer|seller, package: {issue: level}}]."),
        ],
        ctx: Context[Any],
        progress: Annotated[float, Field(ge=0, le=1, description=_about("progress"))] | None = None,
        round: Annotated[int, Field(ge=1, description=_about("round"))] | None = None,
        deadline: Annotated[int, Field(ge=1, description=_about("deadline"))] | None = None,
        exponent: Annotated[
            float | None,
            Field(
                gt=0,
                le=100,
                description="Concession: < 1 firm, 1 linear, > 1 fast; default 0.2, firmer with a longer deadline.",
            ),
        ] = None,
        top: TopCounters = 3,
        opening: Annotated[Opening | None, Field(description=_about("opening"))] = None,
    ) -> dict[str, Any]:
        def work() -> dict[str, Any]:
            deal = deal_of(model)
            answers.within_space(deal, max_space)
            options = CounterOptions.check(
                progress=progress, round=round, deadline=deadline, exponent=exponent, top=top, opening=opening
            )
            offers = parse_history(history)
            return answers.counter_document(deal, offers, options.model_dump())

        result: dict[str, Any] = await run(ctx, "counter", "counter", work)
        return result

    return server
