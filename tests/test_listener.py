"""The supervised, batching listener: failing sinks are counted, the others still write."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

import logboot
from logboot.core.reporting import ErrorReporter
from logboot.formatters.text import TextFormatter
from logboot.runtime.listener import Listener, ListenerSink
from logboot.runtime.queues import ThreadQueue
from logboot.sinks.base import BatchSink, PartialWriteError
from logboot.sinks.files import FileSink

FRAME = "--- logboot: sink 'bad' failed ---"


def make_record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("test", level, __file__, 1, message, None, None)


class ListSink(BatchSink):
    """Keeps every line it is given, and the size of every batch."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.batches: list[int] = []

    def write_lines(self, lines: list[str]) -> int:
        self.batches.append(len(lines))
        self.lines.extend(lines)
        return len(lines)


class ExplodingSink(BatchSink):
    """Every write fails."""

    def write_lines(self, lines: list[str]) -> int:
        raise OSError("disk on fire")


class CountingFileSink(FileSink):
    """A real file sink that remembers the size of every write it makes."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.writes: list[int] = []

    def write_lines(self, lines: list[str]) -> int:
        self.writes.append(len(lines))
        return super().write_lines(lines)


class Running:
    """A queue and a listener over the given sinks, drained and stopped on exit."""

    def __init__(self, sinks: list[ListenerSink], batch_size: int = 1024, start: bool = True) -> None:
        self.queue = ThreadQueue("main", 0, "block")
        self.listener = Listener("main", self.queue, sinks, batch_size)
        if start:
            self.listener.start()

    def put(self, count: int, prefix: str = "r", level: int = logging.INFO) -> None:
        for i in range(count):
            assert self.queue.put(make_record(f"{prefix}{i}", level))

    def flush(self) -> None:
        assert self.queue.wait_for(self.queue.barrier(), time.monotonic() + 5)

    def stop(self) -> None:
        self.queue.close()
        assert self.listener.stop(time.monotonic() + 5)


@pytest.fixture
def running() -> Iterator[Callable[..., Running]]:
    made: list[Running] = []

    def make(sinks: list[ListenerSink], batch_size: int = 1024, start: bool = True) -> Running:
        made.append(Running(sinks, batch_size, start))
        return made[-1]

    yield make
    for item in made:
        if not item.queue.closed:
            item.stop()


def test_failing_sink_does_not_starve_a_healthy_one(
    running: Callable[..., Running], capsys: pytest.CaptureFixture[str]
) -> None:
    """A sink whose write raises is counted per record; its neighbour gets every record."""
    bad, good = ListenerSink("bad", ExplodingSink()), ListenerSink("good", ListSink())
    topology = running([bad, good], batch_size=100, start=False)
    topology.put(500)
    topology.listener.start()
    topology.flush()
    assert topology.listener.alive
    assert isinstance(good.handler, ListSink)
    assert good.handler.lines == [f"r{i}" for i in range(500)]
    assert (bad.records, bad.errors) == (0, 500)
    assert (good.records, good.errors) == (500, 0)
    err = capsys.readouterr().err
    assert err.count(FRAME) == 1  # five failing batches, one report
    assert err.count("--- end of logboot report ---") == 1
    assert "100 record(s) not written" in err
    assert "OSError: disk on fire" in err
    topology.put(10, prefix="later")
    topology.flush()
    assert good.handler.lines[-10:] == [f"later{i}" for i in range(10)]
    assert bad.errors == 510
    assert topology.queue.stats()["handled"] == 510


def test_raising_filter_is_counted_on_its_sink(running: Callable[..., Running]) -> None:
    """A filter that raises costs its sink that record only; other records and sinks go on."""

    class Picky(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.getMessage().endswith("3"):
                raise ValueError("cannot judge")
            return True

    picky_handler, plain_handler = ListSink(), ListSink()
    picky_handler.addFilter(Picky())
    picky, plain = ListenerSink("bad", picky_handler), ListenerSink("plain", plain_handler)
    topology = running([picky, plain])
    topology.put(100)
    topology.flush()
    assert (picky.records, picky.errors) == (90, 10)
    assert picky_handler.lines == [f"r{i}" for i in range(100) if i % 10 != 3]
    assert plain_handler.lines == [f"r{i}" for i in range(100)]
    assert topology.listener.alive


def test_raising_formatter_is_counted_on_its_sink(running: Callable[..., Running]) -> None:
    """A formatter that raises costs its sink that record only."""

    class Fussy(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            if "7" in record.getMessage():
                raise KeyError("no such field")
            return record.getMessage()

    fussy_handler, plain_handler = ListSink(), ListSink()
    fussy_handler.setFormatter(Fussy())
    fussy, plain = ListenerSink("bad", fussy_handler), ListenerSink("plain", plain_handler)
    topology = running([fussy, plain])
    topology.put(100)
    topology.flush()
    expected = [f"r{i}" for i in range(100) if "7" not in str(i)]
    assert fussy_handler.lines == expected
    assert (fussy.records, fussy.errors) == (len(expected), 100 - len(expected))
    assert len(plain_handler.lines) == 100


def test_text_layout_formats_a_batch_in_one_call(
    running: Callable[..., Running], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sink with logboot's text layout gets a whole batch laid out in one call."""
    handler, formatter = ListSink(), TextFormatter("{levelname} {message}")
    handler.setFormatter(formatter)
    calls: list[int] = []
    format_batch = formatter.format_batch

    def counted(records: list[logging.LogRecord]) -> list[str]:
        calls.append(len(records))
        return format_batch(records)

    monkeypatch.setattr(formatter, "format_batch", counted)
    sink = ListenerSink("text", handler, logging.INFO)
    topology = running([sink], batch_size=40, start=False)
    topology.put(100, level=logging.DEBUG)
    topology.put(100)
    topology.listener.start()
    topology.flush()
    assert handler.lines == [f"INFO r{i}" for i in range(100)]
    assert calls == [20, 40, 40]  # the DEBUG records never reach the layout
    assert (sink.records, sink.errors) == (100, 0)


def test_a_record_the_batch_cannot_format_costs_its_sink_that_record_only(
    running: Callable[..., Running], capsys: pytest.CaptureFixture[str]
) -> None:
    """When one record of a batch cannot be laid out, the others are written, in order."""
    text, plain = ListSink(), ListSink()
    text.setFormatter(TextFormatter("{levelname} {message}"))
    sinks = [ListenerSink("bad", text), ListenerSink("plain", plain)]
    topology = running(sinks, start=False)
    topology.put(5)
    # Never prepared (put straight on the queue): its message cannot be made.
    assert topology.queue.put(
        logging.LogRecord("test", logging.INFO, __file__, 1, "%d items", ("many",), None)
    )
    topology.put(5, prefix="s")
    topology.listener.start()
    topology.flush()
    assert text.lines == [f"INFO r{i}" for i in range(5)] + [f"INFO s{i}" for i in range(5)]
    assert text.batches == [10]  # one write for the records that could be laid out
    assert (sinks[0].records, sinks[0].errors) == (10, 1)
    assert (sinks[1].records, sinks[1].errors) == (10, 1)  # the default layout fails on it too
    assert "TypeError: %d format: a real number is required, not str" in capsys.readouterr().err


def test_a_handler_with_its_own_format_gets_it_for_every_record(running: Callable[..., Running]) -> None:
    """A sink that overrides format keeps it, even around logboot's text layout."""

    class Tagged(ListSink):
        def format(self, record: logging.LogRecord) -> str:
            return "tag " + super().format(record)

    handler = Tagged()
    handler.setFormatter(TextFormatter("{message}"))
    topology = running([ListenerSink("tagged", handler)])
    topology.put(3)
    topology.flush()
    assert handler.lines == ["tag r0", "tag r1", "tag r2"]


def test_system_exit_from_a_sink_does_not_end_the_listener(
    running: Callable[..., Running], capsys: pytest.CaptureFixture[str]
) -> None:
    """Even SystemExit raised by a sink is counted; the thread and the other sinks go on."""

    class Quitter(BatchSink):
        def write_lines(self, lines: list[str]) -> int:
            raise SystemExit(3)

    quitter, good = ListenerSink("bad", Quitter()), ListenerSink("good", ListSink())
    topology = running([quitter, good], batch_size=10, start=False)
    topology.put(30)
    topology.listener.start()
    topology.flush()
    assert topology.listener.alive
    assert (quitter.errors, good.records) == (30, 30)
    assert topology.queue.stats()["handled"] == 30
    assert capsys.readouterr().err.count(FRAME) == 1


def test_a_sink_that_breaks_outside_its_records_does_not_stop_the_others(
    running: Callable[..., Running], capsys: pytest.CaptureFixture[str]
) -> None:
    """An error escaping a sink's delivery is counted on it; later sinks and the counters go on."""

    class Broken(ListenerSink):
        def deliver(self, batch: Iterable[logging.LogRecord]) -> None:
            raise RuntimeError("bug in a sink")

    broken, good = Broken("bad", ListSink()), ListenerSink("good", ListSink())
    topology = running([broken, good], batch_size=25, start=False)
    topology.put(100)
    topology.listener.start()
    topology.flush()
    assert (broken.errors, good.records) == (100, 100)
    assert topology.queue.stats()["handled"] == 100
    assert topology.listener.alive
    assert capsys.readouterr().err.count(FRAME) == 1


def test_plain_handler_errors_are_counted_not_printed(
    running: Callable[..., Running], capsys: pytest.CaptureFixture[str]
) -> None:
    """A standard handler's emit errors reach the sink's counter, not logging's printer."""

    class Brittle(io.StringIO):
        def write(self, text: str) -> int:
            if "5" in text:
                raise OSError("broken pipe")
            return super().write(text)

    stream = Brittle()
    brittle = ListenerSink("bad", logging.StreamHandler(stream))
    topology = running([brittle])
    topology.put(20)
    topology.flush()
    expected = [f"r{i}" for i in range(20) if "5" not in str(i)]
    assert stream.getvalue().splitlines() == expected
    assert (brittle.records, brittle.errors) == (len(expected), 20 - len(expected))
    err = capsys.readouterr().err
    assert err.count(FRAME) == 1
    assert "--- Logging error ---" not in err


def test_partial_write_counts_exactly_what_was_lost(running: Callable[..., Running]) -> None:
    """A write that stops part-way counts the written lines as records and the rest as errors."""

    class HalfFull(ListSink):
        def write_lines(self, lines: list[str]) -> int:
            if len(self.lines) >= 10:
                super().write_lines(lines[:3])
                raise PartialWriteError(3, OSError(28, "No space left on device"))
            return super().write_lines(lines)

    handler = HalfFull()
    sink = ListenerSink("bad", handler)
    topology = running([sink], batch_size=10, start=False)
    topology.put(20)
    topology.listener.start()
    topology.flush()
    assert handler.lines == [f"r{i}" for i in range(13)]
    assert (sink.records, sink.errors) == (13, 7)


def test_filters_see_only_records_at_the_sink_level(running: Callable[..., Running]) -> None:
    """A sink's filters run only on records at or above its level; the layout follows them."""
    seen: list[str] = []

    def note(record: logging.LogRecord) -> bool:
        seen.append(record.getMessage())
        return not record.getMessage().endswith("1")

    handler = ListSink()
    handler.setFormatter(TextFormatter("{levelname} {message}"))
    handler.addFilter(note)
    topology = running([ListenerSink("filtered", handler, logging.WARNING)])
    topology.put(3, prefix="debug", level=logging.DEBUG)
    topology.put(3, prefix="warn", level=logging.WARNING)
    topology.flush()
    assert seen == ["warn0", "warn1", "warn2"]
    assert handler.lines == ["WARNING warn0", "WARNING warn2"]


def test_sink_filters_from_a_profile_run_in_the_listener(
    write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    """A sink's named filters keep only matching records in that sink; other sinks get all."""
    profile = f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{name}} {{message}}"}}
        filters:
          db: {{type: name, prefix: app.db}}
          quiet: {{type: level, max: INFO}}
        sinks:
          all: {{type: file, path: "{tmp_path / "all.log"}", formatter: bare}}
          db: {{type: file, path: "{tmp_path / "db.log"}", formatter: bare, filters: [db, quiet]}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [all, db]}}
        root: {{level: DEBUG}}
        """
    with logboot.setup_logging(write_profile(profile)) as runtime:
        for name in ("app", "app.db", "app.db.pool", "app.dbx"):
            logging.getLogger(name).info("i")
            logging.getLogger(name).warning("w")
        assert runtime.flush()
        stats = runtime.stats()["sinks"]
    assert len((tmp_path / "all.log").read_text().splitlines()) == 8
    assert (tmp_path / "db.log").read_text().splitlines() == ["app.db i", "app.db.pool i"]
    assert (stats["db"]["records"], stats["db"]["errors"]) == (2, 0)


def test_file_sink_gets_one_write_per_batch(tmp_path: Path, running: Callable[..., Running]) -> None:
    """The listener hands a file sink each batch in one write, not one write per record."""
    handler = CountingFileSink(tmp_path / "batched.log")
    topology = running([ListenerSink("file", handler)], batch_size=256, start=False)
    topology.put(1000)
    topology.listener.start()
    topology.flush()
    assert handler.writes == [256, 256, 256, 232]
    topology.stop()
    handler.close()
    data = (tmp_path / "batched.log").read_text(encoding="utf-8")
    assert data.split("\n") == [f"r{i}" for i in range(1000)] + [""]


def test_plain_handler_is_flushed_once_per_batch(running: Callable[..., Running]) -> None:
    """A standard handler is flushed once per batch rather than once per record."""

    class Buffered(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.buffer: list[str] = []
            self.flushes = 0

        def emit(self, record: logging.LogRecord) -> None:
            self.buffer.append(record.getMessage())

        def flush(self) -> None:
            self.flushes += 1

    handler = Buffered()
    topology = running([ListenerSink("plain", handler)], batch_size=100, start=False)
    topology.put(250)
    topology.listener.start()
    topology.flush()
    assert handler.flushes == 3
    assert handler.buffer == [f"r{i}" for i in range(250)]


def test_records_below_a_sink_level_never_reach_it(running: Callable[..., Running]) -> None:
    """Each sink sees only records at or above its own level."""
    everything, warnings = ListSink(), ListSink()
    topology = running([ListenerSink("all", everything), ListenerSink("warn", warnings, logging.WARNING)])
    levels = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
    for level in levels * 20:
        assert topology.queue.put(make_record(logging.getLevelName(level), level))
    topology.flush()
    assert len(everything.lines) == 100
    assert warnings.lines == ["WARNING", "ERROR", "CRITICAL"] * 20


def test_sink_levels_hold_through_a_profile(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    """A sink's `level` in a profile keeps lower records out of that sink's file."""
    high = tmp_path / "high.log"
    profile = f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
        sinks:
          all: {{type: file, path: "{tmp_path / "all.log"}", formatter: bare}}
          high: {{type: file, path: "{high}", formatter: bare, level: ERROR}}
        queues:
          main: {{max_size: 100, overflow: block}}
        listeners:
          main: {{queue: main, sinks: [all, high]}}
        root: {{level: DEBUG, queue: main}}
        """
    runtime = logboot.setup_logging(write_profile(profile))
    log = logging.getLogger("levels")
    for i in range(50):
        log.debug("debug %d", i)
        log.info("info %d", i)
        log.error("error %d", i)
        log.critical("critical %d", i)
    runtime.stop()
    assert len((tmp_path / "all.log").read_text().splitlines()) == 200
    high_lines = high.read_text().splitlines()
    assert high_lines == [line for i in range(50) for line in (f"error {i}", f"critical {i}")]
    assert runtime.stats()["sinks"]["high"]["records"] == 100


def test_reports_are_rate_limited_and_summarise_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    """Within the interval further errors are only counted, then summarised in the next report."""
    reporter = ErrorReporter("sink 'x' failed", interval=3600)
    assert reporter.report(ValueError("first"))
    assert not any(reporter.report(ValueError(f"again {i}")) for i in range(4))
    reporter._last = float("-inf")  # the interval has passed
    assert reporter.report(ValueError("later"), "1 record(s) not written")
    err = capsys.readouterr().err
    assert err.count("--- logboot: sink 'x' failed ---") == 2
    assert "(4 more error(s) since the last report)" in err
    assert "again" not in err


def test_listener_thread_is_named_for_its_queue() -> None:
    """The listener thread is called logboot-listener-<name> and ends when stopped."""
    queue = ThreadQueue("main", 0, "block")
    listener = Listener("audit", queue, [ListenerSink("null", ListSink())])
    listener.start()
    names = {t.name for t in threading.enumerate()}
    assert "logboot-listener-audit" in names
    queue.close()
    assert listener.stop(time.monotonic() + 5)
    assert not listener.alive
