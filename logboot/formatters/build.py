"""A formatter from its profile spec: the one place that picks ``text`` or ``json``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from logboot.formatters.json import JsonFormatter
from logboot.formatters.text import StdlibTextFormatter, TextFormatter

if TYPE_CHECKING:
    import logging

    from logboot.profile.schema import JsonFormatterSpec, TextFormatterSpec


def build_formatter(spec: TextFormatterSpec | JsonFormatterSpec | None) -> logging.Formatter:
    """A formatter from its spec; ``None`` gives the default text layout."""
    if spec is None:
        return TextFormatter()
    if spec.type == "json":  # not isinstance: a cached profile is plain data (see logboot.profile.plain)
        return JsonFormatter(
            list(spec.fields) if spec.fields else None, spec.utc, spec.preset, dict(spec.rename)
        )
    if spec.stdlib_layout:
        return StdlibTextFormatter(spec.format, spec.datefmt, spec.style, spec.utc)
    return TextFormatter(spec.format, spec.datefmt, spec.style, spec.utc)
