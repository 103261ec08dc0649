"""The logging set-ups compared, each writing the same ~90-byte line to one file.

A variant's ``setup(folder)`` configures logging in this process and returns a
``Setup``: the ``info`` to call, the message form it takes, and ``finish()``, which
returns once every record is in the file (the time the "until on disk" figures stop).
Each variant imports only what it uses, so peak RSS compares like with like.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logboot.runtime.lifecycle import Runtime
    from logboot.runtime.processes import ProcessHandle

from .workload import (
    JSON_FIELDS,
    JSON_STDLIB_FORMAT,
    LOGBOOT_FORMAT,
    LOGGER_NAME,
    LOGURU_FORMAT,
    MESSAGE,
    MESSAGE_BRACES,
    STDLIB_FORMAT,
    padded,
)

LOG_FILE = "out.log"
QUEUE_SIZE = 10_000
# The large scenario: the same set-ups logging messages of 16 KiB and 1 KiB.
MESSAGE_SIZES = {"16k": 16 * 1024, "1k": 1024}


@dataclass
class Setup:
    info: Callable[..., object]
    finish: Callable[[], None]
    message: str = MESSAGE
    dropped: Callable[[], int | None] = field(default=lambda: None)
    # Returns once what was logged so far is in the file, without stopping (the paired
    # scenario's pause between chunks). A synchronous handler has nothing to wait for.
    drain: Callable[[], None] = field(default=lambda: None)
    # The most records its queue held at once, where the library counts it (logboot).
    queue_peak: Callable[[], int | None] = field(default=lambda: None)
    # The records queued right now (read once, when the producers are done), where known.
    queued: Callable[[], int | None] = field(default=lambda: None)
    # The paired scenario's floor: a call through the stdlib's NullHandler, for set-ups
    # whose ``info`` does not go through the stdlib's root logger (picologging). None:
    # the floor is ``info`` itself with a NullHandler swapped in on the root logger.
    floor_info: Callable[..., object] | None = None


def _root(handler: logging.Handler) -> Callable[..., object]:
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    return logging.getLogger(LOGGER_NAME).info


def _file_handler(folder: Path, as_json: bool = False) -> logging.FileHandler:
    handler = logging.FileHandler(folder / LOG_FILE, encoding="utf-8")
    handler.setFormatter(_json_formatter() if as_json else logging.Formatter(STDLIB_FORMAT))
    return handler


def _json_formatter() -> logging.Formatter:
    """python-json-logger's formatter: the usual way to write JSON lines with the stdlib."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(JSON_STDLIB_FORMAT)


def null(folder: Path) -> Setup:
    """The floor: what ``logger.info`` costs when its handler does nothing."""
    return Setup(_root(logging.NullHandler()), lambda: None)


def filehandler(folder: Path) -> Setup:
    handler = _file_handler(folder)
    return Setup(_root(handler), handler.close)


def _stdlib_queue(folder: Path, max_size: int, as_json: bool = False) -> Setup:
    records: queue.Queue[logging.LogRecord] = queue.Queue(max_size)
    target = _file_handler(folder, as_json)
    listener = logging.handlers.QueueListener(records, target)
    listener.start()

    def finish() -> None:
        listener.stop()
        target.close()

    # QueueListener calls task_done() for each record it has handled: join() is a drain.
    return Setup(
        _root(logging.handlers.QueueHandler(records)), finish, drain=records.join, queued=records.qsize
    )


def stdlib_queue(folder: Path) -> Setup:
    """QueueHandler + QueueListener over an unbounded ``queue.Queue``."""
    return _stdlib_queue(folder, -1)


def stdlib_queue_bounded(folder: Path) -> Setup:
    """The same over ``queue.Queue(10000)``: a full queue drops with a traceback each."""
    return _stdlib_queue(folder, QUEUE_SIZE)


def filehandler_json(folder: Path) -> Setup:
    """A FileHandler writing JSON lines (python-json-logger)."""
    handler = _file_handler(folder, as_json=True)
    return Setup(_root(handler), handler.close)


def stdlib_queue_json(folder: Path) -> Setup:
    """QueueHandler + QueueListener (unbounded) into a FileHandler writing JSON lines."""
    return _stdlib_queue(folder, -1, as_json=True)


def loguru(folder: Path) -> Setup:
    from loguru import logger

    logger.remove()
    logger.add(folder / LOG_FILE, format=LOGURU_FORMAT, level="INFO", enqueue=True, catch=True)
    return Setup(logger.info, logger.remove, MESSAGE_BRACES)


def concurrent_log_handler(folder: Path) -> Setup:
    from concurrent_log_handler import ConcurrentRotatingFileHandler

    handler = ConcurrentRotatingFileHandler(str(folder / LOG_FILE), "a", maxBytes=1 << 30, backupCount=2)
    handler.setFormatter(logging.Formatter(STDLIB_FORMAT))
    return Setup(_root(handler), handler.close)


def logboot_profile(
    log_path: Path,
    *,
    kind: str = "thread",
    overflow: str = "block",
    as_json: bool = False,
    collect: str = "all",
    max_size: int = QUEUE_SIZE,
) -> str:
    """The profile the logboot variants run: one queue of 10,000 (``max_size``), one file sink."""
    line = (
        f"{{type: json, fields: [{', '.join(JSON_FIELDS)}]}}"
        if as_json
        else f'{{type: text, format: "{LOGBOOT_FORMAT}"}}'
    )
    return (
        "version: 1\n"
        f"collect: {collect}\n"
        "formatters:\n"
        f"  line: {line}\n"
        "sinks:\n"
        f'  out: {{type: file, path: "{log_path}", formatter: line}}\n'
        "queues:\n"
        f"  main: {{kind: {kind}, max_size: {max_size}, overflow: {overflow}}}\n"
        "listeners:\n"
        "  main: {queue: main, sinks: [out]}\n"
        "root: {level: INFO, queue: main}\n"
        "shutdown: {timeout: 60s}\n"
    )


def write_logboot_profile(
    folder: Path, overflow: str, as_json: bool = False, max_size: int = QUEUE_SIZE, collect: str = "all"
) -> Path:
    profile = folder / "profile.yaml"
    text = logboot_profile(
        folder / LOG_FILE, overflow=overflow, as_json=as_json, max_size=max_size, collect=collect
    )
    profile.write_text(text, encoding="utf-8")
    return profile


def start_process_logboot(folder: Path) -> tuple[Runtime, ProcessHandle]:
    """logboot with one process queue into ``folder``'s log file, started: its runtime and
    the handle its children attach with (the `processes` scenarios and
    ``benchmarks.process_profile``)."""
    import logboot

    profile = folder / "profile.yaml"
    profile.write_text(logboot_profile(folder / LOG_FILE, kind="process"), encoding="utf-8")
    runtime = logboot.setup_logging(profile)
    return runtime, runtime.process_handle()


def _logboot(
    folder: Path,
    overflow: str,
    cache: bool = True,
    as_json: bool = False,
    max_size: int = QUEUE_SIZE,
    collect: str = "all",
) -> Setup:
    import logboot

    profile = write_logboot_profile(folder, overflow, as_json, max_size, collect)
    runtime = logboot.setup_logging(profile, cache=cache)
    dropped: list[int] = []
    peak: list[int] = []

    def finish() -> None:
        report = runtime.stop()
        dropped.append(report.dropped)
        peak.append(max((queue.get("peak", 0) for queue in report.queues.values()), default=0))

    def drain() -> None:
        if not runtime.flush(timeout=60):
            raise RuntimeError("logboot: flush timed out")

    return Setup(
        logging.getLogger(LOGGER_NAME).info,
        finish,
        dropped=lambda: dropped[0] if dropped else None,
        drain=drain,
        queue_peak=lambda: peak[0] if peak else None,
        queued=lambda: sum(queue["size"] for queue in runtime.stats()["queues"].values()),
    )


def logboot_block(folder: Path) -> Setup:
    """logboot, bounded queue (10,000), ``overflow: block``."""
    return _logboot(folder, "block")


def logboot_json(folder: Path) -> Setup:
    """logboot, bounded queue (10,000), ``overflow: block``, a ``json`` formatter."""
    return _logboot(folder, "block", as_json=True)


def logboot_auto(folder: Path) -> Setup:
    """``logboot`` with ``collect: auto``: the caller, process and process name are not
    collected (the layout reads the thread name only)."""
    return _logboot(folder, "block", collect="auto")


def logboot_json_auto(folder: Path) -> Setup:
    """``logboot-json`` with ``collect: auto``: the caller, process and process name are not
    collected (the JSON fields read the thread name only)."""
    return _logboot(folder, "block", as_json=True, collect="auto")


def logboot_unbounded(folder: Path) -> Setup:
    """logboot, unbounded queue (``max_size: 0``): the memory scenario's like of ``stdlib-queue``."""
    return _logboot(folder, "block", max_size=0)


def logboot_drop(folder: Path) -> Setup:
    """logboot, bounded queue (10,000), ``overflow: drop_newest``: drops are counted."""
    return _logboot(folder, "drop_newest")


def logboot_first_start(folder: Path) -> Setup:
    """logboot as at the first start of a profile: validated here (pydantic), not from the cache."""
    return _logboot(folder, "block", cache=False)


# The variants that start the way a service usually does: from a profile validated at an
# earlier start (the profile cache). The runner validates it first, in another process.
STARTED_BEFORE = {
    "logboot": "block",
    "logboot-unbounded": "block",
    "logboot-drop": "drop_newest",
    "logboot-json": "block",
    "logboot-json-auto": "block",
    "logboot-auto": "block",
    **{f"logboot-{name}": "block" for name in MESSAGE_SIZES},
}
UNBOUNDED = {"logboot-unbounded"}
WARM_UP = "import sys, logboot; logboot.setup_logging(sys.argv[1]).stop()"


def start_before(variant: str, folder: Path, env: dict[str, str]) -> None:
    """Validate ``variant``'s profile once in a separate process, so its run starts from the cache."""
    overflow = STARTED_BEFORE.get(variant)
    if overflow is None:
        return
    max_size = 0 if variant in UNBOUNDED else QUEUE_SIZE
    collect = "auto" if variant.endswith("-auto") else "all"
    profile = write_logboot_profile(
        folder, overflow, as_json="-json" in variant, max_size=max_size, collect=collect
    )
    subprocess.run([sys.executable, "-c", WARM_UP, str(profile)], env=env, check=True, timeout=120)
    (folder / LOG_FILE).unlink(missing_ok=True)


# picologging (Microsoft's C reimplementation of logging, 0.9.3, the latest release): a peer
# to beat, not a dependency, and single-threaded only: two threads that log through it hang
# (its issue #207; docs/benchmarks.md has what was seen here). Its formatter gets these
# wrong on 3.10, 3.11 and 3.12 alike: the default time stamp is an uninitialised buffer
# (its issue #203) followed by ``msecs``, which is the epoch in milliseconds cut to 32
# bits; a width or a padding (``%(levelname)-8s``, ``%(msecs)03d``, ``{levelname:<8}``) is
# left in the line as written; ``threadName`` is None. So its variants write the layout it
# gets right: a strftime time stamp (whole seconds), the level, the thread id, the logger
# (about 80 bytes a line, against 90 for the others); workload.PLAIN_LINE checks it.
PICO_FORMAT = "%(asctime)s %(levelname)s %(thread)d %(name)s: %(message)s"
PICO_DATEFMT = "%Y-%m-%d %H:%M:%S"
# The variants that need a package that may not be installed (picologging 0.9.3 has wheels
# for CPython 3.10 to 3.12, none for 3.13): the runner reports them "not installed" there.
NEEDS = {"picologging-filehandler": "picologging", "picologging-queue": "picologging"}
PLAIN_LAYOUT = frozenset(NEEDS)  # the variants whose lines workload.PLAIN_LINE checks


def _picologging(folder: Path, queued: bool) -> Setup:
    import picologging
    import picologging.handlers

    target = picologging.FileHandler(str(folder / LOG_FILE), encoding="utf-8")
    target.setFormatter(picologging.Formatter(PICO_FORMAT, PICO_DATEFMT))
    root = picologging.getLogger()
    root.setLevel(picologging.INFO)
    # The paired scenario's floor: the stdlib's logger.info into a NullHandler, as for the others.
    floor_info = _root(logging.NullHandler())
    if not queued:
        root.addHandler(target)
        return Setup(picologging.getLogger(LOGGER_NAME).info, target.close, floor_info=floor_info)
    records: queue.Queue[object] = queue.Queue()
    listener = picologging.handlers.QueueListener(records, target)
    listener.start()
    root.addHandler(picologging.handlers.QueueHandler(records))

    def finish() -> None:
        listener.stop()
        target.close()

    # Its QueueListener calls task_done() for each record, as the stdlib's does: join() drains.
    return Setup(picologging.getLogger(LOGGER_NAME).info, finish, drain=records.join, floor_info=floor_info)


def picologging_filehandler(folder: Path) -> Setup:
    """picologging's FileHandler (one thread only)."""
    return _picologging(folder, queued=False)


def picologging_queue(folder: Path) -> Setup:
    """picologging's QueueHandler + QueueListener over an unbounded ``queue.Queue`` into its
    FileHandler (one producer thread only)."""
    return _picologging(folder, queued=True)


def message_size(variant: str) -> int | None:
    """The message size of a large-scenario variant (``logboot-16k``), else None."""
    return MESSAGE_SIZES.get(variant.rsplit("-", 1)[-1])


def _sized(make: Callable[[Path], Setup], size: int) -> Callable[[Path], Setup]:
    def sized(folder: Path) -> Setup:
        made = make(folder)
        made.message = padded(made.message, size)
        return made

    sized.__doc__ = f"{make.__doc__ or make.__name__} (messages of {size:,} bytes)"
    return sized


VARIANTS: dict[str, Callable[[Path], Setup]] = {
    "null": null,
    "filehandler": filehandler,
    "stdlib-queue": stdlib_queue,
    "stdlib-queue-10k": stdlib_queue_bounded,
    "loguru": loguru,
    "concurrent-log-handler": concurrent_log_handler,
    "logboot": logboot_block,
    "logboot-drop": logboot_drop,
    "logboot-unbounded": logboot_unbounded,
    "picologging-filehandler": picologging_filehandler,
    "picologging-queue": picologging_queue,
    "filehandler-json": filehandler_json,
    "stdlib-queue-json": stdlib_queue_json,
    "logboot-json": logboot_json,
    "logboot-json-auto": logboot_json_auto,
    "logboot-auto": logboot_auto,
    "logboot-first-start": logboot_first_start,
    **{f"filehandler-{name}": _sized(filehandler, size) for name, size in MESSAGE_SIZES.items()},
    **{f"logboot-{name}": _sized(logboot_block, size) for name, size in MESSAGE_SIZES.items()},
}


def setup(name: str, folder: Path) -> Setup:
    if name not in VARIANTS:
        sys.exit(f"unknown variant {name!r}")
    return VARIANTS[name](folder)
