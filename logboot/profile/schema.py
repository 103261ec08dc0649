"""The profile format, version 1, as pydantic models (validation only, no behaviour).

Field names are the YAML keys. Each model forbids unknown keys so that a typo is an
error with a "did you mean" hint, never a silently ignored setting.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from logboot.formatters.core import JSON_FIELDS
from logboot.profile.plain import root_queue
from logboot.sinks.rfc5424 import SYSLOG_FACILITIES as SYSLOG_FACILITIES  # noqa: PLC0414 - explicit re-export
from logboot.values.addresses import is_loopback, split_host_port, url_host
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


FilterSpec = Annotated[Union[NameFilterSpec, LevelFilterSpec, RedactFilterSpec], Field(discriminator="type")]


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
        default_factory=list,
        description="Names of filters run in the listener before this sink.",
        examples=[["app_only"]],
    )
    fallback: Name | None = Field(
        default=None,
        description="Name of another sink that takes the records this one fails to write.",
        examples=["console"],
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
    reopen: Literal["watch", "never"] = Field(
        default="watch",
        description=(
            "`watch`: before each batch, reopen the file if it was moved or deleted (logrotate); "
            "`never`: keep writing to the open file."
        ),
    )


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


_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_FACTORY = re.compile(rf"^{_DOTTED}:{_DOTTED}$")


class CustomSinkSpec(SinkCommon):
    """Your own ``logging.Handler``, made by a factory you name (needs `allow_custom: true`)."""

    type: Literal["custom"]
    factory: str = Field(
        description="`module:callable` imported and called by setup_logging; it returns a logging.Handler.",
        examples=["myapp.logs:make_handler"],
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments passed to the factory, as written.",
        examples=[{"capacity": 100}],
    )

    @field_validator("factory")
    @classmethod
    def _check_factory(cls, value: str) -> str:
        if not _FACTORY.match(value):
            raise ValueError(f"expected 'module:callable' (e.g. 'myapp.logs:make_handler'), got {value!r}")
        return value


# --- remote sinks (syslog, otlp) --------------------------------------------------------

# SYSLOG_FACILITIES (imported above) lives in sinks/rfc5424.py, which a start from the
# profile cache imports without pydantic; it stays importable from here for existing code.
_SYSLOG_NAME = re.compile(r"^[\x21-\x7e]+$")  # PRINTUSASCII, RFC 5424 section 6
_SD_NAME = re.compile(r"^[\x21-\x7e]{1,32}$")


def _check_sd_name(value: str, what: str) -> str:
    if not _SD_NAME.match(value) or any(c in value for c in '= ]"'):
        raise ValueError(
            f"{what} must be 1 to 32 printable ASCII characters without '=', ' ', ']' or '\"', got {value!r}"
        )
    return value


class RemoteSinkCommon(SinkCommon):
    """Keys every sink that ships records to another process accepts."""

    buffer_size: int = Field(
        default=10_000,
        ge=1,
        description=(
            "Most records held while the receiver is slow or unreachable; records that "
            "arrive when it is full are dropped and counted (`dropped` in stats)."
        ),
        examples=[10000],
    )
    backoff_max: Duration = Field(
        default=30.0,
        description=(
            "Longest wait between two attempts to reach the receiver; the wait starts at "
            "100ms and doubles after each failure up to this."
        ),
        examples=["30s"],
    )
    insecure: bool = Field(
        default=False,
        description="Allow plain text (no TLS) to a host other than this machine's loopback.",
        examples=[False],
    )


class SyslogTlsSpec(Spec):
    """TLS for syslog over TCP (RFC 5425)."""

    ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA(s) that sign the receiver's certificate; default the system's.",
        examples=["/etc/ssl/certs/logs-ca.pem"],
    )
    cert_file: str | None = Field(
        default=None,
        description="PEM client certificate, for receivers that require mutual TLS.",
        examples=["/etc/app/tls/client.pem"],
    )
    key_file: str | None = Field(
        default=None,
        description="PEM private key of `cert_file`; default: the key inside `cert_file`.",
        examples=["/etc/app/tls/client.key"],
    )
    verify: bool = Field(
        default=True,
        description="Check the receiver's certificate and name. Off only for tests: it allows interception.",
        examples=[True],
    )
    server_name: str | None = Field(
        default=None,
        description=(
            "Name expected in the receiver's certificate (and sent as SNI); default the host of `address`."
        ),
        examples=["logs.example.com"],
    )

    @field_validator("key_file")
    @classmethod
    def _check_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("cert_file") is None:
            raise ValueError("needs `cert_file`: a key is only used with its certificate")
        return value


class SyslogSinkSpec(RemoteSinkCommon):
    """RFC 5424 syslog to rsyslog, syslog-ng, Vector or Fluent Bit over TCP, UDP or a Unix socket."""

    type: Literal["syslog"]
    protocol: Literal["tcp", "udp", "unix"] = Field(
        default="tcp",
        description=(
            "`tcp`: octet-counted frames (RFC 6587), a multi-line record stays one message; "
            "`udp`: one datagram per record (RFC 5426), losses cannot be seen; "
            "`unix`: a local socket such as /dev/log."
        ),
        examples=["tcp"],
    )
    tls: SyslogTlsSpec | None = Field(
        default=None,
        description="Encrypt with TLS (only with `protocol: tcp`); `{}` uses the system's CAs.",
        examples=[{"ca_file": "/etc/ssl/certs/logs-ca.pem"}],
    )
    address: str = Field(
        description="`host:port` for tcp and udp (`[::1]:514` for IPv6), a socket path for unix.",
        examples=["127.0.0.1:514", "logs.example.com:6514", "/dev/log"],
    )
    app_name: str | None = Field(
        default=None,
        max_length=48,
        description="APP-NAME of each message; default the program's name.",
        examples=["checkout"],
    )
    facility: Literal[SYSLOG_FACILITIES] = Field(  # type: ignore[valid-type]
        default="user", description="Syslog facility of every message.", examples=["local0"]
    )
    hostname: str | None = Field(
        default=None,
        max_length=255,
        description="HOSTNAME of each message; default this machine's name.",
        examples=["web-1.example.com"],
    )
    structured_data: list[str] = Field(
        default_factory=list,
        description="Extra keys of a record sent as parameters of one STRUCTURED-DATA element.",
        examples=[["request_id", "user"]],
    )
    sd_id: str = Field(
        default="logboot@32473",
        description="SD-ID of that element: `name@<private enterprise number>`.",
        examples=["myapp@32473"],
    )
    utf8_bom: bool = Field(
        default=False,
        description=(
            "Start MSG with a byte order mark, as RFC 5424 asks of UTF-8 text; off by default "
            "because most receivers keep the mark as part of the message."
        ),
        examples=[False],
    )
    timeout: Duration = Field(
        default=5.0, description="Longest wait to connect or to send one batch.", examples=["5s"]
    )

    @field_validator("tls")
    @classmethod
    def _check_tls(cls, value: SyslogTlsSpec | None, info: ValidationInfo) -> SyslogTlsSpec | None:
        protocol = info.data.get("protocol")
        if value is not None and protocol not in (None, "tcp"):
            raise ValueError(f"TLS applies only to `protocol: tcp`, not {protocol!r}")
        return value

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str, info: ValidationInfo) -> str:
        protocol = info.data.get("protocol")
        if protocol == "unix" or protocol is None:
            if protocol == "unix" and not value:
                raise ValueError("expected the path of a Unix socket")
            return value
        host, _ = split_host_port(value)
        plain = "tls" in info.data and info.data["tls"] is None and not info.data.get("insecure")
        if plain and not is_loopback(host):
            raise ValueError(
                f"sends plain text to {host!r}, which is not this machine; "
                "add `tls:` (tcp) or set `insecure: true`"
            )
        return value

    @field_validator("app_name", "hostname")
    @classmethod
    def _check_header_field(cls, value: str | None) -> str | None:
        if value is not None and not _SYSLOG_NAME.match(value):
            raise ValueError(f"expected printable ASCII without spaces, got {value!r}")
        return value

    @field_validator("structured_data")
    @classmethod
    def _check_params(cls, value: list[str]) -> list[str]:
        for key in value:
            _check_sd_name(key, "a parameter name")
        return value

    @field_validator("sd_id")
    @classmethod
    def _check_sd_id(cls, value: str) -> str:
        return _check_sd_name(value, "an SD-ID")


class OtlpSinkSpec(RemoteSinkCommon):
    """OpenTelemetry logs over OTLP/HTTP (protobuf) to a collector; needs `logboot[otlp]`."""

    type: Literal["otlp"]
    endpoint: str = Field(
        default="http://localhost:4318/v1/logs",
        description="The collector's OTLP/HTTP logs URL, path included.",
        examples=["https://otel-collector.example.com:4318/v1/logs"],
        validate_default=True,
    )
    headers: dict[Name, str] = Field(
        default_factory=dict,
        description="HTTP headers sent with each request (authentication).",
        examples=[{"authorization": "Bearer ${OTLP_TOKEN}"}],
    )
    resource: dict[Name, str | int | float | bool] = Field(
        default_factory=dict,
        description="Resource attributes of every record; set at least `service.name`.",
        examples=[{"service.name": "checkout", "deployment.environment.name": "prod"}],
    )
    timeout: Duration = Field(
        default=10.0,
        description="Longest time one export (with the exporter's own retries) may take.",
        examples=["10s"],
    )
    compression: Literal["none", "gzip"] = Field(
        default="none", description="Compress request bodies.", examples=["gzip"]
    )

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str, info: ValidationInfo) -> str:
        scheme, host = url_host(value)
        if scheme == "http" and not info.data.get("insecure") and not is_loopback(host):
            raise ValueError(
                f"sends plain text to {host!r}, which is not this machine; "
                "use https:// or set `insecure: true`"
            )
        return value


SinkSpec = Annotated[
    Union[
        ConsoleSinkSpec,
        FileSinkSpec,
        RotatingFileSinkSpec,
        TimedRotatingFileSinkSpec,
        ConcurrentRotatingFileSinkSpec,
        NullSinkSpec,
        SyslogSinkSpec,
        OtlpSinkSpec,
        CustomSinkSpec,
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
        default_factory=list,
        description="Filters run in the producer before a record is enqueued.",
        examples=[["app_only"]],
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
        default=None,
        description="Send this logger's records to that queue (default: the root's).",
        examples=["audit"],
    )
    propagate: bool | None = Field(
        default=None,
        description=(
            "Pass records up to the parent. Default: false when `queue` or `filters` is set, else true."
        ),
        examples=[False],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Filters run in the producer.", examples=[["app_only"]]
    )


class RootSpec(Spec):
    """The root logger."""

    level: Level = Field(default=logging.WARNING, description="The root level.", examples=["INFO"])
    queue: Name | None = Field(
        default=None,
        description="The queue of the root logger; default the only queue, if there is one.",
        examples=["main"],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Filters run in the producer.", examples=[["app_only"]]
    )


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

    version: Literal[1] = Field(description="Profile format version; always 1.", examples=[1])
    allow_custom: bool = Field(
        default=False,
        strict=True,
        description=(
            "Allow `custom` sinks, whose `factory` is imported and run: the one way a profile runs code."
        ),
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
        return root_queue(self)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of profile version 1."""
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
    return schema


#: Where the schema is published; templates point editors at it in their first line.
SCHEMA_URL = "https://json.schemastore.org/logboot.json"


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
