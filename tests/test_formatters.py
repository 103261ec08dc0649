"""Text and JSON formatters: unforgeable text lines, complete JSON objects."""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest

from logboot.core.records import prepare
from logboot.formatters.build import build_formatter
from logboot.formatters.escaping import escape
from logboot.formatters.json import JsonFormatter
from logboot.formatters.text import TextFormatter
from logboot.profile.schema import JsonFormatterSpec, TextFormatterSpec

CREATED = 1_700_000_000.123  # 2023-11-14T22:13:20.123Z


class BoomError(Exception):
    """An exception defined outside builtins, to see its qualified name."""


def make_record(
    message: str = "hello",
    *args: object,
    name: str = "app",
    level: int = logging.INFO,
    exc: BaseException | None = None,
    extra: dict[str, Any] | None = None,
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord(name, level, __file__, 42, message, args or None, exc_info, "func")
    record.created = CREATED
    record.msecs = 123.0
    for key, value in (extra or {}).items():
        setattr(record, key, value)
    return record


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_escape_leaves_printable_text_alone() -> None:
    """Printable text, including non-ASCII letters, passes unchanged."""
    assert escape("plain text, ünïcode, 日本") == "plain text, ünïcode, 日本"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\nb", "a\\nb"),
        ("a\rb", "a\\rb"),
        ("a\r\nFAKE 2024 ERROR root: forged", "a\\r\\nFAKE 2024 ERROR root: forged"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("tab\there", "tab\\there"),
        ("nul\x00bell\x07del\x7f", "nul\\x00bell\\x07del\\x7f"),
        ("nel\x85ls\u2028ps\u2029", "nel\\x85ls\\u2028ps\\u2029"),
    ],
)
def test_text_escapes_control_characters(raw: str, escaped: str) -> None:
    """CR, LF, ESC and every other control character in a message are escaped."""
    line = TextFormatter("{levelname} {name}: {message}").format(make_record(raw))
    assert line == f"INFO app: {escaped}"
    assert len(line.splitlines()) == 1


@pytest.mark.parametrize(
    ("style", "fmt"),
    [
        ("{", "{levelname:<8}|{name}|{threadName}|{message}"),
        ("%", "%(levelname)-8s|%(name)s|%(threadName)s|%(message)s"),
        ("$", "${levelname}    |${name}|${threadName}|${message}"),
    ],
)
def test_every_style_escapes_every_text_field(style: str, fmt: str) -> None:
    """In all three styles, outside text in any field (logger name, thread name) is escaped."""
    record = make_record("msg\nx", name="evil\nINFO root: forged")
    record.threadName = "worker\r1"
    line = TextFormatter(fmt, style=style).format(record)
    assert line == "INFO    |evil\\nINFO root: forged|worker\\r1|msg\\nx"


@pytest.mark.parametrize("style", ["{", "%", "$"])
def test_every_style_has_a_default_layout(style: str) -> None:
    """Without a format, each style lays out time, level, logger and message."""
    line = TextFormatter(style=style, utc=True).format(make_record("hi %s", "there"))
    assert line.startswith("2023-11-14T22:13:20.123Z INFO")
    assert line.endswith(" app: hi there")


def test_message_args_are_merged() -> None:
    """%-style args are merged into the message."""
    assert TextFormatter("{message}").format(make_record("%s=%d", "n", 3)) == "n=3"


def test_traceback_is_indented_continuation_lines() -> None:
    """A traceback follows its record as indented lines; no line of it starts at column one."""
    record = prepare(make_record("failed", level=logging.ERROR, exc=raised(ValueError("bad\nFAKE"))))
    text = TextFormatter("{levelname} {message}").format(record)
    first, *rest = text.split("\n")
    assert first == "ERROR failed"
    assert rest[0] == "    Traceback (most recent call last):"
    assert all(line.startswith("    ") for line in rest)
    assert rest[-2:] == ["    ValueError: bad", "    FAKE"]


def test_traceback_of_an_unprepared_record_is_rendered_too() -> None:
    """A record still holding exc_info (not prepared) gets its traceback rendered and indented."""
    record = make_record("failed", exc=raised(KeyError("k")))
    text = TextFormatter("{message}").format(record)
    assert text.split("\n")[-1] == "    KeyError: 'k'"


def test_stack_info_is_indented() -> None:
    """stack_info is kept with its record as indented lines."""
    record = make_record("here")
    record.stack_info = "Stack (most recent call last):\n  File 'x.py', line 1\nlast"
    text = TextFormatter("{message}").format(record)
    assert text.split("\n") == [
        "here",
        "    Stack (most recent call last):",
        "      File 'x.py', line 1",
        "    last",
    ]


def test_utc_time_is_iso_8601_with_milliseconds() -> None:
    """The default time stamp is ISO 8601 with milliseconds and Z in UTC."""
    formatter = TextFormatter("{asctime}", utc=True)
    assert formatter.format(make_record()) == "2023-11-14T22:13:20.123Z"
    later = make_record()
    later.created, later.msecs = CREATED + 0.5, 623.0
    assert formatter.format(later) == "2023-11-14T22:13:20.623Z"
    next_second = make_record()
    next_second.created, next_second.msecs = CREATED + 1, 123.0
    assert formatter.format(next_second) == "2023-11-14T22:13:21.123Z"


def test_local_time_carries_its_offset(timezone: Callable[[str], None]) -> None:
    """Local time stamps carry the zone's offset."""
    timezone("XYZ-5:30")  # POSIX: five and a half hours east of UTC
    assert TextFormatter("{asctime}").format(make_record()) == "2023-11-15T03:43:20.123+05:30"
    timezone("ABC+3")
    assert TextFormatter("{asctime}").format(make_record()) == "2023-11-14T19:13:20.123-03:00"


def test_datefmt_lays_out_the_time() -> None:
    """datefmt is a strftime layout, in UTC when asked."""
    formatter = TextFormatter("%(asctime)s %(message)s", datefmt="%d/%m/%Y %H:%M:%S", style="%", utc=True)
    assert formatter.format(make_record()) == "14/11/2023 22:13:20 hello"
    assert formatter.formatTime(make_record()) == "14/11/2023 22:13:20"


def test_build_formatter_follows_the_spec() -> None:
    """Specs from a profile build the matching formatter; none gives the default text."""
    text = build_formatter(TextFormatterSpec(type="text", style="%", format="%(levelname)s %(message)s"))
    assert text.format(make_record("x\ny")) == "INFO x\\ny"
    assert isinstance(build_formatter(None), TextFormatter)
    as_json = build_formatter(JsonFormatterSpec(type="json", fields=["level", "message"]))
    assert json.loads(as_json.format(make_record())) == {"level": "INFO", "message": "hello"}


def test_build_formatter_passes_a_preset_and_a_rename() -> None:
    """A `json` spec's preset and rename reach the formatter: GCP's names, then the rename's."""
    spec = JsonFormatterSpec(
        type="json", fields=["level", "message"], preset="gcp", rename={"message": "text"}
    )
    assert json.loads(build_formatter(spec).format(make_record())) == {"severity": "INFO", "text": "hello"}


def test_json_has_every_field_by_default() -> None:
    """A JSON line carries time, level, logger, message, process, thread and place fields."""
    record = make_record("n=%d", 5)
    data = json.loads(JsonFormatter().format(record))
    assert data == {
        "time": "2023-11-14T22:13:20.123Z",
        "level": "INFO",
        "logger": "app",
        "message": "n=5",
        "process": record.process,
        "process_name": record.processName,
        "thread": record.thread,
        "thread_name": record.threadName,
        "module": "test_formatters",
        "function": "func",
        "line": 42,
    }


def test_json_is_one_line_with_control_characters_escaped() -> None:
    """Control characters stay inside JSON strings; the object is one line."""
    line = JsonFormatter(["message"]).format(make_record("a\r\nb\x1b"))
    assert "\n" not in line and "\r" not in line
    assert json.loads(line) == {"message": "a\r\nb\x1b"}


def test_json_exception_fields() -> None:
    """Exception type, message and traceback are separate fields after producer preparation."""
    record = prepare(make_record("failed", exc=raised(BoomError("it broke"))))
    data = json.loads(JsonFormatter(["message", "exception"]).format(record))
    assert data["exc_type"] == f"{BoomError.__module__}.BoomError"
    assert data["exc_message"] == "it broke"
    assert data["exc_traceback"].startswith("Traceback (most recent call last):")
    assert data["exc_traceback"].endswith(f"{BoomError.__module__}.BoomError: it broke")
    builtin = prepare(make_record("failed", exc=raised(ValueError("v"))))
    assert json.loads(JsonFormatter(["exception"]).format(builtin))["exc_type"] == "ValueError"


def test_json_without_exception_has_no_exception_fields() -> None:
    """A record without an exception has no exc_* keys, and a stack only when there is one."""
    data = json.loads(JsonFormatter().format(make_record()))
    assert not {"exc_type", "exc_message", "exc_traceback", "stack"} & data.keys()
    record = make_record()
    record.stack_info = "Stack (most recent call last):\n  here"
    assert json.loads(JsonFormatter(["stack"]).format(record)) == {"stack": record.stack_info}


def test_json_extras_are_fields() -> None:
    """Keys given with extra= become fields of their own, keeping their JSON types."""
    record = make_record(extra={"user": "ann", "count": 3, "ratio": 0.5, "tags": ["a", "b"], "ok": None})
    data = json.loads(JsonFormatter(["message", "extra"]).format(record))
    assert data == {
        "message": "hello",
        "user": "ann",
        "count": 3,
        "ratio": 0.5,
        "tags": ["a", "b"],
        "ok": None,
    }


def test_json_unserialisable_extras_become_their_repr() -> None:
    """Values JSON cannot hold (objects, sets, bytes, odd keys, cycles) are written as repr."""
    cycle: list[Any] = []
    cycle.append(cycle)
    when = datetime.date(2024, 1, 2)
    extras = {"when": when, "raw": b"\x00", "by_pair": {(1, 2): "x"}, "cycle": cycle, "fine": {"k": 1}}
    data = json.loads(JsonFormatter(["extra"]).format(make_record(extra=extras)))
    assert data == {
        "when": repr(when),
        "raw": repr(b"\x00"),
        "by_pair": repr({(1, 2): "x"}),
        "cycle": "[[...]]",
        "fine": {"k": 1},
    }


def test_json_survives_a_broken_repr() -> None:
    """An extra whose repr raises is still written, as a placeholder."""

    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    data = json.loads(JsonFormatter(["message", "extra"]).format(make_record(extra={"thing": Opaque()})))
    assert data == {"message": "hello", "thing": "<unrepresentable Opaque object>"}


def test_json_fields_select_exactly_what_is_written() -> None:
    """`fields` lists exactly the keys an object carries."""
    record = prepare(make_record("x", exc=raised(ValueError("v")), extra={"user": "ann"}))
    data = json.loads(JsonFormatter(["time", "level", "thread_name"]).format(record))
    assert set(data) == {"time", "level", "thread_name"}


def test_json_local_time(timezone: Callable[[str], None]) -> None:
    """With utc off, JSON time stamps are local with their offset."""
    timezone("XYZ-1")
    assert json.loads(JsonFormatter(["time"], utc=False).format(make_record())) == {
        "time": "2023-11-14T23:13:20.123+01:00"
    }


def test_task_name_is_not_an_extra() -> None:
    """Standard record attributes (taskName on 3.12+) never show up as extras."""
    record = make_record()
    if sys.version_info < (3, 12):
        record.taskName = None
    assert json.loads(JsonFormatter(["extra"]).format(record)) == {}


def test_stdlib_layout_has_no_context_field() -> None:
    """`context` is logboot's own field: logging.Formatter could not lay it out."""
    from pydantic import ValidationError

    from logboot.profile.formatter_specs import TextFormatterSpec

    with pytest.raises(ValidationError, match="`context` is logboot's own field"):
        TextFormatterSpec(type="text", format="{message} {context}", stdlib_layout=True)
    assert TextFormatterSpec(type="text", format="{message} {context}").stdlib_layout is False
