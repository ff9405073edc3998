"""Issue 10, connections: a partial request was still open after 75 s, and 240 idle partial connections (no key
needed) under a 256-descriptor limit made every normal request fail. Now: request heads and bodies have
timeouts, heads a size limit, and past the connection limit the longest idle connection is closed first."""

from __future__ import annotations

import select
import socket
import time

import httpx2
from service_helpers import KEYS, MODELS, REP, REP_KEY, running

from dealopt.service import ServiceSettings, create_app


def app(**limits):
    return create_app(ServiceSettings(MODELS, dict(KEYS), **limits))


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_a_partial_request_head_is_closed_after_the_head_timeout() -> None:
    from service_helpers import closed_within

    with running(app(), head_timeout=0.5) as (_, port):
        s = connect(port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert closed_within(s, 5.0)
        s.close()
        # nothing sent at all: closed too
        s = connect(port)
        assert closed_within(s, 5.0)
        s.close()


def test_a_partial_second_request_on_a_kept_connection_is_closed_too() -> None:
    from service_helpers import closed_within

    with running(app(), head_timeout=0.5) as (_, port):
        s = connect(port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        s.sendall(b"GET /healthz HTTP/1.1\r\n")  # the keep-alive timer stops at the first byte; ours does not
        assert closed_within(s, 5.0)
        s.close()


def test_a_body_that_does_not_arrive_is_408() -> None:
    with running(app(body_timeout=0.5)) as (_, port):
        s = connect(port)
        s.sendall(
            b"POST /v1/models/saas-renewal/counter HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {REP_KEY}\r\n".encode()
            + b'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"history": '
        )
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"not received within 0.5 s" in answer
        s.close()


def test_an_oversized_request_head_is_refused() -> None:
    with running(app()) as (_, port):
        s = connect(port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: " + b"a" * 100_000 + b"\r\n\r\n")
        s.settimeout(10)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
        assert data.startswith(b"HTTP/1.1 431") or data == b"", data[:100]
        s.close()


def test_idle_partial_connections_cannot_lock_out_normal_requests() -> None:
    """Twice the connection limit in idle partial connections (no key needed), head timeout far away: normal
    requests are still answered, because the longest idle connections are closed to make room."""
    with running(app(), head_timeout=60.0, max_connections=20) as (base, port):
        idle = []
        for _ in range(40):
            s = connect(port)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            idle.append(s)
        time.sleep(0.3)
        for _ in range(10):
            with httpx2.Client(base_url=base, timeout=10) as http:  # a new connection each time
                assert http.get("/healthz").status_code == 200
                assert http.get("/v1/models", headers=REP).status_code == 200
        # which idle connections the server closed (EOF or reset; one that sent something does not count): waited
        # for together, up to 5 s, rather than 0.2 s for each one left open
        closed, answered = set(), set()
        end = time.monotonic() + 5
        while len(closed) < 20 and time.monotonic() < end:
            waiting = [s for s in idle if s not in closed and s not in answered]
            for s in select.select(waiting, [], [], 0.1)[0]:
                try:
                    (closed if s.recv(1) == b"" else answered).add(s)
                except OSError:
                    closed.add(s)
        for s in idle:
            s.close()
        assert len(closed) >= 20  # the oldest were shed
