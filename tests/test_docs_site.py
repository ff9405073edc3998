"""The documentation site covers the public API (the site itself is built by ``mkdocs build --strict`` in CI)."""

import importlib
import re
from pathlib import Path

import yaml

import dealopt

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _documented() -> set[str]:
    """The objects the API reference renders (``::: module.name`` or a whole ``::: module``)."""
    found: set[str] = set()
    for page in (DOCS / "api").glob("*.md"):
        for path in re.findall(r"^::: ([\w.]+)$", page.read_text(), flags=re.M):
            try:
                module = importlib.import_module(path)
            except ImportError:
                module_name, _, attr = path.rpartition(".")
                found.add(f"{getattr(importlib.import_module(module_name), attr).__module__}.{attr}")
            else:
                found.update(f"{path}.{n}" for n in getattr(module, "__all__", ()))
    return found


def test_every_public_name_has_an_api_reference_entry() -> None:
    documented = _documented()
    missing = [n for n in dealopt.__all__ if f"{getattr(dealopt, n).__module__}.{n}" not in documented]
    assert not missing, f"add these to docs/api/: {missing}"


def test_every_page_is_in_the_navigation() -> None:
    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("tag:", lambda loader, suffix, node: None)  # material's !!python/name tags
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)

    def pages(nav: object) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for item in nav for p in pages(item)]
        if isinstance(nav, dict):
            return [p for value in nav.values() for p in pages(value)]
        return []

    listed = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk == listed
