"""``type: redact``: replace secrets in a record before any sink can see them.

Attached to a logger or a queue, the filter runs in the producer, before the record is
enqueued: no sink, local or remote, and no child-to-parent frame ever carries the
secret. It works on a copy (a filter that returns a record replaces it, as in Python
3.12), so redaction on one sink never changes what another sink receives.

What is scrubbed: the message merged with its args, the exception (rendered to text
first, so its message and traceback are covered), the stack, the text fields a record
carries (logger, thread, process, task and function names, file and module), and every
``extra`` value at any depth: strings by the patterns, dict keys too, the values of the
named ``keys`` whole (in mappings, named tuples and dataclasses, and in a message or
args of those shapes). Any other object is replaced by its ``str()``, scrubbed: that is
what a text layout shows, so what is written is what was scrubbed, whatever its ``repr``
or a later change to it would show. A structure deeper than ``_MAX_DEPTH``, or a cycle,
becomes the replacement. If redaction itself fails, the record fails closed: only the
replacement and the error's type are kept.
"""

from __future__ import annotations

import collections
import copy
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from logboot.core.records import ORIGINAL_NAMES, exception_fields, merge_message
from logboot.formatters.fields import STANDARD_ATTRS

# Deeper than any real structure, far below the recursion limit: beyond it, the replacement.
_MAX_DEPTH = 64
# The types kept as they are: they hold no text.
_PLAIN = frozenset({int, float, bool, type(None)})
# What is rebuilt item by item (besides mappings); anything else is rendered to its str().
_SEQUENCES = (list, tuple, set, frozenset, collections.deque)
_STRUCTURES = (Mapping, *_SEQUENCES)
# The text fields of every record that text from outside the program can reach.
_TEXT_FIELDS = (
    "name", "threadName", "processName", "taskName", "funcName", "module", "filename", "pathname", "exc_type",
)  # fmt: skip
_FIELD_CACHE_SIZE = 4096


class RedactFilter(logging.Filter):
    """Returns a scrubbed copy of each record (never drops one)."""

    def __init__(
        self, patterns: Iterable[str], keys: Iterable[str] = (), replacement: str = "[REDACTED]"
    ) -> None:
        super().__init__()
        self.patterns = [re.compile(p) for p in patterns]
        self.keys = frozenset(k.lower() for k in keys)
        self.replacement = replacement
        # Record text fields (logger, thread, file names) repeat: each is scrubbed once.
        self._fields: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:  # type: ignore[override]
        try:
            return self.redact(record)
        except Exception as err:  # noqa: BLE001 - fail closed: never let the secret through
            return self._closed(record, err)

    def redact(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy of ``record`` with every secret replaced."""
        out = copy.copy(record)
        if out.msg.__class__ is not str and _is_structure(out.msg):  # keys named before it is text
            out.msg = self.value(out.msg)
        if out.args:
            out.args = self._args(out.args)
        if out.args or out.msg.__class__ is not str:
            merge_message(out)
        out.msg = self.scrub(out.msg)
        if out.exc_info:
            exception_fields(out)
        if out.exc_text:
            out.exc_text = self.scrub(out.exc_text)
        fields = out.__dict__
        if isinstance(fields.get("exc_message"), str):
            fields["exc_message"] = self.scrub(fields["exc_message"])
        if out.stack_info:
            out.stack_info = self.scrub(out.stack_info)
        fields.pop("message", None)  # a formatter's cached copy of the unredacted message
        for name in ORIGINAL_NAMES:  # the unredacted call, kept for a custom sink
            fields.pop(name, None)
        self._text_fields(fields)
        for key in fields.keys() - STANDARD_ATTRS:
            self._extra(fields, key)
        return out

    def scrub(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub(self.replacement, text)
        return text

    def value(self, value: Any, depth: int = 0, open_: set[int] | None = None) -> Any:
        """An extra value with its secrets replaced, as a sink will render it: text scrubbed,
        numbers kept, containers rebuilt (keys scrubbed, named keys' values replaced whole),
        any other object replaced by its scrubbed str(). ``open_``: the ids of the
        containers being rebuilt around this value, to tell a cycle."""
        if value.__class__ is str:
            return self.scrub(value)
        if value.__class__ in _PLAIN:
            return value
        if _is_structure(value):
            return self._container(value, depth, set() if open_ is None else open_)
        return self.scrub(str(value))  # a Path, an exception, a str subclass: what a layout shows

    def _container(self, value: Any, depth: int, open_: set[int]) -> Any:
        if depth >= _MAX_DEPTH or id(value) in open_:
            return self.replacement  # too deep, or a cycle: fail closed
        open_.add(id(value))
        try:
            fields = _named_fields(value)
            if fields is not None:  # a named tuple or a dataclass: its fields are keys
                return self._mapping(fields, depth, open_)
            if isinstance(value, Mapping):
                return self._mapping(value, depth, open_)
            items = [self.value(item, depth + 1, open_) for item in value]
            if isinstance(value, (set, frozenset)):
                try:
                    return type(value)(items) if type(value) in (set, frozenset) else set(items)
                except TypeError:  # an item became unhashable (a named tuple, now a dict)
                    return items
            return tuple(items) if isinstance(value, tuple) else items
        finally:
            open_.discard(id(value))

    def _mapping(self, value: Mapping[Any, Any], depth: int, open_: set[int]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key, item in value.items():
            text = key if key.__class__ is str else str(key)
            # A number stays a number (JSON writes it as a key); any other key becomes its text.
            new_key = key if key.__class__ in _PLAIN else self.scrub(text)
            named = text.lower() in self.keys
            out[new_key] = self.replacement if named else self.value(item, depth + 1, open_)
        return out

    def _args(self, args: Any) -> Any:
        """The args with their containers rebuilt (so named keys are replaced); the other
        args are left for ``%`` to render (``%d`` of a Decimal) and scrubbed in the message."""
        if isinstance(args, Mapping):  # "%(token)s": the keys are named
            return self.value(args)
        return tuple(self.value(a) if _is_structure(a) else a for a in args)

    def _text_fields(self, fields: dict[str, Any]) -> None:
        cache = self._fields
        for name in _TEXT_FIELDS:
            text = fields.get(name)
            if text is None:
                continue
            if text.__class__ is not str:
                fields[name] = self.value(text)
                continue
            scrubbed = cache.get(text)
            if scrubbed is None:
                if len(cache) >= _FIELD_CACHE_SIZE:
                    cache.clear()
                scrubbed = cache[text] = self.scrub(text)
            fields[name] = scrubbed

    def _extra(self, fields: dict[Any, Any], key: Any) -> None:
        """Replace ``extra`` field ``key`` (its value, and its name if a pattern matches it)."""
        text = key if key.__class__ is str else str(key)
        value = fields.pop(key)
        redacted = self.replacement if text.lower() in self.keys else self.value(value)
        name = self.scrub(text)
        if name not in fields:  # a scrubbed name equal to another field's: dropped, not merged
            fields[name] = redacted

    def _closed(self, record: logging.LogRecord, err: Exception) -> logging.LogRecord:
        out = logging.LogRecord(
            record.name, record.levelno, record.pathname, record.lineno,
            f"{self.replacement} (logboot: redaction failed: {type(err).__name__})",
            None, None, record.funcName,
        )  # fmt: skip
        out.created, out.msecs, out.relativeCreated = record.created, record.msecs, record.relativeCreated
        return out


def _named_fields(value: Any) -> dict[str, Any] | None:
    """The fields of a named tuple or a dataclass instance, by name; None for anything else."""
    if isinstance(value, tuple):
        return value._asdict() if hasattr(value, "_asdict") else None
    names = getattr(type(value), "__dataclass_fields__", None)
    if not isinstance(names, dict) or isinstance(value, type):
        return None
    return {name: getattr(value, name) for name in names if hasattr(value, name)}


def _is_structure(value: object) -> bool:
    """``value`` is rebuilt item by item (its keys named) rather than rendered to its str()."""
    return isinstance(value, _STRUCTURES) or _named_fields(value) is not None
