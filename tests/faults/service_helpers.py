"""A real service on 127.0.0.1 for the fault tests: uvicorn in a thread, with the limits ``dealopt serve`` sets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from dealopt.service.protocol import guarded_protocol

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
REP_KEY = "fault-rep-key-0123456789abcdef"
DESK_KEY = "fault-desk-key-0123456789abcdef"
ANALYST_KEY = "fault-analyst-key-0123456789abcdef"
ADMIN_KEY = "fault-admin-key-0123456789abcdef"
KEYS = {REP_KEY: "rep", DESK_KEY: "desk", ANALYST_KEY: "analyst", ADMIN_KEY: "admin"}
REP = {"Authorization": f"Bearer {REP_KEY}"}
DESK = {"Authorization": f"Bearer {DESK_KEY}"}
ANALYST = {"Authorization": f"Bearer {ANALYST_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
BY_ROLE = {"rep": REP, "desk": DESK, "analyst": ANALYST, "admin": ADMIN}
SAAS_OFFER = {"price": 95, "seats": 300, "term_months": 12, "payment": "net30", "support": "standard", "start_days": 0}


@contextmanager
def running(app, head_timeout: float = 10.0, max_connections: int = 1000) -> Iterator[tuple[str, int]]:
    """The app served on a free port of 127.0.0.1 (base URL, port) until the block ends."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=5)
    guarded_protocol(config, head_timeout, max_connections)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (whatever it sends first)."""
    sock.settimeout(seconds)
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            if sock.recv(65536) == b"":
                return True
    except TimeoutError:
        return False
    except OSError:  # reset: closed too
        return True
    return False
