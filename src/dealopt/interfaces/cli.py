"""The ``dealopt`` command line: parse, call one library function, print.

Every error in the input is one line on stderr and exit status 2; no traceback
reaches the user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dealopt.engines.registry import ENGINE_NAMES
from dealopt.errors import DealoptError, ModelError, OptionError, PackageError
from dealopt.interfaces.console import JsonOpt, ModelArg, emit_json, err, fail, fmt, load, out
from dealopt.interfaces.documents import counter_proposal, describe_model, evaluation_document
from dealopt.model.compiled import CompiledDeal, compile_model
from dealopt.model.levels import display_value
from dealopt.model.loading import load_model

app = typer.Typer(
    name="dealopt",
    help="Multi-variable deal optimization for B2B sales negotiation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# ---------------------------------------------------------------- validate


@app.command()
def validate(
    models: Annotated[list[Path], typer.Argument(help="Model files to check.", show_default=False)],
    as_json: JsonOpt = False,
) -> None:
    """Check model files; report every problem, one per line (exit 2 if any)."""
    results = []
    bad = False
    for path in models:
        try:
            model = load_model(path)
            results.append({"file": str(path), "valid": True, "name": model.name, "problems": []})
        except ModelError as exc:
            bad = True
            results.append({"file": str(path), "valid": False, "name": None, "problems": exc.lines()})
    if as_json:
        emit_json(results)
    else:
        for r in results:
            if r["valid"]:
                out.print(f"ok: {r['file']} ({r['name']})", markup=False)
            for line in r["problems"]:
                err.print(f"error: {line}", markup=False)
    if bad:
        raise typer.Exit(2)


# ---------------------------------------------------------------- show


def _levels_text(entry: dict[str, Any]) -> str:
    if entry["levels"] is None:
        lo, hi = entry["range"]
        return f"any value in [{lo}, {hi}]"
    vals = entry["values"]
    words = entry.get("labels") or [None] * len(vals)
    shown = [f"{v} ({w})" if w is not None and w != str(v) else str(v) for v, w in zip(vals, words, strict=True)]
    if len(shown) <= 8:
        return ", ".join(shown)
    return f"{shown[0]}, {shown[1]}, {shown[2]}, …, {shown[-1]}"


@app.command()
def show(model: ModelArg, as_json: JsonOpt = False) -> None:
    """Show a model's issues, levels, outcome-space size and walk-aways."""
    deal = compile_model(load(model))
    info = describe_model(deal)
    if as_json:
        emit_json(info)
        return
    norm = deal.normalized
    out.print(f"[bold]{info['name']}[/bold]" + (f" — {info['title']}" if info["title"] else ""))
    table = Table(show_header=True, header_style="bold")
    for col in ("issue", "kind", "levels", "values", "unit"):
        table.add_column(col)
    for e in info["issues"]:
        table.add_row(e["name"], e["kind"], str(e["levels"] or "∞"), _levels_text(e), e["unit"] or "")
    out.print(table, markup=False)
    size = info["space_size"]
    out.print(
        f"outcome space: {size:,} packages"
        if size is not None
        else "outcome space: continuous (a continuous issue has no step)"
    )
    out.print(f"constraints: {info['constraints']}; utility units: {info['units']}")
    out.print(f"walk-away: seller {fmt(deal.seller_walk_away, norm)}, buyer {fmt(deal.buyer_walk_away, norm)}")
    for p in info["profiles"]:
        out.print(
            f"  buyer profile {p['name']}: probability {p['probability']:.3g}, walk-away {fmt(p['walk_away'], norm)}"
        )
    if info["parameters"]:
        ptable = Table(show_header=True, header_style="bold", title="parameters")
        for col in ("parameter", "value", "used at"):
            ptable.add_column(col, justify="right" if col == "value" else "left")
        for name, entry in info["parameters"].items():
            ptable.add_row(name, f"{entry['value']:,}", "; ".join(entry["used_at"]))
        out.print(ptable)


# ---------------------------------------------------------------- evaluate


def read_package(text: str) -> dict[str, Any]:
    """A package from JSON text, or from a YAML/JSON file path."""
    import yaml

    source = "--package"
    raw = text
    path = Path(text)
    if not text.lstrip().startswith("{") and path.exists():
        source = str(path)
        raw = path.read_text(encoding="utf-8")
    try:
        data = json.loads(raw) if raw.lstrip().startswith("{") else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise PackageError(
            f'{source}: not valid JSON/YAML ({str(exc).splitlines()[0]}); expected {{"issue": level, …}}'
        ) from None
    if not isinstance(data, dict):
        raise PackageError(f'{source}: expected a mapping {{"issue": level, …}}')
    return data


@app.command("evaluate")
def evaluate_cmd(
    model: ModelArg,
    package: Annotated[
        str, typer.Option("--package", "-p", help="A package as JSON, e.g. '{\"price\": 95, …}', or a file.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Both utilities, joint value, feasibility and acceptability of one package."""
    deal = compile_model(load(model))
    try:
        result = evaluation_document(deal, read_package(package))
    except PackageError as exc:
        fail(str(exc))
        return
    if as_json:
        emit_json(result)
        return
    norm = deal.normalized
    table = Table(show_header=True, header_style="bold")
    for col in ("", "utility", "walk-away", "acceptable"):
        table.add_column(col)
    table.add_row(
        "seller", fmt(result["seller"], norm), fmt(deal.seller_walk_away, norm), _yes(result["acceptable_seller"])
    )
    table.add_row(
        "buyer", fmt(result["buyer"], norm), fmt(deal.buyer_walk_away, norm), _yes(result["acceptable_buyer"])
    )
    table.add_row("joint", fmt(result["joint"], norm), "", "")
    out.print(table)
    out.print(f"feasible: {_yes(result['feasible'])}; in the ZOPA: {_yes(result['acceptable'])}")
    if "acceptance_probability" in result:
        out.print(f"acceptance probability (buyer profiles): {result['acceptance_probability']:.3f}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# ---------------------------------------------------------------- frontier


@app.command("frontier")
def frontier_cmd(
    model: ModelArg,
    engine: Annotated[str, typer.Option("--engine", "-e", help=f"One of: {', '.join(ENGINE_NAMES)}.")] = "auto",
    all_packages: Annotated[
        bool, typer.Option("--all-packages", help="List every package reaching each point.")
    ] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Draw the frontier to this PNG file.")] = None,
    max_space: Annotated[
        int, typer.Option("--max-space", help="enumerate: largest outcome space to list.")
    ] = 200_000_000,
    as_json: JsonOpt = False,
) -> None:
    """The Pareto frontier of the ZOPA, the bargaining packages and the ZOPA verdict."""
    from dealopt.negotiation.frontier import frontier

    if engine not in ENGINE_NAMES:
        fail(f"--engine: unknown engine {engine!r}; expected one of {', '.join(ENGINE_NAMES)}")
    if max_space < 1:
        fail(f"--max-space: {max_space}; expected a positive number of packages")
    deal = compile_model(load(model))
    result = frontier(deal, engine, all_packages=all_packages, max_space=max_space)
    if plot is not None:
        from dealopt.interfaces.plot import plot_frontier

        plot_frontier(result, deal, plot)
    if as_json:
        emit_json(result.to_dict(all_packages=all_packages))
        return
    print_frontier(result, deal, all_packages)
    if plot is not None:
        out.print(f"plot written to {plot}", markup=False)


def print_frontier(result: Any, deal: CompiledDeal, all_packages: bool) -> None:
    """The frontier as readable tables."""
    norm = deal.normalized
    w_s, w_b = result.walk_away
    out.print(
        f"[bold]{result.model}[/bold]: engine {result.engine}, {len(result.points)} frontier points, "
        f"{result.seconds * 1e3:.1f} ms; walk-away seller {fmt(w_s, norm)}, buyer {fmt(w_b, norm)}"
    )
    for line in (result.note, None if result.status in ("optimal", "infeasible") else f"status: {result.status}"):
        if line:
            out.print(line, markup=False)
    if not result.zopa:
        out.print(f"[bold red]no deal[/bold red]: {result.no_deal.message}")
        return
    out.print("[bold green]ZOPA: yes[/bold green]")
    names = [i.name for i in deal.issues]
    table = Table(show_header=True, header_style="bold")
    for col in ("#", "seller", "buyer", "joint"):
        table.add_column(col, justify="right")
    for name in names:
        table.add_column(name)
    table.add_column("")

    def levels(pkg: dict[str, Any]) -> list[str]:
        return [str(display_value(pkg[n])) if not isinstance(pkg[n], float) else f"{pkg[n]:g}" for n in names]

    for k, p in enumerate(result.points, 1):
        note = f"+{len(p.packages) - 1} alt." if len(p.packages) > 1 and not all_packages else ""
        if p.segment:
            note = (note + " segment→").strip()
        table.add_row(str(k), fmt(p.seller, norm), fmt(p.buyer, norm), fmt(p.joint, norm), *levels(p.package), note)
        if all_packages:
            for alt in p.packages[1:]:
                table.add_row("", "", "", "or", *levels(alt), "")
    out.print(table)
    sol = Table(show_header=True, header_style="bold", title="bargaining packages")
    for col in ("solution", "seller", "buyer", "joint"):
        sol.add_column(col, justify="right" if col != "solution" else "left")
    for name in names:
        sol.add_column(name)
    for label, s in (
        ("Nash", result.nash),
        ("Kalai–Smorodinsky", result.kalai_smorodinsky),
        ("max joint value", result.max_joint),
        ("egalitarian", result.egalitarian),
    ):
        if s is not None:
            sol.add_row(label, fmt(s.seller, norm), fmt(s.buyer, norm), fmt(s.joint, norm), *levels(s.package))
    out.print(sol)


# ---------------------------------------------------------------- trades, counter


@app.command("trades")
def trades_cmd(
    model: ModelArg,
    from_: Annotated[
        str,
        typer.Option(
            "--from", help="The package to trade from: JSON, a file, or nash|kalai_smorodinsky|max_joint|egalitarian."
        ),
    ],
    max_issues: Annotated[
        int | None, typer.Option("--max-issues", help="Most issues one trade changes (default: policy, else 2).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="How many trades to list.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Trades from a package: "if we do this, can you do that", ranked by joint value gained."""
    from dealopt.negotiation.api import SOLUTIONS, trades
    from dealopt.negotiation.packages import read_package_text

    deal = compile_model(load(model))
    pkg: Any = from_ if from_ in SOLUTIONS else read_package_text(from_, "--from")
    result = trades(deal, pkg, max_issues=max_issues, top=top)
    if as_json:
        emit_json(result.to_dict())
        return
    norm = deal.normalized
    out.print(
        f"from: seller {fmt(result.seller, norm)}, buyer {fmt(result.buyer, norm)}; "
        f"{len(result.trades)} best trades changing at most {result.max_issues} issues"
    )
    if not result.trades:
        out.print("no trade makes both sides better off: the package is Pareto-efficient for these moves")
        return
    table = Table(show_header=True, header_style="bold")
    for col in ("#", "Δ seller", "Δ buyer", "Δ joint"):
        table.add_column(col, justify="right")
    table.add_column("trade")
    table.add_column("flags")
    for k, t in enumerate(result.trades, 1):
        flags = "\n".join(f"⚑ {f}" for f in t.flags)
        table.add_row(
            str(k), fmt(t.seller_gain, norm), fmt(t.buyer_gain, norm), fmt(t.joint_gain, norm), t.sentence, flags
        )
    out.print(table, markup=False)


@app.command("counter")
def counter_cmd(
    model: ModelArg,
    history: Annotated[Path, typer.Option("--history", help="The offers so far (YAML or JSON list, oldest first).")],
    progress: Annotated[
        float | None,
        typer.Option(
            "--progress",
            help="How far through the negotiation we are, 0..1 (1: our last turn). Default: from --round/--deadline, "
            "else 0.5 (halfway).",
        ),
    ] = None,
    round_: Annotated[
        int | None,
        typer.Option("--round", help="Our turn number, 1-based (with --deadline; round = deadline: last turn)."),
    ] = None,
    deadline: Annotated[int | None, typer.Option("--deadline", help="Our last turn's number.")] = None,
    exponent: Annotated[
        float, typer.Option("--exponent", help="Concession exponent: < 1 Boulware, 1 linear, > 1 Conceder.")
    ] = 0.2,
    top: Annotated[int, typer.Option("--top", help="How many counter-offers to list.")] = 3,
    opening: Annotated[
        str | None,
        typer.Option(
            "--opening",
            help="Where concession starts: best (our best allowed package; the default) or zopa (our best package "
            "the buyer would accept; the default with buyer profiles).",
        ),
    ] = None,
    proposal_only: Annotated[
        bool, typer.Option("--proposal-only", help="Print only what the buyer may see: the package and its sentence.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Accept, counter (with ranked counter-offers) or walk away, given the offers so far."""
    from dealopt.model.reading import read_model_data
    from dealopt.negotiation.api import counter
    from dealopt.negotiation.counter import parse_history

    deal = compile_model(load(model))
    try:
        data = read_model_data(history).data
    except ModelError as exc:
        fail(str(exc).replace("deal model mapping (format: dealopt/1, …)", "list of offers"))
        return
    offers = parse_history(data, str(history))
    rec = counter(
        deal, offers, progress=progress, round=round_, deadline=deadline, exponent=exponent, top=top, opening=opening
    )
    if proposal_only:
        proposal = counter_proposal(rec, offers)
        if as_json:
            emit_json(proposal)
        else:
            lines = [proposal["sentence"]]
            if proposal["package"]:
                lines.append(", ".join(f"{n}={display_value(v)}" for n, v in proposal["package"].items()))
            sys.stdout.write("\n".join(lines) + "\n")  # unwrapped: a rep pastes it into a message
        return
    if as_json:
        emit_json(rec.to_dict())
        return
    _print_recommendation(deal, rec)


def _print_recommendation(deal: CompiledDeal, rec: Any) -> None:
    norm = deal.normalized
    action = rec.recommendation.value
    colour = {"accept": "green", "counter": "yellow", "walk_away": "red"}[action]
    out.print(f"[bold {colour}]{action}[/bold {colour}]: ", end="")
    out.print(rec.reason, markup=False)
    for note in rec.notes:
        out.print(f"note: {note}", markup=False)
    if rec.aspiration is not None:
        used = f" ({rec.concession_used:.0%} of our room conceded)" if rec.concession_used is not None else ""
        out.print(f"aiming for: {fmt(rec.aspiration, norm)}{used}", markup=False)
    if rec.beliefs:
        out.print("beliefs about the buyer: " + ", ".join(f"{k} {v:.0%}" for k, v in rec.beliefs.items()), markup=False)
    if rec.accepted_package:
        out.print(
            "sign: " + ", ".join(f"{n}={display_value(v)}" for n, v in rec.accepted_package.items()), markup=False
        )
    shown = [(f"{k}.", c) for k, c in enumerate(rec.counters, 1)]
    if rec.last_best_offer is not None:
        shown.append(("last best offer:", rec.last_best_offer))
    for head, c in shown:
        acc = f", acceptance {c.acceptance_probability:.0%}" if c.acceptance_probability is not None else ""
        out.print(f"\n[bold]{head}[/bold] ", end="")
        out.print(c.sentence, markup=False)
        out.print(
            f"   seller {fmt(c.seller, norm)}, buyer {fmt(c.buyer, norm)}, joint {fmt(c.joint, norm)}{acc}",
            markup=False,
        )
        out.print("   " + ", ".join(f"{n}={display_value(v)}" for n, v in c.package.items()), markup=False)
        for flag in c.flags:
            out.print("   [red]flag:[/red] ", end="")
            out.print(str(flag), markup=False)


@app.command("simulate")
def simulate_cmd(
    model: ModelArg,
    opponent: Annotated[
        str, typer.Option("--opponent", help="The buyer: a standard agent (boulware, linear, …) or all.")
    ] = "all",
    rounds: Annotated[int, typer.Option("--rounds", help="Steps of alternating offers before the deadline.")] = 100,
    guessed: Annotated[
        bool, typer.Option("--guessed", help="Tell our engine a guessed buyer (the seller's utility mirrored).")
    ] = False,
    seller: Annotated[
        str, typer.Option("--seller", help="Who sells: engine (ours) or a standard agent, as the baseline.")
    ] = "engine",
    transcript: Annotated[bool, typer.Option("--transcript", help="Show every move.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Negotiate as the seller (our engine, or a standard agent) against standard buyer agents."""
    from dealopt.interfaces.simulation_table import print_simulations
    from dealopt.negotiation.simulate import BUYERS, simulate

    deal = compile_model(load(model))
    try:
        if opponent != "all" and opponent not in BUYERS:
            raise PackageError(f"opponent: {opponent!r}; expected one of {', '.join(BUYERS)}, or all")
        names = BUYERS if opponent == "all" else (opponent,)
        results = [simulate(deal, name, rounds, seller=seller, guessed=guessed) for name in names]
    except DealoptError as exc:
        fail(shown(exc))
        return
    if as_json:
        emit_json([r.to_dict(transcript) for r in results])
        return
    print_simulations(results, transcript)


# ---------------------------------------------------------------- schema, import


@app.command()
def schema() -> None:
    """Print the JSON Schema of the deal model format."""
    from dealopt.model.json_schema import model_json_schema

    emit_json(model_json_schema())


@app.command("import-genius")
def import_genius_cmd(
    domain: Annotated[Path, typer.Argument(help="GENIUS domain XML.", show_default=False)],
    seller: Annotated[Path, typer.Argument(help="Seller's utility-space XML.", show_default=False)],
    buyer: Annotated[Path, typer.Argument(help="Buyer's utility-space XML.", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the model here (default: stdout).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Model name (default: from the domain file).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a GENIUS/ANAC domain and two profiles as a dealopt/1 model (units: normalized)."""
    from dealopt.model.importers.genius import import_genius
    from dealopt.model.writing import model_to_text, write_model

    try:
        model = import_genius(domain, seller, buyer, name=name)
    except ModelError as exc:
        fail(str(exc))
        return
    if output is not None:
        try:
            write_model(model, output)
        except OSError as exc:
            fail(f"{output}: cannot write ({exc.strerror or exc}); expected a writable file path")
        if as_json:
            emit_json({"written": str(output), "name": model.name, "issues": len(model.issues)})
        else:
            err.print(f"wrote {output} ({model.name}, {len(model.issues)} issues)", markup=False)
    else:
        sys.stdout.write(model_to_text(model, "json" if as_json else "yaml"))


def _register_more() -> None:
    from dealopt.interfaces import mcp_command
    from dealopt.interfaces.batch_commands import register as register_batch
    from dealopt.interfaces.serve_command import register as register_serve
    from dealopt.interfaces.sweep_commands import register as register_sweeps

    register_sweeps(app)
    register_batch(app)
    register_serve(app)
    __import__("dealopt.interfaces.learn_commands", fromlist=["register"]).register(app)  # learn, simulate-history
    mcp_command.register(app)


_register_more()


#: Library parameter names whose flag is not ``--`` + the name with dashes.
#: The library's parameter names whose flag is not ``--`` + the name with dashes (the one param → flag mapping).
_FLAGS = {
    "round": "--round/--deadline",
    "from_package": "--from",
    "models_dir": "--models",
    "state_dir": "--state-dir",
    "cors_origins": "--cors-origin",
}


def _flag(param: str) -> str:
    if param.isupper():  # an environment variable (DEALOPT_API_KEYS …) is named as it is
        return param
    return _FLAGS.get(param, "--" + param.replace("_", "-"))


def shown(exc: DealoptError) -> str:
    """The message of a library error as the CLI says it: its parameter named by its flag."""
    param = exc.param if isinstance(exc, OptionError) else None
    return exc.shown_as({param: _flag(param)} if param else _FLAGS)


def main() -> None:
    """Console entry point: run the app, turning every error into one line."""
    try:
        code = app(standalone_mode=False)
    except DealoptError as exc:
        for line in shown(exc).splitlines() or [type(exc).__name__]:
            err.print(f"error: {line}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("aborted", markup=False)
        sys.exit(130)
    except Exception as exc:  # usage errors (exit 2) and anything unexpected (exit 1)
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(exc.exit_code)
        if hasattr(exc, "exit_code"):  # Exit / Abort
            sys.exit(exc.exit_code)
        err.print(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0], markup=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
