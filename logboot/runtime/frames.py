"""The frames a child's records travel in to its parent's process queue.

A frame is a 4-byte big-endian length, a kind byte, and its content (``logboot.runtime.
transport`` carries them, one pipe per child). What repeats from record to record is
sent once per connection:

- ``FIELDS`` opens a connection: the names of the child's standard record attributes,
  split into the call-site part (logger, level, path, function, line, thread, process)
  and the per-record part (message, time, exception text).
- ``SITE`` gives a call-site number to the call-site values the first time they occur.
- ``QUICK`` carries the common record (nothing but its standard attributes; args merged
  or empty; no exception text, no stack) packed, not pickled: its call-site number,
  whether its args are None or empty, its three times, and its message in UTF-8.
- ``RECORD`` carries a call-site number, the per-record values, and the extra attributes
  (made plain in the child: primitives kept, anything else replaced by its ``repr``) or
  None, pickled.
- ``DICT`` carries a whole record, pickled: one that lacks a standard attribute, or any
  record once a connection has numbered ``MAX_SITES`` call sites.

The parent rebuilds a record as a copy of its call site's attributes plus its own, so
the repeated strings are neither sent nor allocated again; a child on another Python
version (other attributes) still works, as the names come from the child. Measured
(docs/benchmarks.md, "Processes, round two"): a QUICK frame is half the child's
encoding of a RECORD frame, and a read's QUICK frames decode in a third of the time.
"""

from __future__ import annotations

import logging
import operator
import pickle
import struct
from typing import Any

from logboot.core.records import RECORD_ATTRIBUTE_ORDER, RECORD_ATTRIBUTES
from logboot.formatters.fields import STANDARD_ATTRS

_HEADER = struct.Struct("!I")
MAX_FRAME = 64 * 1024 * 1024  # a larger length is a corrupt stream, not a record
_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` if it is plain data (safe to unpickle anywhere), else its ``repr``."""
    if isinstance(value, _PLAIN):
        return value
    if depth < 4:
        if type(value) in (list, tuple):
            return type(value)(_plain(v, depth + 1) for v in value)
        if type(value) is dict:
            return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not lose the record
        return f"<unrepresentable {type(value).__name__} object>"


# The standard attributes of a record made in this process, in the order LogRecord sets
# them, split into what a call site repeats and what each record has of its own.
_FIELD_NAMES = RECORD_ATTRIBUTE_ORDER
_FIELD_SET = RECORD_ATTRIBUTES
_SITE_CANDIDATES = frozenset(
    {"name", "levelno", "levelname", "pathname", "filename", "module", "lineno", "funcName"}
    | {"thread", "threadName", "process", "processName", "taskName"}
)
SITE_NAMES = tuple(name for name in _FIELD_NAMES if name in _SITE_CANDIDATES)
OWN_NAMES = tuple(name for name in _FIELD_NAMES if name not in _SITE_CANDIDATES)
_site_values = operator.itemgetter(*SITE_NAMES)
_own_values = operator.itemgetter(*OWN_NAMES)
MAX_SITES = 4096  # call sites numbered per connection; later ones travel as DICT frames

FIELDS, SITE, RECORD, DICT = b"F", b"S", b"R", b"D"  # frame kinds: the byte after the length
QUICK = b"Q"
# A QUICK frame: the common record (no extras, no exception text, no stack; args None or
# empty; its times floats) as its call site's number, whether args is None, its three times,
# then the message in UTF-8: packed, not pickled (half the child's encoding, a third of the
# parent's decoding). Its length prefix and kind byte are packed with it.
_QUICK = struct.Struct("!IBIBddd")
_QUICK_SIZE = _QUICK.size
_QUICK_BODY = struct.Struct("!IBddd")  # the same, from after the kind byte
_QUICK_BODY_END = 1 + _QUICK_BODY.size  # where the message starts, from the kind byte
_QUICK_OWN = ("msg", "args", "exc_info", "exc_text", "stack_info", "created", "msecs", "relativeCreated")
_quick_values = operator.itemgetter(*_QUICK_OWN)
_FIELD_COUNT = len(_FIELD_NAMES)
_QUICK_BYTE = QUICK[0]
_QUICKLY = OWN_NAMES == _QUICK_OWN  # this Python's records fit the quick frame (3.10 to 3.14 do)


def _frame(kind: bytes, value: object) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload) + 1) + kind + payload


def _plain_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` with every extra value made plain (a copy only when there are extras)."""
    extras = attributes.keys() - STANDARD_ATTRS
    if not extras:
        return attributes
    plain = dict(attributes)
    for key in extras:
        plain[key] = _plain(plain[key])
    return plain


def _whole(attributes: dict[str, Any]) -> bytes:
    """A ``DICT`` frame: extras made plain, and every value too if that is not enough."""
    try:
        return _frame(DICT, _plain_attributes(attributes))
    except Exception:  # noqa: BLE001 - a standard attribute that cannot be pickled
        return _frame(DICT, {key: _plain(value) for key, value in attributes.items()})


class Encoder:
    """The child's side of one connection: turns records into frames, numbering call sites."""

    def __init__(self) -> None:
        self._sites: dict[tuple[Any, ...], int] = {}

    def opening(self) -> bytes:
        """The frame a connection starts with."""
        return _frame(FIELDS, (SITE_NAMES, OWN_NAMES))

    def encode(self, record: logging.LogRecord) -> bytes:
        """The frames for a prepared record (message merged, exception rendered)."""
        attributes = record.__dict__
        try:
            if len(attributes) == _FIELD_COUNT and _QUICKLY:  # no extras: perhaps a QUICK frame
                frame = self._quick(attributes)
                if frame is not None:
                    return frame
            return self._compact(attributes)
        except Exception:  # noqa: BLE001 - a missing, unhashable or unpicklable standard attribute
            return _whole(attributes)

    def _quick(self, attributes: dict[str, Any]) -> bytes | None:
        """The QUICK frame of a record of a numbered call site, if it fits one; else None."""
        msg, args, exc_info, exc_text, stack_info, created, msecs, relative = _quick_values(attributes)
        if (
            exc_info is None
            and exc_text is None
            and stack_info is None
            and msg.__class__ is str
            and (args is None or (args.__class__ is tuple and not args))
            and created.__class__ is msecs.__class__ is relative.__class__ is float
        ):
            number = self._sites.get(_site_values(attributes))
            if number is not None:
                try:
                    text = msg.encode()
                except UnicodeEncodeError:  # a lone surrogate: pickled instead
                    return None
                length = len(text) + _QUICK_SIZE - 4
                return _QUICK.pack(length, _QUICK_BYTE, number, args is None, created, msecs, relative) + text
        return None

    def _compact(self, attributes: dict[str, Any]) -> bytes:
        site, own = _site_values(attributes), _own_values(attributes)
        number = self._sites.get(site)
        extras = None
        if len(attributes) != len(_FIELD_NAMES):  # only then can there be more than the standard ones
            extras = {key: _plain(attributes[key]) for key in attributes.keys() - _FIELD_SET}
        if number is not None:
            return _frame(RECORD, (number, own, extras))
        if len(self._sites) >= MAX_SITES:
            return _whole(attributes)
        number = len(self._sites)
        frames = _frame(SITE, (number, site)) + _frame(RECORD, (number, own, extras))
        self._sites[site] = number  # only once its frame exists: the parent must get every site it hears of
        return frames


_new_record = logging.LogRecord.__new__
_FIELDS_BYTE, _SITE_BYTE, _RECORD_BYTE, _DICT_BYTE = FIELDS[0], SITE[0], RECORD[0], DICT[0]


class Decoder:
    """The parent's side of one connection: turns frames back into records."""

    def __init__(self) -> None:
        self._site_names: tuple[str, ...] | None = None
        self._own_names: tuple[str, ...] = ()
        self._quick = False  # the child's records fit QUICK frames
        # Per call site, its attributes followed by the record's own names (values None):
        # a record is a copy with its own values filled in.
        self._sites: list[dict[str, Any]] = []

    def decode(self, payload: bytes | memoryview) -> logging.LogRecord | None:
        """The record a frame carries (``payload`` starts at the kind byte); None for a
        frame that only sets up the connection. Raises ValueError on a frame that does not
        fit what the connection has said so far."""
        return self.decode_at(payload, 0, len(payload))

    def decode_at(
        self, data: bytes | bytearray | memoryview, start: int, end: int
    ) -> logging.LogRecord | None:
        """``decode`` for the frame whose kind byte is ``data[start]`` and that ends at ``end``."""
        if end <= start:
            raise ValueError("an empty frame")
        kind = data[start]
        if kind == _QUICK_BYTE:
            if not self._quick or end - start < _QUICK_BODY_END:
                raise ValueError("a quick record that does not fit its connection")
            number, bare, created, msecs, relative = _QUICK_BODY.unpack_from(data, start + 1)
            attributes = self._sites[number].copy()  # an IndexError is a corrupt frame too
            attributes["msg"] = bytes(data[start + _QUICK_BODY_END : end]).decode()
            if not bare:
                attributes["args"] = ()
            attributes["created"] = created
            attributes["msecs"] = msecs
            attributes["relativeCreated"] = relative
            record = _new_record(logging.LogRecord)
            record.__dict__ = attributes
            return record
        value = pickle.loads(data[start + 1 : end])  # noqa: S301 - only this user's processes reach the 0700 socket that hands pipes over
        if kind == _RECORD_BYTE:
            number, own, extras = value
            if not (0 <= number < len(self._sites)) or len(own) != len(self._own_names):
                raise ValueError("a record that does not match what its connection defined")
            attributes = self._sites[number].copy()
            attributes.update(zip(self._own_names, own))  # noqa: B905 - lengths checked above
            if extras:
                attributes.update(extras)
        elif kind == _DICT_BYTE:
            if type(value) is not dict:
                raise ValueError("a whole record must be a dict")
            attributes = value
        elif kind == _SITE_BYTE:
            self._define_site(value)
            return None
        elif kind == _FIELDS_BYTE:
            self._name_fields(value)
            return None
        else:
            raise ValueError(f"unknown frame kind {kind!r}")
        record = _new_record(logging.LogRecord)
        record.__dict__ = attributes
        return record

    def decode_frames(self, data: bytes | bytearray) -> tuple[list[logging.LogRecord], int, int]:
        """The records of the whole frames ``data`` starts with; where those frames end (-1 at
        a length no frame can have: the stream is corrupt from there); and how many frames
        could not be decoded (each is skipped, and the stream goes on).

        A QUICK frame is decoded here, as ``decode_at`` would, without a call per record
        (a sixth of the receiver's time); other frames go to ``decode_at``.
        """
        records: list[logging.LogRecord] = []
        keep, header, quick_body = records.append, _HEADER.unpack_from, _QUICK_BODY.unpack_from
        new, record_class, body_end, quick_byte = _new_record, logging.LogRecord, _QUICK_BODY_END, _QUICK_BYTE
        sites, quick = self._sites, self._quick  # read again after a frame of another kind
        position, size, bad = 0, len(data), 0
        while size - position >= 4:
            (length,) = header(data, position)
            if length > MAX_FRAME:
                return records, -1, bad
            start = position + 4
            end = start + length
            if end > size:
                break
            try:
                if length >= body_end and data[start] == quick_byte and quick:
                    number, bare, created, msecs, relative = quick_body(data, start + 1)
                    attributes = sites[number].copy()
                    attributes["msg"] = data[start + body_end : end].decode()
                    if not bare:
                        attributes["args"] = ()
                    attributes["created"] = created
                    attributes["msecs"] = msecs
                    attributes["relativeCreated"] = relative
                    record = new(record_class)
                    record.__dict__ = attributes
                    keep(record)
                else:
                    decoded = self.decode_at(data, start, end)
                    sites, quick = self._sites, self._quick
                    if decoded is not None:
                        keep(decoded)
            except Exception:  # noqa: BLE001 - one bad frame is counted, the stream goes on
                bad += 1
            position = end
        return records, position, bad

    def _name_fields(self, value: Any) -> None:
        if not (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(names, tuple) and all(isinstance(n, str) for n in names) for names in value)
        ):
            raise ValueError("a fields frame must carry two tuples of names")
        self._site_names, self._own_names = value
        self._quick = self._own_names == _QUICK_OWN
        self._sites = []

    def _define_site(self, value: Any) -> None:
        number, site = value
        if self._site_names is None or number != len(self._sites) or len(site) != len(self._site_names):
            raise ValueError("a call site that does not match what its connection defined")
        attributes = dict(zip(self._site_names, site))  # noqa: B905 - lengths checked above
        attributes.update(dict.fromkeys(self._own_names))
        self._sites.append(attributes)
