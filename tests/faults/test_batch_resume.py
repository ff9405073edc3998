"""Issue 10, restartable batch output, in process: ``resume`` keeps only parts verified by their checksum and
made from the same input; a failure mid-run leaves the previous output complete and readable; a sweep's output
is renamed into place (a failed write leaves the previous file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from conftest import MODELS
from dealopt.batch.output import MANIFEST, STAGING, SUCCESS
from dealopt.batch.pricing import api, price_variants_file
from dealopt.batch.sweep import parse_vary, sweep

EXAMPLE = MODELS / "quotes-example.csv"


@pytest.fixture
def quotes(tmp_path: Path) -> Path:
    path = tmp_path / "q.parquet"
    pq.write_table(pa.concat_tables([pcsv.read_csv(EXAMPLE)] * 10), path, row_group_size=14)
    return path


def _mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}


def _run(quotes: Path, out: Path, **kw: object):
    return price_variants_file(quotes, f"{out}/", MODELS, quiet=True, chunk_rows=14, **kw)


def test_resume_recomputes_only_a_corrupted_or_missing_part(quotes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _run(quotes, out)
    assert first.rows == 140 and (out / SUCCESS).exists() and not (out / STAGING).exists()
    expected = pd.read_parquet(out)
    before = _mtimes(out)
    (out / "part-00003.parquet").write_bytes(b"garbage")
    (out / "part-00007.parquet").unlink()
    again = _run(quotes, out, resume=True)
    assert again.rows == 140 and again.errors == first.errors
    after = _mtimes(out)
    assert {n for n in before if after[n] != before[n]} == {"part-00003.parquet", "part-00007.parquet"}
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["rows"] == 140 and len(manifest["parts"]) == 10


def test_resume_after_the_input_changed_recomputes_everything(quotes: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(quotes, out)
    before = _mtimes(out)
    table = pq.read_table(quotes)
    pq.write_table(table.slice(0, 70), quotes, row_group_size=14)
    again = _run(quotes, out, resume=True)
    assert again.rows == 70
    assert sorted(_mtimes(out)) == [f"part-{k:05d}.parquet" for k in range(5)]
    assert all(before[n] != m for n, m in _mtimes(out).items())


def test_a_failure_mid_run_keeps_the_previous_output_and_resume_finishes(
    quotes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    (tmp_path / "small.csv").write_bytes(EXAMPLE.read_bytes())
    price_variants_file(tmp_path / "small.csv", f"{out}/", MODELS, quiet=True)
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    real = api.price_table
    calls = {"n": 0}

    def failing(*args: object, **kw: object):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("disk on fire")
        return real(*args, **kw)

    monkeypatch.setattr(api, "price_table", failing)
    with pytest.raises(RuntimeError):
        _run(quotes, out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == previous
    assert len(pd.read_parquet(out)) == 14
    assert len(list((out / STAGING).glob("part-*.parquet"))) == 3
    calls["n"] = -100
    _run(quotes, out, resume=True)
    assert calls["n"] == -100 + 7  # only the 7 parts not done
    assert len(pd.read_parquet(out)) == 140 and (out / SUCCESS).exists()


def test_a_failed_sweep_write_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sweep.parquet"
    out.write_bytes(b"previous")

    def broken(self: pd.DataFrame, path: str, **kw: object) -> None:
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(Exception, match="No space left"):
        sweep(MODELS / "saas-renewal.yaml", parse_vary(["seller_walk_away=0:100000:3"]), out=out)
    assert out.read_bytes() == b"previous" and os.listdir(tmp_path) == ["sweep.parquet"]
