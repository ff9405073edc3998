"""Files of quote variants: CSV, Parquet and partitioned Parquet in; Parquet, CSV or Parquet parts out.

Input is cut into tasks of about ``chunk_rows`` rows along Parquet row groups, so that
each task (in process or on a Dask worker) reads only its own rows. Output is written
with ``pq.ParquetWriter`` or ``pyarrow.csv.CSVWriter`` chunk by chunk in input order,
or as one Parquet part file per task.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dealopt.batch.options import OptionError
from dealopt.batch.pricing.frame import FLOAT_COLUMNS, OUTPUT_COLUMNS, OUTPUT_FIELDS

__all__ = ["PARQUET", "Quotes", "Task", "Writer", "output_kind", "read_task", "run_key"]

PARQUET = (".parquet", ".pq", ".parq")
#: Decimals kept in CSV output: money to the cent, shares to 0.01 %, probabilities to 0.0001.
CSV_DECIMALS = {**dict.fromkeys(FLOAT_COLUMNS, 2), "win_probability": 4}


@dataclass(frozen=True)
class Task:
    """One chunk of work: a slice of a table read in memory, or row groups of one Parquet file."""

    index: int
    first_row: int
    rows: int
    models_dir: str
    cwd: str | None  # model cells that are paths are read from here; None: names in models_dir only
    table: pa.Table | None = None
    path: str | None = None
    row_groups: tuple[int, ...] = ()
    batch_rows: int = 250_000
    part: str | None = None  # the part file to write


def _quotes_error(path: Path, detail: str) -> OptionError:
    return OptionError("quotes", f"{path}: {detail}")


class Quotes:
    """An input file cut into tasks of about ``chunk_rows`` rows, with the output schema."""

    def __init__(self, path: Path, chunk_rows: int, models_dir: Path, cwd: Path | None) -> None:
        self.models_dir, self.cwd = str(models_dir), None if cwd is None else str(cwd)
        self.chunk_rows = chunk_rows
        self.tasks: list[Task] = []
        if path.is_dir() or path.suffix.lower() in PARQUET:
            self._parquet(path)
        elif path.suffix.lower() == ".csv":
            table = _read_csv(path)
            _unique_columns(path, table.column_names)
            table = table.drop_columns([c for c in table.column_names if c in OUTPUT_COLUMNS])
            self.rows = table.num_rows
            self.schema = pa.schema(list(table.schema) + OUTPUT_FIELDS)
            for i, s in enumerate(range(0, self.rows, chunk_rows)):
                piece = table.slice(s, chunk_rows)
                self.tasks.append(Task(i, s + 1, piece.num_rows, self.models_dir, self.cwd, table=piece))
        else:
            raise _quotes_error(
                path,
                f"unknown format {path.suffix or '(no extension)'!r}; "
                "expected a .csv or .parquet file, or a directory of Parquet part files",
            )

    def _parquet(self, path: Path) -> None:
        try:
            found = ds.dataset(str(path), format="parquet")  # skips files and folders starting with _ or .
            files = sorted(f for f in found.files if f.lower().endswith(PARQUET))
            if not files:
                raise _quotes_error(path, "no .parquet files in this directory; expected Parquet part files")
            dataset = ds.dataset(files, format="parquet")
            schema = dataset.schema.remove_metadata()
            fragments = list(dataset.get_fragments())
            metas = [frag.metadata for frag in fragments]
        except (pa.ArrowInvalid, OSError) as exc:
            raise _quotes_error(
                path, f"not a readable Parquet file ({str(exc).splitlines()[0]}); expected Parquet"
            ) from None
        _unique_columns(path, schema.names)
        keep = [f for f in schema if f.name not in OUTPUT_COLUMNS and not f.name.startswith("__index_level_")]
        self.schema = pa.schema(keep + OUTPUT_FIELDS)
        offset = 0
        for frag, meta in zip(fragments, metas):
            group: list[int] = []
            size = 0
            for rg in range(meta.num_row_groups):
                rows = meta.row_group(rg).num_rows
                if group and size + rows > self.chunk_rows:
                    self._add(frag.path, group, offset, size)
                    offset += size
                    group, size = [], 0
                group.append(rg)
                size += rows
            if group:
                self._add(frag.path, group, offset, size)
                offset += size
        self.rows = offset

    def _add(self, path: str, groups: list[int], offset: int, size: int) -> None:
        self.tasks.append(
            Task(
                len(self.tasks),
                offset + 1,
                size,
                self.models_dir,
                self.cwd,
                path=path,
                row_groups=tuple(groups),
                batch_rows=self.chunk_rows,
            )
        )


def read_task(task: Task, schema: pa.Schema) -> Iterator[pa.Table]:
    """The task's input rows, in batches, with the columns of ``schema`` that are not outputs."""
    in_schema = pa.schema([f for f in schema if f.name not in OUTPUT_COLUMNS])
    names = [f.name for f in in_schema]
    if task.table is not None:
        yield task.table.select(names)
        return
    assert task.path is not None
    pf = pq.ParquetFile(task.path)
    for batch in pf.iter_batches(batch_size=task.batch_rows, row_groups=list(task.row_groups)):
        try:
            yield pa.Table.from_batches([batch]).select(names).cast(in_schema)
        except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise OptionError(
                "quotes",
                f"{task.path}: columns do not match those of the first part file "
                f"({str(exc).splitlines()[0]}); expected part files with the same columns",
            ) from None


_NOT_UTF8 = re.compile(r"CSV column #(\d+): CSV conversion error to string: invalid UTF8")


def _is_passthrough(name: str) -> bool:
    """A column pricing only carries along (not ``model``, ``base.*`` or ``variant.*``)."""
    return name != "model" and not name.startswith(("base.", "variant."))


def _read_csv(path: Path) -> pa.Table:
    """The CSV file as a table: passthrough columns as text (bytes when not UTF-8), cells as written; the
    others typed when every cell fits the type, text otherwise."""

    def read(types: dict[str, pa.DataType]) -> pa.Table:
        options = pcsv.ConvertOptions(
            null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True, column_types=types
        )
        return pcsv.read_csv(path, convert_options=options)

    def read_text(types: dict[str, pa.DataType]) -> pa.Table:
        """``read``, with a text column that is not UTF-8 read as bytes instead."""
        while True:
            try:
                return read(types)
            except pa.ArrowInvalid as exc:
                found = _NOT_UTF8.search(str(exc))
                if found is None or types.get(names[int(found.group(1))]) != pa.string():
                    raise
                types = {**types, names[int(found.group(1))]: pa.binary()}

    try:
        with pcsv.open_csv(path) as header:
            names = header.schema.names
        passthrough = {n: pa.string() for n in names if _is_passthrough(n)}
        try:
            return read_text(passthrough)
        except pa.ArrowInvalid as exc:
            if "conversion error" not in str(exc).lower():
                raise
            # a later cell does not fit the type inferred from the first block: read every column as text
            return read_text({**dict.fromkeys(names, pa.string()), **passthrough})
    except pa.ArrowInvalid as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        if "empty" in text.lower():
            raise _quotes_error(path, "empty file; expected a CSV file with a header row") from None
        raise _quotes_error(path, f"not a readable CSV file ({text}); expected a CSV file of quote variants") from None
    except IsADirectoryError:
        raise _quotes_error(path, "a directory; expected a CSV file") from None
    except OSError as exc:
        raise _quotes_error(path, f"cannot read ({exc.strerror or exc}); expected a readable CSV file") from None


def output_kind(out: str, quotes: Path | None) -> str:
    """``csv``, ``parquet`` or ``parts`` (a directory of part files), checked before anything runs."""
    path = Path(out).expanduser()
    if quotes is not None:
        where, source = path.resolve(), quotes.resolve()
        if where == source:
            raise OptionError("out", f"{out} is the input; expected another path")
        if where in source.parents:
            raise OptionError("out", f"{out} holds the input {quotes}; expected an output outside the input")
        if source in where.parents:
            raise OptionError("out", f"{out} is inside the input {quotes}; expected an output outside the input")
    if path.is_dir() or out.endswith(("/", "\\")):
        if path.exists() and not path.is_dir():
            raise OptionError("out", f"{out} is a file; expected a directory for Parquet part files")
        return "parts"
    suffix = path.suffix.lower()
    if suffix not in (*PARQUET, ".csv"):
        raise OptionError(
            "out",
            f"{out}: unknown format {path.suffix or '(no extension)'!r}; "
            "expected a .parquet or .csv file, or a directory (ending in /) for Parquet part files",
        )
    if not path.parent.is_dir():
        raise OptionError("out", f"{out}: the directory {path.parent} does not exist; expected an existing directory")
    return "csv" if suffix == ".csv" else "parquet"


def run_key(quotes: Path, models_dir: Path, chunk_rows: int, allow_model_paths: bool) -> dict[str, Any]:
    """What makes a run's parts reusable by another: the input files, the model files and the chunking."""

    def stats(root: Path, files: list[Path]) -> list[list[Any]]:
        out = []
        for f in sorted(files):
            st = f.stat()
            out.append([str(f.relative_to(root)) if f != root else f.name, st.st_size, st.st_mtime_ns])
        return out

    inputs = [f for f in quotes.rglob("*") if f.is_file()] if quotes.is_dir() else [quotes]
    models = [f for f in models_dir.iterdir() if f.is_file()]
    return {
        "quotes": str(quotes.resolve()),
        "inputs": stats(quotes, inputs),
        "models": stats(models_dir, models),
        "chunk_rows": chunk_rows,
        "allow_model_paths": allow_model_paths,
    }


def _unique_columns(path: Path, names: list[str]) -> None:
    """Refuse a table whose header names a column twice (a row could not say which cell it means)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _quotes_error(path, f"the column {name!r} appears more than once; expected each column name once")
        seen.add(name)


def for_csv(table: pa.Table) -> pa.Table:
    """Money to the cent (shares and probabilities to their decimals), dictionaries as text, bytes as they came."""
    cols = []
    for name, col in zip(table.column_names, table.columns):
        if name in CSV_DECIMALS:
            col = pc.round(col, CSV_DECIMALS[name])
        elif pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        elif pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            # text that is not UTF-8 (read as bytes): written back byte for byte
            text = pa.large_string() if pa.types.is_large_binary(col.type) else pa.string()
            col = pa.chunked_array([chunk.view(text) for chunk in col.chunks], type=text)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


class Writer:
    """Writes tables one after another into one Parquet or CSV file."""

    def __init__(self, path: Path, kind: str, schema: pa.Schema) -> None:
        self.kind = kind
        if kind == "parquet":
            self._writer: pq.ParquetWriter | pcsv.CSVWriter = pq.ParquetWriter(str(path), schema)
        else:
            self._writer = pcsv.CSVWriter(str(path), for_csv(schema.empty_table()).schema)

    def write(self, table: pa.Table) -> None:
        """Append ``table``."""
        self._writer.write_table(table if self.kind == "parquet" else for_csv(table))

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()
