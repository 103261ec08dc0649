"""Text and JSON formatters, run in the listener thread.

Text output cannot be forged: control characters in a message or a field are escaped,
and the lines of a traceback are indented, so every line that starts at column one is
the start of a record.
"""

from __future__ import annotations

import json
import logging
import operator
import re
import string
import time
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the models are for the type checker: a cached start never imports pydantic
    from logboot.profile.schema import JsonFormatterSpec, TextFormatterSpec

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
# The fields of JSON_FIELDS that only the general path writes (a traceback, a stack).
JSON_GENERAL_ONLY = ("exception", "stack")
# The fields of JSON_FIELDS read straight off a record, and the attribute each one reads.
JSON_ATTRIBUTES = {
    "level": "levelname",
    "logger": "name",
    "process": "process",
    "process_name": "processName",
    "thread": "thread",
    "thread_name": "threadName",
    "module": "module",
    "function": "funcName",
    "line": "lineno",
}

# Attributes every LogRecord has; anything else on a record came from `extra`.
STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "exc_type",
    "exc_message",
    "taskName",
}

# The escape of each control character, for str.translate (what ``escape`` does).
ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTINUATION = "\n    "  # traceback lines are indented under their record


def escape(text: str) -> str:
    """Escape CR, LF, ESC and the other control characters so a line cannot be forged."""
    if text.isprintable():
        return text
    return text.translate(ESCAPES)


# The types whose values a layout shows as they are: they cannot hold a line break.
_LINE_SAFE_TYPES = frozenset({int, float, bool, type(None)})


def escape_value(value: object) -> object:
    """A field's value as a layout may show it: an exact str escaped; a number or None as
    it is; anything else (a Path, an exception, a str subclass) seen through ``Escaping``."""
    if value.__class__ is str:
        return escape(value)
    if value.__class__ in _LINE_SAFE_TYPES:
        return value
    return Escaping(value)


def _exact(text: str) -> str:
    """``text`` as an exact str: a str subclass's own ``__str__`` is not asked again."""
    return text if text.__class__ is str else str.__str__(text)


class Escaping:
    """A value whose every rendering comes out escaped: ``str`` (``%s``, ``$x``), ``repr``
    (``!r``, ``%r``), a format spec (``{x:>20}``), and the items and attributes a "{"
    layout looks up (``{x[key]}``, ``{x.name}``). The value's own methods render it first,
    so a layout shows what it would have shown, on one line. Numeric specs (``%d``,
    ``%.1f``, ``%x``) read the value's number."""

    __slots__ = ("__value",)  # private: `{x.value}` is the value's own attribute

    def __init__(self, value: object) -> None:
        self.__value: Any = value

    def __str__(self) -> str:
        return escape(_exact(str(self.__value)))

    def __repr__(self) -> str:
        return escape(_exact(repr(self.__value)))

    def __format__(self, spec: str) -> str:
        return escape(_exact(format(self.__value, spec)))

    def __getattr__(self, name: str) -> object:
        return escape_value(getattr(self.__value, name))

    def __getitem__(self, key: object) -> object:
        return escape_value(self.__value[key])

    def __int__(self) -> int:
        return int(self.__value)

    def __float__(self) -> float:
        return float(self.__value)

    def __index__(self) -> int:
        return operator.index(self.__value)


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
SAFE_FIELDS = frozenset(
    {"asctime", "levelname", "levelno", "created", "msecs", "relativeCreated", "process", "thread", "lineno"}
)


if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class CompiledFormatter(logging.Formatter):
    """A formatter whose ``format`` and ``format_batch`` are compiled on first use.

    A subclass gives ``_compile_paths`` (the generated pair, or None when its layout must
    stay on the general path) and ``_format_general``. A start that logs nothing never
    pays for the compilation (~0.5 ms); a further subclass that overrides ``format`` keeps
    its own, for one record and in batches.
    """

    def _uncompiled(self) -> None:
        self._one: Callable[[logging.LogRecord], str] = self._format_general
        self._many: Callable[[Iterable[logging.LogRecord]], list[str]] = self._format_each
        if type(self).format is CompiledFormatter.format:
            self._one, self._many = self._compile_then_format, self._compile_then_format_batch

    def __getstate__(self) -> dict[str, Any]:
        # The compiled functions are closures, which cannot be pickled or deep-copied:
        # a copy leaves them behind and compiles its own on first use.
        state = self.__dict__.copy()
        del state["_one"], state["_many"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._uncompiled()

    def format(self, record: logging.LogRecord) -> str:
        return self._one(record)

    def format_batch(self, records: Iterable[logging.LogRecord]) -> list[str]:
        """The lines of ``records``, in order: what ``format`` gives each, in one call."""
        return self._many(records)

    def _compile(self) -> None:
        """Format from now on with the compiled code, or on the general path."""
        self._one, self._many = self._compile_paths() or (self._format_general, self._format_each)

    def _compile_paths(
        self,
    ) -> tuple[Callable[[logging.LogRecord], str], Callable[[Iterable[logging.LogRecord]], list[str]]] | None:
        raise NotImplementedError

    def _format_general(self, record: logging.LogRecord) -> str:
        raise NotImplementedError

    def _compile_then_format(self, record: logging.LogRecord) -> str:
        self._compile()
        return self._one(record)

    def _compile_then_format_batch(self, records: Iterable[logging.LogRecord]) -> list[str]:
        self._compile()
        return self._many(records)

    def _format_each(self, records: Iterable[logging.LogRecord]) -> list[str]:
        format_ = self.format
        return [format_(record) for record in records]


class TextFormatter(CompiledFormatter):
    """A ``logging.Formatter`` that escapes control characters and indents tracebacks.

    A layout of plain record fields (most layouts) is compiled, on first use, into
    functions that read the fields straight off the record (``logboot.formatters.text_layout``); any
    other layout takes the general path, which renders from the record's ``__dict__``.
    Both write the same text. ``format_batch`` lays out a whole batch in one call.
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
        self._escaped_fields = tuple(f for f in fields if f not in SAFE_FIELDS and f != "message")
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
        from logboot.formatters.text_layout import compile_layout  # here: _layout uses this module's escaping

        layout = {"{": self._percent, "%": self._fmt}.get(self._style_char)
        return compile_layout(layout, self._needs_time, self._clock.format, self._with_traceback)

    def _format_general(self, record: logging.LogRecord) -> str:
        """``format`` for any layout: rendered from the record's ``__dict__``."""
        message = record.getMessage()
        if message.__class__ is not str:  # a str subclass (from a __str__): as %s shows it
            message = "%s" % (message,)  # noqa: UP031 - %s, not str(): what the fast path does
        record.message = message if message.isprintable() else message.translate(ESCAPES)  # escape()
        if self._needs_time:
            record.asctime = self._clock.format(record.created, record.msecs)
        values = record.__dict__
        for name in self._escaped_fields:
            value = values.get(name)
            if value.__class__ is str:
                if value.isprintable():  # most fields: clean text, shown as it is
                    continue
            elif value.__class__ in _LINE_SAFE_TYPES:
                continue
            values = _escaped(values, self._escaped_fields)  # a copy: the record stays as it was
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


def _escaped(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``values`` with the fields ``names`` as ``escape_value`` shows them."""
    values = dict(values)
    for name in names:
        if name in values:
            values[name] = escape_value(values[name])
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


# What json.dumps(out, default=_json_fallback, ensure_ascii=False) built anew for each call.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_fallback)


def _json_value(value: object) -> str:
    """``value`` as the general path writes it in a line: JSON, or the JSON string of its
    repr when JSON cannot hold it (a cycle, a dict with tuple keys), as ``_json_safe``."""
    if value.__class__ is str:
        return encode_basestring(value)
    if value.__class__ is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    try:
        return _JSON_ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return encode_basestring(_json_fallback(value))


class JsonFormatter(CompiledFormatter):
    """One JSON object per record; JSON escapes control characters itself.

    Records without a traceback, a stack or `extra` fields are written by code compiled
    for the formatter's fields (``logboot.formatters.json_layout``), the others on the general
    path, which builds a dict and encodes it. Both write the same text.
    """

    def __init__(self, fields: list[str] | None = None, utc: bool = True) -> None:
        super().__init__()
        self.fields = frozenset(fields or JSON_FIELDS)
        # The fields written before `exception`, `stack` and `extra`, in the line's order.
        self._plain = tuple(
            f for f in JSON_FIELDS if f in self.fields and f not in (*JSON_GENERAL_ONLY, "extra")
        )
        self.utc = utc
        self._clock = _ClockCache(None, utc)
        self._uncompiled()

    def _compile_paths(
        self,
    ) -> tuple[Callable[[logging.LogRecord], str], Callable[[Iterable[logging.LogRecord]], list[str]]]:
        from logboot.formatters.json_layout import compile_fields

        return compile_fields(
            self.fields, self._clock.format, self._format_general, _json_value, STANDARD_ATTRS
        )

    def _format_general(self, record: logging.LogRecord) -> str:
        """``format`` for any record: a dict of the fields, encoded."""
        f = self.fields
        out: dict[str, Any] = {}
        for field in self._plain:
            if field == "time":
                out["time"] = self._clock.format(record.created, record.msecs)
            elif field == "message":
                out["message"] = record.getMessage()
            else:
                out[field] = getattr(record, JSON_ATTRIBUTES[field])
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
            return _JSON_ENCODER.encode(out)
        except (TypeError, ValueError, RecursionError):  # one odd extra must not lose the record
            return _JSON_ENCODER.encode(_json_safe(out))


def _type_name(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__qualname__
    return None


def build_formatter(spec: TextFormatterSpec | JsonFormatterSpec | None) -> logging.Formatter:
    """A formatter from its spec; ``None`` gives the default text layout."""
    if spec is None:
        return TextFormatter()
    if spec.type == "json":  # not isinstance: a cached profile is plain data (see logboot.profile.plain)
        return JsonFormatter(list(spec.fields) if spec.fields else None, spec.utc)
    return TextFormatter(spec.format, spec.datefmt, spec.style, spec.utc)
