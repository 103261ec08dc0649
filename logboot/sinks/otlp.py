"""``type: otlp``: OpenTelemetry logs over OTLP/HTTP, through the official SDK exporter.

Needs ``pip install 'logboot[otlp]'``. The listener turns each record into an OTel log
record (body, severity, extra keys as attributes, an exception as the ``exception.*``
attributes, the logger's name as the instrumentation scope) and buffers it; the sender
thread of ``RemoteSink`` exports batches with ``OTLPLogExporter``. The exporter retries
a 429/502/503/504 or a refused connection within ``timeout``; when it gives up, the
batch stays buffered and is tried again after the backoff, so an unavailable collector
loses nothing until the buffer is full. A batch the collector refuses for good (any
other 4xx) is dropped and counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from logboot.errors import MissingDependencyError
from logboot.formatters.fields import extra_fields
from logboot.sinks.remote import RemoteSink, SendError

if TYPE_CHECKING:
    from logboot.sinks.otlp_spec import OtlpSinkSpec

try:
    import requests
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.context import Context
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import ReadableLogRecord
    from opentelemetry.sdk._logs.export import LogRecordExportResult
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context
except ImportError as err:  # pragma: no cover - exercised without the extra installed
    _MISSING: ImportError | None = err
else:
    _MISSING = None

# OTel severity text for Python's level names (the OTel data model's short names).
_SEVERITY_TEXT = {"WARNING": "WARN", "CRITICAL": "FATAL"}
_SEVERITY_BANDS = {10: 5, 20: 9, 30: 13, 40: 17, 50: 21}  # DEBUG, INFO, WARN, ERROR, FATAL
_INT64 = (-(2**63), 2**63 - 1)
_PERMANENT = frozenset(range(400, 500)) - {408, 429}  # a client error that no retry fixes


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


class OtlpSink(RemoteSink["ReadableLogRecord"]):
    """Exports records to an OpenTelemetry collector over OTLP/HTTP."""

    kind = "otlp"
    batch_max = 512  # the SDK's default export batch

    def __init__(
        self,
        *,
        endpoint: str,
        headers: Mapping[str, str] | None = None,
        resource: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        compression: str = "none",
        body_from_formatter: bool = False,
        buffer_size: int = 10_000,
        backoff_max: float = 30.0,
    ) -> None:
        super().__init__(buffer_size=buffer_size, backoff_max=backoff_max)
        self.endpoint = endpoint
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.compression = compression
        self.needs_format = body_from_formatter  # else the body is the bare message
        self.resource = Resource.create(dict(resource or {}))
        self._scopes: dict[str, InstrumentationScope] = {}
        self._context = Context()  # records carry no span: they were made on another thread
        self._exporter: OTLPLogExporter | None = None
        self._shut = False
        self._status: int | None = None

    # --- the listener's side ------------------------------------------------------------

    def write_records(self, records: list[logging.LogRecord], lines: list[str]) -> int:
        if self.needs_format:
            self.offer([self.convert(r, line) for r, line in zip(records, lines, strict=True)])
        else:
            self.offer([self.convert(r, r.getMessage()) for r in records])
        return len(records)

    def write_lines(self, lines: list[str]) -> int:  # pragma: no cover - write_records is used
        raise TypeError("the otlp sink needs records, not lines")

    def convert(self, record: logging.LogRecord, body: str) -> ReadableLogRecord:
        """The OTel log record of ``record``."""
        extras = extra_fields(record)
        trace_id = extras.pop("otelTraceID", None)  # the span the record was logged in
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
        scope = self._scopes.get(record.name)
        if scope is None:
            scope = self._scopes[record.name] = InstrumentationScope(record.name)
        log_record = LogRecord(
            timestamp=int(record.created * 1e9),
            observed_timestamp=time.time_ns(),
            context=span_context(trace_id, span_id, sampled) if trace_id and span_id else self._context,
            severity_text=_SEVERITY_TEXT.get(record.levelname, record.levelname),
            severity_number=SeverityNumber(severity_number(record.levelno)),
            body=body,
            attributes=attributes,
        )
        return ReadableLogRecord(log_record=log_record, resource=self.resource, instrumentation_scope=scope)

    def target(self) -> str:
        return f"otlp {self.endpoint}"

    # --- the sender thread ------------------------------------------------------------

    def connect(self) -> None:
        if self._exporter is None:
            session = requests.Session()
            session.hooks["response"].append(self._note_status)
            self._exporter = OTLPLogExporter(
                endpoint=self.endpoint,
                headers=self.headers,
                timeout=self.timeout,
                compression=Compression.Gzip if self.compression == "gzip" else Compression.NoCompression,
                session=session,
            )

    def _note_status(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._status = response.status_code

    def send(self, items: list[ReadableLogRecord]) -> None:
        exporter = self._exporter
        assert exporter is not None
        self._status = None
        if exporter.export(items) is LogRecordExportResult.SUCCESS:
            return
        status = self._status
        if status in _PERMANENT:
            error = ExportRejectedError(f"{self.endpoint} refused {len(items)} record(s) with HTTP {status}")
            raise SendError(0, error, rejected=len(items))
        reason = f"HTTP {status}" if status is not None else "no answer"
        raise ExportFailedError(f"export to {self.endpoint} failed ({reason}); it will be retried")

    def interrupt(self) -> None:
        self._shutdown_exporter()

    def forget(self) -> None:
        self._exporter = None  # its pooled connections are the parent's: make a new one
        self._shut = False

    def close(self) -> None:
        super().close()
        if self._thread is None or not self._thread.is_alive():
            self._shutdown_exporter()

    def _shutdown_exporter(self) -> None:
        exporter = self._exporter
        if exporter is not None and not self._shut:
            self._shut = True
            exporter.shutdown()  # type: ignore[no-untyped-call]


def span_context(trace_id: str, span_id: str, sampled: object) -> Context:
    """The context of the span a record was logged in, from the ids its producer kept
    (``runtime.handler.TracingQueueHandler``): what the OTel log record is exported with."""
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    span = SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=False, trace_flags=flags)
    return set_span_in_context(NonRecordingSpan(span))


class ExportFailedError(Exception):
    """An export that may succeed later (the collector is down or overloaded)."""


class ExportRejectedError(Exception):
    """An export the collector refused for good (HTTP 4xx)."""


def build(spec: OtlpSinkSpec) -> OtlpSink:
    if _MISSING is not None:  # pragma: no cover - exercised without the extra installed
        raise MissingDependencyError("otlp", "opentelemetry-exporter-otlp-proto-http", "otlp") from _MISSING
    return OtlpSink(
        endpoint=spec.endpoint,
        headers=spec.headers,
        resource=spec.resource,
        timeout=spec.timeout,
        compression=spec.compression,
        body_from_formatter=spec.formatter is not None,
        buffer_size=spec.buffer_size,
        backoff_max=spec.backoff_max,
    )
