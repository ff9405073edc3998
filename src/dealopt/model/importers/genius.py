"""Import a GENIUS / ANAC negotiation domain and two additive profiles as a dealopt/1 model.

GENIUS semantics (``genius.core.utility``) followed exactly:

- utility = Σ over scored issues of weight × evaluation, weights as written
  (not renormalized; GENIUS's cap at 1 is not applied: dealopt/1 has none);
- discrete issue: evaluation = ``evaluation`` of the value / the issue's largest
  ``evaluation`` (0 when that is below 1e-5), counting only the ``<item>``
  elements that are direct children of the ``<issue>``;
- integer issue (``EvaluatorInteger``): clamp(offset + slope × (x − lowerbound), 0, 1),
  or, in the older ``parameter0``/``parameter1`` form, clamp(parameter1 × x + parameter0, 0, 1);
- real issue (``EvaluatorReal``): ``linear`` is clamp(parameter1 × x + parameter0, 0, 1),
  ``constant`` is parameter0;
- ``<reservation value=…>`` is the walk-away (0 when absent); ``<discount_factor>``
  is ignored; a domain issue that a profile does not score adds nothing to it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from dealopt.errors import ModelError, Problem
from dealopt.model.loading import model_from_data
from dealopt.model.schema import DealModel

__all__ = ["import_genius"]

#: Largest GENIUS file read, in bytes.
MAX_BYTES = 20_000_000
#: GENIUS scores a discrete issue 0 when its largest evaluation is below this.
_MIN_EVAL_MAX = 0.00001
_PROLOG = re.compile(rb"\A(?:\s+|<!--.*?-->)*", re.DOTALL)
_KINDS = {"discrete": "discrete", "integer": "integer", "real": "real"}


@dataclass(frozen=True)
class _Issue:
    """One issue of the GENIUS domain."""

    index: str | None
    name: str  # as written in GENIUS
    key: str  # the dealopt issue name
    kind: str  # discrete | integer | real
    values: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True)
class _Profile:
    """One side's additive utility: a term per scored issue, and the reservation value."""

    terms: list[dict[str, Any]]
    walk_away: float


def import_genius(domain: str | Path, seller: str | Path, buyer: str | Path, name: str | None = None) -> DealModel:
    """A validated dealopt/1 model (``units: normalized``) from a GENIUS domain and two profiles."""
    dpath, spath, bpath = Path(domain), Path(seller), Path(buyer)
    issues = _domain_issues(dpath)
    sell = _profile(spath, issues)
    buy = _profile(bpath, issues)
    data: dict[str, Any] = {
        "format": "dealopt/1",
        "name": name if name is not None else _model_name(dpath),
        "title": f"GENIUS domain {dpath.stem}",
        "description": f"Imported from GENIUS: domain {dpath.name}, seller {spath.name}, buyer {bpath.name}.",
        "units": "normalized",
        "issues": {i.key: _issue_spec(i) for i in issues},
        "parties": {
            "seller": {"walk_away": sell.walk_away, "utility": sell.terms},
            "buyer": {"walk_away": buy.walk_away, "utility": buy.terms},
        },
    }
    return model_from_data(data, source=str(domain))


# ---------------------------------------------------------------- reading XML


def _fail(path: Path, location: str, message: str, line: int | None = None) -> NoReturn:
    raise ModelError([Problem(location, message, line)], source=str(path))


def _read_xml(path: Path) -> Element:
    """The root element of a GENIUS file; leading blank lines and comments are skipped."""
    try:
        if path.is_dir():
            _fail(path, "", "is a directory; expected a GENIUS XML file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            _fail(path, "", f"file is {size:,} bytes; expected at most {MAX_BYTES:,}")
        raw = path.read_bytes()
    except FileNotFoundError:
        _fail(path, "", "no such file; expected a GENIUS XML file")
    except PermissionError:
        _fail(path, "", "permission denied; expected a readable GENIUS XML file")
    except OSError as exc:
        _fail(path, "", f"cannot read ({exc.strerror}); expected a GENIUS XML file")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    cut = _PROLOG.match(raw).end()  # type: ignore[union-attr]  # the pattern also matches nothing
    skipped, body = raw[:cut].count(b"\n"), raw[cut:]
    if not body:
        _fail(path, "", "the file is empty; expected GENIUS XML")
    try:
        root: Element = fromstring(body)
        return root
    except DefusedXmlException as exc:
        _fail(
            path, "", f"refused: the XML declares entities or a DTD ({type(exc).__name__}); expected plain GENIUS XML"
        )
    except ParseError as exc:
        line, _ = exc.position
        reason = str(exc).split(":")[0]
        _fail(path, "", f"malformed XML ({reason}); expected a well-formed GENIUS XML file", line + skipped)
    except (LookupError, ValueError) as exc:  # an unknown or unusable declared encoding
        _fail(path, "", f"cannot decode ({exc}); expected UTF-8 or a supported encoding")


def _number(path: Path, location: str, text: str | None, what: str) -> float:
    """``text`` as a finite float, or a one-line error naming ``what``."""
    if text is None:
        _fail(path, location, f"no {what}; expected a number")
    try:
        value = float(text)
    except ValueError:
        _fail(path, location, f"{what} {text!r} is not a number; expected a number")
    if not math.isfinite(value):
        _fail(path, location, f"{what} {text!r} is not finite; expected a finite number")
    return value


def _where(el: Element) -> str:
    name, index = el.get("name"), el.get("index")
    if name is not None:
        return f"issue {name!r}" + (f" (index {index})" if index is not None else "")
    return f"issue index {index}" if index is not None else "issue"


def _kind(path: Path, el: Element) -> str:
    written = el.get("type") or el.get("vtype") or el.get("etype") or "discrete"
    kind = _KINDS.get(written.strip().lower())
    if kind is None:
        _fail(path, _where(el), f"unknown issue type {written!r}; expected discrete, integer or real")
    return kind


def _bounds(path: Path, el: Element, integer: bool) -> tuple[float, float] | None:
    """(lowerbound, upperbound) from the issue's attributes or its ``<range>``; None when absent."""
    holder = el if el.get("lowerbound") is not None else el.find("range")
    if holder is None:
        return None
    where = _where(el)
    low = _number(path, where, holder.get("lowerbound"), "lowerbound")
    high = _number(path, where, holder.get("upperbound"), "upperbound")
    if integer and not (low.is_integer() and high.is_integer()):
        _fail(path, where, f"bounds {low:g}…{high:g} are not whole numbers; expected integer bounds")
    if low > high:
        _fail(path, where, f"lowerbound {low:g} > upperbound {high:g}; expected lowerbound ≤ upperbound")
    return low, high


# ---------------------------------------------------------------- the domain


def _domain_issues(path: Path) -> list[_Issue]:
    """The domain's issues in file order, with unique dealopt names."""
    root = _read_xml(path)
    issues: list[_Issue] = []
    taken: set[str] = set()
    for el in root.iter("issue"):
        where = _where(el)
        name = el.get("name")
        if name is None:
            _fail(path, where, 'issue has no name; expected name="…"')
        kind = _kind(path, el)
        key = _issue_key(name, taken)
        taken.add(key)
        if kind == "discrete":
            values: list[str] = []
            for item in el.findall("item"):
                value = item.get("value")
                if value is None:
                    _fail(path, where, 'an <item> has no value; expected value="…"')
                if value not in values:  # a value listed twice is one value (FlightBooking-A does this)
                    values.append(value)
            if not values:
                _fail(path, where, 'has no <item> values; expected at least one <item value="…">')
            issues.append(_Issue(el.get("index"), name, key, kind, tuple(values)))
            continue
        bounds = _bounds(path, el, kind == "integer")
        if bounds is None:
            _fail(path, where, f"{kind} issue has no bounds; expected lowerbound/upperbound or <range>")
        issues.append(_Issue(el.get("index"), name, key, kind, low=bounds[0], high=bounds[1]))
    if not issues:
        _fail(path, "", "no <issue> elements; expected a GENIUS domain")
    names = [i.name for i in issues]
    for n in names:
        if names.count(n) > 1:
            _fail(path, f"issue {n!r}", "appears twice; expected distinct issue names")
    return issues


def _issue_key(name: str, taken: set[str]) -> str:
    """``name`` cut to letters, digits, '_', '-' and spaces, and made unique."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_\- ]", "", re.sub(r"\s+", " ", ascii_name))
    base = re.sub(r" {2,}", " ", base).lstrip("- ").rstrip() or "issue"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _issue_spec(issue: _Issue) -> dict[str, Any]:
    spec: dict[str, Any]
    if issue.kind == "discrete":
        spec = {"kind": "categorical", "options": list(issue.values)}
    elif issue.kind == "integer":
        spec = {"kind": "integer", "min": int(issue.low), "max": int(issue.high)}
    else:
        spec = {"kind": "continuous", "min": issue.low, "max": issue.high}
    spec["label"] = issue.name
    return spec


def _model_name(domain: Path) -> str:
    """``[a-z0-9-]+`` from the domain file name (``Car-B-domain.xml`` → ``car-b``)."""
    stem = re.sub(r"[^a-z0-9]+", "-", domain.stem.lower()).strip("-")
    stem = re.sub(r"-domain$", "", stem)
    return stem or "genius"


# ---------------------------------------------------------------- a profile


def _profile(path: Path, issues: list[_Issue]) -> _Profile:
    """A profile's terms (in domain order) and reservation value."""
    root = _read_xml(path)
    by_name = {i.name: i for i in issues}
    by_index = {i.index: i for i in issues if i.index is not None}
    objectives = {o.get("index") for o in root.iter("objective")}
    terms: dict[str, dict[str, Any]] = {}
    for parent in root.iter():
        issue_els, weight_els = parent.findall("issue"), parent.findall("weight")
        if not issue_els and not weight_els:
            continue
        weights = _weights(path, weight_els)
        scored = {el.get("index") for el in issue_els}
        for index in weights:
            if index not in scored and index not in objectives:
                _fail(path, f"weight index {index}", "names no issue; expected the index of an issue beside it")
        for el in issue_els:
            issue = _match(path, el, by_name, by_index)
            if issue.key in terms:
                _fail(path, _where(el), "is scored twice; expected each issue once")
            weight = weights.get(el.get("index"))
            if weight is None:
                _fail(path, _where(el), f'has no <weight index="{el.get("index")}">; expected a weight per issue')
            factor = _discrete(path, el, issue) if issue.kind == "discrete" else _numeric(path, el, issue)
            terms[issue.key] = {"coef": weight, "of": [{issue.key: factor}]}
    if not terms:
        _fail(path, "", "no <issue> elements; expected a GENIUS utility space")
    reservation = root.find(".//reservation")
    walk_away = 0.0
    if reservation is not None:
        walk_away = _number(path, "reservation", reservation.get("value"), "reservation value")
    return _Profile([terms[i.key] for i in issues if i.key in terms], walk_away)


def _weights(path: Path, weight_els: list[Element]) -> dict[str | None, float]:
    weights: dict[str | None, float] = {}
    for w in weight_els:
        index = w.get("index")
        where = f"weight index {index}"
        if index in weights:
            _fail(path, where, "appears twice; expected one weight per issue")
        weights[index] = _number(path, where, w.get("value"), "weight")
    return weights


def _match(path: Path, el: Element, by_name: dict[str, _Issue], by_index: dict[str, _Issue]) -> _Issue:
    """The domain issue a profile issue scores: by name, or by index when it has no name."""
    name, index = el.get("name"), el.get("index")
    issue = by_name.get(name) if name is not None else by_index.get(index or "")
    if issue is None:
        shown = ", ".join(repr(n) for n in list(by_name)[:12])
        _fail(path, _where(el), f"is not an issue of the domain; expected one of {shown}")
    return issue


def _discrete(path: Path, el: Element, issue: _Issue) -> dict[str, float]:
    """The table value / largest value of every domain value (GENIUS ``EvaluatorDiscrete``)."""
    where = _where(el)
    if el.find("evaluator") is not None and not el.findall("item"):
        _fail(path, where, "has an <evaluator> but the domain issue is discrete; expected <item> evaluations")
    evals: dict[str, float] = {}
    for item in el.findall("item"):
        value = item.get("value")
        at = f"{where}, value {value!r}"
        if value not in issue.values:
            shown = ", ".join(repr(v) for v in issue.values[:12])
            _fail(path, at, f"is not a value of the domain issue; expected one of {shown}")
        x = _number(path, at, item.get("evaluation"), "evaluation")
        if x < 0:
            _fail(path, at, f"evaluation {x:g} is negative; expected an evaluation ≥ 0")
        if evals.get(value, x) != x:
            _fail(path, at, f"appears twice, evaluated {evals[value]:g} and {x:g}; expected one evaluation per value")
        evals[value] = x
    missing = [v for v in issue.values if v not in evals]
    if missing:
        _fail(path, where, f"value {missing[0]!r} has no evaluation; expected an evaluation for every value")
    top = max(evals.values())
    return {v: (evals[v] / top if top >= _MIN_EVAL_MAX else 0.0) for v in issue.values}


def _numeric(path: Path, el: Element, issue: _Issue) -> dict[str, list[list[float]]]:
    """A piecewise factor equal to the GENIUS evaluation over the issue's range."""
    where = _where(el)
    ev = el.find("evaluator")
    if ev is None:
        _fail(path, where, f'{issue.kind} issue has no <evaluator>; expected <evaluator ftype="linear" …>')
    ftype = (ev.get("ftype") or "linear").strip().lower()
    if issue.kind == "integer" and ev.get("slope") is not None:
        bounds = _bounds(path, el, integer=True)
        low = bounds[0] if bounds else issue.low
        slope = _number(path, where, ev.get("slope"), "slope")
        offset = _number(path, where, ev.get("offset"), "offset")
        a, b = offset - slope * low, slope
    elif ftype == "linear":
        a = _number(path, where, ev.get("parameter0"), "parameter0")
        b = _number(path, where, ev.get("parameter1"), "parameter1")
    elif ftype == "constant":
        return {"piecewise": [[issue.low, _number(path, where, ev.get("parameter0"), "parameter0")]]}
    else:
        _fail(path, where, f"evaluator ftype {ftype!r} is not supported; expected linear or constant")
    return {"piecewise": _clamped_line(a, b, issue.low, issue.high)}


def _clamped_line(a: float, b: float, low: float, high: float) -> list[list[float]]:
    """Points of x ↦ clamp(a + b·x, 0, 1) on [low, high]: the ends and where it meets 0 or 1."""
    xs = {low, high}
    if b != 0:
        xs |= {x for x in (-a / b, (1 - a) / b) if low < x < high}
    return [[x, min(1.0, max(0.0, a + b * x))] for x in sorted(xs)]
