"""``dealopt mcp``: the MCP server, called in process with the SDK's client (and once over streamable HTTP).

Every tool answers the JSON API's document for the same request, cut to the caller's role; a rep never reads
a walk-away, a utility, a belief or a profile; bad arguments are tool errors of one line naming the argument.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from asgi_client import AppClient
from dealopt.errors import OptionError
from dealopt.service import ServiceSettings, create_app
from dealopt.service.catalog import Catalog
from dealopt.service.mcp_server import KEY_ENV, TOOLS, check_stdio_key, create_mcp_server
from dealopt.service.roles import ROLES

MODELS = Path(__file__).resolve().parents[1] / "models"
ANALYST_KEY = "mcp-analyst-KEY-7c1e9a2b4d"
REP_KEY = "mcp-rep-KEY-3b8f0d6e2a41"
DESK_KEY = "mcp-desk-KEY-9e4a1c7b5f02"
KEYS = {ANALYST_KEY: "analyst", REP_KEY: "rep", DESK_KEY: "desk"}
OFFER = {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}
HISTORY = [{"by": "buyer", "package": OFFER}]

#: The arguments of each tool (and the API request that asks the same).
CALLS: dict[str, tuple[dict[str, Any], str, str, dict[str, Any] | None]] = {
    "list_models": ({}, "GET", "/v1/models", None),
    "describe_model": ({"model": "saas-renewal"}, "GET", "/v1/models/saas-renewal", None),
    "evaluate": ({"model": "saas-renewal", "package": OFFER}, "POST", "/v1/models/saas-renewal/evaluate",
                 {"package": OFFER}),
    "frontier": ({"model": "saas-renewal"}, "POST", "/v1/models/saas-renewal/frontier", {}),
    "trades": ({"model": "saas-renewal", "start": OFFER, "top": 5}, "POST", "/v1/models/saas-renewal/trades",
               {"from": OFFER, "top": 5}),
    "counter": ({"model": "saas-renewal", "history": HISTORY, "round": 2, "deadline": 5}, "POST",
                "/v1/models/saas-renewal/counter", {"history": HISTORY, "round": 2, "deadline": 5}),
}  # fmt: skip
#: Keys of the documents a rep must never read (the numbers the seller's walk-away can be read off).
PRIVATE = {
    "walk_away",
    "seller",
    "buyer",
    "joint",
    "profiles",
    "policy",
    "parameters",
    "belief",
    "beliefs",
    "aspiration",
    "seller_gain",
    "buyer_gain",
    "frontier",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load(MODELS)


@pytest.fixture(scope="module")
def api(catalog: Catalog) -> Iterator[AppClient]:
    with AppClient(create_app(ServiceSettings(MODELS, dict(KEYS), time_budget=120), catalog)) as client:
        yield client


def call_all(catalog: Catalog, key: str, calls: dict[str, dict[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """The tools listed, and each call's result, in one in-process session under ``key``."""

    async def run() -> tuple[list[str], dict[str, Any]]:
        async with Client(create_mcp_server(catalog, KEYS, key)) as client:
            listed = await client.list_tools()
            results = {name: await client.call_tool(name, args) for name, args in calls.items()}
            return [t.name for t in listed.tools], results

    return anyio.run(run)


def document(result: Any) -> Any:
    """The JSON document of a successful tool result (a list comes as one text content per entry)."""
    assert not result.is_error, result.content[0].text
    texts = [json.loads(c.text) for c in result.content]
    structured = result.structured_content
    if isinstance(structured, dict) and set(structured) == {"result"}:
        assert structured["result"] == texts
        return texts
    assert structured == texts[0] and len(texts) == 1
    return texts[0]


def untimed(doc: Any) -> Any:
    """A document without its timings (the one part two runs of the same computation differ in)."""
    if isinstance(doc, dict):
        return {k: untimed(v) for k, v in doc.items() if k not in ("seconds", "stats")}
    return doc


def keys_in(doc: Any) -> set[str]:
    if isinstance(doc, dict):
        return set(doc) | {k for v in doc.values() for k in keys_in(v)}
    if isinstance(doc, list):
        return {k for v in doc for k in keys_in(v)}
    return set()


def test_every_tool_is_listed_with_a_description_and_typed_arguments(catalog: Catalog) -> None:
    async def run() -> Any:
        async with Client(create_mcp_server(catalog, KEYS, ANALYST_KEY)) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in anyio.run(run)}
    assert set(tools) == set(TOOLS) == set(CALLS)
    for tool in tools.values():
        assert tool.description and len(tool.description) > 20
        props = tool.input_schema.get("properties", {})
        assert all("ctx" not in p for p in props)
    assert tools["counter"].input_schema["properties"]["progress"]["anyOf"][0]["maximum"] == 1
    assert set(tools["frontier"].input_schema["properties"]["engine"]["enum"]) == {"auto", "merge", "enumerate", "milp"}


@pytest.mark.parametrize(("key", "role"), [(ANALYST_KEY, "analyst"), (DESK_KEY, "desk"), (REP_KEY, "rep")])
def test_each_tool_answers_the_apis_document_for_the_role(
    catalog: Catalog, api: AppClient, key: str, role: str
) -> None:
    listed, results = call_all(catalog, key, {name: args for name, (args, *_) in CALLS.items()})
    assert listed == list(TOOLS)
    for name, (_, method, path, body) in CALLS.items():
        result = results[name]
        answer = api.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})
        if TOOLS[name] not in ROLES[role].may:
            assert answer.status_code == 403
            assert result.is_error and result.content[0].text == f"the {role} role may not use {name}"
            continue
        assert answer.status_code == 200, answer.text
        assert untimed(document(result)) == untimed(answer.json()), name


def test_a_rep_reads_nothing_private(catalog: Catalog) -> None:
    calls = {name: args for name, (args, *_) in CALLS.items() if name != "frontier"}
    _, results = call_all(catalog, REP_KEY, calls)
    for name, result in results.items():
        doc = document(result)
        assert not keys_in(doc) & PRIVATE, (name, keys_in(doc) & PRIVATE)
        assert "50000" not in json.dumps(doc)  # saas-renewal's seller walk-away, in any form
    counter = document(results["counter"])
    assert counter["recommendation"] in ("accept", "counter", "walk_away") and counter["proposal"]["sentence"]
    _, desk = call_all(catalog, DESK_KEY, {"describe_model": {"model": "saas-renewal"}})
    assert document(desk["describe_model"])["walk_away"]["seller"] == 50000  # the desk does see it


@pytest.mark.parametrize(
    ("tool", "args", "words"),
    [
        ("counter", {"model": "saas-renewal", "history": [], "progress": 3}, "progress: 3; expected a number ≤ 1"),
        (
            "counter",
            {"model": "saas-renewal", "history": [], "progress": 0.5, "round": 2, "deadline": 4},
            "progress: 0.5; expected either progress or round with deadline, not both",
        ),
        ("counter", {"model": "saas-renewal", "history": [], "round": 3}, "round: 3; expected round and deadline"),
        (
            "counter",
            {"model": "saas-renewal", "history": [{"by": "buyer", "package": {"price": "cheap"}}]},
            "history[0].package.price: 'cheap' is not a level",
        ),
        ("counter", {"model": "saas-renewal", "history": [], "top": 0}, "top: 0; expected a number ≥ 1"),
        ("trades", {"model": "saas-renewal", "start": "fair"}, "start"),
        ("trades", {"model": "saas-renewal", "start": {"price": 95}}, "missing issue"),
        ("frontier", {"model": "saas-renewal", "engine": "fastest"}, "engine: 'fastest'; expected one of auto"),
        ("describe_model", {"model": "no-such-model"}, "no model named 'no-such-model'; expected one of"),
        ("evaluate", {"model": "saas-renewal", "package": {"price": True}}, "package.price"),
        ("evaluate", {"model": "saas-renewal"}, "package"),
    ],
)
def test_bad_arguments_are_one_line_tool_errors(catalog: Catalog, tool: str, args: dict[str, Any], words: str) -> None:
    _, results = call_all(catalog, ANALYST_KEY, {tool: args})
    result = results[tool]
    assert result.is_error
    (content,) = result.content
    assert "\n" not in content.text and words in content.text and "Traceback" not in content.text
    assert "--" not in content.text  # the library's words: arguments, never CLI flags


def test_a_session_without_a_known_key_is_refused(catalog: Catalog) -> None:
    with pytest.raises(OptionError, match=KEY_ENV):
        check_stdio_key(KEYS, None)
    with pytest.raises(OptionError, match="not a key"):
        check_stdio_key(KEYS, "mcp-unknown-KEY-000000")
    _, results = call_all(catalog, "mcp-unknown-KEY-000000", {"list_models": {}})
    assert results["list_models"].is_error and "no API key" in results["list_models"].content[0].text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_streamable_http_on_localhost_takes_each_requests_bearer_key(catalog: Catalog) -> None:
    import httpx2
    import uvicorn
    from mcp.client.streamable_http import streamable_http_client

    port = _free_port()
    app = create_mcp_server(catalog, KEYS).streamable_http_app(host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)

        async def call(key: str) -> Any:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http:
                transport = streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http)
                async with Client(transport) as client:  # type: ignore[arg-type]
                    return (
                        await client.call_tool("describe_model", {"model": "saas-renewal"}),
                        await client.call_tool("frontier", {"model": "saas-renewal"}),
                    )

        desk_model, desk_frontier = anyio.run(call, DESK_KEY)
        rep_model, rep_frontier = anyio.run(call, REP_KEY)
    finally:
        server.should_exit = True
        thread.join(10)
    assert document(desk_model)["walk_away"]["seller"] == 50000 and "walk_away" not in document(rep_model)
    assert desk_frontier.is_error and rep_frontier.is_error  # frontier is for analysts
    assert desk_frontier.content[0].text == "the desk role may not use frontier"


def test_dealopt_mcp_over_stdio_runs_under_the_sessions_key(tmp_path: Path) -> None:
    """The command as an assistant starts it: a subprocess speaking MCP on stdin/stdout (one smoke test)."""
    import os
    import sys

    from mcp.client.stdio import StdioServerParameters

    keys = tmp_path / "keys.yaml"
    keys.write_text("".join(f"{k}: {r}\n" for k, r in KEYS.items()), encoding="utf-8")
    env = {**os.environ, KEY_ENV: REP_KEY}
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-c",
            "from dealopt.interfaces.cli import main; main()",
            "mcp",
            "--models",
            str(MODELS),
            "--keys",
            str(keys),
        ],
        env=env,
    )

    async def run() -> Any:
        async with Client(params) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            return names, await client.call_tool("evaluate", {"model": "saas-renewal", "package": OFFER})

    names, result = anyio.run(run)
    assert names == list(TOOLS)
    doc = document(result)
    assert doc["feasible"] is True and "seller" not in doc and "walk_away" not in doc  # the rep's view


def test_dealopt_mcp_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    keys = tmp_path / "keys.yaml"
    keys.write_text(f"{REP_KEY}: rep\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    # the refusal comes before the MCP SDK and the web stack are imported (a quick answer): the modules loaded are
    # listed on stderr after the error line
    code = (
        "import sys\nfrom dealopt.interfaces.cli import main\ntry:\n    main()\nfinally:\n"
        "    print(sorted(m for m in ('mcp', 'fastapi', 'uvicorn', 'starlette') if m in sys.modules), file=sys.stderr)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, "mcp", "--keys", str(keys)],
        capture_output=True,
        text=True,
        env=env,
        cwd=MODELS.parent,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        f"error: {KEY_ENV}: not set; expected the API key this session runs under",
        "[]",
    ]
