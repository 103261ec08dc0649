"""The supervised, batching listener: one thread drains one queue into its sinks.

Supervision: an exception from a sink's filter, formatter or write is counted on that
sink and reported (rate-limited); it never stops the thread and never keeps the record
from the other sinks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from logboot.core.records import apply_filters, as_logged
from logboot.core.reporting import ErrorReporter, write_stderr
from logboot.runtime.queues import HEAVY_MESSAGE, ThreadQueue, heavy_weight
from logboot.sinks.base import BatchSink, PartialWriteError
from logboot.values.units import DEFAULT_BATCH_BYTES

IDLE_WAIT = 0.5  # seconds an idle listener sleeps before looking again (a safety net)
_MESSAGE = attrgetter("msg")


class ListenerSink:
    """A sink as a listener runs it: its handler, level, fallback, and counters."""

    def __init__(self, name: str, handler: logging.Handler, level: int = 0, kind: str = "") -> None:
        self.name = name
        self.handler = handler
        self.level = level
        self.kind = kind or type(handler).__name__
        self.as_logged = kind == "custom"  # a handler of the user's: records in logging's shape
        self.records = 0
        self.errors = 0
        self.fallback: ListenerSink | None = None
        self.reporter = ErrorReporter(f"sink {name!r} failed")
        if not isinstance(handler, BatchSink):
            # Make a plain handler's errors reach us instead of logging's printer.
            handler.handleError = _reraise  # type: ignore[method-assign]

    def deliver(self, batch: Iterable[logging.LogRecord]) -> None:
        """Deliver the records of a batch that pass this sink's level and filters."""
        handler = self.handler
        level = self.level
        filtered = bool(handler.filters)
        handler.acquire()
        try:
            if isinstance(handler, BatchSink):
                self._deliver_lines(handler, batch, level, filtered)
            else:
                self._deliver_each(handler, batch, level, filtered)
        finally:
            handler.release()

    def _deliver_lines(
        self, handler: BatchSink, batch: Iterable[logging.LogRecord], level: int, filtered: bool
    ) -> None:
        if filtered:
            kept = self._filter(handler, batch, level)
        else:  # the common case: no call per record
            kept = [record for record in batch if record.levelno >= level] if level else list(batch)
        kept = handler.filter_batch(kept)
        if not kept:
            return
        if handler.needs_format:
            kept, lines = self._format(handler, kept)
            if not lines:
                return
        else:
            lines = [""] * len(kept)
        try:
            handler.write_records(kept, lines)
            self.records += len(lines)
        except PartialWriteError as err:
            self.records += err.written
            self.failed(kept[err.written :], err.cause)
        except BaseException as err:  # noqa: BLE001
            self.failed(kept, err)

    def _filter(
        self, handler: BatchSink, batch: Iterable[logging.LogRecord], level: int
    ) -> list[logging.LogRecord]:
        """The records of ``batch`` at ``level`` or above that the handler's filters pass."""
        kept: list[logging.LogRecord] = []
        for record in batch:
            if record.levelno < level:
                continue
            try:
                passed = apply_filters(handler, record)  # redact returns a copy
            except BaseException as err:  # noqa: BLE001 - supervised: even SystemExit is counted
                self.failed([record], err)
                continue
            if passed is not None:
                kept.append(passed)
        return kept

    def _format(
        self, handler: BatchSink, records: list[logging.LogRecord]
    ) -> tuple[list[logging.LogRecord], list[str]]:
        """The records that could be formatted, and their lines; the others are counted."""
        format_batch = _batch_formatter_of(handler)
        if format_batch is not None:  # logboot's text layout: one call for the batch
            with contextlib.suppress(BaseException):  # a bad record: the loop below counts it alone
                return records, format_batch(records)
        format_ = _formatter_of(handler)
        kept: list[logging.LogRecord] = []
        lines: list[str] = []
        add_line, keep = lines.append, kept.append
        for record in records:
            try:
                add_line(format_(record))
            except BaseException as err:  # noqa: BLE001 - supervised: even SystemExit is counted
                self.failed([record], err)
                continue
            keep(record)
        return kept, lines

    def _deliver_each(
        self, handler: logging.Handler, batch: Iterable[logging.LogRecord], level: int, filtered: bool
    ) -> None:
        for record in batch:
            if record.levelno < level:
                continue
            try:
                passed = apply_filters(handler, record) if filtered else record
                if passed is None:
                    continue
                handler.emit(as_logged(passed) if self.as_logged else passed)
                self.records += 1
            except BaseException as err:  # noqa: BLE001
                self.failed([record], err)
        try:
            handler.flush()
        except Exception as err:  # noqa: BLE001
            self.errors += 1
            self.reporter.report(err, "flush failed")

    def failed(self, records: list[logging.LogRecord], error: BaseException) -> None:
        """Count records this sink could not take; hand them to the fallback, if any."""
        self.errors += len(records)
        detail = f"{len(records)} record(s) not written"
        if self.fallback is not None:
            detail += f"; sent to fallback sink {self.fallback.name!r}"
        self.reporter.report(error, detail)
        if self.fallback is not None:
            self.fallback.deliver(records)

    def drain(self, deadline: float) -> bool:
        """Wait until the handler has delivered what it holds (remote sinks buffer); False at the deadline."""
        if not isinstance(self.handler, BatchSink):
            return True
        try:
            return self.handler.drain(deadline)
        except Exception as err:  # noqa: BLE001
            self.reporter.report(err, "drain failed")
            return False

    def flush(self) -> None:
        try:
            self.handler.flush()
        except Exception as err:  # noqa: BLE001
            self.reporter.report(err, "flush failed")

    def close(self) -> None:
        try:
            self.handler.close()
        except Exception as err:  # noqa: BLE001
            self.reporter.report(err, "close failed")

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = {"type": self.kind, "records": self.records, "errors": self.errors}
        extra = getattr(self.handler, "sink_stats", None)
        if callable(extra):
            stats.update(extra())  # e.g. a remote sink's buffered and dropped counts
        return stats


def _formatter_of(handler: BatchSink) -> Callable[[logging.LogRecord], str]:
    """``handler.format``, skipping ``Handler.format``'s extra call per record when not overridden."""
    if type(handler).format is logging.Handler.format:
        return (handler.formatter or _DEFAULT_FORMATTER).format
    return handler.format


def _batch_formatter_of(handler: BatchSink) -> Callable[[list[logging.LogRecord]], list[str]] | None:
    """The ``format_batch`` of the handler's formatter (logboot's text layout has one), when
    the handler formats each record with it unchanged; the handler's own, when it formats
    records its own way and has one (syslog: a header around each line); else None."""
    format_batch: Callable[[list[logging.LogRecord]], list[str]] | None
    if type(handler).format is not logging.Handler.format:
        format_batch = getattr(handler, "format_batch", None)
        return format_batch
    if handler.formatter is None:
        return None
    format_batch = getattr(handler.formatter, "format_batch", None)
    return format_batch


_DEFAULT_FORMATTER = logging.Formatter()  # what Handler.format uses when a handler has none


def _reraise(record: logging.LogRecord) -> None:
    raise  # noqa: PLE0704 - called by Handler.emit inside its except block


class Listener:
    """Drains one queue into its sinks on a thread named ``logboot-listener-<name>``."""

    def __init__(
        self,
        name: str,
        queue: ThreadQueue,
        sinks: list[ListenerSink],
        batch_size: int = 1024,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
    ) -> None:
        self.name = name
        self.queue = queue
        self.sinks = sinks
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self._stopping = False
        self._after: threading.Event | None = None
        self._thread = threading.Thread(target=self._run, name=f"logboot-listener-{name}", daemon=True)
        self.reporter = ErrorReporter(f"listener {name!r}")

    def start(self, after: threading.Event | None = None) -> None:
        """Start the thread; with ``after``, it takes nothing from its queue until that is set.

        A runtime that replaces another passes the event it sets once the old one has
        drained: a record logged after the swap is then written after everything the same
        thread logged before it, also when both runtimes write to the same file.
        """
        self._after = after
        self.queue.listener_thread = self._thread
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        if self._after is not None:
            self._after.wait()
        queue = self.queue
        take = queue.take
        most, budget = self.batch_size, self.batch_bytes
        limit = most
        while True:
            try:
                batch = take(limit)
                if batch:
                    # A queue with a byte bound counts each heavy record before it is queued
                    # and until this thread's done(): none counted, none in this batch, and
                    # its records need not be weighed (50 ns a record).
                    if queue.max_bytes and not queue.heavy_bytes:
                        heavy = 0
                    else:
                        weights = message_weights(batch)
                        heavy = heavy_bytes(weights, sum(weights))
                    for part in split_batch(batch, heavy, budget):
                        for sink in self.sinks:
                            self._deliver(sink, part)
                    # Always: the accounting, flush() and the producers waiting for bytes depend on it.
                    queue.done(len(batch), heavy)
                    # Take next about as many records as the budget holds, judged by these.
                    limit = min(most, max(1, budget * len(batch) // heavy)) if heavy else most
                    continue
                if self._stopping:
                    return
                queue.wait(IDLE_WAIT)
            except Exception as err:  # noqa: BLE001 - the thread must outlive any bug
                self.reporter.report(err, "unexpected error in the listener; it keeps running")
                time.sleep(0.01)

    def _deliver(self, sink: ListenerSink, batch: Sequence[logging.LogRecord]) -> None:
        """Hand a batch to one sink; whatever escapes it is that sink's error alone."""
        try:
            sink.deliver(batch)
        except BaseException as err:  # noqa: BLE001 - never keep the batch from the next sink
            sink.errors += len(batch)
            sink.reporter.report(err, f"{len(batch)} record(s) may not have been written")

    def stop(self, deadline: float) -> bool:
        """Drain what is queued and end the thread; False when the deadline passed first."""
        self._stopping = True
        if self._after is not None:
            self._after.set()  # a runtime stopped before its predecessor drained: drain it now
        self.queue.wake()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            write_stderr(f"logboot: listener {self.name!r} did not finish draining in time\n")
            return False
        return True


# A batch's byte budget weighs heavy messages only (``queues.heavy_weight``): lighter records
# are bounded by ``batch_size`` alone (1,024 of them under 4 KiB: 4 MiB at most, written in
# parts). Cutting their batches by bytes made more batches, and each batch hands the GIL over
# (its write) to a producer that keeps it up to 5 ms; measured, 1 KiB messages in batches of
# 256 KiB went from 0.83x FileHandler's time to 0.97x, and the queue filled.


def message_weights(batch: Sequence[logging.LogRecord]) -> list[int]:
    """The length of each record's message (0 for one that is not a str): 50 ns a record."""
    return [len(msg) if msg.__class__ is str else 0 for msg in map(_MESSAGE, batch)]


def message_bytes(batch: Sequence[logging.LogRecord]) -> int:
    """The byte weight of a batch: its records' ``heavy_weight`` summed."""
    weights = message_weights(batch)
    return heavy_bytes(weights, sum(weights))


def heavy_bytes(weights: list[int], size: int) -> int:
    """The weights of the heavy messages among ``weights`` (summing to ``size``), summed:
    what a queue with a byte bound counted for them (``ThreadQueue.put``)."""
    if size < HEAVY_MESSAGE or max(weights) < HEAVY_MESSAGE:
        return 0
    return sum(weight for weight in weights if weight >= HEAVY_MESSAGE)


def split_batch(
    batch: Sequence[logging.LogRecord], size: int, budget: int
) -> Iterator[Sequence[logging.LogRecord]]:
    """``batch`` (weighing ``size``) in order, as parts of at most ``budget`` bytes each; a
    record heavier than the budget is a part of its own. Most batches are one part."""
    if size <= budget:
        yield batch
        return
    part: list[logging.LogRecord] = []
    held = 0
    for record in batch:
        weight = heavy_weight(record)
        if part and held + weight > budget:
            yield part
            part, held = [], 0
        part.append(record)
        held += weight
    if part:
        yield part
