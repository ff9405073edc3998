"""Service settings: where the models are, who may call, and the limits."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dealopt.errors import DealoptError

__all__ = ["ROLES", "ServiceSettings", "load_keys"]

#: What each role may do.
ROLES: dict[str, frozenset[str]] = {
    "rep": frozenset({"models", "evaluate", "trades", "counter"}),
    "analyst": frozenset({"models", "evaluate", "trades", "counter", "frontier"}),
}


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service is started with."""

    models_dir: Path
    keys: dict[str, str] = field(default_factory=dict, repr=False)  # API key → role; never printed
    max_body_bytes: int = 256 * 1024
    max_space: int = 5_000_000  # outcome-space size above which a model is refused (422)
    time_budget: float = 5.0  # seconds of solver time per request (503 past it)
    max_history: int = 500  # offers in one counter request


def load_keys(path: str | Path | None = None, env: str = "DEALOPT_API_KEYS") -> dict[str, str]:
    """API keys from a YAML mapping ``key: role`` (file), else ``key:role,key:role`` (environment)."""
    keys: dict[str, str] = {}
    if path is not None:
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise DealoptError(
                f"--keys {p}: cannot read ({str(exc).splitlines()[0]}); expected a YAML mapping key: role"
            ) from None
        if not isinstance(data, dict):
            raise DealoptError(f"--keys {p}: expected a YAML mapping key: role")
        items = list(data.items())
        source = f"--keys {p}"
    else:
        raw = os.environ.get(env, "")
        items = [tuple(part.split(":", 1)) for part in raw.split(",") if part.strip()]  # type: ignore[misc]
        source = env
        if any(len(i) != 2 for i in items):
            raise DealoptError(f"{env}: expected key:role,key:role")
    for key, role in items:
        key, role = str(key).strip(), str(role).strip()
        if role not in ROLES:
            raise DealoptError(f"{source}: role {role!r}; expected one of {', '.join(ROLES)}")
        if len(key) < 16:
            raise DealoptError(f"{source}: a key is shorter than 16 characters; expected long random keys")
        keys[key] = role
    return keys
