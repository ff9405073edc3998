"""Service settings: where the models are, who may call, and the limits."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dealopt.errors import OptionError
from dealopt.model.reading import SAFE_LOADER
from dealopt.service.roles import ROLES

__all__ = ["KEY_ENV", "ROLES", "ServiceSettings", "check_stdio_key", "load_keys"]

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service is started with (``dealopt serve`` documents each limit)."""

    models_dir: Path
    keys: dict[str, str] = field(default_factory=dict, repr=False)  # API key → role; never printed
    max_body_bytes: int = 256 * 1024
    max_space: int = 5_000_000  # outcome-space size above which a model is refused (422)
    time_budget: float = 5.0  # seconds of computation per request (503 past it; solver processes are stopped)
    max_history: int = 500  # offers in one counter request
    solver_processes: int = 2  # processes for frontier work, killed when a request runs past its budget
    solver_nice: int = 10  # their scheduling niceness: quick requests go first on a busy machine
    per_key_requests: int = 64  # requests of one key in progress at once (429 past it)
    per_key_solver: int = 2  # frontier computations of one key at once (429 past it)
    space_cache_bytes: int = 512 * 2**20  # evaluated outcome spaces kept, least recently used dropped first
    body_timeout: float = 10.0  # seconds to receive a request body once its head is in (408 past it)
    state_dir: Path | None = None  # the shared model snapshots of ``dealopt serve --workers N`` (else private)
    cors_origins: tuple[str, ...] = ()  # browser origins (a CRM widget) allowed to call the API; none by default

    def __post_init__(self) -> None:
        for origin in self.cors_origins:
            if not _ORIGIN.match(origin):
                raise OptionError("cors_origins", origin, "an origin such as https://crm.example.com[:port]")


#: The environment variable holding the key of an MCP stdio session.
KEY_ENV = "DEALOPT_API_KEY"


def load_keys(path: str | Path | None = None, env: str = "DEALOPT_API_KEYS") -> dict[str, str]:
    """API keys from a YAML mapping ``key: role`` (file), else ``key:role,key:role`` (environment)."""
    keys: dict[str, str] = {}
    if path is not None:
        p = Path(path)
        try:
            data = yaml.load(
                p.read_text(encoding="utf-8"), Loader=SAFE_LOADER
            )  # a deeply nested file is refused at once
        except (OSError, yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            why = (getattr(exc, "problem", None) or str(exc)).splitlines()[0][:120]  # libyaml's problem, not context
            raise OptionError("keys", str(p), f"a readable YAML mapping key: role (cannot read: {why})") from None
        if not isinstance(data, dict):
            raise OptionError("keys", str(p), "a YAML mapping key: role")
        items = list(data.items())
        source = "keys"
    else:
        raw = os.environ.get(env, "")
        items = [tuple(part.split(":", 1)) for part in raw.split(",") if part.strip()]  # type: ignore[misc]
        source = env
        if any(len(i) != 2 for i in items):
            raise OptionError(env, OptionError.NO_VALUE, "not key:role pairs; expected key:role,key:role")
    for key, role in items:
        key, role = str(key).strip(), str(role).strip()
        if role not in ROLES:
            raise OptionError(source, role[:40], "a role: one of " + ", ".join(ROLES))
        if len(key) < 16:
            raise OptionError(
                source, OptionError.NO_VALUE, "a key is shorter than 16 characters; expected long random keys"
            )
        keys[key] = role
    return keys


def check_stdio_key(keys: dict[str, str], key: str | None) -> None:
    """:class:`OptionError` unless ``key`` is one of ``keys`` (an stdio session runs under one key)."""
    if not key:
        raise OptionError(KEY_ENV, OptionError.NO_VALUE, "not set; expected the API key this session runs under")
    if key not in keys:
        raise OptionError(KEY_ENV, OptionError.NO_VALUE, "not a key of the keys; expected one of the keys file's keys")
