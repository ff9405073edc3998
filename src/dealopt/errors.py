"""The exceptions dealopt raises.

::

    DealoptError                 root: catch this to catch everything of ours (a ValueError)
    ├── ModelError               a deal model file (or dict) is not valid (carries source, path, line)
    ├── ReloadRefused            the service kept its models: a file of the new set is invalid
    ├── PackageError             a package names an unknown issue or level
    ├── OptionError              an option of a call is not what it should be (carries param, value, expected)
    ├── PathError                a sweep path does not address a number of the model
    ├── UnknownModel             no served model has that name
    ├── EngineError              an engine cannot give the answer
    │   ├── EngineNotApplicable  the named engine cannot solve this model exactly
    │   └── SolveError           an engine failed (carries engine and status)
    │       └── JobFailed        the solver process of the service ended or failed
    └── LimitError               a configured limit was hit before any answer (carries limit, value)
        ├── Timeout              the service's time budget ran out
        └── TooMany              a key has as many requests in progress as it may

Every message is one line (a :class:`ModelError` has one line per :class:`Problem` found); the CLI prints it
and exits 2, the service answers 4xx.
Library messages never name a command-line flag: an :class:`OptionError` names the
parameter as the library calls it, and each edge maps it (the CLI to its flag, the
service to its body field) with :meth:`OptionError.shown_as`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "DealoptError",
    "EngineError",
    "EngineNotApplicable",
    "JobFailed",
    "LimitError",
    "ModelError",
    "OptionError",
    "PackageError",
    "PathError",
    "Problem",
    "ReloadRefused",
    "SolveError",
    "Timeout",
    "TooMany",
    "UnknownModel",
]


class DealoptError(ValueError):
    """Root of every error dealopt raises on bad input or an impossible request.

    ``param``: the library parameter the message starts with (``from_package: …``), when it is about one.
    """

    param: str | None = None

    def shown_as(self, names: Mapping[str, str]) -> str:
        """The message with its leading parameter named as in ``names`` (a CLI flag, a body field)."""
        text = str(self)
        if self.param is not None and self.param in names and text.startswith(self.param):
            return names[self.param] + text[len(self.param) :]
        return text


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
    """A deal model is not valid; ``problems`` lists every problem found (the first gives ``path`` and ``line``)."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(self.lines()))

    @property
    def path(self) -> str | None:
        """Where in the model the first problem is (``parties.seller.walk_away``), if known."""
        return self.problems[0].location or None if self.problems else None

    @property
    def line(self) -> int | None:
        """The line of the file the first problem is on, if known."""
        return self.problems[0].line if self.problems else None

    def lines(self) -> list[str]:
        """One line per problem."""
        return [p.format(self.source) for p in self.problems]


class ReloadRefused(DealoptError):
    """A reload of the service's models was refused: a file is invalid, the models in force are kept."""


class PackageError(DealoptError):
    """A package (or partial package) does not fit the model; ``param`` names the argument that holds it."""

    def __init__(self, message: str, param: str | None = None) -> None:
        self.param = param.split(".")[0].split("[")[0] if param else None
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.param))


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 200 else shown[:197] + "…"


class OptionError(DealoptError):
    """An option of a call is not what it should be: ``param`` names the option as the library calls it.

    One message template: ``PARAM: VALUE; expected EXPECTED`` (``PARAM: EXPECTED`` when ``value`` is
    :data:`OptionError.NO_VALUE`, for a problem that is not one value's, such as two options given together).
    The batch functions give a whole sentence instead (``OptionError("out", "x.txt: unknown extension …;
    expected .parquet or .csv")``): ``PARAM: DETAIL``.
    """

    NO_VALUE: object = object()
    param: str

    def __init__(self, param: str, value: object, expected: str | None = None) -> None:
        self.param = param
        if expected is None:
            value, expected = OptionError.NO_VALUE, str(value)
        self.value = value
        self.expected = expected
        super().__init__(self.shown_as({}))

    @property
    def argument(self) -> str:
        """The parameter's name (as the batch functions call it)."""
        return self.param

    @property
    def detail(self) -> str:
        """The message without the parameter's name."""
        return self.shown_as({self.param: ""})[2:]

    def shown_as(self, names: Mapping[str, str]) -> str:
        """The message with the parameter named as in ``names`` (a CLI flag, a body field); unchanged if absent."""
        name = names.get(self.param, self.param)
        if self.value is OptionError.NO_VALUE:
            return f"{name}: {self.expected}"
        return f"{name}: {_shown(self.value)}; expected {self.expected}"

    def __reduce__(self) -> tuple[object, ...]:  # picklable across solver processes and Dask workers
        if self.value is OptionError.NO_VALUE:
            return (type(self), (self.param, self.expected))
        return (type(self), (self.param, self.value, self.expected))


class PathError(DealoptError):
    """A sweep path (or varied name) that does not address a number in the model."""


class UnknownModel(DealoptError):
    """No served model has that name."""


class EngineError(DealoptError):
    """An engine cannot give the answer asked for."""


class EngineNotApplicable(EngineError):
    """The named engine cannot solve this model exactly (or is not installed)."""

    def __init__(self, message: str, engine: str | None = None) -> None:
        self.engine = engine
        super().__init__(message)


class SolveError(EngineError):
    """An engine could not solve a model it accepted; ``status`` is the vendor's."""

    def __init__(self, message: str, engine: str | None = None, status: str | None = None) -> None:
        self.engine = engine
        self.status = status
        super().__init__(message)


class JobFailed(SolveError):
    """A solver process of the service ended unexpectedly or its computation failed."""


class LimitError(DealoptError):
    """A configured limit (outcome-space size, time, memory, requests) stops the computation.

    ``limit`` names the limit (``max_space``, ``time_budget`` …) and ``value`` its setting, when known.
    """

    def __init__(self, message: str, limit: str | None = None, value: object = None) -> None:
        self.limit = limit
        self.value = value
        super().__init__(message)


class Timeout(LimitError):
    """The computation went over its time budget."""


class TooMany(LimitError):
    """A key already has as many requests (or solver jobs) in progress as it may."""
