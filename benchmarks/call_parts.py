"""Where a logging call's time goes, part by part: ``python -m benchmarks.call_parts``.

Each part is timed by this thread's CPU clock (``time.thread_time_ns``: what another
program on a busy machine takes is not counted), interleaved round by round, over
``--records`` records a round; the table gives the median and the least of ``--rounds``
rounds, ns per record. With the caller, thread, process and process-name switches off
(what ``collect: auto`` turns off for a layout that reads none of them):

- ``LogRecord()`` and ``LeanRecord()``: making the record, logging's own class and
  logboot's (``logboot.core.lean_record``);
- ``ThreadQueue.put``: a put into a ``block`` queue with the default byte bound, emptied
  every 500 records (below the depth where a producer yields to its listener);
- ``QueueHandler.handle``: the handler's whole part (request context, merge, put);
- ``call, NullHandler``: ``log.info("user %s did %s", ...)`` into a root ``NullHandler``
  with logging's own record (the trimmed floor of ``benchmarks.collect``);
- ``call, logboot producer``: the same call into a logboot ``QueueHandler`` with
  ``LeanRecord`` as the factory and no listener: the producer's whole part, without the
  listener's work that competes with it for the GIL.

Every record put is taken back out and counted.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from logboot.core.lean_record import LeanRecord
from logboot.runtime.handler import QueueHandler
from logboot.runtime.queues import ThreadQueue
from logboot.values.units import DEFAULT_QUEUE_BYTES

ARGS = ("bench.parts", logging.INFO, "(unknown file)", 0, "user %s did %s", ("alice", "login"), None)
_SWITCHES = ("logThreads", "logProcesses", "logMultiprocessing", "logAsyncioTasks")


@contextmanager
def switches_off() -> Iterator[None]:
    saved = {name: getattr(logging, name) for name in ("_srcfile", *_SWITCHES) if hasattr(logging, name)}
    for name in saved:
        setattr(logging, name, None if name == "_srcfile" else False)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(logging, name, value)


class Parts:
    """The timed parts, sharing one queue whose every record is counted."""

    def __init__(self, records: int) -> None:
        self.records = records
        self.queue = ThreadQueue("parts", 0, "block", max_bytes=DEFAULT_QUEUE_BYTES)
        self.handler = QueueHandler(self.queue, "parts")
        self.taken = 0
        self.put_in = 0

    def empty(self) -> None:
        self.taken += len(self.queue.take(1 << 30))

    def make_stock(self) -> int:
        started = time.thread_time_ns()
        for _ in range(self.records):
            logging.LogRecord(*ARGS)
        return time.thread_time_ns() - started

    def make_lean(self) -> int:
        started = time.thread_time_ns()
        for _ in range(self.records):
            LeanRecord(*ARGS)
        return time.thread_time_ns() - started

    def _in_chunks(self, act: Callable[[logging.LogRecord], object]) -> int:
        made = [LeanRecord(*ARGS) for _ in range(500)]
        elapsed = 0
        for _ in range(self.records // 500):
            started = time.thread_time_ns()
            for record in made:
                act(record)
            elapsed += time.thread_time_ns() - started
            self.put_in += len(made)
            self.empty()
            for record in made:  # as it came from the call: merged again by handle
                record.msg, record.args = ARGS[4], ARGS[5]
        return elapsed

    def put(self) -> int:
        return self._in_chunks(self.queue.put)

    def handle(self) -> int:
        return self._in_chunks(self.handler.handle)

    def _calls(self, handler: logging.Handler, factory: Callable[..., logging.LogRecord]) -> int:
        root = logging.getLogger()
        saved = (list(root.handlers), root.level, logging.getLogRecordFactory())
        root.handlers = [handler]
        root.setLevel(logging.INFO)
        logging.setLogRecordFactory(factory)
        log = logging.getLogger("bench.parts")
        elapsed = 0
        try:
            for _ in range(self.records // 500):
                started = time.thread_time_ns()
                for _ in range(500):
                    log.info("user %s did %s", "alice", "login")
                elapsed += time.thread_time_ns() - started
                self.empty()
        finally:
            root.handlers = saved[0]
            root.setLevel(saved[1])
            logging.setLogRecordFactory(saved[2])
        return elapsed

    def call_null(self) -> int:
        return self._calls(logging.NullHandler(), logging.LogRecord)

    def call_logboot(self) -> int:
        self.put_in += self.records // 500 * 500
        return self._calls(self.handler, LeanRecord)


PARTS: dict[str, Callable[[Parts], int]] = {
    "LogRecord()": Parts.make_stock,
    "LeanRecord()": Parts.make_lean,
    "ThreadQueue.put": Parts.put,
    "QueueHandler.handle": Parts.handle,
    "call, NullHandler": Parts.call_null,
    "call, logboot producer": Parts.call_logboot,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per part and round")
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    records = max(500, args.records // 500 * 500)
    parts = Parts(records)
    samples: dict[str, list[float]] = {name: [] for name in PARTS}
    with switches_off():
        for _ in range(args.rounds):
            for name, part in PARTS.items():
                samples[name].append(part(parts) / records)
    if parts.taken != parts.put_in:
        raise SystemExit(f"call_parts: {parts.put_in} records put, {parts.taken} taken back")
    print(f"{args.rounds} rounds of {records:,} records, this thread's CPU time; ns per record:")
    print(f"  {'part':<24} {'median':>7} {'least':>7}")
    for name, values in samples.items():
        print(f"  {name:<24} {statistics.median(values):7.0f} {min(values):7.0f}")
    print(f"  ({parts.taken:,} records put and taken back, every one counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
