"""Hypothesis strategies for small random deal models (as plain file data)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KINDS = ("integer", "ordinal", "categorical", "continuous")


@st.composite
def issue_specs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    n = draw(st.integers(2, 4))
    if kind == "integer":
        step = draw(st.integers(1, 3))
        lo = draw(st.integers(0, 5))
        return {"kind": "integer", "min": lo, "max": lo + step * (n - 1), "step": step}
    if kind == "ordinal":
        start = draw(st.integers(0, 5))
        gaps = draw(st.lists(st.integers(1, 4), min_size=n - 1, max_size=n - 1))
        opts = [start]
        for g in gaps:
            opts.append(opts[-1] + g)
        return {"kind": "ordinal", "options": opts}
    if kind == "categorical":
        return {"kind": "categorical", "options": [f"{name}{k}" for k in range(n)]}
    return {"kind": "continuous", "min": 0, "max": 0.5 * (n - 1), "step": 0.5}


def _levels(spec: dict[str, Any]) -> list[Any]:
    if spec["kind"] in ("ordinal", "categorical"):
        return list(spec["options"])
    lv, x = [], spec["min"]
    while x <= spec["max"] + 1e-9:
        lv.append(x)
        x += spec["step"]
    return lv


small_ints = st.integers(-6, 6)


@st.composite
def factors(draw: st.DrawFn, name: str, spec: dict[str, Any]) -> Any:
    forms = ["table"] if spec["kind"] == "categorical" else ["bare", "piecewise"]
    if spec["kind"] == "ordinal":
        forms.append("table")
    form = draw(st.sampled_from(forms))
    if form == "bare":
        return name
    if form == "table":
        return {name: {lv: draw(small_ints) for lv in _levels(spec)}}
    lv = _levels(spec)
    xs = sorted(set(draw(st.lists(st.sampled_from(lv), min_size=1, max_size=3))))
    return {name: {"piecewise": [[x, draw(small_ints)] for x in xs]}}


@st.composite
def utilities(draw: st.DrawFn, issues: dict[str, dict[str, Any]], interacting: bool) -> list[dict[str, Any]]:
    names = list(issues)
    terms = []
    for name in names:
        if draw(st.booleans()) or len(terms) == 0:
            terms.append({"coef": draw(st.integers(-5, 5)) or 1, "of": [draw(factors(name, issues[name]))]})
    if interacting and len(names) >= 2:
        for _ in range(draw(st.integers(1, 2))):
            a, b = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
            terms.append(
                {
                    "coef": draw(st.integers(-3, 3)) or 1,
                    "of": [draw(factors(a, issues[a])), draw(factors(b, issues[b]))],
                }
            )
    return terms


@st.composite
def constraints(draw: st.DrawFn, issues: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    names = list(issues)
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.sampled_from(names))
        cond = {a: draw(st.sampled_from(_levels(issues[a])))}
        if draw(st.booleans()) and len(names) > 1:
            b = draw(st.sampled_from([n for n in names if n != a]))
            spec = issues[b]
            if spec["kind"] == "categorical":
                then = {b: {"in": draw(st.lists(st.sampled_from(_levels(spec)), min_size=1, max_size=2, unique=True))}}
            else:
                then = {b: {"min": draw(st.sampled_from(_levels(spec)))}}
            out.append({"if": cond, "then": then})
        else:
            out.append({"forbid": cond})
    return out


@st.composite
def deal_models(
    draw: st.DrawFn, interacting: bool | None = None, with_constraints: bool | None = None
) -> dict[str, Any]:
    """A valid random deal model as plain data."""
    k = draw(st.integers(2, 4))
    issues = {f"i{j}": draw(issue_specs(f"i{j}")) for j in range(k)}
    inter = draw(st.booleans()) if interacting is None else interacting
    cons = draw(st.booleans()) if with_constraints is None else with_constraints
    normalized = draw(st.booleans())
    model: dict[str, Any] = {"format": "dealopt/1", "name": "random"}
    if normalized:
        model["units"] = "normalized"
    else:
        model["currency"] = "USD"
    model["issues"] = issues
    if cons:
        model["constraints"] = draw(constraints(issues))
    seller = {"utility": draw(utilities(issues, inter))}
    buyer = {"utility": draw(utilities(issues, inter))}
    for party in (seller, buyer):
        choice = draw(st.sampled_from(["none", "number", "package"]))
        if choice == "number":
            party["walk_away"] = draw(st.integers(-30, 30))
        elif choice == "package":
            party["walk_away"] = {"package": {n: draw(st.sampled_from(_levels(s))) for n, s in issues.items()}}
    if draw(st.integers(0, 3)) == 0:  # the buyer as weighted profiles
        buyer = {
            "profiles": [
                {"name": "a", "probability": 0.25, "utility": draw(utilities(issues, inter))},
                {
                    "name": "b",
                    "probability": 0.75,
                    "utility": buyer["utility"],
                    **({"walk_away": buyer["walk_away"]} if "walk_away" in buyer else {}),
                },
            ]
        }
        if "walk_away" in buyer["profiles"][1]:
            buyer["profiles"][0]["walk_away"] = draw(st.integers(-30, 30))
    model["parties"] = {"seller": seller, "buyer": buyer}
    return model
