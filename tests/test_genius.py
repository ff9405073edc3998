"""The GENIUS/ANAC importer: reference answers, an independent reading of the XML, YAML round trips, bad input."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dealopt.errors import ModelError
from dealopt.interfaces.cli import app
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.evaluation import evaluate, evaluate_indices
from dealopt.model.importers.genius import import_genius
from dealopt.model.loading import load_model, model_from_text
from dealopt.model.schema import ISSUE_NAME_PATTERN, NAME_PATTERN
from dealopt.model.writing import write_model

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "cases"
GENIUS = CASES / "genius"
MORE = CASES / "genius-more"
needs_cases = pytest.mark.skipif(not (GENIUS / "expected.json").is_file(), reason="shared/cases is not here")
TOL = 1e-6


def _expected() -> dict:
    return json.loads((GENIUS / "expected.json").read_text()) if GENIUS.is_dir() else {}


def _case_files(case: str) -> tuple[Path, Path, Path]:
    files = _expected()[case]["files"]
    return tuple(GENIUS / case / files[k] for k in ("domain", "seller", "buyer"))  # type: ignore[return-value]


def _more_triples() -> list[tuple[Path, Path, Path]]:
    """The 30 genius-more domains as (domain, seller, buyer)."""
    if not MORE.is_dir():
        return []
    out = [
        (d, d.with_name(d.name.replace("-domain", "-prof1")), d.with_name(d.name.replace("-domain", "-prof2")))
        for d in sorted(MORE.rglob("*-domain.xml"))
    ]
    out.append((MORE / "Jobs/Jobs.xml", MORE / "Jobs/Jobs_util1.xml", MORE / "Jobs/Jobs_util2.xml"))
    t = MORE / "thompson"
    out.append(
        (
            t / "thompson_employment.xml",
            t / "thompson_employer_utilityspace.xml",
            t / "thompson_employee_utilityspace.xml",
        )
    )
    return out


# ---------------------------------------------------------------- an independent reading of the XML


def _xml(path: Path) -> ET.Element:
    return ET.fromstring(re.sub(rb"\A(?:\s|<!--.*?-->)*", b"", path.read_bytes(), flags=re.S))


def _domain_values(domain: Path) -> list[tuple[str, list[str]]]:
    return [
        (i.get("name"), list(dict.fromkeys(x.get("value") for x in i.findall("item"))))
        for i in _xml(domain).iter("issue")
    ]


def direct_utility(domain: Path, profile: Path, idx: np.ndarray) -> tuple[np.ndarray, float]:
    """Σ weight × evaluation / max evaluation for packages given as level indices (domain order), and the reservation."""
    prof = _xml(profile)
    weights = {w.get("index"): float(w.get("value")) for w in prof.iter("weight")}
    tables = {}
    for issue in prof.iter("issue"):
        evals = {x.get("value"): float(x.get("evaluation")) for x in issue.findall("item")}
        top = max(evals.values())
        tables[issue.get("name")] = {v: weights[issue.get("index")] * e / top for v, e in evals.items()}
    u = np.zeros(len(idx))
    for k, (name, values) in enumerate(_domain_values(domain)):
        if name in tables:
            u += np.array([tables[name][v] for v in values])[idx[:, k]]
    res = prof.find(".//reservation")
    return u, float(res.get("value")) if res is not None else 0.0


def _check_direct(deal: CompiledDeal, triple: tuple[Path, Path, Path], idx: np.ndarray) -> None:
    domain, seller, buyer = triple
    assert [i.labels for i in deal.issues] == [tuple(v) for _, v in _domain_values(domain)]
    assert [i.spec.label for i in deal.issues] == [n for n, _ in _domain_values(domain)]
    ev = evaluate_indices(deal, idx)
    for side, path, walk in ((ev.seller, seller, deal.seller_walk_away), (ev.buyer, buyer, deal.buyer_walk_away)):
        want, reservation = direct_utility(domain, path, idx)
        np.testing.assert_allclose(side, want, rtol=0, atol=1e-12)
        assert walk == reservation


# ---------------------------------------------------------------- brute-force answers


def pareto(pairs: np.ndarray) -> np.ndarray:
    """Distinct (seller, buyer) pairs that no other pair weakly dominates (≥ both, > one)."""
    pairs = np.unique(pairs, axis=0)
    # Distinct pairs: q dominates p iff q ≥ p on both. In the order seller ↓ then buyer ↓, whatever dominates p
    # comes before it, so p is kept iff its buyer value beats every buyer value before it.
    order = np.lexsort((-pairs[:, 1], -pairs[:, 0]))
    buyer = pairs[order, 1]
    before = np.maximum.accumulate(np.concatenate(([-np.inf], buyer[:-1])))
    keep = np.zeros(len(pairs), dtype=bool)
    keep[order] = buyer > before
    return pairs[keep]


def _has(points: np.ndarray, pair: list[float]) -> bool:
    return bool((np.abs(points - np.asarray(pair)) <= TOL).all(axis=1).any())


def _argmax_pairs(points: np.ndarray, score: np.ndarray) -> np.ndarray:
    return points[score >= score.max() - 1e-9]


@needs_cases
@pytest.mark.parametrize("case", sorted(_expected()))
def test_reference_case(case: str) -> None:
    want = _expected()[case]
    triple = _case_files(case)
    deal = compile_model(import_genius(*triple))
    idx = np.indices(deal.shape).reshape(len(deal.shape), -1).T
    ev = evaluate_indices(deal, idx)
    assert len(idx) == want["packages"]
    assert int(ev.acceptable.sum()) == want["zopa_packages"]
    assert deal.seller_walk_away == pytest.approx(want["walk_away"]["seller"], abs=TOL)
    assert deal.buyer_walk_away == pytest.approx(want["walk_away"]["buyer"], abs=TOL)
    acc = ev.acceptable
    assert ev.joint[acc].max() == pytest.approx(want["max_joint"], abs=TOL)
    zopa = np.stack([ev.seller[acc], ev.buyer[acc]], axis=1)
    assert all(_has(zopa, p) for p in want["frontier"])
    front = pareto(zopa)
    assert len(front) == want["frontier_points"] == len(want["frontier"])
    assert all(_has(front, p) for p in want["frontier"])
    assert all(_has(np.asarray(want["frontier"]), p) for p in front)
    ws, wb = deal.seller_walk_away, deal.buyer_walk_away
    nash = (zopa[:, 0] - ws) * (zopa[:, 1] - wb)
    assert _has(_argmax_pairs(zopa, nash), want["nash"])
    top_s, top_b = zopa.max(axis=0)
    ks = np.minimum((front[:, 0] - ws) / (top_s - ws), (front[:, 1] - wb) / (top_b - wb))
    assert _has(_argmax_pairs(front, ks), want["kalai_smorodinsky"])
    _check_direct(deal, triple, idx)


# ---------------------------------------------------------------- the 30 other domains


def _sample(deal: CompiledDeal, n: int = 400) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.stack([rng.integers(0, size, n) for size in deal.shape], axis=1)


@needs_cases
@pytest.mark.parametrize("triple", _more_triples(), ids=lambda t: t[0].stem)
def test_more_domains_import_round_trip_and_evaluate(triple: tuple[Path, Path, Path], tmp_path: Path) -> None:
    model = import_genius(*triple)
    assert re.fullmatch(NAME_PATTERN.strip("^$"), model.name)
    assert all(ISSUE_NAME_PATTERN.match(k) for k in model.issues)
    deal = compile_model(model)
    idx = _sample(deal)
    _check_direct(deal, triple, idx)
    out = tmp_path / "model.yaml"
    write_model(model, out)
    again = compile_model(load_model(out))
    a, b = evaluate_indices(deal, idx), evaluate_indices(again, idx)
    assert np.array_equal(a.seller, b.seller) and np.array_equal(a.buyer, b.buyer)
    assert np.array_equal(a.acceptable, b.acceptable)
    assert (again.seller_walk_away, again.buyer_walk_away) == (deal.seller_walk_away, deal.buyer_walk_away)


@needs_cases
def test_more_domains_are_thirty_with_their_quirks() -> None:
    triples = _more_triples()
    assert len(triples) == 30 and all(p.is_file() for t in triples for p in t)
    fitness = import_genius(*next(t for t in triples if t[0].name == "Fitness-B-domain.xml"))
    assert fitness.issues["Price"].label == "Price($)"  # sanitized; its weight index 1 names the objective
    flight = import_genius(*next(t for t in triples if t[0].name == "FlightBooking-A-domain.xml"))
    assert flight.issues["DepartureDate"].options == ["Sep2_2011", "Sep3_2011", "Sep4_2011"]  # listed twice


# ---------------------------------------------------------------- integer and real issues (synthetic)

NUM_DOMAIN = """<negotiation_template><utility_space number_of_issues="4">
<objective index="0" etype="objective" type="objective" name="root">
  <issue index="1" name="Quantity" etype="integer" type="integer" vtype="integer" lowerbound="0" upperbound="10"/>
  <issue index="2" name="Price (EUR)" etype="real" type="real" vtype="real"><range lowerbound="0" upperbound="100"/></issue>
  <issue index="3" name="Colour/finish" etype="discrete" type="discrete" vtype="discrete">
    <item index="1" value="yes"/><item index="2" value="1"/><item index="3" value="null"/><item index="4" value="a, b: c"/>
  </issue>
  <issue index="4" name="Colourfinish" etype="discrete"><item index="1" value="x"/><item index="2" value="y"/></issue>
</objective></utility_space></negotiation_template>
"""

NUM_SELLER = """

<!-- a GENIUS profile with a comment before the declaration -->
<?xml version="1.0" encoding="UTF-8"?>
<utility_space><objective index="0" etype="objective" type="objective" name="root">
  <issue index="1" name="Quantity" etype="integer" type="integer" vtype="integer" lowerbound="0" upperbound="10">
    <evaluator ftype="linear" slope="0.2" offset="-0.5"/>
  </issue>
  <issue index="2" name="Price (EUR)" etype="real" type="real" vtype="real"><range lowerbound="0" upperbound="100"/>
    <evaluator ftype="linear" parameter0="-0.1" parameter1="0.015"/>
  </issue>
  <issue index="3" name="Colour/finish" etype="discrete" type="discrete">
    <item index="1" value="yes" evaluation="4"/><item index="2" value="1" evaluation="8"/>
    <item index="3" value="null" evaluation="0"/><item index="4" value="a, b: c" evaluation="2"/>
  </issue>
  <weight index="1" value="0.5"/><weight index="2" value="0.3"/><weight index="3" value="0.2"/>
</objective><discount_factor value="0.5"/><reservation value="0.3"/></utility_space>
"""

NUM_BUYER = """<utility_space><objective index="0" etype="objective" type="objective" name="root">
  <weight index="1" value="0.25"/><weight index="2" value="0.25"/><weight index="3" value="0.4"/><weight index="4" value="0.1"/>
  <issue index="1" name="Quantity" etype="integer" type="integer" vtype="integer"><range lowerbound="0" upperbound="10"/>
    <evaluator ftype="linear" parameter0="1.2" parameter1="-0.1"/>
  </issue>
  <issue index="2" name="Price (EUR)" etype="real" type="real" vtype="real"><range lowerbound="0" upperbound="100"/>
    <evaluator ftype="constant" parameter0="0.6"/>
  </issue>
  <issue index="3" name="Colour/finish" etype="discrete" type="discrete">
    <item index="1" value="yes" evaluation="1"/><item index="2" value="1" evaluation="3"/>
    <item index="3" value="null" evaluation="2"/><item index="4" value="a, b: c" evaluation="3"/>
    <similarity_function weight="1"><criteria_function weight="1">
      <item index="1" value="yes" evaluation="100"/><item index="9" value="unspecified" evaluation="7"/>
    </criteria_function></similarity_function>
  </issue>
  <issue index="4" name="Colourfinish" etype="discrete"><item index="1" value="x" evaluation="0"/><item index="2" value="y" evaluation="0"/></issue>
</objective></utility_space>
"""


def _clamp(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)


def _num_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "Num-domain.xml", tmp_path / "num-seller.xml", tmp_path / "num-buyer.xml")
    for p, text in zip(paths, (NUM_DOMAIN, NUM_SELLER, NUM_BUYER)):
        p.write_text(text, encoding="utf-8")
    return paths


def _num_packages() -> list[dict]:
    rng = np.random.default_rng(11)
    colours = ["yes", "1", "null", "a, b: c"]
    return [
        {"Quantity": int(q), "Price EUR": float(p), "Colourfinish": colours[c], "Colourfinish_2": "xy"[c % 2]}
        for q, p, c in zip(
            rng.integers(0, 11, 200), np.r_[0, 100, 6.6, 73.3, rng.uniform(0, 100, 196)], rng.integers(0, 4, 200)
        )
    ]


def _num_direct(pkgs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    q = np.array([p["Quantity"] for p in pkgs], dtype=float)
    x = np.array([p["Price EUR"] for p in pkgs])
    c = [p["Colourfinish"] for p in pkgs]
    s_col = {"yes": 4 / 8, "1": 1.0, "null": 0.0, "a, b: c": 2 / 8}
    b_col = {"yes": 1 / 3, "1": 1.0, "null": 2 / 3, "a, b: c": 1.0}
    seller = 0.5 * _clamp(-0.5 + 0.2 * (q - 0)) + 0.3 * _clamp(0.015 * x - 0.1) + 0.2 * np.array([s_col[k] for k in c])
    buyer = 0.25 * _clamp(1.2 - 0.1 * q) + 0.25 * 0.6 + 0.4 * np.array([b_col[k] for k in c])
    return seller, buyer


def test_integer_and_real_issues_follow_genius_evaluators(tmp_path: Path) -> None:
    model = import_genius(*_num_files(tmp_path))
    assert model.name == "num" and model.normalized
    issues = model.issues
    assert list(issues) == ["Quantity", "Price EUR", "Colourfinish", "Colourfinish_2"]
    assert (issues["Quantity"].kind, issues["Quantity"].min, issues["Quantity"].max) == ("integer", 0, 10)
    assert (issues["Price EUR"].kind, issues["Price EUR"].min, issues["Price EUR"].max) == ("continuous", 0, 100)
    assert issues["Price EUR"].label == "Price (EUR)" and issues["Colourfinish_2"].label == "Colourfinish"
    assert issues["Colourfinish"].options == ["yes", "1", "null", "a, b: c"]
    assert len(model.parties.seller.utility) == 3  # Colourfinish_2 is a dummy for the seller
    pkgs = _num_packages()
    want_s, want_b = _num_direct(pkgs)
    for m in (model, load_model(_written(model, tmp_path / "num.yaml"))):
        ev = evaluate(m, pkgs)
        np.testing.assert_allclose(ev.seller, want_s, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ev.buyer, want_b, rtol=0, atol=1e-12)
        deal = compile_model(m)
        assert (deal.seller_walk_away, deal.buyer_walk_away) == (0.3, 0.0)


def _written(model, path: Path) -> Path:
    write_model(model, path)
    return path


def test_option_strings_that_look_like_numbers_stay_strings(tmp_path: Path) -> None:
    model = import_genius(*_num_files(tmp_path), name="tricky-options")
    for suffix in ("yaml", "json"):
        again = load_model(_written(model, tmp_path / f"m.{suffix}"))
        assert again.issues["Colourfinish"].options == ["yes", "1", "null", "a, b: c"]
        table = again.parties.seller.utility[2].of[0].table
        assert list(table) == ["yes", "1", "null", "a, b: c"] and table["1"] == 1.0
        assert again.to_file_data() == model.to_file_data()


# ---------------------------------------------------------------- bad input

GOOD_DOMAIN = """<negotiation_template><utility_space><objective index="0" name="root" type="objective">
<issue index="1" name="Fruit" type="discrete"><item index="1" value="apple"/><item index="2" value="pear"/></issue>
</objective></utility_space></negotiation_template>"""


def _profile(
    items: str = '<item value="apple" evaluation="1"/><item value="pear" evaluation="2"/>',
    name: str = "Fruit",
    weight: str = '<weight index="1" value="1"/>',
    extra: str = "",
) -> str:
    return f'<utility_space><objective index="0" name="root">{weight}<issue index="1" name="{name}" type="discrete">{items}</issue></objective>{extra}</utility_space>'


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<utility_space>&lol2;</utility_space>"""

BAD = {
    "malformed": (GOOD_DOMAIN, "<utility_space><objective>\n<issue></utility_space>", "seller", "malformed XML"),
    "entity bomb": (GOOD_DOMAIN, BOMB, "seller", "refused"),
    "unknown encoding": (
        GOOD_DOMAIN,
        '<?xml version="1.0" encoding="foo-9"?><utility_space/>',
        "seller",
        "cannot decode",
    ),
    "empty": (GOOD_DOMAIN, "  \n", "seller", "empty"),
    "unknown issue": (
        GOOD_DOMAIN,
        _profile(name="Vegetable"),
        "seller",
        "'Vegetable' (index 1): is not an issue of the domain",
    ),
    "unknown value": (
        GOOD_DOMAIN,
        _profile('<item value="apple" evaluation="1"/><item value="plum" evaluation="2"/>'),
        "seller",
        "value 'plum': is not a value",
    ),
    "missing value": (
        GOOD_DOMAIN,
        _profile('<item value="apple" evaluation="1"/>'),
        "seller",
        "value 'pear' has no evaluation",
    ),
    "text evaluation": (
        GOOD_DOMAIN,
        _profile('<item value="apple" evaluation="high"/><item value="pear" evaluation="2"/>'),
        "seller",
        "evaluation 'high' is not a number",
    ),
    "negative evaluation": (
        GOOD_DOMAIN,
        _profile('<item value="apple" evaluation="-1"/><item value="pear" evaluation="2"/>'),
        "seller",
        "is negative",
    ),
    "no weight": (GOOD_DOMAIN, _profile(weight=""), "seller", 'has no <weight index="1">'),
    "text weight": (
        GOOD_DOMAIN,
        _profile(weight='<weight index="1" value="heavy"/>'),
        "seller",
        "weight 'heavy' is not a number",
    ),
    "stray weight": (
        GOOD_DOMAIN,
        _profile(weight='<weight index="1" value="1"/><weight index="7" value="1"/>'),
        "seller",
        "weight index 7: names no issue",
    ),
    "text reservation": (
        GOOD_DOMAIN,
        _profile(extra='<reservation value="half"/>'),
        "seller",
        "reservation value 'half'",
    ),
    "no items": (
        '<utility_space><objective><issue index="1" name="Fruit"/></objective></utility_space>',
        _profile(),
        "domain",
        "has no <item> values",
    ),
    "no issues": ("<negotiation_template/>", _profile(), "domain", "no <issue> elements"),
    "unknown type": (
        '<utility_space><objective><issue index="1" name="Fruit" type="fuzzy"/></objective></utility_space>',
        _profile(),
        "domain",
        "unknown issue type 'fuzzy'",
    ),
    "bad bounds": (
        '<utility_space><objective><issue index="1" name="N" type="integer" lowerbound="5" upperbound="1"/></objective></utility_space>',
        _profile(),
        "domain",
        "lowerbound 5 > upperbound 1",
    ),
}


def _bad_files(tmp_path: Path, case: str) -> tuple[Path, Path, Path, Path]:
    domain_xml, seller_xml, culprit, _ = BAD[case]
    domain, seller, buyer = tmp_path / "d.xml", tmp_path / "s.xml", tmp_path / "b.xml"
    domain.write_text(domain_xml)
    seller.write_text(seller_xml)
    buyer.write_text(_profile())
    return domain, seller, buyer, {"domain": domain, "seller": seller}[culprit]


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_naming_the_file(case: str, tmp_path: Path) -> None:
    domain, seller, buyer, culprit = _bad_files(tmp_path, case)
    with pytest.raises(ModelError) as info:
        import_genius(domain, seller, buyer)
    text = str(info.value)
    assert len(text.splitlines()) == 1 and text.startswith(f"{culprit}:")
    assert BAD[case][3] in text and "expected" in text


def test_missing_file_directory_and_bad_name(tmp_path: Path) -> None:
    domain, _, buyer, _ = _bad_files(tmp_path, "no weight")
    good = tmp_path / "good.xml"
    good.write_text(_profile())
    for args, culprit, what in (
        ((tmp_path / "nope.xml", good, buyer), tmp_path / "nope.xml", "no such file"),
        ((domain, tmp_path, buyer), tmp_path, "is a directory"),
        ((domain, good, buyer, "Bad Name!"), domain, "bad name"),
    ):
        with pytest.raises(ModelError) as info:
            import_genius(*args)
        assert str(info.value).startswith(f"{culprit}:") and what in str(info.value)
        assert len(str(info.value).splitlines()) == 1


def test_malformed_xml_points_at_its_line(tmp_path: Path) -> None:
    domain, seller, buyer, _ = _bad_files(tmp_path, "malformed")
    seller.write_text("\n\n<!-- c -->\n" + BAD["malformed"][1])
    with pytest.raises(ModelError) as info:
        import_genius(domain, seller, buyer)
    assert str(info.value).startswith(f"{seller}:5: ")


# ---------------------------------------------------------------- the command line


@needs_cases
def test_cli_imports_a_model_that_validates_and_evaluates_the_same(tmp_path: Path) -> None:
    runner = CliRunner()
    triple = _case_files("Laptop")
    out = tmp_path / "laptop.yaml"
    res = runner.invoke(app, ["import-genius", *map(str, triple), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    res = runner.invoke(app, ["import-genius", *map(str, triple), "--name", "laptop-deal"])
    assert res.exit_code == 0
    printed = model_from_text(res.stdout)
    assert printed.name == "laptop-deal"
    direct = compile_model(import_genius(*triple))
    idx = np.indices(direct.shape).reshape(len(direct.shape), -1).T
    for model in (load_model(out), printed):
        ev, want = evaluate_indices(compile_model(model), idx), evaluate_indices(direct, idx)
        assert np.array_equal(ev.seller, want.seller) and np.array_equal(ev.buyer, want.buyer)


@pytest.mark.parametrize("case", ["unknown value", "malformed", "entity bomb"])
def test_cli_bad_input_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    domain, seller, buyer, culprit = _bad_files(tmp_path, case)
    res = CliRunner().invoke(
        app, ["import-genius", str(domain), str(seller), str(buyer), "-o", str(tmp_path / "o.yaml")]
    )
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {culprit}:") and "Traceback" not in res.output
    assert not (tmp_path / "o.yaml").exists()


def test_cli_unwritable_output_exits_2(tmp_path: Path) -> None:
    domain, _, buyer, _ = _bad_files(tmp_path, "no weight")
    res = CliRunner().invoke(
        app, ["import-genius", str(domain), str(buyer), str(buyer), "-o", str(tmp_path / "no" / "x.yaml")]
    )
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1 and "cannot write" in res.stderr


def test_installed_script_reports_bad_input_in_one_line(tmp_path: Path) -> None:
    from cli_runner import run_cli

    domain, seller, buyer, culprit = _bad_files(tmp_path, "text evaluation")
    run = run_cli("import-genius", domain, seller, buyer)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [run.stderr.strip()] and run.stderr.startswith(f"error: {culprit}:")
    assert "Traceback" not in run.stderr
