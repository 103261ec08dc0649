"""What every logboot sink is: a ``logging.Handler`` that can also take a batch.

The listener hands each sink the formatted lines of a whole batch at once, so a file
sink makes one write per batch instead of one write and one flush per record.
``emit`` still works for a single record, so a sink can be used like any handler.
"""

from __future__ import annotations

import logging


class BatchSink(logging.Handler):
    """A handler that writes a batch of formatted lines in one go."""

    #: False for sinks that ignore the text (``null``): the listener skips formatting.
    needs_format = True

    def write_lines(self, lines: list[str]) -> int:
        """Write every line (each without its newline); return how many were written.

        On a failure, raise ``PartialWriteError`` when some lines were written, or any
        exception when none were.
        """
        raise NotImplementedError

    def emit(self, record: logging.LogRecord) -> None:
        self.write_lines([self.format(record)])

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        raise  # noqa: PLE0704 - the listener counts and reports, not logging's printer

    def describe(self) -> str:
        """Where the sink writes, for ``logboot show``."""
        return type(self).__name__


class PartialWriteError(OSError):
    """Only the first ``written`` lines of a batch reached the target."""

    def __init__(self, written: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.written = written
        self.cause = cause
