"""The profile keys of each formatter type (``formatters:`` entries, chosen by ``type``)."""

from __future__ import annotations

import logging
import re
import string
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from logboot.formatters.fields import CONTEXT_FIELD, JSON_FIELDS
from logboot.values.fields import Spec


class TextFormatterSpec(Spec):
    """One line of text per record, laid out by a format string."""

    type: Literal["text"] = Field(description="Plain text lines.")
    style: Literal["%", "{", "$"] = Field(
        default="{", description="Placeholder style of `format`.", examples=["{"]
    )
    format: str | None = Field(
        default=None,
        description=(
            "The layout, in the chosen `style`. Default: time, level, logger, message. Fields: "
            "a record's attributes, `message`, `asctime`, `context` (the request context's "
            "fields as `name=value` pairs) and any context or `extra` field by name (empty "
            "when a record lacks it); control characters are escaped in all of them."
        ),
        examples=["{asctime} {levelname:<8} {name}: {message}", "{asctime} {levelname} {message} {context}"],
    )
    datefmt: str | None = Field(
        default=None,
        description="strftime layout of `asctime`; default ISO 8601 with milliseconds.",
        examples=["%Y-%m-%dT%H:%M:%S"],
    )
    utc: bool = Field(default=False, description="Render times in UTC instead of local time.")

    @field_validator("format")
    @classmethod
    def _check_format(cls, value: str | None, info: ValidationInfo) -> str | None:
        style = info.data.get("style", "{")
        if value is not None:
            try:
                logging.Formatter(value, style=style, validate=True)
            except (ValueError, KeyError) as err:
                raise ValueError(f"does not match style {style!r}: {err}") from err
            _check_context_field(value, style)
        return value


# `%(context)` with a conversion that takes text (`s`, `r`, `a`), its flags and width.
_PERCENT_CONTEXT = re.compile(r"%\(context\)(?P<spec>[-#0 +]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]?)")


def _check_context_field(layout: str, style: str) -> None:
    """`context` is text: refuse a layout that would render it as a number (every record
    would fail in the sink, not at start)."""
    if style == "%":
        for match in _PERCENT_CONTEXT.finditer(layout):
            if match.group("spec")[-1:] not in ("s", "r", "a"):
                raise ValueError(f"`%(context){match.group('spec')}`: `context` is text; use `%(context)s`")
    elif style == "{":
        for _, name, spec, _ in string.Formatter().parse(layout):
            if name == CONTEXT_FIELD and spec:
                try:
                    format("k=v", spec)
                except ValueError as err:
                    raise ValueError(f"`{{context:{spec}}}`: `context` is text: {err}") from err


class JsonFormatterSpec(Spec):
    """One JSON object per line."""

    type: Literal["json"] = Field(description="JSON lines.")
    fields: list[Literal[JSON_FIELDS]] | None = Field(  # type: ignore[valid-type]
        default=None,
        description=(
            "Which fields each object carries; default all. `exception` adds exc_type, "
            "exc_message and exc_traceback; `extra` adds the record's extra keys."
        ),
        examples=[["time", "level", "logger", "message", "exception", "extra"]],
    )
    utc: bool = Field(default=True, description="Render `time` in UTC (ISO 8601).")
