"""Errors and options declared once: the tree in ``dealopt.errors``, no error class elsewhere, no bare root
raised, no library message naming a CLI flag, and the options of every main call in ``dealopt.options``."""

from __future__ import annotations

import ast
import functools
import pickle
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import dealopt
from dealopt import errors
from dealopt.errors import (
    DealoptError,
    EngineError,
    EngineNotApplicable,
    JobFailed,
    LimitError,
    ModelError,
    OptionError,
    PackageError,
    Problem,
    SolveError,
    Timeout,
    TooMany,
)
from dealopt.options import (
    ENGINE_NAMES,
    ClusterOptions,
    CounterOptions,
    FrontierOptions,
    Options,
    PricingOptions,
    SimulateOptions,
    SweepOptions,
    TradesOptions,
    bounds,
    choices,
)

SRC = Path(dealopt.__file__).resolve().parent
FLAG = re.compile(r"(?<![\w-])--[a-z]")
#: Exceptions that are control flow inside one module, never shown to a user.
INTERNAL = {"TimeUp", "_Refused", "Overrun"}


@functools.cache
def _parsed() -> tuple[tuple[Path, str, ast.Module], ...]:
    """Every module of the package with its relative path and syntax tree (parsed once; the trees are only read)."""
    return tuple(
        (path, path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    )


def _modules(*skip: str) -> list[tuple[Path, ast.Module]]:
    return [(path, tree) for path, rel, tree in _parsed() if not any(rel.startswith(s) for s in skip)]


def test_the_tree_is_as_drawn() -> None:
    assert issubclass(DealoptError, ValueError)
    for cls in (ModelError, PackageError, OptionError, EngineError, LimitError):
        assert cls.__bases__ == (DealoptError,), cls
    assert issubclass(EngineNotApplicable, EngineError) and issubclass(SolveError, EngineError)
    assert issubclass(JobFailed, SolveError) and issubclass(Timeout, LimitError) and issubclass(TooMany, LimitError)
    for name in errors.__all__:
        assert name in errors.__doc__, name  # the docstring draws every class


def test_every_error_class_lives_in_errors_py() -> None:
    elsewhere = []
    for path, tree in _modules("errors.py"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name not in INTERNAL:
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {"Exception", "ValueError", *errors.__all__}:
                    elsewhere.append(f"{path.relative_to(SRC)}: {node.name}")
    assert not elsewhere


def test_the_root_is_never_raised_bare() -> None:
    bare = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", "") == "DealoptError"
    ]
    assert not bare


def test_no_library_message_names_a_cli_flag() -> None:
    found = []
    for path, tree in _modules("interfaces/"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                for part in ast.walk(node.exc):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and FLAG.search(part.value):
                        found.append(f"{path.relative_to(SRC)}:{node.lineno}: {part.value!r}")
    assert not found


def test_one_option_message_renamed_at_each_edge() -> None:
    exc = OptionError("from_package", "fair", "a package or one of nash, max_joint")
    assert str(exc) == "from_package: 'fair'; expected a package or one of nash, max_joint"
    assert exc.shown_as({"from_package": "--from"}).startswith("--from: 'fair'; expected")
    assert exc.shown_as({"from_package": "from"}).startswith("from: 'fair'")
    assert exc.shown_as({}) == str(exc)
    batch = OptionError("out", "x.txt: unknown extension '.txt'; expected .parquet or .csv")
    assert str(batch) == "out: x.txt: unknown extension '.txt'; expected .parquet or .csv"
    assert batch.shown_as({"out": "-o"}).startswith("-o: x.txt") and batch.detail.startswith("x.txt")
    for e in (exc, batch, PackageError("from_package: nash: no ZOPA", "from_package"), SolveError("m", "milp", "x")):
        again = pickle.loads(pickle.dumps(e))  # across solver processes and Dask workers
        assert type(again) is type(e) and str(again) == str(e) and again.param == e.param
    pkg = PackageError("history[2].package.price: 'x' is not a level", "history[2].package")
    assert pkg.param == "history" and pkg.shown_as({"history": "--history"}).startswith("--history[2].package")
    model = ModelError([Problem("parties.seller.walk_away", "expected a number", 12)], "m.yaml")
    assert model.path == "parties.seller.walk_away" and model.line == 12 and model.source == "m.yaml"
    assert LimitError("too big", limit="max_space", value=5).limit == "max_space"


@pytest.mark.parametrize(
    "options", [FrontierOptions, TradesOptions, CounterOptions, SimulateOptions, SweepOptions, PricingOptions]
)
def test_every_options_model_is_frozen_strict_and_closed(options: type[Options]) -> None:
    made = options()
    with pytest.raises(ValidationError):
        made.__setattr__(next(iter(options.model_fields)), None)
    with pytest.raises(OptionError) as info:
        options.check(no_such_option=1)
    assert info.value.param == "no_such_option" and "no such option" in str(info.value)
    numeric = [n for n, f in options.model_fields.items() if bounds(options, n) != (None, None)]
    assert numeric
    for name in numeric:
        with pytest.raises(OptionError) as info:
            options.check(**{name: True})  # true is not a number
        assert info.value.param == name and "\n" not in str(info.value)


def test_choices_and_bounds_for_the_cli() -> None:
    assert choices(FrontierOptions, "engine") == ENGINE_NAMES == ("auto", "merge", "enumerate", "milp")
    assert choices(SweepOptions, "engine") == ENGINE_NAMES
    assert choices(CounterOptions, "opening") == ("zopa", "best")
    assert choices(SimulateOptions, "seller")[0] == "engine"
    assert bounds(CounterOptions, "progress") == (0, 1)
    assert bounds(CounterOptions, "top") == (1, 20) and bounds(TradesOptions, "top") == (1, 100)
    assert bounds(FrontierOptions, "max_space") == (1, None)
    assert bounds(ClusterOptions, "workers") == (1, 4096)


def test_the_names_are_the_registries() -> None:
    from dealopt.engines.registry import ENGINES
    from dealopt.negotiation.agents import AGENTS

    assert ENGINE_NAMES == ("auto", *(e.name for e in ENGINES))
    assert choices(SimulateOptions, "opponent") == tuple(AGENTS)


@pytest.mark.parametrize(
    ("given", "param", "words"),
    [
        ({"progress": 1.5}, "progress", "expected a number in [0, 1]"),
        ({"progress": 0.5, "round": 2, "deadline": 5}, "progress", "not both"),
        ({"round": 2}, "round", "round and deadline together"),
        ({"deadline": 4}, "round", "round and deadline together"),
        ({"round": 5, "deadline": 4}, "round", "1 ≤ round ≤ deadline"),
        ({"round": 0, "deadline": 4}, "round", "expected a number in [1, 1e+06]"),
        ({"top": "3"}, "top", "expected an integer"),
        ({"opening": "middle"}, "opening", "expected one of zopa or best"),
        ({"exponent": float("inf")}, "exponent", "finite"),
    ],
)
def test_counter_options_refuse_in_one_line_naming_the_parameter(given: dict, param: str, words: str) -> None:
    with pytest.raises(OptionError) as info:
        CounterOptions.check(**given)
    assert info.value.param == param and words in str(info.value) and "\n" not in str(info.value)


def test_the_library_validates_with_the_options() -> None:
    deal = dealopt.compile_model(dealopt.load_model(SRC.parents[1] / "models" / "saas-renewal.yaml"))
    with pytest.raises(OptionError, match=r"^engine: 'fastest'; expected one of auto, merge"):
        dealopt.frontier(deal, "fastest")
    with pytest.raises(OptionError, match=r"^top: 101; expected a number in \[1, 100\]"):
        dealopt.trades(deal, "nash", top=101)
    with pytest.raises(OptionError, match=r"^top: 0"):
        dealopt.counter(deal, [], top=0)
    with pytest.raises(OptionError, match=r"^workers or scheduler|^scheduler"):
        ClusterOptions.check(workers=2, scheduler="tcp://127.0.0.1:8786")
