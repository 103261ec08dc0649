"""``type: concurrent_rotating_file``: rotation shared by independent processes.

Several processes that are not children of one parent (separate services, cron jobs)
cannot share a size-rotated file through a queue. This sink uses the
concurrent-log-handler package, which holds a lock file around each write and each
rollover. It is an optional extra: ``pip install 'logboot[concurrent]'``.

Its files are opened as logboot's other file sinks open theirs (``_concurrent_files``):
never through a symlink, with exactly the configured mode; the log and the lock file are
opened at setup, so a refused path fails ``setup_logging`` with the path and the reason.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from logboot.errors import MissingDependencyError

if TYPE_CHECKING:
    from logboot.sinks.concurrent_spec import ConcurrentRotatingFileSinkSpec


def build(spec: ConcurrentRotatingFileSinkSpec) -> logging.Handler:
    try:
        importlib.import_module("concurrent_log_handler")
    except ImportError as err:
        raise MissingDependencyError(
            "concurrent_rotating_file", "concurrent-log-handler", "concurrent"
        ) from err
    from logboot.sinks.concurrent_files import SafeConcurrentRotatingFileHandler

    handler = SafeConcurrentRotatingFileHandler(
        Path(spec.path),
        spec.max_bytes,
        spec.backup_count,
        spec.mode,
        spec.encoding,
        spec.compress,
        spec.max_total_size,
    )
    try:
        handler.open_files()
    except BaseException:
        handler.close()
        raise
    return handler
