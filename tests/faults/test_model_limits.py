"""Issue 10, limits before cost: an 18.8 MB YAML model (under the 20 MB cap) ran > 120 s at 1.5 GB, because the
node cap was checked after the pure-Python composer had built every node. Nodes are now counted on libyaml's
parser events (JSON: on its tokens) before any is built, and a file past the cap is refused in one line naming
the file and the line where the cap was passed. CI-sized: the cap is lowered, the file is ~1 MB."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

import dealopt
from conftest import MODELS
from dealopt.errors import ModelError
from dealopt.model import reading

CAP = 20_000
SAAS = MODELS / "saas-renewal.yaml"


@pytest.fixture
def low_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(reading, "MAX_NODES", CAP)
    return CAP


def _refused_quickly(path: Path) -> ModelError:
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ModelError) as info:
        dealopt.load_model(path)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = path.stat().st_size
    assert seconds < 1.0, seconds
    # far less than building the nodes would take (a PyYAML node is ~500 bytes; 250k of them here)
    assert peak < 4 * size + (8 << 20), peak
    lines = info.value.lines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:")
    assert f"more than {CAP:,} values" in lines[0]
    return info.value


def test_a_yaml_file_of_many_nodes_is_refused_while_parsing(tmp_path: Path, low_cap: int) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(SAAS.read_text() + "extra:\n" + "".join(f"  - {{a: {k}}}\n" for k in range(125_000)))
    exc = _refused_quickly(path)
    first = SAAS.read_text().count("\n") + 2
    assert exc.problems[0].line is not None and first < exc.problems[0].line < first + CAP


def test_a_flow_list_on_one_line_is_refused(tmp_path: Path, low_cap: int) -> None:
    path = tmp_path / "flow.yaml"
    path.write_text(SAAS.read_text() + "extra: [" + ",".join("1" for _ in range(500_000)) + "]\n")
    _refused_quickly(path)


def test_a_json_file_of_many_values_is_refused_before_it_is_built(tmp_path: Path, low_cap: int) -> None:
    data = yaml.safe_load(SAAS.read_text())
    data["extra"] = [{"a": 1}] * 125_000
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data))
    _refused_quickly(path)


def test_under_the_cap_models_load_with_their_line_numbers(tmp_path: Path, low_cap: int) -> None:
    assert dealopt.load_model(SAAS).name == "saas-renewal"
    path = tmp_path / "bad.yaml"
    path.write_text(SAAS.read_text().replace("max: 400, step: 50", "max: 400, step: -50"))
    with pytest.raises(ModelError) as info:
        dealopt.load_model(path)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "step: -50" in text)
    assert any(p.line == line for p in info.value.problems), info.value.lines()


def test_yaml_errors_keep_their_line_and_words(tmp_path: Path) -> None:
    path = tmp_path / "tab.yaml"
    path.write_text("format: dealopt/1\nname: x\n\ttitle: y\n")
    with pytest.raises(ModelError) as info:
        dealopt.load_model(path)
    assert info.value.lines() == [
        f"{path}:3: YAML syntax error: found character '\\t' that cannot start any token; expected valid YAML"
    ]
