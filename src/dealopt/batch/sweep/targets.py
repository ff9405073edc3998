"""What each varied name stands for in a model, checked before the first scenario, and scenario models.

A target is a named parameter (``cost_per_seat_month``) or a path to a number
(``parties.seller.walk_away``). A scenario's model is the base model's file data with
the parameters set, every ``$name`` resolved, the paths set and, for a profile
probability swept with ``normalize``, the other profiles scaled to keep the sum at 1.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from dealopt.batch.paths import PathError, get_path, parse_path
from dealopt.batch.sweep.spec import SweepSpec
from dealopt.errors import ModelError, OptionError
from dealopt.model.loading import model_from_data
from dealopt.model.parameters import resolve_parameters, with_references
from dealopt.model.schema import DealModel

__all__ = ["Target", "base_data", "model_data", "resolve_targets", "scenario_model"]

_PROFILE_PROBABILITY = re.compile(r"^parties\.buyer\.profiles\[(\d+)\]\.probability$")


@dataclass(frozen=True)
class Target:
    """One varied name: a parameter (with the numbers it sets) or a path."""

    name: str
    parameter: bool
    paths: tuple[str, ...]  # where the numbers it sets are, in the resolved data
    keys: tuple[tuple[tuple[Any, ...], int], ...]  # for each: the keys that reach it, and the sign of the value
    normalize: int | None = None  # the profile whose probability it is, when normalized


def model_data(model: DealModel) -> dict[str, Any]:
    """The model's file data with its parameters and every use written as ``$name`` again."""
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    if not model.parameter_uses:
        return data
    return {**with_references(data, model.parameter_uses), "parameters": dict(model.parameters or {})}


def _keys(plain: Any, path: str) -> tuple[Any, ...]:
    """The mapping keys and list positions of ``path`` as ``plain`` spells them (the last may be missing)."""
    out: list[Any] = []
    node = plain
    for part in parse_path(path):
        if isinstance(node, list):
            key: Any = part
        else:
            key = next((k for k in node if k == part or str(k) == str(part)), part)
        out.append(key)
        node = node[key] if isinstance(node, list) or key in node else None
    return tuple(out)


def _set(node: Any, keys: tuple[Any, ...], value: float) -> Any:
    """A copy of ``node`` with ``value`` at ``keys``; only the containers on the way are copied."""
    if not keys:
        return value
    head, rest = keys[0], keys[1:]
    new = list(node) if isinstance(node, list) else dict(node)
    new[head] = _set(node[head], rest, value) if rest else value
    return new


def _resolved(data: dict[str, Any]) -> dict[str, Any]:
    resolved = resolve_parameters(data)
    if resolved.problems:
        raise ModelError(resolved.problems, "the model")
    out = dict(resolved.data)
    out.pop("parameters", None)
    return out


def _path_target(plain: dict[str, Any], key: str) -> Target:
    parse_path(key)
    try:
        current = get_path(plain, key)
    except PathError as exc:
        if key.endswith((".walk_away", ".coef")):
            try:
                parent = get_path(plain, key.rsplit(".", 1)[0])
            except PathError:
                raise exc from None
            if isinstance(parent, dict):
                return Target(key, False, (key,), ((_keys(plain, key), 1),))  # left out of the file: the sweep sets it
        raise
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise PathError(f"{key}: holds {current!r}, not a number; expected the path of a number")
    return Target(key, False, (key,), ((_keys(plain, key), 1),))


def _unknown(key: str, names: list[str]) -> PathError:
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    known = f"one of the parameters {', '.join(names)}, or" if names else "a named parameter (the model has none) or"
    return PathError(f"{key}: no such parameter{hint}; expected {known} a path such as parties.seller.walk_away")


def resolve_targets(model: DealModel, spec: SweepSpec) -> list[Target]:
    """Every varied name checked against the model (one-line :class:`PathError` on the first bad one)."""
    plain = _resolved(model_data(model))
    names = list(model.parameters or {})
    uses = model.parameter_uses
    targets = []
    for key, how in spec.vary.items():
        if key in uses:
            paths = tuple(u.path for u in uses[key])
            target = Target(key, True, paths, tuple((_keys(plain, p), u.sign) for p, u in zip(paths, uses[key])))
        elif "." not in key and "[" not in key and key not in plain:
            raise _unknown(key, names)
        else:
            target = _path_target(plain, key)
        if how.normalize:
            target = _normalized(model, target, how.bounds())
        targets.append(target)
    taken: dict[str, str] = {}
    for t in targets:
        for p in t.paths:
            if p in taken:
                raise PathError(f"{t.name}: sets {p}, which {taken[p]} sets too; expected each number varied once")
            taken[p] = t.name
    return targets


def _normalized(model: DealModel, target: Target, bounds: tuple[float, float]) -> Target:
    profiles = model.parties.buyer.profiles or []
    found = [_PROFILE_PROBABILITY.match(p) for p in target.paths]
    if not profiles or len(found) != 1 or found[0] is None:
        raise PathError(
            f"{target.name}: normalize needs a buyer profile's probability; expected profiles[k].probability"
        )
    if len(profiles) < 2:
        raise PathError(f"{target.name}: normalize needs another profile to scale; the buyer has one")
    low, high = bounds
    if low < 0 or high > 1:
        raise PathError(f"{target.name}: values from {low:g} to {high:g}; expected probabilities in [0, 1]")
    return Target(target.name, target.parameter, target.paths, target.keys, int(found[0].group(1)))


def _normalize(plain: dict[str, Any], k: int) -> dict[str, Any]:
    profiles = plain["parties"]["buyer"]["profiles"]
    p_k = float(profiles[k]["probability"])
    rest = sum(float(p["probability"]) for j, p in enumerate(profiles) if j != k)
    if rest <= 0:
        if p_k < 1:
            raise OptionError("normalize", f"the other profiles have probability 0; cannot scale them to {1 - p_k:g}")
        return plain
    for j, p in enumerate(profiles):
        if j != k:
            plain = _set(
                plain, ("parties", "buyer", "profiles", j, "probability"), p["probability"] * (1.0 - p_k) / rest
            )
    return plain


def base_data(data: dict[str, Any]) -> dict[str, Any]:
    """The base model's data with every ``$name`` resolved (shared by the scenarios, never changed)."""
    return _resolved(data)


def scenario_model(plain: dict[str, Any], targets: list[Target], values: dict[str, float], source: str) -> DealModel:
    """The model of one scenario from :func:`base_data` (which is not changed: changed paths are copied)."""
    for t in targets:
        for keys, sign in t.keys:
            plain = _set(plain, keys, sign * values[t.name])
    for t in targets:
        if t.normalize is not None:
            plain = _normalize(plain, t.normalize)
    return model_from_data(plain, source=source, resolved=True)
