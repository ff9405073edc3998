"""``dealopt learn`` and ``simulate-history`` in process; the fitted model used by counter, frontier and sweep;
every bad history gets one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import dealopt
from dealopt.interfaces.cli import app
from dealopt.learning import packages_design
from test_learn import HIDDEN, hidden_history

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    res = runner.invoke(app, [str(a) for a in args])
    text = res.output  # stdout and stderr, as a user sees them
    assert "Traceback" not in text
    return res.exit_code, text


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("learn")
    (d / "hidden.yaml").write_text(HIDDEN)
    hidden_history(2000, seed=21).to_csv(d / "history.csv", index=False)
    return d


def test_learn_json_and_fitted_file(files: Path) -> None:
    code, text = run("learn", files / "hidden.yaml", files / "history.csv", "-o", files / "fitted.yaml", "--json")
    assert code == 0, text
    doc = json.loads(text)
    assert doc["rows"] == 2000
    assert set(doc["parameters"]) == {"seat_value", "premium_value"}
    for item in [*doc["parameters"].values(), doc["walk_away"]]:
        assert item["low"] < item["estimate"] < item["high"]
    assert doc["metrics"]["auc"] > doc["metrics"]["baseline_auc"]
    fitted = dealopt.load_model(files / "fitted.yaml")
    assert fitted.parties.buyer.profiles is not None and len(fitted.parties.buyer.profiles) == 32


def test_learn_table_says_money_and_plots(files: Path) -> None:
    code, text = run(
        "learn", files / "hidden.yaml", files / "history.csv", "-o", files / "f2.yaml", "--plot", files / "p.png"
    )
    assert code == 0, text
    assert "premium support" in text and "90 % interval" in text and "price only" in text
    assert (files / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_history_then_learn(tmp_path: Path) -> None:
    model = Path(__file__).parent.parent / "models" / "saas-renewal.yaml"
    code, text = run("simulate-history", model, "-n", "1500", "--seed", "4", "-o", tmp_path / "h.parquet", "--json")
    assert code == 0, text
    truth = json.loads(text)["truth"]
    frame = pd.read_parquet(tmp_path / "h.parquet")
    assert len(frame) == 1500 and frame["won"].dtype == bool
    code, text = run("learn", model, tmp_path / "h.parquet", "-o", tmp_path / "fit.yaml", "--json", "--seed", "4")
    assert code == 0, text
    doc = json.loads(text)
    est = doc["parameters"]["seat_month_value"]
    width = est["high"] - est["low"]
    assert abs(est["estimate"] - truth["parameters"]["seat_month_value"]) < 1.6 * width


def test_counter_ranks_by_learned_acceptance(files: Path) -> None:
    """counter on the fitted model: each counter's acceptance probability is the learned win probability."""
    run("learn", files / "hidden.yaml", files / "history.csv", "-o", files / "fitted.yaml")
    hist = files / "offers.yaml"
    hist.write_text("- by: buyer\n  package: {price: 20, seats: 300, support: premium, term: 2}\n")
    code, text = run("counter", files / "fitted.yaml", "--history", hist, "--progress", "0.3", "--json")
    assert code == 0, text
    doc = json.loads(text)
    assert doc["counters"], doc
    hidden = dealopt.model_from_text(HIDDEN, "hidden.yaml")
    result = dealopt.learn(hidden, files / "history.csv")
    for c in doc["counters"]:
        learned = result.fit.choice.probability(packages_design(hidden, pd.DataFrame([c["package"]])))[0]
        assert c["acceptance_probability"] == pytest.approx(learned, abs=0.1)
    if any(c["acceptance_probability"] >= 0.5 for c in doc["counters"]):
        assert doc["counters"][0]["acceptance_probability"] >= 0.5 or "low_acceptance" not in json.dumps(doc)


def test_frontier_and_sweep_on_fitted_model(files: Path) -> None:
    run("learn", files / "hidden.yaml", files / "history.csv", "-o", files / "fitted.yaml")
    res = dealopt.frontier(dealopt.load_model(files / "fitted.yaml"))
    assert res.nash is not None and len(res.points) > 0
    code, text = run(
        "sweep", files / "fitted.yaml", "--vary", "parties.seller.walk_away=0:20000:3", "-o", files / "s.parquet"
    )
    assert code == 0, text
    assert len(pd.read_parquet(files / "s.parquet")) == 3


def _bad(files: Path, frame: pd.DataFrame, *extra: str, model: str = "hidden.yaml") -> str:
    path = files / "bad.csv"
    (files / "bad-fit.yaml").unlink(missing_ok=True)
    frame.to_csv(path, index=False)
    code, text = run("learn", files / model, path, "-o", files / "bad-fit.yaml", *extra)
    assert code == 2, text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), text
    assert not (files / "bad-fit.yaml").exists()
    return lines[0]


def test_missing_issue_column(files: Path) -> None:
    line = _bad(files, hidden_history(300, 1).drop(columns="support"))
    assert "missing issue column 'support'" in line


def test_missing_won_column(files: Path) -> None:
    assert "missing column 'won'" in _bad(files, hidden_history(300, 1).drop(columns="won"))


def test_unknown_level_names_rows_and_values(files: Path) -> None:
    h = hidden_history(300, 1)
    h["support"] = h["support"].astype(object)
    h.loc[[3, 8, 10, 40], "support"] = ["gold", "platinum", "gold", "silver"]
    line = _bad(files, h)
    assert "column 'support'" in line and "rows 4, 9, 11 (4 rows in all)" in line
    assert "'gold', 'platinum'" in line and "expected one of basic, premium" in line


def test_bad_won_value(files: Path) -> None:
    h = hidden_history(300, 1).astype({"won": object})
    h.loc[5, "won"] = "maybe"
    assert "column 'won': row 6: 'maybe'" in _bad(files, h)


def test_constant_outcome(files: Path) -> None:
    assert "every quote was lost" in _bad(files, hidden_history(300, 1).assign(won=False))


def test_perfect_separation_then_penalty(files: Path) -> None:
    h = hidden_history(400, 2)
    term_value = h["term"].map({1: 0, 2: 3000, 3: 5000})
    u = 50 * h["seats"] + term_value + 20000 * (h["support"] == "premium") - h["price"] * h["seats"] * h["term"]
    h["won"] = u > 10000  # no noise: a hyperplane in the buyer's utility splits won from lost
    assert "perfectly separated" in _bad(files, h)
    h.to_csv(files / "sep.csv", index=False)
    code, text = run(
        "learn", files / "hidden.yaml", files / "sep.csv", "-o", files / "sep.yaml", "--penalty", "0.01", "--json"
    )
    assert code == 0, text
    assert json.loads(text)["penalty"] == 0.01


def test_too_few_rows(files: Path) -> None:
    line = _bad(files, hidden_history(25, 3))
    assert "too few rows: 25" in line and "expected at least 40" in line


def test_nothing_to_learn(files: Path) -> None:
    plain = HIDDEN.replace("$seat_value", "50").replace("$premium_value", "20000")
    plain = plain.replace("parameters:\n  seat_value: 50\n  premium_value: 20000\n", "")
    (files / "plain.yaml").write_text(plain)
    assert "nothing to learn" in _bad(files, hidden_history(300, 1), model="plain.yaml")


def test_not_linear(files: Path) -> None:
    text = HIDDEN.replace(
        "  - of: [{support: {basic: 0, premium: $premium_value}}]",
        "  - coef: $seat_value\n        of: [{support: {basic: 0, premium: $premium_value}}]",
    )
    (files / "product.yaml").write_text(text)
    assert "not linear" in _bad(files, hidden_history(300, 1), model="product.yaml")


def test_bad_penalty_names_the_flag(files: Path) -> None:
    line = _bad(files, hidden_history(300, 1), "--penalty", "-1")
    assert line.startswith("error: --penalty")


def test_unreadable_file(files: Path) -> None:
    (files / "junk.parquet").write_text("not parquet")
    code, text = run("learn", files / "hidden.yaml", files / "junk.parquet", "-o", files / "x.yaml")
    assert code == 2 and "cannot be read" in text and len(text.strip().splitlines()) == 1


def test_library_raises_typed_errors() -> None:
    hidden = dealopt.model_from_text(HIDDEN, "hidden.yaml")
    with pytest.raises(dealopt.DealoptError, match="missing column 'won'"):
        dealopt.learn(hidden, hidden_history(100, 1).drop(columns="won"))
    assert np.isfinite(dealopt.learn(hidden, hidden_history(400, 1)).walk_away.estimate)


def test_fitted_profiles_model_stays_fast(tmp_path: Path) -> None:
    """A buyer of profiles (cloud-migration) learned into 32 profiles: frontier and counter stay interactive."""
    import time

    model = dealopt.load_model(Path(__file__).parent.parent / "models" / "cloud-migration.yaml")
    result = dealopt.learn(model, dealopt.simulate_history(model, 1500, seed=5), seed=5)
    fitted = result.fit.model()
    t = time.perf_counter()
    res = dealopt.frontier(fitted)
    answer = dealopt.counter(fitted, [], progress=0.5)
    assert time.perf_counter() - t < 20
    assert res.nash is not None
    assert answer.counters and answer.counters[0].acceptance_probability is not None


def test_many_terms_sum_like_few() -> None:
    """Combining many utility terms by shape first gives the tables the pairwise reduction gives."""
    from dealopt.model import compiled

    rng = np.random.default_rng(0)
    shapes = [(3, 1, 1), (1, 4, 1), (3, 4, 1), (1, 1, 5), (3, 1, 5)]
    parts = [rng.normal(size=shapes[k % len(shapes)]) for k in range(80)]
    many = compiled._reduce_small_first(parts, np.add, np.zeros((1, 1, 1)))
    direct = sum(np.broadcast_to(p, (3, 4, 5)) for p in parts)
    assert np.allclose(np.broadcast_to(many, (3, 4, 5)), direct)
