"""concurrent-log-handler's rotating handler, opening and writing files as logboot's file sinks do.

The library opens the log with ``open()`` (through a symlink, creating a dangling link's
target), opens its lock file the same way, and chmods both by path (so a link planted
there makes it chmod any file), and it writes through a buffered stream that keeps the
rest of a record a full disk refused and writes it later, glued to the next one. This
subclass opens both files with ``open_log_file``: never through a symlink (``O_NOFOLLOW``),
created with exactly the configured mode, no chmod by path, at setup and at every reopen
(after a rollover, a rename, a fork). Each record is one ``os.write`` (``append_records``)
under the library's lock, so cutting off a torn record never cuts another process's.

With ``compress`` or ``max_total_size`` the rollover is logboot's (``retention``): the files
shift as ``path.1[.gz]`` ... ``path.N[.gz]`` under the library's lock, the rolled file is
gzipped in the background, and the compressor takes the same lock (the lock file, shared by
the processes) for its final rename and its pruning. Without them the library rolls over.

Imported only when a profile uses ``concurrent_rotating_file`` (see ``concurrent.build``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from io import TextIOWrapper
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler

from logboot.sinks.base import append_records
from logboot.sinks.files import APPEND, LOCK, open_log_file
from logboot.sinks.retention import Retention, numbered_files, shift_numbered


class SafeConcurrentRotatingFileHandler(ConcurrentRotatingFileHandler):
    """``ConcurrentRotatingFileHandler`` whose files are opened with ``O_NOFOLLOW`` and ``mode``."""

    def __init__(
        self,
        path: Path,
        max_bytes: int,
        backup_count: int,
        mode: int,
        encoding: str,
        compress: str | None = None,
        max_total_size: int | None = None,
    ) -> None:
        # No `chmod` for the library: with it, it would chmod the files by path after opening.
        super().__init__(str(path), mode="a", maxBytes=max_bytes, backupCount=backup_count, encoding=encoding)
        self.file_mode = mode
        self.path = path
        self.retention = Retention(
            path,
            lambda: numbered_files(path, self.backupCount),
            mode=mode,
            compress=compress,
            max_total_size=max_total_size,
            shared=self.held,
        )
        self.retention.recover()

    def emit(self, record: logging.LogRecord) -> None:
        if self.retention.waiting_start:  # the first record starts compressing what was left
            self.retention.kick()
        super().emit(record)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """The library's lock: this process's threads, and the other processes (the lock file)."""
        self._do_lock()
        try:
            yield
        finally:
            self._do_unlock()

    def doRollover(self) -> None:  # noqa: N802 - the library's name
        """With retention settings: shift ``path.N-1[.gz]`` ... ``path`` to ``path.1`` and hand it
        to the compressor (the library's lock is held by ``emit``); else the library's rollover."""
        if not self.retention.enabled or self.backupCount <= 0:
            super().doRollover()
            return
        if self.stream is not None and not self.stream.closed:
            self.stream.close()
        self.stream = None  # reopened by the next write
        with self.retention.lock:
            if not os.path.lexists(self.path):
                return  # moved away or deleted under us: nothing to shift
            self.retention.removed += shift_numbered(self.path, self.backupCount)
        self.num_rollovers += 1
        self.retention.rolled(self.path.with_name(f"{self.path.name}.1"))

    def settle(self, timeout: float) -> bool:
        """Wait until the rolled files are compressed and pruned; False when ``timeout`` passed first."""
        return self.retention.settle(timeout)

    def sink_stats(self) -> dict[str, int]:
        """The compressed and removed rolled files, when retention is configured."""
        return self.retention.stats() if self.retention.enabled else {}

    def close(self) -> None:
        self.retention.close()  # its last rename takes the lock file: before the library closes it
        super().close()

    def open_files(self) -> None:
        """Open the log file and its lock file now, so a path that is refused fails the setup."""
        self.stream = self.do_open()
        self._open_lockfile()

    def do_open(self, mode: str | None = None) -> TextIOWrapper:
        """The log file, for appending (``"w"``: emptied first, as the library asks without backups)."""
        flags = APPEND | (os.O_TRUNC if (mode or self.mode).startswith("w") else 0)
        fd = open_log_file(Path(self.baseFilename), self.file_mode, flags)
        # A text stream for the library's seek/tell/close; records bypass it (do_write).
        return open(fd, "a", encoding=self.encoding, newline=self.newline)

    def _open_lockfile(self) -> None:
        if self.stream_lock is None or self.stream_lock.closed:
            self.stream_lock = self.atomic_open(self.lockFilename)

    def atomic_open(self, file_path: str) -> TextIOWrapper:
        """The lock file: created with the mode if missing, never through a symlink."""
        fd = open_log_file(Path(file_path), self.file_mode, LOCK, "lock file")
        return open(fd, "r+", encoding=self.encoding, newline=self.newline)

    def do_write(self, msg: str) -> None:
        """One record, one ``os.write`` (no buffer keeps a refused tail to write it later)."""
        if self.stream is None or self.stream.closed:
            self.stream = self.do_open()
        append_records(self.stream.fileno(), self.encode_record(msg + self.terminator))

    def encode_record(self, text: str) -> bytes:
        """``text`` in the file's encoding; what it cannot encode, per ``unicode_error_policy``."""
        encoding = self.encoding or "utf-8"
        try:
            return text.encode(encoding)
        except UnicodeError:
            return text.encode(encoding, self.unicode_error_policy)
