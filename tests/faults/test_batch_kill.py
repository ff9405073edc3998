"""Issue 10, output that lies: ``price-variants`` wrote in place. Ctrl-C left a valid Parquet file with 3.7M of
10M rows, a run that exited 2 a valid file with a third of its rows, SIGKILL a directory of valid parts that
read as a complete dataset; the previous output was destroyed at the start and there was no resume.

Here the CLI runs in a subprocess on an input that takes a few seconds and is interrupted (SIGINT) or killed
(SIGKILL) mid-run: no output that looks complete is left, the previous output is untouched, and ``--resume``
finishes a killed directory run from its verified parts. (The earlier complete outputs and the run that exits 2,
which no signal interrupts, run in process.)"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import dealopt.model.loading
from cli_runner import run_cli
from conftest import MODELS
from dealopt.batch.output import MANIFEST, STAGING, SUCCESS
from dealopt.interfaces.cli import app

EXAMPLE = MODELS / "quotes-example.csv"
CHUNK = 50_000
PART_ROWS = 10_000
#: Ctrl-C raises KeyboardInterrupt in the child even when pytest was started with SIGINT ignored (a background
#: job, some CI runners): a child inherits SIG_IGN, and Python then installs no handler of its own.
CHILD = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from dealopt.interfaces.cli import main; main()"
)
CLI = [sys.executable, "-c", CHILD, "price-variants"]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1.4M rows (seconds of work): the example's 14 rows (one bad) over and over, in row groups."""
    table = pcsv.read_csv(EXAMPLE)
    path = tmp_path_factory.mktemp("big") / "quotes.parquet"
    pq.write_table(table.take(np.tile(np.arange(table.num_rows), 100_000)), path, row_group_size=CHUNK)
    return path


@pytest.fixture(scope="module")
def parts28(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """280,000 rows (the example's 14 over and over) that a directory run writes as 28 parts of PART_ROWS: a
    second of work, a fifth of ``big``'s (the interrupted run and its resume do all of it), still ~30 ms a part
    after the third, when the run is interrupted."""
    table = pcsv.read_csv(EXAMPLE)
    path = tmp_path_factory.mktemp("parts28") / "quotes.parquet"
    pq.write_table(table.take(np.tile(np.arange(table.num_rows), 20_000)), path, row_group_size=PART_ROWS)
    return path


def _start(quotes: Path, out: str, *extra: str, chunk: int = CHUNK) -> subprocess.Popen[str]:
    args = [*CLI, str(quotes), "-o", out, "--models", str(MODELS), "--chunk-rows", str(chunk), "-q", *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen[str], ready: object, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"the run ended before it could be interrupted: {proc.communicate()}"
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the run never got going")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(d: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(d.iterdir()) if p.is_file()}


def _previous_dir(out: Path) -> dict[str, str]:
    """A complete earlier output in ``out`` (of the example file, priced in process), as name → checksum."""
    run = run_cli("price-variants", EXAMPLE, "-o", str(out) + "/", "--models", MODELS, "-q")
    assert run.returncode == 0, run.stderr
    assert (out / SUCCESS).exists()
    return _tree(out)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_file_output_interrupted_mid_run_leaves_the_previous_file(big: Path, tmp_path: Path, sig: int) -> None:
    out = tmp_path / "priced.parquet"
    pq.write_table(pa.table({"previous": [1, 2, 3]}), out)
    before = _digest(out)
    proc = _start(big, str(out))
    _wait_for(proc, lambda: any(p.stat().st_size > 0 for p in tmp_path.glob(".priced.parquet.tmp-*")))
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), err
    assert _digest(out) == before  # the previous output, untouched
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "priced.parquet")
    if sig == signal.SIGINT:
        assert err.splitlines() == [f"interrupted: no output written; the previous {out} is untouched"]
        assert left == []  # cleaned up
    else:
        assert all(name.startswith(".priced.parquet.tmp-") for name in left)  # hidden, never the output's name


@pytest.mark.slow
def test_a_csv_output_interrupted_leaves_no_csv(big: Path, tmp_path: Path) -> None:
    out = tmp_path / "priced.csv"
    proc = _start(big, str(out))
    _wait_for(proc, lambda: any(p.stat().st_size > 1000 for p in tmp_path.glob(".priced.csv.tmp-*")))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.splitlines() == ["interrupted: no output written"]  # there was no previous output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_killed_directory_run_never_looks_complete_and_resume_finishes_it(
    parts28: Path, tmp_path: Path, sig: int
) -> None:
    out = tmp_path / "priced"
    previous = _previous_dir(out)
    staging = out / STAGING
    proc = _start(parts28, str(out) + "/", chunk=PART_ROWS)
    _wait_for(proc, lambda: len(list(staging.glob("part-*.parquet.json"))) >= 3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert err.splitlines() == [
            f"interrupted: {out}/ is as it was (no new {SUCCESS}); run again with --resume to keep the parts already priced"
        ]
    else:
        assert proc.returncode == -signal.SIGKILL
    assert _tree(out) == previous  # the previous complete output, marker and manifest untouched
    assert len(pd.read_parquet(out)) == 14  # readers see the previous output, not the new parts
    done = {p.name: p.stat().st_mtime_ns for p in staging.glob("part-*.parquet")}
    records = list(staging.glob("part-*.parquet.json"))
    assert 3 <= len(records) < 28, "the run was interrupted before its end"
    # a corrupted part is not trusted: it is computed again
    victim = sorted(r.name.removesuffix(".json") for r in records)[0]
    (staging / victim).write_bytes((staging / victim).read_bytes()[:-100] + b"\0" * 100)

    resumed = _start(parts28, str(out) + "/", "--resume", chunk=PART_ROWS)
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert err.startswith("280,000 rows, 20,000 errors")
    manifest = json.loads((out / MANIFEST).read_text())
    parts = manifest["parts"]
    assert [p["name"] for p in parts] == [f"part-{k:05d}.parquet" for k in range(28)]
    assert manifest["rows"] == 280_000 and sum(p["rows"] for p in parts) == 280_000
    assert all(_digest(out / p["name"]) == p["sha256"] for p in parts)
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, SUCCESS] + [p["name"] for p in parts])
    kept = {name for name, mtime in done.items() if (out / name).stat().st_mtime_ns == mtime}
    assert victim not in kept and kept == {r.name.removesuffix(".json") for r in records} - {victim}
    assert len(pd.read_parquet(out)) == 280_000


def test_exit_2_mid_run_leaves_the_previous_file(tmp_path: Path) -> None:
    parts = tmp_path / "in"
    parts.mkdir()
    table = pcsv.read_csv(EXAMPLE)
    pq.write_table(table, parts / "part-0.parquet")
    pq.write_table(table.drop_columns(["quote_id"]), parts / "part-1.parquet")  # a later part does not match
    out = tmp_path / "priced.csv"
    out.write_text("previous\n")
    run = run_cli("price-variants", parts, "-o", out, "--models", MODELS, "--chunk-rows", "5", "-q")
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1, run.stderr
    assert "columns do not match" in run.stderr
    assert out.read_text() == "previous\n" and sorted(os.listdir(tmp_path)) == ["in", "priced.csv"]


def test_ctrl_c_in_any_command_says_so_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer ends a Ctrl-C silently with 130; every command says it was interrupted."""

    def interrupted(path: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(dealopt.model.loading, "load_model", interrupted)
    res = CliRunner().invoke(app, ["validate", str(MODELS / "cloud-migration.yaml")])
    assert res.exit_code == 130
    assert res.stderr.splitlines() == ["interrupted"] and res.stdout == ""
