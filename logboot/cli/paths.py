"""Why a path given on the command line cannot be used, in one line that names it.

Every command looks before it reads, so that a missing file, a folder it cannot search, a name
too long for the file system or something that is not a file is a usage error (exit 2) with
one line, never a traceback. ``write_text`` says in the same way why a file cannot be written.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from logboot.errors import LogbootError

#: Paths longer than this are shown cut in the middle: the line stays readable.
_SHOWN_MAX = 100
_SHOWN_END = 40

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFIFO: "a pipe (FIFO)",
}


def shown_path(path: Path | str) -> str:
    """``repr`` of the path, cut in the middle (with its length) when it is very long."""
    text = str(path)
    if len(text) <= _SHOWN_MAX:
        return repr(text)
    return f"{text[:_SHOWN_END] + '...' + text[-_SHOWN_END:]!r} ({len(text)} characters)"


def unreadable_reason(path: Path, what: str = "profile") -> str | None:
    """Why ``path`` cannot be read as a ``what`` file (one line that names it), or None if it can.

    Only regular files are read, as the library does: opening a pipe can block for ever and
    ``/dev/zero`` never ends.
    """
    try:
        mode = path.stat().st_mode
    except OSError as err:
        return os_reason(err, path, what, searching=True)
    if stat.S_ISDIR(mode):
        return f"{shown_path(path)} is a folder; pass {what} files, such as {shown_path(path / '*.yaml')}"
    kind = _KINDS.get(stat.S_IFMT(mode))
    if kind is not None:
        return f"{shown_path(path)} is not a {what} file but {kind}"
    if not stat.S_ISREG(mode):
        return f"{shown_path(path)} is not a {what} file"
    try:
        with path.open("rb"):
            pass
    except OSError as err:
        return os_reason(err, path, what, searching=False)
    return None


def os_reason(err: OSError, path: Path, what: str = "profile", *, searching: bool = False) -> str:
    """The one line for an error of the file system about ``path`` (being read)."""
    shown = shown_path(path)
    if err.errno == errno.ENOENT:
        return f"no such {what}: {shown}"
    if err.errno == errno.ENOTDIR:
        return f"no such {what}: {shown} (a part of the path is a file, not a folder)"
    return f"cannot read {shown}: {_why(err, path, searching=searching)}"


def is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder; False when it cannot even be looked at (writing then says why)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def write_text(target: Path, text: str, *, replace: bool, what: str = "") -> bool:
    """Write ``text`` to ``target`` byte for byte, creating missing folders; False when it exists
    and ``replace`` is off. A file that cannot be written raises ``LogbootError`` with one line:
    ``cannot write [what to] 'target': why``."""
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError as err:  # a file where a folder should be
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target.parent)) from err
        try:
            stream = target.open("w" if replace else "x", encoding="utf-8", newline="")
        except FileExistsError:
            return False
        with stream:
            stream.write(text)
    except OSError as err:
        where = f"{what} to {shown_path(target)}" if what else shown_path(target)
        raise LogbootError(f"cannot write {where}: {_why(err, target, searching=False)}") from err
    return True


def _why(err: OSError, path: Path, *, searching: bool) -> str:
    if err.errno == errno.EACCES:
        return "permission denied" + (" (a folder on the path cannot be searched)" if searching else "")
    if err.errno == errno.ENAMETOOLONG:
        return _too_long(path)
    if err.errno == errno.ELOOP:
        return "too many levels of symbolic links (a symlink loop?)"
    if err.errno == errno.EISDIR:
        return "it is a folder"
    if err.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return err.strerror.lower() if err.strerror else str(err)


def _too_long(path: Path) -> str:
    """Which limit was hit: one name too long, or the whole path."""
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > _name_max(path):
        return f"file name too long for the file system (a name of {longest} bytes)"
    return f"path too long for the file system ({len(os.fsencode(str(path)))} bytes)"


def _name_max(path: Path) -> int:
    """The longest name the file system of the nearest existing folder takes (255 if unknown)."""
    for folder in (path.absolute(), *path.absolute().parents):
        try:
            return os.pathconf(folder, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255
