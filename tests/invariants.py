"""An independent judge of counter-offer answers: every invariant a salesperson relies on, checked together.

Nothing here uses the negotiation engine: utilities come from the plain-Python
reference evaluator (``dealopt.model.reference``) or, for whole outcome spaces,
from the model layer's vectorized evaluation; the rules are re-derived from
their definitions in issue 9 and the model-format spec.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dealopt.model.evaluation import evaluate
from dealopt.model.levels import display_value
from dealopt.model.reference import reference_utility, reference_walk_away
from dealopt.model.schema import CategoricalIssue, DealModel

PRIVATE_WORDS = (
    "utility",
    "walk-away",
    "walk away",
    "walkaway",
    "floor",
    "costs us",
    "cost to us",
    "margin",
    "aspiration",
)


@dataclass(frozen=True)
class Space:
    """Every package of a model, evaluated."""

    packages: pd.DataFrame
    seller: np.ndarray
    buyer: np.ndarray  # the model's (expected) buyer utility
    profiles: dict[str, np.ndarray] | None
    feasible: np.ndarray


def _levels(model: DealModel, name: str) -> list[Any]:
    spec = model.issues[name]
    if isinstance(spec, CategoricalIssue) or spec.kind == "ordinal":
        return list(spec.options)
    step = spec.step
    n = round((spec.max - spec.min) / step)
    out = [spec.min + k * step for k in range(n + 1)]
    if out[-1] < spec.max - 1e-9:
        out.append(spec.max)
    return [display_value(x) for x in out]


_SPACES: dict[int, tuple[DealModel, Space]] = {}  # per model object
_BY_CONTENT: dict[str, Space] = {}  # per model content: a model loaded again by another test is not evaluated again


def space_of(model: DealModel) -> Space:
    """Every package of ``model``, evaluated (kept per model: the model is frozen, so its content is its key)."""
    hit = _SPACES.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    if len(_SPACES) > 64:
        _SPACES.clear()
    if len(_BY_CONTENT) > 64:
        _BY_CONTENT.clear()
    key = model.model_dump_json()
    space = _BY_CONTENT.get(key)
    if space is None:
        names = list(model.issues)
        rows = list(itertools.product(*[_levels(model, n) for n in names]))
        frame = pd.DataFrame(rows, columns=names)
        ev = evaluate(model, frame)
        space = Space(frame, ev.seller, ev.buyer, ev.profiles, ev.feasible)
        _BY_CONTENT[key] = space
    _SPACES[id(model)] = (model, space)
    return space


def party_utility(model: DealModel, party: str, package: dict[str, Any], profile: str | None = None) -> float:
    p = model.parties.seller if party == "seller" else model.parties.buyer
    if profile is not None:
        prof = next(x for x in model.parties.buyer.profiles or [] if x.name == profile)
        return reference_utility(model, prof.utility, package)
    return reference_utility(model, p.utility or [], package)


def believed_buyer(model: DealModel, package: dict[str, Any], beliefs: dict[str, float] | None) -> float:
    """The buyer's utility under the answer's beliefs (profiles: posterior mean; else the model's)."""
    profiles = model.parties.buyer.profiles
    if profiles:
        weights = beliefs or {p.name: p.probability for p in profiles}
        return sum(weights[p.name] * reference_utility(model, p.utility, package) for p in profiles)
    return reference_utility(model, model.parties.buyer.utility or [], package)


def believed_buyer_space(model: DealModel, space: Space, beliefs: dict[str, float] | None) -> np.ndarray:
    profiles = model.parties.buyer.profiles
    if profiles:
        assert space.profiles is not None
        weights = beliefs or {p.name: p.probability for p in profiles}
        return sum(weights[p.name] * space.profiles[p.name] for p in profiles)  # type: ignore[return-value]
    return space.buyer


def price_name(model: DealModel) -> str | None:
    pol = model.policy
    if pol is not None and pol.price_issue:
        return pol.price_issue
    return "price" if "price" in model.issues and model.issues["price"].kind != "categorical" else None


def allowed_mask(model: DealModel, space: Space) -> np.ndarray:
    w_s = reference_walk_away(model, model.parties.seller.utility or [], model.parties.seller.walk_away)
    ok = space.feasible.copy()
    if w_s is not None:
        ok &= space.seller >= w_s - 1e-9 * max(1.0, abs(w_s))
    floor = model.policy.floor_price if model.policy else None
    pname = price_name(model)
    if floor is not None and pname is not None:
        ok &= space.packages[pname].to_numpy(dtype=float) >= floor - 1e-9 * max(1.0, abs(floor))
    return ok


def _within(model: DealModel, package: dict[str, Any]) -> bool:
    from dealopt.model.reference import reference_feasible

    if not reference_feasible(model, package):
        return False
    w_s = reference_walk_away(model, model.parties.seller.utility or [], model.parties.seller.walk_away)
    s = party_utility(model, "seller", package)
    if w_s is not None and s < w_s - 1e-9 * max(1.0, abs(w_s)):
        return False
    floor = model.policy.floor_price if model.policy else None
    pname = price_name(model)
    return not (floor is not None and pname is not None and float(package[pname]) < floor - 1e-9 * max(1.0, abs(floor)))


def _clamped(model: DealModel, stated: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in stated.items():
        spec = model.issues[k]
        if spec.kind in ("continuous", "integer") and not isinstance(v, bool):
            v = min(max(float(v), spec.min), spec.max)
        out[k] = v
    return out


def best_completion(model: DealModel, space: Space, stated: dict[str, Any]) -> tuple[dict[str, Any], float] | None:
    """The buyer's (partial) offer completed the way best for us, within our limits; None if nothing completes it."""
    stated = _clamped(model, stated)
    names = list(model.issues)
    free = [n for n in names if n not in stated]
    best = None
    for combo in itertools.product(*[_levels(model, n) for n in free]):
        pkg = {**dict(zip(free, combo, strict=True)), **stated}
        pkg = {n: pkg[n] for n in names}
        if not _within(model, pkg):
            continue
        s = party_utility(model, "seller", pkg)
        if best is None or s > best[1]:
            best = (pkg, s)
    return best


def _on_grid(model: DealModel, package: dict[str, Any]) -> bool:
    """Every issue stated, each at one of its levels."""
    if set(package) != set(model.issues):
        return False
    return all(any(_same(model, n, package[n], level) for level in _levels(model, n)) for n in model.issues)


def _same(model: DealModel, name: str, a: Any, b: Any) -> bool:
    if isinstance(model.issues[name], CategoricalIssue):
        return a == b
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def stated_moves(
    model: DealModel, package: dict[str, Any], stated: dict[str, Any], beliefs: dict[str, float] | None
) -> tuple[list[str], list[str]]:
    """Gives and asks of a counter on the buyer's stated issues, each move judged alone from the buyer's terms."""
    stated = _clamped(model, stated)
    base = {**package, **stated}
    s0 = party_utility(model, "seller", base)
    b0 = believed_buyer(model, base, beliefs)
    tol_s = 1e-9 * max(1.0, abs(s0))
    tol_b = 1e-9 * max(1.0, abs(b0))
    gives, asks = [], []
    for name in stated:
        if _same(model, name, package[name], stated[name]):
            continue
        alone = {**base, name: package[name]}
        ds = party_utility(model, "seller", alone) - s0
        db = believed_buyer(model, alone, beliefs) - b0
        if db > tol_b and ds <= tol_s:
            gives.append(name)
        elif ds > tol_s or db < -tol_b:
            asks.append(name)
    return gives, asks


def check_counter(
    model: DealModel,
    history: list[dict[str, Any]],
    rec: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    in_zone: bool = True,
) -> list[str]:
    """Every invariant of issue 9, point 2 (and 3's sentence rule) on one answer: the list of violations
    (``in_zone=False``: an opening above the expected zone was asked for, so counters may start past it)."""
    bad: list[str] = []
    action = rec["recommendation"]
    counters = rec["counters"]
    if action == "counter" and not counters:
        return ["recommendation is counter with no counter"]
    space = space_of(model)
    beliefs = rec.get("beliefs") if model.parties.buyer.profiles else None
    buyer_all = believed_buyer_space(model, space, beliefs)
    allowed = allowed_mask(model, space)
    s_all = space.seller[allowed]
    b_all = buyer_all[allowed]
    scale_s = 1e-7 * max(1.0, float(np.abs(space.seller).max()))
    scale_b = 1e-7 * max(1.0, float(np.abs(buyer_all).max()))
    last_buyer = next((h["package"] for h in reversed(history) if h["by"] == "buyer"), None)
    offer_value = best_completion(model, space, last_buyer) if last_buyer is not None else None
    seen_pairs: list[tuple[float, float]] = []
    zone_best = expected_zone_best(model, space, allowed, buyer_all, beliefs) if in_zone else None
    # the best whole, on-grid offer the buyer has made us (within our limits), at most our previous counter
    earlier = [
        party_utility(model, "seller", h["package"])
        for h in history
        if h["by"] == "buyer" and _on_grid(model, h["package"]) and _within(model, h["package"])
    ]
    ours = [h["package"] for h in history if h["by"] == "seller"]
    floor = max(earlier, default=None)
    if floor is not None and ours:
        floor = min(floor, party_utility(model, "seller", ours[-1]))
    for n, c in enumerate(counters):
        pkg = c["package"]
        where = f"counter {n + 1} {pkg}"
        s = party_utility(model, "seller", pkg)
        b = believed_buyer(model, pkg, beliefs)
        if not _within(model, pkg):
            bad.append(f"{where}: outside our limits")
        flags = {f["code"] for f in c["flags"]}
        dominated = (s_all >= s - scale_s) & (b_all >= b - scale_b) & ((s_all > s + scale_s) | (b_all > b + scale_b))
        if dominated.any() and "restricted_efficiency" not in flags:
            j = int(np.flatnonzero(dominated)[0])
            bad.append(f"{where}: dominated by {space.packages[allowed].iloc[j].to_dict()}")
        # we open inside the zone the profiles expect; later, beliefs move the zone, and holding a counter made
        # before (never more for us than it: monotone) is no new aim past it
        held = previous is not None and s <= party_utility(model, "seller", previous) + scale_s
        if zone_best is not None and s > zone_best + scale_s and not held:
            bad.append(f"{where}: worth {s} to us, past our best ({zone_best}) in the zone the buyer profiles expect")
        if floor is not None and s < floor - scale_s:
            bad.append(f"{where}: worth {s} to us, less than an earlier offer of the buyer ({floor})")
        if offer_value is not None and s < offer_value[1] - scale_s:
            bad.append(f"{where}: worth {s} to us, less than the buyer's own offer completed ({offer_value[1]})")
        if last_buyer is not None:
            gives, asks = stated_moves(model, pkg, last_buyer, beliefs)
            if gives and not asks:
                bad.append(f"{where}: gives {gives} on the buyer's stated terms with no ask")
        if previous is not None:
            sp = party_utility(model, "seller", previous)
            bp = believed_buyer(model, previous, beliefs)
            if s > sp + scale_s and not b > bp + scale_b:  # better for both: the previous counter was dominated
                bad.append(f"{where}: better for us ({s}) than our previous counter ({sp})")
            if b < bp - scale_b:
                bad.append(f"{where}: worse for the buyer ({b}) than our previous counter ({bp})")
        if any(abs(s - ps) <= scale_s and abs(b - pb) <= scale_b for ps, pb in seen_pairs):
            bad.append(f"{where}: the same utilities as an earlier alternative")
        seen_pairs.append((s, b))
        bad += check_sentence(model, c["sentence"], pkg, last_buyer, where)
    if action == "counter" and offer_value is not None and counters:
        s_top = party_utility(model, "seller", counters[0]["package"])
        if offer_value[1] >= s_top - scale_s:
            bad.append(f"countered though the buyer's offer ({offer_value[1]}) reaches our counter ({s_top})")
    if action == "accept":
        pkg = rec["accepted_package"]
        if pkg is None or not _within(model, pkg):
            bad.append(f"accepted a package outside our limits: {pkg}")
    return bad


def expected_zone_best(
    model: DealModel, space: Space, allowed: np.ndarray, buyer_all: np.ndarray, beliefs: dict[str, float] | None
) -> float | None:
    """With buyer profiles: our best utility among the allowed packages the buyer expects to be worth its expected
    walk-away (each profile's, or its worst feasible package without one); None without profiles or zone."""
    profiles = model.parties.buyer.profiles
    if not profiles or not space.feasible.any():
        return None
    assert space.profiles is not None
    weights = beliefs or {p.name: p.probability for p in profiles}
    w_exp = 0.0
    for p in profiles:
        w = reference_walk_away(model, p.utility, p.walk_away)
        w_exp += weights[p.name] * (w if w is not None else float(space.profiles[p.name][space.feasible].min()))
    zone = allowed & (buyer_all >= w_exp - 1e-9 * max(1.0, abs(w_exp)))
    return float(space.seller[zone].max()) if zone.any() else None


def check_sentence(
    model: DealModel, sentence: str, package: dict[str, Any], stated: dict[str, Any] | None, where: str
) -> list[str]:
    """The buyer-facing sentence names every term that differs from, or is missing in, the buyer's offer; nothing
    private; no raw option id."""
    bad = []
    low = sentence.lower()
    for word in PRIVATE_WORDS:
        if word in low:
            bad.append(f"{where}: the sentence says {word!r}: {sentence}")
    for name, spec in model.issues.items():
        value = package[name]
        if stated is not None and name in stated and _same(model, name, value, _clamped(model, stated)[name]):
            continue
        labels = getattr(spec, "labels", None) or {}
        if isinstance(spec, CategoricalIssue):
            words = str(labels.get(value, str(value).replace("_", " ")))
        elif value in labels:
            words = str(labels[value])
        else:
            words = None
        if words is not None and words.lower() not in low:
            bad.append(f"{where}: the sentence does not name {name}={value} ({words!r}): {sentence}")
        zero_named = (
            float(value) == 0 and re.search(r"\b(waive|waived|no|without|free|immediate|immediately|none)\b", low)
            if words is None
            else False
        )
        if words is None and not zero_named and not _number_in(value, sentence):
            bad.append(f"{where}: the sentence does not name {name}={value}: {sentence}")
    for raw in re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", sentence):
        bad.append(f"{where}: raw id {raw!r} in the sentence: {sentence}")
    return bad


def _number_in(value: Any, sentence: str) -> bool:
    x = float(value)
    found = [float(t.replace(",", "")) for t in re.findall(r"\d[\d,]*(?:\.\d+)?", sentence)]
    return any(abs(f - x) <= 1e-6 * max(1.0, abs(x)) for f in found)
