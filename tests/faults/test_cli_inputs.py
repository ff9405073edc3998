"""Every CLI failure is one line on stderr and exit 2 (issue 10, point 5): a generated corpus of bad inputs.

Each command gets bad files (missing, a directory, empty, binary garbage, invalid JSON/YAML, numbers of 5,001
digits, 50,000 nested brackets, duplicate keys, huge strings), bad numbers (negative, NaN, inf, too large) and
unknown names. Every case must exit 2 with exactly one line on stderr, no traceback, the echoed input cut short.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dealopt.interfaces.cli import app

ROOT = Path(__file__).resolve().parents[2]
MODEL = str(ROOT / "models" / "saas-renewal.yaml")
HISTORY = str(ROOT / "examples" / "history.yaml")
PACKAGE = (
    '{"price": 95, "seats": 300, "term_months": 36, "payment": "annual_prepay", "support": "premium", "start_days": 30}'
)
QUOTES = str(ROOT / "models" / "quotes-example.csv")
GENIUS = ROOT / "examples" / "genius"
#: The longest error line allowed: echoed input is cut well before this.
LONGEST = 400

BIG = "9" * 5001
DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJ = '{"a":' * 50_000 + "1" + "}" * 50_000
HUGE = "x" * 1_000_000


def _files(tmp: Path) -> dict[str, Path]:
    """Bad files of every kind, written once per test."""
    tmp.mkdir(parents=True, exist_ok=True)
    found = {
        "missing": tmp / "missing.yaml",
        "directory": tmp / "a-directory",
        "empty": tmp / "empty.yaml",
        "binary": tmp / "garbage.yaml",
        "bad_yaml": tmp / "bad.yaml",
        "bad_json": tmp / "bad.json",
        "big_int": tmp / "big.yaml",
        "deep": tmp / "deep.yaml",
        "huge_string": tmp / "huge.yaml",
        "dup_keys": tmp / "dup.json",
        "nul": tmp / "nul.yaml",
    }
    found["directory"].mkdir(exist_ok=True)
    found["empty"].write_text("")
    found["binary"].write_bytes(bytes(range(256)) * 40)
    found["bad_yaml"].write_text("a: [1, 2\nb: {")
    found["bad_json"].write_text('{"a": 1,')
    found["big_int"].write_text(f"- by: buyer\n  package: {{price: {BIG}}}\n")
    found["deep"].write_text(DEEP)
    found["huge_string"].write_text(f"- by: buyer\n  package: {{price: '{HUGE}'}}\n")
    found["dup_keys"].write_text('[{"by": "buyer", "by": "seller", "package": {"price": 80}}]')
    found["nul"].write_bytes(b"a: 1\x00\x00")
    return found


def _history_files(tmp: Path) -> dict[str, Path]:
    """Histories that parse but are wrong."""
    cases = {
        "not_a_list": "by: buyer\n",
        "unknown_by": "- by: nobody\n  package: {price: 80}\n",
        "flag_level": "- by: buyer\n  package: {price: true}\n",
        "unknown_issue": "- by: buyer\n  package: {colour: red}\n",
        "dup_package_key": '[{"by": "buyer", "package": {"price": 80, "price": 90}}]',
        "nan_level": '[{"by": "buyer", "package": {"price": NaN}}]',
    }
    out = {}
    for name, text in cases.items():
        path = tmp / f"{name}.{'json' if text.startswith('[') else 'yaml'}"
        path.write_text(text)
        out[name] = path
    return out


def _csv_files(tmp: Path) -> dict[str, Path]:
    header = QUOTES and Path(QUOTES).read_text().splitlines()
    dup = tmp / "dup-columns.csv"
    dup.write_text(header[0] + ",quote_id\n" + header[1] + ",again\n")
    empty = tmp / "empty.csv"
    empty.write_text("")
    binary = tmp / "garbage.csv"
    binary.write_bytes(bytes(range(256)) * 40)
    return {"dup_columns": dup, "empty": empty, "binary": binary}


Case = Callable[[dict[str, Path], Path], list[str]]


def _cases() -> dict[str, Case]:
    """Every bad invocation, by name: a function of the bad files and a scratch folder."""
    cases: dict[str, Case] = {}
    model_kinds = ["missing", "directory", "empty", "binary", "bad_yaml", "bad_json", "big_int", "deep", "nul"]
    for kind in model_kinds:
        cases[f"validate-{kind}"] = lambda f, t, k=kind: ["validate", str(f[k])]
        cases[f"show-{kind}"] = lambda f, t, k=kind: ["show", str(f[k])]
        cases[f"frontier-{kind}"] = lambda f, t, k=kind: ["frontier", str(f[k])]
        cases[f"simulate-{kind}"] = lambda f, t, k=kind: ["simulate", str(f[k]), "--opponent", "linear"]
        cases[f"evaluate-model-{kind}"] = lambda f, t, k=kind: ["evaluate", str(f[k]), "--package", PACKAGE]
        cases[f"trades-model-{kind}"] = lambda f, t, k=kind: ["trades", str(f[k]), "--from", "nash"]
        cases[f"counter-model-{kind}"] = lambda f, t, k=kind: ["counter", str(f[k]), "--history", HISTORY]
        cases[f"counter-history-{kind}"] = lambda f, t, k=kind: ["counter", MODEL, "--history", str(f[k])]
        cases[f"sweep-spec-{kind}"] = lambda f, t, k=kind: ["sweep", MODEL, "--spec", str(f[k]), "-o", str(t / "s.csv")]
        cases[f"evaluate-package-file-{kind}"] = lambda f, t, k=kind: ["evaluate", MODEL, "--package", str(f[k])]
        cases[f"plot-{kind}"] = lambda f, t, k=kind: ["plot", str(f[k]), "--x", "a", "--y", "b", "-o", str(t / "p.png")]
        cases[f"genius-{kind}"] = lambda f, t, k=kind: ["import-genius", str(f[k]), str(f[k]), str(f[k])]
        cases[f"serve-keys-{kind}"] = lambda f, t, k=kind: [
            "serve",
            "--models",
            str(ROOT / "models"),
            "--keys",
            str(f[k]),
        ]
    for kind in ("huge_string", "dup_keys"):
        cases[f"counter-history-{kind}"] = lambda f, t, k=kind: ["counter", MODEL, "--history", str(f[k])]
    for kind in ("not_a_list", "unknown_by", "flag_level", "unknown_issue", "dup_package_key", "nan_level"):
        cases[f"counter-history-{kind}"] = lambda f, t, k=kind: ["counter", MODEL, "--history", str(f["h:" + k])]
    packages = {
        "big-int": f'{{"price": {BIG}}}',
        "deep": DEEP,
        "deep-object": DEEP_OBJ,
        "invalid-json": '{"price": 95,',
        "invalid-yaml": "price: [95",
        "duplicate-key": PACKAGE[:-1] + ', "price": 96}',
        "true-is-not-a-number": PACKAGE.replace('"price": 95', '"price": true'),
        "unknown-issue": PACKAGE[:-1] + ', "colour": "red"}',
        "nan": PACKAGE.replace('"price": 95', '"price": NaN'),
        "inf": PACKAGE.replace('"price": 95', '"price": Infinity'),
        "negative": PACKAGE.replace('"seats": 300', '"seats": -300'),
        "huge-string": PACKAGE.replace('"premium"', f'"{HUGE}"'),
        "a-list": "[1, 2, 3]",
        "empty": "",
        "markup": PACKAGE.replace('"premium"', '"[/]premium[link=http://x]"'),
        "escape": PACKAGE.replace('"premium"', '"\\u001b]8;;http://evil\\u0007x\\u001b[2J"'),
    }
    for name, text in packages.items():
        cases[f"evaluate-package-{name}"] = lambda f, t, p=text: ["evaluate", MODEL, "--package", p]
        cases[f"trades-from-{name}"] = lambda f, t, p=text: ["trades", MODEL, "--from", p]
    numbers = {
        "frontier-top-0": ["frontier", MODEL, "--top", "0"],
        "frontier-top-negative": ["frontier", MODEL, "--top", "-3"],
        "frontier-top-big": ["frontier", MODEL, "--top", BIG],
        "frontier-top-text": ["frontier", MODEL, "--top", "many"],
        "frontier-engine": ["frontier", MODEL, "--engine", "bogus"],
        "frontier-engine-huge": ["frontier", MODEL, "--engine", HUGE],
        "frontier-time-limit-nan": ["frontier", MODEL, "--engine", "milp", "--time-limit", "nan"],
        "frontier-time-limit-inf": ["frontier", MODEL, "--engine", "milp", "--time-limit", "inf"],
        "frontier-time-limit-negative": ["frontier", MODEL, "--engine", "milp", "--time-limit", "-1"],
        "frontier-time-limit-zero": ["frontier", MODEL, "--time-limit", "0"],
        "frontier-max-space-0": ["frontier", MODEL, "--max-space", "0"],
        "frontier-max-space-big": ["frontier", MODEL, "--max-space", BIG],
        "frontier-unknown-flag": ["frontier", MODEL, "--colour", "red"],
        "frontier-json-value": ["frontier", MODEL, "--json", "true"],
        "frontier-plot-dir": ["frontier", MODEL, "--plot", str(ROOT / "models")],
        "trades-top-0": ["trades", MODEL, "--from", "nash", "--top", "0"],
        "trades-top-big": ["trades", MODEL, "--from", "nash", "--top", "1000"],
        "trades-max-issues-0": ["trades", MODEL, "--from", "nash", "--max-issues", "0"],
        "trades-from-unknown-solution": ["trades", MODEL, "--from", "fairest"],
        "counter-round-past-deadline": ["counter", MODEL, "--history", HISTORY, "--round", "7", "--deadline", "5"],
        "counter-round-alone": ["counter", MODEL, "--history", HISTORY, "--round", "3"],
        "counter-round-negative": ["counter", MODEL, "--history", HISTORY, "--round", "-1", "--deadline", "5"],
        "counter-deadline-0": ["counter", MODEL, "--history", HISTORY, "--round", "0", "--deadline", "0"],
        "counter-round-big": ["counter", MODEL, "--history", HISTORY, "--round", BIG, "--deadline", "5"],
        "counter-progress-and-round": [
            "counter",
            MODEL,
            "--history",
            HISTORY,
            "--progress",
            "0.5",
            "--round",
            "2",
            "--deadline",
            "5",
        ],
        "counter-progress-nan": ["counter", MODEL, "--history", HISTORY, "--progress", "nan"],
        "counter-progress-inf": ["counter", MODEL, "--history", HISTORY, "--progress", "inf"],
        "counter-progress-negative": ["counter", MODEL, "--history", HISTORY, "--progress", "-0.1"],
        "counter-progress-2": ["counter", MODEL, "--history", HISTORY, "--progress", "2"],
        "counter-exponent-negative": ["counter", MODEL, "--history", HISTORY, "--exponent", "-1"],
        "counter-exponent-nan": ["counter", MODEL, "--history", HISTORY, "--exponent", "nan"],
        "counter-exponent-inf": ["counter", MODEL, "--history", HISTORY, "--exponent", "inf"],
        "counter-top-0": ["counter", MODEL, "--history", HISTORY, "--top", "0"],
        "counter-opening": ["counter", MODEL, "--history", HISTORY, "--opening", "generous"],
        "counter-missing-history-flag": ["counter", MODEL],
        "simulate-opponent": ["simulate", MODEL, "--opponent", "bogus"],
        "simulate-seller": ["simulate", MODEL, "--seller", "bogus"],
        "simulate-rounds-0": ["simulate", MODEL, "--rounds", "0"],
        "simulate-rounds-negative": ["simulate", MODEL, "--rounds", "-5"],
        "simulate-rounds-big": ["simulate", MODEL, "--rounds", BIG],
        "simulate-rounds-nan": ["simulate", MODEL, "--rounds", "nan"],
        "simulate-guessed-baseline": ["simulate", MODEL, "--seller", "linear", "--guessed"],
        "schema-extra-argument": ["schema", "extra"],
        "unknown-command": ["negotiate", MODEL],
    }
    for name, argv in numbers.items():
        cases[name] = lambda f, t, a=argv: list(a)
    cases["sweep-vary-bad"] = lambda f, t: ["sweep", MODEL, "--vary", "nothing", "-o", str(t / "s.csv")]
    cases["sweep-vary-big"] = lambda f, t: [
        "sweep",
        MODEL,
        "--vary",
        f"parties.seller.walk_away=0:{BIG}:3",
        "-o",
        str(t / "s.csv"),
    ]
    cases["sweep-vary-nan"] = lambda f, t: [
        "sweep",
        MODEL,
        "--vary",
        "parties.seller.walk_away=nan:1:3",
        "-o",
        str(t / "s.csv"),
    ]
    cases["sweep-unknown-path"] = lambda f, t: [
        "sweep",
        MODEL,
        "--vary",
        "parties.nobody=0:1:3",
        "-o",
        str(t / "s.csv"),
    ]
    cases["sweep-out-extension"] = lambda f, t: [
        "sweep",
        MODEL,
        "--vary",
        "parties.seller.walk_away=0:1:3",
        "-o",
        str(t / "s.xlsx"),
    ]
    cases["sweep-engine"] = lambda f, t: [
        "sweep",
        MODEL,
        "--vary",
        "parties.seller.walk_away=0:1:3",
        "--engine",
        "bogus",
        "-o",
        str(t / "s.csv"),
    ]
    cases["sweep-spec-and-vary-missing"] = lambda f, t: ["sweep", MODEL, "-o", str(t / "s.csv")]
    cases["plot-out-extension"] = lambda f, t: ["plot", QUOTES, "--x", "a", "--y", "b", "-o", str(t / "p.jpg")]
    cases["plot-unknown-column"] = lambda f, t: [
        "plot",
        QUOTES,
        "--x",
        "nothing",
        "--y",
        "zopa",
        "-o",
        str(t / "p.png"),
    ]
    for kind in ("missing", "directory", "binary"):
        cases[f"price-variants-{kind}"] = lambda f, t, k=kind: [
            "price-variants",
            str(f[k]).replace(".yaml", ".csv"),
            "-o",
            str(t / "o.csv"),
        ]
    for kind in ("dup_columns", "empty", "binary"):
        cases[f"price-variants-csv-{kind}"] = lambda f, t, k=kind: [
            "price-variants",
            str(f["csv:" + k]),
            "-o",
            str(t / "o.csv"),
        ]
    cases["price-variants-out-extension"] = lambda f, t: ["price-variants", QUOTES, "-o", str(t / "o.xlsx")]
    cases["price-variants-chunk-rows-0"] = lambda f, t: [
        "price-variants",
        QUOTES,
        "-o",
        str(t / "o.csv"),
        "--chunk-rows",
        "0",
    ]
    cases["price-variants-workers-negative"] = lambda f, t: [
        "price-variants",
        QUOTES,
        "-o",
        str(t / "o.csv"),
        "--workers",
        "-2",
    ]
    cases["price-variants-models-missing"] = lambda f, t: [
        "price-variants",
        QUOTES,
        "-o",
        str(t / "o.csv"),
        "--models",
        str(t / "none"),
    ]
    cases["serve-models-missing"] = lambda f, t: [
        "serve",
        "--models",
        str(t / "none"),
        "--keys",
        str(ROOT / "examples" / "keys.yaml"),
    ]
    cases["serve-port-0"] = lambda f, t: ["serve", "--port", "0", "--keys", str(ROOT / "examples" / "keys.yaml")]
    cases["serve-port-big"] = lambda f, t: ["serve", "--port", BIG, "--keys", str(ROOT / "examples" / "keys.yaml")]
    cases["serve-time-budget-nan"] = lambda f, t: [
        "serve",
        "--time-budget",
        "nan",
        "--keys",
        str(ROOT / "examples" / "keys.yaml"),
    ]
    cases["serve-log-level"] = lambda f, t: [
        "serve",
        "--log-level",
        HUGE,
        "--keys",
        str(ROOT / "examples" / "keys.yaml"),
    ]
    learned = str(ROOT / "models" / "saas-renewal-history.csv")
    for kind in model_kinds:
        cases[f"learn-model-{kind}"] = lambda f, t, k=kind: ["learn", str(f[k]), learned, "-o", str(t / "f.yaml")]
        cases[f"learn-history-{kind}"] = lambda f, t, k=kind: [
            "learn", MODEL, str(f[k]).replace(".yaml", ".csv"), "-o", str(t / "f.yaml")
        ]  # fmt: skip
        cases[f"simulate-history-{kind}"] = lambda f, t, k=kind: ["simulate-history", str(f[k]), "-o", str(t / "h.csv")]
    for kind in ("dup_columns", "empty", "binary"):
        cases[f"learn-history-csv-{kind}"] = lambda f, t, k=kind: [
            "learn",
            MODEL,
            str(f["csv:" + k]),
            "-o",
            str(t / "f.yaml"),
        ]
    for flag, value in (("-n", "0"), ("-n", "-5"), ("-n", BIG), ("--scale", "nan"), ("--scale", "-1"), ("--seed", "x")):
        cases[f"simulate-history{flag}-{value[:5]}"] = lambda f, t, a=(flag, value): [
            "simulate-history", MODEL, a[0], a[1], "-o", str(t / "h.csv")
        ]  # fmt: skip
    cases["simulate-history-out-extension"] = lambda f, t: ["simulate-history", MODEL, "-o", str(t / "h.xlsx")]
    keys = str(ROOT / "examples" / "keys.yaml")
    for kind in model_kinds:
        cases[f"mcp-keys-{kind}"] = lambda f, t, k=kind: ["mcp", "--http", "--keys", str(f[k])]
    cases["mcp-stdio-without-key"] = lambda f, t: ["mcp", "--keys", keys]
    cases["mcp-port-0"] = lambda f, t: ["mcp", "--http", "--port", "0", "--keys", keys]
    cases["mcp-port-big"] = lambda f, t: ["mcp", "--http", "--port", BIG, "--keys", keys]
    cases["mcp-max-space-0"] = lambda f, t: ["mcp", "--http", "--max-space", "0", "--keys", keys]
    cases["mcp-models-missing"] = lambda f, t: ["mcp", "--http", "--models", str(t / "none"), "--keys", keys]
    cases["genius-one-bad"] = lambda f, t: [
        "import-genius",
        str(GENIUS / "laptop_domain.xml"),
        str(f["binary"]),
        str(GENIUS / "laptop_buyer_utility.xml"),
    ]
    cases["genius-out-directory"] = lambda f, t: [
        "import-genius", str(GENIUS / "laptop_domain.xml"), str(GENIUS / "laptop_seller_utility.xml"),
        str(GENIUS / "laptop_buyer_utility.xml"), "-o", str(t / "no" / "such" / "dir" / "m.yaml"),
    ]  # fmt: skip
    return cases


CASES = _cases()
#: Every command gets bad input (checked by test_every_command_is_in_the_corpus).
COMMANDS = {
    "validate", "show", "evaluate", "schema", "frontier", "trades", "counter", "simulate", "sweep", "plot",
    "price-variants", "serve", "import-genius", "mcp", "learn", "simulate-history",
}  # fmt: skip


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("bad")
    files = _files(tmp)
    files.update({"h:" + k: v for k, v in _history_files(tmp).items()})
    files.update({"csv:" + k: v for k, v in _csv_files(tmp).items()})
    return files


def test_every_command_is_in_the_corpus() -> None:
    from typer.main import get_command

    registered = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert registered == COMMANDS, "a new command: add its bad inputs to the corpus"
    fed = {argv(_stub_files(), Path("/nonexistent"))[0] for argv in CASES.values()}
    assert COMMANDS <= fed


def _stub_files() -> dict[str, Path]:
    class Any(dict[str, Path]):
        def __missing__(self, key: str) -> Path:
            return Path("/nonexistent") / key

    return Any()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(name: str, bad_files: dict[str, Path], tmp_path: Path) -> None:
    argv = CASES[name](bad_files, tmp_path)
    res = CliRunner().invoke(app, argv, env={"DEALOPT_API_KEY": None})  # type: ignore[dict-item]
    lines = res.stderr.splitlines()
    assert res.exit_code == 2, (res.exit_code, res.stderr[:500], res.stdout[:300])
    assert len(lines) == 1, res.stderr[:2000]
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    assert lines[0].startswith("error: "), lines[0][:300]
    assert len(lines[0]) <= LONGEST, f"echoed input not cut: {len(lines[0])} characters"
    assert "\x1b" not in res.stderr and "\x07" not in res.stderr
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["counter", MODEL, "--history", "missing-history.yaml"], "expected the path of a history file"),
        (["evaluate", MODEL, "--package", "missing-package.json"], "neither a package nor a file"),
        (["trades", MODEL, "--from", "missing-offer.yaml"], "neither a package nor a file"),
        (["sweep", MODEL, "--spec", "missing-spec.yaml", "-o", "s.csv"], "expected the path of a sweep spec file"),
        (["plot", "missing.parquet", "--x", "a", "--y", "b", "-o", "p.png"], "expected a sweep's output"),
        (["import-genius", "missing.xml", "missing.xml", "missing.xml"], "expected a GENIUS XML file"),
        (["frontier", "missing-model.yaml"], "expected the path of a model file"),
    ],
)
def test_a_missing_file_names_what_was_expected(argv: list[str], expected: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [a if a != "s.csv" else str(tmp_path / a) for a in argv])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1 and expected in res.stderr, res.stderr
    if argv[0] != "frontier":
        assert "model file" not in res.stderr
