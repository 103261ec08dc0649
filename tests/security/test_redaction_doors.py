"""The redact filter has no side doors: a matching secret reaches no sink, whatever its shape or path."""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import sys
import threading
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from faults.harness import run_child, whole_lines, write_profile

import logboot

pytestmark = pytest.mark.timeout(60)

SECRET = "hunter2-5ecret"  # noqa: S105 - matches the pattern
TOKEN = "tok-9f8e7d"  # noqa: S105 - matches no pattern: only its key (`token`) gives it away
SECRETS = (SECRET, TOKEN)
FILTER = "secrets: {type: redact, patterns: ['hunter2-\\w+'], keys: [token, api_key]}"
TEXT_LAYOUT = "{levelname} {name} [{threadName}]: {message} x={x} r={x!r}"


def profile(
    folder: Path,
    *,
    root_filters: str = "[]",
    loggers: str = "{}",
    queues: str = "main: {}",
    listeners: str = "main: {queue: main, sinks: [text, json]}",
) -> Path:
    """A text file (``out.log``) and a JSON file (``out.jsonl``), by default behind queue ``main``."""
    return write_profile(
        folder,
        f"""\
        version: 1
        formatters:
          text: {{type: text, format: "{TEXT_LAYOUT}"}}
          json: {{type: json}}
        filters:
          {FILTER}
        sinks:
          text: {{type: file, path: "{folder / "out.log"}", formatter: text}}
          json: {{type: file, path: "{folder / "out.jsonl"}", formatter: json}}
        queues: {{{queues}}}
        listeners: {{{listeners}}}
        root: {{level: INFO, queue: main, filters: {root_filters}}}
        loggers: {loggers}
        """,
    )


def assert_no_secret(folder: Path, count: int) -> list[dict[str, Any]]:
    """Check both sinks hold ``count`` whole records, none of them a secret; the JSON objects."""
    text = whole_lines(folder / "out.log")
    objects = [json.loads(line) for line in whole_lines(folder / "out.jsonl")]
    firsts = [line for line in text if not line.startswith("    ")]  # not a traceback's or a stack's
    assert len(firsts) == count and len(objects) == count, (text, objects)
    for line in [*text, *(folder / "out.jsonl").read_text().splitlines()]:
        for secret in SECRETS:
            assert secret not in line, (secret, line)
    return objects


def run(profile_path: Path, calls: Any) -> None:
    """Start a runtime, make the logging ``calls(log)`` on logger ``app``, stop it; no sink failed."""
    runtime = logboot.setup_logging(profile_path)
    try:
        calls(logging.getLogger("app"))
        assert runtime.flush(10.0)
    finally:
        runtime.stop()
    assert all(sink["errors"] == 0 for sink in runtime.stats()["sinks"].values())


def nested(depth: int, leaf: Any) -> Any:
    """``leaf`` under ``depth`` mappings."""
    for level in range(depth):
        leaf = {f"level{level}": leaf}
    return leaf


class StrShows:
    """An object whose str() shows a secret and whose repr() does not."""

    def __str__(self) -> str:
        return f"credentials {SECRET}"

    def __repr__(self) -> str:
        return "StrShows()"


class ReprShows:
    """An object whose repr() shows a secret and whose str() does not."""

    def __str__(self) -> str:
        return "ReprShows"

    def __repr__(self) -> str:
        return f"ReprShows({SECRET!r})"


Credentials = collections.namedtuple("Credentials", "user token")


@dataclasses.dataclass
class Settings:
    """A dataclass: its fields are keys, like a named tuple's."""

    host: str
    api_key: str


def log_each_shape(folder: Path, shapes: dict[str, Any]) -> None:
    """Log each shape as ``extra={"x": shape}`` (the message is its name) through a root
    `redact` filter; every record is written, and none holds a secret."""

    def calls(log: logging.Logger) -> None:
        for name, shape in shapes.items():
            log.info(name, extra={"x": shape})

    run(profile(folder, root_filters="[secrets]"), calls)
    objects = assert_no_secret(folder, len(shapes))
    assert [o["message"] for o in objects] == list(shapes)


@pytest.mark.parametrize("depth", [0, 3, 4, 5, 12, 60])
def test_a_matching_key_or_pattern_is_redacted_at_any_depth(tmp_path: Path, depth: int) -> None:
    """Keys and patterns are redacted at any depth: mappings, sequences, sets, dict keys, records."""
    shapes = {
        "by_key": nested(depth, {"token": TOKEN, "API_KEY": [TOKEN]}),
        "by_pattern": nested(depth, [("ok", SECRET), {SECRET}, frozenset([SECRET])]),
        "in_a_key": nested(depth, {SECRET: "value", (1, SECRET): "tuple key"}),
        "in_a_list": [nested(depth, {"token": TOKEN})],
        "named_tuple": nested(depth, Credentials("ann", TOKEN)),
        "dataclass": nested(depth, [Settings("db", TOKEN)]),
        "deque": collections.deque([nested(depth, {"token": TOKEN})]),
    }

    log_each_shape(tmp_path, shapes)


def test_deep_and_cyclic_structures_fail_closed(tmp_path: Path) -> None:
    """A structure deeper than Python's recursion limit, and cycles, are written without any secret."""
    cyclic: dict[str, Any] = {"token": TOKEN, "note": SECRET}
    cyclic["self"] = cyclic
    looped: list[Any] = [SECRET]
    looped.append(looped)
    deep_list: list[Any] = [SECRET]
    for _ in range(200):
        deep_list = [deep_list, (deep_list,)]
    shapes = {
        "deep": nested(sys.getrecursionlimit() + 100, {"token": TOKEN}),
        "deep_list": nested(
            3, [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[SECRET]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
        ),
        "cyclic": cyclic,
        "looped": looped,
    }

    log_each_shape(tmp_path, shapes)


def test_what_a_sink_renders_of_an_object_is_scrubbed(tmp_path: Path) -> None:
    """An object whose str() (or repr()) shows a secret is scrubbed as text and JSON render it."""

    def calls(log: logging.Logger) -> None:
        log.info("str", extra={"x": StrShows()})
        log.info("repr", extra={"x": ReprShows()})
        log.info("in a list", extra={"x": [StrShows(), {"k": ReprShows()}]})
        log.info("path", extra={"x": PurePosixPath(f"/keys/{SECRET}")})
        log.info("error", extra={"x": PermissionError(f"bad {SECRET}")})

    run(profile(tmp_path, root_filters="[secrets]"), calls)
    objects = assert_no_secret(tmp_path, 5)
    assert objects[0]["x"] == "credentials [REDACTED]"
    assert objects[3]["x"] == "/keys/[REDACTED]"


def test_a_propagating_logger_delivers_only_redacted_records(tmp_path: Path) -> None:
    """A redact filter on a logger with `propagate: true`: the root's handler gets the record redacted too."""
    loggers = "{app: {filters: [secrets], propagate: true}, app.db: {level: INFO}}"

    def calls(log: logging.Logger) -> None:
        log.info("login %s", SECRET, extra={"x": {"token": TOKEN}})
        logging.getLogger("app.db").info("query %s", SECRET, extra={"x": StrShows()})
        logging.getLogger("other").info("clean", extra={"x": 1})

    run(profile(tmp_path, loggers=loggers), calls)
    objects = assert_no_secret(tmp_path, 5)  # app's own handler and the root's: each record twice
    assert [o["message"] for o in objects] == [
        *["login [REDACTED]"] * 2,
        *["query [REDACTED]"] * 2,
        "clean",
    ]


def test_a_root_redact_filter_covers_loggers_with_their_own_queue(tmp_path: Path) -> None:
    """Redaction on the root also scrubs the records of a logger that has its own queue."""
    path = profile(
        tmp_path,
        root_filters="[secrets]",
        loggers="{app: {queue: audit}}",
        queues="main: {}, audit: {}",
        listeners="main: {queue: main, sinks: [text]}, audit: {queue: audit, sinks: [json]}",
    )

    def calls(log: logging.Logger) -> None:
        log.info("audit %s", SECRET, extra={"x": {"token": TOKEN}})  # to the JSON file only
        logging.getLogger("other").info("main %s", SECRET, extra={"x": {"token": TOKEN}})  # the text file

    run(path, calls)
    assert [o["message"] for o in assert_no_secret(tmp_path, 1)] == ["audit [REDACTED]"]


def test_secrets_in_args_messages_exceptions_stacks_and_names_are_redacted(tmp_path: Path) -> None:
    """Secrets in non-str args, a message object, an exception, a stack, a logger and a thread name."""

    def log_with_stack(log: logging.Logger) -> None:
        log.info("stack", stack_info=True, extra={"x": 0})

    def calls(log: logging.Logger) -> None:
        log.info("args %s %r %s %d", PurePosixPath(SECRET), ReprShows(), SECRET.encode(), 1, extra={"x": 0})
        log.info(StrShows(), extra={"x": 0})
        log.info({"token": TOKEN, "note": SECRET}, extra={"x": 0})
        try:
            raise PermissionError(f"denied {SECRET}")
        except PermissionError:
            log.exception("failed", extra={"x": 0})
        log_with_stack(log)  # hunter2-5ecret: this source line is in the stack
        logging.getLogger(f"app.{SECRET}").info("named", extra={"x": 0})
        worker = threading.Thread(target=lambda: log.info("thread", extra={"x": 0}), name=f"w-{SECRET}")
        worker.start()
        worker.join()

    run(profile(tmp_path, root_filters="[secrets]"), calls)
    objects = assert_no_secret(tmp_path, 7)
    assert objects[0]["message"].startswith("args [REDACTED] ReprShows('[REDACTED]') b'[REDACTED]' 1")


CHILD = """
import collections, logging, multiprocessing, sys, logboot
SECRET, TOKEN = SECRET_VALUE, TOKEN_VALUE

class StrShows:
    def __str__(self):
        return "credentials " + SECRET

def child(handle):
    logboot.attach(handle)
    log = logging.getLogger("app")
    deep = {"token": TOKEN}
    for level in range(10):
        deep = {"level%d" % level: deep}
    log.info("child %s", SECRET, extra={"x": deep})
    log.info("object", extra={"x": StrShows()})
    logging.getLogger("app.sub").info("sub %s", SECRET, extra={"x": [{"api_key": TOKEN}]})

if __name__ == "__main__":
    runtime = logboot.setup_logging(sys.argv[1])
    process = multiprocessing.get_context("spawn").Process(target=child, args=(runtime.process_handle(),))
    process.start()
    process.join()
    runtime.stop()
    sys.exit(process.exitcode)
"""


def test_a_child_process_sends_only_redacted_records(tmp_path: Path) -> None:
    """A spawned child on a process queue, redacting on a propagating logger, sends no secret."""
    path = profile(
        tmp_path, loggers="{app: {filters: [secrets], propagate: true}}", queues="main: {kind: process}"
    )
    script = CHILD.replace("SECRET_VALUE", repr(SECRET)).replace("TOKEN_VALUE", repr(TOKEN))
    done = run_child(tmp_path, script, str(path))
    assert done.returncode == 0, done.stderr
    objects = assert_no_secret(tmp_path, 6)
    assert sorted(o["message"] for o in objects) == sorted(
        ["child [REDACTED]", "object", "sub [REDACTED]"] * 2
    )
