"""Where logboot's time goes, per record: ``python -m benchmarks.profile [--records N]``.

Two views of the one-thread workload through the benchmark profile (a bounded block
queue of 10,000, one text file sink):

- in place: wall and CPU time per call, the CPU of the producer thread and of the
  listener thread (each thread's own clock), and the time the cyclic GC took;
- in isolation: each step timed alone with ``timeit`` (the best of 280 runs of 500 calls:
  short enough that a queue, emptied before each run, never reaches the producer's
  high-water mark, where it would wait for a listener that is not there), from the Python floor
  (``logger.info`` through a NullHandler) to the file write.
"""

from __future__ import annotations

import argparse
import gc
import logging
import tempfile
import threading
import time
import timeit
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .variants import LOG_FILE, logboot_profile
from .workload import LOGBOOT_FORMAT, LOGGER_NAME, MESSAGE, produce


class GcClock:
    """Time spent in the cyclic garbage collector, by generation."""

    def __init__(self) -> None:
        self.seconds: defaultdict[int, float] = defaultdict(float)
        self.runs: Counter[int] = Counter()
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1


def _thread_cpu(thread: threading.Thread) -> float:
    ident = thread.ident
    assert ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


def in_place(records: int) -> dict[str, float]:
    """Run the workload through logboot and split its cost by thread and by the GC."""
    import logboot

    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "profile.yaml"
        profile.write_text(logboot_profile(Path(folder) / LOG_FILE), encoding="utf-8")
        runtime = logboot.setup_logging(profile)
        listener = next(t for t in threading.enumerate() if t.name.startswith("logboot-listener-"))
        clock = GcClock()
        gc.callbacks.append(clock)
        try:
            listener_before = _thread_cpu(listener)
            started, cpu_started, own_started = time.perf_counter(), time.process_time(), time.thread_time()
            produce(logging.getLogger(LOGGER_NAME).info, MESSAGE, range(records))
            produced, cpu_produced, own_produced = (
                time.perf_counter(),
                time.process_time(),
                time.thread_time(),
            )
            listener_during = _thread_cpu(listener) - listener_before
            runtime.stop()
        finally:
            gc.callbacks.remove(clock)
    per = 1e6 / records
    figures = {
        "wall per call": (produced - started) * per,
        "CPU per call (all threads)": (cpu_produced - cpu_started) * per,
        "producer thread CPU per call": (own_produced - own_started) * per,
        "listener thread CPU per record (during the calls)": listener_during * per,
        "GC per record (both threads)": sum(clock.seconds.values()) * per,
    }
    for generation in sorted(clock.runs):
        figures[f"GC generation {generation}: runs"] = clock.runs[generation]
        figures[f"GC generation {generation}: us per record"] = clock.seconds[generation] * per
    return figures


def in_isolation() -> dict[str, float]:
    """Each step of the path alone, in microseconds per record (best of 280 runs)."""
    from logboot.core.records import prepare
    from logboot.formatters.text import TextFormatter
    from logboot.runtime.handler import QueueHandler
    from logboot.runtime.queues import ThreadQueue
    from logboot.sinks.files import FileSink

    def record() -> logging.LogRecord:
        return logging.LogRecord(LOGGER_NAME, logging.INFO, __file__, 1, MESSAGE, ("alice", "login", 7), None)

    def best(statement: Any, number: int = 500, setup: Any = "pass", repeat: int = 280) -> float:
        return min(timeit.repeat(statement, setup, number=number, repeat=repeat)) / number * 1e6

    root = logging.getLogger()
    saved = root.handlers, root.level
    logger = logging.getLogger(LOGGER_NAME)
    root.setLevel(logging.INFO)
    figures: dict[str, float] = {}
    try:
        root.handlers = [logging.NullHandler()]
        figures["logger.info through a NullHandler (the floor)"] = best(
            lambda: logger.info(MESSAGE, "alice", "login", 7)
        )
        queue = ThreadQueue("profile", 0)
        root.handlers = [QueueHandler(queue)]
        figures["logger.info through logboot's QueueHandler (queue emptied between runs)"] = best(
            lambda: logger.info(MESSAGE, "alice", "login", 7), setup=lambda: queue.take(1 << 30)
        )
        queue.take(1 << 30)
        figures["LogRecord(...) alone"] = best(record)
        fresh: list[logging.LogRecord] = []  # a record is prepared once: each run gets new ones

        def refill() -> None:
            fresh[:] = [record() for _ in range(500)]

        figures["prepare(record): merge the args"] = best(lambda: prepare(fresh.pop()), setup=refill)
        one = prepare(record())
        figures["ThreadQueue.put"] = best(lambda: queue.put(one), setup=lambda: queue.take(1 << 30))
        queue.take(1 << 30)
        formatter = TextFormatter(LOGBOOT_FORMAT)
        figures["TextFormatter.format, one record"] = best(lambda: formatter.format(one))
        batch = [prepare(record()) for _ in range(1000)]  # what the listener lays out: a batch
        figures["TextFormatter.format_batch, per record of a 1000-record batch (listener)"] = best(
            lambda: formatter.format_batch(batch), number=50, repeat=7
        ) / len(batch)
        figures.update(_json_steps(record))
        with tempfile.TemporaryDirectory() as folder:
            sink = FileSink(Path(folder) / LOG_FILE)
            lines = [formatter.format(one)] * 1000
            figures["FileSink.write_lines, per line of a 1000-line batch"] = best(
                lambda: sink.write_lines(lines), number=50, repeat=7
            ) / len(lines)
            sink.close()
    finally:
        root.handlers, root.level = saved
    return figures


def _json_steps(make_record: Callable[[], logging.LogRecord]) -> dict[str, float]:
    """The ``json`` formatter (every field) on fresh records, best of 15 batches: its
    first look at a record builds the record's ``__dict__`` (the look for `extra`
    fields), which a batch formatted twice would have already."""
    from logboot.core.records import prepare
    from logboot.formatters.json import JsonFormatter

    formatter = JsonFormatter()
    figures: dict[str, float] = {}
    for name, run, size in (
        (
            "JsonFormatter.format_batch, per record of a fresh 1000-record batch (listener)",
            formatter.format_batch,
            1000,
        ),
        (
            "JsonFormatter, general path (a dict, encoded), per record",
            lambda b: [formatter._format_general(r) for r in b],
            1000,
        ),
    ):
        times = []
        for _ in range(15):
            batch = [prepare(make_record()) for _ in range(size)]
            started = time.perf_counter()
            run(batch)
            times.append(time.perf_counter() - started)
        figures[name] = min(times) / size * 1e6
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args(argv)
    print("| in place, one thread | figure |\n|---|---|")
    for name, value in in_place(args.records).items():
        print(f"| {name} | {value:.2f} |" if isinstance(value, float) else f"| {name} | {value} |")
    print("\n| in isolation | us per record |\n|---|---|")
    for name, value in in_isolation().items():
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main()
