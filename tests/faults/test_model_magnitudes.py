"""Issue 10, inputs read too trustingly: 1e300 coefficients validated; ``frontier`` exited 0 with a wrong frontier
(overflow in the Nash product) and the service answered 500. Every term's largest |value| over the issue bounds,
every utility's sum and every walk-away is now bounded at validation, in one line naming the term."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import dealopt
from conftest import MODELS
from dealopt.errors import ModelError
from dealopt.interfaces.cli import app
from dealopt.model.magnitudes import MAX_MAGNITUDE

SAAS = (MODELS / "saas-renewal.yaml").read_text()
WAIT = "      - coef: -0.004 "


def _model(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("edit", "location", "phrase"),
    [
        ((WAIT, "      - coef: -1e300 "), "parties.seller.utility[2]", "reaches 3.46e+306"),
        ((WAIT, "      - coef: -1e155 "), "parties.seller.utility[2]", "reaches 3.46e+161"),
        (
            ("premium_support_cost: 15000", "premium_support_cost: 1e200"),
            "parties.seller.utility[3]",
            "support table ≤ 1e+200",
        ),
        (
            ("[60, 0]]}}]\n  buyer", "[60, 1e300]]}}]\n  buyer"),
            "parties.seller.utility[4]",
            "start_days curve ≤ 1e+300",
        ),
        (("min: 60, max: 120, step: 0.5,", "min: 60, max: 1e160,"), "parties.seller.utility[0]", "|price| ≤ 1e+160"),
        (
            ("seller_walk_away: 50000", "seller_walk_away: 1e200"),
            "parties.seller.walk_away",
            "1e+200; expected a walk-away",
        ),
    ],
)
def test_terms_past_float64_are_refused_naming_the_term(
    tmp_path: Path, edit: tuple[str, str], location: str, phrase: str
) -> None:
    assert edit[0] in SAAS
    path = _model(tmp_path, SAAS.replace(*edit, 1))
    with pytest.raises(ModelError) as info:
        dealopt.load_model(path)
    problems = info.value.problems
    assert problems[0].location == location, info.value.lines()
    assert phrase in problems[0].message and "\n" not in problems[0].message
    assert problems[0].line is not None


def test_products_that_overflow_to_infinity_are_named_too(tmp_path: Path) -> None:
    text = SAAS.replace("premium_support_cost: 15000", "premium_support_cost: 1e200").replace(
        "      - of: [{support: {standard: 0, premium: -$premium_support_cost}}]",
        "      - coef: 1e200\n        of: [{support: {standard: 0, premium: -$premium_support_cost}}]",
    )
    with pytest.raises(ModelError, match=r"more than 1.8e\+308 \(past float64\)"):
        dealopt.load_model(_model(tmp_path, text))


def test_many_terms_that_sum_past_the_limit_are_refused(tmp_path: Path) -> None:
    terms = "".join("      - coef: 1e146\n        of: [seats]\n" for _ in range(30))
    text = SAAS.replace(
        "    utility:\n      - of: [price, seats, term_months]",
        "    utility:\n" + terms + "      - of: [price, seats, term_months]",
        1,
    )
    with pytest.raises(ModelError) as info:
        dealopt.load_model(_model(tmp_path, text))
    assert [p.location for p in info.value.problems] == ["parties.seller.utility"]
    assert "the terms together reach 1.2e+150" in info.value.problems[0].message


def test_just_under_the_limit_is_a_model(tmp_path: Path) -> None:
    coef = MAX_MAGNITUDE / (120 * 400 * 36 * 2) * 0.99
    assert (
        dealopt.load_model(_model(tmp_path, SAAS.replace(WAIT, f"      - coef: -{coef:.6e} "))).name == "saas-renewal"
    )


def test_cli_frontier_refuses_in_one_line_exit_2(tmp_path: Path) -> None:
    path = _model(tmp_path, SAAS.replace(WAIT, "      - coef: -1e300 "))
    for command in ("validate", "frontier"):
        res = CliRunner().invoke(app, [command, str(path)])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and "parties.seller.utility[2]" in lines[0] and "1e+150" in lines[0]


def test_the_service_lists_it_as_invalid_instead_of_answering_500(tmp_path: Path) -> None:
    from asgi_client import AppClient
    from dealopt.service import ServiceSettings, create_app

    (tmp_path / "saas-renewal.yaml").write_text(SAAS.replace(WAIT, "      - coef: -1e300 "))
    (tmp_path / "hardware-supply.yaml").write_text((MODELS / "hardware-supply.yaml").read_text())
    key = "magnitude-analyst-key-0123456789"
    with AppClient(create_app(ServiceSettings(tmp_path, {key: "analyst"}))) as client:
        r = client.post("/v1/models/saas-renewal/frontier", json={}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 404, r.text
        ok = client.get("/v1/models/hardware-supply", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200, ok.text
