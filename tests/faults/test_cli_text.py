"""Model text is printed literally (issue 10, point 5): Rich markup and terminal escapes in a model are shown, not
obeyed, by show, frontier, trades and counter — and by --proposal-only, which a rep pastes to the buyer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealopt.interfaces.cli import app

ROOT = Path(__file__).resolve().parents[2]
ESC = "\x1b"
OSC8 = "\x1b]8;;https://evil.example\x07click me\x1b]8;;\x07"
CLEAR = "\x1b[2J"


def _hostile_model(tmp_path: Path) -> Path:
    """saas-renewal with markup in an option id, a title with a [link] and escape sequences in labels."""
    text = (ROOT / "models" / "saas-renewal.yaml").read_text()
    text = text.replace("title: Acme platform renewal", 'title: "[link=https://evil.example]Acme[/link] [bold red]"')
    text = text.replace("options: [standard, premium]", "options: [standard, '[/]premium']")
    text = text.replace("premium: premium support}", f"'[/]premium': {json.dumps('premium ' + OSC8 + CLEAR)}}}")
    text = text.replace("{support: premium}", "{support: '[/]premium'}")
    text = text.replace("premium: -$premium_support_cost", "'[/]premium': -$premium_support_cost")
    text = text.replace("premium: $premium_support_value", "'[/]premium': $premium_support_value")
    text = text.replace("net30: net-30 payment", f"net30: {json.dumps('net-30 ' + CLEAR + '[red]payment')}")
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    return path


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.json"
    path.write_text(json.dumps([{"by": "buyer", "package": {"price": 80, "support": "[/]premium"}}]))
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "{model}"],
        ["frontier", "{model}"],
        ["frontier", "{model}", "--all", "--all-packages"],
        ["trades", "{model}", "--from", '{"price": 95, "seats": 300, "term_months": 12, "payment": "net30", '
         '"support": "standard", "start_days": 0}'],
        ["counter", "{model}", "--history", "{history}", "--progress", "0.3"],
        ["counter", "{model}", "--history", "{history}", "--progress", "0.3", "--proposal-only"],
        ["simulate", "{model}", "--opponent", "linear", "--rounds", "6", "--transcript"],
    ],
    ids=["show", "frontier", "frontier-all", "trades", "counter", "proposal-only", "simulate"],
)  # fmt: skip
def test_model_text_is_printed_literally(argv: list[str], tmp_path: Path) -> None:
    model, history = _hostile_model(tmp_path), _history(tmp_path)
    args = [str(model) if a == "{model}" else str(history) if a == "{history}" else a for a in argv]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.stderr
    assert ESC not in res.stdout and "\x07" not in res.stdout, "an escape sequence reached the terminal"
    assert ESC not in res.stderr
    shown = res.stdout
    if argv[0] == "show":
        assert "[link=https://evil.example]Acme[/link] [bold red]" in shown
        assert "[/]premium" in shown and "\\x1b]8;;https://evil.example\\x07" in shown
    if argv[0] == "frontier":  # the bargaining packages take premium support: its id is shown as written
        assert "[/]premium" in shown


def test_json_output_escapes_control_characters(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["show", str(_hostile_model(tmp_path)), "--json"])
    assert res.exit_code == 0 and ESC not in res.stdout
    doc = json.loads(res.stdout)
    assert doc["title"].startswith("[link=") and any("[/]premium" in (i["values"] or []) for i in doc["issues"])


def test_error_lines_escape_control_characters(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["evaluate", str(ROOT / "models" / "saas-renewal.yaml"), "--package", '{"p\\u001b[2J": 1}']
    )
    assert res.exit_code == 2 and ESC not in res.stderr and "\\x1b[2J" in res.stderr
