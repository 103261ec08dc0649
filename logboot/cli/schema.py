"""``logboot schema``: print or write the JSON Schema of profiles, for editors and SchemaStore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from logboot.cli.common import DebugOption, ForceOption, examples, failures, wants_debug, write_new
from logboot.cli.output import console
from logboot.profile.schema import schema_text

EPILOG = examples(
    "logboot schema > logboot.schema.json",
    "logboot schema -o .vscode/logboot.schema.json",
    "logboot schema --force -o .vscode/logboot.schema.json   (replace it)",
)


def schema(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE", readable=False
        ),
    ] = None,
    force: ForceOption = False,
    debug: DebugOption = False,
) -> None:
    """Print the JSON Schema of profile version 1, for editors and SchemaStore."""
    text = schema_text()
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return
    with failures(wants_debug(ctx, debug)):
        write_new(output, text, force, what="the schema")
    console().print(f"Wrote the JSON Schema of profile version 1 to {output}")
