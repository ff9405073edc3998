"""Issue 10, surface: the page and the API sent no security headers, the trailing-slash redirect trusted the
Host header, the docs page loaded its files from a CDN. Now every answer carries the headers and a request ID,
redirects are relative, and /docs is served from the service's own files."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from service_helpers import KEYS, MODELS, REP, SAAS_OFFER, running

from asgi_client import AppClient
from dealopt.service import ServiceSettings, create_app

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.fixture(scope="module")
def client():
    with AppClient(create_app(ServiceSettings(MODELS, dict(KEYS)))) as c:
        yield c


REQUESTS = [
    ("get", "/", None, {}),
    ("get", "/static/app.js", None, {}),
    ("get", "/docs", None, {}),
    ("get", "/docs/assets/swagger-ui.css", None, {}),
    ("get", "/openapi.json", None, {}),
    ("get", "/healthz", None, {}),
    ("get", "/v1/models", None, {}),  # 401
    ("get", "/v1/models", None, REP),
    ("get", "/v1/models/nope", None, REP),  # 404
    ("post", "/v1/models/saas-renewal/evaluate", {"package": SAAS_OFFER}, REP),
    ("post", "/v1/models/saas-renewal/frontier", {}, REP),  # 403
    ("post", "/v1/models/saas-renewal/counter", {"history": [], "progress": 7}, REP),  # 422
]


@pytest.mark.parametrize(("method", "url", "body", "headers"), REQUESTS, ids=[f"{r[0]} {r[1]}" for r in REQUESTS])
def test_every_answer_has_security_headers_and_a_request_id(client, method, url, body, headers) -> None:
    r = client.get(url, headers=headers) if method == "get" else client.post(url, json=body, headers=headers)
    for name, value in HEADERS.items():
        assert r.headers[name] == value
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])
    assert r.headers["x-model-version"] == client.get("/healthz").json()["model_version"]
    if url.startswith("/v1/") or url == "/healthz":
        assert r.headers["cache-control"] == "no-store"


def test_a_client_request_id_is_kept_when_plain_and_logged(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dealopt.service")
    r = client.get("/v1/models", headers={**REP, "X-Request-ID": "crm-42.a"})
    assert r.headers["x-request-id"] == "crm-42.a"
    assert any(rec.getMessage().startswith("crm-42.a GET /v1/models 200") for rec in caplog.records)
    for bad in ("x" * 65, "a b", "<script>"):
        r = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])


def test_the_page_has_no_inline_script_and_docs_no_other_host(client) -> None:
    page = client.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and not re.search(r"<[^>]+\son\w+=", page)
    docs = client.get("/docs").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", docs)
    assert "http" not in docs  # every file from this service
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/../../app.py").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_redirects_are_relative_and_ignore_the_host_header() -> None:
    with running(create_app(ServiceSettings(MODELS, dict(KEYS)))) as (_, port):
        for target, location in ((b"/v1/models/", b"/v1/models"), (b"//evil.example/", b"/evil.example")):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            assert answer.startswith(b"HTTP/1.1 308"), answer[:200]
            found = re.search(rb"\r\nlocation: ([^\r]*)", answer, re.IGNORECASE)
            assert found is not None and found.group(1) == location
