"""One run of the kill-children scenario (issue 9) in this fresh interpreter.

    python -m benchmarks.kill_worker '{"variant": "logboot", "records": 20000, "folder": "/tmp/x"}'

Two spawn children log ``records`` records each as fast as they can; once both have
logged a quarter of them, the parent SIGKILLs both, logs 100 records of its own and
stops its listener. Each phase is printed as one JSON line the moment it is reached, so
the runner (``benchmarks.kill_children``), which kills a run that passes its deadline,
can tell where that run was stuck.

Child ``i`` logs the workload's records ``i * records ..``; the parent's follow both
children's ranges, so one line check tells every record's origin.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import variants
from .workload import ACTIONS, LOGGER_NAME, LOGURU_FORMAT, MESSAGE, MESSAGE_BRACES, WHO, produce

CHILDREN = 2
PARENT_RECORDS = 100
STOP_TIMEOUT = 10.0  # for the variants whose stop takes one
SPAWN = multiprocessing.get_context("spawn")


# --- children (top-level functions, so that spawn can import them) ---------------------


def _log_counted(info: Callable[..., object], message: str, progress: Any, start: int, count: int) -> None:
    """Log records ``start ..``; ``progress`` holds how many logging calls have returned."""
    for done, seq in enumerate(range(start, start + count), 1):
        info(message, WHO[seq % len(WHO)], ACTIONS[seq % len(ACTIONS)], seq)
        progress.value = done


def child_logboot(handle: Any, progress: Any, start: int, count: int) -> None:
    """Join the parent's process queue with ``logboot.attach``."""
    import logboot

    logboot.attach(handle)
    _log_counted(logging.getLogger(LOGGER_NAME).info, MESSAGE, progress, start, count)


def child_mp_queue(records: Any, progress: Any, start: int, count: int) -> None:
    """A stdlib QueueHandler onto the parent's ``multiprocessing.Queue``."""
    info = variants._root(logging.handlers.QueueHandler(records))
    _log_counted(info, MESSAGE, progress, start, count)


def child_loguru(logger: Any, progress: Any, start: int, count: int) -> None:
    """Log through the parent's logger, passed in (loguru's way under spawn)."""
    _log_counted(logger.info, MESSAGE_BRACES, progress, start, count)


# --- parents --------------------------------------------------------------------------------


@dataclass
class Parent:
    """One variant's parent side: what its children run, how it logs, how it stops."""

    child: Callable[..., None]
    child_args: tuple[Any, ...]
    info: Callable[..., object]
    message: str
    stop: Callable[[], object]


def parent_logboot(folder: Path) -> Parent:
    import logboot

    profile = folder / "profile.yaml"
    profile.write_text(variants.logboot_profile(folder / variants.LOG_FILE, kind="process"), encoding="utf-8")
    runtime = logboot.setup_logging(profile)
    info = logging.getLogger(LOGGER_NAME).info
    return Parent(
        child_logboot, (runtime.process_handle(),), info, MESSAGE, lambda: runtime.stop(timeout=STOP_TIMEOUT)
    )


def parent_mp_queue(folder: Path) -> Parent:
    records = SPAWN.Queue()
    target = variants._file_handler(folder)
    listener = logging.handlers.QueueListener(records, target)
    listener.start()
    # The parent logs through the same queue, as the logging cookbook sets it up.
    info = variants._root(logging.handlers.QueueHandler(records))

    def stop() -> None:
        listener.stop()  # no timeout to give
        target.close()

    return Parent(child_mp_queue, (records,), info, MESSAGE, stop)


def parent_loguru(folder: Path) -> Parent:
    from loguru import logger

    logger.remove()
    path = folder / variants.LOG_FILE
    logger.add(path, format=LOGURU_FORMAT, level="INFO", enqueue=True, context="spawn")

    def stop() -> None:
        logger.complete()  # no timeout to give
        logger.remove()

    return Parent(child_loguru, (logger,), logger.info, MESSAGE_BRACES, stop)


PARENTS: dict[str, Callable[[Path], Parent]] = {
    "logboot": parent_logboot,
    "mp-queue": parent_mp_queue,
    "loguru": parent_loguru,
}


# --- the scenario ---------------------------------------------------------------------------


def reached(phase: str, **figures: object) -> None:
    """Tell the runner this phase was reached (a whole line, flushed at once)."""
    sys.stdout.write(json.dumps({"phase": phase, **figures}) + "\n")
    sys.stdout.flush()


def give_up(signum: int, frame: object) -> None:
    """The runner's deadline passed (SIGTERM): kill the children and end at once.

    The resource tracker is left running: once every process holding its pipe is gone it
    unlinks the named semaphores this run leaked in ``/dev/shm``, which it could not do
    if it were killed with them.
    """
    for child in multiprocessing.active_children():
        child.kill()
    os._exit(124)


def run(variant: str, folder: Path, records: int) -> None:
    signal.signal(signal.SIGTERM, give_up)
    parent = PARENTS[variant](folder)
    progress = [SPAWN.RawValue("q", 0) for _ in range(CHILDREN)]  # one writer each: no lock needed
    children = [
        SPAWN.Process(
            target=parent.child,
            args=(*parent.child_args, progress[index], index * records, records),
            name=f"victim-{index}",
            daemon=True,
        )
        for index in range(CHILDREN)
    ]
    for child in children:
        child.start()
    reached("started")
    while min(count.value for count in progress) < records // 4:
        time.sleep(0.001)
    for child in children:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    for child in children:
        child.join()
    # Read after the children are dead: the counts are final.
    reached("killed", logged=[count.value for count in progress])
    first = CHILDREN * records
    produce(parent.info, parent.message, range(first, first + PARENT_RECORDS))
    reached("logged")
    started = time.perf_counter()
    parent.stop()
    reached("stopped", stop_seconds=time.perf_counter() - started)


def main(argv: list[str]) -> None:
    job = json.loads(argv[1])
    if job["variant"] not in PARENTS:
        sys.exit(f"unknown variant {job['variant']!r}; expected one of {', '.join(PARENTS)}")
    run(job["variant"], Path(job["folder"]), job["records"])


if __name__ == "__main__":
    main(sys.argv)
