"""Child-process bodies for the integration tests (importable under spawn and forkserver)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import logboot


def log_records(handle: logboot.ProcessHandle | None, count: int, tag: str = "child") -> int:
    """Attach (unless forked) and log ``count`` numbered records; return the pid."""
    if handle is not None:
        logboot.attach(handle)
    log = logging.getLogger(f"app.{tag}")
    for seq in range(count):
        log.info("record %d from %s", seq, tag, extra={"seq": seq, "tag": tag})
    return os.getpid()


def pool_task(args: tuple[int, int]) -> int:
    """A pool task: log ``count`` records numbered from ``start`` (pool is attached already)."""
    start, count = args
    log = logging.getLogger("app.pool")
    for seq in range(start, start + count):
        log.info("task record %d", seq, extra={"seq": seq, "tag": "pool"})
    return os.getpid()


def log_exception(handle: logboot.ProcessHandle | None) -> None:
    """Raise, catch and log an exception, plus a record with an unpicklable extra."""
    if handle is not None:
        logboot.attach(handle)
    log = logging.getLogger("app.errors")
    try:
        raise ValueError("bad input 42")
    except ValueError:
        log.exception("it failed")
    log.warning("holding a lock", extra={"lock": threading.Lock(), "seq": 0, "tag": "lock"})


def log_forever(handle: logboot.ProcessHandle, started: Any, tag: str) -> None:
    """Log numbered records until killed; set ``started`` after the first 1,000."""
    logboot.attach(handle)
    log = logging.getLogger(f"app.{tag}")
    seq = 0
    while True:
        log.info("endless %d", seq, extra={"seq": seq, "tag": tag})
        seq += 1
        if seq == 1000:
            started.set()


def log_then_exit_hard(handle: logboot.ProcessHandle, count: int) -> None:
    """Log ``count`` records and end with ``os._exit`` (no atexit, no finalizers)."""
    log_records(handle, count, "hard-exit")
    os._exit(0)


def pool_worker_suicide(_: int) -> None:
    """Kill the pool worker running this task."""
    os._exit(1)


def collect_switches(handle: logboot.ProcessHandle | None) -> tuple[bool, bool, bool, bool]:
    """Attach (unless forked), log one record, and return logging's collection switches
    (caller, threads, processes, process names) as this child has them."""
    if handle is not None:
        logboot.attach(handle)
    logging.getLogger("app.child").info("from the child")
    return (
        logging._srcfile is not None,
        logging.logThreads,
        logging.logProcesses,
        logging.logMultiprocessing,
    )
