"""What happens to rolled log files: gzipped in the background, pruned by count, total size, age.

Shared by ``rotating_file``, ``timed_rotating_file`` and ``concurrent_rotating_file``. The
listener thread only renames at a rollover, as before, and hands the rolled file to
``Retention.rolled``; compressing is done by one daemon thread per sink
(``logboot-compress-<file name>``), started by the first file it is given (never by building
the sink), drained by ``close()`` and never inherited by a forked child.

Crash safety: a rolled file ``X`` is compressed into ``.<name>.<inode>.<pid>.<n>.gz.part``
beside it (created with ``O_EXCL | O_NOFOLLOW`` and the log's mode, so nothing planted
there is followed), flushed, given X's times, ``fsync``-ed, and only then renamed to
``X.gz``; X is unlinked after. A crash leaves the part file (removed at the next start;
X is still whole) or X beside a complete X.gz (the next start removes X). A name that
ends in ``.gz`` therefore always holds a whole file.

A rolled file is known by its inode, not by its name: a rollover may shift ``app.log.1``
to ``app.log.2`` while it is being compressed. The file is held open from the start of its
compression to the end, so its inode number cannot go to a new file meanwhile; the final
rename takes ``lock`` (the sink's rollover takes it too, and ``shared``, the lock file of
``concurrent_rotating_file``, when processes share the files), finds where that inode is
now and renames beside it; a file pruned (or compressed by another process) meanwhile
leaves nothing behind.

Pruning deletes whole rolled files, oldest first, never the active file and never
through a symlink (a link is judged by ``lstat`` and removed as a link): beyond ``keep``
files, then those last written more than ``max_age`` ago, then the oldest until the rolled
files, plain or gzipped, add up to at most ``max_total_size`` bytes. A file still waiting
to be compressed is left out of that sum until it is compressed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import stat
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from logboot.core.pids import alive
from logboot.core.reporting import ErrorReporter, write_stderr

CLOSE_WAIT = 5.0  # seconds close() gives queued compressions before leaving them to the next start
REPORT_INTERVAL = 60.0  # seconds between two reports of a failing compression
CHUNK = 1 << 20  # bytes read and compressed at a time
LEVEL = 6  # gzip's own default: most of level 9's ratio at about a third of its time
NICE = 10  # the compressor thread yields the CPU to the listener and the application
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)

Inode = tuple[int, int]  # (st_dev, st_ino)


def summary(compress: str | None, max_total_size: int | None, max_age: float | None = None) -> str:
    """The retention settings in words, for ``describe()`` and ``logboot show``: ``gzip, at most 100 MiB``."""
    parts = []
    if compress:
        parts.append(compress)
    if max_total_size:
        parts.append(f"at most {size_text(max_total_size)}")
    if max_age:
        parts.append(f"none older than {duration_text(max_age)}")
    return ", ".join(parts)


def size_text(size: int) -> str:
    """``104857600`` -> ``100 MiB``; a size that is no whole number of a unit stays in bytes."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def duration_text(seconds: float) -> str:
    """``1209600`` -> ``14d``; ``5400`` -> ``90m``."""
    for unit, factor in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= factor and seconds % factor == 0:
            return f"{int(seconds // factor)}{unit}"
    return f"{seconds:g}s"


def part_name(name: str, inode: int, pid: int, token: int) -> str:
    """The name a rolled file of the log ``name`` is compressed under by the sink ``token`` of
    process ``pid``; never ends in ``.gz``."""
    return f".{name}.{inode}.{pid}.{token}.gz.part"


class RetainedFiles:
    """What a rotating sink with a ``Retention`` offers besides writing (put before the sink's
    base class, so that ``close`` closes the file first, then waits for the compressor)."""

    retention: Retention

    def settle(self, timeout: float = CLOSE_WAIT) -> bool:
        """Wait until the rolled files are compressed and pruned; False when ``timeout`` passed first."""
        return self.retention.settle(timeout)

    def close(self) -> None:
        super().close()  # type: ignore[misc]  # the sink's own close: the active file first
        self.retention.close()

    def sink_stats(self) -> dict[str, int]:
        """The compressed and removed rolled files, when retention is configured."""
        return self.retention.stats() if self.retention.enabled else {}


class Retention:
    """The rolled files of one sink: compressed in the background and pruned.

    ``listing`` gives the rolled files (plain or ``.gz``, never the active file), oldest
    first; it is called with ``lock`` held.
    """

    def __init__(
        self,
        active: Path,
        listing: Callable[[], list[Path]],
        *,
        mode: int,
        compress: str | None = None,
        keep: int | None = None,
        max_total_size: int | None = None,
        max_age: float | None = None,
        clock: Callable[[], float] = time.time,
        shared: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.active = active
        self.shared = shared  # the lock of processes sharing the files (taken by the compressor only)
        self.listing = listing
        self.mode = mode
        self.compress = compress
        self.keep = keep
        self.max_total_size = max_total_size
        self.max_age = max_age
        self.clock = clock
        # The sink's renames, our final rename and pruning; one per log path in a process, so
        # that after a reload the old sink's compressor and the new sink's rollover take turns.
        self.lock = path_lock(active)
        self.compressed = 0
        self.removed = 0
        self.compress_errors = 0
        self.relocated = 0  # files a rollover shifted while they were being compressed (tests)
        self.token = next(_TOKENS)  # tells this sink's part files from an old one's (a reload)
        self.waiting_start = False  # files found at start wait for the sink's first write
        self._reporter = ErrorReporter(f"compressing the rolled files of {str(active)!r}", REPORT_INTERVAL)
        self._fresh_state()
        _LIVE.add(self)

    def _fresh_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._jobs: deque[tuple[Inode, Path]] = deque()
        # Queued or being compressed: left out of the size sum. A count, not a set: an inode
        # freed by a compression or a prune may come back at once as a newly rolled file.
        self._waiting: Counter[Inode] = Counter()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        """True when any retention setting beyond the count is given."""
        return bool(self.compress or self.max_total_size or self.max_age)

    # --- the sink's side (the listener thread) --------------------------------------------

    def recover(self) -> None:
        """At the sink's start: finish what a crash or an early exit left.

        Part files of processes that no longer run are removed; a plain file beside its
        complete ``.gz`` is removed (the ``.gz`` is only ever created whole); the other plain
        rolled files are queued for compression. Then the limits are applied.
        """
        if not self.enabled:
            return
        if self.compress:
            with self._guard():  # other processes sharing the files may be rolling them over
                self._remove_parts()
                for path in self.listing():
                    if path.name.endswith(".gz"):
                        continue
                    if _is_file(path.with_name(path.name + ".gz")):
                        self._unlink(path)  # crashed between the rename and the unlink
                    else:
                        self._queue(path, start=False)  # a link planted at X.gz is replaced, never trusted
            self.waiting_start = bool(self._jobs)
        self.prune(guard=True)

    def rolled(self, path: Path) -> None:
        """``path`` was just rolled: queue it for compression, then apply the limits."""
        if self.compress:
            self._queue(path)
        self.prune()

    def prune(self, guard: bool = False) -> int:
        """Delete rolled files beyond the count, the age and the total size, oldest first; how
        many. ``guard``: take the lock shared with other processes (the compressor thread; the
        sink's own calls hold it already)."""
        if not (self.enabled or self.keep is not None):
            return 0
        removed = 0
        with self._guard() if guard else self.lock:
            files = []
            for path in self.listing():
                with contextlib.suppress(OSError):
                    info = path.lstat()
                    if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                        files.append((path, info))
            doomed: list[Path] = []
            if self.keep is not None:
                cut = max(0, len(files) - self.keep)
                doomed += [path for path, _ in files[:cut]]
                files = files[cut:]
            if self.max_age:
                oldest = self.clock() - self.max_age
                doomed += [path for path, info in files if info.st_mtime < oldest]
                files = [(path, info) for path, info in files if info.st_mtime >= oldest]
            if self.max_total_size:
                with self._cond:
                    waiting = set(self._waiting)
                counted = [(p, i) for p, i in files if (i.st_dev, i.st_ino) not in waiting]
                total = sum(info.st_size for _, info in counted)
                for path, info in counted:
                    if total <= self.max_total_size:
                        break
                    doomed.append(path)
                    total -= info.st_size
            for path in doomed:
                removed += self._unlink(path)
        return removed

    def kick(self) -> None:
        """Start compressing the files found at the start (the sink's first write calls this:
        building a sink starts no thread)."""
        with self._cond:
            self.waiting_start = False
            if self._jobs and not self._stopping and not self._running():
                self._start()

    def settle(self, timeout: float) -> bool:
        """Wait until every queued file is compressed (or failed) and pruned; False on timeout."""
        self.kick()
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._jobs or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._running():
                    return not (self._jobs or self._busy)
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float = CLOSE_WAIT) -> None:
        """Let the compressor finish what is queued, at most ``timeout`` (then the file in
        hand); what is left stays plain, is said on stderr, and the next start compresses it.
        Files found at the start of a sink that never wrote are left quietly to the next one."""
        if self.waiting_start:
            with self._cond:
                self._jobs.clear()
                self._waiting.clear()
                self._stopping = True
            return
        settled = self.settle(timeout)
        with self._cond:
            left = len(self._jobs)
            self._jobs.clear()
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout if settled else CLOSE_WAIT)
            if thread.is_alive():
                left += 1
        if left:
            write_stderr(
                f"logboot: {self.active}: {left} rolled file(s) left uncompressed at close; "
                "the next start compresses them\n"
            )

    def stats(self) -> dict[str, int]:
        """Counts for the runtime's ``stats()``."""
        return {
            "compressed": self.compressed,
            "removed": self.removed,
            "compress_errors": self.compress_errors,
        }

    # --- the compressor thread --------------------------------------------------------------

    def _queue(self, path: Path, start: bool = True) -> None:
        try:
            info = path.lstat()
        except OSError:
            return
        if not stat.S_ISREG(info.st_mode):
            return  # a link or a folder at a rolled name is never compressed
        inode = (info.st_dev, info.st_ino)
        with self._cond:
            if self._stopping:
                return
            # Never skipped for an inode already queued: it may be a new file that reuses the
            # number of one compressed or pruned meanwhile. A job whose file is gone (or
            # already compressed by an earlier job) finds nothing and does nothing.
            self._jobs.append((inode, path))
            self._waiting[inode] += 1
            if start and not self._running():
                self._start()
            self._cond.notify_all()

    def _start(self) -> None:
        """Start the compressor thread (with ``_cond`` held)."""
        self._thread = threading.Thread(
            target=self._run, name=f"logboot-compress-{self.active.name}", daemon=True
        )
        self._thread.start()

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # Linux: a thread has a nice value of its own
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    self._cond.wait()
                if not self._jobs:
                    return
                inode, path = self._jobs.popleft()
                self._busy = True
            try:
                self._compress(inode, path)
            except Exception as err:  # noqa: BLE001 - the thread outlives any one file
                self.compress_errors += 1
                self._reporter.report(err, f"cannot compress {str(path)!r}; it stays as it is")
            finally:
                with self._cond:
                    self._waiting[inode] -= 1
                    if self._waiting[inode] <= 0:
                        del self._waiting[inode]
            try:
                self.prune(guard=True)
            except Exception as err:  # noqa: BLE001
                self._reporter.report(err, "cannot remove old rolled files")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """The lock shared with other processes (if any), then ``lock``: the compressor's."""
        with self.shared() if self.shared is not None else contextlib.nullcontext(), self.lock:
            yield

    def _compress(self, inode: Inode, hint: Path) -> None:
        with self._guard():
            where = self._locate(inode, hint)
            if where is None:
                return  # pruned before its turn
            source = os.open(where, _READ)
        # The file stays open until the end: while it is, its inode number cannot be given
        # to a new file, so the inode found at the final rename is this file and no other.
        try:
            part = where.with_name(part_name(self.active.name, inode[1], os.getpid(), self.token))
            self._write_gzip(source, part)
            with self._guard():
                self._finish(inode, hint, part)
        finally:
            os.close(source)

    def _write_gzip(self, source: int, part: Path) -> None:
        """``source`` gzipped into the new file ``part``, given its times, on disk."""
        import gzip  # on the compressor thread: a start with a rotating file does not pay for it

        info = os.fstat(source)
        out = self._create(part)
        try:
            with os.fdopen(out, "wb") as raw:
                with gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=LEVEL, mtime=0
                ) as zipped:
                    while chunk := os.read(source, CHUNK):
                        zipped.write(chunk)
                raw.flush()
                # X's times, so that age order and max_age see the .gz as they saw X.
                os.utime(raw.fileno(), ns=(info.st_atime_ns, info.st_mtime_ns))
                os.fsync(raw.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise

    def _finish(self, inode: Inode, hint: Path, part: Path) -> None:
        """Rename ``part`` beside where the file is now and remove the file (``lock`` held)."""
        where = self._locate(inode, hint)
        if where is None:  # pruned (or compressed by another process) meanwhile
            with contextlib.suppress(OSError):
                os.unlink(part)
            return
        self.relocated += where != hint
        try:
            os.replace(part, where.with_name(where.name + ".gz"))  # a link there is replaced, not followed
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(where)
        self.compressed += 1

    def _create(self, part: Path) -> int:
        """The part file, new, with exactly the log's mode; an entry already there (a dead
        process's part, a planted link) is removed as an entry, never opened."""
        try:
            fd = os.open(part, _CREATE, self.mode)
        except FileExistsError:
            os.unlink(part)
            fd = os.open(part, _CREATE, self.mode)
        try:
            os.fchmod(fd, self.mode)  # the umask may have removed bits
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _locate(self, inode: Inode, hint: Path) -> Path | None:
        """Where the plain rolled file ``inode`` is now (with ``lock`` held); None when gone."""
        for path in (hint, *self.listing()):
            if path.name.endswith(".gz"):
                continue
            with contextlib.suppress(OSError):
                info = path.lstat()
                if (info.st_dev, info.st_ino) == inode and stat.S_ISREG(info.st_mode):
                    return path
        return None

    def _remove_parts(self) -> None:
        """Remove the part files of this log that no running sink is writing (another
        process's, or, after a reload, an old sink's of this process)."""
        prefix = f".{self.active.name}."
        with contextlib.suppress(OSError), os.scandir(self.active.parent) as entries:
            for entry in entries:
                name = entry.name
                if not (name.startswith(prefix) and name.endswith(".gz.part")):
                    continue
                fields = name[len(prefix) : -len(".gz.part")].split(".")
                if len(fields) != 3 or not all(f.isdigit() for f in fields):
                    continue
                pid, token = int(fields[1]), int(fields[2])
                if pid == os.getpid() and token in {live.token for live in list(_LIVE)}:
                    continue  # a sink of this process is compressing it
                if pid != os.getpid() and alive(pid):
                    continue  # another process sharing the log is compressing it
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)

    def _unlink(self, path: Path) -> int:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return 0
        except OSError as err:
            self._reporter.report(err, f"cannot remove the rolled file {str(path)!r}")
            return 0
        self.removed += 1
        return 1

    def _forget_parent_work(self) -> None:
        """In a forked child: the parent's thread, queue and lock state are the parent's."""
        self.lock = path_lock(self.active)
        self._fresh_state()


def numbered_files(path: Path, count: int) -> list[Path]:
    """The rolled files of size rotation, ``path.1`` ... ``path.<count>`` (plain or ``.gz``),
    oldest (highest number) first."""
    numbered = re.compile(re.escape(path.name) + r"\.([1-9][0-9]*)(\.gz)?")
    found: list[tuple[int, str]] = []
    with contextlib.suppress(FileNotFoundError), os.scandir(path.parent) as entries:
        for entry in entries:
            match = numbered.fullmatch(entry.name)
            if match and int(match.group(1)) <= count:
                found.append((int(match.group(1)), entry.name))
    return [path.with_name(name) for _, name in sorted(found, reverse=True)]


def shift_numbered(path: Path, count: int) -> int:
    """Shift ``path.N-1`` to ``path.N`` ... and ``path`` to ``path.1`` (``count`` >= 1), each
    plain or gzipped, never leaving a name beside its ``.gz``; how many old files were removed.

    The caller holds the retention lock (and, shared by processes, their lock).
    """
    removed = 0
    for index in range(count - 1, 0, -1):
        removed += _shift(path.with_name(f"{path.name}.{index}"), path.with_name(f"{path.name}.{index + 1}"))
    if os.path.lexists(path):
        removed += _shift(path, path.with_name(f"{path.name}.1"), zipped_too=False)
    return removed


def _shift(source: Path, target: Path, zipped_too: bool = True) -> int:
    """Rename ``source`` (plain, or its ``.gz`` when ``zipped_too``) to ``target``, removing what
    was there in either form; how many files that removed."""
    zipped = (source.with_name(source.name + ".gz"), target.with_name(target.name + ".gz"))
    pairs = ((source, target), zipped) if zipped_too else ((source, target),)
    moves = [pair for pair in pairs if os.path.lexists(pair[0])]
    removed = 0
    if moves:
        moving_to = {to for _, to in moves}
        for old in (target, zipped[1]):
            if os.path.lexists(old):
                removed += 1
                if old not in moving_to:
                    os.unlink(old)
        for source_path, target_path in moves:
            os.replace(source_path, target_path)  # a link is moved as a link, never followed
    return removed


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


_LIVE: weakref.WeakSet[Retention] = weakref.WeakSet()
_TOKENS = itertools.count(1)
_PATH_LOCKS: dict[str, threading.RLock] = {}  # one small lock per log path ever used: never pruned
_PATH_LOCKS_GUARD = threading.Lock()


def path_lock(active: Path) -> threading.RLock:
    """The lock of the rolled files of ``active`` in this process."""
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(os.path.abspath(active), threading.RLock())


def _reset_after_fork() -> None:
    global _PATH_LOCKS_GUARD  # a lock held at the fork stays held in the child: a new one
    _PATH_LOCKS_GUARD = threading.Lock()
    _PATH_LOCKS.clear()  # a parent's thread may have held one of them at the fork
    for retention in list(_LIVE):
        retention._forget_parent_work()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
