"""Request context across real processes: fork inherits the forking thread's fields, spawn and
forkserver start empty, and every field survives the child -> parent transport."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

import logboot

from . import context_children

pytestmark = pytest.mark.timeout(120)

COUNT = 300  # records per phase and child
PARENT = {"request_id": "parent-r1", "tenant": "acme corp"}


def profile(tmp_path: Path, kind: str, root_filters: str = "[]") -> Path:
    """JSON lines and a `{context}` text layout, both behind one queue of ``kind``."""
    path = tmp_path / "profile.yaml"
    path.write_text(
        f"""\
version: 1
filters:
  secrets: {{type: redact, patterns: ['hunter2-\\w+'], keys: [token]}}
formatters:
  json: {{type: json}}
  text: {{type: text, format: "REC|{{message}}|{{context}}|{{child}}"}}
sinks:
  json: {{type: file, path: "{tmp_path / "out.jsonl"}", formatter: json}}
  text: {{type: file, path: "{tmp_path / "out.log"}", formatter: text}}
queues:
  main: {{kind: {kind}}}
listeners:
  main: {{queue: main, sinks: [json, text]}}
root: {{level: INFO, filters: {root_filters}}}
""",
        encoding="utf-8",
    )
    return path


def read_back(tmp_path: Path, expected: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Both files, each with exactly ``expected`` whole records (the JSON ones parsed)."""
    text = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert len(records) == len(lines) == expected
    assert all(line.startswith("REC|") and line.count("|") == 3 for line in lines)
    return records, lines


def run_child(tmp_path: Path, method: str, kind: str, passed: dict[str, Any] | None = None) -> int:
    """Start one child of ``method`` with the parent's fields bound around its start; return its pid."""
    runtime = logboot.setup_logging(profile(tmp_path, kind))
    context = multiprocessing.get_context(method)
    handle = None if method == "fork" else runtime.process_handle()
    with logboot.context(**PARENT):
        process = context.Process(
            target=context_children.log_in_context, args=(handle, COUNT, method, passed)
        )
        process.start()
    process.join(60)
    assert process.exitcode == 0
    report = runtime.stop()
    assert report.clean
    assert process.pid is not None
    return process.pid


def check_child_records(
    records: list[dict[str, Any]], lines: list[str], pid: int, method: str, inherited: dict[str, Any]
) -> None:
    """Each of the child's records carries exactly ``inherited`` plus, inside its own context,
    its own fields; the text layout shows the same fields as `{context}` pairs."""
    phases: dict[str, list[int]] = {"inherited": [], "own": [], "lock": []}
    for record, line in zip(records, lines, strict=True):
        assert record["process"] == pid
        phase = record["phase"]
        phases[phase].append(record["seq"])
        own = {"child": method, "pid_seen": pid} if phase != "inherited" else {}
        expected = {**inherited, **own}
        if phase == "lock":
            assert record["lock"].startswith("<unlocked _thread.lock object")
            expected["lock"] = record["lock"]
        fields = {
            key: record[key] for key in record if key in {"request_id", "tenant", "child", "pid_seen", "lock"}
        }
        assert fields == expected
        assert "logboot_context" not in record
        message, pairs, child = line[len("REC|") :].split("|")
        assert message == record["message"]
        assert child == own.get("child", "")
        assert pairs == " ".join(f"{k}={quoted(v)}" for k, v in expected.items())
    assert phases == {"inherited": list(range(COUNT)), "own": list(range(COUNT)), "lock": [0]}


def quoted(value: object) -> str:
    text = str(value)
    return f'"{text}"' if " " in text or "=" in text else text


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_context_through_a_process_queue(tmp_path: Path, method: str) -> None:
    """A forked child keeps the forking thread's fields, a spawn or forkserver child starts
    without them; its own fields and an unpicklable one (as its repr) reach the parent's sinks."""
    pid = run_child(tmp_path, method, "process")
    records, lines = read_back(tmp_path, 2 * COUNT + 1)
    check_child_records(records, lines, pid, method, PARENT if method == "fork" else {})


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_fields_handed_to_a_spawned_child_explicitly(tmp_path: Path, method: str) -> None:
    """``dict(logboot.bound())`` passed to a spawned child and bound there is on its own records."""
    with logboot.context(**PARENT):
        passed = dict(logboot.bound())
    pid = run_child(tmp_path, method, "process", passed)
    records, lines = read_back(tmp_path, 2 * COUNT + 1)
    own = [r for r in records if r["phase"] != "inherited"]
    assert len(own) == COUNT + 1
    assert all((r["request_id"], r["tenant"]) == ("parent-r1", "acme corp") for r in own)
    assert all("request_id" not in r for r in records if r["phase"] == "inherited")
    assert {r["process"] for r in records} == {pid}
    assert all("request_id=parent-r1" in line for line in lines if "own context" in line)


def test_forked_child_of_a_thread_queue_keeps_the_fields(tmp_path: Path) -> None:
    """Under fork with a thread queue (the child writes its records itself) the fields are the same."""
    pid = run_child(tmp_path, "fork", "thread")
    records, lines = read_back(tmp_path, 2 * COUNT + 1)
    check_child_records(records, lines, pid, "fork", PARENT)


def test_parent_records_around_the_children_keep_their_own_context(tmp_path: Path) -> None:
    """The parent's own records, logged in and out of a context while a spawn child logs, are its own."""
    runtime = logboot.setup_logging(profile(tmp_path, "process"))
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=context_children.log_in_context, args=(runtime.process_handle(), COUNT, "spawn", None)
    )
    process.start()
    log = logging.getLogger("app.parent")
    with logboot.context(child="parent"):
        for seq in range(COUNT):
            log.info("parent %d", seq, extra={"seq": seq, "tag": "parent", "phase": "own"})
    process.join(60)
    assert process.exitcode == 0
    runtime.stop()
    records, _ = read_back(tmp_path, 3 * COUNT + 1)
    parent = [r for r in records if r["tag"] == "parent"]
    assert [r["seq"] for r in parent] == list(range(COUNT))
    assert all(r["child"] == "parent" and "pid_seen" not in r for r in parent)
    child = [r for r in records if r["tag"] == "spawn"]
    assert len(child) == 2 * COUNT + 1
    assert all(r.get("child") in (None, "spawn") for r in child)


def test_a_spawned_childs_context_secret_is_redacted_before_it_is_sent(tmp_path: Path) -> None:
    """With `redact` on the root, a secret bound in a spawn child's context reaches no sink:
    the child scrubs it before the record leaves the process."""
    runtime = logboot.setup_logging(profile(tmp_path, "process", root_filters="[secrets]"))
    passed = {"token": "tok-1234", "note": "key hunter2-abc here"}
    process = multiprocessing.get_context("spawn").Process(
        target=context_children.log_in_context, args=(runtime.process_handle(), COUNT, "spawn", passed)
    )
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert runtime.stop().clean
    records, lines = read_back(tmp_path, 2 * COUNT + 1)
    own = [r for r in records if r["phase"] != "inherited"]
    assert len(own) == COUNT + 1
    assert all((r["token"], r["note"]) == ("[REDACTED]", "key [REDACTED] here") for r in own)
    for path in ("out.jsonl", "out.log"):
        text = (tmp_path / path).read_text(encoding="utf-8")
        assert "tok-1234" not in text and "hunter2" not in text
    assert sum('token=[REDACTED] note="key [REDACTED] here"' in line for line in lines) == COUNT + 1
