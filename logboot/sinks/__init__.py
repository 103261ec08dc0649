"""Sink types: the registry maps a profile's ``type`` to the module that builds it.

Entries are ``"module:function"`` strings imported on first use, so a sink type with
an optional dependency costs nothing until a profile uses it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from logboot.sinks.base import BatchSink, PartialWriteError

REGISTRY: dict[str, str] = {
    "console": "logboot.sinks.console:build",
    "file": "logboot.sinks.files:build_file",
    "rotating_file": "logboot.sinks.files:build_rotating",
    "timed_rotating_file": "logboot.sinks.timed:build",
    "null": "logboot.sinks.null:build",
    "concurrent_rotating_file": "logboot.sinks.concurrent:build",
    "syslog": "logboot.sinks.syslog:build",
    "otlp": "logboot.sinks.otlp:build",
    "custom": "logboot.sinks.custom:build",
}

# Sink types that need an optional package: type -> (importable module, pip extra).
OPTIONAL_DEPENDENCIES: dict[str, tuple[str, str]] = {
    "concurrent_rotating_file": ("concurrent_log_handler", "concurrent"),
    "otlp": ("opentelemetry.exporter.otlp.proto.http", "otlp"),
}


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
    module_name, _, attr = REGISTRY[sink_type].partition(":")
    function: Callable[[Any], logging.Handler] = getattr(importlib.import_module(module_name), attr)
    return function


__all__ = [
    "OPTIONAL_DEPENDENCIES",
    "REGISTRY",
    "BatchSink",
    "PartialWriteError",
    "builder",
    "missing_dependency",
]
