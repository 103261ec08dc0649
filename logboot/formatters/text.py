"""The ``text`` formatter: a layout of record fields, one line per record, that cannot be forged.

Control characters in a message or a field are escaped, and the lines of a traceback are
indented (``logboot.formatters.escaping``), so every line that starts at column one is
the start of a record.
"""

from __future__ import annotations

import logging
import re
import string
import time
from typing import TYPE_CHECKING, Any

from logboot.formatters.base import ClockCache, CompiledFormatter
from logboot.formatters.escaping import (
    LINE_SAFE_TYPES,
    SAFE_FIELDS,
    context_text,
    escape,
    escape_block,
    escaped,
)
from logboot.formatters.fields import CONTEXT_FIELD, RECORD_FIELDS, format_fields

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

# The layout of a text formatter without `format`, by style (read by logboot.profile.collect too).
DEFAULT_FORMATS = {
    "{": "{asctime} {levelname:<8} {name}: {message}",
    "%": "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
    "$": "${asctime} ${levelname} ${name}: ${message}",
}


class TextFormatter(CompiledFormatter):
    """A ``logging.Formatter`` that escapes control characters and indents tracebacks.

    A layout of plain record fields (most layouts) is compiled, on first use, into
    functions that read the fields straight off the record (``logboot.formatters.text_layout``); any
    other layout takes the general path, which renders from the record's ``__dict__``.
    Both write the same text. ``format_batch`` lays out a whole batch in one call.

    Besides a record's attributes, ``message`` and ``asctime``, a layout may name
    ``context`` (the record's request-context fields as ``name=value`` pairs,
    ``escaping.context_text``) and any context or `extra` field, which is empty in a
    record that lacks it; such a layout takes the general path.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "{",
        utc: bool = False,
    ) -> None:
        fmt = fmt or DEFAULT_FORMATS[style]
        super().__init__(fmt, datefmt, style=style)  # type: ignore[arg-type]
        self._clock = ClockCache(datefmt, utc)
        self._needs_time = self.usesTime()
        fields = format_fields(fmt, style)
        # Only fields that may carry outside text are checked, and copied only to be escaped.
        self._escaped_fields = tuple(f for f in fields if f not in SAFE_FIELDS and f != "message")
        # Fields a record may lack (`context`, a context or `extra` field by name): a layout
        # that names one renders from a copy of the record's fields in which a missing
        # one reads as "" (as logback's %X{key}), and `context` as its `k=v` pairs.
        self._optional = tuple(f for f in dict.fromkeys(fields) if f not in RECORD_FIELDS)
        self._with_context = CONTEXT_FIELD in fields
        self._style_char = style
        self._template = string.Template(fmt) if style == "$" else None
        # A "{" layout of plain fields renders the same, and faster, as a %-format.
        self._percent = _as_percent(fmt) if style == "{" else None
        self._uncompiled()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self._clock.format(record.created, record.msecs)

    def _compile_paths(
        self,
    ) -> tuple[Callable[[logging.LogRecord], str], Callable[[Iterable[logging.LogRecord]], list[str]]] | None:
        # Imported here: a start that logs nothing never loads the code generator.
        from logboot.formatters.text_layout import compile_layout

        layout = {"{": self._percent, "%": self._fmt}.get(self._style_char)
        return compile_layout(layout, self._needs_time, self._clock.format, self._with_traceback)

    def _format_general(self, record: logging.LogRecord) -> str:
        """``format`` for any layout: rendered from the record's ``__dict__``."""
        message = record.getMessage()
        if message.__class__ is not str:  # a str subclass (from a __str__): as %s shows it
            message = "%s" % (message,)  # noqa: UP031 - %s, not str(): what the fast path does
        record.message = escape(message)
        if self._needs_time:
            record.asctime = self._clock.format(record.created, record.msecs)
        values = record.__dict__
        if self._optional:
            values = _LayoutFields(values)  # a copy: the record stays as it was
            if self._with_context:
                values[CONTEXT_FIELD] = context_text(record.__dict__)  # escaped already
        for name in self._escaped_fields:
            value = values.get(name)
            if value.__class__ is str:
                if value.isprintable():  # most fields: clean text, shown as it is
                    continue
            elif value.__class__ in LINE_SAFE_TYPES:
                continue
            # A copy, unless it is one already: the record stays as it was.
            values = escaped(values, self._escaped_fields, copy=not self._optional)
            break
        text = self._render(values)
        if not (record.exc_info or record.exc_text or record.stack_info):
            return text  # most records: no traceback, no stack
        return self._with_traceback(record, text)

    def _with_traceback(self, record: logging.LogRecord, text: str) -> str:
        """``text`` followed by the record's traceback and stack, as continuation lines."""
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            text += escape_block(record.exc_text)
        if record.stack_info:
            text += escape_block(record.stack_info)
        return text

    def _render(self, values: dict[str, Any]) -> str:
        """``formatMessage`` over a dict of (escaped) values instead of the record."""
        if self._percent is not None:
            return self._percent % values
        fmt: str = self._fmt  # type: ignore[assignment]
        if self._style_char == "{":
            return fmt.format_map(values)  # no keyword-argument copy, unlike str.format(**values)
        if self._template is not None:
            return self._template.substitute(values)
        return fmt % values


class _LayoutFields(dict):  # type: ignore[type-arg]
    """A record's fields for a layout that names a field a record may lack: "" for it."""

    __slots__ = ()

    def __missing__(self, key: str) -> str:
        return ""


# Fields str.format renders exactly as %s does: text (or None), and the ints and floats
# logging computes itself. Only the text fields that are never None take `<` or `>` and a
# width (str.format refuses a width for None, %s does not).
_PLAIN_FIELDS = frozenset(
    {"name", "levelname", "message", "asctime", "module", "filename", "pathname", "funcName"}
    | {"threadName", "processName", "taskName", "lineno", "process", "thread", "created", "msecs"}
)
_ALIGNABLE_FIELDS = frozenset({"name", "levelname", "message", "asctime", "module", "filename", "pathname"})
_ALIGN = re.compile(r"([<>]?)([0-9]*)")


def _as_percent(fmt: str) -> str | None:
    """``fmt`` ("{" style) as the %-format that renders the same text, or None when some
    field needs str.format (an `extra` field, a conversion, any other format spec)."""
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(fmt):
        parts.append(literal.replace("%", "%%"))
        if field is None:
            continue
        aligned = _ALIGN.fullmatch(spec or "")
        if field not in _PLAIN_FIELDS or conversion is not None or aligned is None:
            return None
        align, width = aligned.groups()
        if width and field not in _ALIGNABLE_FIELDS:
            return None
        left = width and align != ">"  # str.format aligns text left unless told otherwise
        parts.append(f"%({field}){'-' if left else ''}{width}s")
    return "".join(parts)


class StdlibTextFormatter(logging.Formatter):
    """``stdlib_layout: true``: ``logging.Formatter`` itself, byte for byte (its time stamp,
    raw line breaks, tracebacks as they are). Nothing is escaped: for trusted input only."""

    def __init__(
        self, fmt: str | None = None, datefmt: str | None = None, style: str = "{", utc: bool = False
    ) -> None:
        super().__init__(fmt or DEFAULT_FORMATS[style], datefmt, style=style)  # type: ignore[arg-type]
        if utc:
            self.converter = time.gmtime
