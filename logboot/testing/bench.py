"""A synthetic load through the user's own profile: the engine of ``logboot bench``.

``run_bench`` starts the profile's runtime in this process, logs ``records`` records
from ``threads`` threads (in each of ``processes`` spawned children attached to it, or
here when ``processes`` is 0), stops the runtime so that every record is written, and
returns what a queue is sized with: records/s until all was written, the producer's
latency per call (p50, p99), drops, and the peak depth of each queue.

Unless ``real_sinks`` is asked for, no record reaches the profile's destinations: file
sinks write into a temporary folder instead, and console, network and custom sinks are
replaced there by a file sink with the same level, formatter and filters (``sink_folder``
names a folder to keep them in instead). The profile is rewritten (``model_copy``), never
the user's files. No typer or rich here: the CLI wraps it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logboot.bootstrap import setup_logging
from logboot.errors import LogbootError
from logboot.profile.resolve import resolve_profile
from logboot.profile.schema import FileSinkSpec, NullSinkSpec, Profile, SinkSpec
from logboot.runtime.handler import QueueHandler
from logboot.runtime.lifecycle import attach

Progress = Callable[[int, int], None]  # (records logged so far, records in all)

MESSAGE = "user %s did %s in %d ms"  # the shape of issue 6's workload: three args, ~40 characters
_WHO = ("alice", "bob", "carol", "dave", "erin")
_ACTIONS = ("login", "logout", "upload", "search")
_REPORT_EVERY = 1024  # records between two updates of a producer's progress counter
_PROGRESS_PERIOD = 0.1  # seconds between two progress callbacks


class BenchError(LogbootError):
    """A bench that cannot measure anything (no queue takes its records)."""


@dataclass(frozen=True)
class BenchResult:
    """What one bench run measured."""

    records: int  # records logged (offered to the queues)
    threads: int
    processes: int
    seconds: float  # from the first record until every record was written (runtime stopped)
    producer_seconds: float  # until the last producer returned from its last call
    latency_p50_us: float  # one logging call, as the producer saw it
    latency_p99_us: float
    latency_max_us: float
    handled: int
    dropped: int
    peak_queue_depth: int  # the most records any one queue held at once
    clean: bool  # the runtime drained every queue before its shutdown timeout
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)  # per queue: the runtime's stats
    sinks: dict[str, dict[str, Any]] = field(default_factory=dict)  # per sink: records, errors
    redirected: dict[str, str] = field(default_factory=dict)  # sink -> the file it wrote instead
    bytes_written: int = 0  # in the redirected files (0 with real sinks)
    shed: int = 0  # of `dropped`: below a queue's `shed_below` while it was `shed_at` full
    throttled: int | None = None  # dropped by the profile's throttle filters (None: it has none)
    filters: dict[str, dict[str, Any]] = field(default_factory=dict)  # per throttle filter: its stats

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def redirect_sinks(profile: Profile, folder: Path) -> tuple[Profile, dict[str, str]]:
    """``profile`` with every sink writing into ``folder``; and where each one now writes.

    File sinks keep their type (rotation included) with a new path; console, network and
    custom sinks become file sinks there with the same level, formatter and filters, so
    the formatting cost stays and nothing leaves the machine. Null sinks stay null.
    """
    sinks: dict[str, SinkSpec] = {}
    moved: dict[str, str] = {}
    for name, spec in profile.sinks.items():
        if isinstance(spec, NullSinkSpec):
            sinks[name] = spec
            continue
        if isinstance(spec, FileSinkSpec):
            path = folder / f"{name}{Path(spec.path).suffix or '.log'}"
            sinks[name] = spec.model_copy(update={"path": str(path)})
        else:
            path = folder / f"{name}.log"
            sinks[name] = FileSinkSpec(
                type="file",
                path=str(path),
                level=spec.level,
                formatter=spec.formatter,
                filters=list(spec.filters),
                fallback=spec.fallback,
            )
        moved[name] = str(path)
    return profile.model_copy(update={"sinks": sinks}), moved


def run_bench(
    profile: Profile | str | os.PathLike[str],
    *,
    records: int = 100_000,
    threads: int = 1,
    processes: int = 0,
    real_sinks: bool = False,
    sink_folder: str | os.PathLike[str] | None = None,
    logger_name: str = "bench",
    level: int = logging.INFO,
    progress: Progress | None = None,
) -> BenchResult:
    """Run the load and return its figures. Logging is restored as it was afterwards.

    The redirected sinks write into a temporary folder, removed afterwards, or into
    ``sink_folder`` (new or empty; kept) when it is given.
    """
    if records < 1 or threads < 1 or processes < 0:
        raise ValueError("records and threads must be at least 1, processes at least 0")
    if real_sinks and sink_folder is not None:
        raise ValueError("real_sinks and sink_folder exclude each other")
    source = resolve_profile(profile)
    if processes and not any(queue.kind == "process" for queue in source.queues.values()):
        raise BenchError(
            "child processes need a queue of `kind: process` to send their records to "
            "(with thread queues each child writes to the sinks itself, unseen by the bench); "
            "set `kind: process` on the root's queue"
        )
    with _sink_folder(real_sinks, sink_folder) as folder:
        moved: dict[str, str] = {}
        if folder is not None:
            source, moved = redirect_sinks(source, folder)
        runtime = setup_logging(source)
        try:
            _check_reaches_a_queue(logger_name, level)
            if processes:
                handle = runtime.process_handle()
                started, produced, latencies = _run_children(
                    handle, processes, threads, records, logger_name, level, progress
                )
            else:
                started, produced, latencies = _run_threads(threads, records, logger_name, level, progress)
        finally:
            report = runtime.stop()
        finished = time.perf_counter()
        stats = runtime.stats()
        written = sum(_folder_size(folder)) if folder is not None else 0
    total = processes * (records // processes) if processes else records
    p50, p99, top = _percentiles(latencies)
    return BenchResult(
        records=total,
        threads=threads,
        processes=processes,
        seconds=finished - started,
        producer_seconds=produced - started,
        latency_p50_us=p50,
        latency_p99_us=p99,
        latency_max_us=top,
        handled=report.handled,
        dropped=report.dropped,
        peak_queue_depth=max((q.get("peak", 0) for q in report.queues.values()), default=0),
        clean=report.clean,
        queues=dict(report.queues),
        sinks=stats["sinks"],
        redirected=moved,
        bytes_written=written,
        shed=sum(q.get("shed", 0) for q in report.queues.values()),
        throttled=_throttled(stats.get("filters")),
        filters=stats.get("filters", {}),
    )


def _throttled(filters: dict[str, dict[str, Any]] | None) -> int | None:
    """The records the throttle filters dropped, in all; None for a profile without one."""
    if not filters:
        return None
    return sum(int(f.get("throttled", 0)) for f in filters.values() if f.get("type") == "throttle")


@contextmanager
def _sink_folder(real_sinks: bool, keep_in: str | os.PathLike[str] | None) -> Iterator[Path | None]:
    if real_sinks:
        yield None
        return
    if keep_in is not None:
        kept = Path(keep_in)
        if kept.is_dir() and any(kept.iterdir()):
            raise BenchError(
                f"the sink folder {str(kept)!r} is not empty; choose a new or empty folder, "
                "so that its files hold this bench's records only"
            )
        kept.mkdir(parents=True, exist_ok=True)
        yield kept
        return
    with tempfile.TemporaryDirectory(prefix="logboot-bench-") as folder:
        yield Path(folder)


def _folder_size(folder: Path) -> Iterator[int]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path.stat().st_size


def _check_reaches_a_queue(logger_name: str, level: int) -> None:
    """Refuse a load that no queue would see: it would measure nothing."""
    logger = logging.getLogger(logger_name)
    if not logger.isEnabledFor(level):
        raise BenchError(
            f"logger {logger_name!r} drops {logging.getLevelName(level)} records "
            f"(its level is {logging.getLevelName(logger.getEffectiveLevel())}); bench at that level instead"
        )
    current: logging.Logger | None = logger
    while current is not None:
        if any(isinstance(handler, QueueHandler) for handler in current.handlers):
            return
        current = current.parent if current.propagate else None
    raise BenchError(f"no queue of the profile takes the records of logger {logger_name!r}")


# --- producers ------------------------------------------------------------------------------


def _produce(
    logger_name: str, level: int, seqs: range, counter: Callable[[int], None], latencies: array[int]
) -> None:
    """Log one record per ``seq``, timing each call."""
    log = logging.getLogger(logger_name).log
    clock = time.perf_counter_ns
    record_latency = latencies.append
    who, actions = _WHO, _ACTIONS
    done = 0
    for seq in seqs:
        before = clock()
        log(level, MESSAGE, who[seq % 5], actions[seq % 4], seq)
        record_latency(clock() - before)
        done += 1
        if done % _REPORT_EVERY == 0:
            counter(done)
    counter(done)


def _run_threads(
    threads: int, records: int, logger_name: str, level: int, progress: Progress | None
) -> tuple[float, float, array[int]]:
    """Producer threads in this process; returns (start, producers done, latencies in ns)."""
    counts = [0] * threads
    latencies = [array("q") for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)
    share = _shares(records, threads)

    def work(index: int) -> None:
        def count(done: int) -> None:
            counts[index] = done

        barrier.wait()
        _produce(logger_name, level, share[index], count, latencies[index])

    workers = [
        threading.Thread(target=work, args=(i,), name=f"logboot-bench-{i}", daemon=True)
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    _watch(lambda: any(w.is_alive() for w in workers), lambda: sum(counts), records, progress)
    for worker in workers:
        worker.join()
    produced = time.perf_counter()
    merged = array("q")
    for part in latencies:
        merged.extend(part)
    return started, produced, merged


def _shares(records: int, parts: int) -> list[range]:
    """``records`` split into ``parts`` consecutive ranges of (nearly) equal size."""
    bounds = [records * i // parts for i in range(parts + 1)]
    return [range(bounds[i], bounds[i + 1]) for i in range(parts)]


def _watch(
    running: Callable[[], bool], done: Callable[[], int], total: int, progress: Progress | None
) -> None:
    """Call ``progress`` every so often while the producers run, and once at the end."""
    if progress is None:
        return
    while running():
        progress(min(done(), total), total)
        time.sleep(_PROGRESS_PERIOD)
    progress(min(done(), total), total)


def _run_children(
    handle: Any,
    processes: int,
    threads: int,
    records: int,
    logger_name: str,
    level: int,
    progress: Progress | None,
) -> tuple[float, float, array[int]]:
    """Spawned children attached to this runtime, ``threads`` producers each."""
    context = multiprocessing.get_context("spawn")
    per_child = records // processes
    counts = context.Array("q", processes, lock=False)
    results = context.Queue()
    barrier = context.Barrier(processes + 1)
    children = [
        context.Process(
            target=_child_main,
            args=(handle, index, per_child, threads, logger_name, level, counts, results, barrier),
            name=f"logboot-bench-{index}",
            daemon=True,
        )
        for index in range(processes)
    ]
    for child in children:
        child.start()
    barrier.wait()
    started = time.perf_counter()
    _watch(lambda: any(c.is_alive() for c in children), lambda: sum(counts), per_child * processes, progress)
    merged = array("q")
    for _ in children:
        merged.frombytes(results.get())
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise BenchError(f"bench child {child.name} exited with code {child.exitcode}")
    produced = time.perf_counter()
    return started, produced, merged


def _child_main(
    handle: Any,
    index: int,
    records: int,
    threads: int,
    logger_name: str,
    level: int,
    counts: Any,
    results: Any,
    barrier: Any,
) -> None:
    """A bench child: attach to the parent's runtime, log, deliver, report latencies."""
    runtime = attach(handle)
    share = _shares(records, threads)
    offset = index * records
    latencies = [array("q") for _ in range(threads)]
    done = [0] * threads

    def work(part: int) -> None:
        def count(value: int) -> None:
            done[part] = value
            counts[index] = sum(done)

        seqs = range(offset + share[part].start, offset + share[part].stop)
        _produce(logger_name, level, seqs, count, latencies[part])

    barrier.wait()
    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    runtime.stop()  # hands over what this child still holds
    merged = array("q")
    for part in latencies:
        merged.extend(part)
    results.put(merged.tobytes())


def _percentiles(latencies: array[int]) -> tuple[float, float, float]:
    """p50, p99 and the maximum, in microseconds."""
    if not latencies:
        return 0.0, 0.0, 0.0
    ordered = sorted(latencies)
    last = len(ordered) - 1

    def at(q: float) -> float:
        return ordered[min(last, int(q * len(ordered)))] / 1000

    return at(0.50), at(0.99), ordered[last] / 1000
