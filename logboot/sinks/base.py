"""What every logboot sink is: a ``logging.Handler`` that can also take a batch.

The listener hands each sink the formatted lines of a whole batch at once, so a file
sink makes one write per batch instead of one write and one flush per record.
``emit`` still works for a single record, so a sink can be used like any handler.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
from collections.abc import Callable

from logboot.core.reporting import write_stderr


class BatchSink(logging.Handler):
    """A handler that writes a batch of formatted lines in one go."""

    #: False for sinks that ignore the text (``null``): the listener skips formatting.
    needs_format = True
    _told_closed = False

    def write_lines(self, lines: list[str]) -> int:
        """Write every line (each without its newline); return how many were written.

        On a failure, raise ``PartialWriteError`` when some lines were written, or any
        exception when none were.
        """
        raise NotImplementedError

    def write_records(self, records: list[logging.LogRecord], lines: list[str]) -> int:
        """Write a batch given its records as well as their lines; same contract as ``write_lines``.

        The listener calls this; the default writes the lines. A structured sink (OTLP)
        overrides it to use the records (with ``needs_format = False`` the lines are empty).
        """
        return self.write_lines(lines)

    def filter_batch(self, records: list[logging.LogRecord]) -> list[logging.LogRecord]:
        """The records of a batch (past the sink's level and filters) that the sink takes:
        all of them (a remote sink leaves out what its own sender thread logged). The
        listener calls it once a batch, where a logging filter would cost a call a record."""
        return records

    def drain(self, deadline: float) -> bool:
        """Wait until what the sink holds (a remote sink buffers) is delivered, at most until
        ``deadline`` (``time.monotonic()``); False when that passed first."""
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record, when the sink is used as a plain handler (the listener never
        calls this: it writes batches and counts failures itself)."""
        try:
            self.write_records([record], [self.format(record) if self.needs_format else ""])
        except Exception:  # noqa: BLE001 - a handler never raises into the code that logs
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        """logging's own report, except for a sink already closed (one line, once) and while
        the interpreter shuts down (nothing).

        A sink closed by ``stop()`` or at exit may still be reached by a record logged
        from a ``__del__`` or a late atexit hook; that never raises into the caller.
        """
        if sys.is_finalizing():
            return
        if isinstance(sys.exc_info()[1], SinkClosedError):
            if not self._told_closed:
                self._told_closed = True
                write_stderr(
                    f"logboot: {self.describe()}: a record arrived after the sink was closed; dropped\n"
                )
            return
        super().handleError(record)

    def describe(self) -> str:
        """Where the sink writes, for ``logboot show``."""
        return type(self).__name__


def whole_chunks(chunks: list[bytes], size: int) -> int:
    """How many of ``chunks``, in order, fit whole in the first ``size`` bytes written."""
    count = 0
    for chunk in chunks:
        size -= len(chunk)
        if size < 0:
            break
        count += 1
    return count


def write_bytes(fd: int, data: bytes, chunks: Callable[[], list[bytes]] | None = None) -> None:
    """Write all of ``data``: one system call, more if the kernel writes short (a signal
    arriving during a write to a full pipe or a slow device).

    On an error after some bytes, raises ``PartialWriteError`` with the number of the
    ``chunks()`` (the caller's lines or frames, asked for only then) written whole, or
    the error itself when none was or no ``chunks`` is given.
    """
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:] if done else data)
    except OSError as err:
        written = whole_chunks(chunks(), done) if chunks is not None and done else 0
        if written:
            raise PartialWriteError(written, err) from err
        raise


def append_records(fd: int, data: bytes, chunks: Callable[[], list[bytes]] | None = None) -> None:
    """``write_bytes`` for a file opened with ``O_APPEND``: a failure never leaves a torn record.

    The common case is one system call. After a short write (disk full, file size limit)
    the rest is tried; when that fails, the bytes of the record it cut in two are truncated
    off the file (``cut_torn_tail``), so the file ends on a record boundary and the next
    record starts a line of its own. ``chunks`` gives the records (without it, ``data`` is
    one record); the error says how many were written whole, as from ``write_bytes``.
    """
    done = os.write(fd, data)
    if done < len(data):
        _append_rest(fd, data, done, chunks)


def append_parts(fd: int, parts: list[bytes], chunks: Callable[[], list[bytes]] | None = None) -> None:
    """``append_records`` for data given in parts (each whole records): one ``writev``,
    so the parts are never joined in memory and the write is one system call (one release
    of the GIL, as for a batch in one part). A short write goes on as ``append_records``
    does, over the parts joined (only then)."""
    if len(parts) > _IOV_MAX:
        append_records(fd, b"".join(parts), chunks)
        return
    done = os.writev(fd, parts)
    if done < sum(map(len, parts)):
        _append_rest(fd, b"".join(parts), done, chunks)


_IOV_MAX = 1024  # the most buffers one writev takes on Linux


def _append_rest(fd: int, data: bytes, done: int, chunks: Callable[[], list[bytes]] | None) -> None:
    """The rest of a short append; tracks where our bytes lie in the file to cut a torn record."""
    end = _offset(fd)  # with O_APPEND, each write leaves the offset just past its own bytes
    ours_from = None if end is None else end - done  # our bytes run unbroken from here to ``end``
    try:
        while done < len(data):
            wrote = os.write(fd, data[done:])
            done += wrote
            here = _offset(fd)
            if here is None or end is None or here - wrote != end:
                ours_from = None if here is None else here - wrote  # another writer got in between
            end = here
    except OSError as err:
        parts = chunks() if chunks is not None else [data]
        written = whole_chunks(parts, done)
        torn = done - sum(map(len, parts[:written]))
        if torn and end is not None and ours_from is not None and end - torn >= ours_from:
            cut_torn_tail(fd, end, end - torn)
        if written:
            raise PartialWriteError(written, err) from err
        raise


def _offset(fd: int) -> int | None:
    try:
        return os.lseek(fd, 0, os.SEEK_CUR)
    except OSError:  # a pipe or a terminal: nothing can be cut there
        return None


def cut_torn_tail(fd: int, end: int, keep: int) -> bool:
    """Truncate the file to ``keep`` bytes, only if it still ends at ``end`` (our last byte).

    The file may be shared in append mode: if it grew past ``end``, another writer's bytes
    follow our torn ones and cutting would cut theirs, so the file is left as it is. True
    when the file was cut.
    """
    with contextlib.suppress(OSError):  # not cut: a device, or a file that cannot be truncated
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_size == end:
            os.ftruncate(fd, keep)
            return True
    return False


class SinkClosedError(ValueError):
    """A record reached a sink after ``close()`` (a late ``__del__``, an atexit hook)."""


class PartialWriteError(OSError):
    """Only the first ``written`` lines of a batch reached the target."""

    def __init__(self, written: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.written = written
        self.cause = cause
