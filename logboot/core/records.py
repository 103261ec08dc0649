"""A record made safe to hand over, cheaply: what the producer does before it enqueues.

The producer pays for what must happen before the record leaves the calling thread:
the message is merged with its args (so a later change to the args cannot change the
record) and an exception is rendered to text while its type and message stay fields.
Layout (time stamps, JSON) happens in the listener, off the hot path.
"""

from __future__ import annotations

import logging
import traceback


def exception_fields(record: logging.LogRecord) -> None:
    """Render ``exc_info`` to ``exc_text`` and keep its type and message as fields."""
    exc_info = record.exc_info
    if not exc_info:
        return
    exc_type, exc_value, _ = exc_info
    if exc_type is not None:
        record.exc_type = _qualified_name(exc_type)
        try:
            record.exc_message = str(exc_value)
        except Exception:  # noqa: BLE001 - a broken __str__ must not lose the record
            record.exc_message = f"<unprintable {exc_type.__name__} object>"
        if not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    record.exc_info = None


def _qualified_name(cls: type) -> str:
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def merge_message(record: logging.LogRecord) -> None:
    """Merge ``msg % args`` into ``msg``; a message that cannot be merged is kept, not lost."""
    try:
        message = record.getMessage()
    except Exception as err:  # noqa: BLE001 - a bad format string must not lose the record
        message = (
            f"{record.msg!r} % {record.args!r} "
            f"(logboot: the message could not be formatted: {type(err).__name__}: {err})"
        )
    record.msg = message
    record.args = None


def apply_filters(filterer: logging.Filterer, record: logging.LogRecord) -> logging.LogRecord | None:
    """Run ``filterer``'s filters as Python 3.12 does, on every version: ``None`` when one
    rejects the record; a filter that returns a record (``redact``) replaces it."""
    for filter_ in filterer.filters:
        result = filter_.filter(record) if hasattr(filter_, "filter") else filter_(record)
        if not result:
            return None
        if isinstance(result, logging.LogRecord):
            record = result
    return record


_LogRecord = logging.LogRecord


def prepare(record: logging.LogRecord) -> logging.LogRecord:
    """Everything the producer does to a record before it is enqueued."""
    msg = record.msg
    if record.args or msg.__class__ is not str:
        if msg.__class__ is str and record.__class__ is _LogRecord:
            # What getMessage() does for a plain record and a str message, without two calls.
            try:
                record.msg = msg % record.args
                record.args = None
            except Exception:  # noqa: BLE001 - merge_message keeps the record and says why
                merge_message(record)
        else:
            merge_message(record)
    if record.exc_info:
        exception_fields(record)
    return record


# The attributes every LogRecord has (``taskName`` from 3.12): what is not among them is an
# ``extra`` field. The one list of them, in the order LogRecord sets them (the order the
# process transport sends them in); formatters add the two they compute.
RECORD_ATTRIBUTE_ORDER: tuple[str, ...] = tuple(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
RECORD_ATTRIBUTES = frozenset(RECORD_ATTRIBUTE_ORDER)
