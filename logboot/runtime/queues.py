"""Thread queues with overflow policies and exact counters.

Accounting, per queue: ``enqueued`` counts every record offered; each one ends up
``handled`` by the listener or ``dropped`` (rejected when full or closed, shed below
``shed_below`` while the queue is ``shed_at`` full, evicted by ``drop_oldest``, or
abandoned at a stop that timed out: still queued, or taken by a listener that had not
finished writing them). After a stop,
``enqueued == handled + dropped`` exactly. A record given up on at the deadline that
the listener still manages to write afterwards is counted as ``late``, not ``handled``:
the counts a stop reported never change.

Re-entrancy. A signal handler (or a finalizer) that logs runs between two bytecodes of
the thread it interrupts, which may be inside this queue's critical section, changing the
deque and the counters. Waiting for the lock there would wait forever, and taking it again
would let the handler's put change what the interrupted section is changing. So the lock
is reentrant (it knows its owner atomically, at the moment it is taken) and ``_inside``
marks a section under way: a put that finds itself inside its own thread's section only
appends to ``_side`` (``deque.append`` is atomic), within ``max_size``, or records a
refusal in ``_refused``; the next section moves both into the queue and the counters
(``reentrant``, ``dropped_reentrant``). A handler that interrupts its thread's wait for
room in a full ``block`` queue waits too (the wait has let the lock go), at most
``_NESTED_WAITS`` deep; deeper, its record is refused and counted. Nothing a put touches
blocks on a lock the interrupted code may hold: the listener's wake-up is a token lock
released without waiting (``Wakeup``), and ``done()`` notifies flushers only if it can
do so without waiting.
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from itertools import repeat, starmap
from typing import Any, Literal

from logboot.values.units import DEFAULT_SHED_AT

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
# Waits for room one thread may nest: a signal handler that logs into a full `block` queue
# waits inside the wait it interrupted. Deeper, a record is refused (counted) rather than
# let each further signal nest another wait (about 12 frames) while the queue stays full.
_NESTED_WAITS = 4
# A message this long or longer is heavy: a queue with `max_bytes` counts its length while
# the record is queued or being written. Lighter records are not weighed (their memory is
# bounded by `max_size`), so the common put pays nothing for the byte bound.
HEAVY_MESSAGE = 4096


def acquire_contended(lock: threading.Lock | threading.RLock) -> None:
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


_RLOCK = type(threading.RLock())


def stays_taken(lock: Any, probe: float) -> bool:
    """True when ``lock`` (a lock or a condition) stays taken: this thread holds it (a
    signal handler interrupted it there), or another thread for longer than ``probe`` seconds."""
    # A reentrant lock: taking it again would not wait, so ask who holds it.
    if isinstance(lock, _RLOCK) and lock._is_owned():  # type: ignore[attr-defined]
        return True
    if not lock.acquire(timeout=probe):
        return True
    lock.release()
    return False


class Wakeup:
    """The listener's wake-up call, safe to give from a signal handler.

    ``threading.Event.set`` takes the lock of its condition, which the interrupted thread
    may hold (it was inside ``set``): a handler's put would wait for it forever. Here the
    flag is a bare lock that is released to say "wake up" and taken back by the listener;
    neither side ever waits for the other.
    """

    def __init__(self) -> None:
        self._token = _thread.allocate_lock()
        self._token.acquire()  # held: no wake-up pending

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # released already: a wake-up is pending
            self._token.release()

    def clear(self) -> None:
        self._token.acquire(False)

    def wait(self, timeout: float) -> bool:
        """Wait for a wake-up (and take it); False when ``timeout`` passed first."""
        return self._token.acquire(timeout=timeout)

    def is_set(self) -> bool:
        return not self._token.locked()


def heavy_weight(record: logging.LogRecord) -> int:
    """What a record weighs against a byte bound or a batch's byte budget: the length of its
    (merged) message when that is ``HEAVY_MESSAGE`` long or longer, else nothing (lighter
    records are bounded by their count alone)."""
    message = record.msg
    if message.__class__ is not str or len(message) < HEAVY_MESSAGE:
        return 0
    return len(message)


class ThreadQueue:
    """A FIFO of records between producers in this process and one listener thread."""

    kind = "thread"

    def __init__(
        self,
        name: str,
        max_size: int = 0,
        overflow: Overflow = "block",
        block_timeout: float | None = None,
        shed_below: int | None = None,
        shed_at: float | None = None,
        max_bytes: int = 0,
    ) -> None:
        self.name = name
        self.max_size = max_size
        self.overflow = overflow
        self.block_timeout = block_timeout
        # Graceful shedding: at `shed_size` records or more, a record below `shed_below` is
        # dropped and counted as shed; the others follow `overflow`. Needs a bounded queue.
        self.shed_below = shed_below if max_size else None
        self.shed_at = DEFAULT_SHED_AT if shed_at is None else shed_at
        self._shed_level = self.shed_below or 0  # 0: no level is below it
        self._shed_size = max(1, math.ceil(self.shed_at * max_size)) if self.shed_below else 0
        # A put at `_room` records or more takes the slow path: at the capacity, or where
        # shedding starts; 0 once closed or while a re-entrant put has left records aside.
        self._open_room = self._shed_size or max_size or sys.maxsize
        self._items: deque[logging.LogRecord] = deque()
        # Reentrant only so that a signal handler that logs inside this thread's own section
        # is let in and sent aside (see the module's docstring); never taken twice otherwise.
        self._lock = threading.RLock()
        self._inside = False  # the lock's holder is in a section that changes the queue
        self._side: deque[logging.LogRecord] = deque()  # put aside by a re-entrant put, within max_size
        self._refused: deque[None] = deque()  # one per record a re-entrant put refused (full or closed)
        self._not_full = threading.Condition(self._lock)
        self._blocked = 0  # producers waiting for room
        self._waiting: dict[int, int] = {}  # those threads: how many waits each has nested
        self._wakeup = Wakeup()
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
        self.shed = 0  # of `rejected`: below `shed_below` while the queue was `shed_at` full
        self.reentrant = 0  # records put from inside their own thread's section (signal handler)
        self.dropped_reentrant = 0  # of `rejected`: such records refused (full or closed)
        self.handled = 0
        self._taken = 0
        self.given_up = 0  # of `abandoned`: taken by the listener, not yet written at the deadline
        self._owed = 0  # of those, not yet seen by done(): what done() counts as late
        self.late = 0  # given up on at the deadline, but written afterwards
        self._peak = 0  # the largest size seen when records left the queue
        self._room = self._open_room
        # The byte bound (`block` queues only): the lengths of the heavy messages queued or
        # being written, which a producer waits to keep within `max_bytes` (``_put_heavy``).
        self.max_bytes = max_bytes if overflow == "block" else 0
        self.heavy_bytes = 0
        self.waited_for_bytes = 0  # puts that waited for the listener to write heavy records

    # --- producer side --------------------------------------------------------------

    def put(self, record: logging.LogRecord, weighed: bool = False) -> bool:
        """Enqueue a record, applying the overflow policy; False when it was dropped.

        In a queue with a byte bound, a heavy message first waits for room in bytes
        (``_put_heavy``, which puts it ``weighed``)."""
        message = record.msg
        # heavy_weight(record), inlined: a call per put was 0.06 µs of every logging call.
        # tests/test_hot_paths.py holds the two alike.
        if message.__class__ is str and len(message) >= HEAVY_MESSAGE and self.max_bytes and not weighed:
            return self._put_heavy(record, len(message))
        lock = self._lock
        if not lock.acquire(False):  # not `with`: on this hot path its protocol costs as much as the rest
            acquire_contended(lock)
        if self._inside:  # this thread was interrupted inside a section: a signal handler logs
            try:
                return self._put_aside(record)
            finally:
                lock.release()
        self._inside = True
        try:
            items = self._items
            # Full, shedding, closed, or records put aside: the slow path decides.
            if len(items) >= self._room:
                items = self._take_in_side()
                if record.levelno < self._shed_level and len(items) >= self._shed_size and not self._closed:
                    self.rejected += 1
                    self.shed += 1
                    return False
                # Against the capacity, not _room: a signal handler may have lowered it again.
                full = self._closed or 0 < self.max_size <= len(items)
                if full and not self._make_room():
                    successor = self.successor if self._closed else None
                    if successor is None:
                        self.rejected += 1
                        return False
                    size = -1  # replaced: forwarded below, once this queue's lock is let go
                else:
                    items = self._items  # the listener may have swapped it while we waited
                    items.append(record)
                    size = len(items)
            else:
                items.append(record)
                size = len(items)
        finally:
            self._inside = False
            lock.release()
        if size < 0:
            # A record racing the swap goes on to the new queue, never with this lock held:
            # the successor may block until this queue's listener has drained (reconfigure
            # keeps each thread's order), and that listener needs this lock to finish.
            assert successor is not None  # size < 0 only where successor was set
            return successor.put(record)
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

    def put_many(self, records: list[logging.LogRecord]) -> None:
        """Enqueue ``records`` in order, as ``put`` would one by one: in one section when
        they all fit below the slow path's mark (a process queue's receiver puts what one
        read brought), else one by one."""
        if not records:
            return
        lock = self._lock
        if not lock.acquire(False):
            acquire_contended(lock)
        size = -1
        try:
            if not self._inside and not self.max_bytes:
                items = self._items
                if len(items) + len(records) <= self._room:
                    self._inside = True
                    try:
                        items.extend(records)
                        size = len(items)
                    finally:
                        self._inside = False
        finally:
            lock.release()
        if size < 0:
            for record in records:
                self.put(record)
            return
        if self._listener_idle:
            self._listener_idle = False
            self._wakeup.set()
        elif size >= _HIGH_WATER:
            time.sleep(0)  # the listener is behind: let it run (see put)

    def _put_heavy(self, record: logging.LogRecord, weight: int) -> bool:
        """Wait while other heavy records already hold ``max_bytes`` (a record heavier than
        that goes when none is held), count ``weight``, then put as usual.

        The wait is the one a full ``block`` queue makes (``_wait_for_room``'s rules: never
        in the listener's thread or an event loop, at most ``_NESTED_WAITS`` deep, up to
        ``block_timeout``, after which the record is dropped and counted); where it may not
        wait, the record goes in over the bound rather than being lost.
        """
        lock = self._lock
        if not lock.acquire(False):
            acquire_contended(lock)
        try:
            if self._inside:  # a signal handler inside this thread's section: never wait here
                return self.put(record, True)
            self._inside = True
            try:
                over = self.heavy_bytes and self.heavy_bytes + weight > self.max_bytes
                if over and not self._closed and not self._wait_for_bytes(weight):
                    self.rejected += 1
                    return False
                self.heavy_bytes += weight
            finally:
                self._inside = False
        finally:
            lock.release()
        if self.put(record, True):
            return True
        self.done(0, weight)  # refused after all (closed, full): its bytes are not held
        return False

    def _wait_for_bytes(self, weight: int) -> bool:
        """(In a section.) Wait until ``weight`` more bytes fit (or none are held); False on timeout."""
        if threading.current_thread() is self.listener_thread or in_event_loop():
            return True  # may not wait: over the bound rather than lost
        me = threading.get_ident()
        depth = self._waiting.get(me, 0)
        if depth >= _NESTED_WAITS:
            return True
        self.waited_for_bytes += 1
        # (Waiting on until half the bound was free, for fewer wake-ups, measured slower.)
        return self._wait_while(
            lambda: bool(self.heavy_bytes) and self.heavy_bytes + weight > self.max_bytes, me, depth
        )

    def _put_aside(self, record: logging.LogRecord) -> bool:
        """(Re-entrant: the section this thread interrupted is changing the queue.) Only
        atomic steps here, as this too may be interrupted by another handler; so no
        shedding either (the counters cannot change here): a handler's record follows the
        capacity alone."""
        if self._closed:
            if self.successor is not None:
                return self.successor.put(record)
        # One place stays free for the record the interrupted put may be about to append.
        elif len(self._items) + len(self._side) + 1 < (self.max_size or sys.maxsize):
            self._side.append(record)
            self._room = 0  # one store: the next put takes the slow path, which takes it in
            if self._listener_idle:
                self._wakeup.set()  # safe here: it never waits
            return True
        self._refused.append(None)
        self._room = 0
        return False

    def _take_in_side(self) -> deque[logging.LogRecord]:
        """(Inside a section.) Move what re-entrant puts left aside into the queue and counters;
        return the queue."""
        # First: a re-entrant put from here on lowers it again, and the next put comes back.
        self._room = 0 if self._closed else self._open_room
        side, items = self._side, self._items
        moved = 0
        while side:  # popleft, not a copy and clear: a handler may append meanwhile
            items.append(side.popleft())
            moved += 1
        self.reentrant += moved
        refused = self._refused
        while refused:
            refused.popleft()
            self.rejected += 1
            self.dropped_reentrant += 1
        return items

    @contextlib.contextmanager
    def _section(self) -> Iterator[None]:
        """Hold the lock as a section: a re-entrant put meanwhile is sent aside. Nests."""
        with self._lock:
            outer = self._inside
            self._inside = True
            try:
                if not outer:
                    self._take_in_side()
                yield
            finally:
                self._inside = outer

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
        me = threading.get_ident()
        depth = self._waiting.get(me, 0)  # >0: a signal handler interrupted this thread's own wait
        if depth >= _NESTED_WAITS:
            self.dropped_reentrant += 1
            return False
        return self._wait_while(lambda: len(self._items) >= self.max_size, me, depth) and not self._closed

    def _wait_while(self, full: Callable[[], bool], me: int, depth: int) -> bool:
        """(In a section.) Wait, at most ``block_timeout``, while ``full()`` and the queue is
        open; False on timeout. ``depth``: this thread's waits already under way (a signal
        handler that logs may interrupt a wait and wait again)."""
        deadline = None if self.block_timeout is None else time.monotonic() + self.block_timeout
        self._blocked += 1
        self._waiting[me] = depth + 1
        self._wakeup.set()
        try:
            while full() and not self._closed:
                if deadline is None:
                    self._wait(1.0)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._wait(remaining)
        finally:
            self._blocked -= 1
            if depth:
                self._waiting[me] = depth
            else:
                del self._waiting[me]
        return True

    def _wait(self, timeout: float) -> None:
        """Wait for room, out of the section: the wait lets the lock go, so others may run
        whole sections meanwhile (a signal handler in this thread too)."""
        self._inside = False
        try:
            self._not_full.wait(timeout)
        finally:
            self._inside = True
        if self._side:
            self._take_in_side()

    # --- listener side --------------------------------------------------------------

    def take(self, limit: int) -> list[logging.LogRecord] | deque[logging.LogRecord]:
        """Remove and return up to ``limit`` records (the oldest first)."""
        with self._lock:  # a section, written out: _section() costs 1 µs, once a batch
            outer, self._inside = self._inside, True
            try:
                if not outer and (self._side or self._refused):
                    self._take_in_side()
                return self._take(limit)
            finally:
                self._inside = outer

    def _take(self, limit: int) -> list[logging.LogRecord] | deque[logging.LogRecord]:
        items = self._items
        if not items:
            return []
        size = len(items)
        self._peak = max(self._peak, size)  # sizes only grow between two takes: this is the peak
        if size <= limit:
            self._items = deque()
            batch: list[logging.LogRecord] | deque[logging.LogRecord] = items
        else:
            batch = list(starmap(items.popleft, repeat((), limit)))  # 15 ns a record; a loop, 35
        self._taken += len(batch)
        if self._blocked:
            self._not_full.notify_all()
        return batch

    def done(self, count: int, heavy: int = 0) -> None:
        """The listener has delivered ``count`` records taken earlier, whose heavy messages
        (``HEAVY_MESSAGE`` long or longer) were ``heavy`` bytes in all."""
        with self._lock:  # once a batch; abandon() must see handled and _owed move together
            outer, self._inside = self._inside, True  # a section (see take)
            try:
                if heavy and self.max_bytes:
                    self.heavy_bytes = max(0, self.heavy_bytes - heavy)
                    if self._blocked:
                        self._not_full.notify_all()  # the waiters in _wait_for_bytes wait for this
                if self._owed:  # a stop gave up on these records in flight: they count as late
                    late = min(count, self._owed)
                    self._owed -= late
                    self.late += late
                    count -= late
                self.handled += count
            finally:
                self._inside = outer
        if self._flush_waiters:
            progress = self._progress
            # Never wait here: a signal handler may have interrupted the flush holding it. A
            # flush looks at the counters before each wait, and at least every 50 ms.
            if progress.acquire(False):
                try:
                    progress.notify_all()
                finally:
                    progress.release()

    def wait(self, timeout: float) -> None:
        """Sleep until a record arrives, a wake-up is asked for, or ``timeout`` passes."""
        self._wakeup.clear()
        self._listener_idle = True
        if not self._items and not self._side:
            self._wakeup.wait(timeout)
        self._listener_idle = False

    def wake(self) -> None:
        self._wakeup.set()

    def lock_held(self, probe: float) -> bool:
        """True when a lock a flush or a stop takes (the queue's, or its flushers') stays
        taken (see ``stays_taken``); the listener's wake-up is never waited for (``Wakeup``)."""
        return stays_taken(self._lock, probe) or stays_taken(self._progress, probe)

    # --- control ----------------------------------------------------------------------

    def barrier(self) -> int:
        """The FIFO position that a flush started now must see delivered."""
        with self._section():
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
        with self._section():
            self._closed = True
            self._room = 0  # every later put takes the slow path, which rejects it
            self._not_full.notify_all()
        self._wakeup.set()

    def abandon(self) -> int:
        """Give up, at a stop's deadline, on what is still queued and what the listener has
        taken but not written; count both as abandoned and return how many."""
        with self._section():
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
        queued = len(self._items) + len(self._side)
        return self._taken + self.evicted + self.abandoned - self.given_up + queued

    @property
    def accepted(self) -> int:
        """Records that went into the queue (all of them, whatever became of them)."""
        with self._section():
            return self._accepted()

    @property
    def peak(self) -> int:
        """The most records that were queued at once."""
        with self._section():
            return max(self._peak, self.size())

    @property
    def enqueued(self) -> int:
        with self._section():
            return self._accepted() + self._rejected()

    def _rejected(self) -> int:
        return self.rejected + len(self._refused)  # refusals not yet counted (inside a section)

    @property
    def dropped(self) -> int:
        return self._rejected() + self.evicted + self.abandoned

    def size(self) -> int:
        return len(self._items) + len(self._side)

    def stats(self) -> dict[str, Any]:
        with self._section():
            return {
                "kind": self.kind,
                "enqueued": self._accepted() + self._rejected(),
                "handled": self.handled,
                "dropped": self._rejected() + self.evicted + self.abandoned,
                # Taken by the listener and being written: while it runs,
                # enqueued == handled + dropped + in_flight + size.
                "in_flight": self._taken - self.handled - self.given_up,
                "late": self.late,
                "size": self.size(),
                "max_size": self.max_size,
                "overflow": self.overflow,
                "peak": max(self._peak, self.size()),
                "dropped_in_event_loop": self.dropped_in_event_loop,
                "shed": self.shed,
                "shed_below": self.shed_below,
                "reentrant": self.reentrant,
                "dropped_reentrant": self.dropped_reentrant + len(self._refused),
            }
