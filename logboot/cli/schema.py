"""``logboot schema``: print or write the JSON Schema of profiles, for editors and SchemaStore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from logboot.cli.common import DebugOption, examples, failures, wants_debug
from logboot.cli.output import console
from logboot.cli.paths import write_text
from logboot.profile.schema import schema_text

EPILOG = examples("logboot schema > logboot.schema.json", "logboot schema -o .vscode/logboot.schema.json")


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
    text = schema_text()
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return
    with failures(wants_debug(ctx, debug)):
        write_text(output, text, replace=True, what="the schema")
    console().print(f"Wrote the JSON Schema of profile version 1 to {output}")
