"""Shared fixtures: every test leaves logging as it found it."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import logboot
from logboot.runtime.lifecycle import active_runtime
from logboot.sinks.base import BatchSink

REPO = Path(__file__).resolve().parent.parent
# The profile cache of the suite (and of the processes it starts) is its own, never ~/.cache.
os.environ.setdefault("LOGBOOT_CACHE_DIR", tempfile.mkdtemp(prefix="logboot-test-cache-"))
# logboot's own pytest plugin, loaded here rather than by its entry point (see pyproject.toml).
pytest_plugins = ["logboot.testing"]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Stop any runtime a test left running and restore the root logger."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    runtime = active_runtime()
    if runtime is not None:
        runtime.stop()
    root.handlers = handlers
    root.setLevel(level)


@pytest.fixture
def timezone() -> Iterator[Callable[[str], None]]:
    """Set the process time zone (POSIX TZ) for one test."""
    before = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def write_profile(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML profile (dedented) into the test's folder and return its path."""

    def write(text: str, name: str = "profile.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def file_profile(
    path: Path,
    *,
    max_size: int = 10_000,
    overflow: str = "block",
    extra: str = "",
    level: str = "DEBUG",
    queue: str | None = None,
    batch_size: int | None = None,
) -> str:
    """A profile writing bare messages to one file through one thread queue; ``queue`` (the
    YAML of the queue's mapping) replaces ``max_size`` and ``overflow``. The queue's mapping is
    always line 7, so tests can name its location."""
    queue_yaml = queue if queue is not None else f"{{max_size: {max_size}, overflow: {overflow}}}"
    batch = f", batch_size: {batch_size}" if batch_size is not None else ""
    return textwrap.dedent(
        f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
        sinks:
          out: {{type: file, path: "{path}", formatter: bare}}
        queues:
          main: {queue_yaml}
        listeners:
          main: {{queue: main, sinks: [out]{batch}}}
        root: {{level: {level}, queue: main}}
        """
    ) + textwrap.dedent(extra)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a state (never for records): fail the test if it does not come in ``timeout``."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        pause.wait(0.001)


class Gate(logging.Filter):
    """Holds a listener inside a sink until opened: records pile up in its queue meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.opened = threading.Event()

    def filter(self, record: logging.LogRecord) -> bool:
        self.entered.set()
        assert self.opened.wait(10)
        return True


class GatedSink(BatchSink):
    """Keeps the lines it is given; each write waits until ``gate`` is set (set at once
    unless ``gated``)."""

    def __init__(self, gated: bool = True) -> None:
        super().__init__()
        self.gate = threading.Event()
        if not gated:
            self.gate.set()
        self.entered = threading.Event()
        self.lines: list[str] = []

    def write_lines(self, lines: list[str]) -> int:
        self.entered.set()
        assert self.gate.wait(10)
        self.lines.extend(lines)
        return len(lines)


__all__ = ["REPO", "Gate", "GatedSink", "file_profile", "logboot", "wait_until"]


def read_line(sock: socket.socket) -> bytes:
    """One line from ``sock``, byte by byte (no file object left to close, nothing read past it)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data
