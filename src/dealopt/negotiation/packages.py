"""Packages as negotiators write them: parsing them and finding their levels (their words are in phrasing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal, expected_level
from dealopt.negotiation.offers import read_offer
from dealopt.negotiation.phrasing import issue_words

__all__ = ["read_package_text", "package_index", "partial_index", "issue_label"]


def read_package_text(text: str, source: str = "package") -> dict[str, Any]:
    """A package from JSON/YAML text, or from a file holding it."""
    raw = text
    path = Path(text)
    if not text.lstrip().startswith("{") and len(text) < 4096 and path.is_file():
        source = str(path)
        raw = path.read_text(encoding="utf-8")
    try:
        data = json.loads(raw) if raw.lstrip().startswith("{") else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise PackageError(f'{source}: not valid JSON/YAML ({first}); expected {{"issue": level, …}}', source) from None
    if not isinstance(data, dict):
        raise PackageError(f'{source}: expected a mapping {{"issue": level, …}}', source)
    return data


def partial_index(deal: CompiledDeal, package: dict[str, Any], where: str = "package") -> dict[int, int]:
    """Level indices of the issues a (partial) package names: ``{issue position: level index}``; every value must
    be a level (an offer between grid steps is read by :func:`dealopt.negotiation.offers.read_offer`)."""
    stated = read_offer(deal, package, where)
    off = min(set(stated.exact) | stated.clamped, default=None)
    if off is not None:
        issue = deal.issues[off]
        raise PackageError(
            f"{where}.{issue.name}: {package[issue.name]!r} is not a level; expected {expected_level(issue)}", where
        )
    return dict(stated.grid)


def package_index(deal: CompiledDeal, package: dict[str, Any], where: str = "package") -> np.ndarray:
    """Level indices of a complete package."""
    part = partial_index(deal, package, where)
    missing = [i.name for i in deal.issues if i.index not in part]
    if missing:
        raise PackageError(f"{where}: missing issue(s) {', '.join(missing)}; expected a level for every issue", where)
    return np.array([part[i] for i in range(len(deal.issues))], dtype=np.int64)


#: How an issue is named in a sentence (kept for callers of the old name).
issue_label = issue_words
