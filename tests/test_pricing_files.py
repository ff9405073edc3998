"""Quote-variant pricing file to file: CSV, Parquet and partitioned Parquet in and out, the CLI, and Dask
(a local cluster of our own; an existing cluster reached by its address: test_dask_cluster.py) giving the same
output as the in-process run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from conftest import MODELS
from dealopt.batch.options import OptionError
from dealopt.batch.pricing import OUTPUT_COLUMNS, price_variants, price_variants_file
from dealopt.interfaces.cli.batch import register
from test_pricing import _saas, random_rows


def _example(n: int = 400) -> pd.DataFrame:
    """A mixed batch: two models, bad rows among them."""
    a = random_rows(MODELS / "saas-renewal.yaml", "saas-renewal", n // 2, seed=11)
    b = random_rows(MODELS / "hardware-supply.yaml", "hardware-supply", n // 2, seed=12)
    frame = pd.concat([a, b], ignore_index=True).sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame.loc[5, "base.support"] = "gold"
    frame.loc[9, "model"] = "nope"
    return frame


def _same(a: pd.DataFrame, b: pd.DataFrame, cents: bool = False) -> None:
    """Same rows, same order, same values (nulls compare equal; money to the cent when ``cents``)."""
    assert len(a) == len(b)
    for c in OUTPUT_COLUMNS:
        x = a[c].astype(object).where(a[c].notna(), None).tolist()
        y = b[c].astype(object).where(b[c].notna(), None).tolist()
        if cents and c not in ("approval", "error") and a[c].dtype == "Float64":
            x = [None if v is None else round(float(v), 2 if c != "win_probability" else 4) for v in x]
            y = [None if v is None else round(float(v), 2 if c != "win_probability" else 4) for v in y]
        assert x == y, c
    assert a["quote_id"].tolist() == b["quote_id"].tolist()


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("batch")
    frame = _example()
    frame.to_csv(d / "in.csv", index=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, d / "in.parquet", row_group_size=64)
    parts = d / "in-parts"
    parts.mkdir()
    for k, s in enumerate(range(0, len(frame), 150)):
        pq.write_table(table.slice(s, 150), parts / f"part-{k}.parquet", row_group_size=50)
    (parts / "_SUCCESS").write_text("")  # ignored, as Spark and Dask leave them
    expected = price_variants(pd.read_csv(d / "in.csv", keep_default_na=False, na_values=[""]), MODELS).to_frame()
    return {"dir": d, "frame": frame, "expected": expected, "parts": parts}


@pytest.mark.parametrize("src", ["in.csv", "in.parquet", "in-parts"])
@pytest.mark.parametrize("dst", ["out.csv", "out.parquet", "out-parts/"])
def test_files_in_and_out(batch: dict[str, Any], src: str, dst: str) -> None:
    d: Path = batch["dir"]
    out = d / f"{Path(src).stem}-{dst.rstrip('/')}"
    target = str(out) + ("/" if dst.endswith("/") else "")
    run = price_variants_file(d / src, target, MODELS, quiet=True, chunk_rows=100)
    assert run.rows == 400 and run.errors == int(batch["expected"]["error"].notna().sum())
    got = run.to_frame()
    if dst.endswith("/"):
        names = sorted(p.name for p in out.glob("*.parquet"))
        assert len(names) > 1 and names[0] == "part-00000.parquet"  # one part per chunk, in order
    _same(got, batch["expected"], cents=dst.endswith(".csv"))
    assert np.allclose(got["base.price"].astype(float), batch["frame"]["base.price"].astype(float), equal_nan=True)
    assert got["zopa"].dtype == "boolean" and got["base.seats"].dtype == "Int64"


def test_csv_money_is_rounded_to_the_cent(batch: dict[str, Any]) -> None:
    d: Path = batch["dir"]
    price_variants_file(d / "in.parquet", d / "cents.csv", MODELS, quiet=True)
    text = (d / "cents.csv").read_text().splitlines()
    header = text[0].split(",")
    col = header.index('"break_even_price"') if '"break_even_price"' in header else header.index("break_even_price")
    decimals = [len(v.split(".")[1]) for v in (line.split(",")[col] for line in text[1:]) if "." in v]
    assert decimals and max(decimals) <= 2


def test_partitioned_chunks_follow_row_groups(batch: dict[str, Any]) -> None:
    from dealopt.batch.pricing.files import Quotes

    src = Quotes(batch["parts"], 100, MODELS, Path.cwd())
    assert src.rows == 400
    assert [t.rows for t in src.tasks] == [100, 50, 100, 50, 100]
    assert [t.first_row for t in src.tasks] == [1, 101, 151, 251, 301]
    assert all(t.table is None for t in src.tasks)  # workers read their own row groups


def test_row_numbers_count_across_part_files(batch: dict[str, Any]) -> None:
    d: Path = batch["dir"]
    got = price_variants_file(batch["parts"], d / "numbered.parquet", MODELS, quiet=True, chunk_rows=30).to_frame()
    assert got.loc[5, "error"].startswith("row 6 ") and got.loc[9, "error"].startswith("row 10 ")


def test_csv_with_text_in_a_number_column(tmp_path: Path) -> None:
    frame = pd.DataFrame([_saas()] * 3000 + [_saas(**{"base.seats": "three hundred"})])
    frame.to_csv(tmp_path / "q.csv", index=False)
    got = price_variants_file(tmp_path / "q.csv", tmp_path / "o.csv", MODELS, quiet=True).to_frame()
    assert len(got) == 3001 and got["error"].notna().sum() == 1
    assert "base.seats: 'three hundred' is not a number" in got["error"].iloc[-1]


@pytest.mark.parametrize(
    ("quotes", "out", "message"),
    [
        ("missing.csv", "o.csv", "quotes: missing.csv: no such file or directory"),
        ("q.txt", "o.csv", "unknown format '.txt'"),
        ("empty.csv", "o.csv", "empty file"),
        ("junk.parquet", "o.csv", "not a readable Parquet file"),
        ("q.csv", "o.json", "out: "),
        ("q.csv", "nowhere/o.csv", "does not exist"),
        ("q.csv", "q.csv", "is the input"),
    ],
)
def test_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quotes: str, out: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame([_saas()]).to_csv("q.csv", index=False)
    Path("q.txt").write_text("x")
    Path("empty.csv").write_text("")
    Path("junk.parquet").write_text("not parquet")
    with pytest.raises(OptionError) as exc:
        price_variants_file(quotes, out, MODELS, quiet=True)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert "--" not in str(exc.value)  # library messages name arguments, not flags


def test_the_models_folder_is_checked_before_any_row(tmp_path: Path) -> None:
    pd.DataFrame([_saas()] * 5).to_csv(tmp_path / "q.csv", index=False)
    with pytest.raises(OptionError, match=r"models_dir: .*: no such directory"):
        price_variants_file(tmp_path / "q.csv", tmp_path / "o.csv", tmp_path / "nowhere", quiet=True)
    assert not (tmp_path / "o.csv").exists()


# ---------------------------------------------------------------- CLI


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """dealopt"""

    register(app)
    return app


def test_cli_prices_and_prints_the_summary(tmp_path: Path) -> None:
    args = ["price-variants", str(MODELS / "quotes-example.csv"), "-o", str(tmp_path / "o.parquet")]
    res = CliRunner().invoke(_app(), [*args, "--models", str(MODELS)])
    assert res.exit_code == 0, res.output
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("14 rows, 1 error, ") and line.endswith("rows/s (in process)")
    assert len(pq.read_table(tmp_path / "o.parquet")) == 14


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "-o", "o.csv"], "error: QUOTES: missing.csv: no such file or directory"),
        (["q.csv", "-o", "o.txt"], "error: -o: o.txt: unknown format '.txt'"),
        (["q.csv", "-o", "o.csv", "--workers", "0"], "error: --workers: 0; expected a number in [1, 4096]"),
        (
            ["q.csv", "-o", "o.csv", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "error: --workers and --scheduler: give one",
        ),
        (["q.csv", "-o", "o.csv", "--scheduler", "localhost"], "error: --scheduler: 'localhost'; expected an address"),
        (["q.csv", "-o", "o.csv", "--models", "nowhere"], "error: --models: "),
        (["q.csv", "-o", "o.csv", "--models", "."], "error: --models: "),
        (["q.csv", "-o", "o.csv", "--chunk-rows", "0"], "error: --chunk-rows: 0; expected a number ≥ 1"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    pd.DataFrame([_saas()]).to_csv("q.csv", index=False)
    if "--models" not in args:
        args = [*args, "--models", str(MODELS)]
    res = CliRunner().invoke(_app(), ["price-variants", *args])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [res.stderr.strip()] and res.stderr.startswith(message), res.stderr
    assert not Path("o.csv").exists()


def test_through_the_dealopt_entry_point(tmp_path: Path) -> None:
    """``dealopt price-variants`` as the console script runs it."""
    from cli_runner import run_cli

    run = ["price-variants", str(MODELS / "quotes-example.csv"), "--models", str(MODELS)]
    ok = run_cli(*run, "-o", str(tmp_path / "o.csv"), "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr.startswith("14 rows, 1 error, ") and len(ok.stderr.splitlines()) == 1
    bad = run_cli(*run, "-o", str(tmp_path / "o.xlsx"))
    assert bad.returncode == 2 and bad.stderr.startswith("error: -o: ") and len(bad.stderr.splitlines()) == 1


# ---------------------------------------------------------------- Dask


def test_local_cluster_gives_the_same_output(batch: dict[str, Any]) -> None:
    d: Path = batch["dir"]
    price_variants_file(batch["parts"], d / "local.parquet", MODELS, quiet=True, chunk_rows=60)
    run = price_variants_file(batch["parts"], str(d / "dask-parts") + "/", MODELS, workers=2, quiet=True, chunk_rows=60)
    assert run.where == "local Dask cluster of 2 processes" and run.rows == 400
    assert pq.read_table(d / "dask-parts").equals(pq.read_table(d / "local.parquet"))
