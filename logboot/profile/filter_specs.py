"""The profile keys of each filter type (``filters:`` entries, chosen by ``type``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from logboot.values.fields import Level, Name, Rate, Spec, check_factory


class NameFilterSpec(Spec):
    """Keep records of one logger and its children."""

    type: Literal["name"]
    prefix: str = Field(description="Logger name: keeps it and its children.", examples=["app.db"])


class LevelFilterSpec(Spec):
    """Keep records whose level lies in a range."""

    type: Literal["level"]
    min: Level | None = Field(default=None, description="Lowest level kept.", examples=["INFO"])
    max: Level | None = Field(default=None, description="Highest level kept.", examples=["WARNING"])

    @field_validator("max")
    @classmethod
    def _check_range(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min")
        if value is not None and low is not None and low > value:
            raise ValueError(f"below `min` ({low}): no record could pass")
        return value


def _check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise ValueError(f"not a valid regular expression: {err}") from err
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


class RedactFilterSpec(Spec):
    """Replace secrets before a sink sees them; on a logger or queue it runs in the producer."""

    type: Literal["redact"]
    patterns: list[Regex] = Field(
        default_factory=list,
        description="Regular expressions; each match in the message, extra values or exception is replaced.",
        examples=[[r"(?<=password=)\S+", r"\bsk-[A-Za-z0-9]{20,}\b"]],
    )
    keys: list[Name] = Field(
        default_factory=list,
        description="Extra keys whose values are replaced whole (case-insensitive, also in nested mappings).",
        examples=[["password", "token"]],
    )
    replacement: str = Field(default="[REDACTED]", description="What a secret is replaced with.")

    @model_validator(mode="after")
    def _check_something(self) -> RedactFilterSpec:
        if not self.patterns and not self.keys:
            raise ValueError("a redact filter needs `patterns` or `keys` (or both)")
        return self


class ThrottleFilterSpec(Spec):
    """Let at most `rate` records of each key through (a token bucket per key); the rest are
    dropped, counted, and summed up in one record when the key is quiet again."""

    type: Literal["throttle"]
    rate: Rate = Field(
        description="Records let through per interval, per key: 100/s, 10/min, 5/h, 20/500ms.",
        examples=["100/s"],
    )
    burst: int | None = Field(
        default=None,
        ge=1,
        description="How many records of a key may pass at once before the rate applies; "
        "default: the rate's count.",
        examples=[100],
    )
    key: Literal["message", "logger"] = Field(
        default="message",
        description="What is counted together: `message` (the logger and the message template, "
        "before its args are merged) or `logger` (every record of a logger).",
    )


class CustomFilterSpec(Spec):
    """Your own filter, made by a factory you name (needs `allow_custom: true`): what
    `dictConfig`'s `()` filters are, such as Django's `RequireDebugFalse`."""

    type: Literal["custom"]
    factory: str = Field(
        description="`module:callable` imported and called by setup_logging; it returns a logging.Filter "
        "(or any object with a `filter(record)` method, or a callable taking the record).",
        examples=["django.utils.log:RequireDebugFalse"],
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments passed to the factory, as written.",
        examples=[{"limit": 100}],
    )

    @field_validator("factory")
    @classmethod
    def _check_factory(cls, value: str) -> str:
        return check_factory(value, "myapp.logs:make_filter")
