"""Errors logboot raises, each one saying where, what, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

# The records here are NamedTuples, not dataclasses: importing ``dataclasses`` (and the
# ``inspect`` it imports) would cost every process that imports logboot about 1 MB.


class Problem(NamedTuple):
    """One located problem in a profile (immutable; ``_replace`` gives a changed copy).

    ``line`` and ``column`` are 1-based; ``path`` is the dotted key
    (``queues.main.overflow``), empty for the document itself.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "warning: " if self.severity == "warning" else ""
        if self.path:
            return f"{where}: {self.path}: {prefix}{self.message}"
        return f"{where}: {prefix}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.path)


class LogbootError(Exception):
    """Base class of every error logboot raises on purpose."""


class ProfileError(LogbootError):
    """A profile that cannot be used; ``problems`` lists every located error."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        self.warnings: list[Problem] = sorted(warnings, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


class SetupError(LogbootError):
    """The profile is valid but the topology could not be built (a file cannot be opened)."""


class MissingDependencyError(SetupError):
    """A sink type needs an optional package that is not installed."""

    def __init__(self, sink_type: str, package: str, extra: str) -> None:
        self.sink_type = sink_type
        self.package = package
        self.extra = extra
        super().__init__(
            f"sink type {sink_type!r} needs the package {package!r}: pip install 'logboot[{extra}]'"
        )
