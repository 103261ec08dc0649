"""Filter types a profile can name: ``name`` (a logger and its children), ``level``, ``redact``."""

from __future__ import annotations

import logging

from .redaction import RedactFilter
from .schema import FilterSpec, LevelFilterSpec, NameFilterSpec, RedactFilterSpec


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
    if isinstance(spec, NameFilterSpec):
        return logging.Filter(spec.prefix)
    if isinstance(spec, RedactFilterSpec):
        return RedactFilter(spec.patterns, spec.keys, spec.replacement)
    assert isinstance(spec, LevelFilterSpec)
    return LevelRangeFilter(spec.min, spec.max)
