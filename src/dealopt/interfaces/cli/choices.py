"""The CLI's choices come from :mod:`dealopt.options`, read when they are shown.

Option help may name ``{engines}``, ``{solutions}``, ``{openings}`` or ``{agents}``: the app fills them in when
help is printed (:func:`help_values`), so ``dealopt --help`` does not load pydantic. Bounds are the library's:
it checks every option with :mod:`dealopt.options` and the CLI names the flag in the message.
"""

from __future__ import annotations

import functools

__all__ = ["help_values"]


@functools.cache
def help_values() -> dict[str, str]:
    """The names option help refers to, from :mod:`dealopt.options`."""
    from dealopt.options import AGENT_NAMES, ENGINE_NAMES, OPENINGS, SOLUTIONS

    return {
        "engines": ", ".join(ENGINE_NAMES),
        "solutions": "|".join(SOLUTIONS),
        "openings": " or ".join(OPENINGS),
        "agents": ", ".join(AGENT_NAMES),
    }
