"""How fast the ``dealopt`` command starts: whole processes, median of N runs, and the top import-time offenders.

    python benchmarks/startup.py             # 15 runs per command
    python benchmarks/startup.py --runs 31 --src ../other-checkout/src   # the same against another source tree

Each command runs as a new process (``python -m dealopt.interfaces.cli …``, as the ``dealopt`` script does),
so the figures include the interpreter's start and every import. Targets (issue 12): ``--help`` < 0.25 s,
``validate models/*.yaml`` < 0.5 s, ``counter`` on an example model < 0.6 s. Then ``python -X importtime``
names the modules that cost the most (cumulative and self time) for each command.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (name, arguments, target in seconds)
COMMANDS: list[tuple[str, list[str], float]] = [
    ("dealopt --help", ["--help"], 0.25),
    ("dealopt validate models/*.yaml", ["validate", *sorted(str(p) for p in (ROOT / "models").glob("*.yaml"))], 0.5),
    (
        "dealopt counter (saas-renewal)",
        [
            "counter",
            str(ROOT / "models" / "saas-renewal.yaml"),
            "--history",
            str(ROOT / "examples" / "history.yaml"),
            "--round",
            "3",
            "--deadline",
            "10",
        ],
        0.6,
    ),
]


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


#: How the command is started: ``python -m`` (default) or the installed script (``--script``).
LAUNCH = [sys.executable, "-m", "dealopt.interfaces.cli"]


def whole_process(args: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (user + system) seconds of ``runs`` fresh processes (one warm-up run first, not counted).

    The CPU time hardly depends on what else the machine runs: on a busy machine, read it beside the wall time.
    """
    import resource

    command = [*LAUNCH, *args]
    subprocess.run(command, capture_output=True, env=env, check=False)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args[:1])} failed: {done.stderr.decode()[:300]}")
    return times, cpu


def import_offenders(
    args: list[str], env: dict[str, str], top: int = 8
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The modules with the largest cumulative and self import times (µs) for one command."""
    command = [sys.executable, "-X", "importtime", "-m", "dealopt.interfaces.cli", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    cumulative: list[tuple[int, str]] = []
    own: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        self_us, cum_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        leaf = name.strip()
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 1:  # top-level imports: the cumulative cost of what the command pulls in
            cumulative.append((int(cum_us), leaf))
        own.append((int(self_us), leaf))
    return sorted(cumulative, reverse=True)[:top], sorted(own, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="processes per command (the median is reported)")
    parser.add_argument("--src", type=Path, default=None, help="a source tree to measure instead of the installed one")
    parser.add_argument("--no-importtime", action="store_true", help="only the whole-process times")
    parser.add_argument("--script", action="store_true", help="start the installed dealopt script, not python -m")
    opts = parser.parse_args()
    if opts.script:
        LAUNCH[:] = [str(Path(sys.executable).with_name("dealopt"))]
    env = _env(opts.src)
    print(f"{'command':<34} {'median':>8} {'p90':>8} {'min':>8} {'cpu':>8}  target")
    failed = False
    for name, args, target in COMMANDS:
        wall, cpu = whole_process(args, opts.runs, env)
        times = sorted(wall)
        median = statistics.median(times)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        ok = median < target
        failed |= not ok
        print(
            f"{name:<34} {median:>7.3f}s {p90:>7.3f}s {times[0]:>7.3f}s {statistics.median(cpu):>7.3f}s"
            f"  < {target:g} s {'ok' if ok else 'MISSED'}"
        )
    if not opts.no_importtime:
        for name, args, _ in COMMANDS:
            cumulative, own = import_offenders(args, env)
            print(f"\n{name}: top imports (python -X importtime)")
            print("  cumulative ms                          self ms")
            for (c_us, c_name), (s_us, s_name) in zip(cumulative, own):
                print(f"  {c_us / 1e3:7.1f}  {c_name:<30} {s_us / 1e3:7.1f}  {s_name}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average {load:.2f} on {os.cpu_count()} cores (figures are for an idle machine)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
