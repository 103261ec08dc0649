"""The profile format, version 1, as pydantic models (validation only, no behaviour).

Field names are the YAML keys. Each model forbids unknown keys so that a typo is an
error with a "did you mean" hint, never a silently ignored setting.

This module holds the whole ``Profile``, the unions of the typed sections and the JSON
Schema. The models it is made of live by topic: the field types and the base ``Spec`` in
``logboot.values.fields``; each sink type's model beside its builder, in
``logboot/sinks/<builder>_spec.py``, named by ``logboot.sinks.SINK_TYPES``; formatters,
filters and the fixed sections (queues, listeners, loggers, shutdown) in
``logboot/profile/formatter_specs.py``, ``filter_specs.py`` and ``topology_specs.py``.
Every name this module held before stays importable from it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, PrivateAttr

from logboot.profile.control_specs import ControlSpec
from logboot.profile.filter_specs import (
    CustomFilterSpec,
    LevelFilterSpec,
    NameFilterSpec,
    RedactFilterSpec,
    Regex,
    ThrottleFilterSpec,
)
from logboot.profile.formatter_specs import JsonFormatterSpec, TextFormatterSpec
from logboot.profile.schema_export import plain_validator_schema
from logboot.profile.topology_specs import (
    RELOAD_SIGNAL_NAMES,
    SIGNAL_NAMES,
    ListenerSpec,
    LoggerSpec,
    QueueSpec,
    ReloadSpec,
    RootSpec,
    ShutdownSpec,
)
from logboot.profile.wiring import profile_root_queue
from logboot.sinks import SINK_TYPES, spec_model
from logboot.sinks.base_spec import SinkCommon
from logboot.sinks.concurrent_spec import ConcurrentRotatingFileSinkSpec
from logboot.sinks.console_spec import ConsoleSinkSpec
from logboot.sinks.custom_spec import CustomSinkSpec
from logboot.sinks.files_spec import FileSinkSpec, RotatingFileSinkSpec
from logboot.sinks.null_spec import NullSinkSpec
from logboot.sinks.otlp_spec import OtlpSinkSpec
from logboot.sinks.remote_spec import RemoteSinkCommon
from logboot.sinks.rfc5424 import SYSLOG_FACILITIES
from logboot.sinks.syslog_spec import SyslogSinkSpec, SyslogTlsSpec
from logboot.sinks.timed_spec import TimedRotatingFileSinkSpec
from logboot.values.fields import Duration, FileMode, Level, Name, Size, Spec

FormatterSpec = Annotated[Union[TextFormatterSpec, JsonFormatterSpec], Field(discriminator="type")]
FilterSpec = Annotated[
    Union[NameFilterSpec, LevelFilterSpec, RedactFilterSpec, ThrottleFilterSpec, CustomFilterSpec],
    Field(discriminator="type"),
]

# The sink types are the entries of SINK_TYPES, in its order: a new one is its modules and
# one line there. The type checker sees their common base (every sink's keys, and `type`);
# code that needs one type's keys narrows with isinstance.
if TYPE_CHECKING:
    SinkSpec = Annotated[SinkCommon, Field(discriminator="type")]
else:
    SinkSpec = Annotated[Union[tuple(spec_model(name) for name in SINK_TYPES)], Field(discriminator="type")]


class Profile(Spec):
    """A whole logboot profile, version 1."""

    version: Literal[1] = Field(description="Profile format version; always 1.", examples=[1])
    allow_custom: bool = Field(
        default=False,
        strict=True,
        description=(
            "Allow `custom` sinks and filters, whose `factory` is imported and run: the one way a "
            "profile runs code."
        ),
    )
    collect: Literal["all", "auto"] = Field(
        default="all",
        description=(
            "What each record gathers at the call: `all` (as logging does), or `auto`: turn off "
            "the caller, thread, process, process name and asyncio task collection that no "
            "formatter, filter or sink of this profile reads, until the runtime stops. The "
            "switches are logging's own and process-wide: other handlers in the process get "
            'records without those fields too (docs/operating.md, "Collect only what is read").'
        ),
        examples=["auto"],
    )
    formatters: dict[Name, FormatterSpec] = Field(
        default_factory=dict,
        description="How records become text, by name; sinks refer to them with `formatter`.",
        examples=[{"json": {"type": "json"}}],
    )
    filters: dict[Name, FilterSpec] = Field(
        default_factory=dict,
        description="Record filters, by name; loggers, queues and sinks refer to them in `filters`.",
        examples=[{"app_only": {"type": "name", "prefix": "app"}}],
    )
    sinks: dict[Name, SinkSpec] = Field(
        default_factory=dict,
        description="Where records are written, by name; listeners refer to them in `sinks`.",
        examples=[{"console": {"type": "console", "stream": "stderr", "level": "WARNING"}}],
    )
    queues: dict[Name, QueueSpec] = Field(
        default_factory=dict,
        description="Queues between the loggers and the listeners, by name; each has exactly one listener.",
        examples=[{"main": {"kind": "thread", "max_size": 10000, "overflow": "block"}}],
    )
    listeners: dict[Name, ListenerSpec] = Field(
        default_factory=dict,
        description="Listener threads, by name: each drains one queue into its sinks.",
        examples=[{"main": {"queue": "main", "sinks": ["console"]}}],
    )
    root: RootSpec = Field(
        default_factory=RootSpec,
        description="The root logger: its level and the queue it feeds.",
        examples=[{"level": "INFO", "queue": "main"}],
    )
    loggers: dict[Name, LoggerSpec] = Field(
        default_factory=dict,
        description="Settings of named loggers (levels, own queue, filters), by logger name.",
        examples=[{"urllib3": {"level": "WARNING"}}],
    )
    shutdown: ShutdownSpec = Field(
        default_factory=ShutdownSpec,
        description="How the runtime drains and stops at exit and on signals.",
        examples=[{"timeout": "5s", "signals": ["SIGTERM"]}],
    )
    reload: ReloadSpec = Field(
        default_factory=ReloadSpec,
        description=(
            "Live reload: watch the profile (and what it extends and read from the environment), "
            "or wait for a signal, then validate it again and swap the new topology in."
        ),
        examples=[{"watch": True, "interval": "2s", "signal": "SIGHUP"}],
    )
    control: ControlSpec = Field(
        default_factory=ControlSpec,
        description=(
            "Runtime control: a Unix socket (0600, same user only) that `logboot ctl` talks to: "
            "status, levels, set-level (for a while), reload, flush. None unless `socket` is set."
        ),
        examples=[{"socket": "${XDG_RUNTIME_DIR}/myapp/{pid}.sock"}],
    )
    _source: str | None = PrivateAttr(default=None)

    @property
    def source(self) -> str | None:
        """The file the profile was read from, if any."""
        return self._source

    def set_source(self, source: str | None) -> None:
        """Name the file this profile was read from (kept out of the model's fields)."""
        self._source = source

    def root_queue(self) -> str | None:
        """The queue the root logger feeds: its own, else the only queue."""
        return profile_root_queue(self)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of profile version 1, as plain Draft 2020-12 validators read it: unions
    pick their branch by ``type``, and values that are not plain strings take ``${...}`` too."""
    schema = Profile.model_json_schema()
    schema["properties"]["extends"] = {
        "type": "string",
        "description": (
            "Another profile (relative to this file) that this one is merged over; it must be a "
            "regular file inside this profile's folder tree or a folder allowed by extends_roots "
            "(--extends-root, $LOGBOOT_EXTENDS_ROOTS)."
        ),
        "examples": ["base.yaml"],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_URL
    schema["title"] = "logboot profile v1"
    _complete_fields(schema)
    return plain_validator_schema(schema)


#: Where the schema is to be published (docs/cli.md has the SchemaStore catalog entry);
#: templates point editors at it in their first line.
SCHEMA_URL = "https://json.schemastore.org/logboot.json"
#: The schema's file name: shipped in the package (``logboot/logboot.schema.json``, the same
#: bytes as ``schema_text()``) and written beside a profile by ``logboot init --schema``.
SCHEMA_FILE = "logboot.schema.json"


def schema_text() -> str:
    """The JSON Schema as ``logboot schema`` prints it and the package ships it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _complete_fields(schema: dict[str, Any]) -> None:
    """Give every property a description and examples, derived where the model is plain.

    A ``type`` tag is described by its model; a field with a default shows it as example.
    """
    models = [schema, *schema.get("$defs", {}).values()]
    for model in models:
        for name, prop in model.get("properties", {}).items():
            if name == "type" and "const" in prop:
                prop.setdefault("description", f"{prop['const']!r}: {model.get('description', '')}".strip())
            if "examples" in prop:
                continue
            if "const" in prop:
                prop["examples"] = [prop["const"]]
            elif prop.get("default") not in (None, [], {}):
                prop["examples"] = [prop["default"]]
            elif "enum" in prop:
                prop["examples"] = [prop["enum"][0]]


__all__ = [
    "RELOAD_SIGNAL_NAMES",
    "SCHEMA_FILE",
    "SCHEMA_URL",
    "SIGNAL_NAMES",
    "SYSLOG_FACILITIES",
    "ConcurrentRotatingFileSinkSpec",
    "ConsoleSinkSpec",
    "ControlSpec",
    "CustomFilterSpec",
    "CustomSinkSpec",
    "Duration",
    "FileMode",
    "FileSinkSpec",
    "FilterSpec",
    "FormatterSpec",
    "JsonFormatterSpec",
    "Level",
    "LevelFilterSpec",
    "ListenerSpec",
    "LoggerSpec",
    "Name",
    "NameFilterSpec",
    "NullSinkSpec",
    "OtlpSinkSpec",
    "Profile",
    "QueueSpec",
    "RedactFilterSpec",
    "Regex",
    "ReloadSpec",
    "RemoteSinkCommon",
    "RootSpec",
    "RotatingFileSinkSpec",
    "ShutdownSpec",
    "SinkCommon",
    "SinkSpec",
    "Size",
    "Spec",
    "SyslogSinkSpec",
    "SyslogTlsSpec",
    "TextFormatterSpec",
    "ThrottleFilterSpec",
    "TimedRotatingFileSinkSpec",
    "json_schema",
    "schema_text",
]
