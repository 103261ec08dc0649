"""Sink types: one line of ``SINK_TYPES`` per profile ``type`` names its spec model and builder.

A sink type is two modules beside each other, ``<name>.py`` (the builder: what a start
runs, also a start from the profile cache) and ``<name>_spec.py`` (its pydantic model:
only validation imports it), and one entry below. The entries are ``"module:name"``
strings imported on first use, so a sink type costs nothing until a profile uses it, a
start from the cache never imports a spec, and the profile's union of sink specs
(``logboot.profile.schema.SinkSpec``) is assembled from this table, in its order.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from logboot.sinks.base import BatchSink, PartialWriteError

if TYPE_CHECKING:  # pydantic: for the type checker only (see spec_model)
    from logboot.sinks.base_spec import SinkCommon


class SinkType(NamedTuple):
    """One sink type: where its spec model and its builder are, and what it needs installed."""

    spec: str  # "module:Class" of its pydantic model; the class's `type` Literal is its key
    build: str  # "module:function" that turns a spec (model or plain) into a logging.Handler
    needs: tuple[str, str] | None = None  # (importable module, pip extra) of an optional package


# In the order of the profile's union of sink specs (the JSON Schema lists them so).
SINK_TYPES: dict[str, SinkType] = {
    "console": SinkType("logboot.sinks.console_spec:ConsoleSinkSpec", "logboot.sinks.console:build"),
    "file": SinkType("logboot.sinks.files_spec:FileSinkSpec", "logboot.sinks.files:build_file"),
    "rotating_file": SinkType(
        "logboot.sinks.files_spec:RotatingFileSinkSpec", "logboot.sinks.files:build_rotating"
    ),
    "timed_rotating_file": SinkType(
        "logboot.sinks.timed_spec:TimedRotatingFileSinkSpec", "logboot.sinks.timed:build"
    ),
    "concurrent_rotating_file": SinkType(
        "logboot.sinks.concurrent_spec:ConcurrentRotatingFileSinkSpec",
        "logboot.sinks.concurrent:build",
        ("concurrent_log_handler", "concurrent"),
    ),
    "null": SinkType("logboot.sinks.null_spec:NullSinkSpec", "logboot.sinks.null:build"),
    "syslog": SinkType("logboot.sinks.syslog_spec:SyslogSinkSpec", "logboot.sinks.syslog:build"),
    "otlp": SinkType(
        "logboot.sinks.otlp_spec:OtlpSinkSpec",
        "logboot.sinks.otlp:build",
        ("opentelemetry.sdk.resources", "otlp"),
    ),
    "custom": SinkType("logboot.sinks.custom_spec:CustomSinkSpec", "logboot.sinks.custom:build"),
}

# Sink types that need an optional package: type -> (importable module, pip extra).
# Derived from SINK_TYPES; ``missing_dependency`` reads it (tests replace entries).
OPTIONAL_DEPENDENCIES: dict[str, tuple[str, str]] = {
    name: kind.needs for name, kind in SINK_TYPES.items() if kind.needs is not None
}


def load(reference: str) -> Any:
    """The object a ``"module:name"`` string names, its module imported if need be."""
    module_name, _, attr = reference.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def missing_dependency(sink_type: str) -> tuple[str, str] | None:
    """(module, extra) when ``sink_type`` needs a package that is not installed."""
    needed = OPTIONAL_DEPENDENCIES.get(sink_type)
    if needed is None:
        return None
    try:
        importlib.import_module(needed[0])
    except ImportError:
        return needed
    return None


def builder(sink_type: str) -> Callable[[Any], logging.Handler]:
    """The function that builds a sink of ``sink_type`` from its spec."""
    function: Callable[[Any], logging.Handler] = load(SINK_TYPES[sink_type].build)
    return function


def spec_model(sink_type: str) -> type[SinkCommon]:
    """The pydantic model of ``sink_type``'s profile entry. It imports pydantic: validation
    calls it, never a start (a builder takes the model or its plain form alike)."""
    model: type[SinkCommon] = load(SINK_TYPES[sink_type].spec)
    return model


__all__ = [
    "OPTIONAL_DEPENDENCIES",
    "SINK_TYPES",
    "BatchSink",
    "PartialWriteError",
    "SinkType",
    "builder",
    "load",
    "missing_dependency",
    "spec_model",
]
