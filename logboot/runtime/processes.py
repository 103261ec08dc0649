"""Child processes: the picklable handle, ``attach()``, and what happens after a fork.

A child started with spawn or forkserver inherits nothing: ``attach(handle)`` (usable
as a pool ``initializer``) routes its logging into the parent's process queues. A child
started with fork inherits the parent's runtime, but not its threads: it is attached
automatically, so it never writes into a thread queue that nobody reads.
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from logboot.core.reporting import write_stderr
from logboot.profile.plain import PlainProfile
from logboot.runtime.listener import Sink

if TYPE_CHECKING:  # the models are for the type checker: a cached start never imports pydantic
    from logboot.profile.schema import Profile
    from logboot.runtime.lifecycle import Runtime


class ProcessHandle(NamedTuple):
    """What a child needs to log into its parent's runtime (small and picklable)."""

    runtime_id: str
    parent_pid: int
    profile: Profile | PlainProfile
    addresses: dict[str, str]  # process queue name -> the parent's socket path


def attach(handle: ProcessHandle) -> Runtime:
    """Route this process's logging into the parent's queues, with the profile's levels.

    Usable directly as a pool initializer::

        ProcessPoolExecutor(initializer=logboot.attach, initargs=(runtime.process_handle(),))

    Calling it again for the same runtime (or in a forked child, already attached)
    does nothing. Loggers that feed a thread queue cannot reach the parent: this
    process writes their records to the sinks itself, and says so once.
    """
    from logboot.runtime.lifecycle import active_runtime, start_child_runtime

    current = active_runtime()
    if current is not None and current.runtime_id == handle.runtime_id:
        return current
    runtime = start_child_runtime(handle)
    _arm_child_exit()
    local = sorted(runtime.topology.listeners)
    if local:
        write_stderr(
            f"logboot: process {os.getpid()} attached; queue(s) {', '.join(map(repr, local))} "
            "are thread queues, so this process writes their records to the sinks itself\n"
        )
    return runtime


def _arm_child_exit() -> None:
    """multiprocessing children end with ``os._exit``, skipping atexit: use its finalizers."""
    if "multiprocessing" not in sys.modules:
        return
    import multiprocessing
    import multiprocessing.util

    if multiprocessing.parent_process() is not None:
        from logboot.runtime.lifecycle import stop_at_exit

        multiprocessing.util.Finalize(None, stop_at_exit, exitpriority=100)


class DirectDelivery:
    """After a fork: a thread queue's records are written by this process, synchronously."""

    kind = "direct"

    def __init__(self, name: str, sinks: list[Sink]) -> None:
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
