"""Reading a profile's bytes safely: only a regular file, and only so many bytes.

Kept apart from ``reading`` (which imports yaml) because the profile cache reads the
files of a profile too, on a start that must not import yaml.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The most bytes a profile and the files it extends may hold together.
MAX_PROFILE_BYTES = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
)
_TOO_LARGE = "it is larger than 1 MiB, the most a profile and the files it extends may hold together"


class UnreadableError(Exception):
    """A file refused before or while reading it; the message says why."""


def read_bytes(path: Path, budget: int, *, follow: bool) -> bytes:
    """At most ``budget`` bytes of a regular file; anything else is refused without reading it.

    The path is checked before it is opened (opening a device can have effects), then the
    descriptor read from is checked again (the path may have changed in between). Opened
    non-blocking, a FIFO without a writer cannot hang the open.
    """
    try:
        _require_regular(os.stat(path, follow_symlinks=follow), budget)
        fd = os.open(path, _OPEN_FLAGS | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as err:
        raise UnreadableError(_os_reason(err)) from err
    chunks: list[bytes] = []
    try:
        _require_regular(os.fstat(fd), budget)
        left = budget + 1  # one byte more tells a file that is too large
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as err:
        raise UnreadableError(_os_reason(err)) from err
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > budget:
        raise UnreadableError(_TOO_LARGE)
    return data


def _require_regular(info: os.stat_result, budget: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableError(f"it is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > budget:
        raise UnreadableError(_TOO_LARGE)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "something else")


def _os_reason(err: Exception) -> str:
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)


def read_source(path: str | os.PathLike[str], *, strict: bool = False) -> str | None:
    """The text of a profile file (to show its lines, or to compare it); None for a file
    ``read_profile`` refuses (not a regular file, larger than the limit, unreadable) and,
    when ``strict``, for one that is not UTF-8."""
    try:
        data = read_bytes(Path(path), MAX_PROFILE_BYTES, follow=True)
        return data.decode("utf-8", errors="strict" if strict else "replace")
    except (OSError, UnreadableError, UnicodeDecodeError):
        return None
