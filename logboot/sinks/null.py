"""``type: null``: discards every record (to silence a branch, or to count)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from logboot.sinks.base import BatchSink

if TYPE_CHECKING:
    from logboot.sinks.null_spec import NullSinkSpec


class NullSink(BatchSink):
    """Accepts and discards."""

    needs_format = False

    def write_lines(self, lines: list[str]) -> int:
        return len(lines)

    def describe(self) -> str:
        return "discards"


def build(spec: NullSinkSpec) -> NullSink:
    return NullSink()
