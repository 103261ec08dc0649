"""One timed round of logging calls through a fresh runtime, shared by the hot-path benchmarks
(``benchmarks.throttle``, ``benchmarks.shedding``)."""

from __future__ import annotations

import logging
import time
from typing import Any

import logboot


def ns_per_call(profile: dict[str, Any], records: int, logger: str = "bench.calls") -> float:
    """ns per ``log.info("user %s did %s", ...)`` call, for ``records`` calls through a runtime
    of ``profile`` (flushed before and after, so every round starts from an empty queue)."""
    runtime = logboot.setup_logging(logboot.Profile.model_validate(profile))
    try:
        log = logging.getLogger(logger)
        who, what = "alice", "login"
        for _ in range(1000):  # warm: the compiled layout, a filter's state
            log.info("user %s did %s", who, what)
        runtime.flush(30)
        started = time.perf_counter_ns()
        for _ in range(records):
            log.info("user %s did %s", who, what)
        elapsed = time.perf_counter_ns() - started
        runtime.flush(30)
    finally:
        runtime.stop()
    return elapsed / records
