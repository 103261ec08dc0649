"""Pydantic building blocks of every spec model: the field types of a profile and the base ``Spec``.

Every spec model, of a sink in ``logboot/sinks/*_spec.py`` or of a section in
``logboot/profile/``, builds on these. This is the one module of ``logboot.values`` that
imports pydantic: the parsers it wires in (``units``) stay free of it, because a start from
the profile cache uses them without validating anything.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from logboot.values.rates import RATE_PATTERN, normalize_rate
from logboot.values.units import LEVEL_NAMES, parse_duration, parse_level, parse_mode, parse_size

Level = Annotated[
    int,
    BeforeValidator(parse_level),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": [*LEVEL_NAMES, *(n.lower() for n in LEVEL_NAMES)]},
                {"type": "integer", "minimum": 0},
            ],
            "description": "A level name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or number.",
        }
    ),
]
Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$"},
            ],
            "description": "Seconds as a number, or a string such as 500ms, 2s, 1m, 1h, 14d.",
        }
    ),
]
Size = Annotated[
    int,
    BeforeValidator(parse_size),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([KkMmGgTt][Ii]?[Bb]|[Bb])?\s*$"},
            ],
            "description": "Bytes as a number, or a string such as 500KB, 10MB, 10MiB.",
        }
    ),
]
FileMode = Annotated[
    int,
    BeforeValidator(parse_mode),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 4095},
                {"type": "string", "pattern": r"^(0o?)?[0-7]{3,4}$"},
            ],
            "description": "Permission bits of a new log file, in octal: '0640'.",
        }
    ),
]
Rate = Annotated[
    str,
    BeforeValidator(normalize_rate),  # kept as its normalised text: "100 / second" -> "100/s"
    WithJsonSchema(
        {
            "type": "string",
            "pattern": RATE_PATTERN,
            "description": "Records per interval: 100/s, 10/min, 5/h, 20/500ms.",
        }
    ),
]
Name = Annotated[str, Field(min_length=1)]

_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_FACTORY = re.compile(rf"^{_DOTTED}:{_DOTTED}$")


def check_factory(value: str, example: str) -> str:
    """A ``custom`` sink's or filter's ``factory``: ``module:callable``, dotted names only."""
    if not _FACTORY.match(value):
        raise ValueError(f"expected 'module:callable' (e.g. {example!r}), got {value!r}")
    return value


class Spec(BaseModel):
    """Base of every profile model: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True)


__all__ = ["Duration", "FileMode", "Level", "Name", "Rate", "Size", "Spec", "check_factory"]
