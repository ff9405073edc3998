"""The models the service serves: one snapshot of the model files (their bytes and a content hash), compiled once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dealopt.errors import ModelError, OptionError, Problem, UnknownModel
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.loading import model_from_text
from dealopt.model.reading import MAX_BYTES

__all__ = ["Catalog", "ModelSource", "UnknownModel", "read_folder", "version_of"]

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ModelSource:
    """One model file as it was read: what the solver processes compile again (same bytes, same model)."""

    filename: str
    data: bytes = field(repr=False)
    source: str  # the path shown in messages
    digest: str  # content hash of ``data``


def read_folder(folder: str | Path) -> dict[str, bytes]:
    """The bytes of every model file (``*.yaml``, ``*.yml``, ``*.json``) of ``folder``, by file name."""
    root = Path(folder)
    if not root.is_dir():
        raise OptionError("models_dir", str(root), "a folder of model files")
    files: dict[str, bytes] = {}
    for path in sorted(root.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if path.stat().st_size > MAX_BYTES:
            files[path.name] = b""  # refused when compiled, without reading it
            continue
        try:
            files[path.name] = path.read_bytes()
        except OSError:
            files[path.name] = b"\x00"  # unreadable: refused when compiled
    return files


def version_of(files: dict[str, bytes]) -> str:
    """The content hash of a set of model files (names and bytes): the model version every answer carries."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\x00" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()[:16]


def compile_source(src: ModelSource) -> CompiledDeal:
    """The compiled model of one file's bytes (the checks of ``load_model``, on bytes already read)."""

    def fail(message: str) -> ModelError:
        return ModelError([Problem("", message)], src.source)

    if not src.data:
        raise fail(f"empty, or larger than {MAX_BYTES:,} bytes; expected a YAML or JSON model file")
    try:
        text = src.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise fail("not UTF-8 text; expected a YAML or JSON file in UTF-8") from None
    if "\x00" in text:
        raise fail("the file holds NUL bytes or could not be read; expected a YAML or JSON text file")
    fmt = "json" if src.filename.lower().endswith(".json") else None
    return compile_model(model_from_text(text, src.source, fmt))


@dataclass
class Catalog:
    """Compiled models by name, their sources, and the version (content hash) of the whole snapshot."""

    deals: dict[str, CompiledDeal]
    problems: list[str]
    version: str = ""
    sources: dict[str, ModelSource] = field(default_factory=dict, repr=False)
    files: dict[str, bytes] = field(default_factory=dict, repr=False)  # every file read, served or not

    @classmethod
    def load(cls, folder: str | Path) -> Catalog:
        """Every valid model file of ``folder``; the invalid ones are listed, not served."""
        return cls.from_files(read_folder(folder), Path(folder))

    @classmethod
    def from_files(cls, files: dict[str, bytes], folder: Path) -> Catalog:
        """The catalog of model files' bytes (``folder`` only names them in messages)."""
        deals: dict[str, CompiledDeal] = {}
        sources: dict[str, ModelSource] = {}
        problems: list[str] = []
        for name in sorted(files):
            src = ModelSource(name, files[name], str(folder / name), hashlib.sha256(files[name]).hexdigest()[:16])
            try:
                deal = compile_source(src)
            except ModelError as exc:
                problems.extend(exc.lines())
                continue
            if deal.name in deals:
                problems.append(f"{src.source}: a second model named {deal.name!r}; it is not served")
                continue
            deals[deal.name] = deal
            sources[deal.name] = src
        return cls(deals, problems, version_of(files), sources, dict(files))

    def get(self, name: str) -> CompiledDeal:
        """The model called ``name``."""
        try:
            return self.deals[name]
        except KeyError:
            shown = name if len(name) <= 60 else name[:57] + "…"
            raise UnknownModel(f"no model named {shown!r}; expected one of {', '.join(sorted(self.deals))}") from None
