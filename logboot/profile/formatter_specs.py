"""The profile keys of each formatter type (``formatters:`` entries, chosen by ``type``)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from logboot.formatters.fields import JSON_FIELDS
from logboot.values.fields import Spec


class TextFormatterSpec(Spec):
    """One line of text per record, laid out by a format string."""

    type: Literal["text"] = Field(description="Plain text lines.")
    style: Literal["%", "{", "$"] = Field(
        default="{", description="Placeholder style of `format`.", examples=["{"]
    )
    format: str | None = Field(
        default=None,
        description="The layout, in the chosen `style`. Default: time, level, logger, message.",
        examples=["{asctime} {levelname:<8} {name}: {message}"],
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
        return value


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
