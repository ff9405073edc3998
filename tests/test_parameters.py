"""Named parameters (``parameters:`` and ``$name``): meaning, one-line errors at file:line, the JSON Schema,
``dealopt show`` and the example models that name their assumptions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from cli_runner import run_cli
from conftest import MODELS, model_files
from dealopt import ModelError, frontier, load_model, model_from_text
from dealopt.model.json_schema import model_json_schema
from dealopt.model.parameters import with_references

DEALOPT = Path(sys.executable).parent / "dealopt"

NAMED = """\
format: dealopt/1
name: named
currency: USD
parameters:
  unit_cost: 6
  rush_fee: 40
  walk: 100
  list: 20
issues:
  price: {kind: integer, min: 10, max: 20, step: 2}
  qty:   {kind: ordinal, options: [5, 10, 20]}
  rush:  {kind: categorical, options: ["no", "yes"]}
parties:
  seller:
    walk_away: $walk
    utility:
      - of: [price, qty]
      - coef: -$unit_cost
        of: [qty]
      - of: [{rush: {"no": 0, "yes": $rush_fee}}]
  buyer:
    walk_away: {package: {price: 16, qty: 10, rush: "no"}}
    utility:
      - coef: -1
        of: [price, qty]
      - of: [{qty: {piecewise: [[5, 120], [10, 200], [20, 260]]}}]
      - of: [{rush: {"no": 0, "yes": -$rush_fee}}]
policy:
  list_price: $list
  floor_price: $unit_cost
"""

PLAIN = (
    NAMED.replace("parameters:\n  unit_cost: 6\n  rush_fee: 40\n  walk: 100\n  list: 20\n", "")
    .replace("$walk", "100")
    .replace("-$unit_cost", "-6")
    .replace("$unit_cost", "6")
    .replace("-$rush_fee", "-40")
    .replace("$rush_fee", "40")
    .replace("$list", "20")
)


def test_a_file_means_what_it_means_with_every_name_replaced():
    named, plain = model_from_text(NAMED), model_from_text(PLAIN)
    assert named.to_file_data() == plain.to_file_data()
    assert named.parameters == {"unit_cost": 6, "rush_fee": 40, "walk": 100, "list": 20}
    assert frontier(named).to_dict() | {"seconds": 0} == frontier(plain).to_dict() | {"seconds": 0}
    uses = named.parameter_uses
    assert [str(u) for u in uses["unit_cost"]] == ["parties.seller.utility[1].coef (negated)", "policy.floor_price"]
    assert [u.path for u in uses["rush_fee"]] == [
        "parties.seller.utility[2].of[0].rush.yes",
        "parties.buyer.utility[2].of[0].rush.yes",
    ]


def test_a_dumped_model_loads_again_with_the_same_meaning():
    named = model_from_text(NAMED)
    data = named.model_dump(by_alias=True, exclude_none=True)
    assert "parameters" not in data and data["policy"]["floor_price"] == 6
    from dealopt import model_from_data

    assert model_from_data(data).to_file_data() == named.to_file_data()


def test_references_can_be_written_back():
    named = model_from_text(NAMED)
    data = with_references(named.model_dump(mode="json", by_alias=True, exclude_none=True), named.parameter_uses)
    data["parameters"] = dict(named.parameters)
    assert data["parties"]["seller"]["utility"][1]["coef"] == "-$unit_cost"
    assert data["policy"]["floor_price"] == "$unit_cost"
    data["parameters"]["unit_cost"] = 7
    from dealopt import model_from_data

    again = model_from_data(data)
    assert again.parties.seller.utility[1].coef == -7 and again.policy.floor_price == 7


@pytest.mark.parametrize(
    ("change", "line", "phrase"),
    [
        (
            ("coef: -$unit_cost", "coef: -$unit_cots"),
            18,
            "parties.seller.utility[1].coef: unknown parameter $unit_cots (did you mean $unit_cost?)",
        ),
        (("  list: 20\n", "  list: 20\n  spare: 1\n"), 9, "parameters.spare: parameter 'spare' is used nowhere"),
        (
            ("max: 20, step: 2", "max: $list, step: 2"),
            10,
            "issues.price.max: $list is a parameter in issues; expected parameters only inside parties and policy",
        ),
        (("  walk: 100", "  Walk: 100"), 7, "parameters.Walk: bad parameter name 'Walk'"),
        (("  walk: 100", "  walk: '100'"), 7, "parameters.walk: '100' is text; expected a number"),
        (("  walk: 100", "  walk: .nan"), 7, "parameters.walk: nan is not a finite number; expected a number"),
    ],
)
def test_bad_parameters_are_one_line_errors_at_file_and_line(tmp_path, change, line, phrase):
    path = tmp_path / "m.yaml"
    path.write_text(NAMED.replace(*change))
    with pytest.raises(ModelError) as exc:
        load_model(path)
    lines = exc.value.lines()
    assert any(
        ln == f"{path}:{line}: {phrase}" or (ln.startswith(f"{path}:{line}: ") and phrase in ln) for ln in lines
    ), lines
    r = run_cli("validate", path)
    assert r.returncode == 2 and phrase in r.stderr and all(x.startswith("error: ") for x in r.stderr.splitlines())


def test_a_constraint_may_not_use_a_parameter(tmp_path):
    text = NAMED.replace("parties:\n", "constraints:\n  - forbid: {price: {max: $walk}}\nparties:\n", 1)
    with pytest.raises(ModelError, match=r"constraints\[0\]\.forbid\.price\.max: \$walk is a parameter in constraints"):
        model_from_text(text)


def test_the_json_schema_allows_references_in_parties_and_policy_only():
    schema = model_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(NAMED)))
    for path in model_files():
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text()))), path
    bad_name = yaml.safe_load(NAMED.replace("  walk: 100", "  Walk-away: 100"))
    assert list(validator.iter_errors(bad_name))
    in_issues = yaml.safe_load(NAMED.replace("max: 20, step: 2", "max: $list, step: 2"))
    assert list(validator.iter_errors(in_issues))
    assert schema["properties"]["parameters"]["anyOf"][0]["propertyNames"] == {"pattern": "^[a-z][a-z0-9_]*$"}


def test_show_lists_the_parameters_and_where_they_are_used(tmp_path):
    path = tmp_path / "named.yaml"
    path.write_text(NAMED)
    r = run_cli("show", path, "--json")
    assert r.returncode == 0, r.stderr
    params = json.loads(r.stdout)["parameters"]
    assert params["unit_cost"] == {
        "value": 6,
        "used_at": ["parties.seller.utility[1].coef (negated)", "policy.floor_price"],
    }
    r = run_cli("show", path, env={"COLUMNS": "250"})
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if "unit_cost" in line]
    assert rows and "6" in rows[0] and "parties.seller.utility[1].coef (negated); policy.floor_price" in rows[0]
    assert any("rush_fee" in line and "40" in line for line in r.stdout.splitlines())


def _wide() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "250"}


@pytest.mark.parametrize("path", model_files(), ids=lambda p: p.stem)
def test_example_models_name_their_main_assumptions(path):
    model = load_model(path)
    assert model.parameters and "seller_walk_away" in model.parameters
    assert all(model.parameter_uses[name] for name in model.parameters)


def test_cloud_beliefs_are_named():
    model = load_model(MODELS / "cloud-migration.yaml")
    probs = {p.name: p.probability for p in model.parties.buyer.profiles}
    assert probs == {"cost_cutter": 0.5, "reliability_first": 0.3, "fast_mover": 0.2}
    assert [u.path for u in model.parameter_uses["saving_per_workload_month"]] == [
        f"parties.buyer.profiles[{k}].utility[0].coef" for k in range(3)
    ]
