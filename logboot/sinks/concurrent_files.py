"""concurrent-log-handler's rotating handler, opening and writing files as logboot's file sinks do.

The library opens the log with ``open()`` (through a symlink, creating a dangling link's
target), opens its lock file the same way, and chmods both by path (so a link planted
there makes it chmod any file), and it writes through a buffered stream that keeps the
rest of a record a full disk refused and writes it later, glued to the next one. This
subclass opens both files with ``open_log_file``: never through a symlink (``O_NOFOLLOW``),
created with exactly the configured mode, no chmod by path, at setup and at every reopen
(after a rollover, a rename, a fork). Each record is one ``os.write`` (``append_records``)
under the library's lock, so cutting off a torn record never cuts another process's.

Imported only when a profile uses ``concurrent_rotating_file`` (see ``concurrent.build``).
"""

from __future__ import annotations

import os
from io import TextIOWrapper
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler

from logboot.sinks.base import append_records
from logboot.sinks.files import APPEND, LOCK, open_log_file


class SafeConcurrentRotatingFileHandler(ConcurrentRotatingFileHandler):
    """``ConcurrentRotatingFileHandler`` whose files are opened with ``O_NOFOLLOW`` and ``mode``."""

    def __init__(self, path: Path, max_bytes: int, backup_count: int, mode: int, encoding: str) -> None:
        # No `chmod` for the library: with it, it would chmod the files by path after opening.
        super().__init__(str(path), mode="a", maxBytes=max_bytes, backupCount=backup_count, encoding=encoding)
        self.file_mode = mode

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
