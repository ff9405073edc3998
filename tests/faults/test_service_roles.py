"""Issue 10, what a role may see was decided in several places: reps were refused /frontier, yet got all the
frontier points from /counter with include_frontier, both walk-aways and per-profile utilities from /evaluate,
the beliefs, and an aspiration equal to the seller's walk-away at progress 1. Now one table decides, route by
route, for every role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from service_helpers import BY_ROLE, KEYS, MODELS

import dealopt
from asgi_client import AppClient
from dealopt.service import ServiceSettings, create_app
from dealopt.service.app import ROUTE_ACTIONS
from dealopt.service.roles import ROLES, visible

MODEL = "cloud-migration"  # buyer profiles: beliefs, per-profile utilities and acceptance probabilities to hide


@pytest.fixture(scope="module")
def client():
    app = create_app(ServiceSettings(MODELS, dict(KEYS)))
    with AppClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def deal(client) -> dealopt.CompiledDeal:
    return client.app.state.store.catalog.deals[MODEL]


def requests_by_route(deal: dealopt.CompiledDeal) -> dict[tuple[str, str], tuple[str, str, Any]]:
    """(method, route) → (kind of answer, URL, body): one request for every API route."""
    package = dealopt.frontier(deal).points[4].package
    offer = {"history": [{"by": "buyer", "package": package}], "progress": 1.0, "include_frontier": True}
    url = f"/v1/models/{MODEL}"
    return {
        ("GET", "/v1/models"): ("models", "/v1/models", None),
        ("GET", "/v1/models/{name}"): ("model", url, None),
        ("POST", "/v1/models/{name}/evaluate"): ("evaluate", f"{url}/evaluate", {"package": package}),
        ("POST", "/v1/models/{name}/frontier"): ("frontier", f"{url}/frontier", {}),
        ("POST", "/v1/models/{name}/trades"): ("trades", f"{url}/trades", {"from": package, "top": 5}),
        ("POST", "/v1/models/{name}/counter"): ("counter", f"{url}/counter", offer),
        ("POST", "/v1/admin/reload"): ("reload", "/v1/admin/reload", None),
    }


def test_every_api_route_is_in_the_table_and_tested(client, deal) -> None:
    routes = {
        (method, r.path)
        for r in client.app.router.routes
        if getattr(r, "path", "").startswith("/v1/")
        for method in getattr(r, "methods", ())
    }
    assert routes == set(ROUTE_ACTIONS) == set(requests_by_route(deal))


def numbers(value: Any, skip: tuple[str, ...] = ("package", "accepted_package", "from")) -> list[float]:
    """The numbers of an answer, outside packages (whose levels are public)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() if k not in skip for x in numbers(v, skip)]
    if isinstance(value, list):
        return [x for v in value for x in numbers(v, skip)]
    return []


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", list(ROUTE_ACTIONS), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_route_answers_what_the_role_may_see(client, deal, role: str, route: tuple[str, str]) -> None:
    kind, url, body = requests_by_route(deal)[route]
    headers = BY_ROLE[role]
    r = client.get(url, headers=headers) if route[0] == "GET" else client.post(url, json=body, headers=headers)
    if ROUTE_ACTIONS[route] not in ROLES[role].may:
        assert r.status_code == 403, r.text
        assert r.json() == {"detail": f"the {role} role may not use {ROUTE_ACTIONS[route]}"}
        return
    assert r.status_code == 200, r.text
    doc = r.json()
    version = client.get("/healthz").json()["model_version"]
    entries = doc if isinstance(doc, list) else [doc]
    assert all(e.pop("model_version") == version for e in entries)
    assert visible(role, kind, doc) == doc  # nothing the table does not let this role see
    assert r.headers["cache-control"] == "no-store"
    if role != "rep":
        return
    text = json.dumps(doc)
    for word in ("walk_away", "aspiration", "beliefs", "profiles", "frontier", "seller", "joint", "policy"):
        assert f'"{word}"' not in text, (route, word)
    # (the chance the buyer accepts is shown: a sum over the profiles that accept, not the profiles themselves)
    secrets = [deal.seller_walk_away, deal.buyer_walk_away, *(p.walk_away for p in deal.profiles)]
    found = set(numbers(doc))
    assert not any(s is not None and float(s) in found for s in secrets), (route, found)


def test_what_the_rep_sees_is_enough_for_the_page(client, deal) -> None:
    """The rep still gets what the deal-desk page shows: counters as packages with words and warnings, the
    proposal, the chance the buyer accepts; the desk sees the rest."""
    url = f"/v1/models/{MODEL}/counter"
    points = dealopt.frontier(deal).points
    for point in points[::-1]:  # the buyer's best packages first: we counter them
        body = {"history": [{"by": "buyer", "package": point.package}], "progress": 0.3, "include_frontier": True}
        desk = client.post(url, json=body, headers=BY_ROLE["desk"]).json()
        if desk["counters"]:
            break
    rep = client.post(url, json=body, headers=BY_ROLE["rep"]).json()
    assert rep["counters"] and set(rep["counters"][0]) == {
        "package",
        "sentence",
        "gives",
        "asks",
        "flags",
        "acceptance_probability",
    }
    assert rep["proposal"] == desk["proposal"] and rep["reason"] == desk["reason"]
    assert {"aspiration", "beliefs", "frontier"} <= set(desk) and "seller" in desk["counters"][0]
    assert rep == {**visible("rep", "counter", desk), "model_version": desk["model_version"]}
