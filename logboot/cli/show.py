"""``logboot show``: draw a profile's topology as a tree, or print it as JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    Format,
    FormatOption,
    SetOption,
    examples,
    existing_file,
    exit_invalid,
    failures,
    wants_debug,
)
from logboot.cli.output import console, display_path, write_json
from logboot.cli.tree import topology_tree
from logboot.profile.describe import describe_profile
from logboot.profile.loading import check_profile

EPILOG = examples(
    "logboot show logboot.yaml",
    "logboot show --format json logboot.yaml",
    "logboot show logboot.yaml --set queues.main.kind=process",
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
