"""Timed rotation as the standard library's handler does it: restart past a boundary, weekly names."""

from __future__ import annotations

import calendar
import logging.handlers
import os
import time
import types
from pathlib import Path

import pytest

from logboot.sinks.timed import TimedRotatingFileSink


def utc(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def stdlib_rolled_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, start: float, now: float
) -> str:
    """The name the stdlib's handler gives the file it rolls at ``now``, started at ``start``."""
    folder = tmp_path / "stdlib"
    folder.mkdir()
    fake = types.SimpleNamespace(
        time=lambda: now, gmtime=time.gmtime, localtime=time.localtime, strftime=time.strftime
    )
    handler = logging.handlers.TimedRotatingFileHandler(folder / "app.log", when=when, utc=True)
    try:
        handler.rolloverAt = handler.computeRollover(int(start))
        monkeypatch.setattr(logging.handlers, "time", fake)  # the stdlib's clock only
        handler.doRollover()
    finally:
        handler.close()
    (rolled,) = [p.name for p in folder.iterdir() if p.name != "app.log"]
    return rolled


@pytest.mark.parametrize("when", ["midnight", "W0", "W1", "W2", "W3", "W4", "W5", "W6"])
@pytest.mark.parametrize("started", ["2024-01-03 12:00:00", "2024-01-07 23:59:59", "2024-02-29 00:00:00"])
def test_rolled_names_equal_the_stdlib_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, started: str
) -> None:
    """A daily or weekly file is named as logging.handlers.TimedRotatingFileHandler names it."""
    start = utc(started)
    clock = [start]
    path = tmp_path / "app.log"
    sink = TimedRotatingFileSink(path, when=when, utc=True, clock=lambda: clock[0])
    sink.write_lines(["before"])
    clock[0] = sink.rollover_at + 1
    sink.write_lines(["after"])
    sink.close()
    (rolled,) = sink.files()
    assert rolled.read_text() == "before\n"
    assert path.read_text() == "after\n"
    assert rolled.name == stdlib_rolled_name(tmp_path, monkeypatch, when, start, clock[0])


def test_restart_past_the_boundary_rolls_over_at_once(tmp_path: Path) -> None:
    """A file last written yesterday is rolled over by the first write after a restart today."""
    path = tmp_path / "app.log"
    path.write_text("yesterday\n")
    yesterday = utc("2024-01-01 15:00:00")
    os.utime(path, (yesterday, yesterday))
    today = utc("2024-01-02 10:00:00")
    sink = TimedRotatingFileSink(path, when="midnight", utc=True, clock=lambda: today)
    assert sink.rollover_at == utc("2024-01-02 00:00:00")
    sink.write_lines(["today"])
    sink.close()
    (rolled,) = sink.files()
    assert rolled.name == "app.log.2024-01-01"
    assert rolled.read_text() == "yesterday\n"
    assert path.read_text() == "today\n"
    assert sink.rollover_at == utc("2024-01-03 00:00:00")


def test_restart_within_the_interval_keeps_writing(tmp_path: Path) -> None:
    """A file last written earlier today is written on; it rolls at tonight's midnight."""
    path = tmp_path / "app.log"
    path.write_text("morning\n")
    morning = utc("2024-01-02 08:00:00")
    os.utime(path, (morning, morning))
    sink = TimedRotatingFileSink(path, when="midnight", utc=True, clock=lambda: morning + 3600)
    sink.write_lines(["later"])
    sink.close()
    assert sink.files() == []
    assert path.read_text() == "morning\nlater\n"
    assert sink.rollover_at == utc("2024-01-03 00:00:00")
