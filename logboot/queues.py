"""Thread queues with overflow policies and exact counters.

Accounting, per queue: ``enqueued`` counts every record offered; each one ends up
``handled`` by the listener or ``dropped`` (rejected when full or closed, evicted by
``drop_oldest``, or abandoned at a stop that timed out: still queued, or taken by a
listener that had not finished writing them). After a stop,
``enqueued == handled + dropped`` exactly. A record given up on at the deadline that
the listener still manages to write afterwards is counted as ``late``, not ``handled``:
the counts a stop reported never change.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from typing import Any, Literal

Overflow = Literal["block", "drop_newest", "drop_oldest"]


def in_event_loop() -> bool:
    """True in a thread running an asyncio event loop (asked only when a queue is full)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return False  # nothing imported asyncio, so no loop can be running
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# Queued records past which a producer yields to a busy listener, once per 256 records.
# Below the cyclic GC's young threshold (700 on 3.11 and 3.12): a record allocated and
# freed within one turn is never seen by a collection, while a queue that ran to the
# forced switch (5 ms, 700 to 900 records here) set one off every turn, 0.25 µs a record.
_HIGH_WATER = 512
_NUDGE_EVERY = 255  # a mask: nudge at 512, 768, 1024...
_YIELDS = 20  # tries, each giving up the GIL, before a producer blocks on a busy queue lock


def acquire_contended(lock: threading.Lock) -> None:
    """Take a lock that another thread holds, without starting a lock convoy.

    The holder is almost always a producer that lost the GIL between its acquire and its
    release. A thread that blocks on the lock gets it back while waiting for the GIL, so
    from then on every put hands both the lock and the GIL over (measured: 8 threads fell
    from 125k to 48k records/s, in about half the runs). Yielding the GIL lets the holder
    finish its few bytecodes; only a holder that stays busy makes us block.
    """
    for _ in range(_YIELDS):
        time.sleep(0)  # releases the GIL so that the holder can run
        if lock.acquire(False):
            return
    lock.acquire()


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
        self.successor: ThreadQueue | None = None  # where records go once replaced and closed
        # Counters. `accepted` and `evicted` give the flush barrier its FIFO positions.
        # `accepted` and `peak` are derived (see their properties) so that a put only
        # appends: every accepted record is still queued, or was taken, evicted or abandoned.
        self.rejected = 0
        self.evicted = 0
        self.abandoned = 0
        self.dropped_in_event_loop = 0  # of `rejected`: full `block` queue, caller in an event loop
        self.handled = 0
        self._taken = 0
        self.given_up = 0  # of `abandoned`: taken by the listener, not yet written at the deadline
        self._owed = 0  # of those, not yet seen by done(): what done() counts as late
        self.late = 0  # given up on at the deadline, but written afterwards
        self._peak = 0  # the largest size seen when records left the queue
        self._room = max_size or sys.maxsize  # a put at this size takes the slow path; 0 once closed

    # --- producer side --------------------------------------------------------------

    def put(self, record: logging.LogRecord) -> bool:
        """Enqueue a record, applying the overflow policy; False when it was dropped."""
        lock = self._lock
        if not lock.acquire(False):  # not `with`: on this hot path its protocol costs as much as the rest
            acquire_contended(lock)
        try:
            items = self._items
            if len(items) >= self._room:  # full or closed: the slow path decides
                if not self._make_room():
                    if self._closed and self.successor is not None:
                        return self.successor.put(record)  # replaced: a record racing the swap goes on
                    self.rejected += 1
                    return False
                items = self._items  # the listener may have swapped it while we waited
            items.append(record)
            size = len(items)
        finally:
            lock.release()
        if self._listener_idle:
            self._listener_idle = False  # one wake-up is enough, not one per record until it runs
            self._wakeup.set()
        elif size >= _HIGH_WATER and not size & _NUDGE_EVERY:
            # The listener is behind: hand it the GIL now rather than at the next forced
            # switch (5 ms, ~800 records later), so the queue, the memory it holds and the
            # records the GC walks stay few. The sleep (~80 µs of timer slack here) is
            # spent while the listener works, which it must do anyway.
            time.sleep(0)
        return True

    def _make_room(self) -> bool:
        """(Lock held, queue full or closed.) Apply the overflow policy; False to reject."""
        if self._closed:
            return False
        if self.overflow == "drop_newest":
            return False
        if self.overflow == "drop_oldest":
            self._items.popleft()
            self.evicted += 1
            return True
        return self._wait_for_room()

    def _wait_for_room(self) -> bool:
        """Wait (lock held) until there is room; False on timeout, close, or self-deadlock."""
        if threading.current_thread() is self.listener_thread:
            return False  # the listener cannot wait for itself to make room
        if in_event_loop():
            self.dropped_in_event_loop += 1  # never stall an event loop: drop and count instead
            return False
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
            size = len(items)
            self._peak = max(self._peak, size)  # sizes only grow between two takes: this is the peak
            if size <= limit:
                self._items = deque()
                batch: list[logging.LogRecord] | deque[logging.LogRecord] = items
            else:
                popleft = items.popleft
                batch = [popleft() for _ in range(limit)]
            self._taken += len(batch)
            if self._blocked:
                self._not_full.notify_all()
            return batch

    def done(self, count: int) -> None:
        """The listener has delivered ``count`` records taken earlier."""
        with self._lock:  # once a batch; abandon() must see handled and _owed move together
            if self._owed:  # a stop gave up on these records in flight: they count as late
                late = min(count, self._owed)
                self._owed -= late
                self.late += late
                count -= late
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
            return self._accepted()

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
            self._room = 0  # every later put takes the slow path, which rejects it
            self._not_full.notify_all()
        self._wakeup.set()

    def abandon(self) -> int:
        """Give up, at a stop's deadline, on what is still queued and what the listener has
        taken but not written; count both as abandoned and return how many."""
        with self._lock:
            count = len(self._items)
            self._peak = max(self._peak, count)
            self._items = deque()
            in_flight = self._taken - self.handled - self.given_up
            self.given_up += in_flight
            self._owed += in_flight
            self.abandoned += count + in_flight
            count += in_flight
        with self._progress:
            self._progress.notify_all()
        return count

    @property
    def closed(self) -> bool:
        return self._closed

    def _accepted(self) -> int:
        return self._taken + self.evicted + self.abandoned - self.given_up + len(self._items)

    @property
    def accepted(self) -> int:
        """Records that went into the queue (all of them, whatever became of them)."""
        with self._lock:
            return self._accepted()

    @property
    def peak(self) -> int:
        """The most records that were queued at once."""
        with self._lock:
            return max(self._peak, len(self._items))

    @property
    def enqueued(self) -> int:
        with self._lock:
            return self._accepted() + self.rejected

    @property
    def dropped(self) -> int:
        return self.rejected + self.evicted + self.abandoned

    def size(self) -> int:
        return len(self._items)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "kind": self.kind,
                "enqueued": self._accepted() + self.rejected,
                "handled": self.handled,
                "dropped": self.rejected + self.evicted + self.abandoned,
                # Taken by the listener and being written: while it runs,
                # enqueued == handled + dropped + in_flight + size.
                "in_flight": self._taken - self.handled - self.given_up,
                "late": self.late,
                "size": len(self._items),
                "max_size": self.max_size,
                "overflow": self.overflow,
                "peak": max(self._peak, len(self._items)),
                "dropped_in_event_loop": self.dropped_in_event_loop,
            }
