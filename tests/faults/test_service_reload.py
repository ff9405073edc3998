"""Issue 10, model versions: with --workers 2, workers served different versions of a model after one restarted
(walk-away 50,000 on one, 900,000 on the other; 404 from one when the file broke), and a single worker never
noticed a changed, broken or deleted file. Now every worker serves the snapshot in force, whose content hash is
in /healthz and every answer, and SIGHUP or POST /v1/admin/reload switches them all at once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
import yaml
from service_helpers import ADMIN, ANALYST, DESK, KEYS, MODELS, SAAS_OFFER
from starlette.testclient import TestClient

from dealopt.service import ServiceSettings, create_app

DEALOPT = Path(sys.executable).parent / "dealopt"


def models_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("saas-renewal.yaml", "services-sow.yaml"):
        shutil.copy(MODELS / name, folder / name)
    return folder


def set_walk_away(path: Path, value: float) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    current = data["parties"]["seller"]["walk_away"]
    if isinstance(current, str) and current.startswith("$"):  # a named parameter: change it by its name
        data["parameters"][current[1:]] = value
    else:
        data["parties"]["seller"]["walk_away"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def walk_away(http, headers=DESK) -> float:
    r = http.post("/v1/models/saas-renewal/evaluate", json={"package": SAAS_OFFER}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["walk_away"]["seller"]


def test_one_process_changes_version_only_on_reload(tmp_path: Path) -> None:
    folder = models_copy(tmp_path)
    model = folder / "saas-renewal.yaml"
    with TestClient(create_app(ServiceSettings(folder, dict(KEYS)))) as http:
        first = http.get("/healthz").json()["model_version"]
        before = walk_away(http)
        set_walk_away(model, before + 12_345)
        assert walk_away(http) == before and http.get("/healthz").json()["model_version"] == first  # not noticed
        assert http.post("/v1/admin/reload", headers=ANALYST).status_code == 403  # admins only
        r = http.post("/v1/admin/reload", headers=ADMIN)
        assert r.status_code == 200 and r.json()["changed"] and r.json()["previous"] == first
        second = r.json()["model_version"]
        assert walk_away(http) == before + 12_345 and http.get("/healthz").json()["model_version"] == second
        # a broken file: the reload is refused, the version in force is kept
        model.write_text("format: dealopt/1\nname: [broken\n", encoding="utf-8")
        r = http.post("/v1/admin/reload", headers=ADMIN)
        assert r.status_code == 409 and "reload refused" in r.json()["detail"] and second in r.json()["detail"]
        assert walk_away(http) == before + 12_345 and http.get("/healthz").json()["model_version"] == second
        # a deleted file: the model is no longer served after the reload
        model.unlink()
        r = http.post("/v1/admin/reload", headers=ADMIN)
        assert r.status_code == 200 and r.json()["models"] == ["services-sow"]
        assert (
            http.post("/v1/models/saas-renewal/evaluate", json={"package": SAAS_OFFER}, headers=DESK).status_code == 404
        )


def worker_views(base: str, rounds: int = 40, workers: int = 2) -> dict[str, tuple[str, float]]:
    """worker → (model version, seller walk-away) seen on fresh connections (the kernel spreads them); at most
    ``rounds`` connections, done once all ``workers`` (the live workers: a worker's first view is its view)
    have answered."""
    seen: dict[str, tuple[str, float]] = {}
    while rounds > 0 and len(seen) < workers:
        rounds -= 1
        with httpx2.Client(base_url=base, timeout=30) as http:
            health = http.get("/healthz").json()
            r = http.post("/v1/models/saas-renewal/evaluate", json={"package": SAAS_OFFER}, headers=DESK)
            value = r.json()["walk_away"]["seller"] if r.status_code == 200 else float("nan")
            seen.setdefault(health["worker"], (health["model_version"], value))
    return seen


def wait_until(predicate, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_workers_serve_one_version_through_restarts_and_reloads(tmp_path: Path) -> None:
    folder = models_copy(tmp_path)
    model = folder / "saas-renewal.yaml"
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump(KEYS), encoding="utf-8")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--models", folder, "--keys", keys, "--port", port, "--workers", "2", "--solver-processes", "1"]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(DEALOPT), *map(str, args)], stdout=log, stderr=subprocess.STDOUT)
    try:

        def healthy() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx2.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx2.HTTPError:
                return False

        wait_until(healthy, 60)
        wait_until(lambda: len(worker_views(base, 10)) == 2, 60)  # both workers answer (one may start later)
        views = worker_views(base)
        assert len(views) == 2, views
        (version, before), *_ = views.values()
        assert set(views.values()) == {(version, before)}

        # the file changes: no worker notices, and a worker that restarts serves the same version
        set_walk_away(model, before + 50_000)
        children = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        workers = [p for p in children if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
        os.kill(workers[0], signal.SIGKILL)
        wait_until(lambda: len(set(worker_views(base, 10)) - set(views)) >= 1)  # a new worker answers
        views = worker_views(base)
        assert set(views.values()) == {(version, before)}, views

        # SIGHUP: every worker switches to the new version
        server.send_signal(signal.SIGHUP)
        wait_until(lambda: {v for v, _ in worker_views(base, 10).values()} != {version})
        views = worker_views(base)
        assert len({v for v in views.values()}) == 1 and next(iter(views.values()))[1] == before + 50_000, views
        second = next(iter(views.values()))[0]

        # a broken file: the reload is refused, every worker keeps the version in force
        model.write_text("name: [broken\n", encoding="utf-8")
        server.send_signal(signal.SIGHUP)
        r = httpx2.post(f"{base}/v1/admin/reload", headers=ADMIN, timeout=30)
        assert r.status_code == 409
        assert set(worker_views(base).values()) == {(second, before + 50_000)}

        # a deleted file, reloaded through the API: gone from every worker
        model.unlink()
        assert httpx2.post(f"{base}/v1/admin/reload", headers=ADMIN, timeout=30).status_code == 200
        views = worker_views(base)
        assert len({v for v, _ in views.values()}) == 1 and all(w != w for _, w in views.values())  # 404: NaN
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_sighup_reloads_a_single_process_server(tmp_path: Path) -> None:
    folder = models_copy(tmp_path)
    model = folder / "saas-renewal.yaml"
    keys = tmp_path / "keys.yaml"
    keys.write_text(yaml.safe_dump(KEYS), encoding="utf-8")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--models", folder, "--keys", keys, "--port", port, "--solver-processes", "1"]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([str(DEALOPT), *map(str, args)], stdout=log, stderr=subprocess.STDOUT)
    try:

        def healthy() -> bool:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                return httpx2.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx2.HTTPError:
                return False

        wait_until(healthy, 60)
        with httpx2.Client(base_url=base, timeout=30) as http:
            before = walk_away(http)
            version = http.get("/healthz").json()["model_version"]
            set_walk_away(model, before + 7)
            assert walk_away(http) == before
            server.send_signal(signal.SIGHUP)
            wait_until(lambda: http.get("/healthz").json()["model_version"] != version)
            assert walk_away(http) == before + 7
        assert server.poll() is None  # SIGHUP reloads; it does not stop the server
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert "reload (SIGHUP): model version" in (tmp_path / "serve.log").read_text()
