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
    RECORD,
    ProcessQueue,
    decode,
    decode_fields,
    encode,
    fields_frame,
)


def record(message: str = "user %s did %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("app", logging.INFO, __file__, 7, message, args or ("ada", "login"), None, "f")
    made.__dict__.update(extra)
    return prepare(made)


def names() -> tuple[str, ...]:
    return decode_fields(memoryview(fields_frame())[4:])


def roundtrip(made: logging.LogRecord) -> logging.LogRecord:
    frame = encode(made)
    (length,) = struct.unpack("!I", frame[:4])
    assert length == len(frame) - 4
    return decode(memoryview(frame)[4:], names())


def test_a_plain_record_travels_as_its_values_and_arrives_equal() -> None:
    """No extras: a RECORD frame of values only; the parent rebuilds the same attributes."""
    sent = record()
    frame = encode(sent)
    assert frame[4:5] == RECORD
    values, extras = pickle.loads(frame[5:])  # noqa: S301 - our own frame
    assert (len(values), extras) == (len(names()), None)
    assert roundtrip(sent).__dict__ == sent.__dict__
    assert roundtrip(sent).getMessage() == "user ada did login"


def test_extras_arrive_plain_and_the_unpicklable_as_repr() -> None:
    """Plain extras keep their value; a lock (unpicklable) and objects inside lists become repr()."""
    lock = threading.Lock()
    sent = record(user_id=42, tags=["a", 1, lock], ratio=0.5, lock=lock)
    arrived = roundtrip(sent)
    assert (arrived.user_id, arrived.ratio) == (42, 0.5)
    assert arrived.tags == ["a", 1, repr(lock)]
    assert arrived.lock == repr(lock)


def test_exception_fields_survive() -> None:
    """The exception rendered in the child arrives as text and as its type and message."""
    try:
        raise ValueError("bad input")
    except ValueError:
        made = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", None, sys.exc_info(), "f")
    arrived = roundtrip(prepare(made))
    assert (arrived.exc_type, arrived.exc_message, arrived.exc_info) == ("ValueError", "bad input", None)
    assert arrived.exc_text.startswith("Traceback (most recent call last):")
    assert arrived.exc_text.endswith("ValueError: bad input")


def test_a_record_without_a_standard_attribute_travels_whole() -> None:
    """A record some code stripped of an attribute goes as a DICT frame and arrives as it was."""
    sent = record(extra_key={"nested": [object]})
    del sent.funcName
    frame = encode(sent)
    assert frame[4:5] == DICT
    arrived = roundtrip(sent)
    assert not hasattr(arrived, "funcName")
    assert arrived.extra_key == {"nested": [repr(object)]}
    assert arrived.msg == sent.msg


def test_a_record_frame_must_match_its_connections_fields() -> None:
    """Before a FIELDS frame, or with another number of values, a RECORD frame is refused."""
    payload = memoryview(encode(record()))[4:]
    with pytest.raises(ValueError, match="does not match the fields"):
        decode(payload, None)
    with pytest.raises(ValueError, match="does not match the fields"):
        decode(payload, names()[:-1])
    with pytest.raises(ValueError, match="unknown frame kind"):
        decode(memoryview(b"X" + pickle.dumps(1)), names())
    with pytest.raises(ValueError, match="tuple of names"):
        decode_fields(memoryview(FIELDS + pickle.dumps(["name", 1])))


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
        sock.sendall(encode(record("first %s", "x")))  # no FIELDS frame yet: refused
        sock.sendall(frame(b"Z", "what is this"))
        sock.sendall(fields_frame() + encode(record("second %s", "y")) + encode(record("third %s", "z")))
        wait_until(lambda: queue.size() == 2)
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(10)] == ["second y", "third z"]
    stats = queue.stats()
    assert (stats["corrupt_frames"], stats["partial_frames"], stats["children_attached"]) == (2, 0, 1)


def test_a_child_that_dies_mid_frame_loses_only_that_frame(queue: ProcessQueue) -> None:
    """Whole frames before the cut arrive; the partial one is discarded and reported once."""
    whole = fields_frame() + b"".join(encode(record("n %d", n)) for n in range(100))
    cut = encode(record("n %d", 100))
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
    sock.sendall(fields_frame() + b"".join(encode(record("n %d", n)) for n in range(5000)))
    sock.close()
    queue.stop_receiving(5)
    assert queue.size() == 5000
    assert (queue.children_attached, queue.children_detached) == (1, 1)
