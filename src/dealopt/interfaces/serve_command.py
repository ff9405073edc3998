"""``dealopt serve``: the HTTP service on uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dealopt.interfaces.console import err

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""

    @app.command("serve")
    def serve_cmd(
        models: Annotated[Path, typer.Option("--models", help="The folder of deal models to serve.")] = Path("models"),
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        keys: Annotated[
            Path | None,
            typer.Option(
                "--keys", help="YAML mapping of API key to role (rep, desk, analyst, admin); else DEALOPT_API_KEYS."
            ),
        ] = None,
        workers: Annotated[
            int, typer.Option("--workers", help="Server processes, each with the models loaded (one per core).")
        ] = 1,
        max_body: Annotated[int, typer.Option("--max-body", help="Largest request body, in bytes.")] = 256 * 1024,
        max_space: Annotated[
            int, typer.Option("--max-space", help="Largest outcome space a request may search.")
        ] = 5_000_000,
        time_budget: Annotated[
            float,
            typer.Option("--time-budget", help="Seconds of computation per request (503 past it; the work stops)."),
        ] = 5.0,
        solver_processes: Annotated[
            int,
            typer.Option("--solver-processes", help="Processes per worker for frontier work (killed past the budget)."),
        ] = 2,
        solver_nice: Annotated[
            int, typer.Option("--solver-nice", help="Niceness of the solver processes (0–19): quick requests go first.")
        ] = 10,
        per_key: Annotated[
            int, typer.Option("--per-key", help="Requests one key may have in progress (429 past it).")
        ] = 64,
        per_key_solver: Annotated[
            int, typer.Option("--per-key-solver", help="Frontier computations one key may have in progress.")
        ] = 2,
        space_cache_mb: Annotated[
            int, typer.Option("--space-cache-mb", help="Memory for evaluated outcome spaces per worker (LRU), in MiB.")
        ] = 512,
        max_connections: Annotated[
            int,
            typer.Option("--max-connections", help="Open connections per worker (past it the longest idle is closed)."),
        ] = 1000,
        head_timeout: Annotated[
            float, typer.Option("--head-timeout", help="Seconds for a request's head (line and headers) to arrive.")
        ] = 10.0,
        body_timeout: Annotated[
            float, typer.Option("--body-timeout", help="Seconds for a request's body to arrive.")
        ] = 10.0,
        keep_alive: Annotated[
            float, typer.Option("--keep-alive", help="Seconds an idle connection is kept open between requests.")
        ] = 5.0,
        log_level: Annotated[
            str, typer.Option("--log-level", help="debug, info (one line a request), warning, error.")
        ] = "info",
        cors_origin: Annotated[
            list[str] | None,
            typer.Option(
                "--cors-origin",
                help="A browser origin allowed to call the API, e.g. https://crm.example.com (repeatable; none by "
                "default).",
            ),
        ] = None,
    ) -> None:
        """Serve the JSON API (/v1/…, OpenAPI at /docs) and the deal-desk page (/).

        Models are read once into a snapshot (its content hash is the model_version of every answer); SIGHUP or
        POST /v1/admin/reload (admin key) reads the folder again and switches every worker at once.
        """
        from dealopt.errors import OptionError
        from dealopt.service import ServiceSettings
        from dealopt.service.catalog import Catalog, read_folder
        from dealopt.service.server import Listen, serve
        from dealopt.service.settings import load_keys

        if not 0 < port < 65536:
            raise OptionError("port", port, "1…65535")
        positive = {
            "max_body": max_body,
            "max_space": max_space,
            "time_budget": time_budget,
            "workers": workers,
            "solver_processes": solver_processes,
            "per_key": per_key,
            "per_key_solver": per_key_solver,
            "space_cache_mb": space_cache_mb,
            "max_connections": max_connections,
            "head_timeout": head_timeout,
            "body_timeout": body_timeout,
            "keep_alive": keep_alive,
        }
        for param, value in positive.items():
            if not value > 0:
                raise OptionError(param, value, "a positive number")
        if not 0 <= solver_nice <= 19:
            raise OptionError("solver_nice", solver_nice, "0…19")
        if log_level not in ("debug", "info", "warning", "error"):
            raise OptionError("log_level", log_level[:20], "debug, info, warning or error")
        settings = ServiceSettings(
            models,
            load_keys(keys),
            max_body_bytes=max_body,
            max_space=max_space,
            time_budget=time_budget,
            solver_processes=solver_processes,
            solver_nice=solver_nice,
            per_key_requests=per_key,
            per_key_solver=per_key_solver,
            space_cache_bytes=space_cache_mb * 2**20,
            body_timeout=body_timeout,
            cors_origins=tuple(cors_origin or ()),
        )
        if not settings.keys:
            raise OptionError(
                "keys", OptionError.NO_VALUE, "no API keys; expected a YAML file key: role or DEALOPT_API_KEYS"
            )
        read_folder(models)  # a missing folder is one line, before anything starts

        def announce(catalog: Catalog) -> None:
            for problem in catalog.problems:
                err.print(f"warning: not served: {problem}", markup=False)
            err.print(
                f"serving {len(catalog.deals)} models on http://{host}:{port}"
                + (f" with {workers} workers" if workers > 1 else "")
                + f" (model version {catalog.version})",
                markup=False,
            )

        listen = Listen(host, port, workers, max_connections, head_timeout, keep_alive, log_level=log_level)
        serve(settings, keys, listen, announce)
