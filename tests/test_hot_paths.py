"""The fast paths of issue 6 give exactly what the plain paths gave."""

from __future__ import annotations

import copy
import datetime
import enum
import errno
import json
import logging
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logboot
from logboot.core.context import capture, current_snapshot
from logboot.core.records import CONTEXT_NAMES, prepare
from logboot.formatters.base import ClockCache as _ClockCache
from logboot.formatters.base import CompiledFormatter
from logboot.formatters.fields import JSON_FIELDS, STANDARD_ATTRS
from logboot.formatters.json import JsonFormatter
from logboot.formatters.text import TextFormatter, _as_percent
from logboot.formatters.text_layout import split_layout
from logboot.runtime.handler import QueueHandler
from logboot.runtime.queues import ThreadQueue, acquire_contended
from logboot.sinks.base import PartialWriteError
from logboot.sinks.files import FileSink, RotatingFileSink
from logboot.sinks.timed import TimedRotatingFileSink

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


@pytest.mark.parametrize(
    "make",
    [
        FileSink,
        lambda path: RotatingFileSink(path, 1 << 20, 2),
        lambda path: RotatingFileSink(path, 0, 0),
        lambda path: TimedRotatingFileSink(path, "midnight"),
    ],
    ids=["file", "rotating", "rotating without a limit", "timed"],
)
def test_file_sink_counts_whole_lines_of_a_failed_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], FileSink]
) -> None:
    """A write that fails part-way reports the whole lines written and cuts the torn one off the file."""
    sink = make(tmp_path / "out.log")
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
    assert (tmp_path / "out.log").read_bytes() == b"abcd\n"
    assert sink.size == len(b"abcd\n")


def test_file_sink_encodes_a_batch_as_its_lines(tmp_path: Path) -> None:
    """One encode of the batch gives the bytes of each line encoded alone, surrogates included."""
    sink = FileSink(tmp_path / "out.log")
    lines = ["plain", "caf\u00e9 \u2603", "lone \udc80 surrogate"]
    sink.write_lines(lines)
    sink.close()
    expected = b"".join((line + "\n").encode("utf-8", "backslashreplace") for line in lines)
    assert (tmp_path / "out.log").read_bytes() == expected
    assert sink.size == len(expected)


# --- the compiled text layout (TextFormatter.format, format_batch) ---------------------------


class Loud(str):
    """A str subclass with its own __str__: %s calls it, for the value and for its escape."""

    __slots__ = ()

    def __str__(self) -> str:
        return self.upper()


class Opaque:
    """A message that is not text: its str() is used, and escaped."""

    def __str__(self) -> str:
        return "opaque\nFAKE line"

    def __repr__(self) -> str:
        return "<Opaque\x1b>"


class BraceRecord(logging.LogRecord):
    """A record class with its own getMessage (called even without args)."""

    def getMessage(self) -> str:  # noqa: N802 - the logging API
        return "brace: " + str(self.msg).format(*(self.args or ()))


def raised_info() -> tuple[type[BaseException], BaseException, Any]:
    try:
        raise ValueError("bad\nFAKE 2026 ERROR root: forged")
    except ValueError as err:
        return type(err), err, err.__traceback__


def record_at(created: float, msg: object = "plain", args: Any = None, **fields: Any) -> logging.LogRecord:
    """A record with fixed times (so two builds are alike) and ``fields`` set on it."""
    record = logging.LogRecord("app.db", logging.INFO, __file__, 7, msg, args, None, "handler")
    return with_fields(record, created, **fields)


def with_fields(record: logging.LogRecord, created: float, **fields: Any) -> logging.LogRecord:
    record.created, record.msecs = created, float(int((created - int(created)) * 1000))
    record.relativeCreated = 1234.5
    for key, value in fields.items():
        setattr(record, key, value)
    return record


def brace_record(msg: str, *args: object) -> logging.LogRecord:
    return with_fields(BraceRecord("app", logging.INFO, __file__, 1, msg, args, None), T0)


def in_context(record: logging.LogRecord, **fields: Any) -> logging.LogRecord:
    """``record`` as the handler leaves it when ``fields`` are bound (logboot.context)."""
    with logboot.context(**fields):
        snapshot = current_snapshot()
    assert snapshot is not None
    capture(record, snapshot)
    return record


T0 = 1_700_000_000.1234  # 2023-11-14T22:13:20.123Z
TRICKY: list[tuple[str, Callable[[], logging.LogRecord]]] = [
    ("prepared", lambda: prepare(record_at(T0, "user %s did %s", ("alice", "login")))),
    ("same millisecond", lambda: prepare(record_at(T0 + 0.0004, "next"))),
    ("next second, same millisecond", lambda: record_at(T0 + 1, "later")),
    ("next millisecond", lambda: record_at(T0 + 1.001, "later still")),
    ("unprepared args", lambda: record_at(T0, "n=%d, %s", (3, "x\ny"))),
    ("dict args", lambda: record_at(T0, "%(a)s", ({"a": "mapped"},))),
    ("falsy args", lambda: record_at(T0, "50% off", ())),
    ("control characters", lambda: record_at(T0, "a\x1b[31m\u2028b\r\nFAKE", name="evil\nINFO x: y")),
    ("thread name with CR", lambda: record_at(T0, threadName="worker\r1")),
    ("name as before", lambda: record_at(T0)),
    ("None fields", lambda: record_at(T0, threadName=None, processName=None, funcName=None)),
    ("printable subclass", lambda: record_at(T0, name=Loud("loud.logger"), threadName=Loud("w"))),
    ("unprintable subclass", lambda: record_at(T0, name=Loud("loud\nlogger"))),
    ("subclass message", lambda: record_at(T0, Loud("quiet message"))),
    ("number message", lambda: record_at(T0, 42)),
    ("object message", lambda: record_at(T0, Opaque())),
    ("number name", lambda: record_at(T0, name=5)),
    ("exc_info", lambda: record_at(T0, "failed", exc_info=raised_info())),
    ("exc_text", lambda: prepare(record_at(T0, "failed", exc_info=raised_info()))),
    ("stack_info", lambda: record_at(T0, "here", stack_info="Stack:\n  File 'x.py'\x1b\nlast")),
    ("record subclass", lambda: brace_record("{} and {}", "a", "b")),
    ("record subclass, no args", lambda: brace_record("no braces")),
    ("empty message", lambda: record_at(T0, "")),
    ("before 1970", lambda: record_at(-1.5, "old")),
    ("before 1970, second 0", lambda: record_at(-0.5, "older")),
    ("second 0", lambda: record_at(0.5, "epoch")),
    ("number level name", lambda: record_at(T0, levelname=7)),
    ("level name as before", lambda: record_at(T0)),
    ("context fields", lambda: in_context(record_at(T0, "ctx"), request_id="r\n1", user=Opaque(), n=3)),
]
COMPILED_LAYOUTS = [
    ("{", LAYOUT, None),
    ("{", "{name} {name:>14}|{threadName}|{processName}|{levelname:8}|{lineno} {funcName}", None),
    (
        "{",
        "{module} {filename} {pathname} {process} {thread} {msecs} {created}: {message}",
        None,
    ),
    ("{", "100% {message} {{braces}}", None),
    ("{", "{asctime}|{asctime:>30}|{message}", "%H:%M:%S"),
    ("%", "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(lineno)d: %(message)s", None),
    ("%", "%(msecs)03d %(created)f %(relativeCreated).1f %(levelno)x 100%% %(msg)r %(args)s %(name)r", None),
    ("%", "%(message)s", "%d/%m/%Y"),
    ("%", "%(name)s [%(message)-12s] %(levelname)s %(threadName)s", None),  # text kept after the message
    # Literal text that would break generated code if it were written into it.
    ("%", "it's \"%(name)s\" \\ {x} {{y}} ''' %(message)s", None),
]


def formatter_for(style: str, layout: str, datefmt: str | None) -> TextFormatter:
    formatter = TextFormatter(layout, datefmt, style, utc=True)
    formatter._compile()
    assert formatter._one != formatter._format_general, "the layout should be compiled"
    return formatter


@pytest.mark.parametrize(("style", "layout", "datefmt"), COMPILED_LAYOUTS)
def test_compiled_layout_writes_what_the_general_path_writes(
    style: str, layout: str, datefmt: str | None
) -> None:
    """For every tricky record, format and format_batch give the general path's very text."""
    formatter = formatter_for(style, layout, datefmt)
    for name, make in TRICKY:
        assert formatter.format(make()) == formatter._format_general(make()), name
    expected = [formatter._format_general(make()) for _, make in TRICKY]
    assert formatter.format_batch([make() for _, make in TRICKY]) == expected
    assert formatter.format_batch([make() for _, make in reversed(TRICKY)]) == expected[::-1]


@pytest.mark.parametrize(
    "make",
    [
        lambda: record_at(T0, "%d items", ("many",)),  # a bad format, never prepared
        lambda: brace_record("{} and {}", "one"),
    ],
)
def test_compiled_layout_fails_where_the_general_path_fails(make: Callable[[], logging.LogRecord]) -> None:
    """A record whose message cannot be made raises the same error on both paths."""
    assert_fails_alike(formatter_for("{", LAYOUT, None), make)


def assert_fails_alike(formatter: CompiledFormatter, make: Callable[[], logging.LogRecord]) -> None:
    """``make()`` raises the same error in ``format``, in ``format_batch`` (among other
    records) and on the general path."""
    with pytest.raises(Exception) as general:
        formatter._format_general(make())
    with pytest.raises(general.type):
        formatter.format(make())
    with pytest.raises(general.type):
        formatter.format_batch([record_at(T0), make()])


def test_compiled_layout_leaves_the_record_as_it_was() -> None:
    """The compiled path stores nothing on a record (a second new attribute makes 3.11 build a
    dict for it); only a traceback is rendered into exc_text, once, for every sink."""
    formatter = formatter_for("{", LAYOUT, None)
    record = record_at(T0, "plain")
    before = dict(record.__dict__)
    formatter.format(record)
    formatter.format_batch([record])
    assert record.__dict__ == before
    failed = record_at(T0, "failed", exc_info=raised_info())
    formatter.format_batch([failed])
    assert failed.exc_text is not None
    assert failed.exc_text.endswith("ValueError: bad\nFAKE 2026 ERROR root: forged")


def test_formatters_sharing_a_compiled_layout_keep_their_own_clock() -> None:
    """Two formatters of the same fields share the generated code, not their time stamps."""
    iso, short = (
        TextFormatter("{asctime} {message}", utc=True),
        TextFormatter("{asctime} {message}", "%H:%M", utc=True),
    )
    assert iso.format(record_at(T0, "x")) == "2023-11-14T22:13:20.123Z x"
    assert short.format_batch([record_at(T0, "x")]) == ["22:13 x"]


def test_a_formatter_in_use_can_be_pickled_and_deep_copied() -> None:
    """The compiled functions are closures; copies leave them behind and compile their own."""
    formatter = TextFormatter(LAYOUT, utc=True)
    line = formatter.format(record_at(T0, "x"))  # compiled now
    assert line == "2023-11-14T22:13:20.123Z INFO     MainThread app.db: x"
    for copy_ in (pickle.loads(pickle.dumps(formatter)), copy.deepcopy(formatter)):  # noqa: S301 - our own bytes
        assert copy_.format_batch([record_at(T0, "x")] * 2) == [line, line]
        assert copy_.format(record_at(T0, "x")) == line
    assert formatter.format(record_at(T0, "x")) == line  # the original still compiled


def test_a_batch_renders_a_field_that_is_not_text_anew_for_each_record() -> None:
    """format_batch reuses the text of a field only for the same str object: any other
    value (it may change between records) is rendered again, as the general path does."""

    class Calls:
        count = 0

        def __str__(self) -> str:
            self.count += 1
            return f"call {self.count}"

    calls = Calls()
    formatter = formatter_for("%", "%(threadName)7s %(name)s: %(message)s", None)
    batch = [record_at(T0, "a", threadName=calls), record_at(T0, "b", threadName=calls)]
    assert formatter.format_batch(batch) == [" call 1 app.db: a", " call 2 app.db: b"]


def test_subclass_format_is_used_by_format_batch() -> None:
    """A TextFormatter subclass that overrides format gets its own format for every record."""

    class Upper(TextFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return super().format(record).upper()

    formatter = Upper("{name}: {message}")
    assert formatter.format_batch([record_at(T0, "a"), record_at(T0, "b")]) == ["APP.DB: A", "APP.DB: B"]


@pytest.mark.parametrize(
    ("style", "layout"),
    [
        ("%", "%(request_id)s %(message)s"),  # an extra field
        ("%", "%s"),  # a positional spec
        ("%", "%(name)%"),
        ("%", "%(name)*s"),
        ("%", "100% done"),
        ("%", "%(message)s 5%"),
        ("{", "{request_id} {message}"),
        ("{", "{message!r}"),
        ("$", "${name} ${message}"),
    ],
)
def test_other_layouts_take_the_general_path(style: str, layout: str) -> None:
    """A layout with anything but plain fields every record has is not compiled."""
    assert split_layout({"{": _as_percent(layout), "%": layout}.get(style)) is None


@pytest.mark.parametrize(
    ("style", "layout", "line"),
    [
        ("{", "{request_id} {message}", "r-1 plain"),
        ("%", "%(request_id)s %(message)s", "r-1 plain"),
        ("$", "${request_id} ${message}", "r-1 plain"),
        ("{", "{message!r:>9}", "  'plain'"),
    ],
)
def test_a_layout_that_is_not_compiled_formats_on_the_general_path(
    style: str, layout: str, line: str
) -> None:
    """On first use such a formatter settles on the general path, for one record and a batch."""
    formatter = TextFormatter(layout, style=style)
    assert formatter.format_batch([record_at(T0, request_id="r-1")]) == [line]
    assert formatter._one == formatter._format_general
    assert formatter.format(record_at(T0, request_id="r-1")) == line


def test_split_layout_keeps_literals_and_specs() -> None:
    """A %-layout becomes its literal texts ("%%" read as "%") and its fields with their specs."""
    assert split_layout("[%(name)-10s] %(lineno)05d %% %(name)s!") == (
        ("[", "] ", " % ", "!"),
        (("name", "-10s"), ("lineno", "05d"), ("name", "s")),
    )
    assert split_layout("%(message)s") == (("", ""), (("message", "s"),))
    assert split_layout("100%% plain") == (("100% plain",), ())


@pytest.mark.parametrize(
    "make",
    [
        lambda: record_at(T0, "user %s did %s", ("alice", "login")),
        lambda: record_at(T0, "no args"),
        lambda: record_at(T0, "%d items", ("many",)),  # kept, with the reason
        lambda: record_at(T0, Opaque()),
        lambda: record_at(T0, 42, (1,)),
        lambda: brace_record("{} and {}", "a", "b"),
        lambda: record_at(T0, "failed %s", ("once",), exc_info=raised_info()),
    ],
)
@pytest.mark.parametrize("bound", [{}, {"request_id": "r-1", "user": "ann"}])
def test_queue_handler_prepares_a_record_as_prepare_does(
    make: Callable[[], logging.LogRecord], bound: dict[str, str]
) -> None:
    """QueueHandler.handle (which inlines prepare) enqueues exactly what prepare makes, plus
    the request context when one is bound (and no attribute at all when none is)."""
    queue = ThreadQueue("q", 0)
    with logboot.context(**bound):
        assert QueueHandler(queue).handle(make())
    (handled,) = queue.take(10)
    prepared = prepare(make())
    fields = ("msg", "args", "exc_info", "exc_text", "exc_type", "exc_message")
    assert [getattr(handled, f, None) for f in fields] == [getattr(prepared, f, None) for f in fields]
    assert handled.args is None
    assert isinstance(handled.msg, str)
    context = {name: handled.__dict__[name] for name in handled.__dict__.get(CONTEXT_NAMES, ())}
    assert context == bound
    assert handled.__dict__.keys() - prepared.__dict__.keys() == (
        set(bound) | {CONTEXT_NAMES} if bound else set()
    )


def test_queue_handler_counts_a_record_it_could_not_enqueue(capsys: pytest.CaptureFixture[str]) -> None:
    """A filter or a queue that raises costs that record only: counted, reported, never raised."""

    class Refusing:
        def put(self, record: logging.LogRecord) -> bool:
            raise RuntimeError("queue gone")

    handler = QueueHandler(Refusing(), "main")
    assert not handler.handle(record_at(T0))
    assert handler.errors == 1
    assert "RuntimeError: queue gone" in capsys.readouterr().err


# --- the compiled JSON layout (JsonFormatter.format, format_batch) ---------------------------


class Counted:
    """A value JSON cannot hold: written as its repr, which counts the calls."""

    count = 0

    def __repr__(self) -> str:
        Counted.count += 1
        return f"<counted {Counted.count}>"


class Port(enum.IntEnum):
    HTTP = 80


def with_extras(**extras: Any) -> logging.LogRecord:
    """A record as Logger.makeRecord builds it for ``extra=``."""
    record = record_at(T0, "with extras")
    record.__dict__.update(extras)
    return record


def keyed(key: object) -> logging.LogRecord:
    """A record whose __dict__ has an extra under ``key`` (not what makeRecord allows)."""
    record = with_extras(plain="yes")
    record.__dict__[key] = "odd"  # type: ignore[index]
    return record


def reset(record: logging.LogRecord, field: str, value: object) -> logging.LogRecord:
    """``record`` with a standard ``field`` deleted and set again: now after the extras."""
    delattr(record, field)
    setattr(record, field, value)
    return record


def cycle() -> list[Any]:
    items: list[Any] = []
    items.append(items)
    return items


JSON_TRICKY: list[tuple[str, Callable[[], logging.LogRecord]]] = [
    *TRICKY,
    ("extras", lambda: with_extras(user="ann", count=3, tags=["a"], when=datetime.date(2024, 1, 2))),
    ("extra named like a field", lambda: with_extras(time="forged", level="forged")),
    ("extra that JSON cannot hold", lambda: with_extras(by_pair={(1, 2): "x"}, loop=cycle())),
    ("extra set on the record", lambda: record_at(T0, request_id="r-1")),
    ("extras named like fields", lambda: with_extras(stack="s", exc_traceback="t", line=0, message="m")),
    ("extra with a key that is not text", lambda: keyed(1)),
    ("extra with a str subclass key", lambda: keyed(Loud("loud key"))),
    ("extra before a standard field set again", lambda: reset(with_extras(first=1), "levelname", "INFO")),
    ("extra of a str subclass", lambda: with_extras(who=Loud("ann"), n=True, x=1.5, none=None)),
    ("plain again", lambda: record_at(T0)),
    ("bool line", lambda: record_at(T0, lineno=True)),
    ("enum process", lambda: record_at(T0, process=Port.HTTP)),
    ("float thread", lambda: record_at(T0, thread=1.5)),
    ("nan line", lambda: record_at(T0, lineno=float("nan"))),
    ("big line", lambda: record_at(T0, lineno=10**30)),
    ("unencodable field", lambda: record_at(T0, module=cycle())),
    ("object function", lambda: record_at(T0, funcName=Opaque())),
    ("equal module, new object", lambda: record_at(T0, module="".join(["test_", "hot_paths"]))),
    ("other module", lambda: record_at(T0, module="elsewhere")),
    ("surrogate message", lambda: record_at(T0, "lone \udc80 half")),
    ("unicode", lambda: record_at(T0, "naïve ☃ \u2028 end", name="ünïcode")),
    ("exception, prepared", lambda: prepare(record_at(T0, "failed", exc_info=raised_info()))),
    ("context and an extra of one name", lambda: in_context(with_extras(user="x"), user="y", deep=cycle())),
    ("context named like nothing written", lambda: in_context(record_at(T0), funcname="f", Level="l")),
]
JSON_FIELD_CHOICES = [
    None,
    [f for f in JSON_FIELDS if f != "extra"],
    ["message"],
    ["time", "level", "message", "extra"],
    ["exception"],
    ["stack", "extra"],
    ["line", "process", "thread", "module", "function", "process_name", "thread_name"],
]


def json_formatter(fields: list[str] | None, utc: bool = True) -> JsonFormatter:
    formatter = JsonFormatter(fields, utc)
    formatter._compile()
    assert formatter._one != formatter._format_general, "the fields should be compiled"
    return formatter


@pytest.mark.parametrize("fields", JSON_FIELD_CHOICES)
@pytest.mark.parametrize("utc", [True, False])
def test_compiled_json_writes_what_the_general_path_writes(fields: list[str] | None, utc: bool) -> None:
    """For every tricky record, format and format_batch give the general path's very line."""
    formatter = json_formatter(fields, utc)
    for name, make in JSON_TRICKY:
        assert formatter.format(make()) == formatter._format_general(make()), name
    expected = [formatter._format_general(make()) for _, make in JSON_TRICKY]
    assert formatter.format_batch([make() for _, make in JSON_TRICKY]) == expected
    assert formatter.format_batch([make() for _, make in reversed(JSON_TRICKY)]) == expected[::-1]
    for line in expected:
        json.loads(line)  # each one a JSON object on one line
        assert "\n" not in line


def test_general_json_path_writes_what_json_dumps_writes() -> None:
    """The general path's shared encoder writes what json.dumps wrote with the same options."""
    formatter = JsonFormatter()
    for name, make in JSON_TRICKY:
        record = make()
        if "JSON cannot" in name or "unencodable" in name:
            continue  # json.dumps raises on these; the general path writes their repr
        line = formatter._format_general(record)
        out = json.loads(line)
        assert line == json.dumps(out, ensure_ascii=False), name


@pytest.mark.parametrize(
    "make",
    [
        lambda: record_at(T0, "%d items", ("many",)),  # a bad format, never prepared
        lambda: brace_record("{} and {}", "one"),
        lambda: without(record_at(T0), "levelname"),
    ],
)
def test_compiled_json_fails_where_the_general_path_fails(make: Callable[[], logging.LogRecord]) -> None:
    """A record whose message cannot be made, or that lost a field, raises the same error."""
    assert_fails_alike(json_formatter(None), make)


def without(record: logging.LogRecord, field: str) -> logging.LogRecord:
    delattr(record, field)
    return record


def test_compiled_json_renders_a_value_that_is_not_exact_anew_for_each_record() -> None:
    """Only an exact str or int is reused within a batch; any other value is written again."""
    formatter = json_formatter(["thread_name"])
    counted = Counted()
    Counted.count = 0
    batch = [record_at(T0, threadName=counted), record_at(T0, threadName=counted)]
    lines = ['{"thread_name": "<counted 1>"}', '{"thread_name": "<counted 2>"}']
    assert formatter.format_batch(batch) == lines


def test_compiled_json_leaves_the_record_as_it_was() -> None:
    """The compiled path stores nothing on a record."""
    formatter = json_formatter(None)
    record = record_at(T0, "plain")
    before = dict(record.__dict__)
    formatter.format_batch([record])
    formatter.format(record)
    assert record.__dict__ == before


def test_a_json_formatter_in_use_can_be_pickled_and_deep_copied() -> None:
    """Copies of a compiled JSON formatter leave the closures behind and compile their own."""
    formatter = JsonFormatter(["time", "level", "message"])
    line = formatter.format(record_at(T0, "x"))
    assert line == '{"time": "2023-11-14T22:13:20.123Z", "level": "INFO", "message": "x"}'
    for copy_ in (pickle.loads(pickle.dumps(formatter)), copy.deepcopy(formatter)):  # noqa: S301 - our own bytes
        assert copy_.format_batch([record_at(T0, "x")] * 2) == [line, line]


def test_json_subclass_format_is_used_by_format_batch() -> None:
    """A JsonFormatter subclass that overrides format gets its own format for every record."""

    class Tagged(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return "tag " + super().format(record)

    formatter = Tagged(["message"])
    assert formatter.format_batch([record_at(T0, "a")]) == ['tag {"message": "a"}']


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
FIELD_VALUES = st.sampled_from(["levelname", "name", "processName", "threadName", "module", "funcName"])


@st.composite
def json_records(draw: st.DrawFn) -> logging.LogRecord:
    """A record with any values in its plain fields, and perhaps `extra` fields."""
    message = draw(st.text(max_size=20) | st.integers())
    record = record_at(T0 + draw(st.integers(0, 3)) * 0.0005, message)
    for field in draw(st.lists(FIELD_VALUES, max_size=3)):
        setattr(record, field, draw(JSON_VALUES))
    for field in draw(st.lists(st.sampled_from(["process", "thread", "lineno"]), max_size=2)):
        setattr(record, field, draw(JSON_VALUES))
    names = st.sampled_from(["time", "level", "message", "line", "stack", "exc_traceback"])
    other = st.text(min_size=1, max_size=6).filter(lambda key: key not in STANDARD_ATTRS)  # not `msg`, `args`
    extras = draw(st.dictionaries(names | other, JSON_VALUES, max_size=3))
    record.__dict__.update(extras)
    return record


@settings(max_examples=300, deadline=None)
@given(
    fields=st.lists(st.sampled_from(JSON_FIELDS), unique=True, min_size=1),
    records=st.lists(json_records(), min_size=1, max_size=5),
)
def test_compiled_json_agrees_with_the_general_path_on_any_record(
    fields: list[str], records: list[logging.LogRecord]
) -> None:
    """Whatever the fields hold, and whatever `extra` a record carries, both paths agree."""
    formatter = json_formatter(fields)
    expected = [formatter._format_general(record) for record in records]
    assert formatter.format_batch(records) == expected
    assert [formatter.format(record) for record in records] == expected


# --- JSON presets and `rename` (logboot.formatters.json_shape) --------------------------------

SHAPES: list[tuple[str | None, dict[str, str] | None, list[str] | None]] = [
    ("ecs", None, None),
    ("gcp", None, None),
    ("datadog", None, None),
    ("otel", None, None),
    ("logstash", None, None),
    (None, {"level": "log.level", "request_id": "http.request.id"}, None),
    (
        "ecs",
        {"logger": "service.logger", "user": "user.name"},
        ["time", "level", "logger", "message", "extra"],
    ),
    ("otel", {"deep": "Attributes.deep.value"}, ["message", "extra"]),
    ("otel", None, ["logger"]),
    ("gcp", {"message": "textPayload"}, ["level", "message", "exception", "stack"]),
]
SHAPED_TRICKY = [
    *JSON_TRICKY,
    (
        "extras named like preset keys",
        lambda: with_extras(**{"@timestamp": "f", "log.level": "f", "status": "f"}),
    ),
    ("dotted extras", lambda: with_extras(**{"log": 1, "log.origin": 2, "a.b": 3, "Timestamp": 4, "a": 5})),
    ("renamed extra", lambda: with_extras(request_id="r-1", user="ann", deep=cycle())),
    ("custom level", lambda: record_at(T0, levelname="TRACE", levelno=5)),
    ("level above critical", lambda: record_at(T0, levelname="FATAL", levelno=60)),
]


def shaped_formatter(
    preset: str | None, rename: dict[str, str] | None, fields: list[str] | None
) -> JsonFormatter:
    formatter = JsonFormatter(fields, True, preset, rename)
    formatter._compile()
    assert formatter._one != formatter._format_general, "the shape should be compiled"
    return formatter


@pytest.mark.parametrize(("preset", "rename", "fields"), SHAPES)
def test_compiled_json_shape_writes_what_the_general_path_writes(
    preset: str | None, rename: dict[str, str] | None, fields: list[str] | None
) -> None:
    """For every tricky record, a preset's or a rename's compiled line is the general path's line."""
    formatter = shaped_formatter(preset, rename, fields)
    for name, make in SHAPED_TRICKY:
        assert formatter.format(make()) == formatter._format_general(make()), name
    expected = [formatter._format_general(make()) for _, make in SHAPED_TRICKY]
    assert formatter.format_batch([make() for _, make in SHAPED_TRICKY]) == expected
    assert formatter.format_batch([make() for _, make in reversed(SHAPED_TRICKY)]) == expected[::-1]
    for line in expected:
        assert isinstance(json.loads(line), dict)
        assert "\n" not in line


@settings(max_examples=200, deadline=None)
@given(
    shape=st.sampled_from(SHAPES),
    records=st.lists(json_records(), min_size=1, max_size=5),
)
def test_compiled_json_shape_agrees_with_the_general_path_on_any_record(
    shape: tuple[str | None, dict[str, str] | None, list[str] | None], records: list[logging.LogRecord]
) -> None:
    """Whatever the fields hold, and whatever `extra` a record carries, both paths of a shape agree."""
    formatter = shaped_formatter(*shape)
    expected = [formatter._format_general(record) for record in records]
    assert formatter.format_batch(records) == expected
    assert [formatter.format(record) for record in records] == expected


def test_shapes_of_the_same_items_nested_apart_keep_their_own_order() -> None:
    """Two renames of the same fields, one nesting them in another order: each compiles its
    own line (their compiled code was once shared, and the second wrote the first's order)."""
    fields = ["time", "level", "logger", "message"]
    nested = shaped_formatter(None, {"level": "x.level", "logger": "y", "message": "x.message"}, fields)
    flat = shaped_formatter(None, {"level": "p", "logger": "q", "message": "r"}, fields)
    record = record_at(T0, "hello")
    for formatter in (nested, flat):
        expected = formatter._format_general(record)
        assert formatter.format(record) == expected
        assert formatter.format_batch([record, record]) == [expected, expected]
    assert json.loads(flat.format(record))["q"] == record.name
    assert json.loads(nested.format(record))["x"] == {"level": "INFO", "message": "hello"}


def test_a_shaped_json_formatter_in_use_can_be_pickled_and_deep_copied() -> None:
    """Copies of a compiled preset formatter leave the closures behind and compile their own."""
    formatter = JsonFormatter(["time", "level", "message"], True, "ecs")
    line = formatter.format(record_at(T0, "x"))
    assert json.loads(line) == {
        "@timestamp": "2023-11-14T22:13:20.123Z",
        "log.level": "info",
        "message": "x",
        "ecs.version": "1.6.0",
    }
    for copy_ in (pickle.loads(pickle.dumps(formatter)), copy.deepcopy(formatter)):  # noqa: S301 - our own bytes
        assert copy_.format_batch([record_at(T0, "x")] * 2) == [line, line]


def test_the_layout_batch_benchmark_checks_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/layout_batch.py lays out fresh records with each formatter, checks each
    line is its record's, and puts logging's record factory back (its figures are
    docs/benchmarks.md's, never asserted here)."""
    from benchmarks import layout_batch

    assert layout_batch.main(["--records", "300", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in ("json + extra", "json", "text"))
    assert logging.getLogRecordFactory() is logging.LogRecord


@pytest.mark.timeout(120)
def test_the_listener_share_benchmark_verifies_its_files(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/listener_share.py runs each variant in a fresh interpreter, instrumented,
    verifies every line, and prints the listener's parts and the GC's collections (its
    figures are docs/benchmarks.md's, never asserted here)."""
    from benchmarks import listener_share

    assert listener_share.main(["--records", "3000", "--rounds", "1", "--variant", "logboot-json"]) == 0
    out = capsys.readouterr().out
    assert "logboot-json: a call" in out
    assert all(f"{part} " in out for part in (*listener_share.PARTS, "rest"))
    assert "every line verified" in out
