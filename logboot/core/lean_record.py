"""``LeanRecord``: the ``LogRecord`` a running logboot has logging make: the same record,
made for less.

``LogRecord.__init__`` splits each record's ``pathname`` into ``filename`` and ``module``
(``os.path.basename``, then ``os.path.splitext``) and looks its level's name up through
a function call: a third of what making a record costs here, the same work again for
every record of a file (docs/benchmarks.md, "The record itself"). ``LeanRecord`` runs
``LogRecord.__init__``'s own steps, in its order, with the split kept per ``pathname``
(a bounded table) and the level's name read from logging's table first. The switches
(``logThreads``... and ``logAsyncioTasks``) are read on every call, as logging reads them.
A ``pathname`` that is not a ``str`` goes through ``LogRecord.__init__`` itself.

It becomes logging's record factory only over logging's own (``getLogRecordFactory()``
is ``LogRecord``), only when ``matches_stock`` finds records made both ways alike on this
interpreter, and is taken out at stop only while it still is the factory: a factory that
another library set, before or after, is never replaced. It pickles and copies as a
plain ``LogRecord`` (``__reduce__``), so a process without logboot reads it.
"""

from __future__ import annotations

import collections.abc
import logging
import os
import sys
import threading
import time
from typing import Any

_stock_init = logging.LogRecord.__init__
_level_names = logging._levelToName
_started: float = logging._startTime  # type: ignore[attr-defined]  # set once, when logging is imported
_Mapping = collections.abc.Mapping
UNKNOWN_FILE = "(unknown file)"  # what Logger._log passes with the caller off
_NS_CLOCK = sys.version_info >= (3, 13)  # 3.13 takes time_ns and derives the rest from it
_HAS_TASKS = sys.version_info >= (3, 12)
# pathname -> (filename, module), as LogRecord splits it: a program logs from a few
# hundred files at most; past _FILES_KEPT the split is made each time, not kept.
_file_parts: dict[str, tuple[str, str]] = {}
_FILES_KEPT = 4096


def _split(pathname: object) -> tuple[str, str] | None:
    """``(filename, module)`` of a str ``pathname`` as LogRecord makes them; None otherwise."""
    if pathname.__class__ is not str:
        return None
    filename = os.path.basename(pathname)
    parts = (filename, os.path.splitext(filename)[0])
    if len(_file_parts) < _FILES_KEPT:
        _file_parts[pathname] = parts
    return parts


class LeanRecord(logging.LogRecord):
    """A ``LogRecord`` made as ``LogRecord.__init__`` makes it, for less."""

    def __init__(
        self,
        name: str,
        level: int,
        pathname: str,
        lineno: int,
        msg: object,
        args: Any,
        exc_info: Any,
        func: str | None = None,
        sinfo: str | None = None,
        **kwargs: Any,
    ) -> None:
        parts = _file_parts.get(pathname) if pathname.__class__ is str else None
        if parts is None:
            parts = _split(pathname)
            if parts is None:  # not a str: LogRecord's own error handling
                _stock_init(self, name, level, pathname, lineno, msg, args, exc_info, func, sinfo, **kwargs)
                return
        # LogRecord.__init__'s assignments, in its order (the order of __dict__, which
        # formatters that dump it keep), with the same values.
        ct = time.time_ns() if _NS_CLOCK else time.time()
        self.name = name
        self.msg = msg
        if args and len(args) == 1 and isinstance(args[0], _Mapping) and args[0]:
            args = args[0]
        self.args = args
        levelname = _level_names.get(level)
        self.levelname = levelname if levelname is not None else logging.getLevelName(level)
        self.levelno = level
        self.pathname = pathname
        self.filename, self.module = parts
        self.exc_info = exc_info
        self.exc_text = None
        self.stack_info = sinfo
        self.lineno = lineno
        self.funcName = func  # type: ignore[assignment]
        if _NS_CLOCK:
            created = ct / 1e9
            self.created = created
            msecs = (ct % 1_000_000_000) // 1_000_000 + 0.0
            if msecs == 999.0 and int(created) != ct // 1_000_000_000:
                msecs = 0.0
            self.msecs = msecs
            self.relativeCreated = (ct - _started) / 1e6
        else:
            self.created = ct
            self.msecs = int((ct - int(ct)) * 1000) + 0.0
            self.relativeCreated = (ct - _started) * 1000
        if logging.logThreads:
            self.thread = threading.get_ident()
            self.threadName = threading.current_thread().name
        else:
            self.thread = None
            self.threadName = None
        if not logging.logMultiprocessing:
            self.processName = None
        else:
            self.processName = "MainProcess"
            mp = sys.modules.get("multiprocessing")
            if mp is not None:
                try:  # noqa: SIM105 - not contextlib.suppress: it costs more than the rest of the record
                    self.processName = mp.current_process().name
                except Exception:  # noqa: BLE001, S110 - as LogRecord: the default name stays
                    pass
        self.process = os.getpid() if logging.logProcesses else None
        if _HAS_TASKS:
            self.taskName = None
            if logging.logAsyncioTasks:  # type: ignore[attr-defined]
                asyncio = sys.modules.get("asyncio")
                if asyncio:
                    try:  # noqa: SIM105 - as above
                        self.taskName = asyncio.current_task().get_name()
                    except Exception:  # noqa: BLE001, S110 - as LogRecord: no task, None
                        pass

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and copied as logging's own record, with the same attributes."""
        return logging.makeLogRecord, (dict(self.__dict__),)


_TIMES = ("created", "msecs", "relativeCreated")
_CHECKS = (
    ("logboot.check", logging.INFO, UNKNOWN_FILE, 0, "m %s", ({"k": 1},), None, "(unknown function)"),
    (
        "logboot.check",
        5,
        __file__,
        7,
        "m %s %s",
        (1, 2),
        None,
        "matches_stock",
        "Stack (most recent call last):",
    ),
)


def matches_stock() -> bool:
    """True when a ``LeanRecord`` and a ``LogRecord`` made from the same arguments, with the
    switches as they are now, hold the same attributes in the same order and the same
    values, the clock's apart (an interpreter whose ``LogRecord`` sets something else is
    left with its own)."""
    for arguments in _CHECKS:
        stock = logging.LogRecord(*arguments).__dict__
        lean = LeanRecord(*arguments).__dict__
        if list(stock) != list(lean) or any(stock[k] != lean[k] for k in stock if k not in _TIMES):
            return False
    return True


def install() -> bool:
    """Make ``LeanRecord`` logging's record factory if logging's own is in place and the two
    agree; True when it is the factory now."""
    factory = logging.getLogRecordFactory()
    if factory is LeanRecord:
        return True
    if factory is not logging.LogRecord or not matches_stock():
        return False
    logging.setLogRecordFactory(LeanRecord)
    return True


def uninstall() -> None:
    """Put logging's own factory back, if ``LeanRecord`` is still the factory."""
    if logging.getLogRecordFactory() is LeanRecord:
        logging.setLogRecordFactory(logging.LogRecord)
