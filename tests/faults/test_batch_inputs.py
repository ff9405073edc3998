"""Issue 10, batch inputs read too trustingly: the ``model`` column opened any path (``/etc/passwd``, a secrets
file) and the error cell quoted its first characters; an input part file inside the ``-o`` directory was deleted
before it was read; a non-UTF-8 passthrough cell came back as ``b'caf\\xe9'``; a CSV with a duplicate column
name ended in ``internal error`` and a header-only output file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from conftest import MODELS
from dealopt.batch.options import OptionError
from dealopt.batch.pricing import price_variants, price_variants_file
from dealopt.interfaces.cli import app

EXAMPLE = MODELS / "quotes-example.csv"
SECRET = "sk-live-0123456789abcdef"


def _rows(model: str, n: int = 1) -> pd.DataFrame:
    frame = pd.read_csv(EXAMPLE, keep_default_na=False, na_values=[""]).iloc[:n].copy()
    frame["model"] = model
    return frame


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """A secrets file outside the models folder, and a models folder holding a link to it."""
    secret = tmp_path / "secrets.yaml"
    secret.write_text(f"api_key: {SECRET}\n")
    models = tmp_path / "models"
    models.mkdir()
    (models / "saas-renewal.yaml").write_text((MODELS / "saas-renewal.yaml").read_text())
    os.symlink(secret, models / "leak.yaml")
    return tmp_path


@pytest.mark.parametrize("cell", ["/etc/passwd", "{secret}", "../secrets.yaml", "models/../secrets.yaml", "~/x.yaml"])
def test_a_model_cell_that_is_a_path_is_refused_without_reading_it(secrets: Path, cell: str) -> None:
    cell = cell.format(secret=secrets / "secrets.yaml")
    out = price_variants(_rows(cell), secrets / "models").to_frame()
    error = out["error"].iloc[0]
    assert "is a path; expected a model name in" in error and "\n" not in error
    assert SECRET not in error and "root:" not in error


def test_a_symbolic_link_leading_out_of_the_models_folder_is_refused(secrets: Path) -> None:
    out = price_variants(_rows("leak"), secrets / "models").to_frame()
    assert "leads outside" in out["error"].iloc[0] and SECRET not in out["error"].iloc[0]
    ok = price_variants(_rows("saas-renewal", 3), secrets / "models").to_frame()
    assert ok["error"].isna().all()


def test_allowed_paths_are_read_but_their_contents_never_quoted(secrets: Path) -> None:
    cells = [str(secrets / "secrets.yaml"), "/etc/passwd", "leak", str(MODELS / "saas-renewal.yaml")]
    frame = pd.concat([_rows(c) for c in cells], ignore_index=True)
    out = price_variants(frame, secrets / "models", allow_model_paths=True).to_frame()
    errors = out["error"].tolist()
    for error in errors[:3]:
        assert "is not a valid model (" in error and "problem" in error, error
        assert SECRET not in error and "api_key" not in error and "root:" not in error, error
    assert pd.isna(errors[3])


def test_cli_flag_allows_paths(secrets: Path, tmp_path: Path) -> None:
    quotes = tmp_path / "q.csv"
    _rows(str(MODELS / "saas-renewal.yaml"), 2).to_csv(quotes, index=False)
    base = ["price-variants", str(quotes), "--models", str(secrets / "models"), "-q"]
    res = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "a.csv")["error"].str.contains("is a path").all()
    res = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "b.csv"), "--allow-model-paths"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "b.csv")["error"].isna().all()


def test_input_inside_the_output_is_refused_before_anything_is_deleted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    part = out / "part-00000.parquet"
    pq.write_table(pcsv.read_csv(EXAMPLE), part)
    before = part.read_bytes()
    for quotes, target in [(part, str(out) + "/"), (out, str(out) + "/"), (out, str(out / "sub") + "/")]:
        with pytest.raises(OptionError, match=r"^out: .*(is the input|holds the input|inside the input)"):
            price_variants_file(quotes, target, MODELS, quiet=True)
    assert part.read_bytes() == before and sorted(os.listdir(out)) == ["part-00000.parquet"]
    res = CliRunner().invoke(app, ["price-variants", str(part), "-o", str(out) + "/", "--models", str(MODELS)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "-o: " in res.output
    assert part.read_bytes() == before


@pytest.mark.parametrize("dst", ["out.csv", "out.parquet", "out/"])
def test_non_utf8_passthrough_cells_come_back_byte_for_byte(tmp_path: Path, dst: str) -> None:
    lines = EXAMPLE.read_bytes().splitlines()
    quotes = tmp_path / "q.csv"
    quotes.write_bytes(b"\n".join([lines[0] + b",note"] + [line + b",caf\xe9 cr\xe8me" for line in lines[1:4]]) + b"\n")
    run = price_variants_file(quotes, f"{tmp_path}/{dst}", MODELS, quiet=True)
    assert run.rows == 3 and run.errors == 0
    if dst.endswith(".csv"):
        out = (tmp_path / dst).read_bytes().splitlines()
        assert all(line.count(b'"caf\xe9 cr\xe8me"') == 1 for line in out[1:]) and b"b'" not in b"".join(out)
    else:
        table = pq.read_table(tmp_path / dst)
        assert table["note"].to_pylist() == [b"caf\xe9 cr\xe8me"] * 3  # binary column: the bytes as they came
    assert run.to_frame()["note"].tolist() == [b"caf\xe9 cr\xe8me"] * 3


def test_a_non_utf8_model_cell_is_a_row_error(tmp_path: Path) -> None:
    lines = EXAMPLE.read_bytes().splitlines()
    quotes = tmp_path / "q.csv"
    quotes.write_bytes(b"\n".join([lines[0], lines[1], lines[2].replace(b"saas-renewal", b"saas-r\xe9newal")]) + b"\n")
    got = price_variants_file(quotes, tmp_path / "o.parquet", MODELS, quiet=True).to_frame()
    assert pd.isna(got["error"][0]) and "model: not UTF-8 text" in got["error"][1]


@pytest.mark.parametrize("dst", ["o.csv", "o.parquet", "o/"])
def test_a_duplicate_column_name_is_one_line_exit_2_and_no_output(tmp_path: Path, dst: str) -> None:
    lines = EXAMPLE.read_text().splitlines()
    quotes = tmp_path / "q.csv"
    quotes.write_text("\n".join([lines[0] + ",quote_id"] + [line + ",X" for line in lines[1:]]) + "\n")
    res = CliRunner().invoke(app, ["price-variants", str(quotes), "-o", f"{tmp_path}/{dst}", "--models", str(MODELS)])
    assert res.exit_code == 2, res.output
    assert res.output.strip().splitlines() == [
        f"error: QUOTES: {quotes}: the column 'quote_id' appears more than once; expected each column name once"
    ]
    assert sorted(os.listdir(tmp_path)) == ["q.csv"]


@pytest.mark.parametrize("dst", ["out.csv", "out.parquet"])
def test_passthrough_cells_keep_their_text(tmp_path: Path, dst: str) -> None:
    lines = EXAMPLE.read_bytes().splitlines()
    quotes = tmp_path / "q.csv"
    cells = [b"007,0.10,1e3", b"0042,2.50,", b"13,-0,TRUE"]
    quotes.write_bytes(
        b"\n".join([lines[0] + b",crm_id,discount,flag"] + [a + b"," + c for a, c in zip(lines[1:4], cells)]) + b"\n"
    )
    price_variants_file(quotes, tmp_path / dst, MODELS, quiet=True)
    if dst.endswith(".csv"):
        out = pcsv.read_csv(
            tmp_path / dst,
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(["crm_id", "discount", "flag"], pa.string())
            ),
        )
    else:
        out = pq.read_table(tmp_path / dst)
    assert out["crm_id"].to_pylist() == ["007", "0042", "13"]
    assert out["discount"].to_pylist() == ["0.10", "2.50", "-0"]
    assert out["flag"].to_pylist() == ["1e3", "" if dst.endswith(".csv") else None, "TRUE"]  # empty stays empty
