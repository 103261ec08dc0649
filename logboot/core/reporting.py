"""logboot's own voice on stderr: one framed block per failing sink, rate-limited.

The library never prints anything else. Writing here must never raise into the
application, even during interpreter shutdown when ``sys.stderr`` may be gone.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback

REPORT_INTERVAL = 5.0  # seconds between two reports about the same sink


def write_stderr(text: str) -> None:
    """Write to stderr as it is now; silently give up if there is none."""
    stream = sys.stderr or sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except Exception:  # noqa: BLE001, S110 - nowhere left to report to
        pass


def framed(title: str, body: str) -> str:
    """The block format, after loguru's ``--- Logging error in ... ---``."""
    return f"--- logboot: {title} ---\n{body.rstrip()}\n--- end of logboot report ---\n"


class ErrorReporter:
    """Reports a sink's failures at most once per ``interval``, summarising the rest."""

    def __init__(self, what: str, interval: float = REPORT_INTERVAL) -> None:
        self.what = what
        self.interval = interval
        self._lock = threading.RLock()  # a signal handler may report while this thread does
        self._last = float("-inf")
        self._suppressed = 0

    def report(self, error: BaseException, detail: str = "") -> bool:
        """Report ``error`` now unless one was reported recently; True when written."""
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                self._suppressed += 1
                return False
            self._last = now
            suppressed, self._suppressed = self._suppressed, 0
        lines = []
        if detail:
            lines.append(detail)
        if suppressed:
            lines.append(f"({suppressed} more error(s) since the last report)")
        lines.append("".join(traceback.format_exception(type(error), error, error.__traceback__)))
        write_stderr(framed(self.what, "\n".join(lines)))
        return True
