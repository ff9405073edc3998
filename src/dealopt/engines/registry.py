"""The engines in preference order, what each needs, and how ``auto`` picks one.

The engine names come from one list, :data:`dealopt.options.ENGINE_NAMES` (the CLI's
engine choice, the service's request bodies and ``docs/engines.md`` read it); the
engines below are exactly those, in the same order. Whether an
engine is installed is read from what it declares it requires, without
importing any solver.
"""

from __future__ import annotations

import functools
import importlib.util

from dealopt.engines.base import Engine
from dealopt.engines.enumerate import EnumerateEngine
from dealopt.engines.merge import MergeEngine
from dealopt.engines.milp import MilpEngine
from dealopt.errors import EngineNotApplicable, OptionError
from dealopt.model.compiled import CompiledDeal
from dealopt.options import ENGINE_NAMES

__all__ = [
    "ENGINES",
    "ENGINE_NAMES",
    "EngineNotApplicable",
    "choose_engine",
    "engines_table",
    "explain_choice",
    "get_engine",
    "installed",
    "installed_engines",
]


#: Every engine dealopt has, in preference order for ``auto``.
ENGINES: tuple[type[Engine], ...] = (MergeEngine, EnumerateEngine, MilpEngine)

if ENGINE_NAMES != ("auto", *(e.name for e in ENGINES)):  # pragma: no cover - a programming error
    raise ImportError(f"dealopt.options.ENGINE_NAMES {ENGINE_NAMES} does not list the registered engines")


@functools.cache
def _found(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def installed(engine: type[Engine] | Engine) -> bool:
    """Whether what the engine requires (or its fallback) is installed; imports nothing."""
    if all(_found(m) for m in engine.requires):
        return True
    return bool(engine.fallback) and all(_found(m) for m in engine.fallback)


def installed_engines() -> list[Engine]:
    """Every engine available here, in preference order for ``auto``."""
    return [cls() for cls in ENGINES if installed(cls)]


def get_engine(name: str) -> Engine:
    """The engine called ``name``."""
    for cls in ENGINES:
        if cls.name == name:
            if not installed(cls):
                needs = " or ".join(", ".join(g) for g in (cls.requires, cls.fallback) if g)
                raise EngineNotApplicable(f"engine {name}: not installed here (it needs {needs})", engine=name)
            return cls()
    raise OptionError("engine", name, "one of " + ", ".join(ENGINE_NAMES))


def explain_choice(deal: CompiledDeal, name: str = "auto") -> tuple[Engine, str | None]:
    """The engine :func:`choose_engine` picks, and why ``auto`` passed over the preferred engines (or None)."""
    if name != "auto":
        engine = get_engine(name)
        reason = engine.accepts(deal)
        if reason:
            raise EngineNotApplicable(f"engine {name}: cannot solve {deal.name!r} exactly: {reason}", engine=name)
        return engine, None
    reasons: list[str] = []
    for engine in installed_engines():
        reason = engine.accepts(deal)
        if reason is None:
            note = None
            if reasons:
                note = f"auto chose {engine.name}: " + "; ".join(reasons)
            return engine, note
        reasons.append(f"{engine.name} cannot take this model ({reason})")
    raise EngineNotApplicable(f"no engine can solve {deal.name!r} exactly ({'; '.join(reasons)})")


def engines_table() -> str:
    """The registry as a Markdown table (docs/engines.md carries it; a test keeps the two equal)."""
    rows = [
        "| engine | exact | lists levels | needs tables | continuous issues without step | requires |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in ENGINES:
        needs = " or ".join(", ".join(g) for g in (e.requires, e.fallback) if g) or "—"
        rows.append(
            f"| `{e.name}` | {'yes' if e.exact else 'no'} | {'yes' if e.listed_levels else 'no'} | "
            f"{'yes' if e.tables else 'no'} | {e.stepless} | {needs} |"
        )
    return "\n".join(rows)


def choose_engine(deal: CompiledDeal, name: str = "auto") -> Engine:
    """The named engine if it accepts ``deal``; for ``auto``, the fastest exact one that does."""
    return explain_choice(deal, name)[0]
