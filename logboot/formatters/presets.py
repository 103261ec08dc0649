"""Where each field of a ``json`` line goes: the vendor presets, ``rename``, and the check of both.

A line is a list of items; each item has a name (what ``rename`` calls it), the entry of
``fields`` that writes it, the path it is written at (a path of more than one key nests
objects) and how its value is made. ``shape`` resolves a preset and a rename into that
list, once, and refuses a shape in which two items would meet: the same output name, or
one item's value where another needs an object. Paths are compared as dotted names
(``{"log.level": x}`` and ``{"log": {"level": x}}`` are one field to Elasticsearch), so
neither form can shadow the other.

The presets (the vendors' documented names; docs/recipes.md shows a line of each):

- ``ecs``: Elastic Common Schema as ``ecs-logging`` (Elastic's Python library) writes it:
  ``@timestamp``, ``log.level`` (lower case), ``message``, ``ecs.version`` as top-level
  dotted keys; ``log.logger``, ``log.origin.{file.name,file.line,function}``,
  ``process.{pid,name,thread.id,thread.name}``, ``error.{type,message,stack_trace}`` as
  nested objects. ``log.original`` is left out: it repeats ``message``.
- ``gcp``: Cloud Logging structured logging: ``time``, ``severity`` (DEFAULT, DEBUG, INFO,
  WARNING, ERROR, CRITICAL, by level number), ``message``,
  ``logging.googleapis.com/sourceLocation`` {file, line, function}, the logger in
  ``logging.googleapis.com/labels`` {python_logger} (as google-cloud-logging does), the
  traceback in ``stack_trace`` (which Error Reporting reads).
- ``datadog``: ``timestamp``, ``status`` (debug, info, warning, error, critical, by level
  number, so a custom level never maps by its first letter), ``message``, ``logger.name``,
  ``logger.thread_name``, ``logger.method_name``, ``error.{kind,message,stack}``.
- ``otel``: the OpenTelemetry log data model: ``Timestamp`` (nanoseconds since the epoch,
  as a string, as OTLP/JSON writes 64-bit numbers), ``SeverityText`` (the short names, as
  the ``otlp`` sink sends them), ``SeverityNumber`` (DEBUG 5, INFO 9, WARN 13, ERROR 17,
  FATAL 21, +1 per level above, as the ``otlp`` sink), ``Body``, ``InstrumentationScope``
  {Name: the logger}, ``Resource`` {process.pid} and ``Attributes`` (the semantic
  conventions' ``code.*``, ``thread.*``, ``exception.*``, and every `extra` field).
  ``service.name`` and the host are the collector's to add (resource detection): a record
  does not know them.
- ``logstash``: logstash-logback-encoder's standard fields: ``@timestamp``, ``@version``
  ("1"), ``message``, ``logger_name``, ``thread_name``, ``level``, ``level_value``,
  ``stack_trace``, ``caller_{file_name,method_name,line_number}``.

A field a preset has no name for is written where the `extra` fields go (the top level;
``Attributes`` for ``otel``) under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from logboot.formatters.fields import JSON_ATTRIBUTES, JSON_FIELDS, STANDARD_ATTRS

Path = tuple[str, ...]

PRESETS = ("ecs", "gcp", "datadog", "otel", "logstash")
ECS_VERSION = "1.6.0"  # what ecs-logging 2.x writes


@dataclass(frozen=True)
class Item:
    """One member of a line: ``name`` for ``rename``, the ``field`` that writes it (None:
    always), its ``path``, how its value is made (``kind``) and the record ``attribute``
    it reads."""

    name: str
    field: str | None
    path: Path
    kind: str
    attribute: str = ""
    constant: Any = None


@dataclass(frozen=True)
class Shape:
    """A resolved layout: the items written (in order), where `extra` fields go, whether
    they are written, and the `extra` fields ``rename`` moves (to a path from the top)."""

    items: tuple[Item, ...]
    container: Path
    extras: bool
    renamed: dict[str, Path]


# The items of a plain line, in its order: logboot's own names, each at the top level.
_PLAIN_KINDS = {"process": "int", "thread": "int", "line": "int", "time": "time", "message": "message"}
_EXCEPTION = ("exc_type", "exc_message", "exc_traceback")


def _plain_items() -> list[Item]:
    items = []
    for field in JSON_FIELDS:
        if field == "exception":
            items += [Item(name, "exception", (name,), name) for name in _EXCEPTION]
        elif field == "stack":
            items.append(Item("stack", "stack", ("stack",), "stack"))
        elif field != "extra":
            kind = _PLAIN_KINDS.get(field, "str")
            items.append(Item(field, field, (field,), kind, JSON_ATTRIBUTES.get(field, "")))
    return items


PLAIN_ITEMS = tuple(_plain_items())
# What each preset writes differently: (name, field, path, kind, attribute, constant).
_Row = tuple[str, str | None, Path, str, str, Any]
_SOURCE = "logging.googleapis.com/sourceLocation"
_TABLES: dict[str, tuple[list[_Row], Path]] = {
    "ecs": (
        [
            ("time", "time", ("@timestamp",), "time", "", None),
            ("level", "level", ("log.level",), "lower", "levelname", None),
            ("message", "message", ("message",), "message", "", None),
            ("ecs_version", None, ("ecs.version",), "constant", "", ECS_VERSION),
            ("logger", "logger", ("log", "logger"), "str", "name", None),
            ("line", "line", ("log", "origin", "file", "line"), "int", "lineno", None),
            ("module", "module", ("log", "origin", "file", "name"), "str", "filename", None),
            ("function", "function", ("log", "origin", "function"), "str", "funcName", None),
            ("process_name", "process_name", ("process", "name"), "str", "processName", None),
            ("process", "process", ("process", "pid"), "int", "process", None),
            ("thread", "thread", ("process", "thread", "id"), "int", "thread", None),
            ("thread_name", "thread_name", ("process", "thread", "name"), "str", "threadName", None),
            ("exc_type", "exception", ("error", "type"), "exc_type", "", None),
            ("exc_message", "exception", ("error", "message"), "exc_message", "", None),
            ("exc_traceback", "exception", ("error", "stack_trace"), "exc_traceback", "", None),
        ],
        (),
    ),
    "gcp": (
        [
            ("time", "time", ("time",), "time", "", None),
            ("level", "level", ("severity",), "gcp", "levelno", None),
            ("message", "message", ("message",), "message", "", None),
            ("module", "module", (_SOURCE, "file"), "str", "pathname", None),
            ("line", "line", (_SOURCE, "line"), "int", "lineno", None),
            ("function", "function", (_SOURCE, "function"), "str", "funcName", None),
            ("logger", "logger", ("logging.googleapis.com/labels", "python_logger"), "str", "name", None),
            ("exc_traceback", "exception", ("stack_trace",), "exc_traceback", "", None),
        ],
        (),
    ),
    "datadog": (
        [
            ("time", "time", ("timestamp",), "time", "", None),
            ("level", "level", ("status",), "datadog", "levelno", None),
            ("message", "message", ("message",), "message", "", None),
            ("logger", "logger", ("logger", "name"), "str", "name", None),
            ("thread_name", "thread_name", ("logger", "thread_name"), "str", "threadName", None),
            ("function", "function", ("logger", "method_name"), "str", "funcName", None),
            ("exc_type", "exception", ("error", "kind"), "exc_type", "", None),
            ("exc_message", "exception", ("error", "message"), "exc_message", "", None),
            ("exc_traceback", "exception", ("error", "stack"), "exc_traceback", "", None),
        ],
        (),
    ),
    "otel": (
        [
            ("time", "time", ("Timestamp",), "time_ns", "", None),
            ("level", "level", ("SeverityText",), "otel_text", "levelname", None),
            ("severity_number", "level", ("SeverityNumber",), "otel_number", "levelno", None),
            ("message", "message", ("Body",), "message", "", None),
            ("logger", "logger", ("InstrumentationScope", "Name"), "str", "name", None),
            ("process", "process", ("Resource", "process.pid"), "int", "process", None),
            ("module", "module", ("Attributes", "code.file.path"), "str", "pathname", None),
            ("function", "function", ("Attributes", "code.function.name"), "str", "funcName", None),
            ("line", "line", ("Attributes", "code.line.number"), "int", "lineno", None),
            ("thread", "thread", ("Attributes", "thread.id"), "int", "thread", None),
            ("thread_name", "thread_name", ("Attributes", "thread.name"), "str", "threadName", None),
            ("exc_type", "exception", ("Attributes", "exception.type"), "exc_type", "", None),
            ("exc_message", "exception", ("Attributes", "exception.message"), "exc_message", "", None),
            ("exc_traceback", "exception", ("Attributes", "exception.stacktrace"), "exc_traceback", "", None),
            ("stack", "stack", ("Attributes", "code.stacktrace"), "stack", "", None),
        ],
        ("Attributes",),
    ),
    "logstash": (
        [
            ("time", "time", ("@timestamp",), "time", "", None),
            ("version", None, ("@version",), "constant", "", "1"),
            ("message", "message", ("message",), "message", "", None),
            ("logger", "logger", ("logger_name",), "str", "name", None),
            ("thread_name", "thread_name", ("thread_name",), "str", "threadName", None),
            ("level", "level", ("level",), "str", "levelname", None),
            ("level_value", "level", ("level_value",), "int", "levelno", None),
            ("module", "module", ("caller_file_name",), "str", "filename", None),
            ("function", "function", ("caller_method_name",), "str", "funcName", None),
            ("line", "line", ("caller_line_number",), "int", "lineno", None),
            ("exc_traceback", "exception", ("stack_trace",), "exc_traceback", "", None),
        ],
        (),
    ),
}


def preset_items(preset: str | None) -> tuple[tuple[Item, ...], Path]:
    """Every item ``preset`` (None: the plain line) can write, in order, and where `extra`
    fields go; a field the preset has no name for, under its own name there."""
    if preset is None:
        return PLAIN_ITEMS, ()
    rows, container = _TABLES[preset]
    items = [Item(*row) for row in rows]
    named = {item.name for item in items}
    items += [
        Item(item.name, item.field, (*container, item.name), item.kind, item.attribute)
        for item in PLAIN_ITEMS
        if item.name not in named
    ]
    return tuple(items), container


def dotted(path: Path) -> Path:
    """``path`` as Elasticsearch reads it: every dot a level (``("log.level",)`` is ``("log", "level")``)."""
    return tuple(part for key in path for part in key.split("."))


def shape(preset: str | None, rename: dict[str, str] | None, fields: frozenset[str] | None = None) -> Shape:
    """The layout of a ``json`` formatter, or ``ValueError`` saying which names meet."""
    fields = fields if fields is not None else frozenset(JSON_FIELDS)
    every, container = preset_items(preset)
    known = {item.name: item for item in every}
    moved: dict[str, Path] = {}
    renamed: dict[str, Path] = {}
    for name, target in (rename or {}).items():
        path = _target(name, target)
        if name in known:
            moved[name] = path
        elif name in STANDARD_ATTRS:
            raise ValueError(
                f"`{name}` is a record attribute no JSON line writes; the fields it can rename "
                f"are {', '.join(repr(n) for n in known)}, and any `extra` field"
            )
        elif "extra" not in fields:
            raise ValueError(
                f"`{name}` is not a field this formatter writes (`extra` is not in its `fields`)"
            )
        else:
            renamed[name] = path
    items = tuple(
        Item(item.name, item.field, moved.get(item.name, item.path), item.kind, item.attribute, item.constant)
        for item in every
        if item.field is None or item.field in fields
    )
    placed = [(f"`{item.name}`", item.path) for item in items]
    placed += [(f"`{name}` (an `extra` field)", path) for name, path in renamed.items()]
    _check_apart(placed)
    if "extra" in fields:
        for who, path in placed:
            if dotted(container)[: len(dotted(path))] == dotted(path):
                raise ValueError(
                    f"{who} -> {'.'.join(path)!r} would take the place of the object the "
                    f"`extra` fields go in ({'.'.join(container)!r})"
                )
    return Shape(items, container, "extra" in fields, renamed)


def _target(name: str, target: object) -> Path:
    if not isinstance(target, str) or not target:
        raise ValueError(f"`{name}`: expected an output name, got {target!r}")
    path = tuple(target.split("."))
    if "" in path:
        raise ValueError(f"`{name}`: {target!r} has an empty part; a dot separates nested names")
    return path


def _check_apart(placed: list[tuple[str, Path]]) -> None:
    """``ValueError`` for two names at one output name, or one inside the other's value."""
    seen: dict[Path, str] = {}
    for who, path in placed:
        key = dotted(path)
        if key in seen:
            raise ValueError(f"{seen[key]} and {who} would both be written as {'.'.join(key)!r}")
        seen[key] = who
    for key, who in seen.items():
        for depth in range(1, len(key)):
            if key[:depth] in seen:
                outer = ".".join(key[:depth])
                raise ValueError(
                    f"{seen[key[:depth]]} is written as {outer!r}, which {who} "
                    f"({'.'.join(key)!r}) needs to be an object"
                )


# --- level names and numbers as each vendor wants them ---------------------------------

_BANDS = ((50, "CRITICAL"), (40, "ERROR"), (30, "WARNING"), (20, "INFO"))


def gcp_severity(levelno: int) -> str:
    """A level number as a Cloud Logging severity: NOTSET DEFAULT, a custom level the
    standard one at or below it (25 INFO, 5 DEBUG)."""
    if levelno <= 0:
        return "DEFAULT"
    return next((name for floor, name in _BANDS if levelno >= floor), "DEBUG")


def datadog_status(levelno: int) -> str:
    """A level number as a Datadog status: the standard level at or below it, lower case."""
    return next((name.lower() for floor, name in _BANDS if levelno >= floor), "debug")


# OTel severity text for Python's level names (the data model's short names), and the
# first SeverityNumber of each band: the same as the `otlp` sink (logboot/sinks/otlp.py).
OTEL_TEXT = {"WARNING": "WARN", "CRITICAL": "FATAL"}
_OTEL_BANDS = {10: 5, 20: 9, 30: 13, 40: 17, 50: 21}  # DEBUG, INFO, WARN, ERROR, FATAL


def otel_severity_number(levelno: int) -> int:
    """Python level -> OTel SeverityNumber: DEBUG 5, INFO 9, WARNING 13, ERROR 17,
    CRITICAL 21, up to 3 more for a level above one of those; below DEBUG 0 (UNSPECIFIED)."""
    if levelno < 10:
        return 0
    band = min(levelno // 10 * 10, 50)
    return min(_OTEL_BANDS[band] + min(levelno - band, 3), 24)
