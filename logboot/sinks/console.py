"""``type: console``: standard error or standard output, coloured on a terminal."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, TextIO

from logboot.sinks.base import BatchSink

if TYPE_CHECKING:
    from logboot.sinks.console_spec import ConsoleSinkSpec

_COLORS = {
    logging.DEBUG: "\x1b[2m",  # dim
    logging.INFO: "",
    logging.WARNING: "\x1b[33m",  # yellow
    logging.ERROR: "\x1b[31m",  # red
    logging.CRITICAL: "\x1b[1;31m",  # bold red
}
_RESET = "\x1b[0m"


def wants_color(stream: TextIO, choice: str) -> bool:
    """``auto``: a terminal, and NO_COLOR unset (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ConsoleSink(BatchSink):
    """Writes lines to a text stream; messages were escaped, so only our colours remain."""

    def __init__(self, stream_name: str = "stderr", color: str = "auto") -> None:
        super().__init__()
        self.stream_name = stream_name
        self.stream: TextIO = getattr(sys, stream_name) or getattr(sys, f"__{stream_name}__")
        self.color = wants_color(self.stream, color)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.color:
            code = _COLORS.get(record.levelno, "")
            if code:
                return f"{code}{text}{_RESET}"
        return text

    def write_lines(self, lines: list[str]) -> int:
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        return len(lines)

    def describe(self) -> str:
        return self.stream_name


def build(spec: ConsoleSinkSpec) -> ConsoleSink:
    return ConsoleSink(spec.stream, spec.color)
