"""The engines in preference order, and how ``auto`` picks one."""

from __future__ import annotations

from dealopt.engines.base import Engine
from dealopt.engines.enumerate import EnumerateEngine
from dealopt.engines.merge import MergeEngine
from dealopt.errors import DealoptError
from dealopt.model.compiled import CompiledDeal

__all__ = ["ENGINE_NAMES", "get_engine", "choose_engine", "installed_engines", "EngineNotApplicable"]


class EngineNotApplicable(DealoptError):
    """The named engine cannot solve this model exactly."""


def _milp() -> Engine | None:
    try:
        from dealopt.engines.milp import MilpEngine
    except ImportError:
        return None
    # named explicitly, milp runs its ε-constraint sweep even where the merge engine could answer
    return MilpEngine(presolve="reduce")


def installed_engines() -> list[Engine]:
    """Every engine available here, in preference order for ``auto``."""
    engines: list[Engine] = [MergeEngine(), EnumerateEngine()]
    milp = _milp()
    if milp is not None:
        engines.append(milp)
    return engines


ENGINE_NAMES = ("auto", "merge", "enumerate", "milp")


def get_engine(name: str) -> Engine:
    """The engine called ``name``."""
    for engine in installed_engines():
        if engine.name == name:
            return engine
    raise EngineNotApplicable(
        f"--engine: unknown or unavailable engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}"
    )


def choose_engine(deal: CompiledDeal, name: str = "auto") -> Engine:
    """The named engine if it accepts ``deal``; for ``auto``, the fastest exact one that does."""
    if name != "auto":
        engine = get_engine(name)
        reason = engine.accepts(deal)
        if reason:
            raise EngineNotApplicable(f"--engine {name}: cannot solve {deal.name!r} exactly: {reason}")
        return engine
    reasons = []
    for engine in installed_engines():
        reason = engine.accepts(deal)
        if reason is None:
            return engine
        reasons.append(f"{engine.name}: {reason}")
    raise EngineNotApplicable(f"no engine can solve {deal.name!r} exactly ({'; '.join(reasons)})")
