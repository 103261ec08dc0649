"""The frames between a child and its parent's process queue: encoded, decoded, refused."""

from __future__ import annotations

import logging
import pickle
import struct
import sys
import threading

import pytest

from logboot.core.records import prepare
from logboot.runtime.frames import (
    DICT,
    FIELDS,
    MAX_FRAME,
    MAX_SITES,
    OWN_NAMES,
    QUICK,
    RECORD,
    SITE,
    SITE_NAMES,
    Decoder,
    Encoder,
)


def record(message: str = "user %s did %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("app", logging.INFO, __file__, 7, message, args or ("ada", "login"), None, "f")
    made.__dict__.update(extra)
    return prepare(made)


def split(frames: bytes) -> list[tuple[bytes, memoryview]]:
    """The (kind, payload from the kind byte) of each frame in ``frames``; all whole."""
    out, position = [], 0
    while position < len(frames):
        (length,) = struct.unpack_from("!I", frames, position)
        payload = memoryview(frames)[position + 4 : position + 4 + length]
        assert len(payload) == length
        out.append((bytes(payload[:1]), payload))
        position += 4 + length
    return out


class Wire:
    """An encoder and a decoder joined as a connection would join them."""

    def __init__(self) -> None:
        self.encoder, self.decoder = Encoder(), Decoder()
        self.kinds: list[bytes] = []
        self.send(self.encoder.opening())

    def send(self, frames: bytes) -> list[logging.LogRecord]:
        arrived = []
        for kind, payload in split(frames):
            self.kinds.append(kind)
            decoded = self.decoder.decode(payload)
            if decoded is not None:
                arrived.append(decoded)
        return arrived

    def roundtrip(self, sent: logging.LogRecord) -> logging.LogRecord:
        (arrived,) = self.send(self.encoder.encode(sent))
        return arrived


def test_a_call_site_is_sent_once_and_records_arrive_equal() -> None:
    """The first record of a call site defines it; later ones carry only their own values."""
    wire = Wire()
    first, second = record("n %d", 1), record("n %d", 2)
    assert wire.roundtrip(first).__dict__ == first.__dict__
    assert wire.roundtrip(second).__dict__ == second.__dict__
    assert wire.kinds == [FIELDS, SITE, RECORD, QUICK]
    elsewhere = logging.LogRecord("other", logging.WARNING, __file__, 99, "x", None, None, "g")
    assert wire.roundtrip(prepare(elsewhere)).__dict__ == elsewhere.__dict__
    assert wire.kinds[-2:] == [SITE, RECORD]
    later = wire.encoder.encode(record("n %d", 3))
    assert len(later) < 100  # the call site's strings are not sent again


def test_the_common_record_travels_packed_and_arrives_equal() -> None:
    """A record with nothing but its standard attributes (args merged or empty, no exception)
    goes as a QUICK frame; one that does not fit it goes pickled; each arrives equal, with
    its attributes in the order the pickled frames give them."""
    wire = Wire()
    wire.roundtrip(record("first %s", "x"))
    bare = record("no %s", "args")
    bare.args = ()  # merged, or none given: LogRecord keeps ()
    unicode = record("naïve ✓ %s", "日本")
    fits = [record("n %d", 1), bare, unicode, record("empty %s", "")]
    surrogate = record("bad %s", "\udce9")  # a lone surrogate: no UTF-8
    whole_seconds = record("n %d", 2)
    whole_seconds.created = 1_700_000_000  # an int some code put there stays an int
    text_only = record("failed %s", "x")
    text_only.exc_text = "Traceback (most recent call last): ..."
    stack = record("where %s", "x")
    stack.stack_info = "Stack (most recent call last): ..."
    pickled = [surrogate, whole_seconds, text_only, stack]
    for sent in fits + pickled:
        arrived = wire.roundtrip(sent)
        assert arrived.__dict__ == sent.__dict__
        assert type(arrived.created) is type(sent.created) and type(arrived.args) is type(sent.args)
        assert list(arrived.__dict__) == [*SITE_NAMES, *OWN_NAMES]
    assert wire.kinds[3:] == [QUICK] * len(fits) + [RECORD] * len(pickled)
    assert len(wire.encoder.encode(record("n %d", 3))) < 70


def test_a_quick_frame_must_fit_its_connection() -> None:
    """A QUICK frame on a connection whose records have other fields (another Python), or of
    a call site never defined, is refused."""
    encoder = Encoder()
    encoder.encode(record())
    quick = encoder.encode(record("n %d", 1))
    assert split(quick)[0][0] == QUICK
    other = Decoder()
    other.decode(memoryview(FIELDS + pickle.dumps((SITE_NAMES, ("msg", "created")))))
    with pytest.raises(ValueError, match="does not fit its connection"):
        other.decode(split(quick)[0][1])
    fresh = Decoder()
    fresh.decode(split(encoder.opening())[0][1])
    with pytest.raises(IndexError):
        fresh.decode(split(quick)[0][1])


def test_extras_arrive_plain_and_the_unpicklable_as_repr() -> None:
    """Plain extras keep their value; a lock (unpicklable) and objects inside lists become repr()."""
    lock = threading.Lock()
    arrived = Wire().roundtrip(record(user_id=42, tags=["a", 1, lock], ratio=0.5, lock=lock))
    assert (arrived.user_id, arrived.ratio) == (42, 0.5)
    assert arrived.tags == ["a", 1, repr(lock)]
    assert arrived.lock == repr(lock)


def test_exception_fields_survive() -> None:
    """The exception rendered in the child arrives as text and as its type and message."""
    try:
        raise ValueError("bad input")
    except ValueError:
        made = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", None, sys.exc_info(), "f")
    arrived = Wire().roundtrip(prepare(made))
    assert (arrived.exc_type, arrived.exc_message, arrived.exc_info) == ("ValueError", "bad input", None)
    assert arrived.exc_text.startswith("Traceback (most recent call last):")
    assert arrived.exc_text.endswith("ValueError: bad input")


def test_records_that_do_not_fit_a_call_site_travel_whole() -> None:
    """A record without a standard attribute, or with an unhashable one, goes as a DICT frame."""
    wire = Wire()
    stripped = record(extra_key={"nested": [object]})
    del stripped.funcName
    arrived = wire.roundtrip(stripped)
    assert not hasattr(arrived, "funcName")
    assert arrived.extra_key == {"nested": [repr(object)]}
    odd = record()
    odd.name = ["not", "hashable"]  # type: ignore[assignment]
    assert wire.roundtrip(odd).name == ["not", "hashable"]
    assert wire.kinds == [FIELDS, DICT, DICT]


class Unpicklable:
    def __reduce__(self) -> str:
        raise TypeError("not today")

    def __repr__(self) -> str:
        return "<Unpicklable>"


def test_a_standard_attribute_that_cannot_be_pickled_is_sent_as_its_repr() -> None:
    """A record some code gave an unpicklable standard attribute still arrives, as plain text;
    the call site it would have defined is not half-defined for the records after it."""
    wire = Wire()
    odd = record()
    odd.threadName = Unpicklable()  # type: ignore[assignment]
    assert wire.roundtrip(odd).threadName == "<Unpicklable>"
    assert wire.roundtrip(record("n %d", 1)).getMessage() == "n 1"
    assert wire.kinds == [FIELDS, DICT, SITE, RECORD]


def test_past_max_sites_records_travel_whole() -> None:
    """A connection numbers at most MAX_SITES call sites; records of later ones still arrive."""
    wire = Wire()
    for line in range(MAX_SITES + 3):
        made = prepare(logging.LogRecord("app", logging.INFO, __file__, line, "line %d", (line,), None, "f"))
        assert wire.roundtrip(made).getMessage() == f"line {line}"
    assert wire.kinds.count(SITE) == MAX_SITES
    assert wire.kinds[-3:] == [DICT, DICT, DICT]


def test_frames_must_fit_what_the_connection_defined() -> None:
    """Records before their call site, sites before the fields, and unknown kinds are refused."""
    encoder = Encoder()
    site_and_record = split(encoder.encode(record()))
    assert [kind for kind, _ in site_and_record] == [SITE, RECORD]
    fresh = Decoder()
    with pytest.raises(ValueError, match="call site that does not match"):
        fresh.decode(site_and_record[0][1])  # no FIELDS frame yet
    with pytest.raises(ValueError, match="record that does not match"):
        fresh.decode(site_and_record[1][1])
    with pytest.raises(ValueError, match="unknown frame kind"):
        fresh.decode(memoryview(b"X" + pickle.dumps(1)))
    with pytest.raises(ValueError, match="two tuples of names"):
        fresh.decode(memoryview(FIELDS + pickle.dumps(("name", 1))))
    with pytest.raises(ValueError, match="must be a dict"):
        fresh.decode(memoryview(DICT + pickle.dumps([1, 2])))


def test_a_read_decodes_whole_frames_and_counts_the_bad_ones() -> None:
    """decode_frames returns the records of the whole frames a read brought and where they
    end; an empty frame, a QUICK frame too short for its fields and an unknown kind are each
    counted and skipped, never read past their end; a length no frame can have stops it."""
    encoder = Encoder()
    bare = record("no %s", "args")
    bare.args = ()  # merged, or none given: LogRecord keeps ()
    first = encoder.encode(record("n %d", 0)) + encoder.encode(bare)  # the call sites, numbered
    quick = [encoder.encode(record("n %d", 1)), encoder.encode(bare)]
    assert [split(frames)[0][0] for frames in quick] == [QUICK, QUICK]
    short_quick = struct.pack("!I", 6) + QUICK + quick[0][5:10]
    data = (
        encoder.opening()
        + first
        + struct.pack("!I", 0)
        + short_quick
        + quick[0]
        + frame_of(b"Z", "what is this")
        + quick[1]
    )
    cut = encoder.encode(record("n %d", 3))[:-5]
    records, end, bad = Decoder().decode_frames(data + cut)
    assert [r.getMessage() for r in records] == ["n 0", "no args", "n 1", "no args"]
    assert records[3].args == () and records[2].args is None
    assert (end, bad) == (len(data), 3)
    corrupt = data + struct.pack("!I", MAX_FRAME + 1) + b"x" * 10
    records, end, bad = Decoder().decode_frames(corrupt)
    assert (len(records), end, bad) == (4, -1, 3)


def frame_of(kind: bytes, value: object) -> bytes:
    payload = kind + pickle.dumps(value)
    return struct.pack("!I", len(payload)) + payload
