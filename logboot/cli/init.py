"""``logboot init``: write a commented, ready-to-use profile from one of the shipped templates."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from logboot.cli.common import DebugOption, examples, fail, failures, wants_debug
from logboot.cli.output import console
from logboot.cli.paths import is_folder, write_text
from logboot.cli.templates import DEFAULT_TEMPLATE, templates
from logboot.errors import LogbootError
from logboot.profile.schema import SCHEMA_FILE, SCHEMA_URL, schema_text
from logboot.profile.validation import did_you_mean

EPILOG = examples(
    "logboot init                      (writes logboot.yaml from the prod template)",
    "logboot init --template dev config/logging.yaml",
    "logboot init --schema             (and logboot.schema.json beside it, for editors)",
    "logboot init --list",
)


def _template_names() -> list[str]:
    return list(templates())


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
    with_schema: Annotated[
        bool,
        typer.Option(
            "--schema",
            help=f"Also write the JSON Schema, {SCHEMA_FILE}, beside the profile, and point the "
            "profile's first line at it (editors resolve it offline).",
        ),
    ] = False,
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
    text, schema = chosen.text, None
    if with_schema:
        schema = target.parent / SCHEMA_FILE
        text = text.replace(f"$schema={SCHEMA_URL}\n", f"$schema=./{SCHEMA_FILE}\n", 1)
        _refuse_another_schema(schema, force)  # before the profile is written: all or nothing
    with failures(wants_debug(ctx, debug)):
        written = _write_new(target, text, force)
    if not written:
        message = f"{str(target)!r} already exists; pass --force to overwrite it, or choose another PATH"
        fail(LogbootError(message), False, code=1)
    if schema is not None:
        with failures(wants_debug(ctx, debug)):
            write_text(schema, schema_text(), replace=True, what="the schema")
    console().print(
        f"Wrote {target} from the {chosen.name!r} template"
        + (f" and its JSON Schema to {schema}" if schema is not None else "")
        + f". Check it with: logboot check {shlex.quote(str(target))}"
    )


def _refuse_another_schema(schema: Path, force: bool) -> None:
    """Exit 1 when ``schema`` exists and holds something else, unless ``force``: a schema file
    that is already this one (several profiles in one folder) is kept."""
    if force or not (schema.exists() or schema.is_symlink()):
        return
    try:
        same = schema.read_text(encoding="utf-8") == schema_text()
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        message = f"{str(schema)!r} already exists; pass --force to overwrite it, or choose another PATH"
        fail(LogbootError(message), False, code=1)


def _write_new(target: Path, text: str, force: bool) -> bool:
    """Write ``text`` to ``target`` (byte for byte); False when it exists and ``force`` is off."""
    return write_text(target, text, replace=force)
