"""The CLI's choices and bounds for options, in one place (checked before any work starts)."""

from __future__ import annotations

import math

from dealopt.interfaces.cli.console import fail

__all__ = ["ENGINE_CHOICES", "ENGINE_HELP", "check_engine", "check_time_limit"]

#: What ``--engine`` accepts (pinned to the engine registry by tests/test_cli_layout.py).
ENGINE_CHOICES: tuple[str, ...] = ("auto", "merge", "enumerate", "milp")
ENGINE_HELP = f"Frontier engine: {', '.join(ENGINE_CHOICES)}."


def check_engine(engine: str, flag: str = "--engine") -> None:
    """Refuse an unknown engine name."""
    if engine not in ENGINE_CHOICES:
        fail(f"{flag}: unknown engine {engine!r}; expected one of {', '.join(ENGINE_CHOICES)}")


def check_time_limit(seconds: float | None, flag: str = "--time-limit") -> None:
    """Refuse a time limit that is not a finite number of seconds > 0."""
    if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
        fail(f"{flag}: {seconds}; expected a number of seconds > 0")
