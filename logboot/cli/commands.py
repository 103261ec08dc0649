"""The ``logboot`` command: ``init``, ``check``, ``show`` and ``schema``.

Exit codes: 0 when all is well, 1 for an invalid profile (or a file that cannot be
written), 2 for a usage error (a file that is missing or cannot be read, an unknown option
or template). Problems go to stderr, requested output (JSON, the schema, the tree) to stdout;
every error is one line, with its traceback only under --debug.
"""

from __future__ import annotations

import json
import shlex
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from logboot import __version__
from logboot.cli.checking import FileReport, check_path, report_document, summary
from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    Format,
    FormatOption,
    SetOption,
    examples,
    existing_file,
    exit_invalid,
    fail,
    failures,
    print_error,
    wants_debug,
)
from logboot.cli.output import console, display_path, print_problems, write_json
from logboot.cli.paths import is_folder, write_text
from logboot.cli.templates import DEFAULT_TEMPLATE, templates
from logboot.cli.tree import topology_tree
from logboot.errors import LogbootError
from logboot.profile.describe import describe_profile
from logboot.profile.loading import check_profile
from logboot.profile.schema import json_schema
from logboot.profile.validation import did_you_mean

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


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"logboot {__version__}\n")
        raise typer.Exit


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    debug: DebugOption = False,
) -> None:
    ctx.obj = debug


# --- init -------------------------------------------------------------------------------


def _template_names() -> list[str]:
    return list(templates())


@app.command(
    epilog=examples(
        "logboot init                      (writes logboot.yaml from the prod template)",
        "logboot init --template dev config/logging.yaml",
        "logboot init --list",
    )
)
def init(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="The file to write (in that folder, if it is one).", metavar="PATH", readable=False
        ),
    ] = Path("logboot.yaml"),
    template: Annotated[
        str,
        typer.Option(
            "--template",
            "-t",
            help="The template to start from (see --list).",
            metavar="NAME",
            autocompletion=_template_names,
        ),
    ] = DEFAULT_TEMPLATE,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing file.")] = False,
    list_templates: Annotated[
        bool, typer.Option("--list", help="List the templates, one line each, and exit.")
    ] = False,
    debug: DebugOption = False,
) -> None:
    """Write a commented, ready-to-use profile that `logboot check` accepts."""
    available = templates()
    if list_templates:
        out = console(sys.stdout)
        width = max(map(len, available))
        for name, entry in available.items():
            line = Text()
            line.append(name.ljust(width), style="bold")
            line.append(f"  {entry.summary}")
            out.print(line)
        return
    chosen = available.get(template)
    if chosen is None:
        hint = did_you_mean(template, available) or ""
        raise typer.BadParameter(
            f"no template {template!r}{hint} (templates: {', '.join(available)})",
            param_hint="'--template'",
        )
    target = path / "logboot.yaml" if is_folder(path) else path
    with failures(wants_debug(ctx, debug)):
        written = _write_new(target, chosen.text, force)
    if not written:
        message = f"{str(target)!r} already exists; pass --force to overwrite it, or choose another PATH"
        fail(LogbootError(message), False, code=1)
    console().print(
        f"Wrote {target} from the {chosen.name!r} template. "
        f"Check it with: logboot check {shlex.quote(str(target))}"
    )


def _write_new(target: Path, text: str, force: bool) -> bool:
    """Write ``text`` to ``target`` (byte for byte); False when it exists and ``force`` is off."""
    return write_text(target, text, replace=force)


# --- check ------------------------------------------------------------------------------


@app.command(
    epilog=examples(
        "logboot check logboot.yaml",
        "logboot check --strict configs/*.yaml",
        "logboot check --format json configs/*.yaml > report.json",
        "logboot check --reachable configs/syslog.yaml",
        "logboot check logboot.yaml --set root.level=DEBUG --set queues.main.max_size=100",
        before="Exit status: 0 when every profile is valid, 1 when any is invalid,\n"
        "2 for a usage error (a file that is missing or cannot be read, an unknown option).\n"
        "Every file is checked, whatever happened to the ones before it.\n\n",
    )
)
def check(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Profiles to check.", metavar="PATH", readable=False),
    ],
    output_format: FormatOption = Format.text,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Fail on warnings too (unused sinks, unbounded queues, ...)."),
    ] = False,
    reachable: Annotated[
        bool,
        typer.Option(
            "--reachable",
            help="Also connect to each syslog/OTLP receiver and warn about one that is down.",
        ),
    ] = False,
    overrides: SetOption = None,
    extends_roots: ExtendsRootOption = None,
    debug: DebugOption = False,
) -> None:
    """Validate profiles and what they need at start-up; print every problem with its place.

    Beyond the schema: a log folder that cannot be created or written, a missing optional package,
    and with --reachable a remote receiver that does not answer. Nothing is created while checking.
    """
    debugging = wants_debug(ctx, debug)
    reports = [
        check_path(path, overrides, reachable=reachable, extends_roots=extends_roots) for path in paths
    ]
    failed = any(report.failed(strict) for report in reports)
    stderr = console()
    for report in reports:
        if report.failure is not None:
            _print_failure(report, debugging, stderr)
        elif output_format is Format.text:
            print_problems(report.problems(), stderr)
    if output_format is Format.json:
        write_json(report_document(reports, strict))
    else:
        stderr.print(Text(summary(reports, strict), style="red" if failed else "green"))
    if not debugging and any(report.internal for report in reports):
        stderr.print(Text("(run again with --debug to see the traceback)", style="red"))
    raise typer.Exit(2 if any(report.usage for report in reports) else 1 if failed else 0)


def _print_failure(report: FileReport, debug: bool, stderr: Console) -> None:
    """The one line of a file that could not be checked (after its traceback, with --debug)."""
    cause = report.cause
    if debug and cause is not None:
        stderr.file.write("".join(traceback.format_exception(type(cause), cause, cause.__traceback__)))
    stderr.print(Text(f"logboot: error: {report.failure}", style="red"))


# --- show -------------------------------------------------------------------------------


@app.command(
    epilog=examples(
        "logboot show logboot.yaml",
        "logboot show --format json logboot.yaml",
        "logboot show logboot.yaml --set queues.main.kind=process",
    )
)
def show(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(help="The profile to draw.", metavar="PATH", callback=existing_file, readable=False),
    ],
    output_format: FormatOption = Format.text,
    overrides: SetOption = None,
    extends_roots: ExtendsRootOption = None,
    debug: DebugOption = False,
) -> None:
    """Draw the topology: loggers (level) -> queue -> listener -> sinks (type, target)."""
    with failures(wants_debug(ctx, debug)):
        validation = check_profile(path, overrides=overrides or None, extends_roots=extends_roots)
    if validation.profile is None:
        exit_invalid(validation.problems, display_path(str(path)), "show")
    description = describe_profile(validation.profile)
    if output_format is Format.json:
        write_json(description.to_dict())
    else:
        console(sys.stdout).print(topology_tree(description), soft_wrap=False)


# --- schema -----------------------------------------------------------------------------


@app.command(
    epilog=examples("logboot schema > logboot.schema.json", "logboot schema -o .vscode/logboot.schema.json")
)
def schema(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE", readable=False
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Print the JSON Schema of profile version 1, for editors and SchemaStore."""
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return
    with failures(wants_debug(ctx, debug)):
        write_text(output, text, replace=True, what="the schema")
    console().print(f"Wrote the JSON Schema of profile version 1 to {output}")


def main(argv: list[str] | None = None) -> None:
    """The console script: ``logboot ...``; a bug that escapes a command is still one line."""
    try:
        app(args=argv, prog_name="logboot")
    except Exception as err:  # noqa: BLE001 - the last guard: one line (a traceback only with --debug)
        print_error(err, "--debug" in (sys.argv[1:] if argv is None else argv), internal=True)
        raise SystemExit(1) from None
