"""How the CLI writes: colour only on a terminal, problems shown like a compiler's.

Problems are printed as ``file:line:col: path: message`` (``str(Problem)``), then the
source line with a caret under the column. Colour follows the stream: a terminal gets
it, a pipe or file does not, ``NO_COLOR`` turns it off and ``FORCE_COLOR`` on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logboot.errors import Problem
from logboot.profile.files import read_source

_PIPE_WIDTH = 10_000


def wants_color(stream: TextIO) -> bool:
    """Colour for ``stream``: never with NO_COLOR, always with FORCE_COLOR, else on a TTY."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _isatty(stream)


def console(stream: TextIO | None = None) -> Console:
    """A rich console on ``stream`` (default stderr) that adds nothing of its own."""
    stream = stream if stream is not None else sys.stderr
    color = wants_color(stream)
    return Console(
        file=stream,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        # Piped output is never wrapped or cut: a line is as long as its content.
        width=None if _isatty(stream) else _PIPE_WIDTH,
    )


def help_settings(piped: bool) -> dict[str, object]:
    """The click context settings of a command group: ``-h`` too, and for piped help lines
    as long as their text (click wraps at the terminal's width, 80 columns when piped)."""
    settings: dict[str, object] = {"help_option_names": ["-h", "--help"]}
    if piped:
        settings.update(terminal_width=_PIPE_WIDTH, max_content_width=_PIPE_WIDTH)
    return settings


def epilog_text(text: str, piped: bool) -> str:
    """A help epilog as written: for piped (plain) help, each paragraph marked so that click
    keeps its lines (one example command a line) instead of joining them."""
    if not piped:
        return text
    return "\n\n".join(f"\b\n{paragraph}" for paragraph in text.split("\n\n"))


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (anything else, a pipe or a file, gets plain lines)."""
    return _isatty(stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def write_json(data: Any, stream: TextIO | None = None) -> None:
    """One JSON document, indented, on stdout (never through rich: no markup, no wrapping)."""
    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    out.flush()


def display_path(file: str) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return file


def shown(problem: Problem) -> Problem:
    """The problem with its file as ``display_path`` shows it."""
    file = display_path(problem.file)
    if file == problem.file:
        return problem
    return Problem(file, problem.line, problem.column, problem.path, problem.message, problem.severity)


class SourceLines:
    """The lines of the files problems point into, each file read once."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def line(self, file: str, number: int) -> str | None:
        if file not in self._files:
            # Read as the profile was: a FIFO or a device named by a problem must not hang the CLI.
            text = read_source(file)
            self._files[file] = None if text is None else text.splitlines()
        lines = self._files[file]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def problem_text(problem: Problem, sources: SourceLines) -> Text:
    """``file:line:col: path: message``, then the source line and a caret, like a compiler."""
    style = "yellow" if problem.severity == "warning" else "red"
    out = Text()
    out.append(f"{problem.file}:{problem.line}:{problem.column}:", style="bold")
    rest = str(problem).removeprefix(f"{problem.file}:{problem.line}:{problem.column}:")
    out.append(rest, style=style)
    source = sources.line(problem.file, problem.line)
    if source is None:
        return out
    number = str(problem.line)
    gutter = " " * len(number)
    before = source[: max(problem.column - 1, 0)]
    pad = "".join("\t" if char == "\t" else " " for char in before)
    out.append("\n")
    out.append(f" {number} | ", style="blue")
    out.append(source)
    out.append("\n")
    out.append(f" {gutter} | ", style="blue")
    out.append(pad)
    out.append("^", style=f"bold {style}")
    return out


def print_problems(problems: Iterable[Problem], err: Console) -> None:
    """Each problem with its source line, in the order given."""
    sources = SourceLines()
    for problem in problems:
        err.print(problem_text(problem, sources))


def plural(count: int, word: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def number_table(*headers: str) -> Table:
    """A table whose columns hold numbers (right-aligned), but for those whose header ends in
    ``<`` (left-aligned text; the ``<`` is not shown)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for header in headers:
        text = header.removesuffix("<")
        table.add_column(text, justify="left" if text != header else "right")
    return table
