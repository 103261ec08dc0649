"""``type: file`` and ``type: rotating_file``: append-only files with safe creation.

A file is opened with ``os.open``: created with the configured mode (exactly, whatever
the umask), never through a symlink (``O_NOFOLLOW``), in append mode so that several
writers never overwrite each other. Lines are written with ``os.write``; a batch is one
system call, so there is no user-space buffer to lose. A write cut short (disk full) never
leaves a torn line: the part of the line it cut is truncated off the file again.

With ``reopen: watch`` (the default) each batch starts with one ``os.stat`` of the path:
when the file there is not the one open (logrotate moved it, someone deleted it), the
sink opens the path again, with the same safe flags, and writes there.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from logboot.errors import SetupError
from logboot.sinks.base import (
    BatchSink,
    PartialWriteError,
    SinkClosedError,
    append_parts,
    append_records,
)
from logboot.sinks.retention import RetainedFiles, Retention, numbered_files, shift_numbered, summary

if TYPE_CHECKING:
    from logboot.sinks.files_spec import FileSinkSpec, RotatingFileSinkSpec

_SAFE = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
APPEND = os.O_WRONLY | os.O_APPEND | _SAFE
"""How a log file is opened: appended to, never through a symlink, not inherited by ``exec``."""
LOCK = os.O_RDWR | _SAFE
"""How a lock file beside a log file is opened (concurrent-log-handler's)."""


def open_log_file(path: Path, mode: int, flags: int = APPEND, what: str = "log file") -> int:
    """Open ``path`` with ``flags`` (never through a symlink), creating it (and its folders)
    with exactly ``mode``; ``what`` names the file in errors."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as err:  # mkdir's "File exists" would hide the reason
        raise SetupError(
            f"cannot create the folder of {what} {str(path)!r}: "
            f"{err.filename or str(path.parent)!r} exists and is not a folder"
        ) from err
    except OSError as err:
        raise SetupError(f"cannot create the folder of {what} {str(path)!r}: {err.strerror}") from err
    try:
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            return os.open(path, flags)
        os.fchmod(fd, mode)  # the umask may have removed bits; the fd has no race
        return fd
    except OSError as err:
        if err.errno == errno.ELOOP or (path.is_symlink()):
            raise SetupError(
                f"refusing to open {what} {str(path)!r}: it is a symlink "
                "(a link at a log path can redirect writes to another file)"
            ) from err
        raise SetupError(f"cannot open {what} {str(path)!r}: {err.strerror}") from err


def encode_text(lines: list[str], encoding: str) -> bytes:
    """``lines``, each ended by a newline, encoded in one go (for an encoding without state)."""
    # Joined with an empty last line: one copy of the text fewer than adding the last "\n".
    return "\n".join([*lines, ""] if lines else ["", ""]).encode(encoding, "backslashreplace")


# A batch of more text than this is encoded a part at a time and the parts written with
# one ``writev``: a bigger joined text or its bytes come from fresh pages each time (page
# faults: 14 µs a 16 KiB line in a 256 KiB batch, against 0.7 in parts of 64 KiB,
# measured), and the memory a batch takes in flight stays bounded. A short write keeps
# ``append_records``' guarantee: whole lines only (``append_parts``).
WRITE_CHUNK = 64 * 1024


# A line this long or longer is encoded alone and written as its own part, the newline
# another (``writev`` takes both): joined with its neighbours first, its text would be
# copied once more (about 1 µs a 16 KiB line, measured: docs/benchmarks.md, "Big records").
LINE_ALONE = 4096


def chunked(lines: list[str], size: int) -> list[list[str]]:
    """``lines`` in order, in groups of about ``size`` characters (with no long line, at
    most ``size`` with their newlines); a line of ``LINE_ALONE`` characters or more (or
    longer than ``size``) alone."""
    longest = max(map(len, lines), default=0)
    if longest < LINE_ALONE:
        # No long line (nearly every batch): groups of as many lines as fit ``size`` at the
        # longest one's length, cut by slicing: 25 to 45 ns a line where the loop below
        # costs 100 to 280 (measured on 3.10 to 3.13).
        step = max(1, size // (longest + 1))
        return [lines[start : start + step] for start in range(0, len(lines), step)]
    groups: list[list[str]] = []
    group: list[str] = []
    held = 0
    for line in lines:
        long = len(line) >= LINE_ALONE
        if group and (long or held + len(line) > size):
            groups.append(group)
            group, held = [], 0
        group.append(line)
        held += len(line) + 1
        if long:
            groups.append(group)
            group, held = [], 0
    if group:
        groups.append(group)
    return groups


def encoded_parts(lines: list[str], encoding: str) -> list[bytes]:
    """``lines`` (a stateless ``encoding``'s) as the parts ``append_parts`` writes: each
    group of ``chunked`` encoded in one go, a long line's text and its newline apart."""
    parts: list[bytes] = []
    for group in chunked(lines, WRITE_CHUNK):
        if len(group) == 1 and len(group[0]) >= LINE_ALONE:
            parts += (group[0].encode(encoding, "backslashreplace"), b"\n")
        else:
            parts.append(encode_text(group, encoding))
    return parts


@functools.lru_cache(maxsize=16)
def encodes_alone(encoding: str) -> bool:
    """True when encoding a whole text gives the bytes of its lines encoded one by one
    (no byte-order mark, no shift state), so a batch can be encoded in one call."""
    try:
        return codecs.lookup(encoding).name in ("utf-8", "ascii", "latin-1", "iso8859-1")
    except LookupError:
        return False  # the per-line path raises the error, as before


class FileSink(BatchSink):
    """Appends lines to one file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: int = 0o640,
        encoding: str = "utf-8",
        reopen: str = "watch",
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.mode = mode
        self.encoding = encoding
        self.watch = reopen == "watch"
        self.reopened = 0
        self.closed = False
        self.fd: int | None = None
        self.identity = (0, 0)
        self.size = 0
        self.open()

    def open(self) -> int:
        """Open (or create) the file, and remember which file it is for the watch."""
        fd = open_log_file(self.path, self.mode)
        stat = os.fstat(fd)
        self.fd, self.identity, self.size = fd, (stat.st_dev, stat.st_ino), stat.st_size
        return fd

    def ensure_open(self) -> int:
        """The descriptor for this batch: reopened if the file was moved or deleted (one stat)."""
        if self.closed:
            raise SinkClosedError(f"log file sink {str(self.path)!r} is closed")
        fd = self.fd
        if fd is not None and self.watch:
            try:
                stat = os.stat(self.path)
                moved = (stat.st_dev, stat.st_ino) != self.identity
            except FileNotFoundError:
                moved = True
            except OSError:
                moved = False  # cannot tell (a folder lost its permissions): keep the open file
            if moved:
                self.fd = None
                os.close(fd)
                fd = None
                self.reopened += 1
        return self.open() if fd is None else fd

    def encode(self, lines: list[str]) -> list[bytes]:
        encoding = self.encoding
        return [(line + "\n").encode(encoding, "backslashreplace") for line in lines]

    def write_lines(self, lines: list[str]) -> int:
        fd = self.ensure_open()
        if not encodes_alone(self.encoding):
            return self.write_chunks(fd, self.encode(lines))
        if sum(map(len, lines)) <= WRITE_CHUNK:  # most batches: one encode, one write
            return self.write_encoded(fd, lines, encode_text(lines, self.encoding))
        parts = encoded_parts(lines, self.encoding)
        try:
            append_parts(fd, parts, lambda: self.encode(lines))
        except OSError:
            with contextlib.suppress(OSError):
                self.size = os.fstat(fd).st_size
            raise
        self.size += sum(map(len, parts))
        return len(lines)

    def write_encoded(self, fd: int, lines: list[str], data: bytes) -> int:
        """Write ``lines``, encoded in one go as ``data`` (``encode_text``); how many."""
        self.append(fd, data, lambda: self.encode(lines))
        return len(lines)

    def write_chunks(self, fd: int, chunks: list[bytes]) -> int:
        """Write encoded lines in one system call (more if the kernel writes short); how many."""
        self.append(fd, b"".join(chunks), lambda: chunks)
        return len(chunks)

    def append(self, fd: int, data: bytes, chunks: Callable[[], list[bytes]]) -> None:
        """Append ``data``, whole lines, and count its bytes (``append_records``).

        ``chunks`` gives the bytes of each line, needed only to tell how many whole lines a
        failed write left in the file; after a failure the size is read from the file.
        """
        try:
            append_records(fd, data, chunks)
        except OSError:
            with contextlib.suppress(OSError):
                self.size = os.fstat(fd).st_size
            raise
        self.size += len(data)

    def close(self) -> None:
        self.acquire()
        try:
            self.closed = True  # a late write (logging.shutdown, __del__) never reopens the file
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        finally:
            self.release()
        super().close()

    def describe(self) -> str:
        return str(self.path)


class RotatingFileSink(RetainedFiles, FileSink):
    """A file that rolls over to ``path.1`` ... ``path.N`` before passing ``max_bytes``.

    With ``compress="gzip"`` the rolled files become ``path.1.gz`` ... ``path.N.gz``
    (written in the background, see ``retention``); ``max_total_size`` caps the bytes of
    all rolled files, the oldest going first.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int,
        backup_count: int,
        mode: int = 0o640,
        encoding: str = "utf-8",
        reopen: str = "watch",
        compress: str | None = None,
        max_total_size: int | None = None,
    ) -> None:
        super().__init__(path, mode, encoding, reopen)
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        self.retention = Retention(
            self.path, self.rolled_files, mode=mode, compress=compress, max_total_size=max_total_size
        )
        self.retention.recover()

    def write_lines(self, lines: list[str]) -> int:
        if self.retention.waiting_start:
            self.retention.kick()
        fd = self.ensure_open()
        if encodes_alone(self.encoding):
            data = encode_text(lines, self.encoding)
            if not self.max_bytes or self.size + len(data) <= self.max_bytes:
                # The batch fits (every batch but the one a rollover splits): one encode.
                return self.write_encoded(fd, lines, data)
        if not self.max_bytes:
            return self._write(self.encode(lines), 0)
        pending: list[bytes] = []
        pending_size = 0
        written = 0
        for chunk in self.encode(lines):
            if pending_size + len(chunk) + self.size > self.max_bytes and self.size + pending_size > 0:
                written += self._write(pending, written)
                pending, pending_size = [], 0
                self.rollover()
            pending.append(chunk)
            pending_size += len(chunk)
        if pending:
            written += self._write(pending, written)
        return written

    def _write(self, chunks: list[bytes], before: int) -> int:
        assert self.fd is not None
        try:
            return self.write_chunks(self.fd, chunks)
        except PartialWriteError as err:
            raise PartialWriteError(before + err.written, err.cause) from err
        except OSError as err:
            if before:
                raise PartialWriteError(before, err) from err
            raise

    def rollover(self) -> None:
        """Shift ``path.N-1`` to ``path.N`` ..., ``path`` to ``path.1``, start a new file.

        A rolled file may be plain or gzipped (``path.K.gz``); both shift alike, and the
        compressor finds a file it is working on by its inode wherever the shift put it.
        """
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        rolled = False
        with self.retention.lock:
            if self.backup_count > 0:
                # The active file may have been moved away or deleted under us: the rolled
                # files shift all the same, as before, and nothing becomes path.1.
                rolled = os.path.lexists(self.path)
                self.retention.removed += shift_numbered(self.path, self.backup_count)
            elif os.path.lexists(self.path):
                os.unlink(self.path)
        if rolled:
            self.retention.rolled(self.path.with_name(f"{self.path.name}.1"))
        self.open()

    def rolled_files(self) -> list[Path]:
        """The rolled files ``path.1`` ... ``path.N`` (plain or ``.gz``), oldest (highest) first."""
        return numbered_files(self.path, self.backup_count)

    def describe(self) -> str:
        more = summary(self.retention.compress, self.retention.max_total_size)
        more = f", {more}" if more else ""
        return f"{self.path} (rolls at {self.max_bytes} bytes, keeps {self.backup_count}{more})"


def build_file(spec: FileSinkSpec) -> FileSink:
    return FileSink(spec.path, spec.mode, spec.encoding, spec.reopen)


def build_rotating(spec: RotatingFileSinkSpec) -> RotatingFileSink:
    return RotatingFileSink(
        spec.path,
        spec.max_bytes,
        spec.backup_count,
        spec.mode,
        spec.encoding,
        spec.reopen,
        spec.compress,
        spec.max_total_size,
    )
