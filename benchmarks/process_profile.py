"""Where the CPU goes when processes log into one file: ``python -m benchmarks.process_profile``.

In place: the ``processes`` scenario's ``file-append`` and ``logboot`` variants (the same
children, profile and barrier as ``benchmarks.processes``; every line verified), for 4 and
8 processes, alternating, with the CPU time of the timed window (from the barrier until
every record is on disk) split by who spent it: the children (each reads its own user
and system time from the barrier to its end, its stop included), and in the parent the
receiver thread and the listener thread (their own thread clocks), the cyclic GC (in
either thread), and the whole parent process. With every core busy, the CPU a record
costs in all the processes together is what sets the rate; the parent's share is what
one process (one GIL) must do for every record. Also: records per read of a child's
pipe, records per listener batch (one write each), context switches, and from
``/proc/stat`` the share of the machine's time that was busy but is not in the figures
(other processes, and the children's own exits, which the window holds but their clocks
do not) and the share that was idle.

In isolation: each step of a record's way timed alone, in this process (best of many
runs of ``time.thread_time``): a child's logging call through a NullHandler (the floor),
through logboot's handler into a queue that keeps nothing, and into a real pipe (a
reader in another process drains it every 2 ms, so no write wakes it); the child's
encoding; the parent's decoding of a read's frames into records queued; the listener's
delivery of a batch (lay out and write).

    python -m benchmarks.process_profile [--processes 4 --processes 8] [--records N]
                                         [--rounds K] [--variant NAME] [--no-isolation]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import multiprocessing
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import variants
from .machine_load import _cpu_ticks
from .workload import ACTIONS, LOGBOOT_FORMAT, LOGGER_NAME, MESSAGE, WHO, produce, verify


def _child(kind: str, handle: Any, folder: Path, barrier: Any, index: int, start: int, count: int) -> None:
    info: Callable[..., object]
    finish: Callable[[], object]
    if kind == "logboot":
        import logboot

        child = logboot.attach(handle)
        info, finish = logging.getLogger(LOGGER_NAME).info, child.stop
    else:
        made = variants.filehandler(folder)
        info, finish = made.info, made.finish
    barrier.wait()
    before, switches = os.times(), _switches(None)
    produce(info, MESSAGE, range(start, start + count))
    finish()
    after = os.times()
    figures = {
        "user": after.user - before.user,
        "system": after.system - before.system,
        "switches": _switches(None) - switches,
    }
    (folder / f"child-{index}.json").write_text(json.dumps(figures), encoding="utf-8")


def _thread(name: str) -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name.startswith(name)), None)


def _thread_cpu(thread: threading.Thread | None) -> float:
    if thread is None or thread.ident is None:
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def _switches(thread: threading.Thread | None) -> int:
    """Context switches (voluntary and not) of a thread of this process, or of the process."""
    path = "/proc/self/status" if thread is None else f"/proc/self/task/{thread.native_id}/status"
    try:
        with open(path, encoding="ascii") as status:
            return sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
    except (OSError, ValueError):
        return 0


class Counters:
    """The parent's reads of the children's pipes, the listener's batches, and the cyclic
    GC's collections and CPU time (wrappers and a GC callback, installed once)."""

    def __init__(self) -> None:
        from logboot.runtime.queues import ThreadQueue
        from logboot.runtime.transport import ProcessQueue

        self.reads = self.batches = 0
        self.gc_seconds = 0.0
        self.collections = [0, 0, 0]
        self._gc_started = 0.0
        read, take = ProcessQueue._read, ThreadQueue.take

        def counted_read(queue: Any, *args: Any, **kwargs: Any) -> Any:  # bool before round two, int after
            self.reads += 1
            return read(queue, *args, **kwargs)

        def counted_take(queue: Any, limit: int) -> Any:
            batch = take(queue, limit)
            self.batches += bool(batch)
            return batch

        ProcessQueue._read = counted_read  # type: ignore[method-assign,assignment]
        ThreadQueue.take = counted_take  # type: ignore[method-assign,assignment]
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.thread_time()
        else:
            self.gc_seconds += time.thread_time() - self._gc_started
            self.collections[info["generation"]] += 1

    def snapshot(self) -> tuple[int, int, float, int]:
        return self.reads, self.batches, self.gc_seconds, self.collections[2]


def run_once(kind: str, processes: int, records: int, counters: Counters) -> dict[str, float]:
    """One verified run: records/s, CPU in µs a record, and the counters."""
    spawn = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="process-profile-") as name:
        folder = Path(name)
        runtime = handle = None
        if kind == "logboot":
            runtime, handle = variants.start_process_logboot(folder)
        barrier = spawn.Barrier(processes + 1)
        per = records // processes
        children = [
            spawn.Process(target=_child, args=(kind, handle, folder, barrier, i, i * per, per))
            for i in range(processes)
        ]
        for process in children:
            process.start()
        receiver, listener = _thread("logboot-receiver-"), _thread("logboot-listener-")
        barrier.wait()
        ticks0 = _cpu_ticks()
        receiver0, listener0 = _thread_cpu(receiver), _thread_cpu(listener)
        switches0 = _switches(receiver) + _switches(listener)
        counted0 = counters.snapshot()
        parent0, started = time.process_time(), time.perf_counter()
        for process in children:
            process.join()
            assert process.exitcode == 0, process.exitcode
        # Before the stop, whose drain ends the threads (their last stretch is in the process clock).
        receiver1, listener1 = _thread_cpu(receiver), _thread_cpu(listener)
        switches1 = _switches(receiver) + _switches(listener)
        ended = time.perf_counter()  # the children have ended; the parent may still be reading
        peak = 0
        if runtime is not None:
            peak = runtime.stop().queues["main"]["peak"]
        seconds = time.perf_counter() - started
        parent = time.process_time() - parent0
        ticks1 = _cpu_ticks()
        reads, batches, in_gc, full = (b - a for a, b in zip(counted0, counters.snapshot(), strict=True))
        ran = [json.loads((folder / f"child-{i}.json").read_text()) for i in range(processes)]
        found = verify([folder / variants.LOG_FILE], per * processes, False)
        assert found.exact and found.whole, found.summary()
    records = per * processes
    scale = 1e6 / records
    children_user = sum(r["user"] for r in ran) * scale
    children_system = sum(r["system"] for r in ran) * scale
    total = children_user + children_system + parent * scale
    others = idle = 0.0
    if ticks0 is not None and ticks1 is not None:
        all_ticks, busy, steal = (b - a for a, b in zip(ticks0, ticks1, strict=True))
        ours = total * records / 1e6 * os.sysconf("SC_CLK_TCK")
        if all_ticks > 0:
            others = max(0.0, busy - ours) / all_ticks * 100
            idle = (all_ticks - busy - steal) / all_ticks * 100
    return {
        "records/s": records / seconds,
        "children user": children_user,
        "children system": children_system,
        "receiver": (receiver1 - receiver0) * scale,
        "listener": (listener1 - listener0) * scale,
        "of which GC": in_gc * scale,
        "parent": parent * scale,
        "total": total,
        "cores busy": total * records / seconds / 1e6,
        "records a read": records / reads if reads else 0.0,
        "records a batch": records / batches if batches else 0.0,
        "peak queued": peak,
        "drain after the children ms": (started + seconds - ended) * 1000,
        "full GCs": full,
        "parent switches a 1,000": (switches1 - switches0) * 1000 / records,
        "children switches a 1,000": sum(r["switches"] for r in ran) * 1000 / records,
        "busy, not counted %": others,
        "idle %": idle,
    }


# --- in isolation ---------------------------------------------------------------------------


def _best(run: Callable[[], object], number: int, repeat: int = 40) -> float:
    """µs a call, best of ``repeat`` runs of ``number`` calls (this thread's CPU clock)."""
    times = []
    for _ in range(repeat):
        started = time.thread_time()
        for _ in range(number):
            run()
        times.append(time.thread_time() - started)
    return min(times) / number * 1e6


_SLOW_READER = "import os, time\nwhile os.read(0, 1 << 20):\n    time.sleep(0.002)\n"


def in_isolation() -> dict[str, float]:
    """Each step of a record's way alone, µs a record. Runs on the tree before issue 23's
    round two as well (its frames lived in ``transport``; no ``decode_frames``, no
    ``put_many``), so that ``PYTHONPATH=OLD-TREE`` gives the figures to compare with."""
    from logboot.core.records import prepare
    from logboot.formatters.text import TextFormatter
    from logboot.runtime.handler import QueueHandler
    from logboot.runtime.listener import ListenerSink
    from logboot.runtime.queues import ThreadQueue
    from logboot.runtime.transport import ProcessChannel
    from logboot.sinks.files import FileSink

    try:
        from logboot.runtime.frames import Decoder, Encoder
    except ImportError:  # the tree before
        from logboot.runtime.transport import Decoder, Encoder  # type: ignore[attr-defined]

    class KeepsNothing:
        def put(self, record: logging.LogRecord) -> bool:
            return True

    def made(seq: int) -> logging.LogRecord:
        args = (WHO[seq % len(WHO)], ACTIONS[seq % len(ACTIONS)], seq)
        return prepare(logging.LogRecord(LOGGER_NAME, logging.INFO, __file__, 1, MESSAGE, args, None))

    figures: dict[str, float] = {}
    root, logger = logging.getLogger(), logging.getLogger(LOGGER_NAME)
    saved = root.handlers, root.level
    read_end, write_end = os.pipe()
    reader = subprocess.Popen([sys.executable, "-c", _SLOW_READER], stdin=read_end)
    os.close(read_end)
    try:
        root.setLevel(logging.INFO)

        def call() -> None:
            logger.info(MESSAGE, "alice", "login", 7)

        root.handlers = [logging.NullHandler()]
        figures["child: logger.info through a NullHandler (the floor)"] = _best(call, 5000)
        root.handlers = [QueueHandler(KeepsNothing())]
        figures["child: logger.info through logboot's handler, queue keeps nothing"] = _best(call, 5000)
        channel = ProcessChannel("unused", "main")  # connected by hand, to the slow reader's pipe
        channel._pipe, channel._encoder = write_end, Encoder()
        os.write(write_end, channel._encoder.opening())
        root.handlers = [QueueHandler(channel)]
        figures["child: logger.info through logboot's handler into a pipe (the child's whole call)"] = _best(
            call, 5000
        )
        one = made(7)
        encoder = Encoder()
        opening = encoder.opening() + encoder.encode(one)
        figures["child: Encoder.encode (the benchmark's record, its call site known)"] = _best(
            lambda: encoder.encode(one), 5000
        )
        frame = encoder.encode(one)
        figures["child: os.write of that frame into the pipe (system time included)"] = _best(
            lambda: os.write(write_end, frame), 5000
        )
    finally:
        root.handlers, root.level = saved
        os.close(write_end)
        reader.wait()
    # The parent: a read's frames decoded into records, put on a queue, and taken.
    count = 1000
    data = b"".join(encoder.encode(made(seq)) for seq in range(count))
    queue = ThreadQueue("isolation", 0)

    def receive() -> list[logging.LogRecord]:
        decoder = Decoder()
        if hasattr(decoder, "decode_frames"):
            decoder.decode_frames(opening)
            records, _, _ = decoder.decode_frames(data)
            queue.put_many(records)
        else:  # the tree before: a frame at a time, as its receiver did
            decode_each(decoder, opening, lambda record: None)
            decode_each(decoder, data, queue.put)
        return list(queue.take(count))

    figures["parent: decode a read's frames, queue the records, take them (receiver)"] = (
        _best(receive, 1) / count
    )
    batch = receive()
    with tempfile.TemporaryDirectory(prefix="process-profile-") as name:
        sink = FileSink(Path(name) / variants.LOG_FILE)
        sink.setFormatter(TextFormatter(LOGBOOT_FORMAT))
        deliver = ListenerSink("out", sink, 0, "file")
        figures["parent: lay out and write a batch of 1,000 (listener)"] = (
            _best(lambda: deliver.deliver(batch), 1) / count
        )
        sink.close()
    return figures


def _cell(column: str, value: float) -> str:
    return f"{value:,.0f}" if column in ("records/s", "full GCs", "peak queued") else f"{value:,.2f}"


def decode_each(decoder: Any, data: bytes, put: Callable[[logging.LogRecord], object]) -> None:
    """The receiver's loop before ``decode_frames``: a memoryview and a ``decode`` a frame."""
    position = 0
    while position < len(data):
        (length,) = struct.unpack_from("!I", data, position)
        payload = memoryview(data)[position + 4 : position + 4 + length]
        record = decoder.decode(payload)
        payload.release()
        if record is not None:
            put(record)
        position += 4 + length


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.process_profile", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--processes", type=int, action="append", help="4 and 8 unless given")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variant", action="append", choices=["file-append", "logboot"])
    parser.add_argument("--no-isolation", action="store_true", help="only the runs in place")
    args = parser.parse_args(argv)
    counters = Counters()
    kinds = args.variant or ["file-append", "logboot"]
    results: dict[tuple[int, str], list[dict[str, float]]] = {}
    for count in args.processes or [4, 8]:
        for round_ in range(args.rounds):
            for kind in kinds if round_ % 2 == 0 else kinds[::-1]:
                figures = run_once(kind, count, args.records, counters)
                results.setdefault((count, kind), []).append(figures)
                shown = ", ".join(f"{k} {v:,.2f}" for k, v in figures.items())
                print(f"# {count} processes, {kind}: {shown}", file=sys.stderr, flush=True)
    columns = list(next(iter(results.values()))[0])
    print(f"| in place ({args.records:,} records, medians of {args.rounds}) | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for (count, kind), runs in results.items():
        cells = [
            f"{statistics.median(r[c] for r in runs):,.{0 if c == 'records/s' else 2}f}" for c in columns
        ]
        print(f"| {count} processes, {kind} | " + " | ".join(cells) + " |")
    print("\n(CPU in µs a record; the parent's figure is its whole process, both threads and the GC.)")
    if not args.no_isolation:
        print("\n| in isolation | µs a record |\n|---|---|")
        for name, value in in_isolation().items():
            print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
