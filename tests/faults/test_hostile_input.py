"""Hostile text in records: a message cannot forge a record, and a secret never reaches a sink."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

import logboot

from .harness import run_child, whole_lines, write_profile

pytestmark = pytest.mark.timeout(60)

FORGED = "login ok\nCRITICAL forged admin logged in\r\x1b[2J\x1b[31mred\x00"
SECRET = "hunter2-5ecret"  # noqa: S105 - the test secret itself


def three_sinks(folder: Path, extra: str = "", root_filters: str = "[]") -> Path:
    """A text file, a JSON file and the console (stderr), behind one queue."""
    return write_profile(
        folder,
        f"""\
        version: 1
        formatters:
          text: {{type: text, format: "{{asctime}} {{levelname}} {{name}}: {{message}} user={{user}}"}}
          json: {{type: json}}
        {extra}
        sinks:
          text: {{type: file, path: "{folder / "out.log"}", formatter: text}}
          json: {{type: file, path: "{folder / "out.jsonl"}", formatter: json}}
          console: {{type: console, stream: stderr, formatter: text, color: always}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [text, json, console]}}
        root: {{level: INFO, queue: main, filters: {root_filters}}}
        """,
    )


def text_records(lines: list[str]) -> list[list[str]]:
    """Group text lines into records: a record starts at column one, continuations are indented."""
    records: list[list[str]] = []
    for line in lines:
        if line.startswith(" "):
            assert records, f"a continuation line with no record: {line!r}"
            records[-1].append(line)
        else:
            records.append([line])
    return records


HEAD = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+[+-Z][\d:]* (INFO|ERROR) app: ")


def test_control_characters_cannot_forge_a_record(tmp_path: Path) -> None:
    """A message, an extra value and an exception carrying CR, LF, ESC and NUL: each sink's output
    parses as exactly the records logged, with the characters escaped (JSON: kept, encoded)."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, logboot
        FORGED = FORGED_REPR
        logboot.setup_logging(sys.argv[1])
        log = logging.getLogger("app")
        log.info("%s", FORGED, extra={"user": FORGED})
        try:
            raise ValueError(FORGED)
        except ValueError:
            log.exception("failed: %s", FORGED, extra={"user": "x"})
        """.replace("FORGED_REPR", repr(FORGED)),
        str(three_sinks(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    escaped = "login ok\\nCRITICAL forged admin logged in\\r\\x1b[2J\\x1b[31mred\\x00"
    for name, output in (
        ("text", "\n".join(whole_lines(tmp_path / "out.log"))),
        ("console", done.stderr),
    ):
        # the console's only escape codes are logboot's own colours, around whole lines
        raw = output.replace("\x1b[31m", "").replace("\x1b[0m", "") if name == "console" else output
        lines = raw.splitlines()
        assert "\x1b" not in raw and "\r" not in raw and "\x00" not in raw, name
        records = text_records(lines)
        assert len(records) == 2, (name, records)
        first, second = records
        assert HEAD.match(first[0]) and first[0].endswith(f": {escaped} user={escaped}"), (name, first)
        assert len(first) == 1
        assert HEAD.match(second[0]) and second[0].endswith(f": failed: {escaped} user=x"), (name, second)
        assert second[1] == "    Traceback (most recent call last):"
        # The traceback's lines (the exception message's too) are indented continuations.
        assert second[-3:] == [
            "    ValueError: login ok",
            "    CRITICAL forged admin logged in",
            "    \\x1b[2J\\x1b[31mred\\x00",
        ]
        assert not any(line.startswith("CRITICAL") for line in lines)
    objects = [json.loads(line) for line in whole_lines(tmp_path / "out.jsonl")]
    assert [(o["level"], o["message"], o["user"]) for o in objects] == [
        ("INFO", FORGED, FORGED),
        ("ERROR", f"failed: {FORGED}", "x"),
    ]
    assert objects[1]["exc_message"] == FORGED
    assert objects[1]["exc_traceback"].endswith(f"ValueError: {FORGED}")


REDACT = (
    "filters: {secrets: {type: redact, patterns: ['hunter2-\\w+', '(?<=password=)\\S+'],"
    " keys: [token, api_key]}}"
)


def test_secret_is_absent_from_every_sink(tmp_path: Path) -> None:
    """A secret in args, in extra (by key and by pattern, nested too) and in an exception message
    is replaced in the producer: no sink's output contains it."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, logboot
        SECRET = SECRET_REPR
        logboot.setup_logging(sys.argv[1])
        log = logging.getLogger("app")
        log.info("login with %s", SECRET, extra={"user": "ann"})
        nested = {"API_KEY": "k1", "note": SECRET}
        log.info("token refresh", extra={"user": "ann", "token": "abc123", "nested": nested})
        log.warning("config password=%s", SECRET, extra={"user": f"note {SECRET}"})
        try:
            raise PermissionError(f"bad password {SECRET} for ann")
        except PermissionError:
            log.exception("denied", extra={"user": "ann"})
        """.replace("SECRET_REPR", repr(SECRET)),
        str(three_sinks(tmp_path, REDACT, "[secrets]")),
    )
    assert done.returncode == 0, done.stderr
    outputs = {
        "text": (tmp_path / "out.log").read_text(),
        "json": (tmp_path / "out.jsonl").read_text(),
        "console": done.stderr,
    }
    for name, output in outputs.items():
        assert SECRET not in output, name
        assert "abc123" not in output and "k1" not in output, name
        assert "[REDACTED]" in output, name
    records = [json.loads(line) for line in whole_lines(tmp_path / "out.jsonl")]
    assert [r["message"] for r in records] == [
        "login with [REDACTED]",
        "token refresh",
        "config password=[REDACTED]",
        "denied",
    ]
    assert records[1]["token"] == "[REDACTED]"  # noqa: S105 - it is redacted
    assert records[1]["nested"] == {"API_KEY": "[REDACTED]", "note": "[REDACTED]"}
    assert records[2]["user"] == "note [REDACTED]"
    assert records[3]["exc_message"] == "bad password [REDACTED] for ann"
    assert "bad password [REDACTED] for ann" in records[3]["exc_traceback"]


def test_secret_from_a_child_process_never_crosses(tmp_path: Path) -> None:
    """On a process queue, a spawned child's record is redacted in the child: the parent's sinks,
    and the frames on the socket between them, never carry the secret."""
    path = three_sinks(tmp_path, REDACT)
    text = path.read_text().replace("main: {}", "main: {kind: process, filters: [secrets]}")
    path.write_text(text)
    done = run_child(
        tmp_path,
        """
        import logging, multiprocessing, sys, logboot
        SECRET = SECRET_REPR
        def child(handle):
            logboot.attach(handle)
            logging.getLogger("app").info("child says %s", SECRET, extra={"user": "kid", "token": SECRET})
        if __name__ == "__main__":
            runtime = logboot.setup_logging(sys.argv[1])
            spawn = multiprocessing.get_context("spawn")
            process = spawn.Process(target=child, args=(runtime.process_handle(),))
            process.start()
            process.join()
            runtime.stop()
        """.replace("SECRET_REPR", repr(SECRET)),
        str(path),
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in whole_lines(tmp_path / "out.jsonl")]
    assert [(r["message"], r["token"]) for r in records] == [("child says [REDACTED]", "[REDACTED]")]
    for output in ((tmp_path / "out.log").read_text(), done.stderr):
        assert SECRET not in output
        assert "child says [REDACTED]" in output


def test_redact_on_one_sink_leaves_the_others_alone(tmp_path: Path) -> None:
    """A redact filter on a sink works on a copy: the sink after it still gets the record as logged."""
    path = write_profile(
        tmp_path,
        f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
        filters:
          secrets: {{type: redact, patterns: ['hunter2-\\w+']}}
        sinks:
          public: {{type: file, path: "{tmp_path / "public.log"}", formatter: bare, filters: [secrets]}}
          private: {{type: file, path: "{tmp_path / "private.log"}", formatter: bare}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [public, private]}}
        root: {{level: INFO, queue: main}}
        """,
    )
    with logboot.setup_logging(path):
        logging.getLogger("app").info("key %s", SECRET)
    assert whole_lines(tmp_path / "public.log") == ["key [REDACTED]"]
    assert whole_lines(tmp_path / "private.log") == [f"key {SECRET}"]


def test_redaction_that_fails_fails_closed(tmp_path: Path) -> None:
    """A value whose repr raises makes redaction fail: the record keeps only the replacement."""

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError(SECRET)

    path = three_sinks(tmp_path, REDACT, "[secrets]")
    with logboot.setup_logging(path) as runtime:
        logging.getLogger("app").info("pay %s", SECRET, extra={"user": Hostile()})
        assert runtime.flush(5.0)
    records = [json.loads(line) for line in whole_lines(tmp_path / "out.jsonl")]
    assert [r["message"] for r in records] == ["[REDACTED] (logboot: redaction failed: RuntimeError)"]
    assert SECRET not in (tmp_path / "out.log").read_text()
