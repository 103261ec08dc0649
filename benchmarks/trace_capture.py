"""What keeping the span's trace on each record costs the producer: ``python -m benchmarks.trace_capture``.

A profile with an ``otlp`` sink gets ``TracingQueueHandler`` (the current span's trace and
span id kept on each record, in the thread that logs); any other profile gets the plain
``QueueHandler``. Timed here in one process, interleaved round by round: ``handle`` of a
fresh record (its creation included, the same in every variant) into a thread queue emptied
between batches of 1,000 (not timed), for the plain handler, the tracing one outside any span, and the tracing
one inside a span of the OpenTelemetry SDK's tracer. Medians of the rounds, ns a record.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import get_current_span

from logboot.runtime.handler import QueueHandler, TracingQueueHandler
from logboot.runtime.queues import ThreadQueue


def ns_per_record(make_handler: Callable[[ThreadQueue], QueueHandler], records: int) -> float:
    queue = ThreadQueue("bench", 0, "block", None)
    handle = make_handler(queue).handle
    make = logging.LogRecord
    elapsed = 0
    for _ in range(records // 1000):  # batches of 1,000, taken off the queue in between as a
        started = time.perf_counter_ns()  # listener would: the queue stays short
        for n in range(1000):
            handle(make("bench.trace", logging.INFO, "x.py", 1, "user %s did %s", ("alice", n), None))
        elapsed += time.perf_counter_ns() - started
        queue.done(len(queue.take(1000)))
    return elapsed / (records // 1000 * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    tracer = TracerProvider().get_tracer("bench")
    variants: dict[str, list[float]] = {"plain": [], "tracing, no span": [], "tracing, in a span": []}
    for _ in range(args.rounds):
        variants["plain"].append(ns_per_record(lambda q: QueueHandler(q, "plain"), args.records))
        tracing = lambda q: TracingQueueHandler(q, "tracing", get_current_span)  # noqa: E731
        variants["tracing, no span"].append(ns_per_record(tracing, args.records))
        with tracer.start_as_current_span("request"):
            variants["tracing, in a span"].append(ns_per_record(tracing, args.records))
    base = statistics.median(variants["plain"])
    print(f"{args.rounds} rounds of {args.records:,} records; median ns a record (min..max):")
    for name, samples in variants.items():
        median = statistics.median(samples)
        extra = "" if name == "plain" else f"  {median - base:+.0f} ns against plain"
        print(f"  {name:<20} {median:6.0f}  ({min(samples):.0f}..{max(samples):.0f}){extra}")


if __name__ == "__main__":
    main()
