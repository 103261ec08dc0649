"""Child-process bodies for the request-context tests (importable under spawn and forkserver)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import logboot


def log_in_context(
    handle: logboot.ProcessHandle | None, count: int, tag: str, passed: Mapping[str, Any] | None = None
) -> None:
    """Attach (unless forked); log ``count`` records as they are, then ``count`` inside a
    context of the child's own (``child=tag``, plus ``passed``, the parent's fields handed over
    explicitly), one of them with a context value no pickle can carry (a lock)."""
    if handle is not None:
        logboot.attach(handle)
    log = logging.getLogger(f"app.{tag}")
    for seq in range(count):
        log.info("as inherited %d", seq, extra={"seq": seq, "tag": tag, "phase": "inherited"})
    with logboot.context(child=tag, pid_seen=os.getpid(), **(passed or {})):
        for seq in range(count):
            log.info("own context %d", seq, extra={"seq": seq, "tag": tag, "phase": "own"})
        with logboot.context(lock=threading.Lock()):
            log.info("unpicklable", extra={"seq": 0, "tag": tag, "phase": "lock"})


def log_in_a_span(handle: logboot.ProcessHandle, ids: Any) -> None:
    """Attach, log one record inside a span of the child's own tracer, and send the span's ids
    back on ``ids`` (a multiprocessing queue)."""
    from opentelemetry.sdk.trace import TracerProvider

    logboot.attach(handle)
    with TracerProvider().get_tracer("child").start_as_current_span("work") as span:
        logging.getLogger("app.child").info("in the child's span", extra={"seq": 7})
        context = span.get_span_context()
    ids.put((f"{context.trace_id:032x}", f"{context.span_id:016x}"))
