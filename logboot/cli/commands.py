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

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer

from logboot import __version__
from logboot.cli import bench, check, ctl, export_config, import_config, init, schema, show
from logboot.cli.common import DebugOption, examples, print_error


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


def create_app() -> typer.Typer:
    """The typer app, with the callback and every command of ``COMMANDS`` on it."""
    app = typer.Typer(
        name="logboot",
        help=(
            "Write, check and inspect logboot profiles: YAML files that describe a queued,\n"
            "managed logging set-up (loggers -> queues -> listeners -> sinks)."
        ),
        epilog=examples(
            "logboot init --template prod logboot.yaml",
            "logboot check logboot.yaml",
            "logboot show logboot.yaml",
            "logboot schema -o logboot.schema.json",
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_main)
    for command in COMMANDS:
        app.command(command.name, epilog=command.epilog)(command.function)
    app.add_typer(ctl.create_app(), name="ctl", help=ctl.HELP, epilog=ctl.EPILOG)  # a group of sub-commands
    return app


app = create_app()


def main(argv: list[str] | None = None) -> None:
    """The console script: ``logboot ...``; a bug that escapes a command is still one line."""
    try:
        app(args=argv, prog_name="logboot")
    except Exception as err:  # noqa: BLE001 - the last guard: one line (a traceback only with --debug)
        print_error(err, "--debug" in (sys.argv[1:] if argv is None else argv), internal=True)
        raise SystemExit(1) from None
