"""Validated profiles kept as plain data, so that a start from the same inputs skips pydantic.

Validation is what costs at start-up: importing pydantic and building the models takes
about 21 MB of memory and 150 ms, more than the rest of logboot together. Its result
depends only on its inputs, so ``setup_logging`` keeps it, keyed by all of them:

- the text of the profile file and of every file it ``extends``;
- every environment variable validation looked up (``${VAR}``, ``$LOGBOOT_LEVEL``), with
  its value or its absence;
- the ``overrides`` argument;
- the logboot version and the modification times of its modules, and pydantic's install
  (an upgrade or an edit of the code never trusts an entry written before).

A start whose inputs all match builds from the kept data; any difference, a missing or
unreadable entry, or one that is not the user's own, means a normal validation, whose
result replaces the entry. Nothing is ever built from data that was not validated with
exactly these inputs.

Entries are JSON files in ``$LOGBOOT_CACHE_DIR``, else ``$XDG_CACHE_HOME/logboot``, else
``~/.cache/logboot``, in a folder only the user can read (0700). ``LOGBOOT_CACHE=off`` (or
``setup_logging(..., cache=False)``) turns the cache off. A cache that cannot be read or
written is skipped silently: it only ever saves time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import stat
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from logboot.core.version import VERSION
from logboot.profile.files import read_source
from logboot.profile.plain import PlainProfile, encode, plain_profile

if TYPE_CHECKING:
    from logboot.profile.reading import Document, ExtendsRoots
    from logboot.profile.schema import Profile

CACHE_DIR_ENV = "LOGBOOT_CACHE_DIR"
CACHE_SWITCH_ENV = "LOGBOOT_CACHE"
FORMAT = 1  # the layout of an entry; bumped when it changes
MAX_ENTRIES = 64  # one per profile path; the oldest go first
_OFF = frozenset({"0", "off", "false", "no"})
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class RecordingEnviron(Mapping[str, str]):
    """An environment that remembers every name looked up, and what it held (or None)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.seen: dict[str, str | None] = {}
        self.listed = False  # someone iterated: the names that matter are unknown

    def __getitem__(self, name: str) -> str:
        value = self.environ.get(name)
        self.seen[name] = value
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self.environ)

    def __len__(self) -> int:
        self.listed = True
        return len(self.environ)


def cache_folder(environ: Mapping[str, str]) -> Path | None:
    """Where entries live; None when the cache is off or no folder can be named."""
    if environ.get(CACHE_SWITCH_ENV, "").strip().lower() in _OFF:
        return None
    folder = environ.get(CACHE_DIR_ENV)
    if folder:
        return Path(folder)
    base = environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "logboot"
    home = environ.get("HOME")
    return Path(home) / ".cache" / "logboot" if home else None


def code_stamp() -> str | None:
    """The logboot version, its modules (how many in each folder of the package, and the
    newest modification), and pydantic's install; None when they cannot be read (a process
    that dropped privileges after its imports): no caching."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # logboot/, not profile/
    newest = 0
    counts: list[str] = []  # "folder=modules": a module moved to another folder keeps its mtime
    folders = [package]
    try:
        while folders:
            folder = folders.pop()
            count = 0
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.endswith(".py"):
                        newest = max(newest, entry.stat().st_mtime_ns)
                        count += 1
                    elif entry.name != "__pycache__" and entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
            if count:
                counts.append(f"{folder[len(package) + 1 :] or '.'}={count}")
        # pydantic decides what validates too: its install, found without importing it.
        found = importlib.util.find_spec("pydantic")
        validator = os.stat(found.origin).st_mtime_ns if found and found.origin else 0
    except (OSError, ImportError, ValueError):
        return None
    return f"{VERSION}:{','.join(sorted(counts))}:{newest}:{validator}"


def overrides_key(overrides: object, extends_roots: ExtendsRoots | None = None) -> str | None:
    """The ``overrides`` and ``extends_roots`` arguments as text to compare; None when they
    cannot be (no caching). An entry validated with other roots is never used."""
    if not overrides and not extends_roots:
        return ""
    try:
        if not extends_roots:
            return json.dumps(overrides, separators=(",", ":"))
        roots: list[str | os.PathLike[str]] = (
            [extends_roots] if isinstance(extends_roots, (str, os.PathLike)) else list(extends_roots)
        )
        resolved = [str(Path(root).resolve()) for root in roots]
        return json.dumps({"overrides": overrides, "extends_roots": resolved}, separators=(",", ":"))
    except (TypeError, ValueError, OSError, RuntimeError):
        return None


def entry_path(folder: Path, profile_path: str) -> Path:
    # The name only spreads entries out; the entry itself holds the path it is for.
    return folder / f"{zlib.crc32(profile_path.encode('utf-8', 'surrogateescape')):08x}.json"


def load(
    profile_path: str, environ: Mapping[str, str], overrides: str, stamp: str, folder: Path
) -> PlainProfile | None:
    """The kept profile when every input (``stamp``: ``code_stamp()``) is unchanged, else None."""
    entry = _read_entry(entry_path(folder, profile_path))
    if entry is None:
        return None
    try:
        if (entry["format"], entry["stamp"], entry["path"], entry["overrides"]) != (
            FORMAT,
            stamp,
            profile_path,
            overrides,
        ):
            return None
        if not inputs_unchanged(entry["files"], entry["environ"], environ):
            return None
        return plain_profile(entry["profile"], entry["source"])
    except (OSError, UnicodeDecodeError, KeyError, TypeError, AttributeError, ValueError):
        return None


def inputs_unchanged(
    files: Mapping[str, str | None], values: Mapping[str, str | None], environ: Mapping[str, str]
) -> bool:
    """The rule for "the same inputs" (an entry's, a reload's): every variable has the value
    it had (None: unset) and every file the text it had (read without blocking on a FIFO)."""
    if any(environ.get(name) != value for name, value in values.items()):
        return False
    return all(read_source(path, strict=True) == text for path, text in files.items())


def _read_entry(path: Path) -> dict[str, Any] | None:
    """An entry's data, if the file is a regular file of this user that others cannot write."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return None
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = json.loads(file.read())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return data if isinstance(data, dict) else None


def store(
    profile_path: str,
    environ: RecordingEnviron,
    overrides: str,
    document: Document,
    profile: Profile,
    stamp: str,
    folder: Path,
) -> None:
    """Keep a profile just validated from these inputs (silently skipped if it cannot be)."""
    if environ.listed or profile_path not in document.files:
        return
    entry = {
        "format": FORMAT,
        "stamp": stamp,
        "path": profile_path,
        "overrides": overrides,
        "environ": environ.seen,
        "files": document.files,
        "source": profile.source,
        "profile": encode(profile),
    }
    target = entry_path(folder, profile_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NO_FOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(entry, file, separators=(",", ":"))
        os.replace(temporary, target)  # readers see the old entry or the new one, whole
        _prune(folder)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _prune(folder: Path) -> None:
    """Keep the ``MAX_ENTRIES`` newest entries."""
    with os.scandir(folder) as found:
        entries = sorted(
            (entry.stat().st_mtime_ns, entry.path) for entry in found if entry.name.endswith(".json")
        )
    for _, path in entries[: max(0, len(entries) - MAX_ENTRIES)]:
        with contextlib.suppress(OSError):
            os.unlink(path)
