"""Issue 10, inputs read too trustingly by the API: duplicate JSON keys accepted, ``true`` read as 1.0,
progress and round together (progress silently won), round past the deadline, invalid JSON answered 422
before the key was checked, oversized input echoed in full. Each now refused in one line, naming the field."""

from __future__ import annotations

import json

import pytest
from service_helpers import ANALYST, KEYS, MODELS, REP, SAAS_OFFER

from asgi_client import AppClient
from dealopt.service import ServiceSettings, create_app

COUNTER = "/v1/models/saas-renewal/counter"
OFFER = {"by": "buyer", "package": SAAS_OFFER}


@pytest.fixture(scope="module")
def client():
    with AppClient(create_app(ServiceSettings(MODELS, dict(KEYS)))) as c:
        yield c


def post_raw(client, url: str, body: bytes, headers=REP):
    return client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b'{"history": [], "history": [], "progress": 0.5}', "history"),
        (b'{"history": [], "progress": 0.5, "progress": 0.9}', "progress"),
        (b'{"history": [{"by": "buyer", "by": "seller", "package": {"price": 95}}], "progress": 0.5}', "by"),
        (b'{"history": [{"by": "buyer", "package": {"price": 95, "price": 80}}], "progress": 0.5}', "price"),
    ],
)
def test_duplicate_keys_are_refused_naming_the_key(client, body: bytes, key: str) -> None:
    r = post_raw(client, COUNTER, body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == f"{key}: the key appears twice; expected each key once"
    assert r.json()["errors"][0]["field"] == key


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"history": [], "progress": True}, "progress"),
        ({"history": [], "progress": "0.5"}, "progress"),
        ({"history": [], "round": True, "deadline": 10}, "round"),
        ({"history": [], "round": 3.0, "deadline": 10}, "round"),
        ({"history": [], "round": "3", "deadline": 10}, "round"),
        ({"history": [], "progress": 0.5, "top": True}, "top"),
        ({"history": [], "progress": 0.5, "include_frontier": 1}, "include_frontier"),
        ({"history": [], "progress": 0.5, "include_frontier": "true"}, "include_frontier"),
        ({"history": [{"by": "buyer", "package": {"seats": True}}], "progress": 0.5}, "history.0.package.seats"),
    ],
)
def test_types_are_strict(client, body, field: str) -> None:
    r = client.post(COUNTER, json=body, headers=REP)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}: ")
    assert "\n" not in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"history": [OFFER], "progress": 0.5, "round": 2, "deadline": 10}, "progress"),
        ({"history": [OFFER], "round": 12, "deadline": 10}, "round"),
        ({"history": [OFFER], "round": 0, "deadline": 10}, "round"),
        ({"history": [OFFER], "round": 3}, "round"),
        ({"history": [OFFER], "deadline": 3}, "round"),
    ],
)
def test_contradictory_progress_and_round_are_refused(client, body, field: str) -> None:
    r = client.post(COUNTER, json=body, headers=REP)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field and r.json()["detail"].startswith(f"{field}: ")


def test_the_key_is_checked_before_the_body_is_read(client) -> None:
    for body in (b'{"history": [', b"\xff\xfe", b'{"a": 1, "a": 2}', b"[" * 5000):
        r = client.post(COUNTER, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 401, r.text
        r = post_raw(client, "/v1/models/saas-renewal/frontier", body, REP)  # and the role's right to the route
        assert r.status_code == 403, r.text
        r = post_raw(client, COUNTER, body, REP)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] in ("body", "a"), r.text


def test_echoed_input_is_cut_short(client) -> None:
    long = "x" * 20_000
    for method, url, body in (
        ("get", f"/v1/models/{long}", None),
        ("post", f"/v1/models/{long}/counter", {"history": [], "progress": 0.5}),
        ("post", COUNTER, {"history": [{"by": "buyer", "package": {long[:190]: 1}}], "progress": 0.5}),
        ("post", COUNTER, {"history": [{"by": "buyer", "package": {"support": long[:190]}}], "progress": 0.5}),
        ("post", COUNTER, {"history": [], "progress": 0.5, long: 1}),
        ("post", "/v1/models/saas-renewal/evaluate", {"package": {**SAAS_OFFER, "support": long[:200]}}),
    ):
        r = client.get(url, headers=ANALYST) if method == "get" else client.post(url, json=body, headers=ANALYST)
        assert 400 <= r.status_code < 500, r.text
        assert len(r.text) < 1_200, (url[:40], len(r.text))
        assert "\n" not in r.json()["detail"] and len(r.json()["detail"]) <= 300


def test_deep_nesting_is_refused_not_a_server_error(client) -> None:
    body = {"history": [], "progress": 0.5}
    nested: object = 1
    for _ in range(200):
        nested = [nested]
    body["x"] = nested
    r = client.post(COUNTER, content=json.dumps(body).encode(), headers={**REP, "Content-Type": "application/json"})
    assert r.status_code == 422 and "nested too deeply" in r.json()["detail"]
