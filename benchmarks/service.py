"""Load on the real service: `POST /v1/models/saas-renewal/counter` from 32 concurrent clients, alone and
then beside an adversarial mix of slow requests (MILP frontiers from an analyst key, each past the budget).

Run: python benchmarks/service.py [--seconds 20] [--clients 32] [--model saas-renewal] [--slow 6]

Starts `dealopt serve` as a subprocess on 127.0.0.1 (a free port, a freshly generated rep key in
DEALOPT_API_KEYS), waits for /healthz, warms up, then lets every client send its next request as soon as
the previous one is answered (closed loop, no think time) for the given time. The bodies are realistic:
the histories of simulated negotiations against each scripted buyer (every prefix that ends on a buyer's
offer), at varied progress. Prints requests, errors, throughput and latency percentiles.
Target: p99 < 100 ms on 2 cores, no errors. Then the same load again while ``--slow`` clients keep sending
`POST /v1/models/saas-renewal/frontier {"engine": "milp"}` (about 1.5 s of CPU each on HiGHS; the service stops them at
its time budget, 503, or refuses past the key's share, 429): it prints the normal clients' p99 with and
without them and the ratio. Target: ratio ≤ 2. The server is stopped at the end, whatever happens.
Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
import numpy as np

from dealopt import compile_model, load_model
from dealopt.negotiation.simulate import BUYERS, simulate

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process and all its descendants so far; None off Linux."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            if p == pid:
                return None
    return total


def available_cores(n: int, seconds: float = 1.0) -> float:
    """How much CPU ``n`` busy processes actually get together (on a shared or virtual machine, less than n)."""
    code = (
        "import time\nt, c = time.perf_counter(), time.process_time()\n"
        f"while time.perf_counter() - t < {seconds}: pass\nprint(time.process_time() - c)"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(n)]
    return sum(float(p.communicate()[0]) for p in procs) / seconds


def request_bodies(model: str, seed: int = 0) -> list[bytes]:
    """Counter requests as a rep's CRM would send them: simulated histories at varied progress."""
    deal = compile_model(load_model(ROOT / "models" / f"{model}.yaml"))
    rng = np.random.default_rng(seed)
    bodies = []
    for buyer in BUYERS:
        sim = simulate(deal, buyer, 20)
        offers = [{"by": e["by"], "package": e["package"]} for e in sim.transcript if "package" in e]
        for k, offer in enumerate(offers):
            if offer["by"] != "buyer":
                continue
            for _ in range(4):
                progress = round(float(rng.uniform(0.0, 1.0)), 3)
                bodies.append(json.dumps({"history": offers[: k + 1], "progress": progress}).encode())
    return bodies


def start_server(port: int, key: str, analyst: str, workers: int, log) -> subprocess.Popen:
    """`dealopt serve` on 127.0.0.1:port with a rep key, an analyst key and ``workers`` processes."""
    env = {**os.environ, "DEALOPT_API_KEYS": f"{key}:rep,{analyst}:analyst"}
    exe = Path(sys.executable).parent / "dealopt"
    cmd = [str(exe), "serve", "--models", str(ROOT / "models"), "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(base: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until /healthz answers 200 (or the server dies, or the time is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            if httpx2.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


async def drive(
    port: int,
    url: str,
    key: str,
    bodies: list[bytes],
    clients: int,
    seconds: float,
    warmup: float,
    server_pid: int | None = None,
    slow: int = 0,
    slow_request: bytes = b"",
) -> tuple[list[float], list[str], float, dict[str, float | None], dict[int, int]]:
    """Closed-loop load; latencies (s) and errors of the requests started after the warm-up, and the wall time.

    Each client keeps one HTTP/1.1 connection open and sends prepared request bytes: a lean client, so that
    on a 2-core machine the load generator takes as little CPU as possible from the server it measures.
    """
    head = (
        f"POST {url} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    requests = [head.replace("{length}", str(len(b))).encode() + b for b in bodies]
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> str | None:
        """Send one request, read its answer; None when it is a good answer, else what is wrong."""
        writer.write(request)
        status = (await reader.readline()).split(b" ", 2)
        length = None
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            return f"no Content-Length in the answer (status line {b' '.join(status)!r})"
        data = await reader.readexactly(length)
        if len(status) < 2 or status[1] != b"200":
            return f"status {status[1:2]}: {data[:200]!r}"
        if json.loads(data)["recommendation"] not in ("accept", "counter", "walk_away"):
            return f"unexpected answer {data[:200]!r}"
        return None

    async def client(n: int) -> None:
        rng = np.random.default_rng(1000 + n)
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                request = requests[int(rng.integers(len(requests)))]
                try:
                    problem = await exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if problem:
                        errors.append(problem)
        finally:
            writer.close()

    cpu: dict[str, float | None] = {}

    async def account() -> None:
        """CPU used by the server (all its processes) and by this client over the measured time."""
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        s0 = tree_cpu_seconds(server_pid) if server_pid else None
        c0 = time.process_time()
        await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
        s1 = tree_cpu_seconds(server_pid) if server_pid else None
        cpu["server"] = s1 - s0 if s0 is not None and s1 is not None else None
        cpu["client"] = time.process_time() - c0

    slow_statuses: dict[int, int] = {}

    async def slow_client() -> None:
        """Sends the slow request again as soon as it is answered (503 past the budget, 429 past the share)."""
        while time.perf_counter() < stop_at:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(slow_request)
                status = (await reader.readline()).split(b" ", 2)
                code = int(status[1]) if len(status) > 1 else 0
                slow_statuses[code] = slow_statuses.get(code, 0) + 1
                writer.close()
                if code == 429:
                    await asyncio.sleep(0.2)
            except (OSError, ValueError):
                await asyncio.sleep(0.2)

    await asyncio.gather(account(), *(client(n) for n in range(clients)), *(slow_client() for _ in range(slow)))
    return latencies, errors, time.perf_counter() - measure_from, cpu, slow_statuses


def report(label: str, latencies: list[float], errors: list[str], wall: float, cpu: dict[str, float | None]) -> float:
    """Print one run's figures; its p99 in ms."""
    ms = np.array(latencies) * 1e3
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    print(f"--- {label}")
    print(f"requests:   {len(ms):,}")
    print(f"errors:     {len(errors)}")
    print(f"throughput: {len(ms) / wall:,.0f} req/s")
    print(f"latency:    p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {ms.max():.1f} ms")
    if cpu.get("server") is not None:
        print(
            f"cpu:        server {cpu['server'] / wall:.2f} cores ({cpu['server'] / len(ms) * 1e3:.2f} ms a request), "
            f"client {cpu['client'] / wall:.2f} cores"
        )
    for e in errors[:5]:
        print(f"  error: {e}")
    return float(p99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured load time of each run (default 20)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--model", default="saas-renewal", help="the model to counter on (default saas-renewal)")
    parser.add_argument("--workers", type=int, default=2, help="server processes, dealopt serve --workers (default 2)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured load before (default 2 s)")
    parser.add_argument("--slow", type=int, default=6, help="clients sending slow MILP requests in run 2 (default 6)")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    available = available_cores(cores)
    bodies = request_bodies(args.model)
    key = secrets.token_urlsafe(32)
    analyst = secrets.token_urlsafe(32)
    port = free_port()
    base = f"http://{HOST}:{port}"
    url = f"/v1/models/{args.model}/counter"
    slow_body = json.dumps({"engine": "milp"}).encode()
    slow_request = (
        f"POST /v1/models/saas-renewal/frontier HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {analyst}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(slow_body)}\r\nConnection: close\r\n\r\n"
    ).encode() + slow_body
    print(
        f"dealopt serve --workers {args.workers} on {base}; {cores} cores; {args.clients} clients for {args.seconds:g} s on POST {url}"
    )
    print(f"CPU actually available before the run: {available:.2f} of {cores} cores ({cores} busy loops for 1 s)")
    print(f"{len(bodies)} distinct bodies (simulated histories × progress), {args.warmup:g} s warm-up not counted")
    print(f"load average before the runs: {load_before:.2f}")
    with tempfile.TemporaryFile() as log:
        server = start_server(port, key, analyst, args.workers, log)
        try:
            wait_healthy(base, server)
            quiet = asyncio.run(drive(port, url, key, bodies, args.clients, args.seconds, args.warmup, server.pid))
            busy = asyncio.run(
                drive(
                    port, url, key, bodies, args.clients, args.seconds, args.warmup, server.pid, args.slow, slow_request
                )
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.seek(0)
            output = log.read().decode(errors="replace")
        if key in output or analyst in output:
            print("WARNING: a key appears in the server's output")
    if not quiet[0] or not busy[0]:
        print("no request was answered")
        sys.exit(1)
    p99_quiet = report("normal clients alone", *quiet[:4])
    p99_busy = report(f"normal clients beside {args.slow} slow MILP clients", *busy[:4])
    print(f"slow requests' answers: {dict(sorted(busy[4].items()))} (status: count)")
    ratio = p99_busy / p99_quiet
    print(f"p99 alone {p99_quiet:.1f} ms, with slow requests {p99_busy:.1f} ms: ratio {ratio:.2f}")
    met = p99_quiet < 100 and not quiet[1]
    print(f"target p99 < 100 ms, no errors: {'met' if met else 'NOT met'}")
    print(f"target ratio ≤ 2 with slow requests, no errors: {'met' if ratio <= 2 and not busy[1] else 'NOT met'}")
    if server.returncode not in (0, -15):
        print(f"server exit status {server.returncode}; its output:\n{output[-2000:]}")


if __name__ == "__main__":
    main()
