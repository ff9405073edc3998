"""Running the service on uvicorn: connection limits and timeouts, workers that share one model version.

``dealopt serve`` puts the models in force (a snapshot in a private state folder) before any worker starts;
each worker follows that snapshot. ``SIGHUP`` to the server reloads the models folder for every worker
(uvicorn's own handling of ``SIGHUP``, restarting the workers, is replaced: they need no restart).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import resource
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dealopt.errors import DealoptError
from dealopt.service.catalog import Catalog
from dealopt.service.settings import ServiceSettings

__all__ = ["Listen", "fd_room", "log_config", "serve"]

log = logging.getLogger("dealopt.service")
_FD_RESERVE = 64  # descriptors kept for model files, pipes of the solver processes, logs


@dataclass(frozen=True)
class Listen:
    """Where and how the server takes connections."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_connections: int = 1000  # per worker; past it the longest idle connection is closed
    head_timeout: float = 10.0  # seconds for a request head to arrive
    keep_alive: float = 5.0  # seconds an idle connection is kept between requests
    backlog: int = 512
    log_level: str = "info"


def fd_room(wanted: int) -> int:
    """Connections a worker may hold: ``wanted``, within the open-file limit (raised to its hard limit first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(8, min(wanted, soft - _FD_RESERVE))


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus the service's own lines (one per request, with its request ID)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["dealopt"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["dealopt"] = {
        "formatter": "dealopt",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["dealopt.service"] = {"handlers": ["dealopt"], "level": level.upper(), "propagate": False}
    return config


def _config(target: Any, listen: Listen, factory: bool) -> Any:
    import uvicorn

    from dealopt.service.protocol import guarded_protocol

    room = fd_room(listen.max_connections)
    config = uvicorn.Config(
        target,
        factory=factory,
        host=listen.host,
        port=listen.port,
        workers=listen.workers,
        ws="none",
        lifespan="on",
        timeout_keep_alive=max(1, round(listen.keep_alive)),
        timeout_graceful_shutdown=10,
        backlog=listen.backlog,
        log_config=log_config(listen.log_level),
        log_level=listen.log_level,
        access_log=False,  # the service logs each request itself, with its request ID and never a key
        server_header=False,
        proxy_headers=False,
    )
    guarded_protocol(config, listen.head_timeout, room)
    return config


def serve(
    settings: ServiceSettings, keys_file: Path | None, listen: Listen, announce: Callable[[Catalog], None]
) -> None:
    """Run the service until stopped (one process, or ``listen.workers`` sharing the socket); ``announce`` is
    told the models put in force, before the server starts."""
    import uvicorn

    from dealopt.service.app import SERVE_ENV, create_app
    from dealopt.service.store import ModelStore

    state = Path(tempfile.mkdtemp(prefix="dealopt-serve-"))
    try:
        settings = ServiceSettings(**{**_fields(settings), "state_dir": state})
        store = ModelStore(settings.models_dir, state)  # the models in force, before any worker starts
        announce(store.catalog)
        if listen.workers == 1:
            app = create_app(settings)
            uvicorn.Server(_config(app, listen, factory=False)).run()
            return
        # Several processes: the solver is Python and holds the GIL, so one process uses one core.
        # Each worker builds the same app from these settings (the keys are read again, never passed on).
        handed = {k: v for k, v in _fields(settings).items() if k != "keys"}
        handed = {k: str(v) if isinstance(v, Path) else v for k, v in handed.items()}
        handed["keys"] = str(keys_file.resolve()) if keys_file is not None else None
        os.environ[SERVE_ENV] = json.dumps(handed)
        config = _config("dealopt.service.app:app_from_environment", listen, factory=True)
        _supervisor(config, store).run()
    finally:
        shutil.rmtree(state, ignore_errors=True)


def _fields(settings: ServiceSettings) -> dict[str, Any]:
    return {**asdict(settings), "keys": settings.keys}


def _supervisor(config: Any, store: Any) -> Any:
    """uvicorn's process supervisor, with ``SIGHUP`` reloading the models for every worker."""
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def handle_hup(self) -> None:
            try:
                done = store.reload()
                log.warning("reload (SIGHUP): model version %s (was %s)", done.version, done.previous)
            except DealoptError as exc:
                log.warning("%s", exc)

    return Supervisor(config, sockets=[config.bind_socket()])
