"""The buffer and sender thread every remote sink shares: bounds, backoff, accounting, close."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from logboot.runtime.listener import ListenerSink
from logboot.sinks import remote
from logboot.sinks.remote import RemoteSink, SendError

pytestmark = pytest.mark.timeout(30)


class ScriptedSink(RemoteSink[str]):
    """Connects and sends as told: ``down`` refuses connections, ``gate`` holds sends."""

    kind = "scripted"

    def __init__(self, buffer_size: int = 10, backoff_max: float = 0.05) -> None:
        super().__init__(buffer_size=buffer_size, backoff_max=backoff_max)
        self.name = "scripted"
        self.down = threading.Event()
        self.gate = threading.Event()
        self.gate.set()
        self.received: list[str] = []
        self.connects = 0
        self.failure: BaseException | None = None

    def write_lines(self, lines: list[str]) -> int:
        self.offer(lines)
        return len(lines)

    def connect(self) -> None:
        if self.down.is_set():
            raise ConnectionRefusedError(111, "Connection refused")
        self.connects += 1

    def send(self, items: list[str]) -> None:
        self.gate.wait()
        failure, self.failure = self.failure, None
        if failure is not None:
            raise failure
        self.received.extend(items)

    def interrupt(self) -> None:
        self.gate.set()

    def target(self) -> str:
        return "scripted"


@pytest.fixture
def sink() -> Iterator[ScriptedSink]:
    scripted = ScriptedSink()
    yield scripted
    scripted.close()


def balanced(sink: ScriptedSink, handed: int) -> bool:
    stats = sink.sink_stats()
    return handed == stats["sent"] + stats["buffered"] + stats["dropped"]


def test_records_are_sent_in_order(sink: ScriptedSink) -> None:
    """Everything offered is sent once, in order; drain returns when it is."""
    for start in range(0, 30, 10):
        sink.write_lines([f"r{i}" for i in range(start, start + 10)])
        assert sink.drain(time.monotonic() + 5)
    assert sink.received == [f"r{i}" for i in range(30)]
    assert sink.sink_stats() == {"sent": 30, "buffered": 0, "dropped": 0, "reconnects": 0, "connected": True}


def test_a_full_buffer_drops_the_newest_and_counts_them(sink: ScriptedSink) -> None:
    """While the receiver is down, the buffer holds buffer_size records; the rest are dropped, counted."""
    sink.down.set()
    sink.write_lines([f"r{i}" for i in range(25)])
    assert not sink.drain(time.monotonic() + 0.1)
    assert (sink.sink_stats()["buffered"], sink.dropped) == (10, 15)
    assert balanced(sink, 25)
    sink.down.clear()
    assert sink.drain(time.monotonic() + 5)
    assert sink.received == [f"r{i}" for i in range(10)]
    assert balanced(sink, 25)


def test_offer_never_waits_for_a_slow_receiver(sink: ScriptedSink) -> None:
    """With a send stuck, the listener's writes still return at once."""
    sink.buffer_size = 100_000
    sink.gate.clear()
    sink.write_lines(["first"])
    started = time.monotonic()
    for _ in range(100):
        sink.write_lines(["x"] * 100)
    assert time.monotonic() - started < 1.0
    sink.gate.set()
    assert sink.drain(time.monotonic() + 5)
    assert len(sink.received) == 10_001


def test_backoff_doubles_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits between attempts start at 100ms and double up to backoff_max."""
    monkeypatch.setattr(remote.random, "uniform", lambda low, high: 1.0)
    scripted = ScriptedSink(backoff_max=1.0)
    delays = []
    for _ in range(6):
        before = time.monotonic()
        scripted._lost(OSError("down"), report=False)
        delays.append(round(scripted._retry_at - before, 2))
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_a_partial_send_keeps_the_rest_and_a_rejection_drops_it(sink: ScriptedSink) -> None:
    """After a failed send, what went out is sent, what was rejected is dropped, the rest is retried."""
    sink.gate.clear()
    sink.write_lines(["a", "b", "c", "d", "e"])
    sink.failure = SendError(1, OSError("broken"), rejected=1)
    sink.gate.set()
    assert sink.drain(time.monotonic() + 5)
    assert sink.received == ["c", "d", "e"]  # "a" went out in the failed send, "b" was rejected
    assert (sink.sent, sink.dropped, sink.reconnects) == (4, 1, 1)
    assert balanced(sink, 5)


def test_close_counts_what_is_left_as_dropped() -> None:
    """close() gives up on an unreachable receiver: buffered records become dropped, never lost uncounted."""
    scripted = ScriptedSink()
    scripted.down.set()
    scripted.write_lines(["a", "b", "c"])
    scripted.close()
    assert scripted.sink_stats() == {
        "sent": 0,
        "buffered": 0,
        "dropped": 3,
        "reconnects": 0,
        "connected": False,
    }
    scripted.write_lines(["late"])
    assert scripted.dropped == 4
    assert scripted.drain(time.monotonic() + 1)  # nothing is pending any more


def test_close_interrupts_a_stuck_send() -> None:
    """A send that hangs is interrupted at close; close returns promptly and the count balances."""
    scripted = ScriptedSink()
    scripted.gate.clear()
    scripted.write_lines(["a", "b"])
    started = time.monotonic()
    scripted.close()
    assert time.monotonic() - started < remote.CLOSE_WAIT * 2
    assert balanced(scripted, 2)


def test_the_sender_threads_own_records_are_filtered_out(sink: ScriptedSink) -> None:
    """A record logged on the sender thread (an HTTP client's warning) is not sent back to the sink."""
    sink.write_lines(["start"])
    assert sink.drain(time.monotonic() + 5)
    record = logging.LogRecord("urllib3", logging.WARNING, __file__, 1, "retrying", None, None)
    assert sink.filter(record)
    record.thread = sink._sender_ident
    assert not sink.filter(record)


def test_a_listener_leaves_out_the_sender_threads_records(sink: ScriptedSink) -> None:
    """The listener's batch for a remote sink loses the records its sender thread logged,
    and only those; it costs one call a batch (``filter_batch``), no filter a record."""
    sink.write_lines(["start"])
    assert sink.drain(time.monotonic() + 5)
    assert not sink.filters
    records = [logging.LogRecord("app", logging.INFO, __file__, 1, f"r{i}", None, None) for i in range(4)]
    assert sink.filter_batch(records) is records  # none from the sender: the batch as it is
    records[1].thread = sink._sender_ident
    ListenerSink("scripted", sink).deliver(records)
    assert sink.drain(time.monotonic() + 5)
    assert sink.received == ["start", "r0", "r2", "r3"]


def test_failures_are_reported_once_per_interval(
    sink: ScriptedSink, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreachable receiver is reported on stderr in one framed block, not once per attempt."""
    sink.down.set()
    sink.write_lines(["a"])
    assert not sink.drain(time.monotonic() + 0.3)
    err = capsys.readouterr().err
    assert err.count("--- logboot: sink 'scripted' (scripted) ---") == 1
    assert "cannot deliver to scripted; 1 record(s) buffered, retrying in" in err
