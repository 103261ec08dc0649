"""``logboot import``: turn a ``logging.config.dictConfig`` document into a logboot profile.

The module is not named ``import.py``: ``import`` is a keyword, and could not be imported by name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from logboot.cli.common import (
    DebugOption,
    ForceOption,
    OutputOption,
    examples,
    existing_file,
    failures,
    wants_debug,
    write_new,
)
from logboot.cli.output import console, display_path, plural, print_problems, shown
from logboot.errors import LogbootError, Problem
from logboot.interop.dictconfig import read_dictconfig
from logboot.interop.dictconfig_import import import_dictconfig
from logboot.profile.loading import validate_document
from logboot.profile.reading import read_text

EPILOG = examples(
    "logboot import logging.yaml -o logboot.yaml",
    "logboot import logging.json > logboot.yaml",
    before="Notes about what has no equivalent go to stderr, and stand as comments in the profile.\n"
    "Exit status: 0 when the profile is valid, 1 when the document cannot be read or the\n"
    "profile needs a fix (it is written all the same), 2 for a usage error.\n\n",
)


def import_config(
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
            write_new(output, profile_text, force)
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
