"""Sinks: safe file creation, rotation by size and time, console streams."""

from __future__ import annotations

import calendar
import io
import logging
import os
import re
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import file_profile

import logboot
from logboot.errors import SetupError
from logboot.sinks.base import write_bytes
from logboot.sinks.console import ConsoleSink, wants_color
from logboot.sinks.files import FileSink, RotatingFileSink
from logboot.sinks.null import NullSink
from logboot.sinks.timed import TimedRotatingFileSink, next_rollover


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for one test."""
    before = os.umask(0o022)
    os.umask(before)
    yield os.umask
    os.umask(before)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lines_of(*paths: Path) -> list[str]:
    """Every line of the files, in order; fails on a line without its newline."""
    lines: list[str] = []
    for path in paths:
        data = path.read_text(encoding="utf-8")
        assert data == "" or data.endswith("\n"), f"{path} ends in a partial line"
        lines.extend(data.split("\n")[:-1])
    return lines


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_new_file_gets_the_configured_mode_whatever_the_umask(
    tmp_path: Path, umask: Callable[[int], int], mask: int
) -> None:
    """A new log file has exactly the configured mode (default 0640) under any umask."""
    umask(mask)
    default = FileSink(tmp_path / "default.log")
    private = FileSink(tmp_path / "private.log", mode=0o600)
    shared = FileSink(tmp_path / "shared.log", mode=0o664)
    for sink in (default, private, shared):
        sink.close()
    assert mode_of(tmp_path / "default.log") == 0o640
    assert mode_of(tmp_path / "private.log") == 0o600
    assert mode_of(tmp_path / "shared.log") == 0o664


def test_profile_mode_reaches_the_file(
    tmp_path: Path, write_profile: Callable[..., Path], umask: Callable[[int], int]
) -> None:
    """`mode` in a profile is the mode of the file the runtime creates."""
    umask(0o000)
    target = tmp_path / "sub" / "dir" / "app.log"
    profile = file_profile(target).replace("formatter: bare}", "formatter: bare, mode: '0600'}")
    with logboot.setup_logging(write_profile(profile)):
        logging.getLogger().info("one")
    assert mode_of(target) == 0o600
    assert lines_of(target) == ["one"]


def test_existing_file_is_appended_to_and_keeps_its_mode(tmp_path: Path) -> None:
    """An existing log file is appended to, never truncated, and its mode is left alone."""
    path = tmp_path / "app.log"
    path.write_text("before\n")
    path.chmod(0o644)
    sink = FileSink(path)
    sink.write_lines(["after"])
    sink.close()
    assert lines_of(path) == ["before", "after"]
    assert mode_of(path) == 0o644


def test_symlink_at_the_log_path_is_refused(tmp_path: Path) -> None:
    """A symlink at the log path is refused, and its target is not touched."""
    target = tmp_path / "victim"
    target.write_text("precious\n")
    link = tmp_path / "app.log"
    link.symlink_to(target)
    message = (
        rf"^refusing to open log file {re.escape(repr(str(link)))}: it is a symlink "
        r"\(a link at a log path can redirect writes to another file\)$"
    )
    with pytest.raises(SetupError, match=message):
        FileSink(link)
    assert target.read_text() == "precious\n"


def test_dangling_symlink_is_refused(tmp_path: Path) -> None:
    """A symlink to a file that does not exist yet is refused too, and nothing is created."""
    link = tmp_path / "app.log"
    link.symlink_to(tmp_path / "elsewhere.log")
    with pytest.raises(SetupError, match=r"^refusing to open log file .*: it is a symlink .*$"):
        FileSink(link)
    assert not (tmp_path / "elsewhere.log").exists()


def test_unopenable_path_is_a_setup_error(tmp_path: Path) -> None:
    """A log path under a regular file is a SetupError naming the path."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SetupError, match=r"^cannot create the folder of log file '.*/file/x/app\.log': .*$"):
        FileSink(blocker / "x" / "app.log")
    directory = tmp_path / "dir.log"
    directory.mkdir()
    with pytest.raises(SetupError, match=r"^cannot open log file '.*/dir\.log': Is a directory$"):
        FileSink(directory)


def test_closed_file_sink_refuses_to_write(tmp_path: Path) -> None:
    """A closed file sink raises instead of quietly opening its file again."""
    sink = FileSink(tmp_path / "a.log")
    sink.write_lines(["one"])
    sink.close()
    with pytest.raises(ValueError, match=r"^log file sink '.*a\.log' is closed$"):
        sink.write_lines(["two"])
    assert lines_of(tmp_path / "a.log") == ["one"]


def rotated(path: Path) -> list[Path]:
    """The rotated files of ``path``, oldest first, then ``path`` itself."""
    backups = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:]))
    return [*backups, path]


def test_rotating_file_keeps_every_line_once(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """Size rotation through the runtime: every line is in exactly one file, in order, none too big."""
    path = tmp_path / "app.log"
    profile = file_profile(path).replace(
        "{type: file,", "{type: rotating_file, max_bytes: 1000, backup_count: 500,"
    )
    expected = [f"record {i:05d} " + "x" * (i % 40) for i in range(3000)]
    with logboot.setup_logging(write_profile(profile)) as runtime:
        log = logging.getLogger("rot")
        for line in expected:
            log.info(line)
        assert runtime.flush(60)  # 3,000 rotations: seconds on a busy machine
    files = rotated(path)
    assert len(files) > 50
    assert all(p.stat().st_size <= 1000 for p in files)
    assert lines_of(*files) == expected


def test_rotating_file_keeps_only_backup_count(tmp_path: Path) -> None:
    """Only backup_count rolled files stay, and they hold the newest lines."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=100, backup_count=2)
    expected = [f"line {i:04d}" for i in range(100)]  # 10 bytes each, 10 per file
    for start in range(0, 100, 7):
        sink.write_lines(expected[start : start + 7])
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1", "app.log.2"]
    assert lines_of(*rotated(path)) == expected[-30:]


def test_rotating_without_backups_starts_over(tmp_path: Path) -> None:
    """backup_count 0 empties the file at each rollover; a line longer than max_bytes stands alone."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=20, backup_count=0)
    sink.write_lines(["a" * 9, "b" * 9, "c" * 9])
    assert lines_of(path) == ["c" * 9]
    sink.write_lines(["d" * 50])
    assert lines_of(path) == ["d" * 50]
    sink.write_lines(["e"])
    sink.close()
    assert lines_of(path) == ["e"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log"]


def test_rotating_without_a_limit_never_rolls(tmp_path: Path) -> None:
    """max_bytes 0 means one file that only grows."""
    sink = RotatingFileSink(tmp_path / "app.log", max_bytes=0, backup_count=3)
    for i in range(50):
        sink.write_lines([f"{i}" * 100])
    sink.close()
    assert len(lines_of(tmp_path / "app.log")) == 50
    assert [p.name for p in tmp_path.iterdir()] == ["app.log"]


def test_timed_rotation_every_second(tmp_path: Path) -> None:
    """when: S rolls each second into files named after the second they hold; no line is lost."""
    path = tmp_path / "app.log"
    sink = TimedRotatingFileSink(path, when="S", interval=1, backup_count=100, utc=True)
    first = sink.rollover_at
    entries = [(first - 0.5 + i * 0.25, f"line {i}") for i in range(20)]  # five seconds
    assert sink.write_timed(entries) == 20
    sink.close()
    rolled = sink.files()
    assert len(rolled) == 5
    stamp = r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}"
    assert all(re.fullmatch(rf"app\.log\.{stamp}", p.name) for p in rolled)
    assert lines_of(*rolled, path) == [line for _, line in entries]
    assert lines_of(rolled[0]) == ["line 0", "line 1"]
    assert rolled[0].name == "app.log." + time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime(first - 1))


def test_timed_rotation_through_the_runtime(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """A timed sink in a profile rolls over once its time has come, between two records."""
    path = tmp_path / "timed.log"
    profile = file_profile(path).replace("{type: file,", "{type: timed_rotating_file, when: S, interval: 1,")
    with logboot.setup_logging(write_profile(profile)) as runtime:
        handler = runtime.topology.sinks["out"].handler
        assert isinstance(handler, TimedRotatingFileSink)
        logging.getLogger().info("before")
        assert runtime.flush()
        handler.rollover_at = time.time() - 0.001  # the second is over
        logging.getLogger().info("after")
        assert runtime.flush()
    rolled = handler.files()
    assert len(rolled) == 1
    assert lines_of(rolled[0]) == ["before"]
    assert lines_of(path) == ["after"]


def test_timed_rotation_prunes_the_oldest(tmp_path: Path) -> None:
    """Only backup_count rolled files stay: the newest ones, even when their mtimes are equal."""
    path = tmp_path / "app.log"
    sink = TimedRotatingFileSink(path, when="S", interval=1, backup_count=2, utc=True)
    first = sink.rollover_at
    sink.write_timed([(first - 0.5 + i, f"line {i}") for i in range(4)])
    for rolled in sink.files():  # a coarse file system gives files of one second one mtime
        os.utime(rolled, ns=(1_000_000_000, 1_000_000_000))
    sink.write_timed([(first + 3.5, "line 4")])
    sink.close()
    assert lines_of(*sink.files(), path) == ["line 2", "line 3", "line 4"]


def utc(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


@pytest.mark.parametrize(
    ("now", "when", "interval", "expected"),
    [
        ("2024-01-01 12:00:00", "S", 5, "2024-01-01 12:00:05"),
        ("2024-01-01 12:00:00", "M", 2, "2024-01-01 12:02:00"),
        ("2024-01-01 12:00:00", "H", 1, "2024-01-01 13:00:00"),
        ("2024-01-01 12:00:00", "D", 1, "2024-01-02 12:00:00"),
        ("2024-01-01 12:00:00", "midnight", 1, "2024-01-02 00:00:00"),
        ("2024-01-31 23:59:59", "midnight", 2, "2024-02-02 00:00:00"),
        # W<n> rolls at the midnight that ends day n (as logging.TimedRotatingFileHandler does).
        ("2024-01-01 12:00:00", "W0", 1, "2024-01-02 00:00:00"),  # a Monday: tonight
        ("2024-01-03 12:00:00", "W0", 1, "2024-01-09 00:00:00"),  # a Wednesday
        ("2024-01-07 12:00:00", "W0", 1, "2024-01-09 00:00:00"),  # a Sunday
        ("2024-01-02 00:00:00", "W0", 1, "2024-01-09 00:00:00"),  # just rolled
        ("2024-01-01 12:00:00", "W6", 1, "2024-01-08 00:00:00"),
        ("2024-01-01 12:00:00", "W0", 2, "2024-01-09 00:00:00"),
    ],
)
def test_next_rollover_in_utc(now: str, when: str, interval: int, expected: str) -> None:
    """The next rollover time for each unit, in UTC."""
    assert next_rollover(utc(now), when, interval, True) == utc(expected)


def test_next_local_midnight_follows_daylight_saving(timezone: Callable[[str], None]) -> None:
    """Local rollovers land on local midnight even across a daylight saving change."""
    timezone("CET-1CEST,M3.5.0,M10.5.0/3")  # Central Europe: summer time from 2024-03-31
    friday_noon = time.mktime((2024, 3, 29, 12, 0, 0, 0, 0, -1))
    monday = next_rollover(friday_noon, "midnight", 3, False)
    assert time.localtime(monday)[:6] == (2024, 4, 1, 0, 0, 0)
    weekly = next_rollover(friday_noon, "W0", 1, False)  # the end of Monday
    assert time.localtime(weekly)[:6] == (2024, 4, 2, 0, 0, 0)


def test_console_writes_to_the_chosen_stream(capsys: pytest.CaptureFixture[str]) -> None:
    """A console sink writes whole lines to stderr or stdout as configured."""
    ConsoleSink("stderr", "never").write_lines(["to err", "second"])
    ConsoleSink("stdout", "never").write_lines(["to out"])
    captured = capsys.readouterr()
    assert captured.err == "to err\nsecond\n"
    assert captured.out == "to out\n"


def test_console_through_a_profile(
    write_profile: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A profile's console sink on stdout gets its records formatted, and stderr stays clean."""
    profile = write_profile(
        """\
        version: 1
        formatters:
          short: {type: text, format: "{levelname}:{name}:{message}"}
        sinks:
          out: {type: console, stream: stdout, formatter: short, color: never}
        queues:
          main: {}
        listeners:
          main: {queue: main, sinks: [out]}
        root: {level: INFO, queue: main}
        """
    )
    with logboot.setup_logging(profile) as runtime:
        logging.getLogger("web").info("up %d", 1)
        logging.getLogger("web").debug("hidden")
        logging.getLogger("web").warning("line\nbreak")
        assert runtime.flush()
    captured = capsys.readouterr()
    assert captured.out == "INFO:web:up 1\nWARNING:web:line\\nbreak\n"
    assert captured.err == ""


def test_console_colours_only_when_asked() -> None:
    """Colours are added with `always`, never with `never`, and on `auto` only for a terminal."""
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad", None, None)
    coloured = ConsoleSink("stderr", "always")
    assert coloured.format(record) == "\x1b[31mbad\x1b[0m"
    info = logging.LogRecord("x", logging.INFO, __file__, 1, "fine", None, None)
    assert coloured.format(info) == "fine"
    assert ConsoleSink("stderr", "never").format(record) == "bad"
    assert not wants_color(io.StringIO(), "auto")


def test_auto_colour_respects_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR turns colours off even on a terminal."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_color(Terminal(), "auto")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Terminal(), "auto")


def test_null_sink_counts_and_discards(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    """A null sink takes every record without formatting it, and counts them."""
    profile = file_profile(tmp_path / "unused.log").replace("sinks: [out]", "sinks: [nothing]")
    profile = profile.replace("sinks:\n", "sinks:\n  nothing: {type: 'null'}\n", 1)  # bare null is None
    with logboot.setup_logging(write_profile(profile)) as runtime:
        for i in range(100):
            logging.getLogger().info("r%d", i)
        assert runtime.flush()
        assert runtime.stats()["sinks"]["nothing"] == {"type": "null", "records": 100, "errors": 0}
    assert NullSink().describe() == "discards"
    assert NullSink().write_lines(["a", "b"]) == 2


def test_a_write_cut_short_by_a_signal_goes_on_where_it_stopped() -> None:
    """A signal during a write into a full pipe makes the kernel write short; the rest
    follows, and the reader gets every byte once, in order."""
    read_end, write_end = os.pipe()
    data = bytes(range(256)) * 4096  # 1 MiB, more than a pipe holds
    got = bytearray()

    def read_later() -> None:
        time.sleep(0.5)  # after the signal: the write is blocked on a full pipe until then
        while chunk := os.read(read_end, 65536):
            got.extend(chunk)

    signals: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: signals.append(signum))
    reader = threading.Thread(target=read_later)
    reader.start()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        write_bytes(write_end, data)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.close(write_end)
        reader.join(10)
        os.close(read_end)
    assert signals == [signal.SIGALRM]
    assert bytes(got) == data
