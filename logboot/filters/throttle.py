"""``type: throttle``: at most ``rate`` records of each key pass; the rest are dropped,
counted, and summed up in one record (log4j2's BurstFilter, logback's DuplicateMessageFilter).

**Keys.** ``key: message`` (the default) counts a logger's records with the same message
template together: ``record.msg`` before its args are merged, so ``"user %s failed"`` is one
key whatever the user (a message that is not text counts by its type). ``key: logger``
counts every record of a logger together. A sink filter runs in the listener, after the
producer merged the args into the message: there ``message`` counts the merged text, so put
the throttle on the logger or the queue to count by template.

**Budget.** A token bucket per key: ``burst`` records (default: the rate's count) may pass
at once, then ``rate`` refills it. A record that finds no token is dropped and counted.
Each place a throttle is named keeps its own buckets (a sink, or one logger's handler, see
``logboot.runtime.build``): a record that reaches two sinks is counted once in each.

**Memory.** At most ``MAX_KEYS`` (4,096) keys per place; a new key beyond that evicts the
least recently used one (counted in ``evicted``; an evicted key that had suppressed
records is summed up first, so nothing goes uncounted). Distinct templates (f-strings) each
get their own bucket, so they pass: ``key: logger`` is the throttle for those.

**The summary.** When a key that had records suppressed passes again, or when the runtime
flushes or stops (``emit_summaries``), one record says how many, e.g. ``suppressed 9,950
similar records from app.db in 10 s: 'user %s failed'`` (the span from the first to the
last suppressed record). It carries the key's logger name, the highest level among the
suppressed records (they all passed the same level checks, so it lands where they would
have), the file and line of the first of them, and the fields ``throttled`` (the count)
and ``throttled_seconds``. It is a ``ThrottleSummary``, which every throttle lets through.

**How it is emitted.** A filter returns one record for one record, so the summary cannot
be the filter's answer: the filter hands it to its ``emit`` target and then lets the
passing record through, so the summary comes first. ``build_topology`` points ``emit`` at
the handler the throttle belongs to (the producer's ``QueueHandler.handle``, or the sink's
``deliver``), so the summary meets that handler's other filters (``redact`` too) and
nothing else; standing alone, a throttle logs it through the key's logger. A summary
emitted by a sink filter is written at once, before the records of its batch that passed
earlier (its time stamp says when it was made).

**Threads.** Producers call ``filter`` from any thread. One lock guards the buckets for a
dict lookup and a little arithmetic; it is never held while a summary is built or emitted.
It is reentrant, for ``shutdown.signals``: a stop in a signal handler that interrupted
``filter`` in the same thread sums up what was counted so far instead of deadlocking.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from logboot.core.reporting import ErrorReporter
from logboot.values.rates import RecordRate

MAX_KEYS = 4096
Emit = Callable[[logging.LogRecord], object]
_TEMPLATE_SHOWN = 120  # characters of a message template a summary quotes


class ThrottleSummary(logging.LogRecord):
    """The record that says how many records of one key a throttle suppressed."""


class _Bucket:
    """One key's tokens and what it suppressed since its last summary."""

    __slots__ = ("first", "last", "level", "logger", "suppressed", "template", "tokens", "until", "where")

    def __init__(self, logger: str, template: object, tokens: float, now: float) -> None:
        self.logger = logger
        self.template = template  # the message template (key: message), else None
        self.tokens = tokens
        self.last = now  # when the tokens were last refilled
        self.suppressed = 0
        self.first = self.until = now  # the first and the last suppressed record
        self.level = 0
        self.where: tuple[str, int, str | None] = ("", 0, None)


# What a summary is made of: logger, level, count, span, template, (path, line, function).
_Pending = tuple[str, int, int, float, object, tuple[str, int, str | None]]


class ThrottleFilter(logging.Filter):
    """Drops the records of a key beyond its rate; counts them; emits one summary per quiet spell."""

    def __init__(
        self,
        rate: RecordRate,
        burst: int | None = None,
        key: str = "message",
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
        emit: Emit | None = None,
    ) -> None:
        super().__init__()
        if key not in ("message", "logger"):
            raise ValueError(f"key: expected 'message' or 'logger', got {key!r}")
        self.rate = rate
        self.burst = float(rate.records if burst is None else burst)
        self.key = key
        self.max_keys = max_keys
        self._by_message = key == "message"
        self._refill = rate.per_second
        self._clock = clock
        self._emit: Emit = emit or _through_logger
        self._buckets: OrderedDict[Any, _Bucket] = OrderedDict()
        # Reentrant: a signal handler that stops the runtime while it interrupted this thread
        # inside `filter` takes it again instead of waiting for itself (8 ns more than a Lock).
        self._lock = threading.RLock()
        self.passed = 0
        self.throttled = 0
        self.summarized = 0  # of throttled: the records a summary has reported
        self.summaries = 0
        self.evicted = 0
        self.reporter = ErrorReporter("throttle filter: a summary could not be emitted")

    def emit_to(self, emit: Emit) -> None:
        """Send summaries to ``emit`` (the handler this throttle belongs to)."""
        self._emit = emit

    def filter(self, record: logging.LogRecord) -> bool:
        if record.__class__ is ThrottleSummary:
            return True
        name = record.name
        if self._by_message:
            msg = record.msg
            key: Any = (name, msg if msg.__class__ is str else msg.__class__)
        else:
            key = name
        now = self._clock()
        buckets = self._buckets
        lock = self._lock
        lock.acquire()  # not `with`: half the cost, and nothing below can fail but MemoryError
        try:
            bucket = buckets.get(key)
            if bucket is None:
                pending = self._evict() if len(buckets) >= self.max_keys else None
                template = key[1] if self._by_message else None
                buckets[key] = _Bucket(name, template, self.burst - 1.0, now)
                self.passed += 1
                if pending is None:
                    return True
            else:
                buckets.move_to_end(key)
                tokens = bucket.tokens
                elapsed = now - bucket.last
                if elapsed > 0:
                    tokens += elapsed * self._refill
                    if tokens > self.burst:  # noqa: PLR1730 - cheaper than a call to min() per record
                        tokens = self.burst
                    bucket.last = now
                if tokens < 1.0:
                    bucket.tokens = tokens
                    if not bucket.suppressed:
                        bucket.first = now
                        bucket.where = (record.pathname, record.lineno, record.funcName)
                    bucket.suppressed += 1
                    bucket.until = now
                    if record.levelno > bucket.level:  # noqa: PLR1730 - cheaper than max() per record
                        bucket.level = record.levelno
                    self.throttled += 1
                    return False
                bucket.tokens = tokens - 1.0
                self.passed += 1
                if not bucket.suppressed:
                    return True
                pending = self._take(bucket)
        finally:
            lock.release()
        self._send([pending])  # the lock is free again: the summary goes first
        return True

    def _take(self, bucket: _Bucket) -> _Pending:
        """What ``bucket`` suppressed, for a summary; the bucket starts counting again. Locked."""
        pending = (
            bucket.logger, bucket.level or logging.WARNING, bucket.suppressed,
            bucket.until - bucket.first, bucket.template, bucket.where,
        )  # fmt: skip
        self.summarized += bucket.suppressed
        self.summaries += 1
        bucket.suppressed = bucket.level = 0
        return pending

    def _evict(self) -> _Pending | None:
        """Make room: drop the least recently used key (its summary first, if it has one). Locked."""
        _, bucket = self._buckets.popitem(last=False)
        self.evicted += 1
        return self._take(bucket) if bucket.suppressed else None

    def emit_summaries(self) -> int:
        """Emit a summary for every key with suppressed records (at flush and stop); how many."""
        with self._lock:
            pending = [self._take(bucket) for bucket in self._buckets.values() if bucket.suppressed]
        self._send(pending)
        return len(pending)

    def _send(self, pending: Iterable[_Pending]) -> None:
        for logger, level, count, span, template, (path, line, function) in pending:
            records = "record" if count == 1 else "records"
            text = f"suppressed {count:,} similar {records} from {logger} in {_span(span)}"
            if isinstance(template, str):
                text += f": {_clip(template)!r}"
            elif template is not None:  # a message that is not text: counted by its type
                text += f": <{getattr(template, '__name__', '?')}>"
            summary = ThrottleSummary(logger, level, path, line, text, None, None, function)
            summary.throttled = count
            summary.throttled_seconds = span
            try:
                self._emit(summary)
            except Exception as err:  # noqa: BLE001 - a summary must never raise into the application
                self.reporter.report(err, f"summary of {count} record(s) from {logger!r} lost")

    def pending(self) -> int:
        """Records suppressed that no summary has reported yet."""
        with self._lock:
            return sum(bucket.suppressed for bucket in self._buckets.values())

    def stats(self) -> dict[str, Any]:
        return {
            "type": "throttle",
            "passed": self.passed,
            "throttled": self.throttled,
            "keys": len(self._buckets),
            "evicted": self.evicted,
            "summaries": self.summaries,
            "summarized": self.summarized,
            "pending": self.pending(),
        }


def combined_stats(filters: Iterable[ThrottleFilter]) -> dict[str, Any]:
    """The counters of the places one named throttle is used in, added up (``keys`` too)."""
    total: dict[str, Any] = {"type": "throttle"}
    for found in filters:
        for name, value in found.stats().items():
            if name != "type":
                total[name] = total.get(name, 0) + value
    return total


def _through_logger(record: logging.LogRecord) -> None:
    """A throttle standing alone: its summary goes through the key's logger."""
    logging.getLogger(record.name).handle(record)


def _clip(text: str) -> str:
    return text if len(text) <= _TEMPLATE_SHOWN else f"{text[: _TEMPLATE_SHOWN - 3]}..."


def _span(seconds: float) -> str:
    """``0 s``, ``2.5 s``, ``10 s``, ``12 min``, ``3.5 h``: to a tenth of a second below 10 s."""
    if seconds < 10:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
