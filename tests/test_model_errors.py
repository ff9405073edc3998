"""Every bad model file gets a clear one-line error: through the API and through ``dealopt validate``.

Each case starts from the spec's example model (``BASE``), breaks one thing, and
says which problems must be reported: the location, a key phrase of the message
and, where it can be known, the line. The API test checks ``load_model``; the
CLI test runs ``dealopt validate`` once on every bad file and checks that it
prints exactly the API's lines, each as ``error: FILE:…``, and nothing else.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

import dealopt
from cli_runner import run_cli
from dealopt import ModelError

DEALOPT = Path(sys.executable).parent / "dealopt"

# The complete example of the spec (format dealopt/1), verbatim.
BASE = """\
format: dealopt/1
name: saas-renewal                 # [a-z0-9-]+, used in file names and URLs
title: Acme platform renewal       # optional, for display
currency: USD                      # the unit of both parties' utilities

issues:                            # the order here is the display order
  price:       {kind: continuous, min: 60, max: 120, step: 0.5, unit: USD/seat/month, label: price per seat}
  seats:       {kind: integer, min: 200, max: 400, step: 50}
  term_months: {kind: ordinal, options: [12, 24, 36]}
  payment:     {kind: categorical, options: [net30, net60, annual_prepay]}
  support:     {kind: categorical, options: [standard, premium]}
  start_days:  {kind: integer, min: 0, max: 60, step: 15}

constraints:
  - forbid: {payment: net60, term_months: 12}
  - if: {support: premium}
    then: {seats: {min: 250}}

parties:
  seller:
    walk_away: 50000                                    # the least profit worth signing for
    utility:
      - of: [price, seats, term_months]                 # contract value
      - coef: -38                                       # cost to serve a seat-month
        of: [seats, term_months]
      - coef: -0.004                                    # cost of waiting for the money
        of: [price, seats, term_months, {payment: {net30: 1, net60: 2, annual_prepay: -1}}]
      - of: [{support: {standard: 0, premium: -15000}}]
      - of: [{start_days: {piecewise: [[0, -6000], [30, 0], [60, 0]]}}]
  buyer:
    walk_away: {package: {price: 95, seats: 300, term_months: 12, payment: net30, support: standard, start_days: 0}}
    utility:
      - coef: 160                                       # what a seat-month is worth; seats past 300 are worth less
        of: [{seats: {piecewise: [[200, 200], [300, 300], [400, 330]]}}, term_months]
      - coef: -1
        of: [price, seats, term_months]
      - coef: 0.003
        of: [price, seats, term_months, {payment: {net30: 1, net60: 2, annual_prepay: -1}}]
      - of: [{term_months: {12: 0, 24: -20000, 36: -60000}}]   # the risk of a long lock-in
      - of: [{support: {standard: 0, premium: 40000}}]
      - of: [{start_days: {piecewise: [[0, 0], [30, -4000], [60, -12000]]}}]

policy:                            # optional: the seller's negotiating rules
  price_issue: price
  list_price: 120
  approval_discount_pct: 15        # deeper discounts need approval: flag them
  require_reciprocity: true        # never propose a concession without an ask in return
"""

BASE_JSON = json.dumps(yaml.safe_load(BASE), indent=2)

SELLER_UTILITY = BASE[BASE.index("    utility:\n      - of: [price, seats, term_months]") : BASE.index("  buyer:\n")]
BUYER = BASE[BASE.index("  buyer:\n") : BASE.index("\npolicy:")]

# Names of pydantic internals that must never reach a user.
INTERNAL = re.compile(
    r"function-(after|before|wrap|plain)|tagged-union|constrained-|WalkAwayPackage|Factor\b|DealModel|"
    r"Input should|Field required|Value error|Extra inputs|\[type=|(^|[.\[])(eq|in_|if_|table)([.\[]|$)"
)


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


@dataclass
class Case:
    """A broken model and the problems it must report: (location, phrase, line or a snippet on that line)."""

    name: str
    content: str | bytes | None  # None: no file is written (a missing file); "<dir>": a directory
    expect: list[tuple[str, str, int | str | None]]
    suffix: str = ".yaml"
    min_problems: int = 1
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return self.name + self.suffix

    def text(self) -> str:
        if isinstance(self.content, bytes):
            return self.content.decode("utf-8", "replace")
        return self.content or ""

    def line(self, where: int | str | None) -> int | None:
        """The expected line: given, or the one line of the content that holds the snippet."""
        if where is None or isinstance(where, int):
            return where
        hits = [i for i, line in enumerate(self.text().splitlines(), 1) if where in line]
        assert len(hits) == 1, f"{self.name}: snippet {where!r} is on lines {hits}"
        return hits[0]


def alias_bomb() -> str:
    """The "billion laughs": 10 levels of 10 aliases each (10**10 strings once expanded)."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
        prev = name
    return "\n".join(lines) + "\n"


def profiles(p1: str, p2: str) -> str:
    """BASE with the buyer given as two profiles of probabilities p1 and p2."""
    buyer = (
        "  buyer:\n"
        "    profiles:\n"
        f"      - {{name: tight, probability: {p1}, walk_away: 0, utility: [{{coef: -1, of: [price]}}]}}\n"
        f"      - {{name: loose, probability: {p2}, walk_away: 0, utility: [{{coef: -2, of: [price]}}]}}"
    )
    return edit(BUYER, buyer)


PWNED = "PWNED_MARKER"  # replaced by a path in the test's temporary directory


CASES: list[Case] = [
    # ---- not YAML at all
    Case(
        "syntax-indent",
        edit("name: saas-renewal ", "name: saas-renewal\n  bad: indent "),
        [("", "YAML syntax error: mapping values are not allowed", "bad: indent")],
    ),
    Case("syntax-unclosed", edit("step: 50}", "step: 50"), [("", "YAML syntax error", 9)]),
    Case(
        "syntax-tab",
        edit("title: Acme", "\ttitle: Acme"),
        [("", "YAML syntax error: found character '\\t'", "\ttitle")],
    ),
    Case("empty", "", [("", "the file is empty; expected a deal model mapping", None)]),
    Case("whitespace", "  \n\n\t\n   \n", [("", "the file is empty", None)]),
    Case("comments-only", "# a model\n# to come\n", [("", "the file is empty", None)]),
    Case("multi-document", BASE + "---\nformat: dealopt/1\n", [("", "more than one YAML document", "---")]),
    # ---- not a mapping
    Case("top-list", "- format: dealopt/1\n- name: x\n", [("", "the file holds a list", 1)]),
    Case("top-string", "just some text\n", [("", "the file holds text ('just some text'), not a mapping", 1)]),
    Case("top-number", "42\n", [("", "the file holds a number (42), not a mapping", 1)]),
    Case("top-null", "~\n", [("", "the file holds only null", 1)]),
    # ---- unknown keys
    Case(
        "unknown-top-key",
        edit("currency: USD ", "colour: red\ncurrency: USD "),
        [("colour", "unknown key 'colour'; expected one of format, name", "colour: red")],
    ),
    Case(
        "unknown-issue-key",
        edit("step: 50}", "stepp: 50}"),
        [("issues.seats.stepp", "unknown key 'stepp' for an integer issue (did you mean 'step'?); expected", "stepp")],
    ),
    Case(
        "unknown-issue-key-for-kind",
        edit("{kind: categorical, options: [standard, premium]}", "{kind: categorical, options: [a, b], min: 1}"),
        [("issues.support.min", "unknown key 'min' for a categorical issue; expected one of kind, options", "min: 1")],
    ),
    Case(
        "unknown-term-key",
        edit("      - coef: -38 ", "      - coeff: -38 "),
        [
            (
                "parties.seller.utility[1].coeff",
                "unknown key 'coeff' (did you mean 'coef'?); expected one of coef, of",
                "coeff",
            )
        ],
    ),
    Case(
        "unknown-policy-key",
        edit("  list_price: 120", "  listprice: 120"),
        [
            (
                "policy.listprice",
                "unknown key 'listprice' (did you mean 'list_price'?); expected one of price_issue",
                "listprice",
            )
        ],
    ),
    Case(
        "unknown-constraint-key",
        edit("  - forbid: {payment", "  - forbids: {payment"),
        [
            (
                "constraints[0].forbids",
                "unknown key 'forbids' (did you mean 'forbid'?); expected one of forbid, if, then",
                "forbids",
            )
        ],
    ),
    # ---- missing keys
    Case("missing-format", edit("format: dealopt/1\n", ""), [("format", "missing; expected format: dealopt/1", 1)]),
    Case("missing-name", edit("name: saas-renewal ", "#"), [("name", "missing; expected a model name", 1)]),
    Case(
        "missing-issues",
        edit(BASE[BASE.index("issues:") : BASE.index("constraints:")], ""),
        [("issues", "missing; expected a mapping of issues", 1)],
    ),
    Case(
        "missing-parties",
        edit(BASE[BASE.index("parties:") : BASE.index("policy:")], ""),
        [("parties", "missing; expected parties: {seller:", 1)],
    ),
    Case(
        "missing-seller-utility",
        edit(SELLER_UTILITY, ""),
        [("parties.seller.utility", "missing; expected a list of terms", "  seller:")],
    ),
    Case(
        "misspelt-seller-utility",
        edit(SELLER_UTILITY, SELLER_UTILITY.replace("    utility:", "    utilities:")),
        [
            ("parties.seller.utility", "missing; expected a list of terms", "  seller:"),
            ("parties.seller.utilities", "unknown key 'utilities' (did you mean 'utility'?)", "utilities:"),
        ],
    ),
    Case(
        "missing-kind",
        edit("{kind: integer, min: 200", "{min: 200"),
        [("issues.seats.kind", "missing; expected kind: continuous, integer, ordinal or categorical", "  seats:   ")],
    ),
    Case(
        "missing-max",
        edit("min: 200, max: 400, ", "min: 200, "),
        [("issues.seats.max", "missing; expected max: a number", "  seats:   ")],
    ),
    # ---- format and name
    Case(
        "format-2",
        edit("format: dealopt/1", "format: dealopt/2"),
        [("format", "unsupported format 'dealopt/2'; expected 'dealopt/1'", 1)],
    ),
    Case(
        "name-uppercase",
        edit("name: saas-renewal", "name: SaaS-Renewal"),
        [("name", "bad name 'SaaS-Renewal'; expected lowercase letters, digits and '-' only, e.g. 'saas-renewal'", 2)],
    ),
    Case("name-spaces", edit("name: saas-renewal", "name: saas renewal"), [("name", "bad name 'saas renewal'", 2)]),
    # ---- unknown issues
    Case(
        "unknown-issue-in-term",
        edit("of: [seats, term_months]", "of: [seatz, term_months]"),
        [
            (
                "parties.seller.utility[1].of[0]",
                "unknown issue 'seatz' (did you mean 'seats'?); expected one of price, seats",
                "seatz",
            )
        ],
    ),
    Case(
        "unknown-issue-in-constraint",
        edit("forbid: {payment: net60", "forbid: {paymnt: net60"),
        [("constraints[0].forbid.paymnt", "unknown issue 'paymnt' (did you mean 'payment'?)", "paymnt")],
    ),
    Case(
        "unknown-issue-in-then",
        edit("then: {seats: {min: 250}}", "then: {users: {min: 250}}"),
        [("constraints[1].then.users", "unknown issue 'users'; expected one of price, seats", "users")],
    ),
    Case(
        "unknown-issue-in-walk-away",
        edit("{package: {price: 95,", "{package: {prize: 95,"),
        [
            ("parties.buyer.walk_away.package.prize", "unknown issue 'prize' (did you mean 'price'?)", "prize"),
            (
                "parties.buyer.walk_away.package",
                "leaves out price, which the utility uses; expected a level for each",
                "prize",
            ),
        ],
    ),
    # ---- tables and piecewise
    Case(
        "table-missing-level",
        edit("{support: {standard: 0, premium: 40000}}", "{support: {standard: 0}}"),
        [
            (
                "parties.buyer.utility[4].of[0].support",
                "table is missing level(s) premium of 'support'; expected every level",
                "{standard: 0}",
            )
        ],
    ),
    Case(
        "table-unknown-level",
        edit("{support: {standard: 0, premium: 40000}}", "{support: {standard: 0, premium: 4, gold: 9}}"),
        [
            (
                "parties.buyer.utility[4].of[0].support.gold",
                "table names 'gold', not a level of 'support'; expected levels [standard, premium]",
                "gold",
            )
        ],
    ),
    Case(
        "table-multiline-line",
        edit(
            "      - of: [{support: {standard: 0, premium: 40000}}]",
            "      - of:\n          - support:\n              standard: 0\n              premium: 40000\n              platinum: 1",
        ),
        [("parties.buyer.utility[4].of[0].support.platinum", "not a level of 'support'", "platinum")],
    ),
    Case(
        "categorical-bare",
        edit("of: [seats, term_months]", "of: [seats, payment]"),
        [
            (
                "parties.seller.utility[1].of[1]",
                "categorical issue 'payment' used bare; expected a table {payment: {option: value",
                "of: [seats, payment]",
            )
        ],
    ),
    Case(
        "piecewise-x-not-increasing",
        edit("[[0, -6000], [30, 0], [60, 0]]", "[[0, -6000], [30, 0], [20, 0]]"),
        [
            (
                "parties.seller.utility[4].of[0].start_days.piecewise",
                "piecewise x is not strictly increasing (30 then 20); expected increasing x",
                "[20, 0]",
            )
        ],
    ),
    Case(
        "piecewise-on-categorical",
        edit("{support: {standard: 0, premium: -15000}}", "{support: {piecewise: [[0, 1], [1, 2]]}}"),
        [
            (
                "parties.seller.utility[3].of[0].support.piecewise",
                "piecewise on categorical issue 'support'; expected a table",
                "[[0, 1], [1, 2]]",
            )
        ],
    ),
    Case(
        "piecewise-bad-point",
        edit("[[0, -6000], [30, 0], [60, 0]]", "[[0, -6000, 1], [30], [60, 0]]"),
        [
            (
                "parties.seller.utility[4].of[0].start_days.piecewise[0]",
                "[0, -6000, 1] is not a point; expected [x, y]",
                "[0, -6000, 1]",
            ),
            (
                "parties.seller.utility[4].of[0].start_days.piecewise[1]",
                "[30] is not a point; expected [x, y]",
                "[0, -6000, 1]",
            ),
        ],
    ),
    Case(
        "table-on-integer",
        edit(
            "{start_days: {piecewise: [[0, -6000], [30, 0], [60, 0]]}}",
            "{start_days: {0: -6000, 15: 0, 30: 0, 45: 0, 60: 0}}",
        ),
        [
            (
                "parties.seller.utility[4].of[0].start_days",
                "table on integer issue 'start_days'; expected {piecewise: [[x, y]",
                "45: 0",
            )
        ],
    ),
    Case(
        "table-value-not-number",
        edit("{support: {standard: 0, premium: 40000}}", "{support: {standard: 0, premium: lots}}"),
        [("parties.buyer.utility[4].of[0].support.premium", "'lots' is text; expected a number", "lots")],
    ),
    Case(
        "factor-two-issues",
        edit("{support: {standard: 0, premium: 40000}}", "{support: {standard: 0, premium: 1}, payment: {net30: 1}}"),
        [
            (
                "parties.buyer.utility[4].of[0]",
                "has 2 issues (support, payment); expected one issue per factor",
                "net30: 1}}]",
            )
        ],
    ),
    Case(
        "factor-number",
        edit("of: [seats, term_months]", "of: [seats, 5]"),
        [
            (
                "parties.seller.utility[1].of[1]",
                "5 is not a factor (a constant goes in coef); expected an issue name",
                "of: [seats, 5]",
            )
        ],
    ),
    # ---- ranges and steps
    Case(
        "min-gt-max-integer",
        edit("min: 200, max: 400", "min: 500, max: 400"),
        [("issues.seats", "min (500) > max (400); expected min ≤ max", "  seats:   ")],
    ),
    Case(
        "min-gt-max-continuous",
        edit("min: 60, max: 120", "min: 160, max: 120"),
        [("issues.price", "min (160) > max (120); expected min ≤ max", "  price:   ")],
    ),
    Case(
        "min-gt-max-test",
        edit("then: {seats: {min: 250}}", "then: {seats: {min: 250, max: 100}}"),
        [("constraints[1].then.seats", "min (250) > max (100); expected min ≤ max", "max: 100")],
    ),
    Case(
        "step-zero-integer",
        edit("step: 50}", "step: 0}"),
        [("issues.seats.step", "step is 0; expected a step > 0", "  seats:   ")],
    ),
    Case(
        "step-negative-integer",
        edit("step: 50}", "step: -5}"),
        [("issues.seats.step", "step is -5; expected a step > 0", "  seats:   ")],
    ),
    Case(
        "step-zero-continuous",
        edit("step: 0.5,", "step: 0,"),
        [("issues.price.step", "step is 0; expected a step > 0", "  price:   ")],
    ),
    Case(
        "step-negative-continuous",
        edit("step: 0.5,", "step: -0.5,"),
        [("issues.price.step", "step is -0.5; expected a step > 0", "  price:   ")],
    ),
    Case(
        "step-fractional-integer",
        edit("step: 50}", "step: 0.5}"),
        [
            (
                "issues.seats.step",
                "0.5 is not a whole number; expected an integer (for fractional values use kind: continuous)",
                "  seats:   ",
            )
        ],
    ),
    Case(
        "tiny-step",
        edit("min: 60, max: 120, step: 0.5", "min: 0, max: 1000, step: 1e-9"),
        [
            (
                "issues.price",
                "step 1e-09 over [0, 1000] gives 1,000,000,000,000 levels; expected at most 1,000,000",
                "  price:   ",
            )
        ],
    ),
    Case(
        "huge-integer-range",
        edit("min: 200, max: 400, step: 50", "min: 0, max: 1000000000000, step: 1"),
        [
            (
                "issues.seats",
                "step 1 over [0, 1000000000000] gives 1,000,000,000,001 levels; expected at most 1,000,000",
                "  seats:   ",
            )
        ],
    ),
    Case(
        "overflowing-grid",
        edit("min: 60, max: 120, step: 0.5", "min: -1e300, max: 1e300, step: 1e-300"),
        [("issues.price", "gives more than 10^600 levels; expected at most 1,000,000", "  price:   ")],
    ),
    # ---- numbers that are not finite
    Case(
        "yaml-nan",
        edit("step: 0.5,", "step: .nan,"),
        [("issues.price.step", "nan is not a finite number; expected a finite number", "  price:   ")],
    ),
    Case(
        "yaml-inf", edit("max: 120,", "max: .inf,"), [("issues.price.max", "inf is not a finite number", "  price:   ")]
    ),
    Case(
        "yaml-minus-inf-coef",
        edit("coef: -38", "coef: -.inf"),
        [("parties.seller.utility[1].coef", "-inf is not a finite number", "-.inf")],
    ),
    Case(
        "yaml-nan-walk-away",
        edit("walk_away: 50000 ", "walk_away: .NaN "),
        [("parties.seller.walk_away", "nan is not a finite number", ".NaN")],
    ),
    Case(
        "json-nan",
        edit('"step": 0.5', '"step": NaN', BASE_JSON),
        [("issues.price.step", "nan is not a finite number; expected a finite number", '"step": NaN')],
        suffix=".json",
    ),
    Case(
        "json-infinity",
        edit('"max": 120,', '"max": Infinity,', BASE_JSON),
        [("issues.price.max", "inf is not a finite number", "Infinity")],
        suffix=".json",
    ),
    Case(
        "json-minus-infinity",
        edit('"coef": -38', '"coef": -Infinity', BASE_JSON),
        [("parties.seller.utility[1].coef", "-inf is not a finite number", "-Infinity")],
        suffix=".json",
    ),
    # ---- options
    Case(
        "ordinal-not-numeric",
        edit("options: [12, 24, 36]", "options: [12, two years, 36]"),
        [("issues.term_months.options[1]", "'two years' is text; expected a number", "two years")],
    ),
    Case(
        "ordinal-not-increasing",
        edit("options: [12, 24, 36]", "options: [12, 36, 24]"),
        [
            (
                "issues.term_months.options",
                "options are not strictly increasing (36 then 24); expected increasing numbers",
                "[12, 36, 24]",
            )
        ],
    ),
    Case(
        "ordinal-duplicate",
        edit("options: [12, 24, 36]", "options: [12, 24, 24, 36]"),
        [("issues.term_months.options", "option 24 appears twice; expected distinct options", "24, 24")],
    ),
    Case(
        "categorical-duplicate",
        edit("options: [standard, premium]", "options: [standard, premium, standard]"),
        [("issues.support.options", "option 'standard' appears twice; expected distinct options", "premium, standard")],
    ),
    Case(
        "categorical-yes-no",
        edit("options: [standard, premium]", "options: [yes, no]"),
        [("issues.support.options[0]", "true is a boolean; expected text (YAML reads unquoted yes/no", "[yes, no]")],
    ),
    Case(
        "options-empty",
        edit("options: [standard, premium]", "options: []"),
        [("issues.support.options", "is empty; expected at least one option", "options: []")],
    ),
    # ---- terms and constraints
    Case(
        "of-empty",
        edit("      - of: [{support: {standard: 0, premium: -15000}}]", "      - of: []"),
        [("parties.seller.utility[3].of", "is empty; expected at least one factor", "of: []")],
    ),
    Case(
        "if-without-then",
        edit("    then: {seats: {min: 250}}\n", ""),
        [("constraints[1]", "'if' without 'then'; expected both 'if' and 'then'", "- if:")],
    ),
    Case(
        "then-without-if",
        edit("  - if: {support: premium}\n    then:", "  - then:"),
        [("constraints[1]", "'then' without 'if'; expected both 'if' and 'then'", "- then:")],
    ),
    Case(
        "test-unknown-key",
        edit("then: {seats: {min: 250}}", "then: {seats: {min: 250, foo: 1}}"),
        [
            (
                "constraints[1].then.seats",
                "unknown key 'foo' in a test; expected a level, {in: [levels…]} or {min: x}",
                "foo: 1",
            )
        ],
    ),
    Case(
        "test-list",
        edit("forbid: {payment: net60", "forbid: {payment: [net60, net30]"),
        [
            (
                "constraints[0].forbid.payment",
                "['net60', 'net30'] is a list; expected {in: [levels…]} for a set of levels",
                "[net60, net30]",
            )
        ],
    ),
    Case(
        "test-unknown-option",
        edit("forbid: {payment: net60", "forbid: {payment: net90"),
        [
            (
                "constraints[0].forbid.payment",
                "'net90' is not an option of 'payment' (did you mean 'net60'?); expected one of net30, net60, annual_prepay",
                "net90",
            )
        ],
    ),
    Case(
        "test-number-as-text",
        edit("then: {seats: {min: 250}}", "then: {seats: {in: ['300', 350]}}"),
        [
            (
                "constraints[1].then.seats.in[0]",
                "'300' is text; expected a number for integer issue 'seats' (write 300 without quotes)",
                "'300'",
            )
        ],
    ),
    # ---- walk-aways and profiles
    Case(
        "walk-away-unknown-level",
        edit(
            "payment: net30, support: standard, start_days: 0}}", "payment: net90, support: standard, start_days: 0}}"
        ),
        [("parties.buyer.walk_away.package.payment", "'net90' is not an option of 'payment'", "net90")],
    ),
    Case(
        "walk-away-missing-issue",
        edit("support: standard, start_days: 0}}", "start_days: 0}}"),
        [
            (
                "parties.buyer.walk_away.package",
                "leaves out support, which the utility uses; expected a level for each",
                "{package:",
            )
        ],
    ),
    Case(
        "walk-away-level-off-grid",
        edit("{package: {price: 95, seats: 300,", "{package: {price: 95, seats: 310,"),
        [
            (
                "parties.buyer.walk_away.package.seats",
                "310 is not a level of 'seats'; expected 200…400 in steps of 50 (5 levels)",
                "{package:",
            )
        ],
    ),
    Case(
        "issue-name-number",
        edit("  start_days:  {kind", "  2024:  {kind"),
        [("issues.2024", "the key 2024 is a number; expected a name (text)", "2024:")],
    ),
    Case(
        "walk-away-price-as-text",
        edit("{package: {price: 95,", '{package: {price: "95",'),
        [
            (
                "parties.buyer.walk_away.package.price",
                "'95' is text; expected a number for continuous issue 'price' (write 95 without quotes)",
                "{package:",
            )
        ],
    ),
    Case(
        "walk-away-as-text",
        edit("walk_away: 50000 ", 'walk_away: "50000" '),
        [
            (
                "parties.seller.walk_away",
                "'50000' is text; expected a number or {package: {issue: level, …}} (write 50000 without quotes)",
                '"50000"',
            )
        ],
    ),
    Case(
        "walk-away-package-typo",
        edit("walk_away: {package: {", "walk_away: {pkg: {"),
        [
            ("parties.buyer.walk_away.package", "missing; expected package: {issue: level, …}", "{pkg:"),
            ("parties.buyer.walk_away.pkg", "unknown key 'pkg'; expected one of package", "{pkg:"),
        ],
    ),
    Case(
        "walk-away-level-list",
        edit("{package: {price: 95,", "{package: {price: [95],"),
        [
            (
                "parties.buyer.walk_away.package.price",
                "[95] is a list; expected a level (a number, or an option's name)",
                "[95]",
            )
        ],
    ),
    Case(
        "probabilities-sum",
        profiles("0.5", "0.3"),
        [("parties.buyer.profiles", "probabilities sum to 0.8; expected 1", "profiles:")],
    ),
    Case(
        "probability-above-one",
        profiles("1.5", "0"),
        [
            (
                "parties.buyer.profiles[0].probability",
                "1.5 is out of range; expected a probability between 0 and 1",
                "tight",
            )
        ],
    ),
    Case(
        "probability-as-text",
        profiles("'0.5'", "0.5"),
        [
            (
                "parties.buyer.profiles[0].probability",
                "'0.5' is text; expected a number (write 0.5 without quotes)",
                "tight",
            )
        ],
    ),
    # ---- user slips
    Case(
        "kind-float",
        edit("{kind: continuous, min: 60", "{kind: float, min: 60"),
        [
            (
                "issues.price.kind",
                "unknown kind 'float' (did you mean continuous?); expected continuous, integer, ordinal or categorical",
                "  price:   ",
            )
        ],
    ),
    Case(
        "coef-text",
        edit("coef: -38", "coef: x"),
        [("parties.seller.utility[1].coef", "'x' is text; expected a number", "coef: x")],
    ),
    Case(
        "coef-quoted",
        edit("coef: -38", 'coef: "-38"'),
        [("parties.seller.utility[1].coef", "'-38' is text; expected a number (write -38 without quotes)", '"-38"')],
    ),
    Case(
        "min-quoted",
        edit("min: 200, max: 400", 'min: "200", max: 400'),
        [("issues.seats.min", "'200' is text; expected an integer (write 200 without quotes)", "  seats:   ")],
    ),
    Case(
        "max-issues-per-trade-zero",
        edit("  require_reciprocity: true", "  require_reciprocity: true\n  max_issues_per_trade: 0"),
        [("policy.max_issues_per_trade", "0 is out of range; expected an integer ≥ 1", "max_issues_per_trade")],
    ),
    Case(
        "list-price-negative",
        edit("  list_price: 120", "  list_price: -5"),
        [("policy.list_price", "-5 is out of range; expected a number > 0", "list_price")],
    ),
    Case(
        "reciprocity-text",
        edit("require_reciprocity: true ", "require_reciprocity: always "),
        [("policy.require_reciprocity", "'always' is text; expected true or false", "always")],
    ),
    Case(
        "price-issue-unknown",
        edit("  price_issue: price", "  price_issue: prices"),
        [("policy.price_issue", "unknown issue 'prices' (did you mean 'price'?)", "price_issue")],
    ),
    Case(
        "units-bad",
        edit("currency: USD ", "units: dollars "),
        [("units", "'dollars' is not allowed; expected 'currency' or 'normalized'", "units:")],
    ),
    Case(
        "issue-not-mapping",
        edit("{kind: integer, min: 200, max: 400, step: 50}", "[200, 400]"),
        [("issues.seats", "[200, 400] is a list; expected an issue {kind:", "  seats:   ")],
    ),
    Case(
        "constraints-not-list",
        edit(BASE[BASE.index("constraints:") : BASE.index("parties:")], "constraints: {forbid: {payment: net60}}\n"),
        [
            (
                "constraints",
                '{"forbid": {"payment": "net60"}} is a mapping; expected a list of constraints',
                "constraints:",
            )
        ],
    ),
    # ---- YAML hazards
    Case(
        "duplicate-key",
        edit("title: Acme platform renewal", "title: Acme platform renewal\ntitle: again"),
        [("title", "duplicate key 'title'; expected each key once", "title: again")],
    ),
    Case(
        "duplicate-issue",
        edit("  start_days: ", "  seats: {kind: integer, min: 0, max: 1}\n  start_days: "),
        [("issues.seats", "duplicate key 'seats'; expected each key once", "max: 1}")],
    ),
    Case(
        "python-tag",
        edit("title: Acme platform renewal", f'title: !!python/object/apply:os.system ["touch {PWNED}"]'),
        [("title", "YAML tag !!python/object/apply:os.system is not allowed; expected plain data", "title:")],
    ),
    Case(
        "python-scalar-tag",
        edit("title: Acme platform renewal", f"title: !!python/name:os.system {PWNED}"),
        [("title", "YAML tag !!python/name:os.system is not allowed", "title:")],
    ),
    Case(
        "custom-tag",
        edit("title: Acme platform renewal", "title: !secret abc"),
        [("title", "YAML tag !secret is not allowed", "title:")],
    ),
    Case(
        "merge-key",
        edit(
            "  start_days:  {kind: integer, min: 0, max: 60, step: 15}",
            "  start_days:  &d {kind: integer, min: 0, max: 60, step: 15}\n  delay: {<<: *d, step: 5}",
        ),
        [("issues.delay", "YAML merge keys (<<) are not supported", "delay:")],
    ),
    Case(
        "alias-bomb", alias_bomb(), [("", "expands to more than 1,000,000 values through aliases (an alias bomb?)", 1)]
    ),
    Case("deep-nesting", "a: " + "[" * 1000 + "]" * 1000 + "\n", [("", "nested too deeply", None)]),
    Case(
        "key-not-text",
        edit("title: Acme platform renewal", "5: five"),
        [("5", "the key 5 is a number; expected a name (text)", "5: five")],
    ),
    # ---- files
    Case("a-directory", "<dir>", [("", "is a directory; expected a model file", None)], suffix=""),
    Case("no-such-file", None, [("", "no such file; expected the path of a model file", None)]),
    Case(
        "latin-1",
        edit("title: Acme platform renewal", "title: Acmé platform renewal").encode("latin-1"),
        [("", "not UTF-8 text (byte 0xe9 at offset", 3)],
    ),
    Case("binary", b"\x00\x01\x02format: dealopt/1\n", [("", "NUL bytes", None)]),
    Case(
        "json-syntax",
        edit('"max": 120,', '"max": 120', BASE_JSON),
        [("", "JSON syntax error: Expecting ',' delimiter", '"step": 0.5')],
        suffix=".json",
    ),
    Case(
        "json-trailing-comma",
        BASE_JSON[:-2] + ",\n}",
        [("", "JSON syntax error: Expecting property name", BASE_JSON.count("\n") + 1)],
        suffix=".json",
    ),
    Case("json-top-list", "[1, 2, 3]\n", [("", "the file holds a list ([1, 2, 3]), not a mapping", 1)], suffix=".json"),
    Case(
        "json-duplicate-key",
        edit('"name": "saas-renewal",', '"name": "saas-renewal",\n  "name": "other",', BASE_JSON),
        [("name", "duplicate key 'name'", '"other"')],
        suffix=".json",
    ),
    Case(
        "json-unknown-level",
        edit('"premium": 40000\n', '"premium": 40000,\n                "gold": 1\n', BASE_JSON),
        [("parties.buyer.utility[4].of[0].support.gold", "table names 'gold', not a level of 'support'", '"gold"')],
        suffix=".json",
    ),
    # ---- several problems at once
    Case(
        "several-problems",
        edit(
            "{support: {standard: 0, premium: 40000}}",
            "{support: {standard: 0}}",
            edit(
                "of: [price, seats, term_months]                 #",
                "of: [prize, seats, term_months] #",
                edit("of: [seats, term_months]", "of: [seatz, term_months]"),
            ),
        ),
        [
            ("parties.seller.utility[0].of[0]", "unknown issue 'prize'", "prize"),
            ("parties.seller.utility[1].of[0]", "unknown issue 'seatz'", "seatz"),
            ("parties.buyer.utility[4].of[0].support", "table is missing level(s) premium", "{standard: 0}"),
        ],
        min_problems=3,
    ),
    Case(
        "several-shape-problems",
        edit(
            "min: 200, max: 400",
            'min: "200", max: 400',
            edit("coef: -38", "coef: x", edit("currency: USD ", "colour: red\ncurrency: USD ")),
        ),
        [
            ("colour", "unknown key 'colour'", "colour"),
            ("issues.seats.min", "'200' is text", "  seats:   "),
            ("parties.seller.utility[1].coef", "'x' is text", "coef: x"),
        ],
        min_problems=3,
    ),
]

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be distinct"

# Valid models that are unusual but must load: solving them reports "no feasible package" / "no ZOPA".
NO_FEASIBLE = edit(
    "  - forbid: {payment: net60, term_months: 12}", "  - forbid: {support: standard}\n  - forbid: {support: premium}"
)
NO_ZOPA = edit("walk_away: 50000 ", "walk_away: 1000000000000 ")


def write_case(case: Case, directory: Path) -> Path:
    path = directory / case.filename
    if case.content is None:
        return path
    if case.content == "<dir>":
        path.mkdir()
        (path / "model.yaml").write_text(BASE, encoding="utf-8")
        return path
    data = case.content.replace(PWNED, str(directory / "pwned")) if isinstance(case.content, str) else case.content
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def check_lines(lines: list[str], source: str) -> None:
    """Every line is one line, names the file, says what was expected, and leaks no pydantic internals."""
    assert lines, "no problem reported"
    assert len(lines) == len(set(lines)), f"a problem is reported twice: {lines}"
    for line in lines:
        assert "\n" not in line and len(line.splitlines()) == 1, line
        assert line.startswith(source + ":") or line.startswith(source + " "), line
        assert "expected" in line, f"no 'expected …': {line}"
        assert "Traceback" not in line
        assert not INTERNAL.search(line.split(": ", 1)[1]), f"pydantic internals in: {line}"


def check_problems(case: Case, exc: ModelError, source: str) -> None:
    check_lines(exc.lines(), source)
    assert len(exc.problems) >= case.min_problems, exc.lines()
    for location, phrase, where in case.expect:
        line = case.line(where)
        hits = [p for p in exc.problems if p.location == location and phrase in p.message]
        assert hits, f"{case.name}: no problem at {location!r} saying {phrase!r}; got {exc.lines()}"
        assert any(p.line == line for p in hits), (
            f"{case.name}: {location!r} expected on line {line}; got {exc.lines()}"
        )
        head = f"{source}:{line}" if line is not None else source
        assert any(text.startswith(f"{head}: {location + ': ' if location else ''}") for text in exc.lines())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_api_reports_each_problem(case: Case, tmp_path: Path) -> None:
    path = write_case(case, tmp_path)
    load = dealopt.load_model  # imported when first asked for: not part of the time measured
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        load(path)
    assert time.perf_counter() - start < 2.0, "refusing a bad model must be quick"
    assert info.value.source == str(path)
    check_problems(case, info.value, str(path))
    assert not (tmp_path / "pwned").exists(), "a YAML tag ran a command"


def test_api_text_and_data_entry_points() -> None:
    """``model_from_text`` reports the same lines (with the given source name); plain dicts get locations."""
    with pytest.raises(ModelError) as info:
        dealopt.model_from_text(edit("step: 50}", "stepp: 50}"), source="inline.yaml")
    assert info.value.lines() == [
        "inline.yaml:8: issues.seats.stepp: unknown key 'stepp' for an integer issue (did you mean 'step'?); "
        "expected one of kind, min, max, step, unit, label, description"
    ]
    data = yaml.safe_load(BASE)
    data["parties"]["seller"]["walk_away"] = "50000"
    with pytest.raises(ModelError) as info:
        dealopt.model_from_data(data)
    assert info.value.lines() == [
        "<model>: parties.seller.walk_away: '50000' is text; expected a number or {package: {issue: level, …}} "
        "(write 50000 without quotes)"
    ]


def test_yaml_12_numbers_and_dates_read_as_written() -> None:
    """``5e-1`` is a number (YAML 1.2), a date-like title stays text, quoted numbers stay text."""
    model = dealopt.model_from_text(
        edit("step: 0.5,", "step: 5e-1,", edit("title: Acme platform renewal", "title: 2024-01-01"))
    )
    assert model.issues["price"].step == 0.5
    assert model.title == "2024-01-01"
    assert dealopt.model_from_text(edit("title: Acme platform renewal", 'title: "1e5"')).title == "1e5"


def test_flow_yaml_starting_with_a_brace_is_yaml() -> None:
    flow = json.dumps(yaml.safe_load(BASE)).replace('"name": "saas-renewal"', "name: saas-renewal")
    assert flow.startswith("{")
    assert dealopt.model_from_text(flow).name == "saas-renewal"


def test_level_grids_are_checked_without_listing_them() -> None:
    """Validating allocates nothing per level: many big issues load, a huge one is refused, both in little memory."""
    big = "".join(f"  big{i}: {{kind: integer, min: 0, max: 999999}}\n" for i in range(100))
    many = edit("  start_days:", big + "  start_days:")
    huge = BY_NAME["huge-integer-range"].text()
    tracemalloc.start()
    try:
        assert len(dealopt.model_from_text(many).issues) == 106
        with pytest.raises(ModelError):
            dealopt.model_from_text(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000, f"validation used {peak:,} bytes"


def test_valid_but_hopeless_models_load(tmp_path: Path) -> None:
    for name, text in (("no-feasible", NO_FEASIBLE), ("no-zopa", NO_ZOPA)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        assert dealopt.load_model(path).name == "saas-renewal"
    json_path = tmp_path / "base.json"
    json_path.write_text(BASE_JSON, encoding="utf-8")
    assert dealopt.load_model(json_path).name == "saas-renewal"


# ---------------------------------------------------------------- the CLI


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args)


def test_cli_validate_reports_exactly_the_api_lines(tmp_path: Path) -> None:
    """One ``dealopt validate`` call on every bad file: exit 2, only ``error: FILE…`` lines, the API's lines."""
    paths = [write_case(case, tmp_path) for case in CASES]
    start = time.perf_counter()
    result = run("validate", *paths)
    elapsed = time.perf_counter() - start
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines), [x for x in lines if not x.startswith("error: ")]
    assert elapsed < 15, f"validate took {elapsed:.1f}s"
    expected: list[str] = []
    for path in paths:
        with pytest.raises(ModelError) as info:
            dealopt.load_model(path)
        check_lines(info.value.lines(), str(path))
        expected += ["error: " + line for line in info.value.lines()]
    assert lines == expected, "the CLI must print exactly the API's lines, file by file"
    assert not (tmp_path / "pwned").exists(), "a YAML tag ran a command"


def test_cli_single_bad_file(tmp_path: Path) -> None:
    path = write_case(BY_NAME["unknown-issue-in-term"], tmp_path)
    result = run("validate", path)
    assert result.returncode == 2
    assert result.stdout == ""
    line = BY_NAME["unknown-issue-in-term"].line("seatz")
    assert result.stderr.splitlines() == [
        f"error: {path}:{line}: parties.seller.utility[1].of[0]: unknown issue 'seatz' (did you mean 'seats'?); "
        "expected one of price, seats, term_months, payment, support, start_days"
    ]


def test_cli_huge_levels_refused_quickly(tmp_path: Path) -> None:
    """A tiny step or a huge integer range is refused at once, without allocating the levels."""
    paths = [write_case(BY_NAME[name], tmp_path) for name in ("tiny-step", "huge-integer-range", "alias-bomb")]
    start = time.perf_counter()
    result = run("validate", *paths)
    assert time.perf_counter() - start < 10
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert "levels; expected at most 1,000,000" in lines[0] and "levels; expected at most 1,000,000" in lines[1]
    assert "alias bomb" in lines[2]


def test_cli_valid_models_exit_0(tmp_path: Path) -> None:
    paths = []
    for name, text in (("no-feasible", NO_FEASIBLE), ("no-zopa", NO_ZOPA)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    result = run("validate", *paths)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [f"ok: {p} (saas-renewal)" for p in paths]


def test_cli_mixed_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    bad = write_case(BY_NAME["empty"], tmp_path)
    missing = tmp_path / "nowhere.yaml"
    result = run("validate", good, bad, missing)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [f"ok: {good} (saas-renewal)"]
    assert result.stderr.splitlines() == [
        f"error: {bad}: the file is empty; expected a deal model mapping (format: dealopt/1, name: …, issues: …, parties: …)",
        f"error: {missing}: no such file; expected the path of a model file (YAML or JSON)",
    ]
