"""``dealopt mcp``: the MCP server for AI assistants, over stdio or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dealopt.interfaces.cli.console import JsonOpt, err, literal

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to the CLI."""

    @app.command("mcp")
    def mcp_cmd(
        models: Annotated[Path, typer.Option("--models", help="The folder of deal models to serve.")] = Path("models"),
        keys: Annotated[
            Path | None,
            typer.Option(
                "--keys", help="YAML mapping of API key to role (rep, desk, analyst, admin); else DEALOPT_API_KEYS."
            ),
        ] = None,
        http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP on 127.0.0.1 (else stdio).")] = False,
        port: Annotated[int, typer.Option("--port", help="Port of --http.", min=1, max=65535)] = 8765,
        max_space: Annotated[
            int, typer.Option("--max-space", help="Largest outcome space a tool may search.", min=1)
        ] = 5_000_000,
        as_json: JsonOpt = False,
    ) -> None:
        """Serve the models to AI assistants over the Model Context Protocol.

        Tools: list_models, describe_model, evaluate, frontier, trades, counter (the JSON API's documents, cut to the caller's role).

        Over stdio the session runs under the key in DEALOPT_API_KEY; over --http each request carries Authorization: Bearer KEY.
        """
        from dealopt.errors import OptionError
        from dealopt.service.settings import KEY_ENV, check_stdio_key, load_keys

        table = load_keys(keys)
        if not table:
            raise OptionError(
                "keys", OptionError.NO_VALUE, "no API keys; expected a YAML file key: role or DEALOPT_API_KEYS"
            )
        stdio_key = None if http else os.environ.get(KEY_ENV)
        if not http:
            check_stdio_key(table, stdio_key)
        # the MCP SDK and the web stack are imported once the keys are known to be good
        from dealopt.service.catalog import Catalog
        from dealopt.service.mcp_server import create_mcp_server

        catalog = Catalog.load(models)
        server = create_mcp_server(catalog, table, stdio_key, max_space)
        if as_json:  # what is served, on stderr: over stdio, stdout carries the protocol
            err.print_json(
                data={
                    "transport": "streamable-http" if http else "stdio",
                    "url": f"http://127.0.0.1:{port}/mcp" if http else None,
                    "models": len(catalog.deals),
                    "model_version": catalog.version,
                    "not_served": [str(p) for p in catalog.problems],
                }
            )
        for problem in [] if as_json else catalog.problems:
            err.print(literal(f"warning: not served: {problem}"))
        if http:
            if not as_json:
                err.print(
                    f"MCP server for {len(catalog.deals)} models on http://127.0.0.1:{port}/mcp "
                    f"(model version {catalog.version})"
                )
            server.run("streamable-http", host="127.0.0.1", port=port)
        else:
            server.run("stdio")
