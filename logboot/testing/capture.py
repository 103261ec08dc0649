"""Capture what reaches each sink, for an application's tests (``capture_logging``).

The profile runs for real (queues, listeners, levels, filters, formatters, child
processes), but by default its sinks write nowhere: each becomes a ``null`` sink with the
same level, filters and formatter, so a test never touches the real log files or
servers. Beside every sink sits an in-memory one that keeps the records that sink
accepted, and their text as that sink's formatter renders it::

    from logboot.testing.capture import capture_logging

    with capture_logging("logboot.yaml") as logs:
        checkout()
        assert logs.messages("app") == ["order 42 paid"]

The pytest fixture ``logboot_capture`` (``logboot.testing``) does the same per test.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from logboot.profile.overrides import Overrides
from logboot.profile.resolve import resolve_profile
from logboot.profile.schema import NullSinkSpec, Profile, SinkCommon
from logboot.runtime.build import build_topology
from logboot.runtime.lifecycle import Runtime, install
from logboot.runtime.listener import ListenerSink


class CaptureHandler(logging.Handler):
    """Keeps each record it is given, with the line its formatter makes of it."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[logging.LogRecord, str]] = []
        self._entries_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._entries_lock:
            self.entries.append((record, line))

    def snapshot(self) -> list[tuple[logging.LogRecord, str]]:
        with self._entries_lock:
            return list(self.entries)

    def clear(self) -> None:
        with self._entries_lock:
            self.entries.clear()


class LogCapture:
    """What reached each sink of a running profile. Every read waits for the queues first."""

    def __init__(self, runtime: Runtime, handlers: dict[str, CaptureHandler]) -> None:
        self.runtime = runtime
        self._handlers = handlers

    @property
    def sinks(self) -> list[str]:
        """The names of the profile's sinks."""
        return list(self._handlers)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything logged so far has reached the sinks; ``TimeoutError`` if not."""
        if not self.runtime.flush(timeout):
            raise TimeoutError(f"logboot: the queues did not drain within {timeout}s")

    def _entries(self, sink: str | None) -> list[tuple[logging.LogRecord, str]]:
        self.flush()
        if sink is not None:
            if sink not in self._handlers:
                known = ", ".join(map(repr, self._handlers)) or "none"
                raise KeyError(f"no sink named {sink!r} in the profile (sinks: {known})")
            return self._handlers[sink].snapshot()
        seen: dict[int, tuple[logging.LogRecord, str]] = {}
        for handler in self._handlers.values():
            for entry in handler.snapshot():
                seen.setdefault(id(entry[0]), entry)
        return sorted(seen.values(), key=lambda entry: entry[0].created)

    def records(self, sink: str | None = None) -> list[logging.LogRecord]:
        """The records ``sink`` accepted; without a sink, those any sink accepted (each once)."""
        return [record for record, _ in self._entries(sink)]

    def messages(self, sink: str | None = None) -> list[str]:
        """The messages (arguments merged) of ``records(sink)``."""
        return [record.getMessage() for record, _ in self._entries(sink)]

    def lines(self, sink: str) -> list[str]:
        """The text ``sink`` would have written, one entry per record, as its formatter makes it."""
        return [line for _, line in self._entries(sink)]

    def clear(self) -> None:
        """Forget what was captured so far (after waiting for the queues)."""
        self.flush()
        for handler in self._handlers.values():
            handler.clear()

    def stats(self) -> dict[str, Any]:
        """The runtime's counters (``Runtime.stats()``)."""
        return self.runtime.stats()


def silence(profile: Profile) -> Profile:
    """``profile`` with every sink replaced by a ``null`` sink of the same level, filters, formatter."""
    common = list(SinkCommon.model_fields)
    sinks = {
        name: NullSinkSpec(type="null", **{key: getattr(spec, key) for key in common})
        for name, spec in profile.sinks.items()
    }
    silenced = profile.model_copy(update={"sinks": sinks})
    silenced.set_source(profile.source)
    return silenced


@contextmanager
def capture_logging(
    profile: str | os.PathLike[str] | Profile | None = None,
    *,
    overrides: Overrides | None = None,
    keep_sinks: bool = False,
) -> Iterator[LogCapture]:
    """Run ``profile`` (a path, a ``Profile``, or ``None`` for ``$LOGBOOT_PROFILE`` or the default)
    and capture what reaches each sink; the runtime is stopped on the way out, whatever happens.

    ``keep_sinks=True`` keeps the real sinks writing as well.
    """
    spec = resolve_profile(profile, overrides)
    if not keep_sinks:
        spec = silence(spec)
    topology = build_topology(spec)
    handlers: dict[str, CaptureHandler] = {}
    captures: dict[str, ListenerSink] = {}
    for name, sink in topology.sinks.items():
        handler = handlers[name] = CaptureHandler()
        handler.setFormatter(sink.handler.formatter)
        handler.filters = list(sink.handler.filters)
        captures[name] = ListenerSink(name, handler, sink.level, "capture")
    for listener in topology.listeners.values():
        listener.sinks = [*listener.sinks, *(captures[s.name] for s in listener.sinks)]
    runtime = install(Runtime(topology))  # captures are in place before the first record
    try:
        yield LogCapture(runtime, handlers)
    finally:
        runtime.stop()
