"""``logboot import`` and ``logboot export``: between profiles and ``dictConfig`` documents."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from logboot.cli.commands import app
from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    SetOption,
    examples,
    existing_file,
    exit_invalid,
    failures,
    wants_debug,
)
from logboot.cli.output import console, display_path, plural, print_problems, shown
from logboot.cli.paths import write_text
from logboot.errors import LogbootError, Problem
from logboot.interop.dictconfig import export_dictconfig, import_dictconfig, read_dictconfig
from logboot.profile.dumping import to_yaml
from logboot.profile.loading import check_profile, validate_document
from logboot.profile.reading import read_text


class ExportFormat(str, Enum):
    """What ``logboot export`` writes."""

    dictconfig = "dictconfig"


def _write(target: Path, text: str, force: bool) -> None:
    if not write_text(target, text, replace=force):
        raise LogbootError(
            f"{str(target)!r} already exists; pass --force to overwrite it, or choose another FILE"
        )


OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE", readable=False),
]
ForceOption = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing FILE.")]


@app.command(
    "import",
    epilog=examples(
        "logboot import logging.yaml -o logboot.yaml",
        "logboot import logging.json > logboot.yaml",
        before="Notes about what has no equivalent go to stderr, and stand as comments in the profile.\n"
        "Exit status: 0 when the profile is valid, 1 when the document cannot be read or the\n"
        "profile needs a fix (it is written all the same), 2 for a usage error.\n\n",
    ),
)
def import_(
    ctx: typer.Context,
    config: Annotated[
        Path,
        typer.Argument(
            help="A dictConfig document (YAML or JSON).",
            metavar="CONFIG",
            callback=existing_file,
            readable=False,  # existing_file says why in one line; typer's check would not
        ),
    ],
    output: OutputOption = None,
    force: ForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Turn a logging.config.dictConfig document into an equivalent logboot profile."""
    stderr = console()
    name = display_path(str(config))
    with failures(wants_debug(ctx, debug)):
        try:
            text = config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise LogbootError(f"cannot read {name!r}: {err}") from err
        profile_text, notes = import_dictconfig(read_dictconfig(text, name), name)
        target = "<stdout>" if output is None or str(output) == "-" else display_path(str(output))
        result = validate_document(read_text(profile_text, target, environ={}))
        if target == "<stdout>":
            sys.stdout.write(profile_text)
        else:
            assert output is not None
            _write(output, profile_text, force)
    for note in notes:
        stderr.print(Text(f"note: {note}", style="yellow"))
    if result.problems:
        print_problems(sorted(map(shown, result.problems), key=Problem.sort_key), stderr)
        stderr.print(
            Text(
                f"logboot: error: the imported profile needs a fix ({plural(len(result.problems), 'error')})",
                style="red",
            )
        )
        raise typer.Exit(1)
    done = f"Imported {name}" + (f" into {target}" if target != "<stdout>" else "")
    stderr.print(Text(f"{done} ({plural(len(notes), 'note')}).", style="green"))


@app.command(
    epilog=examples(
        "logboot export logboot.yaml -o logging.json      (then: uvicorn --log-config logging.json)",
        "logboot export logboot.yaml -o logging.yaml --set root.level=DEBUG",
        before="Loading the document with logging.config.dictConfig starts logboot for the profile\n"
        "(uvicorn --log-config, gunicorn logconfig_dict, Django LOGGING). ${VAR}s are expanded now.\n\n",
    )
)
def export(
    ctx: typer.Context,
    profile: Annotated[
        Path,
        typer.Argument(
            help="The profile to export.", metavar="PROFILE", callback=existing_file, readable=False
        ),
    ],
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="What to write.", case_sensitive=False)
    ] = ExportFormat.dictconfig,
    output: OutputOption = None,
    force: ForceOption = False,
    overrides: SetOption = None,
    extends_roots: ExtendsRootOption = None,
    debug: DebugOption = False,
) -> None:
    """Write a dictConfig document that runs the profile through logboot when loaded.

    JSON, or YAML when FILE ends in .yaml or .yml.
    """
    with failures(wants_debug(ctx, debug)):
        validation = check_profile(profile, overrides=overrides or None, extends_roots=extends_roots)
    if validation.profile is None:
        exit_invalid(validation.problems, display_path(str(profile)), "export")
    document = export_dictconfig(validation.profile)
    to_file = output is not None and str(output) != "-"
    as_yaml = to_file and output is not None and output.suffix in (".yaml", ".yml")
    text = to_yaml(document) if as_yaml else json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not to_file:
        sys.stdout.write(text)
        return
    assert output is not None
    with failures(wants_debug(ctx, debug)):
        _write(output, text, force)
    console().print(f"Wrote a dictConfig for {display_path(str(profile))} to {display_path(str(output))}")
