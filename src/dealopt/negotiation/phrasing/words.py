"""Every sentence, label and number format people read, in one place so they all agree.

Values are display values (numbers, or option ids as in packages), never level
indices, so an offer between grid steps (87.25, 320 seats) reads like any other.
Sentences meant for the buyer name terms only: never utilities, walk-aways,
floors, costs or margins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dealopt.errors import PackageError
from dealopt.model.compiled import CompiledDeal, CompiledIssue
from dealopt.model.levels import as_number, display_value
from dealopt.negotiation.flags import price_issue

__all__ = [
    "ACCEPT_SENTENCE",
    "NO_DEAL_SENTENCE",
    "accept_sentence",
    "cell",
    "counter_sentence",
    "issue_words",
    "join_words",
    "money",
    "move_words",
    "out_of_reach",
    "package_words",
    "sides_apart",
    "trade_sentence",
    "value_words",
]

ACCEPT_SENTENCE = "We accept your offer."
NO_DEAL_SENTENCE = "We cannot agree on these terms."

#: A trailing name word the value's unit will carry: ``term_months`` reads "term", its values "36 months".
_SUFFIX_UNITS = {"days": "days", "weeks": "weeks", "months": "months", "years": "years", "hours": "hours", "pct": "%"}
_TIME_UNITS = {"days": "day", "weeks": "week", "months": "month", "years": "year", "hours": "hour"}
#: Issues named for when something starts: "a start in 30 days", "start immediately".
_WHEN_WORDS = {"start"}
_STOPWORDS = {"the", "and", "for", "per", "with", "from", "into", "until", "time", "level", "type", "one"}
_PREFIXES = {"pre", "post", "re", "co", "sub", "non"}
_TOL = 1e-9


# ---------------------------------------------------------------- words and numbers


def join_words(parts: list[str]) -> str:
    """Words joined as "a", "a and b", "a, b and c"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _number(x: float, money: bool = False) -> str:
    """A number with thousands separators: whole ones without decimals ("1,300"), others as they are ("87.25"),
    or with 2 decimals as money ("111.50"; more only when 2 would misstate it)."""
    if _whole(x):
        return f"{round(x):,}"
    if money and abs(round(x, 2) - x) <= _TOL * max(1.0, abs(x)):
        return f"{x:,.2f}"
    return f"{x:,.10g}"


def _whole(x: float) -> bool:
    return abs(x) < 1e15 and abs(x - round(x)) <= _TOL * max(1.0, abs(x))


def money(deal: CompiledDeal, x: float) -> str:
    """A utility or amount in the model's units: "1,068,204 USD"; "0.812" for ``units: normalized``."""
    if deal.normalized:
        return f"{x:.2g}" if 0 < abs(x) < 5e-4 else f"{x:.3f}"
    text = f"{round(x):,}" if abs(x) >= 1000 else _number(round(x, 2), money=True)
    text = "0" if text in ("-0", "-0.00") else text
    currency = deal.model.currency
    return f"{text} {currency}" if currency else text


def cell(x: float | None, normalized: bool) -> str:
    """A utility as shown in a rep's or analyst's table: "1,068,203.60", "0.8120", "—" when there is none."""
    if x is None:
        return "—"
    return f"{x:.4f}" if normalized else f"{x:,.2f}"


def _article(phrase: str) -> str:
    """ "a" or "an" before ``phrase`` (by its sound: "an 8-week", "an SLA", "a unit")."""
    word = phrase.lstrip()
    digits = re.match(r"[\d,]+", word)
    if digits:
        d = digits.group().replace(",", "")
        return "an" if d.startswith("8") or (len(d) % 3 == 2 and d[:2] in ("11", "18")) else "a"
    if not word:
        return "a"
    first = word.split()[0].strip("(\"'")
    if first.isupper() and len(first) > 1:
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    low = first.lower()
    if low.startswith(("uni", "use", "usu", "uti", "eu", "one")):
        return "a"
    if low.startswith(("hour", "honest", "honor", "heir")):
        return "an"
    return "an" if low[:1] in "aeiou" else "a"


def _a(phrase: str) -> str:
    return f"{_article(phrase)} {phrase}"


def _stems(text: str) -> set[str]:
    """The significant words of ``text``, lower-case, without a plural "s"."""
    words = re.findall(r"[a-z]+", text.lower())
    return {w[:-1] if w.endswith("s") and len(w) > 3 and not w.endswith("ss") else w for w in words} - _STOPWORDS


def _mentions(text: str, words: str) -> bool:
    """Whether ``text`` already says which issue it is about: it has a significant word of ``words``, alone or
    after a prefix ("payment" in "annual prepayment", not "day" in "Monday")."""
    said = _stems(text)
    return any(
        len(s) >= 3 and (s in said or any(w.endswith(s) and w[: -len(s)] in _PREFIXES for w in said))
        for s in _stems(words)
    )


def _plural(words: str) -> bool:
    first = words.split()[0].lower() if words.split() else ""
    return len(first) > 3 and first.endswith("s") and not first.endswith(("ss", "us", "is"))


def _the(words: str) -> str:
    return words if _plural(words) else f"the {words}"


# ---------------------------------------------------------------- issues and values


def _suffix(issue: CompiledIssue) -> str | None:
    """The name's trailing unit word when the values carry that unit (``term_months`` → "months")."""
    parts = issue.name.replace(" ", "_").split("_")
    if not issue.numeric or len(parts) < 2 or parts[-1].lower() not in _SUFFIX_UNITS:
        return None
    unit = issue.spec.unit
    expected = _SUFFIX_UNITS[parts[-1].lower()]
    if unit is None or unit.strip().lower() == expected or unit.strip().lower().split()[0] == expected:
        return parts[-1]
    return None


def _unit(issue: CompiledIssue) -> str | None:
    """The unit the values carry: the issue's own, else one read from the name (``_months``, ``_days``)."""
    if not issue.numeric:
        return None
    if issue.spec.unit:
        return str(issue.spec.unit).strip()
    suffix = _suffix(issue)
    return _SUFFIX_UNITS[suffix.lower()] if suffix else None


def issue_words(issue: CompiledIssue) -> str:
    """How an issue is named in a sentence: its label, else its name as words (underscores as spaces,
    capitalized words in lower case, acronyms kept) without a trailing unit word ("term_months" → "term")."""
    label = (issue.spec.label or "").strip()
    if label and label != issue.name:
        return label
    parts = [p for p in issue.name.replace("_", " ").split() if p]
    if _suffix(issue):
        parts = parts[:-1]
    return " ".join(p.lower() if p[:1].isupper() and p[1:].islower() else p for p in parts)


def _is_currency(unit: str | None) -> bool:
    """Whether a unit is money: it starts with a currency code or sign ("USD/seat/month", "EUR", "$")."""
    return bool(unit) and re.match(r"^(?:[A-Z]{3}\b|[$€£¥])", str(unit).strip()) is not None


def _money_like(deal: CompiledDeal | None, issue: CompiledIssue) -> bool:
    return issue.numeric and (_is_currency(_unit(issue)) or (deal is not None and issue.name == price_issue(deal)))


def _option_label(issue: CompiledIssue, value: Any) -> str | None:
    """The model's own words for an option, if it gave some."""
    labels = getattr(issue.spec, "labels", None)
    if not labels:
        return None
    if issue.kind == "categorical":
        found = labels.get(value) if isinstance(value, str) else None
        return str(found).strip() if found else None
    x = as_number(value)
    if x is None:
        return None
    for key, words in labels.items():
        if abs(float(key) - x) <= _TOL * max(1.0, abs(x)):
            return str(words).strip()
    return None


def _with_unit(text: str, x: float, unit: str | None) -> str:
    if not unit:
        return text
    if abs(x) == 1 and re.fullmatch(r"[a-z]+s", unit):  # "1 day", "1 seat"
        unit = unit[:-1]
    return f"{text} {unit}"


def _value(deal: CompiledDeal | None, issue: CompiledIssue, value: Any) -> str:
    """A value in words; money formats for the price issue of ``deal`` and for issues priced in a currency."""
    label = _option_label(issue, value)
    if label is not None:
        return label
    if not issue.numeric:
        return " ".join(str(display_value(value)).replace("_", " ").split())
    x = as_number(value)
    if x is None:
        return " ".join(str(value).replace("_", " ").split())
    unit = _unit(issue)
    if _money_like(deal, issue):
        currency = deal.model.currency if deal is not None and not deal.normalized else None
        return _with_unit(_number(x, money=True), x, unit or currency)
    return _with_unit(_number(x), x, unit)


def value_words(issue: CompiledIssue, value: Any) -> str:
    """A level as a buyer reads it: "annual prepayment", "36 months", "111.50 USD/seat/month", "48,000 USD"."""
    return _value(None, issue, value)


def _range(deal: CompiledDeal, issue: CompiledIssue, lo: Any, hi: Any) -> str:
    """A range of a numeric issue with its unit once: "95–98 USD/seat/month"."""
    a, b = as_number(lo), as_number(hi)
    if a is None or b is None or abs(a - b) <= _TOL * max(1.0, abs(b)):
        return _value(deal, issue, hi)
    cash = _money_like(deal, issue)
    unit = _unit(issue) or (deal.model.currency if cash and not deal.normalized else None)
    return f"{_number(a, cash)}–{_number(b, cash)}" + (f" {unit}" if unit else "")


def _time_unit(issue: CompiledIssue) -> str | None:
    unit = _unit(issue)
    return unit if unit is not None and unit.lower() in _TIME_UNITS else None


def _term(deal: CompiledDeal, issue: CompiledIssue, value: Any) -> str:
    """One term of a package, saying which issue it is: "a 36-month term", "400 seats", "annual prepayment"."""
    words = issue_words(issue)
    text = _value(deal, issue, value)
    x = as_number(value) if issue.numeric else None
    if x is None or _option_label(issue, value) is not None:
        return text if _mentions(text, words) else f"{words}: {text}"
    unit = _unit(issue)
    if _money_like(deal, issue):
        return f"no {words}" if x == 0 else f"{_a(words)} of {text}"
    time_unit = _time_unit(issue)
    if time_unit is not None and words:
        if words.lower() in _WHEN_WORDS:
            return f"an immediate {words}" if x == 0 else f"{_a(words)} in {text}"
        return f"{_a(f'{_number(x)}-{_TIME_UNITS[time_unit.lower()]}')} {words}"
    if unit and (_mentions(unit, words) or _mentions(words, unit)):
        return text
    if _plural(words):
        return f"no {words}" if x == 0 else f"{text} {words}"
    return f"{_a(words)} of {text}"


def _same(issue: CompiledIssue, a: Any, b: Any) -> bool:
    if issue.numeric:
        x, y = as_number(a), as_number(b)
        if x is not None and y is not None:
            return abs(x - y) <= _TOL * max(1.0, abs(x), abs(y))
    return bool(a == b)


# ---------------------------------------------------------------- moves and packages


def _move(deal: CompiledDeal, issue: CompiledIssue, old: Any, new: Any, span: tuple[Any, Any] | None = None) -> str:
    words = issue_words(issue)
    target = _range(deal, issue, *span) if span is not None else _value(deal, issue, new)
    if old is None:
        return f"agree to {_term(deal, issue, new)}"
    if _same(issue, old, new) and span is None:
        return f"keep {_term(deal, issue, new)}"
    x, x0 = as_number(new), as_number(old)
    if not issue.numeric or x is None or x0 is None or _option_label(issue, new) is not None:
        return f"move to {target}" if _mentions(target, words) else f"switch {words} to {target}"
    up = x > x0
    if _money_like(deal, issue):
        if x == 0 and span is None:
            return f"waive {_the(words)}"
        return f"{'raise' if up else 'lower'} {_the(words)} to {target}"
    if _time_unit(issue) is not None:
        if words.lower() in _WHEN_WORDS:
            return f"{words} immediately" if x == 0 and span is None else f"{words} in {target}"
        return f"{'extend' if up else 'shorten'} {_the(words)} to {target}"
    verb = "increase" if up else "reduce"
    unit = _unit(issue)
    if unit and unit.lower() == words.lower():  # "increase seats to 400"
        bare = target[: -len(unit) - 1] if target.endswith(f" {unit}") else target
        return f"{verb} {words} to {bare}"
    if unit and (_mentions(unit, words) or _mentions(words, unit)):
        return f"{verb} to {target}"
    return f"{verb} {_the(words)} to {target}"


def move_words(deal: CompiledDeal, issue_name: str, old: Any, new: Any) -> str:
    """A move in words: "lower the price per seat to 95 USD/seat/month", "extend the term to 36 months",
    "increase seats to 400", "start in 30 days", "move to annual prepayment", "switch Laptop to Dell"."""
    issue = deal.by_name.get(issue_name)
    if issue is None:
        raise PackageError(f"unknown issue {issue_name!r}; expected one of {', '.join(deal.by_name)}")
    return _move(deal, issue, old, new)


def package_words(deal: CompiledDeal, package: Mapping[str, Any], issues: list[str] | None = None) -> str:
    """The listed issues of a package (default all), in the model's order, as a buyer reads them."""
    wanted = set(package) if issues is None else set(issues) & set(package)
    return join_words([_term(deal, i, package[i.name]) for i in deal.issues if i.name in wanted])


def _moves(
    deal: CompiledDeal,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    names: list[str],
    ranges: Mapping[str, tuple[Any, Any]],
) -> str:
    ordered = [i for i in deal.issues if i.name in set(names)]
    return join_words([_move(deal, i, before[i.name], after[i.name], ranges.get(i.name)) for i in ordered])


def _sides(
    deal: CompiledDeal, before: Mapping[str, Any], after: Mapping[str, Any], gives: list[str], asks: list[str]
) -> tuple[list[str], list[str]]:
    """The changed issues split into ours (gives) and theirs (asks); a change in neither list counts as an ask."""
    changed = [
        i.name
        for i in deal.issues
        if i.name in before and i.name in after and not _same(i, before[i.name], after[i.name])
    ]
    ours = [n for n in changed if n in gives]
    return ours, [n for n in changed if n not in ours]


def counter_sentence(
    deal: CompiledDeal,
    package: dict[str, Any],
    stated: dict[str, Any] | None,
    gives: list[str],
    asks: list[str],
) -> str:
    """The buyer-facing sentence of a counter-offer: every term that differs from ``stated`` or that it leaves out.

    "We propose …" (nothing stated), "If you A, we can B.", "If you A, we have a deal.", "We can B.", each
    with "with X, Y and Z" for the terms the buyer left out; "We can agree to your offer as it stands."
    """
    stated = {k: v for k, v in (stated or {}).items() if k in deal.by_name and k in package}
    if not stated:
        return f"We propose {package_words(deal, package)}."
    ours, theirs = _sides(deal, stated, package, gives, asks)
    rest = [i.name for i in deal.issues if i.name in package and i.name not in stated]
    tail = f" with {package_words(deal, package, rest)}" if rest else ""
    we = _moves(deal, stated, package, ours, {})
    you = _moves(deal, stated, package, theirs, {})
    if you:
        return (
            f"If you {you}, we can {we}{',' if tail else ''}{tail}." if we else f"If you {you}, we have a deal{tail}."
        )
    if we or rest:
        return f"We can {we or 'agree to the terms you named'}{',' if tail else ''}{tail}."
    return "We can agree to your offer as it stands."


def trade_sentence(
    deal: CompiledDeal,
    base: dict[str, Any],
    package: dict[str, Any],
    gives: list[str],
    asks: list[str],
    *,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
) -> str:
    """A trade from ``base`` to ``package`` as the buyer hears it: "If we B, can you A?", "Can you A? …", "We can B."

    ``ranges`` maps an issue to the (low, high) values a collapsed trade may take: "… to 95–98 USD/seat/month".
    """
    spans = dict(ranges or {})
    ours, theirs = _sides(deal, base, package, gives, asks)
    we = _moves(deal, base, package, ours, spans)
    you = _moves(deal, base, package, theirs, spans)
    if we and you:
        return f"If we {we}, can you {you}?"
    if you:
        return f"Can you {you}? It would leave both of us better off."
    if we:
        return f"We can {we}."
    return "We can keep the package as it stands."


def accept_sentence(deal: CompiledDeal, package: dict[str, Any], stated: dict[str, Any] | None) -> str:
    """Accepting the buyer's offer, with the terms it left out spelled out: "We accept your offer, with …"."""
    said = set(stated or {})
    rest = [i.name for i in deal.issues if i.name in package and i.name not in said]
    if not rest:
        return ACCEPT_SENTENCE
    return f"We accept your offer, with {package_words(deal, package, rest)}."


# ---------------------------------------------------------------- the analyst's no-deal messages


def out_of_reach(deal: CompiledDeal, side: str, walk_away: float, best: float) -> str:
    """No feasible package reaches ``side``'s ("seller" or "buyer") walk-away."""
    return (
        f"the {side}'s walk-away ({money(deal, walk_away)}) is above every feasible package (best {money(deal, best)})"
    )


def sides_apart(deal: CompiledDeal, best_b: float, buyer_gap: float, best_s: float, seller_gap: float) -> str:
    """Each side's walk-away is reachable, but not both at once: by how much each falls short."""
    return (
        f"no ZOPA: at the seller's walk-away the buyer gets at most {money(deal, best_b)}, {money(deal, buyer_gap)} "
        f"short of its walk-away; at the buyer's walk-away the seller gets at most {money(deal, best_s)}, "
        f"{money(deal, seller_gap)} short of its own"
    )
