"""Parsers for the human units a profile accepts: levels, durations, sizes, file modes."""

from __future__ import annotations

import difflib
import logging
import re
from typing import Any

LEVEL_NAMES = ("NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_SHED_AT = 0.8  # a queue's `shed_at` (a fill fraction) when the profile gives none
DEFAULT_QUEUE_BYTES = 2 << 20  # a queue's `max_bytes` when the profile gives none (2 MiB)
DEFAULT_BATCH_BYTES = 256 << 10  # a listener's `batch_bytes` when the profile gives none (256 KiB)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}


def parse_level(value: Any) -> int:
    """``"info"``, ``"INFO"`` or ``20`` -> 20; custom names registered with logging work too."""
    if isinstance(value, bool):
        raise ValueError(f"expected a level name or number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a level number cannot be negative, got {value!r}")
        return value
    if isinstance(value, str):
        name = value.strip().upper()
        if name == "WARN":
            name = "WARNING"
        number = (
            logging.getLevelNamesMapping().get(name) if hasattr(logging, "getLevelNamesMapping") else None
        )
        if number is None:
            found = logging.getLevelName(name)
            number = found if isinstance(found, int) else None
        if number is not None:
            return number
        close = difflib.get_close_matches(name, LEVEL_NAMES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        choices = ", ".join(map(repr, LEVEL_NAMES))
        raise ValueError(f"expected one of {choices} or a number, got {value!r}{hint}")
    raise ValueError(f"expected a level name or number, got {value!r}")


def level_name(level: int) -> str:
    """``20`` -> ``"INFO"``; a number without a registered name stays a number in text (``"15"``)."""
    name = logging.getLevelName(level)
    return name if isinstance(name, str) and not name.startswith("Level ") else str(level)


def parse_duration(value: Any) -> float:
    """``2``, ``2.5``, ``"500ms"``, ``"2s"``, ``"1m"``, ``"1h"``, ``"14d"`` -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 2s or 500ms, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as 2s, 500ms or 1m, got {value!r}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    return seconds


def parse_size(value: Any) -> int:
    """``1024``, ``"10MB"``, ``"10MiB"`` -> bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 10MiB, got {value!r}")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := _SIZE.match(value)):
        unit = (match.group(2) or "B").upper()
        size = int(float(match.group(1)) * _SIZE_UNITS[unit])
    else:
        raise ValueError(f"expected a size such as 10MiB, 500KB or a number of bytes, got {value!r}")
    if size < 0:
        raise ValueError(f"a size cannot be negative, got {value!r}")
    return size


def parse_mode(value: Any) -> int:
    """``0o640`` (YAML ``0640``), ``"0640"`` or ``"640"`` -> 0o640."""
    if isinstance(value, bool):
        raise ValueError(f"expected an octal file mode such as '0640', got {value!r}")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"(0o?)?[0-7]{3,4}", value.strip()):
        mode = int(value.strip().removeprefix("0o"), 8)
    else:
        raise ValueError(f"expected an octal file mode such as '0640', got {value!r}")
    if not 0 <= mode <= 0o7777:
        raise ValueError(f"expected an octal file mode such as '0640', got {value!r}")
    return mode
