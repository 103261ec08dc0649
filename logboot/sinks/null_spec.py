"""The profile keys of ``type: null`` (built by ``null.py``)."""

from __future__ import annotations

from typing import Literal

from logboot.sinks.base_spec import SinkCommon


class NullSinkSpec(SinkCommon):
    """Discards every record (useful to count, or to silence)."""

    type: Literal["null"]

    def target(self) -> str:
        return "discards"
