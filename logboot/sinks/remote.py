"""What sinks that ship to another process share: a bounded buffer and one sender thread.

The listener only appends to the buffer, so a slow or absent receiver never holds it
up. The sender thread (``logboot-<kind>-<sink>``, started by the first record) connects
lazily, sends in batches, and after a failure waits 100ms, then twice as long each
time up to ``backoff_max``, keeping what was not delivered. A record that finds the
buffer full is dropped and counted, so that always::

    records offered to the sink == sent + buffered + dropped
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
import time
import weakref
from collections import deque
from operator import attrgetter
from typing import Any, Generic, TypeVar

from logboot.core.reporting import ErrorReporter
from logboot.sinks.base import BatchSink

Item = TypeVar("Item")
_THREAD = attrgetter("thread")

BACKOFF_START = 0.1  # seconds before the first retry
REPORT_INTERVAL = 30.0  # seconds between two reports about an unreachable receiver
CLOSE_WAIT = 1.0  # seconds close() gives an in-flight send before giving up on it
FLUSH_WAIT = 5.0  # seconds flush() (no deadline of its own) waits for the buffer to drain


class SendError(Exception):
    """A send that failed after ``sent`` items went out.

    ``rejected`` items after those were refused by the receiver for good (they are
    dropped); the rest stay buffered and are sent again after the backoff.
    """

    def __init__(self, sent: int, cause: BaseException, rejected: int = 0) -> None:
        super().__init__(str(cause))
        self.sent = sent
        self.rejected = rejected
        self.cause = cause


class BufferFullError(Exception):
    """Records arrived while the buffer was full; they were dropped."""


class RemoteSink(BatchSink, Generic[Item]):
    """A sink whose ``write_lines`` or ``write_records`` calls ``offer``; subclasses send."""

    kind = "remote"
    batch_max = 512  # most items per send

    def __init__(self, *, buffer_size: int, backoff_max: float) -> None:
        super().__init__()
        self.buffer_size = buffer_size
        self.backoff_max = backoff_max
        self._items: deque[Item] = deque()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._sender_ident: int | None = None
        self._sender_pid = 0
        self._closing = False
        self._closed = False
        self._pushed = 0  # items ever put into the buffer
        self._settled = 0  # of those, items sent or dropped since (FIFO positions for drain)
        self._failures = 0  # consecutive failures, for the backoff
        self._retry_at = 0.0
        self.connected = False
        self.sent = 0
        self.dropped = 0
        self.reconnects = 0
        self._ever_connected = False
        self._reporter: ErrorReporter | None = None
        self._gave_up = False  # the last drain() passed its deadline
        _LIVE.add(self)

    # --- what a subclass implements (called on the sender thread only) ----------------

    def connect(self) -> None:
        """Open the connection; raise on failure."""

    def send(self, items: list[Item]) -> None:
        """Send every item, or raise ``SendError`` (any other exception: nothing was sent)."""
        raise NotImplementedError

    def alive(self) -> bool:
        """False when the open connection is known to be dead (checked before each send)."""
        return True

    def disconnect(self, graceful: bool = False) -> None:
        """Close the connection; never raises. ``graceful`` (at close): let the receiver finish reading."""

    def interrupt(self) -> None:
        """Unblock a send in progress (called from another thread at close)."""

    def forget(self) -> None:
        """In a forked child: drop the parent's connection without closing it for the parent."""

    def target(self) -> str:
        """Where the sink sends, for messages and ``describe``."""
        return "?"

    def take(self, items: deque[Item]) -> list[Item]:
        """The next batch: the first items of the buffer (its lock held), ``batch_max`` at most."""
        return list(itertools.islice(items, self.batch_max))

    # --- the listener's side ----------------------------------------------------------

    def offer(self, items: list[Item]) -> None:
        """Buffer ``items`` for the sender; those that do not fit are dropped and counted."""
        with self._cond:
            if self._closed:
                self.dropped += len(items)
                return
            room = self.buffer_size - len(self._items)
            overflow = len(items) - room
            if overflow > 0:
                items = items[:room]
                self.dropped += overflow
            self._items.extend(items)
            self._pushed += len(items)
            if self._thread is None:
                self._start()
            self._cond.notify()
        if overflow > 0:
            self.reporter.report(
                BufferFullError(f"the buffer of {self.buffer_size} record(s) is full"),
                f"{overflow} record(s) dropped; {self.dropped} in all while {self.target()} "
                "is slow or unreachable",
            )

    def drain(self, deadline: float) -> bool:
        """Wait until everything buffered before this call is sent or dropped."""
        with self._cond:
            position = self._pushed
            while self._settled < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    self._gave_up = True
                    return False
                self._cond.wait(remaining)
            self._gave_up = False
        return True

    def flush(self) -> None:
        """A drain bounded by ``FLUSH_WAIT``, for callers without a deadline (a forked child's
        stop); nothing when the last drain already gave up (the runtime's stop drains first)."""
        if not self._gave_up:
            self.drain(time.monotonic() + FLUSH_WAIT)

    def close(self) -> None:
        """Stop the sender; what is still buffered is dropped and counted."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_WAIT / 4)
            if thread.is_alive():
                self.interrupt()
                thread.join(CLOSE_WAIT)
        with self._cond:
            if not self._closed:
                self._closed = True
                self.dropped += len(self._items)
                self._settled += len(self._items)
                self._items.clear()
                self._cond.notify_all()
        if thread is None or not thread.is_alive():
            self.disconnect(graceful=True)
            self.connected = False
        super().close()

    def sink_stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "sent": self.sent,
                "buffered": len(self._items),
                "dropped": self.dropped,
                "reconnects": self.reconnects,
                "connected": self.connected,
            }

    def describe(self) -> str:
        return self.target()

    @property
    def reporter(self) -> ErrorReporter:
        if self._reporter is None:
            self._reporter = ErrorReporter(f"sink {self.name!r} ({self.target()})", REPORT_INTERVAL)
        return self._reporter

    # What the sender thread logs (an HTTP client's warnings) must not come back here: the
    # listener leaves it out once a batch (``filter_batch``), a plain handler's ``handle``
    # in ``filter``. (A logging filter cost the listener 0.5 µs a record.)

    def filter_batch(self, records: list[logging.LogRecord]) -> list[logging.LogRecord]:
        ident = self._sender_ident
        if ident is None or ident not in map(_THREAD, records):
            return records
        return [record for record in records if self._not_from_sender(record)]

    def filter(self, record: logging.LogRecord) -> Any:
        return self._not_from_sender(record) and super().filter(record)

    def _not_from_sender(self, record: logging.LogRecord) -> bool:
        return record.thread != self._sender_ident or record.process != self._sender_pid

    def _after_fork(self) -> None:
        """In a forked child: the parent's buffer, thread and connection are the parent's."""
        self._cond = threading.Condition(threading.Lock())
        self._items = deque()
        self._settled = self._pushed
        self._thread = None
        self._sender_ident = None
        self._retry_at = 0.0
        self._failures = 0
        self.forget()
        self.connected = False
        self._ever_connected = False

    # --- the sender thread --------------------------------------------------------------

    def _start(self) -> None:
        """Start the sender thread (lock held)."""
        self._thread = threading.Thread(
            target=self._run, name=f"logboot-{self.kind}-{self.name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        self._sender_ident = threading.get_ident()
        self._sender_pid = os.getpid()
        try:
            while self._step():
                pass
        finally:
            if not self._closing:  # an unexpected end; at close, close() hangs up gracefully
                self.disconnect()
                self.connected = False

    def _step(self) -> bool:
        """Send one batch (connecting first if needed); False when the sink is closing."""
        with self._cond:
            while not self._items and not self._closing:
                self._cond.wait()
            if self._closing:
                return False
            batch = self.take(self._items)
        if self.connected and not self.alive():
            self._lost(ConnectionResetError(f"{self.target()} closed the connection"), report=False)
        if not self.connected:
            if not self._wait_for_retry():
                return False
            try:
                self.connect()
            except Exception as err:  # noqa: BLE001 - any failure to connect is retried
                self._lost(err)
                return True
            self.connected = True
            if self._ever_connected:
                self.reconnects += 1
            self._ever_connected = True
        try:
            self.send(batch)
        except SendError as err:
            self._settle(err.sent, err.rejected)
            self._lost(err.cause)
            return True
        except Exception as err:  # noqa: BLE001
            self._lost(err)
            return True
        self._failures = 0
        self._settle(len(batch), 0)
        return True

    def _settle(self, sent: int, rejected: int) -> None:
        """Remove the first ``sent + rejected`` buffered items and count them."""
        with self._cond:
            if self._closed:  # close() gave up on this send and counted it as dropped
                return
            if sent + rejected == len(self._items):
                self._items.clear()  # the common case: a send took all there was
            else:
                for _ in range(sent + rejected):
                    self._items.popleft()
            self.sent += sent
            self.dropped += rejected
            self._settled += sent + rejected
            self._cond.notify_all()

    def _lost(self, error: BaseException, report: bool = True) -> None:
        """The connection failed: close it and schedule the next attempt."""
        self.disconnect()
        self.connected = False
        delay = min(self.backoff_max, BACKOFF_START * 2**self._failures)
        delay *= random.uniform(0.8, 1.0)  # noqa: S311 - jitter spreads reconnects, not a secret
        self._failures = min(self._failures + 1, 32)
        self._retry_at = time.monotonic() + delay
        if report and not self._closing:
            self.reporter.report(
                error,
                f"cannot deliver to {self.target()}; {len(self._items)} record(s) buffered, "
                f"retrying in {delay:.2g}s (backoff up to {self.backoff_max:g}s)",
            )

    def _wait_for_retry(self) -> bool:
        """Sleep until the backoff has passed; False when the sink closes meanwhile."""
        with self._cond:
            while not self._closing:
                remaining = self._retry_at - time.monotonic()
                if remaining <= 0:
                    return True
                self._cond.wait(remaining)
            return False


_LIVE: weakref.WeakSet[RemoteSink[Any]] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for sink in list(_LIVE):
        sink._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
