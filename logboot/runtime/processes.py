"""Child processes: the picklable handle a child attaches with, and a forked child's writes.

A child started with spawn or forkserver inherits nothing: ``attach(handle)`` (in
``logboot.runtime.lifecycle``) routes its logging into the parent's process queues. A child
started with fork inherits the parent's runtime, but not its threads: it is attached
automatically, and a thread queue's records are delivered by ``DirectDelivery``, so it
never writes into a thread queue that nobody reads.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from logboot.core.reporting import write_stderr
from logboot.profile.plain import PlainProfile
from logboot.runtime.listener import ListenerSink

if TYPE_CHECKING:
    from logboot.profile.schema import Profile


class ProcessHandle(NamedTuple):
    """What a child needs to log into its parent's runtime (small and picklable)."""

    runtime_id: str
    parent_pid: int
    profile: Profile | PlainProfile
    addresses: dict[str, str]  # process queue name -> the parent's socket path


class DirectDelivery:
    """After a fork: a thread queue's records are written by this process, synchronously."""

    kind = "direct"

    def __init__(self, name: str, sinks: list[ListenerSink]) -> None:
        self.name = name
        self.sinks = sinks
        self.delivered = 0
        # Re-entrant: a signal handler that logs may run while this thread is writing. It
        # must not wait for itself, nor write into the middle of the batch being written:
        # its record is set aside and written by the interrupted call, right after.
        self._lock = threading.RLock()
        self._depth = 0
        self._aside: collections.deque[logging.LogRecord] = collections.deque()
        self._announced = False

    def put(self, record: logging.LogRecord) -> bool:
        with self._lock:
            if self._depth:
                self._aside.append(record)
                return True
            self._depth += 1
            try:
                self._write(record)
                while self._aside:
                    self._write(self._aside.popleft())
            finally:
                self._depth -= 1
        while True:  # one set aside after the last look above, before the depth fell
            try:
                record = self._aside.popleft()
            except IndexError:  # empty (perhaps emptied by a handler's own put)
                return True
            self.put(record)

    def _write(self, record: logging.LogRecord) -> None:
        if not self._announced:
            self._announced = True
            write_stderr(
                f"logboot: process {os.getpid()} was forked; queue {self.name!r} is a thread "
                "queue, so this process writes its records to the sinks itself\n"
            )
        batch = [record]
        for sink in self.sinks:
            sink.deliver(batch)
        self.delivered += 1

    def stats(self) -> dict[str, Any]:
        return {"kind": self.kind, "delivered": self.delivered}
