"""Request context (``logboot.context``, ``bind``, ``unbind``, ``bound``, ``carry``): what is
bound, what a record carries, and how the fields are written, scrubbed and kept on one line."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import logboot
from logboot.core.context import RESERVED, capture, current_snapshot
from logboot.core.records import CONTEXT_NAMES, RECORD_ATTRIBUTES
from logboot.formatters.escaping import context_text
from logboot.formatters.json import JsonFormatter
from logboot.formatters.text import TextFormatter
from logboot.runtime.handler import QueueHandler
from logboot.runtime.queues import ThreadQueue

pytestmark = pytest.mark.timeout(30)

TEXT = "REC|{levelname}|{message}|{context}|rid={request_id}"


@pytest.fixture(autouse=True)
def _empty_context() -> Iterator[None]:
    """Each test starts, and leaves the suite, with nothing bound."""
    assert current_snapshot() is None
    yield
    logboot.unbind(*logboot.bound())


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Callable[[], tuple[list[dict[str, Any]], list[str]]]]:
    """A running profile writing JSON lines and the ``TEXT`` layout; the reader stops it and
    returns both files, which must hold the same number of whole records."""
    (tmp_path / "profile.yaml").write_text(
        f"""\
version: 1
formatters:
  json: {{type: json}}
  text: {{type: text, format: "{TEXT}"}}
filters:
  secrets: {{type: redact, patterns: ['hunter2-\\w+'], keys: [token]}}
sinks:
  json: {{type: file, path: "{tmp_path / "out.jsonl"}", formatter: json}}
  text: {{type: file, path: "{tmp_path / "out.log"}", formatter: text}}
queues:
  main: {{}}
listeners:
  main: {{queue: main, sinks: [json, text]}}
root: {{level: INFO, queue: main, filters: [secrets]}}
loggers:
  asyncio: {{level: WARNING}}
""",
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(tmp_path / "profile.yaml")

    def read() -> tuple[list[dict[str, Any]], list[str]]:
        report = runtime.stop()
        assert report.clean
        assert runtime.stats()["sinks"]["json"]["errors"] == runtime.stats()["sinks"]["text"]["errors"] == 0
        # Split at "\n" only: JSON keeps U+2028 or \x85 in a string as they are (the text
        # layout escapes them: there, every line a reader sees must be a whole record).
        raw = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
        text = (tmp_path / "out.log").read_text(encoding="utf-8")
        assert raw.endswith("\n") and text.endswith("\n")
        records = [json.loads(line) for line in raw[:-1].split("\n")]
        lines = text.splitlines()
        assert len(records) == len(lines)
        assert all(line.startswith("REC|") and line.count("|") == 4 for line in lines), lines
        return records, lines

    yield read
    runtime.stop()


def context_of(line: str) -> str:
    """The `{context}` part of a ``TEXT`` line."""
    return line.split("|")[3]


# --- binding -------------------------------------------------------------------------------


def test_context_binds_inside_and_restores_exactly_after() -> None:
    """Blocks nest, an inner value wins, and leaving one restores what was bound before it,
    dropping what ``bind`` added inside."""
    logboot.bind(a=1)
    with logboot.context(b=2) as fields:
        assert dict(fields) == {"a": 1, "b": 2}
        with logboot.context(a=10, c=3):
            logboot.bind(d=4)
            assert dict(logboot.bound()) == {"a": 10, "b": 2, "c": 3, "d": 4}
        assert dict(logboot.bound()) == {"a": 1, "b": 2}
    assert dict(logboot.bound()) == {"a": 1}


def test_context_restores_when_the_block_raises() -> None:
    """An exception leaving the block still restores the fields."""
    with pytest.raises(KeyError), logboot.context(a=1):
        raise KeyError("x")
    assert dict(logboot.bound()) == {}
    assert current_snapshot() is None


def test_unbind_removes_names_and_ignores_the_unbound() -> None:
    """``unbind`` of a name not bound changes nothing; with no field left nothing is bound at all."""
    logboot.bind(a=1, b=2)
    before = logboot.bound()
    logboot.unbind("zz")
    assert logboot.bound() is before
    logboot.unbind("a", "zz")
    assert dict(logboot.bound()) == {"b": 2}
    logboot.unbind("b")
    assert current_snapshot() is None  # the handler's fast path again
    logboot.unbind()


def test_bound_is_a_read_only_snapshot() -> None:
    """``bound()`` cannot be changed, and a later bind leaves a view taken earlier as it was."""
    logboot.bind(a=1)
    view = logboot.bound()
    with pytest.raises(TypeError):
        view["a"] = 2  # type: ignore[index]
    logboot.bind(a=2, b=3)
    assert dict(view) == {"a": 1}
    assert dict(logboot.bound()) == {"a": 2, "b": 3}


@pytest.mark.parametrize(
    "name",
    [
        "msg", "args", "levelname", "name", "exc_info", "message", "asctime", "exc_type",
        "exc_message", "context", "taskName", "logboot_context", "time", "level", "exc_traceback",
        "not-an-identifier", "with space", "", "__class__", "__dict__",
    ],
)  # fmt: skip
def test_a_field_name_that_would_corrupt_a_record_is_refused(name: str) -> None:
    """Reserved or invalid names raise ValueError naming the field, in bind and context alike,
    and bind nothing."""
    logboot.bind(ok=1)
    for bind_it in (lambda: logboot.bind(**{name: 1, "other": 2}), lambda: logboot.context(**{name: 1})):
        with pytest.raises(ValueError, match=re.escape(repr(name))):
            bind_it()
    assert dict(logboot.bound()) == {"ok": 1}


def test_reserved_names_cover_every_record_attribute_and_json_key() -> None:
    """No context field can take a record attribute or a key a JSON line writes for itself."""
    record = logging.LogRecord("a", logging.ERROR, __file__, 1, "m", None, None, "f", "stack")
    record.exc_text, record.exc_type, record.exc_message = "Traceback...", "E", "e"
    keys = json.loads(JsonFormatter().format(record)).keys()
    assert keys <= RESERVED
    assert RECORD_ATTRIBUTES <= RESERVED


def test_unbind_refuses_a_name_that_is_not_text() -> None:
    """A name that is not a str is a TypeError, not silently ignored."""
    with pytest.raises(TypeError, match="str"):
        logboot.unbind(1)  # type: ignore[arg-type]


def test_decorator_binds_for_each_call_of_a_function() -> None:
    """A decorated function sees the fields during each call, also when it raises; the
    caller's fields are as before."""
    seen: list[dict[str, object]] = []

    @logboot.context(job="nightly")
    def work(fail: bool) -> str:
        seen.append(dict(logboot.bound()))
        if fail:
            raise RuntimeError("boom")
        return "done"

    logboot.bind(caller=1)
    assert work(False) == "done"
    with pytest.raises(RuntimeError):
        work(True)
    assert seen == [{"caller": 1, "job": "nightly"}] * 2
    assert dict(logboot.bound()) == {"caller": 1}
    assert work.__name__ == "work"


def test_decorator_binds_for_the_whole_run_of_a_coroutine() -> None:
    """A decorated ``async def`` binds while the coroutine runs, across awaits, not while it
    is created; the caller's context is unchanged."""

    @logboot.context(job="async")
    async def work() -> list[dict[str, object]]:
        first = dict(logboot.bound())
        await asyncio.sleep(0)
        return [first, dict(logboot.bound())]

    async def main() -> list[dict[str, object]]:
        coroutine = work()
        assert dict(logboot.bound()) == {}  # creating the coroutine binds nothing
        result = await coroutine
        assert dict(logboot.bound()) == {}
        return result

    assert asyncio.run(main()) == [{"job": "async"}] * 2
    assert asyncio.iscoroutinefunction(work)


def test_async_with_binds_and_restores() -> None:
    """``async with logboot.context(...)`` binds for its block and restores after it."""

    async def main() -> tuple[dict[str, object], dict[str, object]]:
        async with logboot.context(a=1) as fields:
            await asyncio.sleep(0)
            inside = dict(logboot.bound())
        assert dict(fields) == inside
        return inside, dict(logboot.bound())

    assert asyncio.run(main()) == ({"a": 1}, {})


def test_generator_functions_are_refused() -> None:
    """A generator or async generator function cannot be decorated, nor carried: the binding would leak."""

    def numbers() -> Iterator[int]:
        yield 1

    async def more() -> Any:
        yield 1

    for fn in (numbers, more):
        with pytest.raises(TypeError, match="generator"):
            logboot.context(a=1)(fn)
        with pytest.raises(TypeError, match="plain function"):
            logboot.carry(fn)


def test_one_context_object_serves_many_threads_at_once() -> None:
    """One ``context`` object entered by 8 threads at once, left in another order, restores each
    thread's own fields."""
    shared = logboot.context(component="db")
    barrier = threading.Barrier(8)
    results: dict[int, tuple[dict[str, object], dict[str, object]]] = {}

    def run(n: int) -> None:
        logboot.bind(worker=n)
        with shared:
            barrier.wait(10)
            inside = dict(logboot.bound())
            barrier.wait(10)
        results[n] = (inside, dict(logboot.bound()))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {n: ({"worker": n, "component": "db"}, {"worker": n}) for n in range(8)}


def test_leaving_a_block_in_another_context_is_an_error() -> None:
    """``__exit__`` in a context that never entered the block says so instead of resetting it."""
    block = logboot.context(a=1)
    block.__enter__()
    with pytest.raises(RuntimeError, match="other than the one that entered"):
        contextvars.Context().run(block.__exit__, None, None, None)
    block.__exit__(None, None, None)
    assert current_snapshot() is None


# --- capture on the producer's side --------------------------------------------------------


def make_record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "m %s", ("x",), None)
    record.__dict__.update(extra)
    return record


def test_nothing_bound_leaves_the_record_as_before() -> None:
    """With nothing bound the handler adds no attribute at all."""
    queue = ThreadQueue("q", 0)
    assert QueueHandler(queue).handle(make_record())
    (record,) = queue.take(1)
    assert set(record.__dict__) == set(make_record().__dict__)


def test_capture_sets_the_fields_once_and_an_extra_wins() -> None:
    """Fields go on the record unless it has them (an ``extra``); a second handler of the same
    record captures nothing again, even in another context."""
    queue = ThreadQueue("q", 0)
    with logboot.context(request_id="r-1", user="ann"):
        record = make_record(request_id="from-extra")
        assert QueueHandler(queue).handle(record)
    with logboot.context(user="bob"):
        assert QueueHandler(queue).handle(record)
    first, second = queue.take(2)
    assert first is second is record
    assert (record.request_id, record.user) == ("from-extra", "ann")
    assert getattr(record, CONTEXT_NAMES) == ("request_id", "user")


def test_the_record_keeps_what_was_bound_when_it_was_logged() -> None:
    """Binding after the call never changes a record already taken."""
    queue = ThreadQueue("q", 0)
    handler = QueueHandler(queue)
    with logboot.context(step=1):
        handler.handle(make_record())
        logboot.bind(step=2)
        handler.handle(make_record())
    assert [r.step for r in queue.take(2)] == [1, 2]


# --- written: JSON, text, redact -------------------------------------------------------------


def test_records_carry_the_fields_in_json_and_text(files: Callable[[], tuple[list[Any], list[str]]]) -> None:
    """JSON has each field as a top-level key (an ``extra`` of the same name wins); ``{context}``
    shows the pairs and ``{request_id}`` the field, empty outside a context."""
    log = logging.getLogger("app")
    for n in range(50):
        log.info("outside %d", n)
        with logboot.context(request_id=f"r-{n}", user="ann smith", n=n):
            log.info("inside %d", n)
            log.info("extra %d", n, extra={"request_id": "from-extra"})
    records, lines = files()
    assert len(records) == 150
    for n in range(50):
        outside, inside, extra = records[3 * n : 3 * n + 3]
        assert outside["message"] == f"outside {n}" and "request_id" not in outside and "user" not in outside
        assert {k: inside[k] for k in ("message", "request_id", "user", "n")} == {
            "message": f"inside {n}", "request_id": f"r-{n}", "user": "ann smith", "n": n,
        }  # fmt: skip
        assert (extra["message"], extra["request_id"], extra["user"]) == (
            f"extra {n}",
            "from-extra",
            "ann smith",
        )
        assert all(CONTEXT_NAMES not in r and "context" not in r for r in (outside, inside, extra))
        assert lines[3 * n : 3 * n + 3] == [
            f"REC|INFO|outside {n}||rid=",
            f'REC|INFO|inside {n}|request_id=r-{n} user="ann smith" n={n}|rid=r-{n}',
            f'REC|INFO|extra {n}|request_id=from-extra user="ann smith" n={n}|rid=from-extra',
        ]


FORGED = "a\nFORGED b\r\nFORGED c\rFORGED d\x85FORGED e\u2028FORGED f\x0bFORGED g\x1b[2J"


def test_hostile_context_values_cannot_forge_a_line_or_a_pair(
    files: Callable[[], tuple[list[Any], list[str]]],
) -> None:
    """CR, LF, ANSI escapes, quotes and ``k=v`` text in a value stay inside one line and one
    pair, escaped as in a message, in ``{context}`` and in ``{request_id}``."""
    log = logging.getLogger("app")
    values = [FORGED, 'x" admin=true "', "a=b", "", "back\\slash", "tab\there", "plain"]
    for value in values:
        with logboot.context(request_id=value, other="ok"):
            log.info("hostile")
    records, lines = files()
    assert [r["request_id"] for r in records] == values  # JSON keeps the value exactly
    escaped = FORGED.encode("unicode_escape").decode()
    pairs = [context_of(line) for line in lines]
    assert pairs == [
        f'request_id="{escaped}" other=ok',
        'request_id="x\\" admin=true \\"" other=ok',
        'request_id="a=b" other=ok',
        'request_id="" other=ok',
        'request_id="back\\\\slash" other=ok',
        'request_id="tab\\there" other=ok',
        "request_id=plain other=ok",
    ]
    assert lines[0].endswith(f"|rid={escaped}")
    for line in pairs:  # each parses back into exactly two pairs
        assert [m.group(1) for m in re.finditer(r'(\w+)=(?:"(?:[^"\\]|\\.)*"|\S*)', line)] == [
            "request_id",
            "other",
        ]


def test_redact_removes_a_secret_held_in_a_context_field(
    files: Callable[[], tuple[list[Any], list[str]]],
) -> None:
    """A root `redact` filter scrubs context values by pattern, at any depth, and by key, in
    JSON and in text, before the record is queued."""
    log = logging.getLogger("app.deep")
    for n in range(20):
        with logboot.context(request_id=f"hunter2-{n}", token=f"tok-{n}", nested={"list": [f"hunter2-x{n}"]}):
            log.info("with secrets %d", n)
    records, lines = files()
    assert len(records) == 20
    for n, (record, line) in enumerate(zip(records, lines, strict=True)):
        assert record["message"] == f"with secrets {n}"
        assert (record["request_id"], record["token"]) == ("[REDACTED]", "[REDACTED]")
        assert record["nested"] == {"list": ["[REDACTED]"]}
        assert "hunter2" not in line and "tok-" not in line
        assert (
            context_of(line) == "request_id=[REDACTED] token=[REDACTED] nested=\"{'list': ['[REDACTED]']}\""
        )
        assert line.endswith("|rid=[REDACTED]")


# Deeper than any interpreter renders: Python 3.12 and later count C recursion apart from
# sys.getrecursionlimit(), and render a list nested a little past that limit.
TOO_DEEP = 100_000


def deep(levels: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(levels):
        value = [value]
    return value


def test_many_fields_and_a_deep_value_break_nothing(files: Callable[[], tuple[list[Any], list[str]]]) -> None:
    """2,000 fields, and a value nested deeper than the recursion limit, are written (the deep
    one as the redact replacement) and the records around them are whole."""
    log = logging.getLogger("app")
    many = {f"f{i}": i for i in range(2_000)}
    with logboot.context(**many):
        log.info("many")
    with logboot.context(deep=deep(TOO_DEEP)):
        log.info("deep")
    log.info("after")
    records, lines = files()
    assert [r["message"] for r in records] == ["many", "deep", "after"]
    assert {k: records[0][k] for k in many} == many
    assert context_of(lines[0]) == " ".join(f"f{i}={i}" for i in range(2_000))
    redacted = records[1]["deep"]  # redact follows 64 levels, then fails closed
    for _ in range(64):
        (redacted,) = redacted
    assert redacted == "[REDACTED]"
    assert context_of(lines[1]) == "deep=" + "[" * 64 + "'[REDACTED]'" + "]" * 64


def test_a_deep_value_without_redact_is_written_as_a_placeholder() -> None:
    """Without a redact filter a value too deep to render shows as a placeholder in text and
    JSON; the record is not lost."""
    record = make_record()
    capture(record, _snapshot(deep=deep(TOO_DEEP)))
    assert context_text(record.__dict__) == 'deep="<unprintable list object>"'
    assert TextFormatter("{message} {deep}").format(record) == "m x <unprintable list object>"
    assert json.loads(JsonFormatter(["message", "extra"]).format(record)) == {
        "message": "m x", "deep": "<unrepresentable list object>",
    }  # fmt: skip


def _snapshot(**fields: object) -> Any:
    with logboot.context(**fields):
        return current_snapshot()


@pytest.mark.parametrize("style", ["{", "%", "$"])
def test_every_style_reads_context_and_single_fields(style: str) -> None:
    """``context`` and a field by name work in each layout style; a missing field is empty."""
    layout = {"{": "{message}|{context}|{user}", "%": "%(message)s|%(context)s|%(user)s"}.get(
        style, "${message}|${context}|${user}"
    )
    formatter = TextFormatter(layout, style=style)
    with_fields = make_record()
    capture(with_fields, _snapshot(user="ann", n=1))
    assert formatter.format_batch([with_fields, make_record()]) == ["m x|user=ann n=1|ann", "m x||"]


def test_text_and_json_formatters_leave_the_record_unchanged() -> None:
    """Rendering ``{context}`` stores nothing on the record (another sink sees it as it was)."""
    record = make_record()
    capture(record, _snapshot(user="ann"))
    before = dict(record.__dict__)
    TextFormatter("{context}").format(record)
    JsonFormatter().format(record)
    before.update(message="m x")  # the general path keeps its merged message, as logging does
    assert record.__dict__ == before


@pytest.mark.parametrize(
    ("style", "layout", "error"),
    [("%", "%(context)d", "use `%(context)s`"), ("{", "{context:d}", "`context` is text")],
)
def test_a_layout_that_renders_context_as_a_number_is_refused(style: str, layout: str, error: str) -> None:
    """The profile check refuses `context` with a numeric spec; plain uses validate."""
    from logboot.profile.formatter_specs import TextFormatterSpec

    for good in ("{context}", "%(context)s", "${context}", "{context:>40}", "%(context)-20s"):
        good_style = "%" if good.startswith("%") else "$" if good.startswith("$") else "{"
        TextFormatterSpec(type="text", style=good_style, format=good)
    with pytest.raises(ValueError, match=re.escape(error)):
        TextFormatterSpec(type="text", style=style, format=layout)


# --- threads and asyncio ---------------------------------------------------------------------


def test_threads_get_the_fields_only_when_carried(files: Callable[[], tuple[list[Any], list[str]]]) -> None:
    """A thread started inside a context starts empty; one whose target is ``carry(fn)``, and
    a pool task submitted as ``carry(fn)``, log with the fields bound when carry was called."""
    log = logging.getLogger("app")

    def work(tag: str) -> None:
        for n in range(100):
            log.info("%s %d", tag, n)

    with logboot.context(request_id="r-parent"):
        plain = threading.Thread(target=work, args=("plain",))
        carried = threading.Thread(target=logboot.carry(work), args=("carried",))
        for thread in (plain, carried):
            thread.start()
        for thread in (plain, carried):
            thread.join(10)
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(logboot.carry(work), ["pool-a", "pool-b"]))  # one carried fn, run in parallel
            pool.submit(work, "pool-plain").result(10)
    records, lines = files()
    assert len(records) == 500
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_tag.setdefault(record["message"].rsplit(" ", 1)[0], []).append(record)
    expected = {
        "plain": None,
        "carried": "r-parent",
        "pool-a": "r-parent",
        "pool-b": "r-parent",
        "pool-plain": None,
    }
    assert set(by_tag) == set(expected)
    for tag, request_id in expected.items():
        assert [r["message"] for r in by_tag[tag]] == [f"{tag} {n}" for n in range(100)]
        assert {r.get("request_id") for r in by_tag[tag]} == {request_id}
    assert sum("request_id=r-parent" in line for line in lines) == 300


def test_carry_runs_each_call_in_a_fresh_copy() -> None:
    """Binds inside one carried call are seen neither by the next call nor by the caller."""
    with logboot.context(a=1):
        carried = logboot.carry(lambda: (dict(logboot.bound()), logboot.bind(b=2)))
    assert carried()[0] == {"a": 1}
    assert carried()[0] == {"a": 1}
    assert dict(logboot.bound()) == {}


def test_asyncio_tasks_log_their_own_values_interleaved(
    files: Callable[[], tuple[list[Any], list[str]]],
) -> None:
    """Two concurrent tasks with different fields, taking turns record by record, each log
    with their own; the decorated coroutine and the loop's own context stay apart."""
    log = logging.getLogger("app")
    turns = 200

    async def main() -> None:
        events = [asyncio.Event(), asyncio.Event()]

        async def task(me: int) -> None:
            with logboot.context(request_id=f"task-{me}"):
                for n in range(turns):
                    await events[me].wait()
                    events[me].clear()
                    log.info("task %d turn %d", me, n)
                    events[1 - me].set()

        @logboot.context(request_id="decorated")
        async def decorated() -> None:
            await asyncio.sleep(0)
            log.info("decorated")

        runs = [asyncio.create_task(task(0)), asyncio.create_task(task(1)), asyncio.create_task(decorated())]
        events[0].set()
        await asyncio.gather(*runs)
        log.info("loop")

    asyncio.run(main())
    records, lines = files()
    assert len(records) == 2 * turns + 2
    turns_seen = [r for r in records if r["message"].startswith("task")]
    assert [r["message"] for r in turns_seen] == [f"task {n % 2} turn {n // 2}" for n in range(2 * turns)]
    assert all(r["request_id"] == "task-" + r["message"].split()[1] for r in turns_seen)
    other = {r["message"]: r.get("request_id") for r in records if not r["message"].startswith("task")}
    assert other == {"decorated": "decorated", "loop": None}
    for line in lines:
        message = line.split("|")[2]
        if message.startswith("task"):
            assert context_of(line) == "request_id=task-" + message.split()[1]


def test_a_propagating_loggers_redaction_covers_its_context_in_both_handlers(tmp_path: Path) -> None:
    """`redact` on a logger with its own handler and `propagate: true`: the record its handler
    takes and the one the root's handler takes (captured once) both have the context scrubbed."""
    (tmp_path / "profile.yaml").write_text(
        f"""\
version: 1
formatters:
  text: {{type: text, format: "REC|{{name}}|{{message}}|{{context}}"}}
filters:
  secrets: {{type: redact, patterns: ['hunter2-\\w+'], keys: [token]}}
sinks:
  text: {{type: file, path: "{tmp_path / "out.log"}", formatter: text}}
queues:
  main: {{}}
listeners:
  main: {{queue: main, sinks: [text]}}
root: {{level: INFO, queue: main}}
loggers:
  app: {{filters: [secrets], propagate: true}}
""",
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(tmp_path / "profile.yaml")
    for n in range(25):
        with logboot.context(token=f"tok-{n}", note=f"hunter2-{n}"):
            logging.getLogger("app.db").info("query %d", n)
            logging.getLogger("other").info("clean %d", n)
    assert runtime.stop().clean
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 75  # app.db's records twice (its logger's handler and the root's)
    assert sorted(lines) == sorted(
        line
        for n in range(25)
        for line in (
            *[f"REC|app.db|query {n}|token=[REDACTED] note=[REDACTED]"] * 2,
            f"REC|other|clean {n}|token=tok-{n} note=hunter2-{n}",  # no redaction for `other`
        )
    )
