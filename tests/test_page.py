"""The deal-desk page at ``/``, driven in real headless Chromium (Debian's ``chromium`` + Playwright).

The real service runs with uvicorn in a background thread on 127.0.0.1 (a free port picked by the
OS), serving the repository's models with a test key. Skipped only when ``/usr/bin/chromium`` or the
``playwright`` package is missing; ``.ci/run`` installs both.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
REP_KEY = "page-test-rep-key-0123456789abcdef"
DESK_KEY = "page-test-desk-key-0123456789abcdef"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000
#: A real browser (a Chromium process per module): run by `pytest -m slow`, as CI does.
pytestmark = pytest.mark.slow

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError as exc:  # pragma: no cover - depends on the machine
    pytest.skip(f"playwright is missing (pip install playwright): {exc}", allow_module_level=True)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The real service on 127.0.0.1 at a free port, in a background thread."""
    import uvicorn

    from dealopt.service.app import create_app
    from dealopt.service.settings import ServiceSettings

    app = create_app(ServiceSettings(models_dir=MODELS, keys={REP_KEY: "rep", DESK_KEY: "desk"}))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port; the server uses this very socket
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh tab (own sessionStorage) with the page open; fails the test on any script error or anything the
    Content-Security-Policy blocked."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    response = tab.goto(f"{base_url}/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors on the page: {errors}"


def enter_key(page: Page, key: str) -> None:
    page.get_by_test_id("api-key").fill(key)
    page.get_by_test_id("key-save").click()


def test_page_loads_its_own_script_and_style(page: Page, base_url: str) -> None:
    expect(page).to_have_title("dealopt · deal desk")
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert page.evaluate("document.body.dataset.ready") == "true"  # app.js ran
    sources = page.evaluate("[...document.querySelectorAll('script[src], link[href]')].map(e => e.src || e.href)")
    assert all(s.startswith(base_url) or s.startswith("data:") for s in sources), sources


def first_counter(page: Page, key: str, requests: list[tuple[str, str | None]]) -> Any:
    """Enter the key, pick saas-renewal, enter a partial buyer offer and ask: the first counter card."""
    page.on("request", lambda r: requests.append((r.url, r.headers.get("authorization"))))
    enter_key(page, key)
    expect(page.get_by_test_id("key-status")).to_contain_text("key in use")
    models = page.get_by_test_id("model-select")
    expect(models).to_be_enabled()
    models.select_option("saas-renewal")
    expect(page.get_by_test_id("issue-price")).to_be_visible()

    # Nothing entered: a one-line message, not a request.
    page.get_by_test_id("recommend").click()
    expect(page.get_by_test_id("error")).to_contain_text("Enter the buyer's offer")

    # numbers are typed, between grid steps too (87.25, 320 seats); options are picked
    for issue, value in {"price": "87.25", "seats": "320"}.items():
        page.get_by_test_id(f"issue-{issue}").fill(value)
    for issue, level in {"term_months": "12", "payment": "net30", "support": "standard"}.items():
        page.get_by_test_id(f"issue-{issue}").select_option(level)  # start_days is left "not stated": a partial offer
    page.get_by_test_id("progress").fill("0.5")
    page.get_by_test_id("recommend").click()

    counter = page.get_by_test_id("counter").first
    expect(counter).to_be_visible()
    expect(page.get_by_test_id("error")).to_be_hidden()
    expect(page.get_by_test_id("verdict")).to_have_text("Counter")
    expect(page.get_by_test_id("reason")).to_contain_text("opening with our strongest package")
    sentence = counter.get_by_test_id("counter-sentence").inner_text()
    assert sentence.startswith(("If you", "We can")), sentence
    package = counter.get_by_test_id("counter-package")
    for issue in ("price", "seats", "term_months", "payment", "support", "start_days"):
        expect(package.locator(f"[data-issue={issue}]")).to_have_count(1)
    expect(package).to_contain_text("price per seat")
    expect(page.get_by_test_id("proposal")).to_contain_text(sentence)
    return counter


def test_counter_for_a_buyer_offer_as_a_rep(page: Page, base_url: str) -> None:
    """A rep's key: the counters, their words, warnings and the proposal; no values, no frontier."""
    requests: list[tuple[str, str | None]] = []
    counter = first_counter(page, REP_KEY, requests)
    expect(counter.get_by_test_id("counter-seller")).to_have_count(0)
    expect(page.get_by_test_id("beliefs")).to_be_hidden()
    expect(page.get_by_test_id("frontier-chart")).to_be_hidden()
    expect(page.get_by_test_id("chart-hidden")).to_be_visible()

    # Send the counter: it joins the history as our offer.
    counter.get_by_test_id("send-counter").click()
    history = page.get_by_test_id("history-item")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_have_attribute("data-by", "seller")

    # The buyer's complete answer: a new recommendation (nothing to evaluate and plot for a rep).
    page.get_by_test_id("issue-start_days").fill("15")
    page.get_by_test_id("issue-price").fill("90")
    page.get_by_test_id("recommend").click()
    expect(history).to_have_count(3)
    expect(page.get_by_test_id("recommendation")).to_have_attribute("data-recommendation", "counter")
    expect(page.get_by_test_id("error")).to_be_hidden()

    api_calls = [(u, a) for u, a in requests if "/v1/" in u]
    assert {u.rsplit("/", 1)[-1] for u, _ in api_calls} == {"models", "saas-renewal", "counter"}
    assert all(a == f"Bearer {REP_KEY}" for _, a in api_calls)
    assert not any(REP_KEY in u for u, _ in requests), "the key must never be in a URL"
    assert REP_KEY not in page.url
    assert page.evaluate("sessionStorage.getItem('dealopt.apiKey')") == REP_KEY


def test_counter_for_a_buyer_offer_at_the_desk(page: Page, base_url: str) -> None:
    """A deal-desk key: values, the frontier chart with the counters and offers marked."""
    requests: list[tuple[str, str | None]] = []
    counter = first_counter(page, DESK_KEY, requests)
    expect(counter.get_by_test_id("counter-seller")).to_contain_text("USD")
    expect(page.get_by_test_id("chart-hidden")).to_be_hidden()

    # The frontier is drawn, with the counters marked; the partial offer is listed, not plotted.
    chart = page.get_by_test_id("frontier-chart")
    assert int(chart.get_attribute("data-frontier-points") or 0) > 10
    marks = page.get_by_test_id("chart-marks")
    expect(marks.locator("[data-kind=proposed]").first).to_be_visible()
    expect(marks.locator("[data-kind=partial]")).to_contain_text("B1")
    expect(marks.locator("[data-kind=buyer]")).to_have_count(0)

    # Send the counter: it joins the history as our offer.
    counter.get_by_test_id("send-counter").click()
    history = page.get_by_test_id("history-item")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_have_attribute("data-by", "seller")
    expect(marks.locator("[data-kind=sent]")).to_have_count(1)

    # The buyer's complete answer: evaluated and plotted on the chart.
    page.get_by_test_id("issue-start_days").fill("15")
    page.get_by_test_id("issue-price").fill("90")
    page.get_by_test_id("recommend").click()
    expect(history).to_have_count(3)
    expect(marks.locator("[data-kind=buyer]")).to_have_count(1)
    expect(page.get_by_test_id("recommendation")).to_have_attribute("data-recommendation", "counter")
    api_calls = [(u, a) for u, a in requests if "/v1/" in u]
    assert {u.rsplit("/", 1)[-1] for u, _ in api_calls} >= {"models", "saas-renewal", "counter", "evaluate"}
    assert all(a == f"Bearer {DESK_KEY}" for _, a in api_calls)


def test_api_docs_render_from_local_files(browser: Browser, base_url: str) -> None:
    """/docs: Swagger UI from the service's own files, under the same Content-Security-Policy, no other host."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    urls: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(str(exc)))
    tab.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    tab.on("request", lambda r: urls.append(r.url))
    try:
        response = tab.goto(f"{base_url}/docs")
        assert response is not None and response.headers["content-security-policy"].startswith("default-src 'none'")
        expect(tab.locator(".opblock").first).to_be_visible()
        expect(tab.locator(".opblock-summary-path", has_text="/v1/models/{name}/counter")).to_have_count(1)
    finally:
        context.close()
    assert not problems, problems
    assert urls and all(u.startswith(base_url) or u.startswith("data:") for u in urls), urls


def test_wrong_key_shows_401(page: Page) -> None:
    enter_key(page, "not-the-key-0123456789abcdef")
    error = page.get_by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("401")
    expect(error).to_contain_text("unknown API key")
    expect(page.get_by_test_id("key-status")).to_have_text("key rejected")
    expect(page.get_by_test_id("model-select")).to_be_disabled()
    assert "\n" not in page.get_by_test_id("error-text").inner_text()  # one line
