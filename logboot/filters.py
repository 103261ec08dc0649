"""Filter types a profile can name: ``name`` (a logger and its children), ``level``, ``redact``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .redaction import RedactFilter

if TYPE_CHECKING:  # the models are for the type checker: a cached start never imports pydantic
    from .schema import FilterSpec


class LevelRangeFilter(logging.Filter):
    """Keeps records whose level lies in ``[low, high]``."""

    def __init__(self, low: int | None, high: int | None) -> None:
        super().__init__()
        self.low = low
        self.high = high

    def filter(self, record: logging.LogRecord) -> bool:
        level = record.levelno
        return (self.low is None or level >= self.low) and (self.high is None or level <= self.high)


def build_filter(spec: FilterSpec) -> logging.Filter:
    """A live filter from its spec."""
    # By `type`, not isinstance: a cached profile is plain data (see logboot.plain).
    if spec.type == "name":
        return logging.Filter(spec.prefix)
    if spec.type == "redact":
        return RedactFilter(spec.patterns, spec.keys, spec.replacement)
    return LevelRangeFilter(spec.min, spec.max)
