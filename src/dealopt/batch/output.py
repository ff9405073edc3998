"""Batch output that never looks complete before it is: files renamed into place, part directories sealed.

A file is written to a hidden temporary sibling (``.NAME.tmp-PID``) and renamed over the target
only once complete; on any failure or interruption the sibling is removed and a previous file of
that name is left as it was.

A directory of Parquet part files is built in ``OUT/_partial/`` (readers skip names starting with
``_``): each part is written under a temporary name, renamed, and described by a sidecar record
(rows, errors, SHA-256). Once every part is there, the marker and parts of the previous output are
removed, the new parts moved in, ``_manifest.json`` (part names, rows, checksums) written, and
``_SUCCESS`` written last: a directory without ``_SUCCESS`` is not a complete output. With
``resume``, a part whose record matches its file's checksum (in ``_partial/`` or in the previous
output's manifest, for the same input) is kept and not computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "MANIFEST",
    "STAGING",
    "SUCCESS",
    "PartRecord",
    "PartsOutput",
    "atomic_file",
    "file_digest",
    "write_part",
]

MANIFEST = "_manifest.json"
SUCCESS = "_SUCCESS"
STAGING = "_partial"
_RUN = "_run.json"
_FORMAT = "dealopt-parts/1"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temporary sibling to write; renamed to ``path`` when the block ends normally, removed otherwise."""
    tmp = _temporary(path)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def _write_json(path: Path, data: Any) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class PartRecord:
    """One finished part file: its name, rows, error rows, checksum, and the issue kinds of its columns."""

    name: str
    rows: int
    errors: int
    sha256: str
    kinds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PartRecord:
        """The record as stored in JSON."""
        return cls(str(data["name"]), int(data["rows"]), int(data["errors"]), str(data["sha256"]), dict(data["kinds"]))


def _sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def write_part(table: pa.Table, path: Path, kinds: dict[str, str]) -> PartRecord:
    """Write ``table`` as the part file ``path`` (complete or absent) and its record beside it."""
    with atomic_file(path) as tmp:
        pq.write_table(table, str(tmp))
        digest = file_digest(tmp)
    errors = table.num_rows - table["error"].null_count
    record = PartRecord(path.name, table.num_rows, errors, digest, kinds)
    _write_json(_sidecar(path), asdict(record))
    return record


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class PartsOutput:
    """A directory of part files being built in ``_partial/`` and sealed with a manifest and ``_SUCCESS``."""

    def __init__(self, out: Path, run: dict[str, Any], resume: bool = False) -> None:
        self.out = out
        self.staging = out / STAGING
        self.run = run
        self.resume = resume

    def prepare(self, rows: dict[str, int]) -> dict[str, PartRecord]:
        """Start (or, with ``resume``, continue) the run of parts ``rows`` (name → rows); the parts already done."""
        self.out.mkdir(parents=True, exist_ok=True)
        if self.staging.exists() and not (self.resume and _read_json(self.staging / _RUN) == self.run):
            shutil.rmtree(self.staging)
        self.staging.mkdir(exist_ok=True)
        _write_json(self.staging / _RUN, self.run)
        if not self.resume:
            return {}
        done: dict[str, PartRecord] = {}
        previous = self._previous()
        for name, count in rows.items():
            record = self._staged(name) or self._reuse(previous.get(name))
            if record is not None and record.rows == count:
                done[name] = record
        return done

    def part(self, name: str) -> Path:
        """Where the part ``name`` is written while the run goes on."""
        return self.staging / name

    def _staged(self, name: str) -> PartRecord | None:
        data = _read_json(_sidecar(self.staging / name))
        try:
            record = PartRecord.from_dict(data)
        except (TypeError, KeyError, ValueError):
            return None
        path = self.staging / name
        if record.name != name or not path.is_file() or file_digest(path) != record.sha256:
            return None
        return record

    def _previous(self) -> dict[str, PartRecord]:
        """The previous complete output's parts, when it was made from the same input."""
        manifest = _read_json(self.out / MANIFEST)
        if not (self.out / SUCCESS).exists() or not isinstance(manifest, dict) or manifest.get("run") != self.run:
            return {}
        try:
            return {p["name"]: PartRecord.from_dict(p) for p in manifest["parts"]}
        except (TypeError, KeyError, ValueError):
            return {}

    def _reuse(self, record: PartRecord | None) -> PartRecord | None:
        """A previous output's part, verified by its checksum, linked (or copied) into ``_partial/``."""
        if record is None:
            return None
        src = self.out / record.name
        if not src.is_file() or file_digest(src) != record.sha256:
            return None
        dst = self.staging / record.name
        dst.unlink(missing_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
        _write_json(_sidecar(dst), asdict(record))
        return record

    def commit(self, records: list[PartRecord]) -> None:
        """Replace the previous output's parts with the new ones; the manifest, then ``_SUCCESS``, last."""
        (self.out / SUCCESS).unlink(missing_ok=True)
        (self.out / MANIFEST).unlink(missing_ok=True)
        for old in self.out.glob("part-*.parquet"):
            old.unlink()
        for record in records:
            os.replace(self.staging / record.name, self.out / record.name)
        _write_json(
            self.out / MANIFEST,
            {
                "format": _FORMAT,
                "rows": sum(r.rows for r in records),
                "errors": sum(r.errors for r in records),
                "parts": [asdict(r) for r in records],
                "run": self.run,
            },
        )
        with atomic_file(self.out / SUCCESS) as tmp:
            tmp.write_bytes(b"")
        shutil.rmtree(self.staging, ignore_errors=True)
