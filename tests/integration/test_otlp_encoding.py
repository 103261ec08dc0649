"""The otlp sink's own protobuf encoding against the reference: the OpenTelemetry SDK's.

The same records (varied: unicode, exceptions, stacks, ``extra`` values of every type,
trace context, huge messages, hostile keys, several loggers and levels) are encoded both
ways; the two requests, decoded by opentelemetry-proto's generated classes, are equal.
``sdk_record`` is what the sink did before it encoded directly (``ReadableLogRecord``s
exported by ``OTLPLogExporter``), kept here as the reference.
"""

from __future__ import annotations

import enum
import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest

from logboot.core.records import exception_fields, merge_message
from logboot.formatters.fields import extra_fields

from .receivers import CI, decode_logs

try:
    importlib.import_module("opentelemetry.exporter.otlp.proto.common._log_encoder")
    importlib.import_module("opentelemetry.proto.collector.logs.v1.logs_service_pb2")
except ImportError:  # pragma: no cover - the dev extra installs them
    if CI:
        raise
    pytest.skip(
        "needs opentelemetry-exporter-otlp-proto-http and opentelemetry-proto", allow_module_level=True
    )

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from logboot.sinks.otlp import OtlpSink
from logboot.sinks.otlp_records import _SEVERITY_TEXT, attribute_value, severity_number

OBSERVED = 1_700_000_000_123_456_789
TRACE = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
RESOURCE = {"service.name": "checkout", "deployment.environment.name": "test", "build": 42, "ratio": 0.5}


# --- the reference: the SDK's records, as the sink made them before ---------------------


def sdk_record(
    record: logging.LogRecord, body: str, resource: Resource, scopes: dict[str, InstrumentationScope]
) -> ReadableLogRecord:
    """The SDK's log record of ``record`` (the sink's ``convert`` before it encoded directly)."""
    extras = extra_fields(record)
    trace_id = extras.pop("otelTraceID", None)
    span_id = extras.pop("otelSpanID", None)
    sampled = extras.pop("otelTraceSampled", None)
    attributes: dict[str, Any] = {key: attribute_value(value) for key, value in extras.items()}
    attributes["code.file.path"] = record.pathname
    attributes["code.function.name"] = record.funcName
    attributes["code.line.number"] = record.lineno
    attributes["thread.name"] = record.threadName
    if record.exc_text:
        attributes["exception.type"] = getattr(record, "exc_type", None) or "Exception"
        attributes["exception.message"] = getattr(record, "exc_message", None) or ""
        attributes["exception.stacktrace"] = record.exc_text
    if record.stack_info:
        attributes["code.stacktrace"] = record.stack_info
    scope = scopes.setdefault(record.name, InstrumentationScope(record.name))
    context = Context()
    if trace_id and span_id:
        flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
        span = SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=False, trace_flags=flags)
        context = set_span_in_context(NonRecordingSpan(span))
    log_record = LogRecord(
        timestamp=int(record.created * 1e9),
        observed_timestamp=OBSERVED,
        context=context,
        severity_text=_SEVERITY_TEXT.get(record.levelname, record.levelname),
        severity_number=SeverityNumber(severity_number(record.levelno)),
        body=body,
        attributes=attributes,
    )
    return ReadableLogRecord(log_record=log_record, resource=resource, instrumentation_scope=scope)


# --- the records ---------------------------------------------------------------------------


class Color(enum.Enum):
    RED = 1


class Size(enum.IntEnum):
    LARGE = 3


class Name(str, enum.Enum):
    ADA = "ada"


class Opaque:
    def __repr__(self) -> str:
        return "<opaque ü>"


EVERY_TYPE: dict[str, Any] = {
    "text": "plain",
    "empty": "",
    "unicode": "grüße ✓ 日本語 🚀",
    "zero": 0,
    "negative": -7,
    "int64_max": 2**63 - 1,
    "int64_min": -(2**63),
    "too_big": 2**64,
    "too_small": -(2**70),
    "ratio": 0.25,
    "minus_zero": -0.0,
    "infinite": float("inf"),
    "tiny": 5e-324,
    "yes": True,
    "no": False,
    "words": ["a", "b", "ü"],
    "numbers": [1, -2, 2**63 - 1],
    "numbers_overflowing": [1, 2**64],  # the big one as text: a mixed array
    "floats": [0.5, -1.25],
    "flags": [True, False],
    "pair": ("x", "y"),
    "empty_list": [],
    "mixed": [1, "a"],
    "nested": [[1], [2]],
    "mapping": {"k": [1, 2]},
    "nothing": None,
    "raw": b"\x00\xff",
    "set": {3},
    "object": Opaque(),
    "enum": Color.RED,
    "int_enum": Size.LARGE,
    "str_enum": Name.ADA,
}

HOSTILE_KEYS: dict[str, Any] = {
    "": "empty key",
    " ": "space",
    "with\nnewline": 1,
    "nul\x00inside": 2,
    "ключ": "значение",
    "🔑": "emoji",
    "k" * 5000: "a key longer than one length byte, and than the length table",
    "otelTraceSampled": True,  # a trace key without ids: the trace context's, never an attribute
}


def make_records() -> list[tuple[logging.LogRecord, str]]:
    """(record, body) pairs, prepared as the producer prepares them for the queue."""
    made: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            merge_message(record)
            exception_fields(record)
            made.append(record)

    keep = Keep()
    names = ["app.otel", "app.db", "ünïcode.scope", ""]
    loggers = [logging.getLogger(name) if name else logging.getLogger("root.like") for name in names]
    for logger in loggers:
        logger.addHandler(keep)
        logger.setLevel(1)
        logger.propagate = False
    log, db, uni, other = loggers
    try:
        log.info("plain %s", "message")
        log.warning("grüße ✓ 日本語 🚀 %d", 3, extra={"ключ": "значение"})
        db.debug("every type", extra=EVERY_TYPE)
        log.error("hostile keys", extra=HOSTILE_KEYS)
        log.critical("own keys overwritten", extra={"code.file.path": "x", "thread.name": 5, "seq": 1})
        log.info("own exception keys overwritten", extra={"exception.type": "mine", "seq": 2})
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed", extra={"seq": 3})
            db.error("with a stack", stack_info=True, exc_info=True)
        try:
            raise ValueError("ü" * 10_000)
        except ValueError:
            uni.exception("a long exception message")
        log.info("m" * 1_000_000)  # huge: lengths of three varint bytes
        log.info("x" * 200)  # a length of two varint bytes
        log.info("")
        log.info(
            "in a sampled span",
            extra={"otelTraceID": TRACE[0], "otelSpanID": TRACE[1], "otelTraceSampled": True},
        )
        log.info(
            "in a span not sampled",
            extra={"otelTraceID": TRACE[0], "otelSpanID": TRACE[1], "otelTraceSampled": False},
        )
        log.info("short ids", extra={"otelTraceID": "abc", "otelSpanID": "0x1", "otelTraceSampled": True})
        log.log(5, "below debug")
        log.log(25, "between info and warning")
        log.log(60, "above critical")
        logging.addLevelName(35, "NOTICE")
        other.log(35, "a named custom level")
        for seq in range(20):
            (log, db, uni)[seq % 3].info("interleaved %d", seq, extra={"seq": seq})
    finally:
        for logger in loggers:
            logger.removeHandler(keep)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
    bare = logging.makeLogRecord(
        {"msg": "made bare", "levelno": 20, "levelname": "INFO", "funcName": None, "threadName": None}
    )
    made.append(bare)
    return [(record, record.getMessage()) for record in made] + [
        (made[0], '{"message": "a body from a formatter"}')
    ]


def both_ways(
    pairs: list[tuple[logging.LogRecord, str]],
) -> tuple[ExportLogsServiceRequest, ExportLogsServiceRequest]:
    """The request the sink makes and the SDK's, each decoded."""
    sink = OtlpSink(endpoint="http://127.0.0.1:9/v1/logs", resource=RESOURCE)
    direct = sink.request([sink.encoder.record(record, body, OBSERVED) for record, body in pairs])
    resource = Resource.create(dict(RESOURCE))
    scopes: dict[str, InstrumentationScope] = {}
    reference = encode_logs([sdk_record(record, body, resource, scopes) for record, body in pairs])
    mine = ExportLogsServiceRequest()
    mine.ParseFromString(direct)
    theirs = ExportLogsServiceRequest()
    theirs.ParseFromString(reference.SerializeToString())
    return mine, theirs


def assert_same(mine: ExportLogsServiceRequest, theirs: ExportLogsServiceRequest) -> None:
    """Equal messages; when not, the first record that differs, to read."""
    if mine != theirs:
        records = [(r, s) for r, s in zip(_records(mine), _records(theirs), strict=False) if r != s]
        assert records[:1] == [], "records differ"
        assert mine.resource_logs[0].resource == theirs.resource_logs[0].resource
        assert [s.scope for s in mine.resource_logs[0].scope_logs] == [
            s.scope for s in theirs.resource_logs[0].scope_logs
        ]
    assert mine == theirs


def _records(request: ExportLogsServiceRequest) -> list[Any]:
    return [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]


# --- the tests ------------------------------------------------------------------------------


def test_every_kind_of_record_encodes_as_the_sdk_encodes_it() -> None:
    """Unicode, exceptions, stacks, extras of every type, trace context, huge messages,
    hostile keys, custom levels and several loggers: the decoded requests are equal."""
    pairs = make_records()
    mine, theirs = both_ways(pairs)
    assert len(_records(mine)) == len(pairs)
    assert [s.scope.name for s in mine.resource_logs[0].scope_logs] == [
        "app.otel",
        "app.db",
        "ünïcode.scope",
        "root.like",
        "",
    ]
    assert_same(mine, theirs)


@pytest.mark.parametrize("count", [1, 2, 512])
def test_a_batch_of_one_logger_encodes_as_the_sdk_encodes_it(count: int) -> None:
    """The benchmark's shape (one logger, numbered records) at the batch sizes the sender makes."""
    log = logging.getLogger("bench")
    pairs = []
    for seq in range(count):
        record = log.makeRecord("bench", logging.INFO, __file__, 10 + seq % 3, "record %d", (seq,), None, "f")
        merge_message(record)
        pairs.append((record, record.getMessage()))
    assert_same(*both_ways(pairs))


def test_the_resource_is_the_sdks() -> None:
    """The resource is the SDK's ``Resource.create`` of the profile's, ``telemetry.sdk.*`` and
    ``OTEL_RESOURCE_ATTRIBUTES`` included; the profile's keys win."""
    mine, theirs = both_ways(make_records()[:1])
    resource = {a.key for a in mine.resource_logs[0].resource.attributes}
    assert {"service.name", "telemetry.sdk.name", "telemetry.sdk.version", "build", "ratio"} <= resource
    assert mine.resource_logs[0].resource == theirs.resource_logs[0].resource


def test_a_lone_surrogate_is_escaped_where_the_sdk_fails() -> None:
    """A message or value with a lone surrogate (an undecodable file name) is sent with
    backslash escapes, as the file sinks write it; the SDK cannot encode it at all."""
    record = logging.makeLogRecord(
        {"msg": "file \udcff.txt", "levelno": 20, "levelname": "INFO", "bad": "\ud800"}
    )
    sink = OtlpSink(endpoint="http://127.0.0.1:9/v1/logs")
    (decoded,) = decode_logs(sink.request([sink.encoder.record(record, record.getMessage(), OBSERVED)]))
    assert decoded["body"] == "file \\udcff.txt"
    assert decoded["attributes"]["bad"] == "\\ud800"


def test_ids_that_do_not_read_as_ids_are_left_out() -> None:
    """Trace ids that are not hex, too long or all zero: the record goes without trace
    context (and without them as attributes)."""
    sink = OtlpSink(endpoint="http://127.0.0.1:9/v1/logs")
    for trace_id, span_id in [("zz", "b7ad6b7169203331"), ("f" * 40, "1"), ("0" * 32, "1"), (TRACE[0], "0")]:
        record = logging.makeLogRecord(
            {"msg": "m", "levelno": 20, "levelname": "INFO", "otelTraceID": trace_id, "otelSpanID": span_id}
        )
        (decoded,) = decode_logs(sink.request([sink.encoder.record(record, "m", OBSERVED)]))
        assert (decoded["trace_id"], decoded["span_id"], decoded["flags"]) == ("", "", 0)
        assert not any(key.startswith("otel") for key in decoded["attributes"])


def test_caches_that_fill_are_emptied_and_still_encode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its bound a cache starts again; what is encoded stays the SDK's."""
    from logboot.sinks import otlp_proto

    monkeypatch.setattr(otlp_proto, "CACHE_MAX", 3)
    log = logging.getLogger("bench")
    pairs = []
    for seq in range(10):
        record = log.makeRecord(f"scope{seq}", 10 * (seq % 5 + 1), f"/f{seq}.py", seq, "r", (), None, "f")
        record.__dict__[f"key{seq}"] = seq
        record.threadName = f"t{seq}"
        pairs.append((record, record.getMessage()))
    assert_same(*both_ways(pairs))


def test_any_value_covers_what_the_sdk_refuses() -> None:
    """Values the SDK cannot encode at all get a text form rather than failing the batch."""
    from logboot.sinks.otlp_proto import any_value

    check: Callable[[Any], bytes] = any_value
    assert check(object.__new__(Opaque)) == b"\x0a\x0b<opaque \xc3\xbc>"
    assert check(2**64) == b"\x0a\x1418446744073709551616"
    assert sys.maxsize < 2**64
