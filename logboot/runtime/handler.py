"""The producer side: the handler that puts prepared records on a logboot queue."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from logboot.core.context import capture, current_snapshot
from logboot.core.lean_record import LeanRecord
from logboot.core.records import apply_filters, merge_message, prepare
from logboot.core.reporting import ErrorReporter


class RecordSink(Protocol):
    """What a producer puts records into (a thread or process queue)."""

    def put(self, record: logging.LogRecord) -> bool: ...


# Global reads are cheaper than attribute lookups per call. Records of either class merge
# their message alike (LeanRecord keeps LogRecord's getMessage).
_LogRecord = logging.LogRecord
_LeanRecord = LeanRecord


class QueueHandler(logging.Handler):
    """Hands records to a logboot queue.

    Unlike the standard library's QueueHandler it neither copies the record nor calls a
    formatter, and it takes no handler lock: the queue is thread-safe on its own.
    """

    def __init__(self, queue: RecordSink, name: str = "") -> None:
        super().__init__()
        self.queue = queue
        self.name = name
        self.errors = 0  # records lost to a filter that raised (counted and reported)
        self.reporter = ErrorReporter(f"handler {name!r} failed")

    def handle(self, record: logging.LogRecord) -> bool:
        try:
            # The request context (logboot.core.context), taken in the thread that logs and
            # before the filters (so `redact` sees it). Nothing bound: one read, one test.
            snapshot = current_snapshot()
            if snapshot is not None:
                capture(record, snapshot)
            if self.filters:
                kept = apply_filters(self, record)  # a filter may return a new record (redact)
                if kept is None:
                    return False
                record = kept
            msg = record.msg
            kind = record.__class__
            if msg.__class__ is str and (kind is _LeanRecord or kind is _LogRecord) and not record.exc_info:
                # The common call: prepare's own fast path, inlined (the call to prepare was
                # 0.1 µs of every logging call). tests/test_hot_paths.py holds the two alike.
                if record.args:
                    try:
                        record.msg = msg % record.args
                        record.args = None
                    except Exception:  # noqa: BLE001 - merge_message keeps the record and says why
                        merge_message(record)
            else:
                prepare(record)
            self.queue.put(record)
        except Exception as err:  # noqa: BLE001 - logging never raises into the application
            self.errors += 1
            with contextlib.suppress(Exception):  # late in interpreter shutdown nothing is left
                self.reporter.report(err, "1 record not enqueued")
            return False
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.handle(record)

    def __repr__(self) -> str:
        return f"<logboot.QueueHandler {self.name!r}>"


#: The record attributes of a span's context, named as OpenTelemetry's logging
#: instrumentation names them (``otelTraceID``, ...), so formatters and tools that know
#: those names find them; the ``otlp`` sink exports them as the log record's trace context.
TRACE_FIELDS = ("otelTraceID", "otelSpanID", "otelTraceSampled")


class TracingQueueHandler(QueueHandler):
    """A ``QueueHandler`` that also keeps the current span's trace and span id on each
    record, in the thread that logs (the span is gone once the record is on the queue).
    Used only in a profile with an ``otlp`` sink (docs/benchmarks.md has the cost)."""

    def __init__(self, queue: RecordSink, name: str, current_span: Callable[[], Any]) -> None:
        super().__init__(queue, name)
        self.current_span = current_span
        # The last span seen and its ids as text, one tuple read and replaced whole (threads
        # share the handler): the records of one request share a span, and writing the ids
        # as hex costs more than looking the span up.
        self._last: tuple[object, tuple[str, str, bool] | None] = (None, None)

    def handle(self, record: logging.LogRecord) -> bool:
        try:
            span = self.current_span().get_span_context()
            last = self._last
            if last[0] is not span:
                ids = (f"{span.trace_id:032x}", f"{span.span_id:016x}", span.trace_flags.sampled)
                last = self._last = (span, ids if span.is_valid else None)
            kept = last[1]
            if kept is not None:
                record.otelTraceID, record.otelSpanID, record.otelTraceSampled = kept
        except Exception as err:  # noqa: BLE001 - a broken tracer must not lose the record
            with contextlib.suppress(Exception):
                self.reporter.report(err, "trace context not recorded")
        return super().handle(record)
