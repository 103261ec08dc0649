"""Thread queues with overflow policies and exact counters.

Accounting, per queue: ``enqueued`` counts every record offered; each one ends up
``handled`` by the listener or ``dropped`` (rejected when full or closed, evicted by
``drop_oldest``, or abandoned at a stop that timed out). After a stop,
``enqueued == handled + dropped`` exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Literal

Overflow = Literal["block", "drop_newest", "drop_oldest"]


class ThreadQueue:
    """A FIFO of records between producers in this process and one listener thread."""

    kind = "thread"

    def __init__(
        self,
        name: str,
        max_size: int = 0,
        overflow: Overflow = "block",
        block_timeout: float | None = None,
    ) -> None:
        self.name = name
        self.max_size = max_size
        self.overflow = overflow
        self.block_timeout = block_timeout
        self._items: deque[logging.LogRecord] = deque()
        self._lock = threading.Lock()
        self._not_full = threading.Condition(self._lock)
        self._blocked = 0  # producers waiting for room
        self._wakeup = threading.Event()
        self._listener_idle = False
        self._progress = threading.Condition(threading.Lock())
        self._flush_waiters = 0
        self._closed = False
        self.listener_thread: threading.Thread | None = None
        # Counters. `accepted` and `evicted` give the flush barrier its FIFO positions.
        self.accepted = 0
        self.rejected = 0
        self.evicted = 0
        self.abandoned = 0
        self.handled = 0
        self.peak = 0

    # --- producer side --------------------------------------------------------------

    def put(self, record: logging.LogRecord) -> bool:
        """Enqueue a record, applying the overflow policy; False when it was dropped."""
        with self._lock:
            if self._closed:
                self.rejected += 1
                return False
            items = self._items
            if self.max_size and len(items) >= self.max_size:
                if self.overflow == "drop_newest":
                    self.rejected += 1
                    return False
                if self.overflow == "drop_oldest":
                    items.popleft()
                    self.evicted += 1
                elif not self._wait_for_room():
                    self.rejected += 1
                    return False
                items = self._items  # the listener may have swapped it while we waited
            items.append(record)
            self.accepted += 1
            self.peak = max(self.peak, len(items))
        if self._listener_idle:
            self._wakeup.set()
        return True

    def _wait_for_room(self) -> bool:
        """Wait (lock held) until there is room; False on timeout, close, or self-deadlock."""
        if threading.current_thread() is self.listener_thread:
            return False  # the listener cannot wait for itself to make room
        deadline = None if self.block_timeout is None else time.monotonic() + self.block_timeout
        self._blocked += 1
        self._wakeup.set()
        try:
            while len(self._items) >= self.max_size and not self._closed:
                if deadline is None:
                    self._not_full.wait(1.0)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._not_full.wait(remaining)
        finally:
            self._blocked -= 1
        return not self._closed

    # --- listener side --------------------------------------------------------------

    def take(self, limit: int) -> list[logging.LogRecord] | deque[logging.LogRecord]:
        """Remove and return up to ``limit`` records (the oldest first)."""
        with self._lock:
            items = self._items
            if not items:
                return []
            if len(items) <= limit:
                self._items = deque()
                batch: list[logging.LogRecord] | deque[logging.LogRecord] = items
            else:
                popleft = items.popleft
                batch = [popleft() for _ in range(limit)]
            if self._blocked:
                self._not_full.notify_all()
            return batch

    def done(self, count: int) -> None:
        """The listener has delivered ``count`` records taken earlier."""
        self.handled += count
        if self._flush_waiters:
            with self._progress:
                self._progress.notify_all()

    def wait(self, timeout: float) -> None:
        """Sleep until a record arrives, a wake-up is asked for, or ``timeout`` passes."""
        self._wakeup.clear()
        self._listener_idle = True
        if not self._items:
            self._wakeup.wait(timeout)
        self._listener_idle = False

    def wake(self) -> None:
        self._wakeup.set()

    # --- control ----------------------------------------------------------------------

    def barrier(self) -> int:
        """The FIFO position that a flush started now must see delivered."""
        with self._lock:
            return self.accepted

    def reached(self, position: int) -> bool:
        return self.handled + self.evicted + self.abandoned >= position

    def wait_for(self, position: int, deadline: float) -> bool:
        """Wait until every record accepted before ``position`` has been delivered."""
        with self._progress:
            self._flush_waiters += 1
            try:
                while not self.reached(position):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._wakeup.set()
                    self._progress.wait(min(remaining, 0.05))
            finally:
                self._flush_waiters -= 1
        return True

    def close(self) -> None:
        """Refuse new records (counted as dropped); what is queued stays to be drained."""
        with self._lock:
            self._closed = True
            self._not_full.notify_all()
        self._wakeup.set()

    def abandon(self) -> int:
        """Drop what is still queued after a stop timed out; return how many."""
        with self._lock:
            count = len(self._items)
            self._items = deque()
            self.abandoned += count
        with self._progress:
            self._progress.notify_all()
        return count

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def enqueued(self) -> int:
        return self.accepted + self.rejected

    @property
    def dropped(self) -> int:
        return self.rejected + self.evicted + self.abandoned

    def size(self) -> int:
        return len(self._items)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "kind": self.kind,
                "enqueued": self.accepted + self.rejected,
                "handled": self.handled,
                "dropped": self.rejected + self.evicted + self.abandoned,
                "size": len(self._items),
                "max_size": self.max_size,
                "overflow": self.overflow,
                "peak": self.peak,
            }
