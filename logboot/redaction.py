"""``type: redact``: replace secrets in a record before any sink can see them.

Attached to a logger or a queue, the filter runs in the producer, before the record is
enqueued: no sink, local or remote, and no child-to-parent frame ever carries the
secret. It works on a copy (a filter that returns a record replaces it, as in Python
3.12), so redaction on one sink never changes what another sink receives.

What is scrubbed: the message merged with its args, the exception (rendered to text
first, so its message and traceback are covered), the stack, and every ``extra`` value
(strings by the patterns, the values of the named ``keys`` whole, nested mappings and
lists too). If redaction itself fails, the record fails closed: only the replacement
and the error's type are kept.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable
from typing import Any

from .formatters import STANDARD_ATTRS
from .records import exception_fields, merge_message

_MAX_DEPTH = 4
_PLAIN = (int, float, bool, type(None))


class RedactFilter(logging.Filter):
    """Returns a scrubbed copy of each record (never drops one)."""

    def __init__(
        self, patterns: Iterable[str], keys: Iterable[str] = (), replacement: str = "[REDACTED]"
    ) -> None:
        super().__init__()
        self.patterns = [re.compile(p) for p in patterns]
        self.keys = frozenset(k.lower() for k in keys)
        self.replacement = replacement

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:  # type: ignore[override]
        try:
            return self.redact(record)
        except Exception as err:  # noqa: BLE001 - fail closed: never let the secret through
            return self._closed(record, err)

    def redact(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy of ``record`` with every secret replaced."""
        out = copy.copy(record)
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
        for key in fields.keys() - STANDARD_ATTRS:
            fields[key] = self.replacement if key.lower() in self.keys else self.value(fields[key])
        return out

    def scrub(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub(self.replacement, text)
        return text

    def value(self, value: Any, depth: int = 0) -> Any:
        """An extra value with its secrets replaced; types kept where they hold no text."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, _PLAIN):
            return value
        if depth < _MAX_DEPTH:
            if isinstance(value, dict):
                return {
                    k: self.replacement if str(k).lower() in self.keys else self.value(v, depth + 1)
                    for k, v in value.items()
                }
            if type(value) in (list, tuple, set, frozenset):
                return type(value)(self.value(v, depth + 1) for v in value)
        text = repr(value)  # what a formatter would print: scrub it, keep the object if clean
        scrubbed = self.scrub(text)
        return value if scrubbed == text else scrubbed

    def _closed(self, record: logging.LogRecord, err: Exception) -> logging.LogRecord:
        out = logging.LogRecord(
            record.name, record.levelno, record.pathname, record.lineno,
            f"{self.replacement} (logboot: redaction failed: {type(err).__name__})",
            None, None, record.funcName,
        )  # fmt: skip
        out.created, out.msecs, out.relativeCreated = record.created, record.msecs, record.relativeCreated
        return out
