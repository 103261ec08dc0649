"""The field names formatters know: the JSON fields, a record's standard attributes, a layout's fields.

What a `json` formatter can write, which attributes every record has (anything else came
from ``extra=``), and the one reading of the field names a format string uses, in each of
the three styles (``%``, ``{``, ``$``), which the import of a ``dictConfig`` asks too.
"""

from __future__ import annotations

import logging
import re
import string
import sys
from typing import Any

from logboot.core.records import CONTEXT_NAMES, ORIGINAL_NAMES, RECORD_ATTRIBUTES

# What a `json` formatter can write (its `fields`); the default is all of them.
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
# The fields of JSON_FIELDS that only the general path writes (a traceback, a stack).
JSON_GENERAL_ONLY = ("exception", "stack")
# The fields of JSON_FIELDS read straight off a record, and the attribute each one reads.
JSON_ATTRIBUTES = {
    "level": "levelname",
    "logger": "name",
    "process": "process",
    "process_name": "processName",
    "thread": "thread",
    "thread_name": "threadName",
    "module": "module",
    "function": "funcName",
    "line": "lineno",
}

# The two fields a formatter computes for a layout (``record.message``, ``record.asctime``).
COMPUTED_FIELDS = frozenset({"message", "asctime"})
# What a layout may read off any record: the attributes every record has, and the two the
# formatter computes. (Not `taskName` before 3.12: records lack it.)
RECORD_FIELDS = RECORD_ATTRIBUTES | COMPUTED_FIELDS
# Attributes that are not `extra` fields: those of RECORD_FIELDS, the exception's type and
# message (``logboot.core.records.exception_fields``), `taskName` on every version, and the
# names of a record's context fields (``logboot.core.context``; the fields themselves are
# written as `extra` fields are, the list of their names never).
STANDARD_ATTRS = RECORD_FIELDS | {"exc_type", "exc_message", "taskName", CONTEXT_NAMES} | ORIGINAL_NAMES
# The test compiled layouts make that a record's ``attributes`` (its ``__dict__``) hold no
# `extra` field: every key is one of ``standard``. From 3.11, a set made of the dict's
# keys with their stored hashes is checked faster than the keys view is walked (0.28
# against 0.35 µs a record here); 3.10 the other way round (0.37 against 0.30).
ONLY_STANDARD = (
    "standard.issuperset(attributes)" if sys.version_info >= (3, 11) else "attributes.keys() <= standard"
)
# The layout field that shows a record's context fields as `k=v` pairs (text formatters).
CONTEXT_FIELD = "context"


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The keys a record carries beyond the standard ones (from ``extra=``)."""
    return {k: v for k, v in record.__dict__.items() if k not in STANDARD_ATTRS}


_PERCENT_FIELD = re.compile(r"%\((\w+)\)")


def format_fields(fmt: str, style: str) -> list[str]:
    """The names of the record fields the format string ``fmt`` (of ``style``: "%", "{" or
    "$") reads, in order, repeats kept; for "{", the name before any ``.attr`` or ``[key]``."""
    if style == "{":
        return [name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(fmt) if name]
    if style == "%":
        return _PERCENT_FIELD.findall(fmt)  # the names in %(name)s
    return [
        m.group("named") or m.group("braced")
        for m in string.Template.pattern.finditer(fmt)
        if m.group("named") or m.group("braced")
    ]
