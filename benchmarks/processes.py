"""Processes (4, or 8) logging into one file: each variant's parent and child sides.

The clock starts when every child has set up its logging (a barrier) and stops when
every record is in the file: the children have exited and the parent's listener, if
any, has drained. Start-up of the children is not counted, for any variant.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.context import DefaultContext, ForkContext, ForkServerContext, SpawnContext
from pathlib import Path
from typing import Any

from . import variants
from .workload import LOGGER_NAME, LOGURU_FORMAT, MESSAGE, MESSAGE_BRACES, produce

Context = DefaultContext | ForkContext | SpawnContext | ForkServerContext  # what get_context returns

Child = Callable[..., None]


def _child_run(
    setup: Callable[[], tuple[Callable[..., object], Callable[[], None], str]],
    barrier: Any,
    start: int,
    count: int,
) -> None:
    info, finish, message = setup()
    barrier.wait()
    produce(info, message, range(start, start + count))
    finish()


# --- children (top-level functions, so that spawn can import them) ---------------------


def child_file(folder: Path, barrier: Any, start: int, count: int) -> None:
    """Each process appends to the file through its own FileHandler."""

    def setup() -> tuple[Callable[..., object], Callable[[], None], str]:
        made = variants.filehandler(folder)
        return made.info, made.finish, made.message

    _child_run(setup, barrier, start, count)


def child_clh(folder: Path, barrier: Any, start: int, count: int) -> None:
    """Each process writes through its own ConcurrentRotatingFileHandler (file locks)."""

    def setup() -> tuple[Callable[..., object], Callable[[], None], str]:
        made = variants.concurrent_log_handler(folder)
        return made.info, made.finish, made.message

    _child_run(setup, barrier, start, count)


def child_queue(records: Any, barrier: Any, start: int, count: int) -> None:
    """A stdlib QueueHandler onto the parent's ``multiprocessing.Queue``."""

    def setup() -> tuple[Callable[..., object], Callable[[], None], str]:
        root = logging.getLogger()
        root.handlers = [logging.handlers.QueueHandler(records)]
        root.setLevel(logging.INFO)
        return logging.getLogger(LOGGER_NAME).info, lambda: None, MESSAGE

    _child_run(setup, barrier, start, count)


def child_loguru(barrier: Any, start: int, count: int) -> None:
    """A forked child logging through the handler it inherited (enqueue=True)."""
    from loguru import logger

    def setup() -> tuple[Callable[..., object], Callable[[], None], str]:
        made = variants.Setup(logger.info, lambda: None, MESSAGE_BRACES)
        return made.info, made.finish, made.message

    _child_run(setup, barrier, start, count)


def child_logboot(handle: Any, barrier: Any, start: int, count: int) -> None:
    """A spawned child that joins the parent's process queue with ``logboot.attach``."""
    import logboot

    def setup() -> tuple[Callable[..., object], Callable[[], None], str]:
        child = logboot.attach(handle)  # the child's own runtime; stop() hands over what it holds

        def finish() -> None:
            child.stop()

        return logging.getLogger(LOGGER_NAME).info, finish, MESSAGE

    _child_run(setup, barrier, start, count)


# --- parents ------------------------------------------------------------------------------


def _run_children(
    context: Context, child: Child, args: tuple[Any, ...], processes: int, records: int
) -> float:
    """Start the children, wait until they are ready, return when they end (clock start)."""
    barrier = context.Barrier(processes + 1)
    per = records // processes
    children = [
        context.Process(target=child, args=(*args, barrier, index * per, per), name=f"bench-{index}")
        for index in range(processes)
    ]
    for process in children:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in children:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"child {process.name} exited with {process.exitcode}")
    return started


def run(name: str, folder: Path, processes: int, records: int) -> dict[str, Any]:
    """Run one process variant; return its timing."""
    dropped: int | None = None
    spawn = multiprocessing.get_context("spawn")
    if name == "file-append":
        started = _run_children(spawn, child_file, (folder,), processes, records)
    elif name == "concurrent-log-handler":
        started = _run_children(spawn, child_clh, (folder,), processes, records)
    elif name in ("mp-queue-spawn", "mp-queue-fork"):
        context: Context = spawn if name == "mp-queue-spawn" else multiprocessing.get_context("fork")
        shared = context.Queue()
        target = variants._file_handler(folder)
        listener = logging.handlers.QueueListener(shared, target)
        listener.start()
        started = _run_children(context, child_queue, (shared,), processes, records)
        listener.stop()
        target.close()
    elif name == "loguru":
        from loguru import logger

        logger.remove()
        logger.add(folder / variants.LOG_FILE, format=LOGURU_FORMAT, level="INFO", enqueue=True)
        started = _run_children(multiprocessing.get_context("fork"), child_loguru, (), processes, records)
        logger.remove()
    elif name == "logboot":
        runtime, handle = variants.start_process_logboot(folder)
        started = _run_children(spawn, child_logboot, (handle,), processes, records)
        dropped = runtime.stop().dropped
    else:
        raise SystemExit(f"unknown process variant {name!r}")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "records_per_s": records / seconds, "dropped": dropped}


PROCESS_VARIANTS = (
    "file-append",
    "mp-queue-spawn",
    "mp-queue-fork",
    "loguru",
    "concurrent-log-handler",
    "logboot",
)
