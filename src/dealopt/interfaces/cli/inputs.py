"""Reading the CLI's JSON/YAML inputs strictly: ``--package``, ``--from`` and ``--history``.

The model reader serves them too, so they get its rules: duplicate keys refused, nesting and size bounded,
numbers with too many digits refused; a package must be a mapping, a history a list of offers, and ``true``
is never a number or a level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dealopt.errors import ModelError, PackageError

__all__ = ["read_history_option", "read_package_option"]

_PACKAGE = 'a package {"issue": level, …}'
_HISTORY = "a list of offers [{by: buyer|seller, package: {…}}, …]"
#: Longest --package text that is tried as a file path first.
_PATH_CHARS = 4096


def _first_problem(exc: ModelError, expected: str) -> str:
    """The first problem of a reading error, a syntax error said as "not valid JSON or YAML"."""
    if not exc.problems:
        return str(exc)
    problem = exc.problems[0]
    if "syntax error" in problem.message:
        what = problem.message.split("; expected")[0]
        return f"{exc.source}: not valid JSON or YAML ({what}); expected {expected}"
    return exc.lines()[0]


def _no_flags(data: Any, where: str) -> None:
    """Refuse ``true``/``false`` where a level is expected: YAML reads yes/no/on/off as booleans too."""
    for name, value in data.items():
        if isinstance(value, bool):
            raise PackageError(
                f"{where}.{name}: {str(value).lower()} is not a level; expected a number or an option's name "
                "(quote yes/no/on/off in YAML)"
            )


def read_package_option(text: str, flag: str = "--package") -> dict[str, Any]:
    """A package from an option's text: JSON or YAML, or the path of a file holding it."""
    from dealopt.model.reading import parse_model_text, read_model_data

    try:
        if not text.lstrip().startswith("{") and len(text) < _PATH_CHARS and Path(text).is_file():
            source = read_model_data(text, kind="package file", expected=_PACKAGE)
            where = text
        else:
            if not text.strip():
                raise PackageError(f"{flag}: empty; expected {_PACKAGE}")
            source = parse_model_text(text, flag, expected=_PACKAGE)
            where = flag
    except ModelError as exc:
        raise PackageError(_first_problem(exc, _PACKAGE)) from None
    except OSError as exc:  # a name too long for the file system, and such
        raise PackageError(f"{flag}: cannot be read as a file ({exc.strerror}); expected {_PACKAGE}") from None
    if isinstance(source.data, str) and where == flag:  # a word: most likely a file name that is not there
        raise PackageError(
            f"{flag}: {text[:80]!r} is neither a package nor a file; expected JSON such as "
            '{"price": 95, …} or the path of a YAML/JSON file holding one'
        )
    if not isinstance(source.data, dict):
        raise PackageError(f"{where}: a {type(source.data).__name__}; expected {_PACKAGE}")
    _no_flags(source.data, where)
    return source.data


def read_history_option(path: Path) -> list[Any]:
    """The offers so far from a history file (YAML or JSON list, oldest first)."""
    from dealopt.model.reading import read_model_data
    from dealopt.negotiation.offers import parse_history

    try:
        data = read_model_data(path, kind="history file", expected=_HISTORY).data
    except ModelError as exc:
        raise PackageError(_first_problem(exc, _HISTORY)) from None
    offers = parse_history(data, str(path))
    for n, offer in enumerate(offers):
        _no_flags(offer.package, f"{path}[{n}].package")
    return offers
