"""``logboot export``: write a ``dictConfig`` document that starts logboot for a profile."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from logboot.cli.common import (
    DebugOption,
    ExtendsRootOption,
    ForceOption,
    OutputOption,
    SetOption,
    examples,
    existing_file,
    exit_invalid,
    failures,
    wants_debug,
    write_new,
)
from logboot.cli.output import console, display_path
from logboot.interop.dictconfig import export_dictconfig
from logboot.profile.dumping import to_yaml
from logboot.profile.loading import check_profile


class ExportFormat(str, Enum):
    """What ``logboot export`` writes."""

    dictconfig = "dictconfig"


EPILOG = examples(
    "logboot export logboot.yaml -o logging.json      (then: uvicorn --log-config logging.json)",
    "logboot export logboot.yaml -o logging.yaml --set root.level=DEBUG",
    before="Loading the document with logging.config.dictConfig starts logboot for the profile\n"
    "(uvicorn --log-config, gunicorn logconfig_dict, Django LOGGING). ${VAR}s are expanded now.\n\n",
)


def export_config(
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
        write_new(output, text, force)
    console().print(f"Wrote a dictConfig for {display_path(str(profile))} to {display_path(str(output))}")
