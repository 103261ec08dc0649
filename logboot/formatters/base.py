"""What every logboot formatter shares: the time stamp cache and compilation on first use."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Format = Callable[[logging.LogRecord], str]
    FormatBatch = Callable[[Iterable[logging.LogRecord]], list[str]]


class ClockCache:
    """Formats a time stamp, reusing the part down to the second (the costly strftime)
    and the whole stamp while the millisecond stays the same (most records of a batch).

    Each cache is one tuple, read and replaced whole, so listeners sharing a formatter
    never see the parts of two different stamps.
    """

    def __init__(self, datefmt: str | None, utc: bool) -> None:
        self.datefmt = datefmt
        self.utc = utc
        self._second: tuple[int, str, str] = (-1, "", "")  # (second, strftime part, zone)
        self._last: tuple[int, float, str] = (-1, -1.0, "")  # (second, msecs, stamp)

    def format(self, created: float, msecs: float) -> str:
        second = int(created)
        last = self._last
        if last[0] == second and last[1] == msecs:
            return last[2]
        cached = self._second
        if cached[0] != second:
            cached = self._second = self._split(second)
        stamp = cached[1] if self.datefmt else f"{cached[1]}.{int(msecs):03d}{cached[2]}"
        self._last = (second, msecs, stamp)
        return stamp

    def _split(self, second: int) -> tuple[int, str, str]:
        parts = time.gmtime(second) if self.utc else time.localtime(second)
        if self.datefmt:
            return second, time.strftime(self.datefmt, parts), ""
        zone = "Z" if self.utc else _offset(parts)
        return second, time.strftime("%Y-%m-%dT%H:%M:%S", parts), zone


def _offset(parts: time.struct_time) -> str:
    seconds = parts.tm_gmtoff or 0
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


class CompiledFormatter(logging.Formatter):
    """A formatter whose ``format`` and ``format_batch`` are compiled on first use.

    A subclass gives ``_compile_paths`` (the generated pair, or None when its layout must
    stay on the general path) and ``_format_general``. A start that logs nothing never
    pays for the compilation (~0.5 ms); a further subclass that overrides ``format`` keeps
    its own, for one record and in batches.
    """

    def _uncompiled(self) -> None:
        self._one: Format = self._format_general
        self._many: FormatBatch = self._format_each
        if type(self).format is CompiledFormatter.format:
            self._one, self._many = self._compile_then_format, self._compile_then_format_batch

    def __getstate__(self) -> dict[str, Any]:
        # The compiled functions are closures, which cannot be pickled or deep-copied:
        # a copy leaves them behind and compiles its own on first use.
        state = self.__dict__.copy()
        del state["_one"], state["_many"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._uncompiled()

    def format(self, record: logging.LogRecord) -> str:
        return self._one(record)

    def format_batch(self, records: Iterable[logging.LogRecord]) -> list[str]:
        """The lines of ``records``, in order: what ``format`` gives each, in one call."""
        return self._many(records)

    def _compile(self) -> None:
        """Format from now on with the compiled code, or on the general path."""
        self._one, self._many = self._compile_paths() or (self._format_general, self._format_each)

    def _compile_paths(self) -> tuple[Format, FormatBatch] | None:
        raise NotImplementedError

    def _format_general(self, record: logging.LogRecord) -> str:
        raise NotImplementedError

    def _compile_then_format(self, record: logging.LogRecord) -> str:
        self._compile()
        return self._one(record)

    def _compile_then_format_batch(self, records: Iterable[logging.LogRecord]) -> list[str]:
        self._compile()
        return self._many(records)

    def _format_each(self, records: Iterable[logging.LogRecord]) -> list[str]:
        format_ = self.format
        return [format_(record) for record in records]
