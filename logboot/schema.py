"""The profile format, version 1, as pydantic models (validation only, no behaviour).

Field names are the YAML keys. Each model forbids unknown keys so that a typo is an
error with a "did you mean" hint, never a silently ignored setting.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from .units import LEVEL_NAMES, parse_duration, parse_level, parse_mode, parse_size

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
                {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(ms|s|m|h)?\s*$"},
            ],
            "description": "Seconds as a number, or a string such as 500ms, 2s, 1m, 1h.",
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
Name = Annotated[str, Field(min_length=1)]


class Spec(BaseModel):
    """Base of every profile model: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- formatters -------------------------------------------------------------------------


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


JSON_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "process",
    "process_name",
    "thread",
    "thread_name",
    "module",
    "function",
    "line",
    "exception",
    "stack",
    "extra",
)


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


FormatterSpec = Annotated[Union[TextFormatterSpec, JsonFormatterSpec], Field(discriminator="type")]


# --- filters ----------------------------------------------------------------------------


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


FilterSpec = Annotated[Union[NameFilterSpec, LevelFilterSpec], Field(discriminator="type")]


# --- sinks ------------------------------------------------------------------------------


class SinkCommon(Spec):
    """Keys every sink type accepts."""

    level: Level = Field(default=0, description="Records below this level skip the sink.", examples=["INFO"])
    formatter: str | None = Field(
        default=None,
        description="Name of a formatter in `formatters`; default plain text.",
        examples=["json"],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Names of filters run in the listener before this sink."
    )


class ConsoleSinkSpec(SinkCommon):
    """Standard error or standard output."""

    type: Literal["console"]
    stream: Literal["stderr", "stdout"] = Field(default="stderr", description="Which stream.")
    color: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Colour the level names: `auto` on a terminal when NO_COLOR is unset.",
    )


class FileSinkSpec(SinkCommon):
    """Append to one file."""

    type: Literal["file"]
    path: str = Field(description="The file; missing folders are created.", examples=["logs/app.log"])
    mode: FileMode = Field(default=0o640, description="Permission bits of a new file.", examples=["0640"])
    encoding: str = Field(default="utf-8", description="Text encoding.")


class RotatingFileSinkSpec(FileSinkSpec):
    """A file that rolls over at a size."""

    type: Literal["rotating_file"]  # type: ignore[assignment]
    max_bytes: Size = Field(description="Roll over before the file would pass this size.", examples=["10MiB"])
    backup_count: int = Field(default=5, ge=0, description="How many rolled files to keep.", examples=[5])


class TimedRotatingFileSinkSpec(FileSinkSpec):
    """A file that rolls over at intervals."""

    type: Literal["timed_rotating_file"]  # type: ignore[assignment]
    when: Literal["S", "M", "H", "D", "midnight", "W0", "W1", "W2", "W3", "W4", "W5", "W6"] = Field(
        default="midnight", description="Unit of `interval` (W0 = Monday).", examples=["midnight"]
    )
    interval: int = Field(default=1, ge=1, description="How many units between rollovers.")
    backup_count: int = Field(default=7, ge=0, description="How many rolled files to keep.")
    utc: bool = Field(default=False, description="Roll over on UTC boundaries.")


class ConcurrentRotatingFileSinkSpec(FileSinkSpec):
    """A size-rotated file shared safely by independent processes (needs `logboot[concurrent]`)."""

    type: Literal["concurrent_rotating_file"]  # type: ignore[assignment]
    max_bytes: Size = Field(description="Roll over before the file would pass this size.", examples=["10MiB"])
    backup_count: int = Field(default=5, ge=1, description="How many rolled files to keep.", examples=[5])


class NullSinkSpec(SinkCommon):
    """Discards every record (useful to count, or to silence)."""

    type: Literal["null"]


SinkSpec = Annotated[
    Union[
        ConsoleSinkSpec,
        FileSinkSpec,
        RotatingFileSinkSpec,
        TimedRotatingFileSinkSpec,
        ConcurrentRotatingFileSinkSpec,
        NullSinkSpec,
    ],
    Field(discriminator="type"),
]


# --- queues, listeners, loggers ---------------------------------------------------------


class QueueSpec(Spec):
    """A queue between the producers (loggers) and one listener."""

    kind: Literal["thread", "process"] = Field(
        default="thread", description="`thread`: in-process; `process`: reachable from child processes."
    )
    max_size: int = Field(
        default=10_000, ge=0, description="Most records waiting at once; 0 = unbounded.", examples=[10000]
    )
    overflow: Literal["block", "drop_newest", "drop_oldest"] = Field(
        default="block", description="What happens to a record that arrives when the queue is full."
    )
    block_timeout: Duration | None = Field(
        default=None,
        description="With `block`: wait at most this long, then drop and count the record.",
        examples=["2s"],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Filters run in the producer before a record is enqueued."
    )

    @field_validator("block_timeout")
    @classmethod
    def _check_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        overflow = info.data.get("overflow")
        if value is not None and overflow is not None and overflow != "block":
            raise ValueError(f"applies only with `overflow: block`, not {overflow!r}")
        return value


class ListenerSpec(Spec):
    """One thread that drains one queue into its sinks."""

    queue: Name = Field(description="Name of the queue it drains.", examples=["main"])
    sinks: list[Name] = Field(
        min_length=1, description="Names of the sinks it writes to.", examples=[["console"]]
    )
    batch_size: int = Field(
        default=1024, ge=1, description="Most records handled between two flushes of the sinks."
    )


class LoggerSpec(Spec):
    """Settings of one named logger."""

    level: Level | None = Field(default=None, description="The logger's level.", examples=["WARNING"])
    queue: Name | None = Field(
        default=None, description="Send this logger's records to that queue (default: the root's)."
    )
    propagate: bool | None = Field(
        default=None,
        description=(
            "Pass records up to the parent. Default: false when `queue` or `filters` is set, else true."
        ),
    )
    filters: list[Name] = Field(default_factory=list, description="Filters run in the producer.")


class RootSpec(Spec):
    """The root logger."""

    level: Level = Field(default=logging.WARNING, description="The root level.", examples=["INFO"])
    queue: Name | None = Field(
        default=None, description="The queue of the root logger; default the only queue, if there is one."
    )
    filters: list[Name] = Field(default_factory=list, description="Filters run in the producer.")


SIGNAL_NAMES = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


class ShutdownSpec(Spec):
    """How the runtime ends."""

    timeout: Duration = Field(
        default=5.0, description="Longest time spent draining at stop.", examples=["5s"]
    )
    signals: list[Literal[SIGNAL_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="On these signals, drain the queues, then end as the process would have.",
        examples=[["SIGTERM"]],
    )


class Profile(Spec):
    """A whole logboot profile, version 1."""

    version: Literal[1] = Field(description="Profile format version; always 1.")
    formatters: dict[Name, FormatterSpec] = Field(default_factory=dict)
    filters: dict[Name, FilterSpec] = Field(default_factory=dict)
    sinks: dict[Name, SinkSpec] = Field(default_factory=dict)
    queues: dict[Name, QueueSpec] = Field(default_factory=dict)
    listeners: dict[Name, ListenerSpec] = Field(default_factory=dict)
    root: RootSpec = Field(default_factory=RootSpec)
    loggers: dict[Name, LoggerSpec] = Field(default_factory=dict)
    shutdown: ShutdownSpec = Field(default_factory=ShutdownSpec)
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file the profile was read from, if any."""
        return self._source

    def root_queue(self) -> str | None:
        """The queue the root logger feeds: its own, else the only queue."""
        if self.root.queue is not None:
            return self.root.queue
        if len(self.queues) == 1:
            return next(iter(self.queues))
        return None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of profile version 1."""
    schema = Profile.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another profile (relative to this file) that this one is merged over.",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "logboot profile v1"
    return schema
