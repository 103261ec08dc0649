"""The ``logboot`` app: its ``--version`` callback, the table of its commands, and ``main``.

Each command lives in a module of its own (``init.py``, ``check.py``, ...) that defines its
function and help epilog and knows nothing of the app; ``COMMANDS`` is the one place that puts
them on it, in the order ``logboot --help`` lists them.

Exit codes: 0 when all is well, 1 for an invalid profile (or a file that cannot be
written), 2 for a usage error (a file that is missing or cannot be read, an unknown option
or template). Problems go to stderr, requested output (JSON, the schema, the tree) to stdout;
every error is one line, with its traceback only under --debug.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from logboot import __version__
from logboot.cli import bench, check, ctl, export_config, import_config, init, schema, show
from logboot.cli.common import DebugOption, examples, print_error
from logboot.cli.output import epilog_text, help_settings, is_terminal
from logboot.errors import LogbootError


@dataclass(frozen=True)
class Command:
    """One command of the app: its name on the command line, its function and its help epilog."""

    name: str
    function: Callable[..., None]
    epilog: str


COMMANDS: tuple[Command, ...] = (
    Command("init", init.init, init.EPILOG),
    Command("check", check.check, check.EPILOG),
    Command("show", show.show, show.EPILOG),
    Command("schema", schema.schema, schema.EPILOG),
    Command("bench", bench.bench, bench.EPILOG),
    Command("import", import_config.import_config, import_config.EPILOG),
    Command("export", export_config.export_config, export_config.EPILOG),
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"logboot {__version__}\n")
        raise typer.Exit


# No docstring: typer would take it for the app's help.
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    debug: DebugOption = False,
) -> None:
    ctx.obj = debug


# The click typer runs on: its own copy from typer 0.20 on (typer._click), click itself before.
_CLICK_EXCEPTIONS = import_module(typer.BadParameter.__module__)
_CLICK_UTILS = import_module(typer.BadParameter.__module__.rpartition(".")[0] + ".utils")


class _Group(TyperGroup):
    """The app's group: on a terminal, a usage error is typer's box with the usage; piped (a
    script, CI, a log), it is one line like every other error, never wrapped."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode or is_terminal(sys.stderr):
            return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except _CLICK_EXCEPTIONS.ClickException as err:
            if type(err).__name__ == "NoArgsIsHelpError":  # `logboot` alone: the help, as typer shows it
                if err.format_message():
                    sys.stderr.write(err.format_message() + "\n")
            else:
                print_error(LogbootError(_one_line(err)), False, internal=False)
            sys.exit(err.exit_code)
        except typer.Abort:
            sys.stderr.write("Aborted!\n")
            sys.exit(1)
        except OSError as err:  # as click does: a closed pipe ends the command quietly
            if err.errno != errno.EPIPE:
                raise
            sys.stdout = _CLICK_UTILS.PacifyFlushWrapper(sys.stdout)
            sys.stderr = _CLICK_UTILS.PacifyFlushWrapper(sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(err: Any) -> str:
    """Click's message as one line; for a usage error, with the help to read."""
    message = " ".join(err.format_message().split()).removesuffix(".")
    if isinstance(err, _CLICK_EXCEPTIONS.UsageError) and err.ctx is not None:
        message += f" (see '{err.ctx.command_path} --help')"
    return message


def create_app(piped: bool = False) -> typer.Typer:
    """The typer app, with the callback and every command of ``COMMANDS`` on it; ``piped``
    (stdout is not a terminal): help as plain text, never boxed, wrapped or cut."""
    app = typer.Typer(
        name="logboot",
        help=(
            "Write, check and inspect logboot profiles: YAML files that describe a queued,\n"
            "managed logging set-up (loggers -> queues -> listeners -> sinks)."
        ),
        epilog=epilog_text(
            examples(
                "logboot init --template prod logboot.yaml",
                "logboot check logboot.yaml",
                "logboot show logboot.yaml",
                "logboot schema -o logboot.schema.json",
            ),
            piped,
        ),
        cls=_Group,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None if piped else "rich",
        context_settings=help_settings(piped),
    )
    app.callback()(_main)
    for command in COMMANDS:
        app.command(command.name, epilog=epilog_text(command.epilog, piped))(command.function)
    ctl_epilog = epilog_text(ctl.EPILOG, piped)
    app.add_typer(ctl.create_app(piped), name="ctl", help=ctl.HELP, epilog=ctl_epilog)  # sub-commands
    return app


app = create_app()


def main(argv: list[str] | None = None) -> None:
    """The console script: ``logboot ...``; a bug that escapes a command is still one line."""
    try:
        (create_app(piped=True) if not is_terminal(sys.stdout) else app)(args=argv, prog_name="logboot")
    except Exception as err:  # noqa: BLE001 - the last guard: one line (a traceback only with --debug)
        print_error(err, "--debug" in (sys.argv[1:] if argv is None else argv), internal=True)
        raise SystemExit(1) from None
