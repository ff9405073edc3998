"""The API can be coded against: ``/openapi.json`` is a valid OpenAPI 3.1 document, every answer a named model
whose every field is typed and described, request fields have examples, and real answers fit their schema
exactly (no field the document does not name). CORS is off unless origins are given."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31

from asgi_client import AppClient
from dealopt.errors import OptionError
from dealopt.service import ServiceSettings, create_app
from dealopt.service.catalog import Catalog

MODELS = Path(__file__).resolve().parents[1] / "models"
ADMIN_KEY = "openapi-admin-KEY-5d2e8f1a9c"
REP_KEY = "openapi-rep-KEY-1a7c3e9b2d40"
KEYS = {ADMIN_KEY: "admin", REP_KEY: "rep"}
OFFER = {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}
TYPED = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")
#: One request per route, and the answer's schema name.
REQUESTS = [
    ("GET", "/healthz", None, "Health"),
    ("GET", "/v1/models", None, "ModelList"),
    ("GET", "/v1/models/saas-renewal", None, "ModelAnswer"),
    ("GET", "/v1/models/cloud-migration", None, "ModelAnswer"),
    ("POST", "/v1/models/saas-renewal/evaluate", {"package": OFFER}, "EvaluateAnswer"),
    ("POST", "/v1/models/saas-renewal/frontier", {}, "FrontierAnswer"),
    ("POST", "/v1/models/saas-renewal/trades", {"from": OFFER, "top": 3}, "TradesAnswer"),
    ("POST", "/v1/models/saas-renewal/trades", {"from": "nash"}, "TradesAnswer"),
    (
        "POST",
        "/v1/models/saas-renewal/counter",
        {"history": [{"by": "buyer", "package": OFFER}], "round": 2, "deadline": 5, "include_frontier": True},
        "CounterAnswer",
    ),
    (
        "POST",
        "/v1/models/cloud-migration/counter",
        {"history": [{"by": "buyer", "package": {"cutover_weeks": 12, "term_months": 12}}], "progress": 0.9},
        "CounterAnswer",
    ),
    ("POST", "/v1/admin/reload", None, "ReloadAnswer"),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(MODELS)


@pytest.fixture(scope="module")
def client(catalog: Catalog) -> Iterator[AppClient]:
    with AppClient(create_app(ServiceSettings(MODELS, dict(KEYS), time_budget=120), catalog)) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client: AppClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    errors = sorted(Draft202012Validator(OPENAPI_31).iter_errors(spec), key=str)
    assert not errors, [e.message for e in errors[:5]]
    assert spec["openapi"].startswith("3.1")
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name


def test_every_answer_is_a_named_model_with_typed_described_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    named = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            schema = op["responses"]["200"]["content"]["application/json"]["schema"]
            assert set(schema) == {"$ref"}, (method, path, schema)  # never {"type": "object", …: true}
            named.add(schema["$ref"].split("/")[-1])
    assert named == {r[3] for r in REQUESTS}

    def described(prop: dict[str, Any]) -> bool:
        ref = prop.get("$ref")
        return bool(prop.get("description") or (ref and schemas[ref.split("/")[-1]].get("description")))

    for name, schema in schemas.items():
        assert schema.get("description"), name
        assert schema.get("additionalProperties") is not True, name
        for field, prop in (schema.get("properties") or {}).items():
            assert any(k in prop for k in TYPED), (name, field)
            assert described(prop), (name, field)
            scalar = prop.get("type") in ("string", "number", "integer", "boolean")
            if name.endswith("Body") or scalar:
                assert prop.get("examples"), (name, field)


def test_request_bodies_are_the_librarys_options(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    counter = schemas["CounterBody"]["properties"]
    assert counter["progress"]["anyOf"][0] == {"type": "number", "maximum": 1.0, "minimum": 0.0}
    assert counter["round"]["anyOf"][0]["minimum"] == 1 and counter["top"]["maximum"] == 20
    assert schemas["FrontierBody"]["properties"]["engine"]["enum"] == ["auto", "merge", "enumerate", "milp"]
    assert schemas["TradesBody"]["properties"]["top"]["maximum"] == 100
    for body in ("CounterBody", "FrontierBody", "TradesBody", "EvaluateBody", "OfferBody"):
        assert schemas[body]["additionalProperties"] is False, body


def _closed(spec: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator of the named answer that refuses any field the document does not name."""
    components = copy.deepcopy(spec["components"])
    for schema in components["schemas"].values():
        if "properties" in schema:
            schema["additionalProperties"] = False
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": components})


@pytest.mark.parametrize("key", [ADMIN_KEY, REP_KEY])
def test_real_answers_fit_their_schema_exactly(client: AppClient, spec: dict[str, Any], key: str) -> None:
    for method, path, body, name in REQUESTS:
        r = client.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
        if r.status_code == 403:
            assert KEYS[key] == "rep" and ("frontier" in path or "reload" in path)
            continue
        assert r.status_code == 200, (path, r.text)
        errors = list(_closed(spec, name).iter_errors(r.json()))
        assert not errors, (path, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]])
        assert r.headers["x-request-id"]


def test_cors_is_off_by_default_and_answers_the_origins_given(catalog: Catalog, client: AppClient) -> None:
    preflight = {"Origin": "https://crm.example.com", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/models", headers=preflight).headers
    app = create_app(ServiceSettings(MODELS, dict(KEYS), cors_origins=("https://crm.example.com",)), catalog)
    with AppClient(app) as c:
        r = c.options(
            "/v1/models/saas-renewal/counter",
            headers={**preflight, "Access-Control-Request-Headers": "authorization,content-type"},
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://crm.example.com"
        r = c.get("/v1/models", headers={"Origin": "https://crm.example.com", "Authorization": f"Bearer {REP_KEY}"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://crm.example.com"
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
        other = c.options("/v1/models", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert c.get("/v1/models", headers={"Origin": "https://crm.example.com"}).status_code == 401  # still keyed
    with pytest.raises(OptionError, match=r"^cors_origins: '\*'; expected an origin") as info:
        ServiceSettings(MODELS, dict(KEYS), cors_origins=("*",))
    assert info.value.param == "cors_origins"
