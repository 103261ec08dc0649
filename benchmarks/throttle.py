"""What a ``throttle`` filter costs a logging call: ``python -m benchmarks.throttle``.

Side by side, in one process, interleaved round by round (so a slow moment of a shared
machine lands on every variant): a runtime with one thread queue and a null sink, logging
``log.info("user %s did %s", who, what)`` from this thread, with

- ``none``: no filter;
- ``level``: a ``level`` filter that passes everything: what any filter on the handler costs;
- ``passing``: a throttle on the queue that lets every record through (rate 10^9/s), the
  bucket's look-up and arithmetic on each call, the record still enqueued;
- ``dropping``: a throttle that drops every record after the first (rate 1/h), the cost of a
  record in a storm (nothing is merged or enqueued);
- ``logger_key``: as ``passing`` with ``key: logger``.

Each round times ``--records`` calls per variant (the runtime flushed between rounds, so the
queue stays short); prints the median ns per call over ``--rounds`` and the filter alone
(``ThrottleFilter.filter`` on one record, timeit), for the passing and the dropping path.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import timeit
from typing import Any

from logboot.filters.throttle import ThrottleFilter
from logboot.values.rates import parse_rate

from .calls import ns_per_call

VARIANTS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "level": {"type": "level", "min": "DEBUG"},
    "passing": {"type": "throttle", "rate": "1000000000/s"},
    "dropping": {"type": "throttle", "rate": "1/h"},
    "logger_key": {"type": "throttle", "rate": "1000000000/s", "key": "logger"},
}


def profile(throttle: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "version": 1,
        "filters": {"storm": throttle} if throttle else {},
        "sinks": {"out": {"type": "null"}},
        "queues": {"main": {"max_size": 0, "filters": ["storm"] if throttle else []}},
        "listeners": {"main": {"queue": "main", "sinks": ["out"]}},
        "root": {"level": "INFO", "queue": "main"},
    }


def one_round(variant: str, records: int) -> float:
    """ns per logging call, for ``records`` calls through a fresh runtime."""
    return ns_per_call(profile(VARIANTS[variant]), records, "bench.throttle")


def filter_alone(rate: str, number: int) -> float:
    """ns per ``ThrottleFilter.filter`` call on one record (the best of 5 timeit runs)."""
    throttle = ThrottleFilter(parse_rate(rate), emit=lambda summary: None)
    record = logging.LogRecord("bench.throttle", logging.INFO, "x.py", 1, "user %s did %s", ("a", "b"), None)
    throttle.filter(record)
    return min(timeit.repeat(lambda: throttle.filter(record), number=number, repeat=5)) / number * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="calls per variant and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name in VARIANTS:
            samples[name].append(one_round(name, args.records))
    base = statistics.median(samples["none"])
    print(f"{args.rounds} rounds of {args.records:,} calls; median ns per logging call (min..max):")
    for name, values in samples.items():
        median = statistics.median(values)
        delta = "" if name == "none" else f"  {median - base:+.0f} ns against none"
        print(f"  {name:<11} {median:7.0f}  ({min(values):.0f}..{max(values):.0f}){delta}")
    print("ThrottleFilter.filter alone, ns per call (best of 5):")
    print(f"  passing     {filter_alone('1000000000/s', args.records):7.0f}")
    print(f"  dropping    {filter_alone('1/h', args.records):7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
