"""The ``dealopt`` command line: the Typer app, its commands (one module per concern) and the entry point.

Every command parses its input, calls one library function and renders the answer. Every failure is one line
on stderr and exit status 2 (:class:`OneLineGroup`); no traceback reaches the user. Importing this module loads
Typer and Rich only: each command imports the library when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from dealopt.interfaces.cli.console import clip, err, size_to_terminal

__all__ = ["FLAGS", "OneLineGroup", "app", "flag_for", "main", "shown"]

#: Command-line usage errors (unknown option, bad number, missing argument): Click's, or Typer's own copy of it.
_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

#: Library parameter names whose flag is not ``--`` + the name with dashes.
FLAGS = {
    "round": "--round/--deadline",
    "from_package": "--from",
    "models_dir": "--models",
    "state_dir": "--state-dir",
    "cors_origins": "--cors-origin",
}


def flag_for(param: str) -> str:
    """The command-line flag of a library parameter (an environment variable, DEALOPT_API_KEYS …, as it is)."""
    if param.isupper():
        return param
    return FLAGS.get(param, "--" + param.replace("_", "-"))


class _PlainArgument(TyperArgument):
    """An argument shown in usage lines as ``MODEL`` (Typer writes ``{MODEL}``)."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        if not self.required:
            name = f"[{name}]"
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name


#: What option help may name, filled in from dealopt.options when shown (see choices.help_values).
_PLACEHOLDERS = ("engines", "solutions", "openings", "agents")


class _DerivedHelpOption(TyperOption):
    """An option whose help names choices from :mod:`dealopt.options` (``{engines}`` …), filled in when shown."""

    def get_help_record(self, ctx: Any) -> tuple[str, str] | None:
        from dealopt.interfaces.cli.choices import help_values

        template = self.help or ""
        filled = template
        for name, names in help_values().items():
            filled = filled.replace("{" + name + "}", names)
        self.help = filled
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = template


class OneLineGroup(TyperGroup):
    """The command group: every error (bad input, bad option, bad usage) is one line on stderr and exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in getattr(self, "commands", {}).values():
            for param in command.params:
                if type(param) is TyperArgument:
                    param.__class__ = _PlainArgument
                elif type(param) is TyperOption and any(f"{{{n}}}" in (param.help or "") for n in _PLACEHOLDERS):
                    param.__class__ = _DerivedHelpOption

    def invoke(self, ctx: Any) -> Any:
        """Run the command; Ctrl-C ends it with one line on stderr and exit 130 (typer would say nothing)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = 0
        size_to_terminal()
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except typer.Exit as exc:
            code = exc.exit_code
        except typer.Abort:
            err.print("aborted")
            code = 130
        except _USAGE_ERROR as exc:  # usage: unknown option, bad number, missing argument…
            if type(exc).__name__ == "NoArgsIsHelpError":  # a bare ``dealopt``: the help, as asked
                sys.stdout.write(_usage_message(exc) + "\n")
                code = 0
            else:
                err.print(f"error: {clip(_usage_line(exc))}")
                code = 2
        except KeyboardInterrupt:
            err.print("interrupted")
            code = 130
        except Exception as exc:
            code = _report(exc)
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_message(exc: Exception) -> str:
    format_message = getattr(exc, "format_message", None)
    return str(format_message()) if callable(format_message) else str(exc)


def _usage_line(exc: Exception) -> str:
    return " ".join(_usage_message(exc).split())


def _report(exc: Exception) -> int:
    """Print a library error as one line per problem (exit 2); anything else as one ``internal error`` line."""
    from dealopt.errors import DealoptError

    if isinstance(exc, DealoptError):
        for line in shown(exc).splitlines() or [type(exc).__name__]:
            err.print(f"error: {clip(line)}")
        return 2
    if isinstance(exc, RecursionError | MemoryError):
        err.print(f"error: input too deeply nested or too large ({type(exc).__name__})")
        return 2
    err.print(clip(f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]))
    return 1


def shown(exc: Exception) -> str:
    """The message of a library error as the CLI says it: its parameter named by its flag."""
    param = getattr(exc, "param", None)
    shown_as = getattr(exc, "shown_as", None)
    if shown_as is None:
        return str(exc)
    return str(shown_as({param: flag_for(param)} if param else FLAGS))


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("dealopt")
        except PackageNotFoundError:  # running from a source tree that is not installed
            number = "unknown"
        sys.stdout.write(f"dealopt {number}\n")
        raise typer.Exit(0)


app = typer.Typer(
    name="dealopt",
    cls=OneLineGroup,
    help="Multi-variable deal optimization for B2B sales negotiation.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Multi-variable deal optimization for B2B sales negotiation."""


# ---------------------------------------------------------------- the commands: one module per concern
# Each module's ``register(app)`` adds its commands; a new command module adds one line here.
from dealopt.interfaces.cli import (  # noqa: E402
    batch,
    counter,
    frontier,
    genius,
    learn,
    mcp,
    model_commands,
    serve,
    simulate,
    sweep,
    trades,
)

model_commands.register(app)  # validate, show, evaluate, schema
frontier.register(app)  # frontier
trades.register(app)  # trades
counter.register(app)  # counter
simulate.register(app)  # simulate
sweep.register(app)  # sweep, plot
batch.register(app)  # price-variants
serve.register(app)  # serve
genius.register(app)  # import-genius
learn.register(app)  # learn, simulate-history
mcp.register(app)  # mcp


def main() -> None:
    """Console entry point (``dealopt``)."""
    app()
