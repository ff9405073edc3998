"""The HTTP service (issue 6, items 1–5): same answers as the CLI and the Python API, access by API key
and role, nothing private in what the buyer sees, limits and bad input answered cleanly, never a 500."""

from __future__ import annotations

import functools
import json
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from typer.testing import CliRunner

import dealopt
from asgi_client import AppClient
from cli_runner import run_cli as in_process
from conftest import MODELS, model_files
from dealopt import DealoptError, compile_model, load_model
from dealopt.errors import OptionError
from dealopt.interfaces.cli import app as cli_app
from dealopt.model.levels import display_value
from dealopt.negotiation.counter import Offer
from dealopt.negotiation.documents import counter_proposal, describe_model, evaluation_document, trades_proposal
from dealopt.negotiation.simulate import BUYERS, simulate
from dealopt.service import ServiceSettings, create_app
from dealopt.service.catalog import Catalog
from dealopt.service.settings import ROLES, load_keys

DEALOPT = Path(sys.executable).parent / "dealopt"

# Distinctive keys: the log and answer searches look for them (and for parts of them).
ANALYST_KEY = "zq7analystKEY-3f9c2e71b5d84a06a1e2"
REP_KEY = "zq7repKEY-8d1b47c09e2f4a5bb6c3"
DESK_KEY = "zq7deskKEY-5e0c93a1d7b24f68a9c1"
WRONG_KEY = "zq7wrongKEY-00aa11bb22cc33dd44ee"
ANALYST = {"Authorization": f"Bearer {ANALYST_KEY}"}
REP = {"Authorization": f"Bearer {REP_KEY}"}
DESK = {"Authorization": f"Bearer {DESK_KEY}"}
KEYS = {ANALYST_KEY: "analyst", REP_KEY: "rep", DESK_KEY: "desk"}

NAMES = sorted(compile_model(load_model(p)).name for p in model_files())
SAAS_OFFER = {
    "price": 95,
    "seats": 300,
    "term_months": 12,
    "payment": "net30",
    "support": "standard",
    "start_days": 0,
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(MODELS)


@pytest.fixture(scope="module")
def service(catalog: Catalog):
    return create_app(ServiceSettings(MODELS, dict(KEYS)), catalog)


@pytest.fixture(scope="module")
def client(service) -> AppClient:
    with AppClient(service) as c:
        yield c


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return in_process(*args)


#: Rounds of the simulated negotiations the service tests read offers from.
ROUNDS = 12


def transcripts(deal: dealopt.CompiledDeal) -> list[list[Offer]]:
    """The offers of simulated negotiations against every scripted buyer, one list per buyer (simulated once per
    deal object: several tests read the same transcripts of the catalog's deals)."""
    key = id(deal)
    if key not in _TRANSCRIPTS or _TRANSCRIPTS[key][0] is not deal:
        out = []
        for buyer in BUYERS:
            sim = simulate(deal, buyer, ROUNDS)
            out.append(tuple(Offer(e["by"], e["package"]) for e in sim.transcript if "package" in e))
        _TRANSCRIPTS[key] = (deal, tuple(out))
    return [list(offers) for offers in _TRANSCRIPTS[key][1]]


_TRANSCRIPTS: dict[int, tuple[dealopt.CompiledDeal, tuple[tuple[Offer, ...], ...]]] = {}


def buyer_histories(deal: dealopt.CompiledDeal, per_buyer: int = 5) -> list[list[Offer]]:
    """Histories ending on a buyer's offer, spread over each simulated negotiation, plus a partial one."""
    histories = []
    for offers in transcripts(deal):
        ends = [k for k, o in enumerate(offers) if o.by == "buyer"]
        step = max(1, len(ends) // per_buyer)
        histories += [offers[: k + 1] for k in ends[::step][:per_buyer]]
    first = histories[0][0].package
    price = next(iter(first))
    histories.append([Offer("buyer", {price: first[price]})])  # a partial offer: the price alone
    return histories


def as_body(history: list[Offer]) -> list[dict[str, Any]]:
    return [{"by": o.by, "package": o.package} for o in history]


def unversioned(doc: Any) -> Any:
    """An answer without the ``model_version`` every answer carries (to compare with the CLI's documents)."""
    if isinstance(doc, list):
        return [unversioned(d) for d in doc]
    return {k: v for k, v in doc.items() if k != "model_version"}


# ---------------------------------------------------------------- the same answers as the CLI and the API


def test_healthz_needs_no_key(client: AppClient, catalog: Catalog) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    doc = r.json()
    assert {k: doc[k] for k in ("status", "models", "model_version")} == {
        "status": "ok",
        "models": len(NAMES),
        "model_version": catalog.version,
    }
    assert r.headers["x-model-version"] == catalog.version


def test_openapi_lists_every_endpoint(client: AppClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths) >= {
        "/healthz",
        "/v1/models",
        "/v1/models/{name}",
        *(f"/v1/models/{{name}}/{op}" for op in ("evaluate", "frontier", "trades", "counter")),
    }
    assert "get" in paths["/v1/models"] and "get" in paths["/v1/models/{name}"]
    for op in ("evaluate", "frontier", "trades", "counter"):
        post = paths[f"/v1/models/{{name}}/{op}"]["post"]
        assert "requestBody" in post
        assert {"401", "403", "404", "408", "413", "422", "429"} <= set(post["responses"])
        assert ("503" in post["responses"]) == (op != "evaluate")  # evaluating one package is never long
    assert any(s.get("scheme", "").lower() == "bearer" for s in doc["components"]["securitySchemes"].values())


def test_models_list_and_describe(client: AppClient, catalog: Catalog) -> None:
    listed = client.get("/v1/models", headers=REP).json()
    assert [m["name"] for m in listed] == NAMES
    for m in listed:
        assert m["space_size"] == catalog.deals[m["name"]].space_size
        assert m["model_version"] == catalog.version
    for name in NAMES:
        deal = catalog.deals[name]
        assert unversioned(client.get(f"/v1/models/{name}", headers=ANALYST).json()) == describe_model(deal)
        public = client.get(f"/v1/models/{name}", headers=REP).json()
        assert public["model_version"] == catalog.version
        public = unversioned(public)
        assert public == describe_model(deal, private=False)
        assert "walk_away" not in public and "profiles" not in public and "policy" not in public


def test_every_endpoint_answers_the_cli_document(client: AppClient, tmp_path: Path) -> None:
    """The real ``dealopt`` command and the service, on the same inputs, give the same documents."""
    path = MODELS / "saas-renewal.yaml"
    history = [{"by": "buyer", "package": SAAS_OFFER}]
    (tmp_path / "history.yaml").write_text(yaml.safe_dump(history), encoding="utf-8")
    commands = {
        "show": ["show", path, "--json"],
        "evaluate": ["evaluate", path, "--package", json.dumps(SAAS_OFFER), "--json"],
        "frontier": ["frontier", path, "--json"],
        "frontier_all": ["frontier", path, "--all-packages", "--engine", "enumerate", "--json"],
        "trades": ["trades", path, "--from", json.dumps(SAAS_OFFER), "--max-issues", "1", "--top", "5", "--json"],
        "counter": ["counter", path, "--history", tmp_path / "history.yaml", "--progress", "0.4", "--json"],
        "proposal": [
            *("counter", path, "--history", tmp_path / "history.yaml", "--progress", "0.4"),
            *("--proposal-only", "--json"),
        ],
    }
    cli = {}
    for k, v in commands.items():
        done = in_process(*v)
        assert done.returncode == 0, (k, done.stderr)
        cli[k] = json.loads(done.stdout)

    url = "/v1/models/saas-renewal"

    def get(path: str, body: Any = None) -> Any:
        r = client.get(path, headers=ANALYST) if body is None else client.post(path, json=body, headers=ANALYST)
        assert r.status_code == 200, r.text
        return unversioned(r.json())

    assert get(url) == cli["show"]
    assert get(f"{url}/evaluate", {"package": SAAS_OFFER}) == cli["evaluate"]
    assert get(f"{url}/frontier", {}) == cli["frontier"]
    assert get(f"{url}/frontier", {"engine": "enumerate", "all_packages": True}) == cli["frontier_all"]
    got = get(f"{url}/trades", {"from": SAAS_OFFER, "max_issues": 1, "top": 5})
    assert {k: v for k, v in got.items() if k != "proposal"} == cli["trades"]
    assert got["proposal"] == [{"package": t["package"], "sentence": t["sentence"]} for t in cli["trades"]["trades"]]
    got = get(f"{url}/counter", {"history": history, "progress": 0.4})
    assert {k: v for k, v in got.items() if k != "proposal"} == cli["counter"]
    assert got["proposal"] == cli["proposal"]


@pytest.mark.parametrize("name", NAMES)
def test_every_endpoint_answers_the_python_api(client: AppClient, catalog: Catalog, name: str) -> None:
    deal = catalog.deals[name]
    url = f"/v1/models/{name}"

    def post(path: str, body: Any) -> Any:
        r = client.post(path, json=body, headers=DESK if not path.endswith("/frontier") else ANALYST)
        assert r.status_code == 200, r.text
        return unversioned(r.json())

    result = dealopt.frontier(deal)
    assert post(f"{url}/frontier", {}) == result.to_dict()
    offers = transcripts(deal)[0]
    for offer in offers[:4]:
        if len(offer.package) < len(deal.issues):
            continue
        got = post(f"{url}/evaluate", {"package": offer.package})
        assert got == evaluation_document(deal, offer.package)
        assert got["seller"] == float(dealopt.evaluate(deal, [offer.package]).seller[0])
        tr = dealopt.trades(deal, offer.package, top=5)
        got = post(f"{url}/trades", {"from": offer.package, "top": 5})
        assert got == {**tr.to_dict(), "proposal": trades_proposal(tr)}
    got = post(f"{url}/trades", {"from": "nash"})
    tr = dealopt.trades(deal, "nash")
    assert got == {**tr.to_dict(), "proposal": trades_proposal(tr)}
    for history in buyer_histories(deal, per_buyer=2):
        for progress in (0.0, 0.5, 1.0):
            rec = dealopt.counter(deal, history, progress=progress)
            body = {"history": as_body(history), "progress": progress}
            got = post(f"{url}/counter", body)
            assert got == {**rec.to_dict(), "proposal": counter_proposal(rec, history)}
    # round and deadline instead of progress, as in the CLI
    history = buyer_histories(deal, per_buyer=1)[0]
    rec = dealopt.counter(deal, history, round=3, deadline=10, exponent=1.0, top=2)
    body = {"history": as_body(history), "round": 3, "deadline": 10, "exponent": 1.0, "top": 2}
    got = post(f"{url}/counter", body)
    assert got == {**rec.to_dict(), "proposal": counter_proposal(rec, history)}
    # the deal-desk page's option: the frontier points alongside
    body = {"history": as_body(history), "progress": 0.5, "include_frontier": True}
    got = post(f"{url}/counter", body)
    assert got["frontier"] == [[p.seller, p.buyer] for p in result.points]
    assert "frontier" not in client.post(f"{url}/counter", json=body, headers=REP).json()  # not for a rep


# ---------------------------------------------------------------- access: keys and roles

ENDPOINTS = [
    ("get", "/v1/models", None, "models"),
    ("get", "/v1/models/saas-renewal", None, "models"),
    ("post", "/v1/models/saas-renewal/evaluate", {"package": SAAS_OFFER}, "evaluate"),
    ("post", "/v1/models/saas-renewal/frontier", {}, "frontier"),
    ("post", "/v1/models/saas-renewal/trades", {"from": SAAS_OFFER}, "trades"),
    (
        "post",
        "/v1/models/saas-renewal/counter",
        {"history": [{"by": "buyer", "package": SAAS_OFFER}], "progress": 0.5},
        "counter",
    ),
]


def call(client: AppClient, method: str, url: str, body: Any, headers: dict[str, str] | None = None):
    if method == "get":
        return client.get(url, headers=headers or {})
    return client.post(url, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "url", "body", "action"), ENDPOINTS, ids=[e[3] + ":" + e[1] for e in ENDPOINTS])
def test_access_by_key_and_role(client: AppClient, method: str, url: str, body: Any, action: str) -> None:
    for headers in (
        {},
        {"Authorization": ANALYST_KEY},  # no scheme
        {"Authorization": f"Basic {ANALYST_KEY}"},  # wrong scheme
        {"Authorization": "Bearer"},  # no key
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {WRONG_KEY}"},
        {"Authorization": f"Bearer {ANALYST_KEY[:-1]}"},  # a prefix of a real key
        {"Authorization": f"Bearer {ANALYST_KEY}x"},
        {"Authorization": f"Bearer {ANALYST_KEY.upper()}"},
        {"X-API-Key": ANALYST_KEY},
    ):
        r = call(client, method, url, body, headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["detail"]
    assert call(client, method, url, body, ANALYST).status_code == 200
    assert call(client, method, url, body, {"Authorization": f"bearer {ANALYST_KEY}"}).status_code == 200
    r = call(client, method, url, body, REP)
    if action in ROLES["rep"].may:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403
        assert r.json() == {"detail": f"the rep role may not use {action}"}


def test_roles() -> None:
    assert ROLES["rep"].may == {"models", "evaluate", "trades", "counter"}
    assert ROLES["desk"].may == ROLES["rep"].may and ROLES["desk"].sees is None
    assert ROLES["analyst"].may == ROLES["rep"].may | {"frontier"}
    assert ROLES["admin"].may == ROLES["analyst"].may | {"reload"}


def test_keys_from_a_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"{ANALYST_KEY}: analyst\n{REP_KEY}: rep\n{DESK_KEY}: desk\n", encoding="utf-8")
    assert load_keys(path) == KEYS
    monkeypatch.setenv("DEALOPT_API_KEYS", f" {ANALYST_KEY}:analyst , {REP_KEY}:rep,{DESK_KEY}:desk")
    assert load_keys() == KEYS
    assert load_keys(path) == KEYS  # the file wins over the environment
    monkeypatch.delenv("DEALOPT_API_KEYS")
    assert load_keys() == {}
    with pytest.raises(OptionError, match=r"^keys: no API keys; expected a YAML file") as info:
        create_app(ServiceSettings(MODELS, {}))
    assert info.value.param == "keys"
    # the settings never print a key
    s = ServiceSettings(MODELS, dict(KEYS))
    assert ANALYST_KEY not in repr(s) and ANALYST_KEY not in str(s)
    # a service started from the file's keys answers them
    app = create_app(ServiceSettings(MODELS, load_keys(path)))
    with AppClient(app) as c:
        assert c.get("/v1/models", headers=ANALYST).status_code == 200
        assert c.post("/v1/models/saas-renewal/frontier", json={}, headers=REP).status_code == 403


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read"),  # no such file
        ("{{{ not: yaml", "cannot read"),
        ("- a\n- b\n", "expected a YAML mapping key: role"),
        ("just a string", "expected a YAML mapping key: role"),
        ("", "expected a YAML mapping key: role"),
        (f"{ANALYST_KEY}: boss\n", "'boss'; expected a role: one of rep, desk, analyst, admin"),
        (f"{ANALYST_KEY}: [rep]\n", "expected a role: one of rep, desk, analyst, admin"),
        ("short: rep\n", "shorter than 16 characters"),
    ],
)
def test_bad_key_files_are_one_line_errors(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "keys.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(DealoptError) as info:
        load_keys(path)
    msg = str(info.value)
    assert message in msg and "\n" not in msg and msg.startswith("keys: ") and "--" not in msg
    assert ANALYST_KEY not in msg


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nocolon-0123456789abcdef", "expected key:role,key:role"),
        (f"{ANALYST_KEY}:boss", "'boss'; expected a role"),
        ("short:rep", "shorter than 16 characters"),
    ],
)
def test_bad_key_environment_is_one_line_error(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("DEALOPT_API_KEYS", value)
    with pytest.raises(DealoptError) as info:
        load_keys()
    assert message in str(info.value) and "\n" not in str(info.value)
    assert ANALYST_KEY not in str(info.value)


def test_serve_refuses_bad_keys_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("- not a mapping\n", encoding="utf-8")
    run = run_cli("serve", "--models", MODELS, "--keys", path, "--port", "1")
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"error: --keys: {str(path)!r}; expected a YAML mapping key: role"]
    run = in_process("serve", "--models", MODELS, "--port", "1", env={"DEALOPT_API_KEYS": None})
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: --keys: no API keys; expected a YAML file key: role or DEALOPT_API_KEYS"
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_keys_are_never_logged_nor_answered(
    service, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A real uvicorn server, logging everything it can (trace level, access log): no key in any line, nor in
    any answer, whatever the request."""
    import uvicorn

    caplog.set_level(1)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; the server uses this very socket
    port = sock.getsockname()[1]
    config = uvicorn.Config(service, log_level="trace", access_log=True, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    answers: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base, timeout=30) as http:
            requests = [
                ("get", "/v1/models", None),
                ("get", "/v1/models/saas-renewal", None),
                ("get", "/v1/models/no-such-model", None),
                ("post", "/v1/models/saas-renewal/evaluate", {"package": SAAS_OFFER}),
                ("post", "/v1/models/saas-renewal/evaluate", {"package": {"price": "free"}}),
                ("post", "/v1/models/saas-renewal/frontier", {}),
                ("post", "/v1/models/saas-renewal/counter", {"history": [], "progress": 2}),
                ("post", "/v1/models/saas-renewal/counter", {"history": [{"by": "buyer", "package": SAAS_OFFER}]}),
                ("post", "/v1/models/saas-renewal/trades", {"from": SAAS_OFFER, "key": ANALYST_KEY}),
            ]
            for key in (ANALYST_KEY, REP_KEY, WRONG_KEY):
                for headers in (
                    {"Authorization": f"Bearer {key}"},
                    {"Authorization": key},
                    {"Authorization": f"Basic {key}"},
                ):
                    for method, url, body in requests:
                        r = (
                            http.get(url, headers=headers)
                            if method == "get"
                            else http.post(url, json=body, headers=headers)
                        )
                        assert r.status_code < 500
                        answers.append(r.text + json.dumps(dict(r.headers)))
            r = http.post("/v1/models/saas-renewal/counter", content=b"{" * 10, headers=ANALYST)
            answers.append(r.text)
            # a malformed body holding a key is refused without echoing it
            body = ('{"history": [], "progress": "' + ANALYST_KEY + '"}').encode()
            r = http.post("/v1/models/saas-renewal/counter", content=body, headers=ANALYST)
            assert r.status_code == 422
            answers.append(r.text)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
    seen: dict[int, tuple[Any, str]] = {}
    logged = "\n".join(
        [rec.getMessage() + " " + every_repr(rec.__dict__, seen) for rec in caplog.records]
        + [caplog.text, *capfd.readouterr()]
    )
    assert "127.0.0.1" in logged and "/v1/models" in logged  # the access log was captured
    for key in (ANALYST_KEY, REP_KEY, WRONG_KEY):
        for part in (key, key[-12:]):
            assert part not in logged
            assert not any(part in a for a in answers)


def every_repr(value: Any, seen: dict[int, tuple[Any, str]]) -> str:
    """What ``repr(value)`` shows of every value inside ``value`` (its dicts, lists and tuples taken apart), each
    other object written once however many log records hold it (``seen`` keeps it alive: its id stays its own)."""
    if isinstance(value, (dict, list, tuple)):
        if seen.get(id(value), (None,))[0] is value:
            return "..."  # a container inside itself (repr writes [...] too)
        seen[id(value)] = (value, "...")
        if isinstance(value, dict):
            out = " ".join(f"{every_repr(k, seen)}: {every_repr(v, seen)}" for k, v in value.items())
        else:
            out = " ".join(every_repr(v, seen) for v in value)
        del seen[id(value)]
        return out
    got = seen.get(id(value))
    if got is None:
        got = seen[id(value)] = (value, repr(value))
    return got[1]


@pytest.mark.slow
def test_dealopt_serve_with_workers_keys_file_and_no_key_in_its_output(tmp_path: Path) -> None:
    """The real command: two worker processes, keys from a file; they answer like the app, and neither the
    command's output nor the environment it hands its workers holds a key."""
    path = tmp_path / "keys.yaml"
    path.write_text(yaml.safe_dump(KEYS), encoding="utf-8")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(DEALOPT),
                "serve",
                "--models",
                str(MODELS),
                "--keys",
                str(path),
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "dealopt serve did not answer /healthz"
                try:
                    if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.HTTPError:
                    time.sleep(0.1)
            with httpx2.Client(base_url=base, timeout=30) as http:
                body = {"history": [{"by": "buyer", "package": SAAS_OFFER}], "progress": 0.5}
                for _ in range(4):  # both workers answer
                    r = http.post("/v1/models/saas-renewal/counter", json=body, headers=REP)
                    assert r.status_code == 200
                    assert r.json()["proposal"] == counter_proposal(
                        dealopt.counter(deal_named("saas-renewal"), body["history"], progress=0.5),
                        [Offer("buyer", SAAS_OFFER)],
                    )
                assert http.post("/v1/models/saas-renewal/frontier", json={}, headers=REP).status_code == 403
                assert http.get("/v1/models", headers={"Authorization": f"Bearer {WRONG_KEY}"}).status_code == 401
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
            if children.exists():  # Linux: what the workers were handed
                workers = children.read_text().split()
                assert len(workers) >= 2  # the workers (and multiprocessing's resource tracker)
                for pid in workers:
                    handed = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
                    assert "DEALOPT_SERVE=" in handed and str(path) in handed
                    assert ANALYST_KEY not in handed and REP_KEY not in handed
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert f"serving {len(NAMES)} models on http://127.0.0.1:{port} with 2 workers" in text
    for key in (ANALYST_KEY, REP_KEY, WRONG_KEY):
        assert key not in text


# ---------------------------------------------------------------- what the buyer must not see

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
PRIVATE_WORDS = re.compile(r"walk[-_ ]?away|aspiration|belief|probabilit|utilit|floor|joint", re.IGNORECASE)


def spellings(x: float) -> set[str]:
    """The ways a number may be written: raw, rounded to 0/1/2 decimals, with thousands separators, as %."""
    x = float(x)
    out = {repr(x), str(x), f"{x:g}", f"{x:.4f}", f"{x:.3g}"}
    for d in (0, 1, 2):
        out |= {f"{x:.{d}f}", f"{x:,.{d}f}"}
    if x == int(x):
        out |= {str(int(x)), f"{int(x):,}"}
    if 0 <= x <= 1:
        out |= {f"{x:.0%}", f"{x:.1%}", f"{100 * x:g}"}
    return {s.lstrip("-") for s in out if s.strip("-0.,%")}  # "0", "0.00", "-0" tell nothing


def public_numbers(deal: dealopt.CompiledDeal) -> set[str]:
    """:func:`_public_numbers`, once per deal object (the tests check hundreds of answers per model)."""
    key = id(deal)
    if key not in _PUBLIC or _PUBLIC[key][0] is not deal:
        _PUBLIC[key] = (deal, frozenset(_public_numbers(deal)))
    return set(_PUBLIC[key][1])


_PUBLIC: dict[int, tuple[dealopt.CompiledDeal, frozenset[str]]] = {}


def _public_numbers(deal: dealopt.CompiledDeal) -> set[str]:
    """Every number of the model's public description (what a rep sees at GET /v1/models/NAME: the levels,
    the issues' labels and units, written every way a sentence writes them): what packages are made of."""
    out = set(NUMBER.findall(json.dumps(describe_model(deal, private=False), ensure_ascii=False)))
    for issue in deal.issues:
        for label in issue.labels:
            value = display_value(label)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out |= {str(value), f"{value:,}", f"{value:g}", repr(float(value)), f"{value:,.2f}"}  # 2 dp: money
            else:
                out |= set(NUMBER.findall(str(value).replace("_", " ")))
        out |= set(NUMBER.findall(f"{issue.spec.label or ''} {issue.spec.unit or ''}"))
    return {x.rstrip(",") for x in out}


def secrets_of(deal: dealopt.CompiledDeal) -> list[float]:
    """What the model keeps from the buyer: walk-aways (ours, the buyer's and each profile's), the floor price,
    the profiles' probabilities."""
    out = [deal.seller_walk_away, deal.buyer_walk_away]
    out += [p.walk_away for p in deal.profiles] + [p.probability for p in deal.profiles]
    policy = deal.model.policy
    if policy is not None and policy.floor_price is not None:
        out.append(policy.floor_price)
    return [float(x) for x in out if x is not None]


def numbers_in(value: Any) -> list[float]:
    """Every number in a JSON document."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers_in(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in numbers_in(v)]
    return []


def assert_nothing_private(text: str, secrets: list[float], public: set[str], where: str) -> None:
    """No private word, no spelling of a secret number, and every number in ``text`` a level of the model."""
    assert not PRIVATE_WORDS.search(text), (where, text)
    for token in NUMBER.findall(text):
        assert token.rstrip(",") in public, (where, token, text)
    words = {s for x in secrets for s in spellings(x)} - public
    plain = {w for w in words if _PLAIN.fullmatch(w)}
    found = sorted(plain & _standing_alone(text))
    assert not found, (where, found, text)
    for w in words - plain:  # spellings with other characters (1e-05): searched for one by one where they occur
        hit = w in text and re.search(r"(?<![\d.,])" + re.escape(w) + r"(?![\d]|[.,]\d)", text)
        assert not hit, (where, w, text)


_PLAIN = re.compile(r"[\d,.%]+")
#: A number standing alone: digits with single points or commas between them, not preceded by a digit, a point or
#: a comma (the whole run: a spelling inside a longer number is not the number).
_ALONE = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")


def _standing_alone(text: str) -> set[str]:
    """The numbers standing alone in ``text``, as a spelling would be found there: a spelling starts where no digit,
    point or comma comes before, and ends where neither a digit nor a point or comma before a digit comes after, so
    it is a whole run, or a whole run and the percent sign after it."""
    out: set[str] = set()
    for m in _ALONE.finditer(text):
        out.add(m.group(0))
        if text.startswith("%", m.end()) and not _NUMBER_GOES_ON.match(text, m.end() + 1):
            out.add(m.group(0) + "%")
    return out


_NUMBER_GOES_ON = re.compile(r"\d|[.,]\d")


def check_proposal(proposal: dict[str, Any], deal: dealopt.CompiledDeal, secrets: list[float], where: str) -> None:
    assert set(proposal) == {"package", "sentence"}, where
    assert isinstance(proposal["sentence"], str) and proposal["sentence"]
    if proposal["package"] is not None:
        assert set(proposal["package"]) <= set(deal.by_name), where
    public = public_numbers(deal)
    assert_nothing_private(json.dumps(proposal, ensure_ascii=False), secrets, public, where)
    assert_nothing_private(json.dumps(proposal, ensure_ascii=False, indent=2), secrets, public, where)


@pytest.mark.parametrize("name", NAMES)
def test_counter_proposals_hide_everything_private(client: AppClient, catalog: Catalog, name: str) -> None:
    deal = catalog.deals[name]
    url = f"/v1/models/{name}/counter"
    base = secrets_of(deal)
    seen = set()
    histories = buyer_histories(deal, per_buyer=3)  # start, middle and end of each negotiation, and a partial offer
    assert len(histories) >= 10
    for n, history in enumerate(histories):
        for progress in (0.0, 0.35, 0.8, 0.97, 1.0):
            body = {"history": as_body(history), "progress": progress, "top": 3}
            r = client.post(url, json=body, headers=DESK)  # the desk sees every private number to search for
            assert r.status_code == 200, r.text
            doc = unversioned(r.json())
            seen.add(doc["recommendation"])
            # everything private of this answer: utilities, aspiration, beliefs, probabilities,
            # and the utilities of the proposed package itself
            secrets = base + numbers_in({k: v for k, v in doc.items() if k not in ("proposal", "counters")})
            for c in doc["counters"]:
                secrets += numbers_in({k: v for k, v in c.items() if k != "package"})
            if doc["proposal"]["package"] is not None and len(doc["proposal"]["package"]) == len(deal.issues):
                ev = evaluation_document(deal, doc["proposal"]["package"])
                secrets += [ev["seller"], ev["buyer"], ev["joint"], *ev.get("profiles", {}).values()]
            check_proposal(doc["proposal"], deal, secrets, f"{name} history {n} progress {progress}")
    assert "counter" in seen


@pytest.mark.parametrize("name", NAMES)
def test_trade_proposals_hide_everything_private(client: AppClient, catalog: Catalog, name: str) -> None:
    deal = catalog.deals[name]
    url = f"/v1/models/{name}/trades"
    base = secrets_of(deal)
    starts: list[Any] = ["nash", "max_joint", "egalitarian", "kalai_smorodinsky"]
    for offers in transcripts(deal):
        starts += [o.package for o in offers[::4] if len(o.package) == len(deal.issues)]
    total = 0
    for start in starts:
        for max_issues in (1, 2):
            r = client.post(url, json={"from": start, "max_issues": max_issues, "top": 8}, headers=DESK)
            assert r.status_code == 200, r.text
            doc = unversioned(r.json())
            secrets = base + numbers_in(
                [{k: v for k, v in t.items() if k == "seller_gain" or "gain" in k} for t in doc["trades"]]
            )
            if isinstance(start, dict):
                ev = evaluation_document(deal, start)
                secrets += [ev["seller"], ev["buyer"], ev["joint"]]
            assert len(doc["proposal"]) == len(doc["trades"])
            for proposal in doc["proposal"]:
                ev = evaluation_document(deal, proposal["package"])
                check_proposal(proposal, deal, [*secrets, ev["seller"], ev["buyer"], ev["joint"]], f"{name} {start}")
                total += 1
    assert total > 0


def test_the_leak_search_would_find_a_leak(catalog: Catalog) -> None:
    """The search is not blind: a proposal that carried a utility, a walk-away or a word would be caught."""
    deal = catalog.deals["saas-renewal"]
    public = public_numbers(deal)
    rec = dealopt.counter(deal, [Offer("buyer", SAAS_OFFER)], progress=0.5)
    proposal = counter_proposal(rec, [Offer("buyer", SAAS_OFFER)])
    secrets = [rec.aspiration, rec.counters[0].seller, *secrets_of(deal)]
    assert_nothing_private(json.dumps(proposal), secrets, public, "clean")
    for leak in (
        f"{rec.counters[0].seller:,.0f}",
        f"{rec.aspiration:.2f}",
        f"{deal.seller_walk_away:,.0f} USD",
        repr(rec.counters[0].buyer),
        "our walk away",
        "Aspiration",
    ):
        with pytest.raises(AssertionError):
            assert_nothing_private(
                json.dumps({**proposal, "sentence": proposal["sentence"] + " " + leak}), secrets, public, "leak"
            )


def test_counter_proposal_only_cli_hides_everything_private(catalog: Catalog, tmp_path: Path) -> None:
    """``dealopt counter --proposal-only``, as text and as ``--json``, over many histories (in process), and
    once through the real command."""
    runner = CliRunner()
    checked = 0
    for name in NAMES:
        deal = catalog.deals[name]
        path = MODELS / f"{name}.yaml"
        public = public_numbers(deal)
        for n, history in enumerate(buyer_histories(deal, per_buyer=2)):
            hist = tmp_path / f"{name}-{n}.json"
            hist.write_text(json.dumps(as_body(history)), encoding="utf-8")
            for progress in ((0.2, 0.9)[n % 2],):
                rec = dealopt.counter(deal, history, progress=progress)
                secrets = secrets_of(deal) + numbers_in({k: v for k, v in rec.to_dict().items() if k != "counters"})
                for c in rec.counters:
                    secrets += [c.seller, c.buyer, c.joint]
                    secrets += [c.acceptance_probability] if c.acceptance_probability is not None else []
                args = ["counter", str(path), "--history", str(hist), "--progress", str(progress), "--proposal-only"]
                res = runner.invoke(cli_app, [*args, "--json"])
                assert res.exit_code == 0, res.output
                assert json.loads(res.stdout) == counter_proposal(rec, history)
                assert_nothing_private(res.stdout, secrets, public, f"{name} {n} json")
                res = runner.invoke(cli_app, args)
                assert res.exit_code == 0, res.output
                expected = counter_proposal(rec, history)
                lines = res.stdout.splitlines()
                if expected["package"]:  # the sentence (rich wraps it at 200 columns), then the package line
                    lines, last = lines[:-1], lines[-1]
                    assert last == ", ".join(f"{k}={display_value(v)}" for k, v in expected["package"].items())
                assert " ".join(lines).split() == expected["sentence"].split()
                assert_nothing_private(res.stdout, secrets, public, f"{name} {n} text")
                checked += 1
    assert checked >= 30
    # the real command
    deal = catalog.deals["cloud-migration"]  # with profiles: beliefs and acceptance probabilities to hide
    history = buyer_histories(deal)[3]
    hist = tmp_path / "history.yaml"
    hist.write_text(yaml.safe_dump(as_body(history)), encoding="utf-8")
    rec = dealopt.counter(deal, history, progress=0.5)
    assert rec.beliefs
    secrets = secrets_of(deal) + numbers_in(rec.to_dict()["beliefs"]) + [rec.aspiration]
    secrets += [x for c in rec.counters for x in (c.seller, c.buyer, c.joint, c.acceptance_probability)]
    for extra in ([], ["--json"]):
        run = run_cli(
            "counter",
            MODELS / "cloud-migration.yaml",
            "--history",
            hist,
            "--progress",
            "0.5",
            "--proposal-only",
            *extra,
        )
        assert run.returncode == 0, run.stderr
        assert_nothing_private(run.stdout, secrets, public_numbers(deal), f"real command {extra}")
        if extra:
            assert json.loads(run.stdout) == counter_proposal(rec, history)


# ---------------------------------------------------------------- limits


def test_body_over_the_limit_is_413(catalog: Catalog) -> None:
    app = create_app(ServiceSettings(MODELS, dict(KEYS), max_body_bytes=2_000), catalog)
    url = "/v1/models/saas-renewal/counter"
    history = [{"by": "buyer", "package": SAAS_OFFER}] * 40
    big = json.dumps({"history": history, "progress": 0.5}).encode()
    assert len(big) > 2_000
    small = json.dumps({"history": history[:2], "progress": 0.5}).encode()

    def chunks(data: bytes):
        for k in range(0, len(data), 300):
            yield data[k : k + 300]

    with AppClient(app) as c:
        headers = {**REP, "Content-Type": "application/json"}
        r = c.post(url, content=big, headers=headers)  # with Content-Length
        assert r.status_code == 413
        assert r.json() == {"detail": "request body larger than 2,000 bytes"}
        r = c.post(url, content=chunks(big), headers=headers)  # chunked: no Content-Length
        assert r.status_code == 413, r.text
        assert r.json() == {"detail": "request body larger than 2,000 bytes"}
        # a lying Content-Length is no way round it
        r = c.post(url, content=chunks(big), headers={**headers, "Content-Length": "100"})
        assert r.status_code in (400, 413, 422), r.text
        # under the limit, both ways, it is answered
        assert c.post(url, content=small, headers=headers).status_code == 200
        r = c.post(url, content=chunks(small), headers=headers)
        assert r.status_code == 200, r.text
        # the limit is checked before the key
        assert c.post(url, content=big, headers={"Content-Type": "application/json"}).status_code == 413


def test_outcome_space_over_the_limit_is_422(catalog: Catalog) -> None:
    app = create_app(ServiceSettings(MODELS, dict(KEYS), max_space=60_000), catalog)
    with AppClient(app) as c:
        big = "manufacturing-supply"  # 421,632 packages
        body = {"history": [{"by": "buyer", "package": {"piece_price": 8}}], "progress": 0.5}
        for op, payload, headers in (
            ("counter", body, REP),
            ("trades", {"from": "nash"}, REP),
            ("frontier", {"engine": "enumerate"}, ANALYST),
        ):
            r = c.post(f"/v1/models/{big}/{op}", json=payload, headers=headers)
            assert r.status_code == 422, (op, r.text)
            assert r.json()["detail"] == (
                "model 'manufacturing-supply' has 421,632 packages, more than this service's limit of 60,000"
            )
        # the merge engine does not list the space: the frontier is still answered, as are small models
        assert c.post(f"/v1/models/{big}/frontier", json={}, headers=ANALYST).status_code == 200
        r = c.post("/v1/models/saas-renewal/counter", json={"history": [], "progress": 0.1}, headers=REP)
        assert r.status_code == 200


def test_computation_over_the_time_budget_is_503(catalog: Catalog) -> None:
    app = create_app(ServiceSettings(MODELS, dict(KEYS), time_budget=1e-6), catalog)
    with AppClient(app) as c:
        for op, body in (("frontier", {"engine": "enumerate", "all_packages": True}), ("frontier", {})):
            r = c.post(f"/v1/models/manufacturing-supply/{op}", json=body, headers=ANALYST)
            assert r.status_code == 503, r.text
            assert r.json() == {"detail": "over the time budget of 1e-06 s per request; the computation was stopped"}
        assert c.get("/healthz").status_code == 200  # the service goes on answering


# ---------------------------------------------------------------- bad input: 422 naming the field, 404

COUNTER = "/v1/models/saas-renewal/counter"
BAD_BODIES = [
    # (url suffix, raw body or JSON body, the field named)
    ("counter", b'{"history": [', "body"),
    ("counter", b"", "body"),
    ("counter", b"[1, 2]", "body"),
    ("counter", b'"text"', "body"),
    ("counter", b'{"history": [], "progress": NaN}', "progress"),
    ("counter", {"history": [], "progress": 1.5}, "progress"),
    ("counter", {"history": [], "progress": -0.1}, "progress"),
    ("counter", {"history": [], "progress": "soon"}, "progress"),
    ("counter", {"progress": 0.5}, "history"),
    ("counter", {"history": {}, "progress": 0.5}, "history"),
    ("counter", {"history": [{"by": "broker", "package": SAAS_OFFER}], "progress": 0.5}, "history.0.by"),
    ("counter", {"history": [{"by": "buyer"}], "progress": 0.5}, "history.0.package"),
    ("counter", {"history": [{"by": "buyer", "package": {}}], "progress": 0.5}, "history.0.package"),
    ("counter", {"history": [{"by": "buyer", "package": SAAS_OFFER, "note": 1}], "progress": 0.5}, "history.0.note"),
    ("counter", {"history": [], "progress": 0.5, "secret": True}, "secret"),
    ("counter", {"history": [], "progress": 0.5, "top": 0}, "top"),
    ("counter", {"history": [], "progress": 0.5, "exponent": -1}, "exponent"),
    ("counter", {"history": [], "round": 3}, "round"),
    ("counter", {"history": [], "round": 3, "deadline": 10, "progress": 0.5}, "progress"),
    ("counter", {"history": [{"by": "buyer", "package": {"colour": "red"}}], "progress": 0.5}, "colour"),
    ("counter", {"history": [{"by": "buyer", "package": {"support": "platinum"}}], "progress": 0.5}, "support"),
    ("counter", {"history": [{"by": "buyer", "package": {"price": "seven"}}], "progress": 0.5}, "price"),
    ("counter", {"history": [{"by": "buyer", "package": {"price": [95]}}], "progress": 0.5}, "history.0.package.price"),
    ("evaluate", {"package": {**SAAS_OFFER, "support": "platinum"}}, "support"),
    ("evaluate", {"package": {"price": 95}}, "seats"),
    ("evaluate", {"package": {**SAAS_OFFER, "colour": "red"}}, "colour"),
    ("evaluate", {"package": {**SAAS_OFFER, "seats": "many"}}, "seats"),
    ("evaluate", {"package": {**SAAS_OFFER, "seats": None}}, "package.seats"),
    ("evaluate", {"package": SAAS_OFFER, "extra": 1}, "extra"),
    ("evaluate", {}, "package"),
    ("evaluate", {"package": []}, "package"),
    ("trades", {"from": "pareto"}, "from"),
    ("trades", {"from": {**SAAS_OFFER, "term_months": 13}}, "term_months"),
    ("trades", {"from": SAAS_OFFER, "max_issues": 0}, "max_issues"),
    ("trades", {"from": SAAS_OFFER, "top": "all"}, "top"),
    ("trades", {}, "from"),
    ("frontier", {"engine": "quantum"}, "engine"),
    ("frontier", {"all_packages": "maybe"}, "all_packages"),
    ("frontier", {"everything": True}, "everything"),
]


@pytest.mark.parametrize(
    ("op", "body", "field"), BAD_BODIES, ids=[f"{b[0]}-{n}-{b[2]}" for n, b in enumerate(BAD_BODIES)]
)
def test_bad_input_is_422_naming_the_field(client: AppClient, op: str, body: Any, field: str) -> None:
    url = f"/v1/models/saas-renewal/{op}"
    if isinstance(body, bytes):
        r = client.post(url, content=body, headers={**ANALYST, "Content-Type": "application/json"})
    else:
        r = client.post(url, json=body, headers=ANALYST)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    assert field in detail, detail


def test_unknown_model_is_404(client: AppClient) -> None:
    for method, url, body in (
        ("get", "/v1/models/nope", None),
        ("post", "/v1/models/nope/evaluate", {"package": SAAS_OFFER}),
        ("post", "/v1/models/nope/trades", {"from": "nash"}),
        ("post", "/v1/models/nope/counter", {"history": [], "progress": 0.5}),
        ("post", "/v1/models/nope/frontier", {}),
    ):
        r = call(client, method, url, body, ANALYST)
        assert r.status_code == 404, r.text
        assert r.json()["detail"].startswith("no model named 'nope'; expected one of cloud-migration, ")
    assert client.get("/v2/models", headers=ANALYST).status_code == 404
    assert client.delete("/v1/models/saas-renewal", headers=ANALYST).status_code == 405


# ---------------------------------------------------------------- never a 500: fuzzing


@functools.cache
def deal_named(name: str) -> dealopt.CompiledDeal:
    return compile_model(load_model(MODELS / f"{name}.yaml"))


@st.composite
def model_requests(draw) -> tuple[str, str, dict[str, Any]]:
    """Requests that know the models: real issues and levels mostly, with off-grid numbers, wrong texts,
    unknown issues, partial packages, long histories, edge progress values mixed in."""
    name = draw(st.sampled_from(NAMES))
    deal = deal_named(name)
    junk = st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**9), 10**9),
        st.text(max_size=6),
        st.sampled_from(["", "0", "1e309", "nash", "premium ", "ANNUAL_PREPAY"]),
    )

    def level(issue):
        if draw(st.integers(0, 24)) == 0:
            return draw(junk)
        return draw(st.sampled_from([display_value(x) for x in issue.labels]))

    def package(complete: bool):
        issues = deal.issues if complete else draw(st.lists(st.sampled_from(deal.issues), min_size=1, unique=True))
        pkg = {i.name: level(i) for i in issues}
        if draw(st.integers(0, 9)) == 0:
            pkg[draw(st.text(min_size=1, max_size=6))] = draw(junk)
        return pkg

    op = draw(st.sampled_from(["evaluate", "trades", "counter", "counter", "frontier"]))
    if op == "evaluate":
        return name, op, {"package": package(draw(st.integers(0, 4)) > 0)}
    if op == "frontier":
        return (
            name,
            op,
            {"engine": draw(st.sampled_from(["auto", "merge", "enumerate"])), "all_packages": draw(st.booleans())},
        )
    if op == "trades":
        start = (
            draw(st.sampled_from(["nash", "max_joint", "egalitarian", "kalai_smorodinsky"]))
            if draw(st.booleans())
            else package(True)
        )
        body: dict[str, Any] = {"from": start, "top": draw(st.integers(1, 100))}
        if draw(st.booleans()):
            body["max_issues"] = draw(st.integers(1, 8))
        return name, op, body
    n = draw(st.integers(0, 6))
    history = [
        {"by": draw(st.sampled_from(["buyer", "seller"])), "package": package(draw(st.integers(0, 3)) > 0)}
        for _ in range(n)
    ]
    body = {
        "history": history,
        "top": draw(st.integers(1, 20)),
        "exponent": draw(st.sampled_from([0.01, 0.2, 1.0, 5.0, 100.0])),
    }
    if draw(st.integers(0, 4)) == 0:
        body |= {"round": draw(st.integers(0, 50)), "deadline": draw(st.integers(1, 50))}
    else:
        body["progress"] = draw(st.one_of(st.sampled_from([0.0, 1.0, 0.999999]), st.floats(0, 1)))
    body["include_frontier"] = draw(st.integers(0, 5)) == 0
    return name, op, body


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(request=model_requests())
def test_fuzz_with_real_issues_and_levels(client: AppClient, request: tuple[str, str, dict[str, Any]]) -> None:
    """Requests close to real ones reach the solvers: answered (200) or refused with a one-line 422, never 500."""
    name, op, body = request
    r = client.post(f"/v1/models/{name}/{op}", json=body, headers=ANALYST)
    assert r.status_code in (200, 422), (r.status_code, r.text)
    doc = r.json()
    if r.status_code == 422:
        assert isinstance(doc["detail"], str) and "\n" not in doc["detail"] and "--" not in doc["detail"]
    elif op == "counter":
        assert set(doc["proposal"]) == {"package", "sentence"}
    elif op == "trades":
        assert all(set(p) == {"package", "sentence"} for p in doc["proposal"])


# ---------------------------------------------------------------- never a 500: fuzzing from the OpenAPI document


def fuzz_app():
    return create_app(ServiceSettings(MODELS, dict(KEYS), time_budget=10.0))


schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app())


@schema.hook("flatmap_path_parameters")
def served_models_mostly(ctx, path_parameters):
    """Most requests name a served model (else nearly all would stop at 404); some keep the generated name."""
    if not isinstance(path_parameters, dict) or not isinstance(path_parameters.get("name"), str):
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, *({**path_parameters, "name": n} for n in NAMES)])


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz_the_api_from_its_openapi_document(case) -> None:
    """Valid and invalid requests made from the OpenAPI document: never a server error, every answer one of
    the documented statuses and shapes. (Not "every schema-valid request is accepted": which issues and levels
    a package may name depends on the model, which the schema cannot say, so such requests may be a 422.)"""
    response = case.call_and_validate(headers=ANALYST, excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500, response.text
