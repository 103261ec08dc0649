"""The fast paths of issue 6 give exactly what the plain paths gave."""

from __future__ import annotations

import errno
import logging
import os
import threading
from pathlib import Path

import pytest

from logboot.formatters import TextFormatter, _as_percent, _ClockCache
from logboot.queues import ThreadQueue, acquire_contended
from logboot.records import prepare
from logboot.sinks.base import PartialWriteError
from logboot.sinks.files import FileSink

LAYOUT = "{asctime} {levelname:<8} {threadName} {name}: {message}"


def make_record(
    msg: object = "user %s did %s", args: tuple[object, ...] = ("alice", "login")
) -> logging.LogRecord:
    return logging.LogRecord("app.db", logging.INFO, __file__, 7, msg, args, None)


@pytest.mark.parametrize(
    "layout",
    [
        LAYOUT,
        "{levelname:8}|{levelname:>8}|{name:<20}|{lineno} {process} {thread} {msecs}",
        "100% {message} {{braces}} {funcName} {module} {filename} {processName}",
    ],
)
def test_percent_layout_renders_what_str_format_renders(layout: str) -> None:
    """A "{" layout of plain fields becomes a %-format with the very same output."""
    percent = _as_percent(layout)
    assert percent is not None
    record = make_record()
    record.message = record.getMessage()
    record.asctime = "2026-11-27T00:00:00.000+00:00"
    assert percent % record.__dict__ == layout.format_map(record.__dict__)


@pytest.mark.parametrize(
    "layout",
    [
        "{request_id} {message}",
        "{message!r}",
        "{lineno:d}",
        "{levelname:^8}",
        "{threadName:<10}",
        "{lineno:5}",
    ],
)
def test_percent_layout_is_refused_where_it_could_differ(layout: str) -> None:
    """Extra fields, conversions, other specs and widths on fields that may be None keep str.format."""
    assert _as_percent(layout) is None


def test_text_formatter_escapes_fields_without_changing_the_record() -> None:
    """A control character in a field is escaped in the line; the record keeps its value."""
    record = make_record()
    record.threadName = "worker\n2026-01-01 FAKE"
    line = TextFormatter(LAYOUT).format(record)
    assert "worker\\n2026-01-01 FAKE" in line
    assert "\n" not in line
    assert record.threadName == "worker\n2026-01-01 FAKE"


def test_clock_cache_reuses_a_stamp_only_within_its_millisecond() -> None:
    """Records of the same millisecond share a stamp; the next millisecond and second do not."""
    clock = _ClockCache(None, utc=True)
    first = clock.format(1_700_000_000.1234, 123.0)
    assert clock.format(1_700_000_000.1239, 123.0) == first == "2023-11-14T22:13:20.123Z"
    assert clock.format(1_700_000_000.1241, 124.0) == "2023-11-14T22:13:20.124Z"
    assert clock.format(1_700_000_001.1241, 124.0) == "2023-11-14T22:13:21.124Z"
    assert _ClockCache("%H:%M:%S", utc=True).format(1_700_000_000.5, 500.0) == "22:13:20"


def test_prepare_merges_like_get_message_and_keeps_a_bad_message() -> None:
    """The direct merge gives getMessage's text; a bad format keeps the message and says why."""
    assert prepare(make_record()).msg == "user alice did login"
    bad = prepare(make_record("%d items", ("many",)))
    assert bad.args is None
    assert bad.msg == (
        "'%d items' % ('many',) (logboot: the message could not be formatted: "
        "TypeError: %d format: a real number is required, not str)"
    )


def test_prepare_uses_get_message_of_a_record_subclass() -> None:
    """A record class with its own getMessage is merged through it."""

    class BraceRecord(logging.LogRecord):
        def getMessage(self) -> str:  # noqa: N802 - the logging API
            return str(self.msg).format(*self.args)

    record = BraceRecord("app", logging.INFO, __file__, 1, "user {} did {}", ("bob", "upload"), None)
    assert prepare(record).msg == "user bob did upload"


def test_put_waits_for_a_lock_held_longer_than_its_yields() -> None:
    """A put that finds the queue lock taken gets in once it is released, counted once."""
    queue = ThreadQueue("q", 0)
    queue._lock.acquire()
    done = threading.Event()
    thread = threading.Thread(target=lambda: (queue.put(make_record()), done.set()))
    thread.start()
    assert not done.wait(0.05)  # yielded its tries, now blocked on the lock
    queue._lock.release()
    thread.join(5)
    assert done.is_set()
    stats = queue.stats()
    assert (stats["enqueued"], stats["size"], stats["peak"]) == (1, 1, 1)


def test_acquire_contended_returns_holding_the_lock() -> None:
    """Once the holder lets go, the contended acquire owns the lock."""
    lock = threading.Lock()
    acquire_contended(lock)
    assert lock.locked()
    lock.release()


def test_derived_counters_follow_takes_evictions_and_abandon() -> None:
    """accepted and peak stay exact when records leave by take, drop_oldest and abandon."""
    queue = ThreadQueue("q", 3, "drop_oldest")
    for _ in range(5):
        queue.put(make_record())
    assert (queue.accepted, queue.evicted, queue.peak) == (5, 2, 3)
    queue.done(len(queue.take(2)))
    queue.put(make_record())
    assert (queue.accepted, queue.peak, queue.size()) == (6, 3, 2)
    queue.close()
    assert not queue.put(make_record())
    assert queue.abandon() == 2
    stats = queue.stats()
    assert stats["enqueued"] == stats["handled"] + stats["dropped"] == 7


def test_file_sink_counts_whole_lines_of_a_failed_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails part-way reports how many whole lines reached the file."""
    sink = FileSink(tmp_path / "out.log")
    real_write = os.write
    calls: list[int] = []

    def short_then_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, data[:10])  # the first line (5 bytes) and half of the second
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_then_full)
    with pytest.raises(PartialWriteError) as info:
        sink.write_lines(["abcd", "efghijk", "lmn"])
    assert info.value.written == 1
    monkeypatch.undo()
    sink.close()
    assert (tmp_path / "out.log").read_bytes() == b"abcd\nefghi"


def test_file_sink_encodes_a_batch_as_its_lines(tmp_path: Path) -> None:
    """One encode of the batch gives the bytes of each line encoded alone, surrogates included."""
    sink = FileSink(tmp_path / "out.log")
    lines = ["plain", "caf\u00e9 \u2603", "lone \udc80 surrogate"]
    sink.write_lines(lines)
    sink.close()
    expected = b"".join((line + "\n").encode("utf-8", "backslashreplace") for line in lines)
    assert (tmp_path / "out.log").read_bytes() == expected
    assert sink.size == len(expected)
