"""Rates a profile writes as records per interval: ``100/s``, ``10/min``, ``5/h``, ``20/500ms``.

Like ``units``, free of pydantic: the profile keeps a rate as its normalised text
(``normalize_rate``), so the plain form of a cached profile holds the same string, and the
builder of a ``throttle`` filter turns it into numbers with ``parse_rate``.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

_RATE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*"
    r"(ms|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hour|hours)\s*$"
)
# Each unit as written, to its canonical name and its length in seconds.
_UNITS = {
    "ms": ("ms", 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), ("s", 1.0)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), ("min", 60.0)),
    **dict.fromkeys(("h", "hr", "hour", "hours"), ("h", 3600.0)),
}
RATE_EXAMPLE = "expected a rate such as 100/s, 10/min or 5/h"
RATE_PATTERN = _RATE.pattern  # for the JSON Schema


class RecordRate(NamedTuple):
    """``records`` per ``seconds``."""

    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds

    @property
    def text(self) -> str:
        """As a profile writes it: ``100/s``, ``10/min``, ``20/500ms``."""
        for unit, seconds in (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 0.001)):
            number = self.seconds / seconds
            if number >= 1 and number == round(number):
                return f"{self.records}/{'' if number == 1 else f'{number:.0f}'}{unit}"
        return f"{self.records}/{self.seconds:g}s"


def _match(value: Any) -> tuple[int, str, str]:
    """The count, the interval's number (``""`` for one) and its canonical unit."""
    if not isinstance(value, str) or not (match := _RATE.match(value)):
        raise ValueError(f"{RATE_EXAMPLE}, got {value!r}")
    count = int(match.group(1))
    if count < 1:
        raise ValueError(f"a rate lets at least 1 record through per interval, got {value!r}")
    number = match.group(2) or ""
    if number and float(number) == 0:
        raise ValueError(f"the interval of a rate must be longer than 0, got {value!r}")
    unit, _ = _UNITS[match.group(3)]
    return count, "" if number in ("", "1") else number, unit


def normalize_rate(value: Any) -> str:
    """``"100 / second"`` -> ``"100/s"``; ``"10/5 minutes"`` -> ``"10/5min"``. What a profile keeps."""
    count, number, unit = _match(value)
    return f"{count}/{number}{unit}"


def parse_rate(value: Any) -> RecordRate:
    """``"100/s"`` -> ``RecordRate(100, 1.0)``, ``"10/min"`` -> ``RecordRate(10, 60.0)``,
    ``"20/500ms"`` -> ``RecordRate(20, 0.5)``."""
    count, number, unit = _match(value)
    return RecordRate(count, float(number or 1) * _UNITS[unit][1])
