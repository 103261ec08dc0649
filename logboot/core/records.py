"""A record made safe to hand over, cheaply: what the producer does before it enqueues.

The producer pays for what must happen before the record leaves the calling thread:
the message is merged with its args (so a later change to the args cannot change the
record) and an exception is rendered to text while its type and message stay fields.
Layout (time stamps, JSON) happens in the listener, off the hot path.
"""

from __future__ import annotations

import logging
import traceback

from logboot.core.lean_record import LeanRecord


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


# The record attribute that lists the names of the context fields a record carries (a
# tuple of str, set by ``logboot.core.context``); formatters treat it as a standard
# attribute, never as a field to write.
CONTEXT_NAMES = "logboot_context"

# What a `custom` sink's handler needs of a record as it was logged, kept by the producer
# (``KeepOriginal``) in a profile with a custom sink, and given back by ``as_logged``.
ORIGINAL_CALL = "logboot_call"  # (message template, args), when every arg is plain data
ORIGINAL_EXC_INFO = "logboot_exc_info"  # the live exc_info: thread queues only (see as_logged)
ORIGINAL_NAMES = frozenset({ORIGINAL_CALL, ORIGINAL_EXC_INFO})
_PLAIN_ARGS = frozenset({str, int, float, bool, bytes, type(None)})


class KeepOriginal(logging.Filter):
    """The last filter of a producer's handler in a profile with a ``custom`` sink: keeps
    the call's template and args (when every arg is a str, number, bool, bytes or None:
    nothing that can change later, and something any process can unpickle) and the live
    exception, before the handler merges the message and renders the exception. Last, so a
    ``redact`` filter of the logger or queue has run (it merges and renders itself, and then
    nothing is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if args and args.__class__ is tuple and all(arg.__class__ in _PLAIN_ARGS for arg in args):
            record.logboot_call = (record.msg, args)
        if record.exc_info:
            record.logboot_exc_info = record.exc_info
        return True


def as_logged(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of a prepared record in the shape logging's formatter API expects, for a
    ``custom`` sink's handler and its formatter (ecs-logging's, uvicorn's, ...): the template
    and args back where they were kept (``getMessage()`` gives the same text), the exception
    back as ``exc_info`` where it is still alive (a thread queue) and otherwise a stand-in of
    the same type name and message (a child process sends the traceback as text,
    ``exc_text``, which the formatter API prints as it is), and logboot's own bookkeeping
    attributes left out."""
    cls = record.__class__
    copy = cls.__new__(cls)  # not makeLogRecord: LogRecord.__init__ would read the clock, the thread, ...
    attributes = copy.__dict__
    attributes.update(record.__dict__)
    call = attributes.pop(ORIGINAL_CALL, None)
    exc_info = attributes.pop(ORIGINAL_EXC_INFO, None)
    exc_type = attributes.pop("exc_type", None)
    exc_message = attributes.pop("exc_message", None)
    attributes.pop("message", None)
    attributes.pop(CONTEXT_NAMES, None)
    if call.__class__ is tuple and len(call) == 2 and call[1].__class__ is tuple:
        attributes["msg"], attributes["args"] = call
    if exc_info.__class__ is tuple and len(exc_info) == 3 and isinstance(exc_info[1], BaseException):
        attributes["exc_info"] = exc_info  # exc_text stays: the formatter API prints it as it is
    elif exc_type.__class__ is str:  # from another process: its type and message
        attributes["exc_info"] = stand_in(exc_type, exc_message)
    return copy


class RemoteException(Exception):  # noqa: N818 - named for what it stands in for
    """Stands in for an exception raised in another process: a subclass named as the
    original (``KeyError``, ``json.decoder.JSONDecodeError``), whose ``str`` is its message.
    The traceback travelled as text (``exc_text``)."""


_STAND_INS: dict[str, type[RemoteException]] = {}


def stand_in(qualified: str, message: object) -> tuple[type[BaseException], BaseException, None]:
    """An ``exc_info`` for an exception known by its type's name and its message only."""
    cls = _STAND_INS.get(qualified)
    if cls is None:
        module, _, name = qualified.rpartition(".")
        cls = type(name or qualified, (RemoteException,), {"__module__": module or "builtins"})
        cls.__qualname__ = name or qualified
        if len(_STAND_INS) < 256:  # a few types a program raises; never grows without bound
            _STAND_INS[qualified] = cls
    exception = cls(message if isinstance(message, str) else "")
    return cls, exception, None


_LogRecord = logging.LogRecord
_LeanRecord = LeanRecord  # a LogRecord with LogRecord's getMessage


def prepare(record: logging.LogRecord) -> logging.LogRecord:
    """Everything the producer does to a record before it is enqueued."""
    msg = record.msg
    if record.args or msg.__class__ is not str:
        if msg.__class__ is str and (record.__class__ is _LogRecord or record.__class__ is _LeanRecord):
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
