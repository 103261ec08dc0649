"""The ``json`` formatter: one JSON object per record, of the fields a profile chose.

JSON escapes control characters itself. Records without a traceback, a stack or `extra`
fields are written by code compiled for the formatter's fields
(``logboot.formatters.json_layout``), the others on the general path, here.
"""

from __future__ import annotations

import json
import logging
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from logboot.formatters.base import ClockCache, CompiledFormatter
from logboot.formatters.fields import JSON_ATTRIBUTES, JSON_FIELDS, JSON_GENERAL_ONLY, STANDARD_ATTRS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from logboot.formatters.json_shape import ShapedLine


def _json_fallback(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not lose the record
        return f"<unrepresentable {type(value).__name__} object>"


def _json_safe(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with each value JSON cannot hold (tuple keys, a cycle) replaced by its repr."""
    safe: dict[str, Any] = {}
    for key, value in out.items():
        try:
            json.dumps(value, default=_json_fallback)
            safe[key] = value
        except (TypeError, ValueError, RecursionError):
            safe[key] = _json_fallback(value)
    return safe


# What json.dumps(out, default=_json_fallback, ensure_ascii=False) built anew for each call.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_fallback)


def _json_value(value: object) -> str:
    """``value`` as the general path writes it in a line: JSON, or the JSON string of its
    repr when JSON cannot hold it (a cycle, a dict with tuple keys), as ``_json_safe``."""
    if value.__class__ is str:
        return encode_basestring(value)
    if value.__class__ is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    try:
        return _JSON_ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError):
        return encode_basestring(_json_fallback(value))


class JsonFormatter(CompiledFormatter):
    """One JSON object per record; JSON escapes control characters itself.

    Records without a traceback, a stack or `extra` fields are written by code compiled
    for the formatter's fields (``logboot.formatters.json_layout``), the others on the general
    path, which builds a dict and encodes it. Both write the same text.
    """

    def __init__(
        self,
        fields: list[str] | None = None,
        utc: bool = True,
        preset: str | None = None,
        rename: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.fields = frozenset(fields or JSON_FIELDS)
        # A vendor's shape or renamed fields: nested objects, written by logboot.formatters.json_shape.
        self.preset = preset
        self.rename = dict(rename or {})
        self._shaped: ShapedLine | None = None
        if preset or rename:
            from logboot.formatters.json_shape import ShapedLine  # only for a line shaped so
            from logboot.formatters.presets import shape

            self._shaped = ShapedLine(shape(preset, self.rename, self.fields))
        # The fields written before `exception`, `stack` and `extra`, in the line's order.
        self._plain = tuple(
            f for f in JSON_FIELDS if f in self.fields and f not in (*JSON_GENERAL_ONLY, "extra")
        )
        self.utc = utc
        self._clock = ClockCache(None, utc)
        self._uncompiled()

    def _compile_paths(
        self,
    ) -> tuple[Callable[[logging.LogRecord], str], Callable[[Iterable[logging.LogRecord]], list[str]]]:
        if self._shaped is not None:
            return self._shaped.compile(self._clock.format, self._format_general, _json_value)
        from logboot.formatters.json_layout import compile_fields  # on first use, as in TextFormatter

        return compile_fields(
            self.fields, self._clock.format, self._format_general, _json_value, STANDARD_ATTRS
        )

    def _format_general(self, record: logging.LogRecord) -> str:
        """``format`` for any record: a dict of the fields, encoded."""
        if self._shaped is not None:
            return self._shaped.general(record, self._clock.format, _json_value, self.formatException)
        f = self.fields
        out: dict[str, Any] = {}
        for field in self._plain:
            if field == "time":
                out["time"] = self._clock.format(record.created, record.msecs)
            elif field == "message":
                out["message"] = record.getMessage()
            else:
                out[field] = getattr(record, JSON_ATTRIBUTES[field])
        if "exception" in f:
            if record.exc_info and not record.exc_text:
                record.exc_text = self.formatException(record.exc_info)
            if record.exc_text:
                out["exc_type"] = getattr(record, "exc_type", None) or _type_name(record)
                out["exc_message"] = getattr(record, "exc_message", None) or ""
                out["exc_traceback"] = record.exc_text
        if "stack" in f and record.stack_info:
            out["stack"] = record.stack_info
        if "extra" in f:
            for key, value in record.__dict__.items():
                if key not in STANDARD_ATTRS and key not in out:
                    out[key] = value
        try:
            return _JSON_ENCODER.encode(out)
        except (TypeError, ValueError, RecursionError):  # one odd extra must not lose the record
            return _JSON_ENCODER.encode(_json_safe(out))


def _type_name(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__qualname__
    return None
