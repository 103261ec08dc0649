"""Hostile values in any field of a text layout cannot forge a line: a line at column one starts a record."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sys
import threading
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

import pytest
from faults.harness import whole_lines, write_profile

import logboot

pytestmark = pytest.mark.timeout(30)

# Every way text can start a new line for a reader (str.splitlines), and a terminal escape.
FORGED = "a\nFORGED b\r\nFORGED c\rFORGED d\x85FORGED e\u2028FORGED f\x0bFORGED g\x1b[2J"
ESCAPED = FORGED.encode("unicode_escape").decode()  # what a text sink writes for it: \\n, \\x85, \\u2028...
ESCAPED_REPR = repr(ESCAPED)  # a str field is escaped, then !r shows it (as for any str field)
HEAD = "REC|"  # every layout starts with it: the first line of a record, and only that, does


class Shown:
    """An object whose every rendering (str, repr, format) carries line breaks."""

    def __init__(self, text: str = FORGED) -> None:
        self.attr = text
        self.text = text

    def __str__(self) -> str:
        return f"str {self.text}"

    def __repr__(self) -> str:
        return f"repr {self.text}"

    def __format__(self, spec: str) -> str:
        return f"format {spec} {self.text}"


class Count(int):
    """An int whose str() breaks lines: numeric specs still format its value."""

    def __str__(self) -> str:
        return f"count {FORGED}"


class Text(str):
    """A str whose own content is clean but whose str() (what %s calls) breaks lines."""

    __slots__ = ()

    def __str__(self) -> str:
        return f"text {FORGED}"


def text_profile(folder: Path, layout: str, style: str = "{") -> Path:
    """One text file sink (``folder / "out.log"``) with ``layout``, behind one thread queue."""
    layout = layout.replace("$", "$$")  # logboot expands ${VAR} in profile strings
    return write_profile(
        folder,
        f"""\
        version: 1
        formatters:
          text: {{type: text, style: "{style}", format: "{layout}"}}
        sinks:
          out: {{type: file, path: "{folder / "out.log"}", formatter: text}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [out]}}
        root: {{level: INFO, queue: main}}
        """,
    )


def text_records(path: Path, count: int) -> list[list[str]]:
    """The records of a text log, each its first line and its indented continuation lines;
    fails on any line that neither starts a record nor continues one, and unless there are
    exactly ``count`` records."""
    records: list[list[str]] = []
    for line in whole_lines(path):
        if line.startswith(HEAD):
            records.append([line])
        else:
            assert line.startswith("    ") and records, f"a forged line: {line!r}"
            records[-1].append(line)
    assert len(records) == count, records
    return records


def log_and_stop(profile: Path, *calls: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    """Log each ``(msg, args, kwargs)`` on logger ``app`` and stop the runtime (everything written)."""
    runtime = logboot.setup_logging(profile)
    try:
        log = logging.getLogger("app")
        for msg, args, kwargs in calls:
            log.info(msg, *args, **kwargs)
        assert runtime.flush(10.0)
    finally:
        runtime.stop()
    assert runtime.stats()["sinks"]["out"]["errors"] == 0


HOSTILE_EXTRA = {
    "path": PurePosixPath(f"/srv/{FORGED}"),
    "error": ValueError(FORGED),
    "shown": Shown(),
    "count": Count(7),
    "text": Text("clean"),
}
PLAIN_LAYOUTS = {
    "{": "REC| {message} p={path} e={error} s={shown} c={count} t={text}",
    "%": "REC| %(message)s p=%(path)s e=%(error)s s=%(shown)s c=%(count)s t=%(text)s",
    "$": "REC| ${message} p=${path} e=${error} s=${shown} c=${count} t=${text}",
}


@pytest.mark.parametrize("style", ["{", "%", "$"])
def test_non_string_extra_values_cannot_forge_a_line(tmp_path: Path, style: str) -> None:
    """A Path, an exception, objects whose str() breaks lines: in `extra`, one line in every style."""
    profile = text_profile(tmp_path, PLAIN_LAYOUTS[style], style)
    log_and_stop(profile, *[("record %d", (n,), {"extra": HOSTILE_EXTRA}) for n in range(3)])
    for n, (line,) in enumerate(text_records(tmp_path / "out.log", 3)):
        assert line.startswith(f"REC| record {n} p=/srv/a\\nFORGED b\\r\\nFORGED c\\rFORGED d\\x85"), line
        assert "s=str a\\nFORGED b" in line or "s=format  a\\nFORGED b" in line, line
        assert "t=text a\\nFORGED" in line or "t=clean" in line, line


@pytest.mark.parametrize(
    ("style", "layout"),
    [
        ("{", "REC| {message} {shown!r} {shown!s} {shown:>30} {shown!r:>40} {count:d} {count:>5}"),
        ("{", "REC| {message} {nested[key]} {nested[list][0]} {shown.attr} {error.args[0]} {path!r}"),
        ("{", "REC| {message} <{holder.value}> <{holder.value!r}>"),  # `value`: the object's own attribute
        ("%", "REC| %(message)s %(shown)r %(shown)s %(shown)-30s %(count)d %(count)5.1f %(path)r"),
        ("%", "REC| %(message)s %(nested)s %(error)r %(text)s %(text)r %(text)-20s"),
    ],
)
def test_conversions_and_format_specs_cannot_forge_a_line(tmp_path: Path, style: str, layout: str) -> None:
    """Conversions (!r, !s, %r), widths, numeric specs, item and attribute lookups escape what they render."""
    extra = {
        **HOSTILE_EXTRA,
        "nested": {"key": FORGED, "list": [Shown()]},
        "holder": SimpleNamespace(value=FORGED),
    }
    log_and_stop(text_profile(tmp_path, layout, style), ("record", (), {"extra": extra}))
    ((line,),) = text_records(tmp_path / "out.log", 1)
    assert line.startswith("REC| record ") and "FORGED b" in line, line
    if "holder" in layout:
        assert line == f"REC| record <{ESCAPED}> <{ESCAPED_REPR}>", line


NAME_FIELDS = ["name", "funcName", "threadName", "processName"] + (
    ["taskName"] if sys.version_info >= (3, 12) else []  # records have it from 3.12
)


@pytest.mark.parametrize(
    ("style", "layout"),
    [
        ("{", "REC| {message} " + " ".join(f"{{{f}}}" for f in NAME_FIELDS)),  # the compiled fast path
        ("{", "REC| {message} {nothing} " + " ".join(f"{{{f}}}" for f in NAME_FIELDS)),  # general path
        ("%", "REC| %(message)s " + " ".join(f"%({f})s" for f in NAME_FIELDS)),
        ("$", "REC| ${message} ${nothing} " + " ".join(f"${{{f}}}" for f in NAME_FIELDS)),
    ],
)
def test_hostile_logger_function_thread_process_and_task_names_cannot_forge_a_line(
    tmp_path: Path, style: str, layout: str
) -> None:
    """Line breaks in the logger, function, thread, process and task names are escaped, on both paths."""
    log = logging.getLogger(f"logger{FORGED}")

    def call() -> None:
        log.info("record", extra={"nothing": None})

    hostile_call = _named_function(call, f"function{FORGED}")
    runtime = logboot.setup_logging(text_profile(tmp_path, layout, style))
    try:
        with _process_named(f"process{FORGED}"):
            worker = threading.Thread(target=hostile_call, name=f"thread{FORGED}")
            worker.start()
            worker.join()
            asyncio.run(_in_a_task(hostile_call, f"task{FORGED}"))
        assert runtime.flush(10.0)
    finally:
        runtime.stop()
    thread_record, task_record = text_records(tmp_path / "out.log", 2)
    for name in ("logger", "function", "thread", "process"):
        assert f"{name}{ESCAPED}" in thread_record[0], (name, thread_record)
    if "taskName" in NAME_FIELDS:
        assert f"task{ESCAPED}" in task_record[0], task_record


@pytest.mark.parametrize(
    ("style", "layout"),
    [
        ("{", "REC| {name} {threadName} {processName}: {message}"),  # the compiled fast path
        ("%", "REC| %(name)-10s %(threadName)r %(processName)s: %(message)s"),  # compiled, with specs
        ("{", "REC| {name!s} {threadName!r} {processName}: {message}"),  # the general path
    ],
)
def test_non_string_record_fields_cannot_forge_a_line(tmp_path: Path, style: str, layout: str) -> None:
    """A record factory that puts objects in the name and thread name fields cannot forge a line."""
    profile = text_profile(tmp_path, layout, style)
    previous = logging.getLogRecordFactory()

    def hostile_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.name, record.threadName = Shown(), PurePosixPath(FORGED)  # type: ignore[assignment]
        return record

    logging.setLogRecordFactory(hostile_record)
    try:
        log_and_stop(profile, *[("record %d", (n,), {}) for n in range(5)])
    finally:
        logging.setLogRecordFactory(previous)
    for n, (line,) in enumerate(text_records(tmp_path / "out.log", 5)):
        assert line.startswith(f"REC| str {ESCAPED}") and line.endswith(f": record {n}"), line


def test_messages_args_exceptions_and_stacks_cannot_forge_a_line(tmp_path: Path) -> None:
    """A message object, non-str args (%s, %r), an exception and a stack: extra lines are indented."""
    profile = text_profile(tmp_path, "REC| {levelname} {message} [{exc_message}]")
    runtime = logboot.setup_logging(profile)
    try:
        log = logging.getLogger("app")
        log.info(Shown(), extra={"exc_message": FORGED})
        log.info("%s %r %s", PurePosixPath(FORGED), Shown(), Text("x"), extra={"exc_message": None})
        try:
            raise ValueError(FORGED)
        except ValueError:
            log.exception("failed %s", Shown(), stack_info=True)
        assert runtime.flush(10.0)
    finally:
        runtime.stop()
    first, second, third = text_records(tmp_path / "out.log", 3)
    assert first == [f"REC| INFO str {ESCAPED} [{ESCAPED}]"]
    assert second == [f"REC| INFO {ESCAPED} repr {ESCAPED} text {ESCAPED} [None]"]
    assert third[0] == f"REC| ERROR failed str {ESCAPED} [{ESCAPED}]"
    assert (
        "    ValueError: a" in third
        and "    FORGED b" in third
        and "    Stack (most recent call last):" in third
    )


def _named_function(function: Any, name: str) -> Any:
    """``function`` whose code is named ``name`` (what a record's ``funcName`` reads)."""
    function.__code__ = function.__code__.replace(co_name=name)
    return function


async def _in_a_task(function: Any, name: str) -> None:
    async def run() -> None:
        function()

    await asyncio.create_task(run(), name=name)


class _process_named:  # noqa: N801 - used as a context manager, named like one
    """Give the current process a name for a while (``processName``), then the old one back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.before = multiprocessing.current_process().name

    def __enter__(self) -> None:
        multiprocessing.current_process().name = self.name

    def __exit__(self, *exc: object) -> None:
        multiprocessing.current_process().name = self.before
