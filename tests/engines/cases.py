"""The deals every engine is checked on: the example models, their stepless variants, seeded random models.

Every case is plain model data with a name; its kind says which reference it is
checked against: ``gridded`` (brute force over every package), ``stepless``
(the independent segment envelope), ``golden`` (the approved frontier in
tests/golden/, for the example models and their stepless variants).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from dealopt.model.reading import SAFE_LOADER

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
GOLDEN = ROOT / "tests" / "golden"


@dataclass(frozen=True)
class Case:
    """A named deal model (as data) and the kind of reference it is checked against."""

    name: str
    kind: str  # example | stepless-example | random | random-stepless | random-piecewise
    data: dict[str, Any]

    @property
    def stepless(self) -> bool:
        """Whether the model has a continuous issue without step."""
        return any(s.get("kind") == "continuous" and "step" not in s for s in self.data["issues"].values())

    @property
    def golden(self) -> Path:
        """Where the approved frontier of an example (or its stepless variant) lives."""
        return GOLDEN / f"{self.name.split(':', 1)[1]}.json"


def model_paths() -> list[Path]:
    """Every example model."""
    return sorted(MODELS.glob("*.yaml"))


def price_issue(data: dict[str, Any]) -> str:
    """The model's price issue (policy.price_issue, else ``price``)."""
    return (data.get("policy") or {}).get("price_issue") or "price"


@functools.cache
def _example_data(path: Path) -> dict[str, Any]:
    """An example model file's data, read once (callers get deep copies)."""
    return yaml.load(path.read_text(), Loader=SAFE_LOADER)


def example_cases() -> list[Case]:
    """The example models as written, and with the price made stepless."""
    out = []
    for path in model_paths():
        data = copy.deepcopy(_example_data(path))
        out.append(Case(f"model:{path.stem}", "example", data))
        free = copy.deepcopy(data)
        del free["issues"][price_issue(free)]["step"]
        out.append(Case(f"stepless:{path.stem}-stepless", "stepless-example", free))
    return out


def _issue(rng: np.random.Generator, name: str) -> dict[str, Any]:
    kind = rng.choice(["integer", "ordinal", "categorical", "continuous"])
    n = int(rng.integers(2, 5))
    if kind == "integer":
        lo = int(rng.integers(0, 4))
        return {"kind": "integer", "min": lo, "max": lo + n - 1}
    if kind == "ordinal":
        return {"kind": "ordinal", "options": sorted(int(x) for x in rng.choice(12, size=n, replace=False))}
    if kind == "categorical":
        return {"kind": "categorical", "options": [f"{name}o{k}" for k in range(n)]}
    return {"kind": "continuous", "min": 0, "max": 0.5 * (n - 1), "step": 0.5}


def _levels(spec: dict[str, Any]) -> list[Any]:
    if "options" in spec:
        return list(spec["options"])
    out, x = [], spec["min"]
    while x <= spec["max"] + 1e-9:
        out.append(x)
        x += spec.get("step", 1)
    return out


def _factor(rng: np.random.Generator, name: str, spec: dict[str, Any], piecewise: bool = True) -> Any:
    forms = ["table"] if spec["kind"] == "categorical" else ["bare"] + (["piecewise"] if piecewise else [])
    if spec["kind"] == "ordinal":
        forms.append("table")
    form = rng.choice(forms)
    if form == "bare":
        return name
    if form == "table":
        return {name: {lv: int(rng.integers(-6, 7)) for lv in _levels(spec)}}
    if "step" not in spec and spec["kind"] == "continuous":
        xs = sorted({float(x) for x in rng.uniform(spec["min"], spec["max"], size=int(rng.integers(2, 4)))})
    else:
        xs = sorted({float(x) for x in rng.choice(_levels(spec), size=int(rng.integers(1, 4)))})
    return {name: {"piecewise": [[x, int(rng.integers(-6, 7))] for x in xs]}}


def random_model(seed: int, stepless: str = "none") -> dict[str, Any]:
    """A small random model: 2–4 issues, additive and interacting terms, constraints, walk-aways or not.

    ``stepless``: ``none``; ``affine`` (one continuous issue without step, only in bare factors and in
    constraint tests); ``piecewise`` (it also enters a piecewise factor).
    """
    rng = np.random.default_rng(seed)
    issues = {f"i{k}": _issue(rng, f"i{k}") for k in range(int(rng.integers(2, 5)))}
    if stepless != "none":
        issues["x"] = {"kind": "continuous", "min": float(rng.integers(0, 3)), "max": float(rng.integers(5, 11))}
    names = list(issues)

    def utility() -> list[dict[str, Any]]:
        terms = []
        for n in names:
            if rng.random() < 0.6:
                pw = stepless == "piecewise" or n != "x"
                terms.append(
                    {"coef": int(rng.integers(1, 5)) * int(rng.choice([-1, 1])), "of": [_factor(rng, n, issues[n], pw)]}
                )
        for _ in range(int(rng.integers(1, 3))):
            a, b = rng.choice(names, size=2, replace=False)
            pw_a, pw_b = stepless == "piecewise" or a != "x", stepless == "piecewise" or b != "x"
            terms.append(
                {
                    "coef": int(rng.integers(1, 4)) * int(rng.choice([-1, 1])),
                    "of": [_factor(rng, str(a), issues[str(a)], pw_a), _factor(rng, str(b), issues[str(b)], pw_b)],
                }
            )
        if stepless == "piecewise" and not any(
            isinstance(f, dict) and "x" in f and "piecewise" in f["x"] for t in terms for f in t["of"]
        ):
            terms.append({"coef": 1, "of": [_factor_piecewise_x(rng, issues["x"])]})
        return terms

    model: dict[str, Any] = {"format": "dealopt/1", "name": f"random-{seed}"}
    if rng.random() < 0.3:
        model["units"] = "normalized"
    else:
        model["currency"] = "USD"
    model["issues"] = issues
    cons = []
    for _ in range(int(rng.integers(0, 3))):
        a = str(rng.choice(names))
        spec = issues[a]
        if "step" not in spec and spec["kind"] == "continuous":
            cond = {a: {"min": float(np.round(rng.uniform(spec["min"], spec["max"]), 2))}}
        else:
            cond = {a: rng.choice(_levels(spec)).item()}
        others = [n for n in names if n != a]
        if others and rng.random() < 0.5:
            b = str(rng.choice(others))
            sb = issues[b]
            if sb["kind"] == "categorical":
                test: Any = {
                    "in": [str(x) for x in rng.choice(_levels(sb), size=int(rng.integers(1, 3)), replace=False)]
                }
            elif "step" not in sb and sb["kind"] == "continuous":
                test = {"max": float(np.round(rng.uniform(sb["min"], sb["max"]), 2))}
            else:
                test = {str(rng.choice(["min", "max"])): rng.choice(_levels(sb)).item()}
            cons.append({"if": cond, "then": {b: test}})
        else:
            cons.append({"forbid": cond})
    if cons:
        model["constraints"] = cons
    parties: dict[str, Any] = {}
    for party in ("seller", "buyer"):
        p: dict[str, Any] = {"utility": utility()}
        if rng.random() < 0.4:
            p["walk_away"] = int(rng.integers(-20, 21))
        parties[party] = p
    if rng.random() < 0.25:
        parties["buyer"] = {
            "profiles": [
                {"name": "a", "probability": 0.25, "utility": utility()},
                {"name": "b", "probability": 0.75, "utility": parties["buyer"]["utility"]},
            ]
        }
    model["parties"] = parties
    return model


def _factor_piecewise_x(rng: np.random.Generator, spec: dict[str, Any]) -> Any:
    xs = sorted({float(x) for x in rng.uniform(spec["min"], spec["max"], size=2)} | {float(spec["min"])})
    return {"x": {"piecewise": [[x, int(rng.integers(-6, 7))] for x in xs]}}


def random_cases(n_grid: int = 16, n_affine: int = 10, n_piecewise: int = 4) -> list[Case]:
    """Seeded random models of each kind (the seeds are the names: failures reproduce)."""
    out = [Case(f"random:{s}", "random", random_model(s)) for s in range(n_grid)]
    out += [Case(f"random-stepless:{s}", "random-stepless", random_model(1000 + s, "affine")) for s in range(n_affine)]
    out += [
        Case(f"random-piecewise:{s}", "random-piecewise", random_model(2000 + s, "piecewise"))
        for s in range(n_piecewise)
    ]
    return out


def reordered(data: dict[str, Any]) -> dict[str, Any]:
    """The same model with its issues in reverse order and every categorical issue's options reversed."""
    out = copy.deepcopy(data)
    out["issues"] = dict(reversed(list(out["issues"].items())))
    for spec in out["issues"].values():
        if spec["kind"] == "categorical":
            spec["options"] = list(reversed(spec["options"]))
    return out
