"""Child processes for the dictConfig tests (importable by spawn)."""

from __future__ import annotations

import logging
import logging.config
import os
from typing import Any


def load_and_log(document: dict[str, Any], count: int) -> None:
    """Load an exported dictConfig, as a spawned server worker does, and log ``count`` records."""
    logging.config.dictConfig(document)
    log = logging.getLogger("worker")
    for seq in range(count):
        log.info("worker %d record %d", os.getpid(), seq)
