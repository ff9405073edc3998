"""``dealopt serve``: the HTTP service on uvicorn."""

from __future__ import annotations

import json
import os
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
            typer.Option("--keys", help="YAML mapping of API key to role (rep or analyst); else DEALOPT_API_KEYS."),
        ] = None,
        max_body: Annotated[int, typer.Option("--max-body", help="Largest request body, in bytes.")] = 256 * 1024,
        max_space: Annotated[
            int, typer.Option("--max-space", help="Largest outcome space a request may search.")
        ] = 5_000_000,
        time_budget: Annotated[float, typer.Option("--time-budget", help="Seconds of computation per request.")] = 5.0,
        workers: Annotated[
            int, typer.Option("--workers", help="Server processes, each with the models loaded (one per core).")
        ] = 1,
    ) -> None:
        """Serve the JSON API (/v1/…, OpenAPI at /docs) and the deal-desk page (/)."""
        import uvicorn

        from dealopt.errors import DealoptError
        from dealopt.service import ServiceSettings, create_app
        from dealopt.service.app import SERVE_ENV
        from dealopt.service.settings import load_keys

        if not 0 < port < 65536:
            raise DealoptError(f"--port: {port}; expected 1…65535")
        if max_body < 1 or max_space < 1 or time_budget <= 0 or workers < 1:
            raise DealoptError("--max-body, --max-space, --time-budget and --workers: expected positive numbers")
        settings = ServiceSettings(models, load_keys(keys), max_body, max_space, time_budget)
        service = create_app(settings)
        for problem in service.state.catalog.problems:
            err.print(f"warning: not served: {problem}", markup=False)
        err.print(
            f"serving {len(service.state.catalog.deals)} models on http://{host}:{port}"
            + (f" with {workers} workers" if workers > 1 else ""),
            markup=False,
        )
        if workers == 1:
            uvicorn.run(service, host=host, port=port, log_level="warning")
            return
        # Several processes: the solver is Python and holds the GIL, so one process uses one core.
        # Each worker builds the same app from these settings (the keys are read again, never passed on).
        os.environ[SERVE_ENV] = json.dumps(
            {
                "models": str(models.resolve()),
                "keys": str(keys.resolve()) if keys is not None else None,
                "max_body": max_body,
                "max_space": max_space,
                "time_budget": time_budget,
            }
        )
        uvicorn.run(
            "dealopt.service.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )
