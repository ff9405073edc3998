"""The public names of ``dealopt``: exactly these, sorted, importable, documented; ``import dealopt`` stays light."""

import importlib
import inspect
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import dealopt

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "CompiledDeal",
    "Counter",
    "CounterOptions",
    "DealModel",
    "DealoptError",
    "EngineError",
    "EngineNotApplicable",
    "Evaluation",
    "FrontierOptions",
    "FrontierPoint",
    "FrontierResult",
    "LearnResult",
    "LimitError",
    "ModelError",
    "NoDeal",
    "Offer",
    "OptionError",
    "PackageError",
    "PricedVariants",
    "PricingOptions",
    "PricingRun",
    "Recommendation",
    "SimulateOptions",
    "SimulationResult",
    "Solution",
    "SolveError",
    "SweepOptions",
    "SweepResult",
    "Trade",
    "TradeResult",
    "TradesOptions",
    "compile_model",
    "counter",
    "evaluate",
    "frontier",
    "import_genius",
    "learn",
    "load_model",
    "model_from_data",
    "model_from_text",
    "price_variants",
    "price_variants_file",
    "simulate",
    "simulate_history",
    "sweep",
    "trades",
]


def test_all_is_the_pinned_sorted_list() -> None:
    assert dealopt.__all__ == PUBLIC
    assert PUBLIC == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_each_name_is_importable_and_documented(name: str) -> None:
    obj = importlib.import_module("dealopt").__dict__.get(name) or getattr(dealopt, name)
    assert getattr(dealopt, name) is obj
    doc = inspect.getdoc(obj) or ""
    # a dataclass without a docstring gets its signature as __doc__: that is not documentation
    assert doc.strip() and not doc.startswith(f"{name}("), f"dealopt.{name} has no docstring"
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert obj.__module__.startswith("dealopt."), f"dealopt.{name} is not dealopt's own"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'frontiers'"):
        dealopt.frontiers  # noqa: B018
    assert set(PUBLIC) <= set(dir(dealopt))


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert dealopt.__version__ == version("dealopt") == declared


def test_import_dealopt_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, dealopt; heavy = sorted(m for m in ('pandas', 'pyarrow', 'scipy', 'dask', 'fastapi', "
        "'matplotlib', 'dealopt.model', 'dealopt.engines') if m in sys.modules); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
