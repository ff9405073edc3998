"""One whole-process run per command, through the installed ``dealopt`` script (every other CLI test runs in
process): the entry point, the exit status and the streams as a shell sees them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAAS = str(ROOT / "models" / "saas-renewal.yaml")
GENIUS = ROOT / "examples" / "genius"


def _dealopt() -> list[str]:
    script = Path(sys.executable).with_name("dealopt")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "dealopt.interfaces.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_dealopt(), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_root() -> None:
    assert run("--version").stdout.startswith("dealopt ")
    top = run()
    assert "Commands:" in top.stdout + top.stderr


def test_validate() -> None:
    done = run("validate", SAAS, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)[0]["valid"] is True


def test_show() -> None:
    done = run("show", SAAS)
    assert done.returncode == 0 and "saas-renewal" in done.stdout


def test_evaluate() -> None:
    done = run("evaluate", SAAS, "--package", str(ROOT / "examples" / "package.json"), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["feasible"] is True


def test_schema() -> None:
    done = run("schema")
    assert done.returncode == 0 and "$schema" in json.loads(done.stdout)


def test_frontier() -> None:
    done = run("frontier", SAAS)
    assert done.returncode == 0 and done.stdout.startswith("saas-renewal: ZOPA: yes") and done.stderr == ""


def test_trades() -> None:
    done = run("trades", SAAS, "--from", str(ROOT / "examples" / "offer.yaml"), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["trades"]


def test_counter() -> None:
    done = run(
        "counter", SAAS, "--history", str(ROOT / "examples" / "history.yaml"), "--round", "3", "--deadline", "10"
    )
    assert done.returncode == 0 and done.stdout.split(":")[0] in ("accept", "counter", "walk_away")


def test_simulate() -> None:
    done = run("simulate", SAAS, "--opponent", "linear", "--rounds", "10", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)[0]["opponent"] == "linear"


def test_sweep_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    done = run("sweep", SAAS, "--vary", "parties.seller.walk_away=0:1200000:4", "-o", str(out), "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["rows"] == 4
    png = tmp_path / "zopa.png"
    drawn = run("plot", str(out), "--x", "parties.seller.walk_away", "--y", "zopa", "-o", str(png))
    assert drawn.returncode == 0 and png.stat().st_size > 0


def test_price_variants(tmp_path: Path) -> None:
    out = tmp_path / "priced.csv"
    done = run("price-variants", str(ROOT / "models" / "quotes-example.csv"), "-o", str(out), "--json", cwd=ROOT)
    assert done.returncode == 0 and json.loads(done.stdout)["rows"] == 14 and out.is_file()


def test_serve_refuses_bad_options_before_starting() -> None:
    done = run("serve", "--port", "0", "--keys", str(ROOT / "examples" / "keys.yaml"))
    assert done.returncode == 2 and done.stderr.startswith("error: --port") and len(done.stderr.splitlines()) == 1


def test_import_genius(tmp_path: Path) -> None:
    out = tmp_path / "laptop.yaml"
    files = [str(GENIUS / n) for n in ("laptop_domain.xml", "laptop_seller_utility.xml", "laptop_buyer_utility.xml")]
    done = run("import-genius", *files, "-o", str(out))
    assert done.returncode == 0 and run("validate", str(out)).returncode == 0


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a shell")
def test_a_failure_is_one_line_and_exit_2_in_a_shell() -> None:
    done = run("frontier", str(ROOT / "no-such-model.yaml"))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
