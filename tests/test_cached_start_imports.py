"""A start from the profile cache imports neither pydantic nor yaml nor ``logboot.profile.schema``,
for every profile the project ships, whatever its sinks (files, console, syslog, OTLP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, wait_until
from integration.receivers import OtlpReceiver, SyslogReceiver

from logboot.interop.integrations import PARENT_ENV

PROFILES = sorted([*(REPO / "configs").glob("*.yaml"), *(REPO / "examples" / "profiles").glob("*.yaml")])
VALIDATION = ("logboot.profile.schema", "pydantic", "yaml")
RECORDS = 50
# Variables that would change what the child starts, or make it attach to a parent.
UNSET = frozenset({"LOGBOOT_CACHE", "LOGBOOT_LEVEL", "LOGBOOT_PROFILE", "LOGBOOT_EXTENDS_ROOTS", PARENT_ENV})
pytestmark = pytest.mark.timeout(120)

# Starts the profile named by argv[1], logs RECORDS records, stops, and prints which of
# the validation modules were imported.
PROGRAM = textwrap.dedent(
    f"""
    import logging, sys
    import logboot
    runtime = logboot.setup_logging(sys.argv[1])
    for i in range({RECORDS}):
        logging.getLogger("app").info("record %d", i)
    report = runtime.stop()
    assert report.clean, report
    print(sorted(m for m in {VALIDATION!r} if m in sys.modules))
    """
)


@pytest.fixture
def syslog() -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def start_twice(profile: Path, env: dict[str, str], cwd: Path) -> list[list[str]]:
    """Start ``profile`` in two fresh processes, one after the other; each one's output lines."""
    runs = []
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", PROGRAM, str(profile)],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        runs.append(run.stdout.splitlines())
    return runs


def messages(lines: list[str]) -> list[str]:
    """The message at the end of each line: ``... app: record 7`` -> ``record 7``."""
    return [line.rpartition(": ")[2] for line in lines]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_cached_start_imports_no_validation(
    profile: Path, tmp_path: Path, syslog: SyslogReceiver, otlp: OtlpReceiver
) -> None:
    """The second start of a shipped profile, built from the cache, imports no validation module."""
    cache, logs, work = tmp_path / "cache", tmp_path / "logs", tmp_path / "work"
    work.mkdir()
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "LOGBOOT_CACHE_DIR": str(cache),
            "LOG_DIR": str(logs),  # where every file sink of these profiles writes
            "SYSLOG_ADDRESS": f"127.0.0.1:{syslog.port}",
            "OTLP_ENDPOINT": otlp.endpoint,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    first, second = start_twice(profile, env, work)
    assert first == [repr(sorted(VALIDATION))]  # validated, and kept
    assert len(list(cache.glob("*.json"))) == 1
    assert second == ["[]"]  # built from the cache

    every_record_twice = [f"record {i}" for i in range(RECORDS)] * 2
    assert list(work.iterdir()) == []  # nothing written outside LOG_DIR
    for written in logs.glob("*"):
        lines = written.read_text(encoding="utf-8").splitlines()
        if written.suffix == ".jsonl":
            assert [json.loads(line)["message"] for line in lines] == every_record_twice, written
        else:
            assert messages(lines) == every_record_twice, written
    text = profile.read_text(encoding="utf-8")
    if "type: syslog" in text:
        wait_until(lambda: syslog.closed == 2)  # each process closes its connection at stop
        # <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG, SD being "-" here
        assert [message.split(" ", 7)[7] for message in syslog.messages()] == every_record_twice
    if "type: otlp" in text:
        assert [str(record["body"]) for record in otlp.wait_for(2 * RECORDS)] == every_record_twice
