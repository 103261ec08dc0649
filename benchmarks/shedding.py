"""What graceful shedding (``shed_below``, ``shed_at``) costs: ``python -m benchmarks.shedding``.

Two parts, each side by side in one process, interleaved round by round:

- **The logging call** (``log.info(...)`` from this thread through a thread queue of
  1,000,000 records to a null sink, the runtime flushed between rounds so the queue stays
  nearly empty): ``bounded`` (no shedding) against ``shed_idle`` (``shed_below: WARNING``):
  what a shedding queue costs while it is not shedding, the normal state.
- **The queue's ``put`` alone**, on a queue held at a fill level with no listener (timeit,
  best of 5): a record kept on the fast path (below ``shed_at``); an INFO record shed (at
  ``shed_at``); a WARNING record kept while the queue sheds (it takes the slow path); and,
  for scale, a WARNING record at the same fill without shedding configured (fast path), and
  a record rejected by a full ``drop_newest`` queue.
"""

from __future__ import annotations

import argparse
import functools
import logging
import statistics
import timeit
from typing import Any

from logboot.runtime.queues import ThreadQueue

from .calls import ns_per_call

MAX_SIZE = 1_000_000


def profile(shed_below: str | None) -> dict[str, Any]:
    queue: dict[str, Any] = {"max_size": MAX_SIZE, "overflow": "drop_newest"}
    if shed_below is not None:
        queue["shed_below"] = shed_below
    return {
        "version": 1,
        "sinks": {"out": {"type": "null"}},
        "queues": {"main": queue},
        "listeners": {"main": {"queue": "main", "sinks": ["out"]}},
        "root": {"level": "INFO", "queue": "main"},
    }


CALL_VARIANTS = {"bounded": None, "shed_idle": "WARNING"}


def record(level: int) -> logging.LogRecord:
    return logging.LogRecord("bench.shed", level, "x.py", 1, "user %s did %s", ("a", "b"), None)


def put_ns(fill: float, level: int, shed: bool, number: int) -> float:
    """ns per ``ThreadQueue.put`` of a ``level`` record on a queue ``fill`` full (best of 5)."""
    best = float("inf")
    one = record(level)
    for _ in range(5):
        queue = ThreadQueue("bench", MAX_SIZE, "drop_newest", None, logging.WARNING if shed else None)
        queue._items.extend([one] * int(fill * MAX_SIZE))  # held there: no listener takes them
        best = min(best, timeit.timeit(functools.partial(queue.put, one), number=number))
    return best / number * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="calls per variant and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    samples: dict[str, list[float]] = {name: [] for name in CALL_VARIANTS}
    for _ in range(args.rounds):
        for name, shed_below in CALL_VARIANTS.items():
            samples[name].append(ns_per_call(profile(shed_below), args.records, "bench.shed"))
    base = statistics.median(samples["bounded"])
    print(f"{args.rounds} rounds of {args.records:,} calls; median ns per logging call (min..max):")
    for name, values in samples.items():
        median = statistics.median(values)
        delta = "" if name == "bounded" else f"  {median - base:+.0f} ns against bounded"
        print(f"  {name:<10} {median:7.0f}  ({min(values):.0f}..{max(values):.0f}){delta}")
    number = min(args.records, MAX_SIZE // 10)  # kept records must stay below the capacity
    print("ThreadQueue.put alone, ns per call (best of 5):")
    rows = [
        ("INFO kept, 10% full, no shedding", put_ns(0.1, logging.INFO, False, number)),
        ("INFO kept, 10% full, shedding configured", put_ns(0.1, logging.INFO, True, number)),
        ("INFO shed, 80% full", put_ns(0.8, logging.INFO, True, number)),
        ("WARNING kept, 80% full, shedding", put_ns(0.8, logging.WARNING, True, number)),
        ("WARNING kept, 80% full, no shedding", put_ns(0.8, logging.WARNING, False, number)),
        ("INFO rejected, full drop_newest queue", put_ns(1.0, logging.INFO, False, number)),
    ]
    for name, value in rows:
        print(f"  {name:<40} {value:6.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
