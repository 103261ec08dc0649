"""``type: concurrent_rotating_file``: rotation shared by independent processes.

Several processes that are not children of one parent (separate services, cron jobs)
cannot share a size-rotated file through a queue. This sink uses the
concurrent-log-handler package, which holds a lock file around each write and each
rollover. It is an optional extra: ``pip install 'logboot[concurrent]'``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MissingDependencyError

if TYPE_CHECKING:  # the models are for the type checker: a cached start never imports pydantic
    from ..schema import ConcurrentRotatingFileSinkSpec


def build(spec: ConcurrentRotatingFileSinkSpec) -> logging.Handler:
    try:
        module = importlib.import_module("concurrent_log_handler")
    except ImportError as err:
        raise MissingDependencyError(
            "concurrent_rotating_file", "concurrent-log-handler", "concurrent"
        ) from err
    path = Path(spec.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler: logging.Handler = module.ConcurrentRotatingFileHandler(
        str(path),
        mode="a",
        maxBytes=spec.max_bytes,
        backupCount=spec.backup_count,
        encoding=spec.encoding,
        chmod=spec.mode,
    )
    return handler
