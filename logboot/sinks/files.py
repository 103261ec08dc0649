"""``type: file`` and ``type: rotating_file``: append-only files with safe creation.

A file is opened with ``os.open``: created with the configured mode (exactly, whatever
the umask), never through a symlink (``O_NOFOLLOW``), in append mode so that several
writers never overwrite each other. Lines are written with ``os.write``; a batch is one
system call, so there is no user-space buffer to lose.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import SetupError
from ..schema import FileSinkSpec, RotatingFileSinkSpec
from .base import BatchSink, PartialWriteError

_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_log_file(path: Path, mode: int) -> int:
    """Open ``path`` for appending, creating it (and its folders) with ``mode``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SetupError(f"cannot create the folder of log file {str(path)!r}: {err.strerror}") from err
    try:
        try:
            fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            return os.open(path, _FLAGS)
        os.fchmod(fd, mode)  # the umask may have removed bits; the fd has no race
        return fd
    except OSError as err:
        if err.errno == errno.ELOOP or (path.is_symlink()):
            raise SetupError(
                f"refusing to open log file {str(path)!r}: it is a symlink "
                "(a link at a log path can redirect writes to another file)"
            ) from err
        raise SetupError(f"cannot open log file {str(path)!r}: {err.strerror}") from err


def write_all(fd: int, chunks: list[bytes]) -> int:
    """Write ``chunks`` in one system call (more if the kernel writes short).

    Returns the number of chunks written; on an error after some were written, raises
    ``PartialWriteError`` with that number.
    """
    data = b"".join(chunks)
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:] if done else data)
    except OSError as err:
        written = _whole_chunks(chunks, done)
        if written:
            raise PartialWriteError(written, err) from err
        raise
    return len(chunks)


def _whole_chunks(chunks: list[bytes], size: int) -> int:
    count = 0
    for chunk in chunks:
        size -= len(chunk)
        if size < 0:
            break
        count += 1
    return count


class FileSink(BatchSink):
    """Appends lines to one file."""

    def __init__(self, path: str | os.PathLike[str], mode: int = 0o640, encoding: str = "utf-8") -> None:
        super().__init__()
        self.path = Path(path)
        self.mode = mode
        self.encoding = encoding
        self.fd: int | None = open_log_file(self.path, mode)
        self.size = os.fstat(self.fd).st_size

    def encode(self, lines: list[str]) -> list[bytes]:
        encoding = self.encoding
        return [(line + "\n").encode(encoding, "backslashreplace") for line in lines]

    def write_lines(self, lines: list[str]) -> int:
        if self.fd is None:
            self.fd = open_log_file(self.path, self.mode)
        chunks = self.encode(lines)
        written = write_all(self.fd, chunks)
        self.size += sum(map(len, chunks))
        return written

    def close(self) -> None:
        self.acquire()
        try:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
        finally:
            self.release()
        super().close()

    def describe(self) -> str:
        return str(self.path)


class RotatingFileSink(FileSink):
    """A file that rolls over to ``path.1`` ... ``path.N`` before passing ``max_bytes``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        max_bytes: int,
        backup_count: int,
        mode: int = 0o640,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__(path, mode, encoding)
        self.max_bytes = max_bytes
        self.backup_count = backup_count

    def write_lines(self, lines: list[str]) -> int:
        if self.fd is None:
            self.fd = open_log_file(self.path, self.mode)
        if not self.max_bytes:
            return super().write_lines(lines)
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
            count = write_all(self.fd, chunks)
        except PartialWriteError as err:
            raise PartialWriteError(before + err.written, err.cause) from err
        except OSError as err:
            if before:
                raise PartialWriteError(before, err) from err
            raise
        self.size += sum(map(len, chunks))
        return count

    def rollover(self) -> None:
        """Shift ``path.N-1`` to ``path.N`` ..., ``path`` to ``path.1``, start a new file."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        for index in range(self.backup_count - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{index + 1}"))
        if self.backup_count > 0:
            os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))
        else:
            os.unlink(self.path)
        self.fd = open_log_file(self.path, self.mode)
        self.size = 0

    def describe(self) -> str:
        return f"{self.path} (rolls at {self.max_bytes} bytes, keeps {self.backup_count})"


def build_file(spec: FileSinkSpec) -> FileSink:
    return FileSink(spec.path, spec.mode, spec.encoding)


def build_rotating(spec: RotatingFileSinkSpec) -> RotatingFileSink:
    return RotatingFileSink(spec.path, spec.max_bytes, spec.backup_count, spec.mode, spec.encoding)
