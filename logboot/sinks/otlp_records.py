"""What the ``otlp`` sink makes of a ``logging.LogRecord``: the bytes of an OTLP ``LogRecord``.

The mapping (docs/forwarding.md, "type: otlp"): the message (or the formatted line) as the
body, the level as severity number and text, every ``extra`` key as an attribute (str,
bool, int64, float and lists of one of those as they are, anything else as its ``repr``),
``code.*`` and ``thread.name``, a logged exception as the ``exception.*`` attributes, the
span the record was logged in as its trace context, the logger's name as its scope.
``LogEncoder`` writes it with ``otlp_proto`` and keeps what records share; the SDK's
encoding of the same mapping is the reference (tests/integration/test_otlp_encoding.py).
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from logboot.formatters.fields import STANDARD_ATTRS
from logboot.sinks import otlp_proto as proto

# OTel severity text for Python's level names (the OTel data model's short names).
_SEVERITY_TEXT = {"WARNING": "WARN", "CRITICAL": "FATAL"}
_SEVERITY_BANDS = {10: 5, 20: 9, 30: 13, 40: 17, 50: 21}  # DEBUG, INFO, WARN, ERROR, FATAL
_INT64 = (-(2**63), 2**63 - 1)
_TRACE_KEYS = frozenset({"otelTraceID", "otelSpanID", "otelTraceSampled"})
# The attributes every record gets after its `extra` ones; an `extra` key among them is
# overwritten in place, as a dict would do (the slow path of LogEncoder.record).
_OWN_KEYS = frozenset(
    {
        "code.file.path",
        "code.function.name",
        "code.line.number",
        "thread.name",
        "exception.type",
        "exception.message",
        "exception.stacktrace",
        "code.stacktrace",
    }
)
_LENGTHS = proto.LENGTHS
_BODY_HEADS = proto.BODY_HEADS


def severity_number(levelno: int) -> int:
    """Python level -> OTel SeverityNumber: DEBUG 5, INFO 9, WARNING 13, ERROR 17, CRITICAL 21."""
    if levelno < 10:
        return 0  # UNSPECIFIED
    band = min(levelno // 10 * 10, 50)
    return min(_SEVERITY_BANDS[band] + min(levelno - band, 3), 24)


def attribute_value(value: Any) -> Any:
    """A value OTLP can carry (str, bool, int64, float, or a list of one of those); else ``repr``."""
    if isinstance(value, (str, bool, float)):
        return value
    if isinstance(value, int):
        return value if _INT64[0] <= value <= _INT64[1] else str(value)
    if isinstance(value, (list, tuple)) and value:
        kind = type(value[0])
        if kind in (str, bool, int, float) and all(type(v) is kind for v in value):
            return list(value) if kind is not int else [attribute_value(v) for v in value]
    return repr(value)


def extra_value(value: Any) -> bytes:
    """The ``AnyValue`` of an ``extra`` value: ``any_value(attribute_value(value))``, the
    common types first."""
    kind = type(value)
    if kind is str:
        return proto.field(b"\x0a", proto.utf8(value))
    if kind is int and _INT64[0] <= value <= _INT64[1]:
        return b"\x18" + proto.varint(value & 0xFFFF_FFFF_FFFF_FFFF)
    return proto.any_value(attribute_value(value))


class Shape(NamedTuple):
    """What records of one logger, level, call site and thread share, encoded."""

    scope: bytes  # ScopeLogs field 1
    level: bytes  # LogRecord fields 2 and 3, the severity
    site: bytes  # the code.* and thread.name attributes
    tail: bytes  # `site` then `level`: a decoder takes a message's fields in any order
    size: int  # of the times (18 bytes), `level` and `site`


class LogEncoder:
    """Turns a ``logging.LogRecord`` into the bytes of an OTLP ``LogRecord`` (as ScopeLogs
    field 2) and the scope it belongs to; what repeats from record to record is kept."""

    def __init__(self) -> None:
        self._keys = proto.Cache()  # attribute key -> KeyValue field 1
        # (logger, levelno, levelname, pathname, funcName, lineno, threadName) -> Shape
        self._shapes: dict[tuple[Any, ...], Shape] = {}

    def record(self, record: logging.LogRecord, body: str, observed: int) -> tuple[bytes, bytes]:
        """(scope, LogRecord field) of ``record``, with ``body`` as its body and ``observed``
        (ns since the epoch) as its observed time."""
        shared = (
            record.name,
            record.levelno,
            record.levelname,
            record.pathname,
            record.funcName,
            record.lineno,
            record.threadName,
        )
        shape = self._shapes.get(shared) or self._shape(record, shared)
        try:
            data = body.encode()
        except UnicodeEncodeError:
            data = proto.utf8(body)
        size = len(data)
        body_field = _BODY_HEADS[size] if size < len(_BODY_HEADS) else proto.body_head(size)
        times = proto.pack_times(0x09, int(record.created * 1e9), 0x59, observed)
        fields = record.__dict__
        if STANDARD_ATTRS.issuperset(fields) and not (record.exc_text or record.stack_info):
            size += shape.size + len(body_field)  # the common record: no extra, no exception
            head = b"\x12" + (_LENGTHS[size] if size < 4096 else proto.varint(size))
            return shape.scope, b"".join((head, times, body_field, data, shape.tail))
        parts = [b"", times, shape.level, body_field, data]  # the first: the tag and length, last
        trace = b""
        extra = [key for key in fields if key not in STANDARD_ATTRS]
        if "otelTraceID" in fields and "otelSpanID" in fields:  # the span it was logged in
            trace = proto.trace_context(
                fields["otelTraceID"], fields["otelSpanID"], fields.get("otelTraceSampled")
            )
        if _OWN_KEYS.isdisjoint(extra):
            keys = self._keys
            for key in extra:
                if key not in _TRACE_KEYS:
                    part = keys.get(key) or keys.keep(key, proto.key_part(key))
                    parts.append(proto.field(b"\x32", proto.key_value(part, extra_value(fields[key]))))
            parts.append(shape.site)
            if record.exc_text or record.stack_info:
                parts.append(proto.attributes(self._trailing(record).items()))
        else:
            self._own_keys_overwritten(record, extra, parts)
        parts.append(trace)
        size = sum(map(len, parts))
        parts[0] = b"\x12" + (_LENGTHS[size] if size < 4096 else proto.varint(size))
        return shape.scope, b"".join(parts)

    def _shape(self, record: logging.LogRecord, key: tuple[Any, ...]) -> Shape:
        """The parts of ``record`` that records of the same logger, level, call site and
        thread (``key``) share, kept (at most ``otlp_proto.CACHE_MAX``; then the cache starts again)."""
        number = severity_number(record.levelno)
        text = _SEVERITY_TEXT.get(record.levelname, record.levelname)
        level = (b"\x10" + proto.varint(number) if number else b"") + (
            proto.field(b"\x1a", proto.utf8(str(text))) if text else b""
        )
        site = proto.attributes(
            (
                ("code.file.path", record.pathname),
                ("code.function.name", record.funcName),
                ("code.line.number", record.lineno),
                ("thread.name", record.threadName),
            )
        )
        shape = Shape(proto.scope_part(record.name), level, site, site + level, 18 + len(level) + len(site))
        if len(self._shapes) >= proto.CACHE_MAX:
            self._shapes.clear()
        self._shapes[key] = shape
        return shape

    def _own_keys_overwritten(self, record: logging.LogRecord, extra: list[str], parts: list[bytes]) -> None:
        """The attributes of a record with an ``extra`` key that one of its own attributes
        overwrites: made as one dict, in the dict's order."""
        fields = record.__dict__
        attributes = {key: attribute_value(fields[key]) for key in extra if key not in _TRACE_KEYS}
        attributes["code.file.path"] = record.pathname
        attributes["code.function.name"] = record.funcName
        attributes["code.line.number"] = record.lineno
        attributes["thread.name"] = record.threadName
        attributes.update(self._trailing(record))
        parts.append(proto.attributes(attributes.items()))

    @staticmethod
    def _trailing(record: logging.LogRecord) -> dict[str, Any]:
        """The exception's and the stack's attributes."""
        attributes: dict[str, Any] = {}
        if record.exc_text:
            attributes["exception.type"] = getattr(record, "exc_type", None) or "Exception"
            attributes["exception.message"] = getattr(record, "exc_message", None) or ""
            attributes["exception.stacktrace"] = record.exc_text
        if record.stack_info:
            attributes["code.stacktrace"] = record.stack_info
        return attributes
