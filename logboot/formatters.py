"""Text and JSON formatters, run in the listener thread.

Text output cannot be forged: control characters in a message or a field are escaped,
and the lines of a traceback are indented, so every line that starts at column one is
the start of a record.
"""

from __future__ import annotations

import json
import logging
import re
import string
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the models are for the type checker: a cached start never imports pydantic
    from .schema import JsonFormatterSpec, TextFormatterSpec

# What a `json` formatter can write (its `fields`); the default is all of them.
JSON_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "process",
    "process_name",
    "thread",
    "thread_name",
    "module",
    "function",
    "line",
    "exception",
    "stack",
    "extra",
)

# Attributes every LogRecord has; anything else on a record came from `extra`.
STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "exc_type",
    "exc_message",
    "taskName",
}

_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTINUATION = "\n    "  # traceback lines are indented under their record


def escape(text: str) -> str:
    """Escape CR, LF, ESC and the other control characters so a line cannot be forged."""
    if text.isprintable():
        return text
    return text.translate(_ESCAPES)


def escape_block(text: str) -> str:
    """A multi-line block (traceback) as indented continuation lines, each one escaped."""
    return _CONTINUATION + _CONTINUATION.join(escape(line) for line in text.splitlines())


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The keys a record carries beyond the standard ones (from ``extra=``)."""
    return {k: v for k, v in record.__dict__.items() if k not in STANDARD_ATTRS}


class _ClockCache:
    """Formats a time stamp, reusing the part down to the second (the costly strftime)
    and the whole stamp while the millisecond stays the same (most records of a batch).

    Each cache is one tuple, read and replaced whole, so listeners sharing a formatter
    never see the parts of two different stamps.
    """

    def __init__(self, datefmt: str | None, utc: bool) -> None:
        self.datefmt = datefmt
        self.utc = utc
        self._second: tuple[int, str, str] = (-1, "", "")  # (second, strftime part, zone)
        self._last: tuple[int, float, str] = (-1, -1.0, "")  # (second, msecs, stamp)

    def format(self, created: float, msecs: float) -> str:
        second = int(created)
        last = self._last
        if last[0] == second and last[1] == msecs:
            return last[2]
        cached = self._second
        if cached[0] != second:
            cached = self._second = self._split(second)
        stamp = cached[1] if self.datefmt else f"{cached[1]}.{int(msecs):03d}{cached[2]}"
        self._last = (second, msecs, stamp)
        return stamp

    def _split(self, second: int) -> tuple[int, str, str]:
        parts = time.gmtime(second) if self.utc else time.localtime(second)
        if self.datefmt:
            return second, time.strftime(self.datefmt, parts), ""
        zone = "Z" if self.utc else _offset(parts)
        return second, time.strftime("%Y-%m-%dT%H:%M:%S", parts), zone


def _offset(parts: time.struct_time) -> str:
    seconds = parts.tm_gmtoff or 0
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


_DEFAULT_FORMATS = {
    "{": "{asctime} {levelname:<8} {name}: {message}",
    "%": "%(asctime)s %(levelname)-8s %(name)s: %(message)s",
    "$": "${asctime} ${levelname} ${name}: ${message}",
}
# Fields that never hold text from outside the program, so need no escaping.
_SAFE_FIELDS = frozenset(
    {"asctime", "levelname", "levelno", "created", "msecs", "relativeCreated", "process", "thread", "lineno"}
)


class TextFormatter(logging.Formatter):
    """A ``logging.Formatter`` that escapes control characters and indents tracebacks.

    A layout of plain record fields (most layouts) is compiled into a function that
    reads the fields straight off the record; any other layout takes the general path,
    which renders from the record's ``__dict__``. Both give the same text.
    """

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "{",
        utc: bool = False,
    ) -> None:
        fmt = fmt or _DEFAULT_FORMATS[style]
        super().__init__(fmt, datefmt, style=style)  # type: ignore[arg-type]
        self._clock = _ClockCache(datefmt, utc)
        self._needs_time = self.usesTime()
        fields = _format_fields(fmt, style)
        # Only fields that may carry outside text are checked, and copied only to be escaped.
        self._escaped_fields = tuple(f for f in fields if f not in _SAFE_FIELDS and f != "message")
        self._style_char = style
        self._template = string.Template(fmt) if style == "$" else None
        # A "{" layout of plain fields renders the same, and faster, as a %-format.
        self._percent = _as_percent(fmt) if style == "{" else None
        self._one: Callable[[logging.LogRecord], str] = self._format_general
        self._many: Callable[[Iterable[logging.LogRecord]], list[str]] = self._format_each
        positional = _positional({"{": self._percent, "%": fmt}.get(style))
        if positional is not None and type(self).format is TextFormatter.format:  # a subclass's format wins
            layout, names = positional
            make = _compiled(names, self._needs_time or "asctime" in names)
            self._one, self._many = make(layout, self._clock.format, self._with_traceback)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self._clock.format(record.created, record.msecs)

    def format(self, record: logging.LogRecord) -> str:
        return self._one(record)

    def format_batch(self, records: Iterable[logging.LogRecord]) -> list[str]:
        """The lines of ``records``, in order: what ``format`` gives each, in one call."""
        return self._many(records)

    def _format_each(self, records: Iterable[logging.LogRecord]) -> list[str]:
        format_ = self.format
        return [format_(record) for record in records]

    def _format_general(self, record: logging.LogRecord) -> str:
        """``format`` for any layout: rendered from the record's ``__dict__``."""
        message = record.getMessage()
        record.message = message if message.isprintable() else message.translate(_ESCAPES)  # escape()
        if self._needs_time:
            record.asctime = self._clock.format(record.created, record.msecs)
        values = record.__dict__
        for name in self._escaped_fields:
            value = values.get(name)
            if isinstance(value, str) and not value.isprintable():
                values = _escaped(values, self._escaped_fields)  # a copy: the record stays as it was
                break
        percent = self._percent
        text = percent % values if percent is not None else self._render(values)
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


def _escaped(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``values`` with the text fields ``names`` escaped."""
    values = dict(values)
    for name in names:
        value = values.get(name)
        if isinstance(value, str):
            values[name] = escape(value)
    return values


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


if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    _Compiled = tuple[Callable[[logging.LogRecord], str], Callable[[Iterable[logging.LogRecord]], list[str]]]
    _Maker = Callable[
        [str, Callable[[float, float], str], Callable[[logging.LogRecord, str], str]], _Compiled
    ]

# What a compiled layout reads straight off a record: the attributes every record has,
# and the two the formatter computes. (Not `taskName` before 3.12: records lack it.)
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<field>[^()]*)\))?(?P<spec>[-#0 +]*[0-9]*(?:\.[0-9]+)?[diouxXeEfFgGcrsa%])"
)


def _positional(percent: str | None) -> tuple[str, tuple[str, ...]] | None:
    """A %-format of named record fields as a positional one and its fields in order, or
    None when some part is not a plain field every record has (an `extra`, a ``*`` width)."""
    if percent is None:
        return None
    parts: list[str] = []
    fields: list[str] = []
    start = 0
    for match in _PERCENT_SPEC.finditer(percent):
        literal = percent[start : match.start()]
        field, spec = match.group("field", "spec")
        if "%" in literal or (field is None) != (spec == "%") or (field or "message") not in _RECORD_FIELDS:
            return None
        parts += (literal, "%", spec)
        if field is not None:
            fields.append(field)
        start = match.end()
    if "%" in percent[start:]:
        return None
    return "".join(parts), tuple(fields)


def _escape_field(value: object) -> object:
    """A field's value as the general path puts it in the line: text escaped, the rest as is."""
    return escape(value) if isinstance(value, str) else value


_MAKERS: dict[tuple[tuple[str, ...], bool], _Maker] = {}


def _compiled(fields: tuple[str, ...], needs_time: bool) -> _Maker:
    """The maker of ``format`` and ``format_batch`` for a layout of ``fields``, compiled once
    per set of fields (as attrs and dataclasses compile ``__init__``).

    Generated code, because that is what a hand-written formatter for one layout would be:
    each field one attribute read, each text field one ``isprintable`` test, one %-format
    of a tuple; no ``__dict__`` (which 3.11 builds on first use), no loop over fields.
    ``format_batch`` also keeps the last time stamp in locals, for the records of one
    millisecond. The output is exactly ``_format_general``'s (tests/test_hot_paths.py).
    """
    key = (fields, needs_time)
    if key in _MAKERS:
        return _MAKERS[key]
    body = [
        "message = record.msg",
        # getMessage() gives `msg` itself for a plain record without args (a prepared one).
        "if message.__class__ is not str or record.args or record.__class__ is not LogRecord:",
        "    message = record.getMessage()",
        "if not message.isprintable():",
        "    message = message.translate(ESCAPES)",
        "record.message = message",  # as the general path leaves it, for handlers that look
    ]
    read = {"message": "message", "asctime": "asctime"}  # field -> the expression that gives it
    for field in fields:
        if field in read:
            continue
        if field in _SAFE_FIELDS:
            read[field] = f"record.{field}"
            continue
        body += [
            f"v_{field} = record.{field}",
            f"if v_{field}.__class__ is not str or not v_{field}.isprintable():",
            f"    v_{field} = escape_field(v_{field})",
        ]
        read[field] = f"v_{field}"
    values = "".join(f"{read[field]}, " for field in fields)
    line = f"line = layout % ({values})"
    tail = [
        "if record.exc_info or record.exc_text or record.stack_info:",
        "    line = with_traceback(record, line)",
    ]
    stamp = ["record.asctime = asctime = clock(record.created, record.msecs)"] if needs_time else []
    batch_stamp = [
        "created, msecs = record.created, record.msecs",
        "if msecs != last_msecs or int(created) != last_second:",  # the clock's own cache key
        "    asctime, last_msecs, last_second = clock(created, msecs), msecs, int(created)",
        "record.asctime = asctime",
    ]
    one = "\n        ".join([*body, *stamp, line, *tail, "return line"])
    many = "\n            ".join([*body, *(batch_stamp if needs_time else []), line, *tail, "add(line)"])
    source = f"""
def make(layout, clock, with_traceback):
    def format(record):
        {one}

    def format_batch(records):
        lines = []
        add = lines.append
        asctime = last_msecs = last_second = None
        for record in records:
            {many}
        return lines

    return format, format_batch
"""
    namespace = {"LogRecord": logging.LogRecord, "ESCAPES": _ESCAPES, "escape_field": _escape_field}
    # The source is made only of the names in _RECORD_FIELDS (checked by _positional): no outside text.
    exec(compile(source, f"<logboot layout {' '.join(fields)}>", "exec"), namespace)  # noqa: S102
    maker: _Maker = namespace["make"]  # type: ignore[assignment]
    _MAKERS[key] = maker
    return maker


_PERCENT_FIELD = re.compile(r"%\((\w+)\)")


def _format_fields(fmt: str, style: str) -> list[str]:
    if style == "{":
        return [name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(fmt) if name]
    if style == "%":
        return _PERCENT_FIELD.findall(fmt)  # the names in %(name)s
    return [
        m.group("named") or m.group("braced")
        for m in string.Template.pattern.finditer(fmt)
        if m.group("named") or m.group("braced")
    ]


def _json_fallback(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not lose the record
        return f"<unrepresentable {type(value).__name__} object>"


def _json_safe(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with each value JSON cannot hold (tuple keys, a cycle) replaced by its repr."""
    safe: dict[str, Any] = {}
    for key, value in out.items():
        try:
            json.dumps(value, default=_json_fallback)
            safe[key] = value
        except (TypeError, ValueError, RecursionError):
            safe[key] = _json_fallback(value)
    return safe


class JsonFormatter(logging.Formatter):
    """One JSON object per record; ``json.dumps`` escapes control characters itself."""

    def __init__(self, fields: list[str] | None = None, utc: bool = True) -> None:
        super().__init__()
        self.fields = frozenset(fields or JSON_FIELDS)
        self.utc = utc
        self._clock = _ClockCache(None, utc)

    def format(self, record: logging.LogRecord) -> str:
        f = self.fields
        out: dict[str, Any] = {}
        if "time" in f:
            out["time"] = self._clock.format(record.created, record.msecs)
        if "level" in f:
            out["level"] = record.levelname
        if "logger" in f:
            out["logger"] = record.name
        if "message" in f:
            out["message"] = record.getMessage()
        if "process" in f:
            out["process"] = record.process
        if "process_name" in f:
            out["process_name"] = record.processName
        if "thread" in f:
            out["thread"] = record.thread
        if "thread_name" in f:
            out["thread_name"] = record.threadName
        if "module" in f:
            out["module"] = record.module
        if "function" in f:
            out["function"] = record.funcName
        if "line" in f:
            out["line"] = record.lineno
        if "exception" in f:
            if record.exc_info and not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
            if record.exc_text:
                out["exc_type"] = getattr(record, "exc_type", None) or _type_name(record)
                out["exc_message"] = getattr(record, "exc_message", None) or ""
                out["exc_traceback"] = record.exc_text
        if "stack" in f and record.stack_info:
            out["stack"] = record.stack_info
        if "extra" in f:
            for key, value in record.__dict__.items():
                if key not in STANDARD_ATTRS and key not in out:
                    out[key] = value
        try:
            return json.dumps(out, default=_json_fallback, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):  # one odd extra must not lose the record
            return json.dumps(_json_safe(out), default=_json_fallback, ensure_ascii=False)


def _type_name(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__qualname__
    return None


def build_formatter(spec: TextFormatterSpec | JsonFormatterSpec | None) -> logging.Formatter:
    """A formatter from its spec; ``None`` gives the default text layout."""
    if spec is None:
        return TextFormatter()
    if spec.type == "json":  # not isinstance: a cached profile is plain data (see logboot.plain)
        return JsonFormatter(list(spec.fields) if spec.fields else None, spec.utc)
    return TextFormatter(spec.format, spec.datefmt, spec.style, spec.utc)
