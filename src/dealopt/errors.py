"""The exceptions dealopt raises.

::

    DealoptError                 root: catch this to catch everything of ours
    ├── ModelError               a deal model file (or dict) is not valid
    ├── PackageError             a package names an unknown issue or level
    ├── OptionError              an option of a call is out of bounds (carries param, value, expected)
    ├── SolveError               an engine failed (carries engine and status)
    └── LimitError               a configured limit was hit before any answer

Every message is one line; the CLI prints it and exits 2, the service answers 4xx.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DealoptError",
    "LimitError",
    "ModelError",
    "OptionError",
    "PackageError",
    "Problem",
    "SolveError",
]


class DealoptError(ValueError):
    """Root of every error dealopt raises on bad input or an impossible request."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a model: where it is and what is wrong."""

    location: str
    message: str
    line: int | None = None

    def format(self, source: str | None = None) -> str:
        """Render as ``FILE:LINE: LOCATION: MESSAGE`` (parts omitted when unknown)."""
        head = source or "<model>"
        if self.line is not None:
            head = f"{head}:{self.line}"
        if self.location:
            return f"{head}: {self.location}: {self.message}"
        return f"{head}: {self.message}"


class ModelError(DealoptError):
    """A deal model is not valid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem."""
        return [p.format(self.source) for p in self.problems]


class PackageError(DealoptError):
    """A package (or partial package) does not fit the model."""


class OptionError(DealoptError):
    """An option of a call is not what it should be: ``param`` names the option as the library calls it."""

    def __init__(self, param: str, value: object, expected: str) -> None:
        self.param = param
        self.value = value
        self.expected = expected
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "…"
        super().__init__(f"{param}: {shown}; expected {expected}")


class SolveError(DealoptError):
    """An engine could not solve a model it accepted."""

    def __init__(self, message: str, engine: str | None = None, status: str | None = None) -> None:
        self.engine = engine
        self.status = status
        super().__init__(message)


class LimitError(DealoptError):
    """A configured limit (outcome-space size, time, memory) stops the computation.

    ``limit`` names the limit (as the library calls it) and ``value`` is what exceeded it, when known.
    """

    def __init__(self, message: str, limit: str | None = None, value: object = None) -> None:
        self.limit = limit
        self.value = value
        super().__init__(message)
