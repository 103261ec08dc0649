"""The frames between a child and its parent's process queue, over a real Unix socket."""

from __future__ import annotations

import logging
import pickle
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from logboot.records import prepare
from logboot.transport import (
    DICT,
    FIELDS,
    MAX_SITES,
    RECORD,
    SITE,
    Decoder,
    Encoder,
    ProcessQueue,
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
    assert wire.kinds == [FIELDS, SITE, RECORD, RECORD]
    elsewhere = logging.LogRecord("other", logging.WARNING, __file__, 99, "x", None, None, "g")
    assert wire.roundtrip(prepare(elsewhere)).__dict__ == elsewhere.__dict__
    assert wire.kinds[-2:] == [SITE, RECORD]
    later = wire.encoder.encode(record("n %d", 3))
    assert len(later) < 100  # the call site's strings are not sent again


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


# --- over a real socket -------------------------------------------------------------------


@pytest.fixture
def queue() -> Iterator[ProcessQueue]:
    receiving = ProcessQueue("wire")
    receiving.start_receiving()
    try:
        yield receiving
    finally:
        receiving.stop_receiving(5)
        receiving.close_server()


def frame(kind: bytes, value: object) -> bytes:
    payload = kind + pickle.dumps(value)
    return struct.pack("!I", len(payload)) + payload


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_bad_frames_are_counted_and_the_stream_goes_on(queue: ProcessQueue) -> None:
    """A record before the fields, and an unknown kind, are each counted once; what follows
    on the same connection still arrives, in order."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
        stray = Encoder()
        sock.sendall(stray.encode(record("first %s", "x")))  # no FIELDS frame: site and record refused
        sock.sendall(frame(b"Z", "what is this"))
        encoder = Encoder()
        sock.sendall(
            encoder.opening()
            + encoder.encode(record("second %s", "y"))
            + encoder.encode(record("third %s", "z"))
        )
        wait_until(lambda: queue.size() == 2)
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(10)] == ["second y", "third z"]
    stats = queue.stats()
    assert (stats["corrupt_frames"], stats["partial_frames"], stats["children_attached"]) == (3, 0, 1)


def test_a_child_that_dies_mid_frame_loses_only_that_frame(queue: ProcessQueue) -> None:
    """Whole frames before the cut arrive; the partial one is discarded and reported once."""
    encoder = Encoder()
    whole = encoder.opening() + b"".join(encoder.encode(record("n %d", n)) for n in range(100))
    cut = encoder.encode(record("n %d", 100))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
        sock.sendall(whole + cut[: len(cut) // 2])
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(1000)] == [f"n {n}" for n in range(100)]
    assert (queue.partial_frames, queue.corrupt_frames) == (1, 0)


def test_stop_reads_what_an_ended_child_sent_and_sees_it_leave(queue: ProcessQueue) -> None:
    """At stop, everything already sent is read, and a child that has gone counts as detached."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(queue.address)
    wait_until(lambda: queue.children_attached == 1)
    encoder = Encoder()
    sock.sendall(encoder.opening() + b"".join(encoder.encode(record("n %d", n)) for n in range(5000)))
    sock.close()
    queue.stop_receiving(5)
    assert queue.size() == 5000
    assert (queue.children_attached, queue.children_detached) == (1, 1)
