"""The profile keys of each formatter type (``formatters:`` entries, chosen by ``type``)."""

from __future__ import annotations

import logging
import re
import string
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from logboot.formatters.fields import CONTEXT_FIELD, JSON_FIELDS, format_fields
from logboot.formatters.presets import PRESETS, shape
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
    stdlib_layout: bool = Field(
        default=False,
        description=(
            "Lay records out exactly as `logging.Formatter` does: its time stamp (`2024-05-01 "
            "12:00:00,123` unless `datefmt`), and messages and tracebacks as they are, line breaks "
            "included. Byte for byte what the standard library writes, so a message can forge "
            "lines: only for sinks whose input you trust (a migration that must not change a "
            "byte). Fields a record lacks fail as they do in logging; no `context` field."
        ),
    )

    @field_validator("stdlib_layout")
    @classmethod
    def _check_stdlib_layout(cls, value: bool, info: ValidationInfo) -> bool:
        layout = info.data.get("format")
        if value and layout and CONTEXT_FIELD in format_fields(layout, info.data.get("style", "{")):
            raise ValueError("`context` is logboot's own field; logging.Formatter cannot lay it out")
        return value

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
    preset: Literal[PRESETS] | None = Field(  # type: ignore[valid-type]
        default=None,
        description=(
            "Shape each object as a log pipeline expects it: `ecs` (Elastic Common Schema, as "
            "ecs-logging writes it), `gcp` (Cloud Logging structured logging), `datadog`, `otel` "
            "(the OpenTelemetry log data model) or `logstash` (logstash-logback-encoder's "
            "fields). `fields` still chooses what is written; see docs/recipes.md for a line "
            "of each."
        ),
        examples=["ecs"],
    )
    rename: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Output names for fields (`level`, `logger`, `exc_traceback`... and any `extra` or "
            "context field), on top of the preset's: a dotted name nests "
            '(`{level: log.level}` writes `{"log": {"level": ...}}`). Two fields at one '
            "name, or a field where another needs an object, are refused."
        ),
        examples=[{"level": "severity", "request_id": "http.request.id"}],
    )

    @field_validator("rename")
    @classmethod
    def _check_rename(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if "fields" not in info.data or "preset" not in info.data:
            return value  # one of them is wrong already: that error is the one to read
        fields = info.data["fields"]
        shape(info.data["preset"], value, frozenset(fields) if fields else None)
        return value
