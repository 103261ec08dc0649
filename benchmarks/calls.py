"""One timed round of logging calls through a fresh runtime, shared by the hot-path benchmarks
(``benchmarks.throttle``, ``benchmarks.shedding``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import logboot

#: The clocks a round can be timed by: ``wall`` (the producer's elapsed time) or ``cpu`` (the
#: CPU time of the whole process, every thread: the producer's and the listener's work, with
#: the listener's included up to the end of the flush), which other programs on a busy
#: machine move far less.
CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}


def ns_per_call(
    profile: dict[str, Any], records: int, logger: str = "bench.calls", clock: str = "wall"
) -> float:
    """ns per ``log.info("user %s did %s", ...)`` call, for ``records`` calls through a runtime
    of ``profile`` (flushed before and after, so every round starts from an empty queue)."""
    now = CLOCKS[clock]
    runtime = logboot.setup_logging(logboot.Profile.model_validate(profile))
    try:
        log = logging.getLogger(logger)
        who, what = "alice", "login"
        for _ in range(1000):  # warm: the compiled layout, a filter's state
            log.info("user %s did %s", who, what)
        runtime.flush(30)
        started = now()
        for _ in range(records):
            log.info("user %s did %s", who, what)
        if clock == "cpu":  # the listener's share of these records too
            runtime.flush(30)
        elapsed = now() - started
        runtime.flush(30)
    finally:
        runtime.stop()
    return elapsed / records
