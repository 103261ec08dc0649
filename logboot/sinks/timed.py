"""``type: timed_rotating_file``: a file that rolls over at intervals or at midnight.

Rolled files are named ``path.<time stamp>`` after the interval they hold, as the
standard library's ``TimedRotatingFileHandler`` names them, and only the newest
``backup_count`` are kept. With ``compress="gzip"`` they become ``path.<time stamp>.gz``
in the background; ``max_age`` and ``max_total_size`` remove the oldest sooner (see
``retention``).
"""

from __future__ import annotations

import calendar
import contextlib
import os
import re
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from logboot.sinks.base import PartialWriteError
from logboot.sinks.files import FileSink
from logboot.sinks.retention import RetainedFiles, Retention, summary

if TYPE_CHECKING:
    from logboot.sinks.timed_spec import TimedRotatingFileSinkSpec

_UNITS = {"S": 1, "M": 60, "H": 3600, "D": 86400}
_SUFFIXES = {
    "S": ("%Y-%m-%d_%H-%M-%S", r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}"),
    "M": ("%Y-%m-%d_%H-%M", r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}"),
    "H": ("%Y-%m-%d_%H", r"\d{4}-\d{2}-\d{2}_\d{2}"),
    "D": ("%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"),
}


def next_rollover(now: float, when: str, interval: int, utc: bool) -> float:
    """The first rollover time after ``now``."""
    if when in _UNITS:
        return now + _UNITS[when] * interval
    parts = time.gmtime(now) if utc else time.localtime(now)
    # W<n>: the midnight that ends the next day n (today's, if today is day n).
    weekly = when != "midnight"
    days = (int(when[1]) - parts.tm_wday) % 7 + 1 + 7 * (interval - 1) if weekly else interval
    # Calendar arithmetic, not multiples of 86400: a local day can be 23 or 25 hours long.
    day = (parts.tm_year, parts.tm_mon, parts.tm_mday + days, 0, 0, 0, 0, 0, -1)
    return float(calendar.timegm(day)) if utc else time.mktime(day)


def interval_start(rollover_at: float, when: str, interval: int, utc: bool) -> float:
    """The start of the interval that ends at ``rollover_at``: what a rolled file is named after.

    As ``logging.handlers.TimedRotatingFileHandler`` names it: a weekly file after the day
    7 x ``interval`` days before its rollover, a daily one after ``interval`` days before
    (calendar days, so a 23- or 25-hour local day changes nothing).
    """
    if when in _UNITS:
        return rollover_at - _UNITS[when] * interval
    days = 7 * interval if when != "midnight" else interval
    parts = time.gmtime(rollover_at) if utc else time.localtime(rollover_at)
    day = (parts.tm_year, parts.tm_mon, parts.tm_mday - days, 0, 0, 0, 0, 0, -1)
    return float(calendar.timegm(day)) if utc else time.mktime(day)


class TimedRotatingFileSink(RetainedFiles, FileSink):
    """Rolls over when a record's time passes the next boundary."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        when: str = "midnight",
        interval: int = 1,
        backup_count: int = 7,
        utc: bool = False,
        mode: int = 0o640,
        encoding: str = "utf-8",
        reopen: str = "watch",
        clock: Callable[[], float] = time.time,
        compress: str | None = None,
        max_total_size: int | None = None,
        max_age: float | None = None,
    ) -> None:
        self.clock = clock
        now = clock()
        try:  # as the standard library's handler: a file written before a restart is timed
            info = os.stat(path)  # from its last write, so two intervals never mix in one file
            base = min(info.st_mtime, now) if info.st_size else now
        except OSError:
            base = now
        super().__init__(path, mode, encoding, reopen)
        self.when = when
        self.interval = interval
        self.backup_count = backup_count
        self.utc = utc
        unit = when if when in _UNITS else "D"
        self.suffix, pattern = _SUFFIXES[unit]
        self._rolled = re.compile(re.escape(self.path.name) + r"\." + pattern + r"(\.\d+)?(\.gz)?")
        self.retention = Retention(
            self.path,
            self.rolled_files,
            mode=mode,
            compress=compress,
            keep=backup_count,
            max_total_size=max_total_size,
            max_age=max_age,
            clock=clock,
        )
        self.retention.recover()
        self.started = now
        # Past already (restarted after the boundary): the first write rolls the old file over.
        self.rollover_at = next_rollover(base, when, interval, utc)

    def write_lines(self, lines: list[str]) -> int:
        if self.retention.waiting_start:
            self.retention.kick()
        now = self.clock()  # as the stdlib's handler, the time of the write decides
        if now < self.rollover_at:
            return super().write_lines(lines)  # no rollover in this batch: all but one a period
        return self.write_timed([(now, line) for line in lines])

    def write_timed(self, entries: list[tuple[float, str]]) -> int:
        """Write lines, each with its record's time, rolling over at the boundaries."""
        self.ensure_open()  # reopen: watch
        written = 0
        pending: list[bytes] = []
        encoding = self.encoding
        for created, line in entries:
            if created >= self.rollover_at:
                written += self._write(pending, written)
                pending = []
                self.rollover(created)
            pending.append((line + "\n").encode(encoding, "backslashreplace"))
        return written + self._write(pending, written)

    def _write(self, chunks: list[bytes], before: int) -> int:
        if not chunks:
            return 0
        if self.fd is None:
            self.fd = self._reopen()
        try:
            return self.write_chunks(self.fd, chunks)
        except PartialWriteError as err:
            raise PartialWriteError(before + err.written, err.cause) from err
        except OSError as err:
            if before:
                raise PartialWriteError(before, err) from err
            raise

    def _reopen(self) -> int:
        return self.open()

    def rollover(self, now: float) -> None:
        """Close the file, rename it after the interval it holds, open a new one."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        start = interval_start(self.rollover_at, self.when, self.interval, self.utc)
        stamp = time.strftime(self.suffix, time.gmtime(start) if self.utc else time.localtime(start))
        target = self.path.with_name(f"{self.path.name}.{stamp}")
        serial = 1
        with self.retention.lock:
            # Several rollovers in one stamp (tests, clock jumps); a gzipped file holds its name too.
            while os.path.lexists(target) or os.path.lexists(f"{target}.gz"):
                target = target.with_name(f"{self.path.name}.{stamp}.{serial}")
                serial += 1
            rolled = self.path.exists()
            if rolled:
                os.replace(self.path, target)
        if rolled:
            self.retention.rolled(target)
        else:
            self._prune()
        self.fd = self._reopen()
        self.rollover_at = next_rollover(now, self.when, self.interval, self.utc)

    def _prune(self) -> None:
        """Delete the oldest rolled files beyond ``backup_count``, ``max_age`` and ``max_total_size``.

        A name that only looks rolled (a symlink, dangling or not, a folder, an entry gone
        meanwhile) must not stop the rollover: links are judged by their own time and
        removed, never followed; what cannot be removed is left.
        """
        self.retention.prune()

    def rolled_files(self) -> list[Path]:
        """The rolled files and links (plain or ``.gz``), oldest first (``_age``)."""
        with contextlib.suppress(FileNotFoundError):
            aged = ((self._age(path), path) for path in self.path.parent.iterdir())
            return [path for age, path in sorted((a, p) for a, p in aged if a is not None)]
        return []

    def _age(self, path: Path) -> tuple[int, str, int] | None:
        """Oldest first: by mtime, then (a coarse file system gives equal mtimes) by name;
        None for what is not a rolled file or link."""
        if not self._rolled.fullmatch(path.name):
            return None
        try:
            info = path.lstat()
        except OSError:
            return None
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            return None
        stamp, _, serial = path.name[len(self.path.name) + 1 :].removesuffix(".gz").partition(".")
        return (info.st_mtime_ns, stamp, int(serial or 0))

    def files(self) -> list[Path]:
        """The rolled files that exist now (plain or ``.gz``), by name."""
        return sorted(p for p in self.path.parent.iterdir() if self._rolled.fullmatch(p.name))

    def describe(self) -> str:
        retention = self.retention
        more = summary(retention.compress, retention.max_total_size, retention.max_age)
        return (
            f"{self.path} (rolls every {self.interval} {self.when}, keeps {self.backup_count}"
            f"{', ' if more else ''}{more})"
        )


def build(spec: TimedRotatingFileSinkSpec) -> TimedRotatingFileSink:
    return TimedRotatingFileSink(
        spec.path,
        spec.when,
        spec.interval,
        spec.backup_count,
        spec.utc,
        spec.mode,
        spec.encoding,
        spec.reopen,
        compress=spec.compress,
        max_total_size=spec.max_total_size,
        max_age=spec.max_age,
    )
