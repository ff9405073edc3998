"""Model versions: every worker of one server serves the same snapshot, and a reload switches them all at once.

A snapshot is a copy of the model files' bytes under ``STATE/snapshots/VERSION/`` (VERSION: their content
hash), written once and never changed; ``STATE/current`` names the snapshot in force and is replaced
atomically. Workers never read the models folder: at start and before each request they follow ``current``
(one ``stat``), so a worker that restarts serves the same version as the others, and a changed, broken or
deleted model file changes nothing until a reload (``SIGHUP`` or ``POST /v1/admin/reload``). A reload reads
the folder, refuses a snapshot with an invalid model file (the version in force stays), and publishes the
new one: every request that starts after it is answered from the new version, by every worker.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from dealopt.errors import OptionError, ReloadRefused
from dealopt.service.catalog import Catalog, read_folder, version_of

__all__ = ["ModelStore", "Reload", "ReloadRefused"]

_KEEP = 3  # snapshots kept on disk (the one in force and the last ones before it)


@dataclass(frozen=True)
class Reload:
    """What a reload did."""

    previous: str
    version: str
    models: list[str]

    @property
    def changed(self) -> bool:
        """Whether the version in force changed."""
        return self.previous != self.version


class ModelStore:
    """The catalog in force for this process, kept in step with the shared snapshot pointer."""

    def __init__(self, models_dir: Path, state_dir: Path | None = None, catalog: Catalog | None = None) -> None:
        self.models_dir = Path(models_dir)
        if state_dir is None:
            state_dir = Path(tempfile.mkdtemp(prefix="dealopt-state-"))
            import weakref

            weakref.finalize(self, shutil.rmtree, state_dir, True)
        self.state_dir = Path(state_dir)
        self._pointer = self.state_dir / "current"
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        if catalog is not None:
            self._publish(_files_of(catalog), catalog.version)
            self._catalog = catalog
            self._seen = self._stamp()
        elif self._pointer.exists():
            self._catalog = self._follow()
        else:
            self._catalog = self.publish_folder(strict=False)

    @property
    def catalog(self) -> Catalog:
        """The catalog in force (after following the pointer, when another process moved it)."""
        stamp = self._stamp()
        if stamp != self._seen:
            with self._lock:
                if self._stamp() != self._seen:
                    self._catalog = self._follow()
        return self._catalog

    def reload(self) -> Reload:
        """Read the models folder and put it in force for every worker (refused if a model file is invalid)."""
        previous = self.catalog.version
        catalog = self.publish_folder(strict=True)
        with self._lock:
            self._catalog = catalog
            self._seen = self._stamp()
        return Reload(previous, catalog.version, sorted(catalog.deals))

    def publish_folder(self, strict: bool) -> Catalog:
        """Snapshot the models folder and make it the version in force; ``strict``: refuse any invalid file."""
        with self._exclusive():
            files = read_folder(self.models_dir)
            version = version_of(files)
            if version == self._current_version():
                return self._follow()
            catalog = Catalog.from_files(files, self.models_dir)
            if strict and catalog.problems:
                more = f" (and {len(catalog.problems) - 1} more)" if len(catalog.problems) > 1 else ""
                raise ReloadRefused(
                    f"reload refused: {catalog.problems[0][:300]}{more}; still serving version {self._current_version()}"
                )
            self._publish(files, version)
            return catalog

    # ---------------------------------------------------------------- files

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self._pointer)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns

    def _current_version(self) -> str | None:
        try:
            return self._pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None

    def _follow(self) -> Catalog:
        """The catalog of the snapshot the pointer names (compiled here, from the snapshot's bytes)."""
        for _ in range(5):  # the pointer may move while we read: read it again
            stamp = self._stamp()
            version = self._current_version()
            current: Catalog | None = getattr(self, "_catalog", None)
            if current is not None and current.version == version:
                self._seen = stamp
                return current
            folder = self.state_dir / "snapshots" / str(version)
            try:
                files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
            except FileNotFoundError:
                continue
            catalog = Catalog.from_files(files, self.models_dir)
            self._seen = stamp
            return catalog
        raise OptionError("state_dir", str(self.state_dir), f"a folder holding the snapshot of model version {version}")

    def _publish(self, files: dict[str, bytes], version: str) -> None:
        """Write the snapshot (once) and point ``current`` at it, atomically."""
        snapshots = self.state_dir / "snapshots"
        snapshots.mkdir(parents=True, exist_ok=True)
        target = snapshots / version
        if not target.exists():
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=snapshots))
            for name, data in files.items():
                (tmp / name).write_bytes(data)
            try:
                tmp.rename(target)
            except OSError:  # another process wrote the same snapshot first
                shutil.rmtree(tmp, ignore_errors=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".current-", dir=self.state_dir)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(version + "\n")
        os.replace(tmp_name, self._pointer)
        kept = sorted((p for p in snapshots.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
        for old in kept[:-_KEEP]:
            if old.name != version:
                shutil.rmtree(old, ignore_errors=True)

    def _exclusive(self) -> _FileLock:
        return _FileLock(self.state_dir / "reload.lock")


class _FileLock:
    """An exclusive lock shared by the processes of one server (one reload at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _files_of(catalog: Catalog) -> dict[str, bytes]:
    """The files a catalog was built from."""
    return dict(catalog.files)
