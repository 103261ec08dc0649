"""Run one variant of one scenario in this (fresh) interpreter; print its figures as JSON.

    python -m benchmarks.worker '{"scenario": "one-thread", "variant": "logboot",
                                  "records": 200000, "folder": "/tmp/x"}'

The runner verifies the output files after this process has ended, so the check
costs this process neither time nor memory.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import processes, variants
from .workload import produce


def run_threads(variant: str, folder: Path, records: int, threads: int) -> dict[str, Any]:
    """``threads`` producers share ``records``; time the calls and the time until on disk."""
    made = variants.setup(variant, folder)
    baseline = _peak_rss_mb()  # the interpreter, the imports and the set-up
    per = records // threads
    cpu_started = time.process_time()
    if threads == 1:
        started = time.perf_counter()
        produce(made.info, made.message, range(records))
        produced = time.perf_counter()
        cpu_produced = time.process_time()
    else:
        barrier = threading.Barrier(threads + 1)

        def work(index: int) -> None:
            barrier.wait()
            produce(made.info, made.message, range(index * per, (index + 1) * per))

        workers = [threading.Thread(target=work, args=(i,), name=f"w{i}") for i in range(threads)]
        for worker in workers:
            worker.start()
        barrier.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        produced = time.perf_counter()
        cpu_produced = time.process_time()
    queued = made.queued()  # how far behind the writer was when the producers were done
    rss_produced = _current_rss_mb()
    made.finish()
    finished = time.perf_counter()
    cpu_finished = time.process_time()
    return {
        "per_call_us": (produced - started) / records * 1e6,
        "seconds": finished - started,
        # CPU time of the whole process (every thread): steadier than wall time on a busy machine.
        "cpu_per_call_us": (cpu_produced - cpu_started) / records * 1e6,
        "cpu_seconds": cpu_finished - cpu_started,
        "records_per_s": records / (finished - started),
        "disk_us_per_record": (finished - started) / records * 1e6,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_growth_mb": _peak_rss_mb() - baseline,
        "dropped": made.dropped(),
        "queue_peak": made.queue_peak(),
        "queued_at_end": queued,
        "rss_at_end_mb": rss_produced,
    }


def run_paired(variant: str, folder: Path, records: int, pairs: int) -> dict[str, Any]:
    """The per-call cost against the floor measured in this same process, chunk by chunk.

    Each of ``pairs`` pairs times one chunk through the variant and one through a
    NullHandler (swapped in on the root logger), in alternating order, with the variant
    drained (untimed) after each chunk, so that both sides of a pair start alike. A
    shared machine's speed drifts by tens of percent between processes started seconds
    apart; within a pair (a second or two) it barely moves, so the pair's ratio is the
    steadier figure. The variant's chunks log ``records`` records in all (verified as in
    every scenario); the floor's go nowhere.
    """
    import statistics  # here, not at the top: the other scenarios' peak RSS must not include it

    made = variants.setup(variant, folder)
    root = logging.getLogger()
    theirs = root.handlers[:]
    # A set-up outside the stdlib's loggers (picologging) brings its floor: the stdlib's
    # logger.info into a NullHandler, the floor of every other variant.
    floor: list[logging.Handler] = theirs if made.floor_info else [logging.NullHandler()]
    floor_info = made.floor_info or made.info
    # The floor is Python's own: logging's record class, whatever factory the variant set
    # (a logboot runtime makes its records as LeanRecord, docs/operating.md).
    factory = logging.getLogRecordFactory()
    timed: dict[str, list[float]] = {"variant": [], "floor": []}
    for index in range(pairs):
        seqs = range(records * index // pairs, records * (index + 1) // pairs)
        order = ("floor", "variant") if index % 2 == 0 else ("variant", "floor")
        for side in order:
            root.handlers = floor if side == "floor" else theirs
            logging.setLogRecordFactory(logging.LogRecord if side == "floor" else factory)
            info = floor_info if side == "floor" else made.info
            started = time.perf_counter()
            produce(info, made.message, seqs)
            timed[side].append((time.perf_counter() - started) / len(seqs) * 1e6)
            root.handlers = theirs
            logging.setLogRecordFactory(factory)
            made.drain()
    made.finish()
    ratios = [v / f for v, f in zip(timed["variant"], timed["floor"], strict=True)]
    return {
        "per_call_us": statistics.median(timed["variant"]),
        "floor_per_call_us": statistics.median(timed["floor"]),
        "paired_ratio": statistics.median(ratios),
        "pair_ratios": ratios,
        "peak_rss_mb": _peak_rss_mb(),
        "dropped": made.dropped(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries that
    over from the forked parent (the runner) through ``exec``."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float | None:
    """This process's resident set now (VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    folder = Path(spec["folder"])
    scenario = spec["scenario"]
    if scenario.startswith("processes"):
        result = processes.run(spec["variant"], folder, spec["processes"], spec["records"])
    elif spec.get("paired"):
        result = run_paired(spec["variant"], folder, spec["records"], spec.get("pairs", 5))
    else:
        result = run_threads(spec["variant"], folder, spec["records"], spec.get("threads", 1))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv)
