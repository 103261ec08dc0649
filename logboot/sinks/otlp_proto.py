"""OTLP logs as protobuf bytes, written directly: ``ExportLogsServiceRequest`` with no protobuf library.

The messages (opentelemetry/proto, ``collector/logs/v1`` and what it nests)::

    ExportLogsServiceRequest  1 resource_logs: ResourceLogs (repeated)
    ResourceLogs              1 resource: Resource           2 scope_logs: ScopeLogs (repeated)
    Resource                  1 attributes: KeyValue (repeated)
    ScopeLogs                 1 scope: InstrumentationScope  2 log_records: LogRecord (repeated)
    InstrumentationScope      1 name: string
    LogRecord                 1 time_unix_nano: fixed64      11 observed_time_unix_nano: fixed64
                              2 severity_number: enum        3 severity_text: string
                              5 body: AnyValue               6 attributes: KeyValue (repeated)
                              8 flags: fixed32               9 trace_id: bytes   10 span_id: bytes
    KeyValue                  1 key: string                  2 value: AnyValue
    AnyValue (one of)         1 string  2 bool  3 int64  4 double  5 ArrayValue  6 KeyValueList  7 bytes
    ArrayValue, KeyValueList  1 values: AnyValue / KeyValue (repeated)

Each field is a tag byte (field number << 3 | wire type) then the value: a varint, 8 or
4 little-endian bytes, or a length (varint) and that many bytes. A decoder accepts the
fields of a message in any order. A value equal to the proto3 default (0, "") is left out,
as protobuf's own serializers do.

Everything that repeats is encoded once and kept: the resource (once per sink), each
scope, each attribute key, the severity of each level, the ``code.*`` attributes of each
call site and the name of each thread. What is left per record is its time, its body,
its ``extra`` values and, when it has one, its exception and trace context. The encoding
mirrors the OpenTelemetry SDK's (``tests/integration/test_otlp_encoding.py`` decodes both
and compares the messages); a string that is not valid UTF-8 (a lone surrogate) is
written with backslash escapes, as the file sinks write it, where the SDK cannot encode
it at all.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

CACHE_MAX = 4096  # entries per cache; a cache that fills is emptied and refilled
_UINT64 = 0xFFFF_FFFF_FFFF_FFFF
_INT64 = (-(2**63), 2**63 - 1)

pack_times = struct.Struct("<BQBQ").pack  # LogRecord 1 and 11 (fixed64) with their tags, one call
_PACK_DOUBLE = struct.Struct("<Bd").pack  # AnyValue 4 (double)
_FLAGS_SAMPLED = b"\x45\x01\x00\x00\x00"  # LogRecord 8 (fixed32) = 1: the trace was sampled


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


LENGTHS = [_varint(n) for n in range(4096)]  # the varint of every small length, ready


def body_head(size: int) -> bytes:
    """LogRecord field 5 up to its string: the body's tag and length, then its AnyValue's
    (field 1, a string of ``size`` bytes)."""
    value = b"\x0a" + varint(size)
    return b"\x2a" + varint(len(value) + size) + value


def varint(value: int) -> bytes:
    """The varint of a length or other non-negative number."""
    return LENGTHS[value] if value < 4096 else _varint(value)


BODY_HEADS = [body_head(size) for size in range(2048)]  # those of every short body, ready


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (from a file name, say) as a backslash escape."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: ``tag``, the length of ``payload``, ``payload``."""
    size = len(payload)
    return tag + (LENGTHS[size] if size < 4096 else _varint(size)) + payload


def any_value(value: Any) -> bytes:
    """The ``AnyValue`` of ``value``, chosen as the SDK chooses (None: the empty AnyValue)."""
    if type(value) is str:
        return field(b"\x0a", utf8(value))
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return field(b"\x0a", utf8(value))
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:  # the SDK cannot encode it at all
            return field(b"\x0a", str(value).encode())
        return b"\x18" + _varint(value & _UINT64)  # int64: two's complement, 10 bytes if < 0
    if isinstance(value, float):
        return _PACK_DOUBLE(0x21, value)
    if isinstance(value, bytes):
        return field(b"\x3a", value)
    if isinstance(value, Sequence):
        return field(b"\x2a", b"".join([field(b"\x0a", any_value(item)) for item in value]))
    if isinstance(value, Mapping):
        pairs = [field(b"\x0a", key_value(key_part(str(k)), any_value(v))) for k, v in value.items()]
        return field(b"\x32", b"".join(pairs))
    return field(b"\x0a", utf8(repr(value)))  # the SDK refuses it; its repr loses nothing


def key_part(key: str) -> bytes:
    """KeyValue field 1, the key."""
    return field(b"\x0a", utf8(key))


def key_value(key: bytes, value: bytes) -> bytes:
    """A ``KeyValue`` from its encoded key (``key_part``) and ``AnyValue``."""
    size = len(value)
    return key + b"\x12" + (LENGTHS[size] if size < 4096 else _varint(size)) + value


def attributes(pairs: Iterable[tuple[str, Any]], tag: bytes = b"\x32") -> bytes:
    """Repeated ``KeyValue`` fields (``tag``: LogRecord 6 or Resource 1) of ``pairs``."""
    return b"".join([field(tag, key_value(key_part(k), any_value(v))) for k, v in pairs])


def resource_part(resource: Mapping[str, Any]) -> bytes:
    """ResourceLogs field 1, the resource: encoded once per sink."""
    return field(b"\x0a", attributes(resource.items(), b"\x0a"))


def scope_part(name: str | None) -> bytes:
    """ScopeLogs field 1, the instrumentation scope (its name only)."""
    return field(b"\x0a", field(b"\x0a", utf8(name)) if name else b"")


def request(resource: bytes, items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The ``ExportLogsServiceRequest`` of one resource (``resource_part``) and its records
    (scope, LogRecord field: ``scope_part`` and what ``LogEncoder.record`` makes), grouped
    by scope as the SDK groups them: in the order each scope first appears. One copy of the
    records, into the request."""
    scopes: dict[bytes, list[bytes]] = {}
    for scope, record in items:
        group = scopes.get(scope)
        if group is None:
            scopes[scope] = [scope, record]
        else:
            group.append(record)
    parts = [b"", resource]
    size = len(resource)
    for records in scopes.values():
        scope_size = sum(map(len, records))
        head = b"\x12" + varint(scope_size)  # ResourceLogs 2, one ScopeLogs
        size += len(head) + scope_size
        parts.append(head)
        parts += records
    parts[0] = b"\x0a" + varint(size)  # ExportLogsServiceRequest 1, the one ResourceLogs
    return b"".join(parts)


def trace_context(trace_id: object, span_id: object, sampled: object) -> bytes:
    """LogRecord fields 8, 9 and 10 for the ids a producer kept (hex), or nothing when they
    do not read as ids (the record is still sent, without trace context)."""
    try:
        trace = int(str(trace_id), 16).to_bytes(16, "big")
        span = int(str(span_id), 16).to_bytes(8, "big")
    except (ValueError, OverflowError):
        return b""
    if not any(trace) or not any(span):  # an invalid span: the SDK sends no ids
        return b""
    return (_FLAGS_SAMPLED if sampled else b"") + b"\x4a\x10" + trace + b"\x52\x08" + span


class Cache(dict[Any, bytes]):
    """Encoded parts by what they were made from; emptied when it holds ``CACHE_MAX``."""

    def keep(self, key: Any, value: bytes) -> bytes:
        if len(self) >= CACHE_MAX:
            self.clear()
        self[key] = value
        return value
