"""What the commands share: their common options, help epilogs, and errors as one line and an exit code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.text import Text

from logboot.cli.output import console, plural, print_problems, shown
from logboot.cli.paths import unreadable_reason, write_text
from logboot.errors import LogbootError, Problem
from logboot.profile.reading import ProfileNotFoundError


def examples(*lines: str, before: str = "") -> str:
    """A help epilog: optional text, then one example command a line."""
    return before + "Examples:\n\n" + "\n".join(f"  {line}" for line in lines)


class Format(str, Enum):
    """Output formats of ``check`` and ``show``."""

    text = "text"
    json = "json"


DebugOption = Annotated[bool, typer.Option("--debug", help="On an error, show the full (chained) traceback.")]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a key of the profile, as YAML: --set queues.main.max_size=100 (repeatable).",
        metavar="KEY.PATH=VALUE",
    ),
]
ExtendsRootOption = Annotated[
    Optional[list[Path]],  # noqa: UP045 - typer reads `X | None` only from Python 3.11
    typer.Option(
        "--extends-root",
        help="Let `extends` read files in DIR too (repeatable); by default only inside the profile's "
        "folder. Also $LOGBOOT_EXTENDS_ROOTS (folders separated by the path separator).",
        metavar="DIR",
    ),
]
FormatOption = Annotated[
    Format, typer.Option("--format", help="text for people, json for tools.", case_sensitive=False)
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE", readable=False),
]
ForceOption = Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing FILE.")]


def wants_debug(ctx: typer.Context, debug: bool) -> bool:
    """``--debug`` given before the command or after it."""
    return debug or ctx.obj is True


@contextmanager
def failures(debug: bool) -> Iterator[None]:
    """Turn an error into one line on stderr (and a traceback with --debug) and an exit code."""
    try:
        yield
    except ProfileNotFoundError as err:
        fail(err, debug, code=2)
    except (LogbootError, OSError) as err:
        fail(err, debug, code=1)
    except Exception as err:  # noqa: BLE001 - a bug in logboot: say so plainly, exit 1
        fail(err, debug, code=1, internal=True)


def fail(err: BaseException, debug: bool, *, code: int, internal: bool = False) -> NoReturn:
    """Print ``err`` as ``failures`` does, then exit with ``code``."""
    print_error(err, debug, internal=internal)
    raise typer.Exit(code)


def print_error(err: BaseException, debug: bool, *, internal: bool) -> None:
    """One red line on stderr (after the chained traceback, with ``debug``)."""
    stderr = console()
    if debug:
        sys.stderr.write("".join(traceback.format_exception(type(err), err, err.__traceback__)))
    if internal:
        message = f"logboot: internal error: {type(err).__name__}: {err}"
        if not debug:
            message += "\n(run again with --debug to see the traceback)"
    else:
        message = f"logboot: error: {err}"
    stderr.print(Text(message, style="red"))


def existing_file(path: Path) -> Path:
    """A file that can be read; anything else (missing, a folder, a device, unreadable, a name
    too long) is a usage error: one line naming it, exit 2.

    (A callback's parameter is never annotated ``list[...]``: typer calls ``issubclass()`` on
    it, which raises on Python 3.10.)
    """
    reason = unreadable_reason(path)
    if reason is not None:
        console().print(Text(f"logboot: error: {reason}", style="red"))
        raise typer.Exit(2)
    return path


def exit_invalid(problems: list[Problem], name: str, action: str) -> NoReturn:
    """Print an invalid profile's problems as ``check`` does, then exit 1 (nothing to ``action``)."""
    located = sorted((shown(p) for p in problems), key=Problem.sort_key)
    stderr = console()
    print_problems(located, stderr)
    stderr.print(
        Text(
            f"logboot: error: {name} is not a valid profile "
            f"({plural(len(located), 'error')}); nothing to {action}",
            style="red",
        )
    )
    raise typer.Exit(1)


def write_new(target: Path, text: str, force: bool, what: str = "") -> None:
    """Write ``text`` to ``target`` (``import``, ``export``, ``schema``); an error naming --force
    when it exists and ``force`` is off."""
    if not write_text(target, text, replace=force, what=what):
        raise LogbootError(
            f"{str(target)!r} already exists; pass --force to overwrite it, or choose another FILE"
        )
