"""Issue 10, work that nothing stopped: slow MILP requests, the first-request stampede, spaces cached for ever,
one key holding the service. Each finding reproduced small, and shown fixed."""

from __future__ import annotations

import gc
import socket
import threading
import time
import weakref
from pathlib import Path

import httpx2
from service_helpers import ANALYST, DESK, KEYS, MODELS, REP, REP_KEY, SAAS_OFFER, running

import dealopt
from dealopt.negotiation.space import is_evaluated, outcome_space
from dealopt.service import ServiceSettings, create_app

COUNTER = {"history": [{"by": "buyer", "package": SAAS_OFFER}], "progress": 0.5}


def gone(pid: int, within: float) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.05)
    return False


def test_slow_milp_requests_are_stopped_and_do_not_starve_others() -> None:
    """Found: six MILP frontier requests kept their threads busy for ~100 s after their 503 and every other
    non-trivial request got 503. Now: past the budget the solver process is killed (its CPU stops), one key
    holds at most two solver slots (429 past them), and a rep's counters are answered meanwhile."""
    settings = ServiceSettings(MODELS, dict(KEYS), time_budget=0.5, solver_processes=1, per_key_solver=2)
    app = create_app(settings)
    pool = app.state.pool
    with running(app) as (base, _):
        answers: dict[int, httpx2.Response] = {}

        def slow(n: int) -> None:  # saas-renewal by MILP: about 1.5 s of CPU on an idle machine, 3× the budget
            answers[n] = httpx2.post(
                f"{base}/v1/models/saas-renewal/frontier", json={"engine": "milp"}, headers=ANALYST, timeout=60
            )

        threads = [threading.Thread(target=slow, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        end = time.monotonic() + 20
        while not pool.ran:
            assert time.monotonic() < end, "no solver process took the job"
            time.sleep(0.01)
        with httpx2.Client(base_url=base, timeout=60) as http:  # normal work goes on meanwhile
            for _ in range(10):
                r = http.post("/v1/models/saas-renewal/counter", json=COUNTER, headers=REP)
                assert r.status_code == 200, r.text
        for t in threads:
            t.join(timeout=60)
        statuses = sorted(r.status_code for r in answers.values())
        assert len(statuses) == 3 and set(statuses) <= {429, 503} and 429 in statuses and 503 in statuses, statuses
        assert all(r.json()["detail"] and "\n" not in r.json()["detail"] for r in answers.values())
        for pid in pool.ran:
            assert gone(pid, 5.0), f"solver process {pid} still runs past the budget"
        assert pool.killed >= 1
        # the service is whole: a frontier within the budget is answered by a fresh solver process
        r = httpx2.post(f"{base}/v1/models/saas-renewal/frontier", json={}, headers=ANALYST, timeout=60)
        assert r.status_code == 200, r.text


def test_first_requests_for_a_big_model_evaluate_it_once() -> None:
    """Found: 12 concurrent first counters on a big model each evaluated its outcome space (all 503, memory
    142 → 889 MB). Now: one evaluation, the other requests wait for it, all are answered."""
    app = create_app(ServiceSettings(MODELS, dict(KEYS), time_budget=60.0))
    name = "manufacturing-supply"  # 421,632 packages
    deal = app.state.store.catalog.deals[name]
    assert not is_evaluated(deal)
    first = dealopt.frontier(deal).points[3].package
    body = {"history": [{"by": "buyer", "package": first}], "progress": 0.4}
    with running(app) as (base, _):
        answers: list[httpx2.Response] = []
        barrier = threading.Barrier(12)

        def ask() -> None:
            barrier.wait()
            answers.append(httpx2.post(f"{base}/v1/models/{name}/counter", json=body, headers=DESK, timeout=120))

        threads = [threading.Thread(target=ask) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert [r.status_code for r in answers] == [200] * 12, [r.text for r in answers if r.status_code != 200]
    assert app.state.warm.evaluations == 1
    assert len({r.text for r in answers}) == 1


def test_outcome_spaces_kept_are_bounded_by_memory() -> None:
    """Found: evaluated spaces were cached for ever. Now: past the memory bound the least recently used is
    dropped, with everything derived from it, and its model is evaluated again when asked."""
    app = create_app(ServiceSettings(MODELS, dict(KEYS), space_cache_bytes=3 * 2**20))
    warm = app.state.warm
    deals = app.state.store.catalog.deals
    with running(app) as (base, _), httpx2.Client(base_url=base, timeout=60) as http:
        r = http.post("/v1/models/saas-renewal/counter", json=COUNTER, headers=DESK)
        assert r.status_code == 200
        first = r.json()
        space = weakref.ref(outcome_space(deals["saas-renewal"]))
        for name in ("hardware-supply", "services-sow"):
            start = dealopt.frontier(deals[name]).points[0].package
            body = {"history": [{"by": "buyer", "package": start}], "progress": 0.5}
            assert http.post(f"/v1/models/{name}/counter", json=body, headers=DESK).status_code == 200
            assert warm.held_bytes <= warm.max_bytes
        assert not is_evaluated(deals["saas-renewal"])
        gc.collect()
        assert space() is None, "something still holds the dropped outcome space"
        again = http.post("/v1/models/saas-renewal/counter", json=COUNTER, headers=DESK)
        assert again.status_code == 200 and again.json() == first
    assert warm.evaluations == 4


def test_one_key_cannot_hold_every_request_slot() -> None:
    """A key with as many requests in progress as it may gets 429 (with Retry-After); other keys are served."""
    app = create_app(ServiceSettings(MODELS, dict(KEYS), per_key_requests=2, body_timeout=1.5))
    with running(app) as (base, port):
        held = []
        for _ in range(2):  # two requests of the rep's key, waiting for bodies that do not come
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(
                b"POST /v1/models/saas-renewal/counter HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: Bearer {REP_KEY}\r\n".encode()
                + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            held.append(s)
        end = time.monotonic() + 20  # both held requests counted by the service (however loaded the machine)
        while app.state.limits.in_progress() < 2:
            assert time.monotonic() < end, "the service never took the held requests"
            time.sleep(0.01)
        r = httpx2.post(f"{base}/v1/models/saas-renewal/counter", json=COUNTER, headers=REP, timeout=30)
        assert r.status_code == 429 and r.headers["retry-after"] == "1", r.text
        assert httpx2.post(f"{base}/v1/models/saas-renewal/counter", json=COUNTER, headers=DESK).status_code == 200
        for s in held:  # the body timeout frees them: 408
            s.settimeout(10)
            assert s.recv(4096).startswith(b"HTTP/1.1 408")
            s.close()
        assert httpx2.post(f"{base}/v1/models/saas-renewal/counter", json=COUNTER, headers=REP).status_code == 200
