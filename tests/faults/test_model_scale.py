"""Issue 10, limits before cost: a categorical issue with 100k options made ``validate`` run > 60 s (table keys
matched with ``list.index``, O(n²)); 1e5 piecewise points took 13 s. Keys are now matched in a dict and curves
evaluated with ``np.interp``: both models validate, compile and evaluate 100k packages in seconds (CPU time, so
that a busy machine does not make the test flaky; the quadratic version needs minutes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

import dealopt
from conftest import MODELS
from dealopt.model import reading
from dealopt.model.compiled import compile_model

N = 100_000


def _saas() -> dict[str, Any]:
    return yaml.safe_load((MODELS / "saas-renewal.yaml").read_text())


def _packages(data: dict[str, Any], **extra: Any) -> pd.DataFrame:
    base = dict(data["parties"]["buyer"]["walk_away"]["package"])
    frame = pd.DataFrame([base] * N)
    for name, values in extra.items():
        frame[name] = values
    return frame


def test_a_categorical_issue_of_100k_options_validates_and_evaluates_in_seconds() -> None:
    data = _saas()
    options = [f"sku-{k}" for k in range(N)]
    data["issues"]["sku"] = {"kind": "categorical", "options": options, "labels": {o: o.upper() for o in options}}
    data["parties"]["seller"]["utility"].append({"of": [{"sku": {o: k % 7 for k, o in enumerate(options)}}]})
    data["parties"]["buyer"]["utility"].append(
        {"of": [{"sku": {o: -(k % 5) for k, o in enumerate(reversed(options))}}]}
    )
    data["parties"]["buyer"]["walk_away"]["package"]["sku"] = options[-1]
    t0 = time.process_time()
    model = dealopt.model_from_data(data)
    deal = compile_model(model)
    ev = dealopt.evaluate(deal, _packages(data, sku=options[::-1]))
    seconds = time.process_time() - t0
    assert len(ev.seller) == N and np.isfinite(ev.seller).all()
    assert seconds < 10, f"{seconds:.1f} s of CPU"


def test_a_model_file_with_a_piecewise_curve_of_1e5_points_loads_and_evaluates_in_seconds(tmp_path: Path) -> None:
    xs = np.linspace(60, 120, N)
    points = ", ".join(f"[{x:.9f}, {k % 13}]" for k, x in enumerate(xs))
    text = (MODELS / "saas-renewal.yaml").read_text()
    anchor = "      - of: [{support: {standard: 0, premium: -$premium_support_cost}}]\n"
    path = tmp_path / "curve.yaml"
    path.write_text(text.replace(anchor, anchor + f"      - of: [{{price: {{piecewise: [{points}]}}}}]\n", 1))
    data = _saas()
    t0 = time.process_time()
    deal = compile_model(dealopt.load_model(path))  # libyaml parses; the pure-Python parser took 3× longer
    prices = np.round(np.linspace(60, 120, N) * 2) / 2
    ev = dealopt.evaluate(deal, _packages(data, price=prices))
    seconds = time.process_time() - t0
    without = dealopt.evaluate(compile_model(dealopt.model_from_data(data)), _packages(data, price=prices))
    assert np.allclose(ev.seller - without.seller, np.interp(prices, xs, np.arange(N) % 13))
    assert seconds < 6, f"{seconds:.1f} s of CPU"


def test_model_files_are_parsed_by_libyaml() -> None:
    assert issubclass(reading._Loader, yaml.CSafeLoader)
