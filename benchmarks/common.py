"""Helpers shared by the benchmark scripts: timing, peak memory, synthetic models."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: The reference cases beside the checkout (CI copies shared/ there too).
CASES = Path(__file__).resolve().parents[1].parent / "shared" / "cases"


def genius_cases() -> list[tuple[str, tuple[Path, Path, Path]]]:
    """Every GENIUS domain under shared/cases as (name, (domain, seller, buyer)), named and paired as
    shared/cases/README.md says (prof1 sells; Jobs util1 and thompson's employer sell)."""
    import json

    out: list[tuple[str, tuple[Path, Path, Path]]] = []
    expected = CASES / "genius" / "expected.json"
    if expected.is_file():
        for case, info in json.loads(expected.read_text()).items():
            out.append((case, tuple(CASES / "genius" / case / info["files"][k] for k in ("domain", "seller", "buyer"))))  # type: ignore[arg-type]
    more = CASES / "genius-more"
    if not more.is_dir():
        return out
    triples = [
        (d, d.with_name(d.name.replace("-domain", "-prof1")), d.with_name(d.name.replace("-domain", "-prof2")))
        for d in sorted(more.rglob("*-domain.xml"))
    ]
    triples.append((more / "Jobs/Jobs.xml", more / "Jobs/Jobs_util1.xml", more / "Jobs/Jobs_util2.xml"))
    t = more / "thompson"
    triples.append(
        (
            t / "thompson_employment.xml",
            t / "thompson_employer_utilityspace.xml",
            t / "thompson_employee_utilityspace.xml",
        )
    )
    for domain, seller, buyer in triples:
        folder = domain.parent.name
        name = f"{folder}/{domain.stem.removesuffix('-domain')}" if folder == "anac2012_A" else folder
        out.append((name, (domain, seller, buyer)))
    return out


def measure(fn: Callable[[], Any], repeats: int = 3) -> tuple[Any, float, float]:
    """(result, best wall time in s, peak traced memory in MiB of one run)."""
    gc.collect()
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return result, best, peak / 2**20


def opposed_additive(issues: int, levels: int, seed: int = 0) -> dict[str, Any]:
    """A random additive model with opposed preferences (what one side likes more, the other likes less)."""
    rng = np.random.default_rng(seed)
    ws = rng.dirichlet(np.ones(issues))
    wb = rng.dirichlet(np.ones(issues))
    spec = {f"i{j}": {"kind": "integer", "min": 0, "max": levels - 1} for j in range(issues)}
    seller, buyer = [], []
    for j in range(issues):
        ev = np.sort(rng.random(levels))
        evb = np.sort(rng.random(levels))[::-1]
        seller.append(
            {
                "coef": round(float(ws[j]), 6),
                "of": [{f"i{j}": {"piecewise": [[x, round(float(v), 6)] for x, v in enumerate(ev)]}}],
            }
        )
        buyer.append(
            {
                "coef": round(float(wb[j]), 6),
                "of": [{f"i{j}": {"piecewise": [[x, round(float(v), 6)] for x, v in enumerate(evb)]}}],
            }
        )
    return {
        "format": "dealopt/1",
        "name": f"additive-{issues}x{levels}",
        "units": "normalized",
        "issues": spec,
        "parties": {"seller": {"utility": seller}, "buyer": {"utility": buyer}},
    }


def fmt_time(seconds: float | None) -> str:
    """Seconds as a short human figure."""
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 1e5:
        return f"{seconds:.2f} s"
    return f"{seconds:.1e} s"


def fmt_ratio(ratio: float) -> str:
    """A speed ratio."""
    if ratio < 10:
        return f"{ratio:.1f}×"
    if ratio < 1e7:
        return f"{ratio:,.0f}×"
    return f"{ratio:.1e}×"
