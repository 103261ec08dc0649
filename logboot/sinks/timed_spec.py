"""The profile keys of ``type: timed_rotating_file`` (built by ``timed.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from logboot.sinks.files_spec import FileSinkSpec


class TimedRotatingFileSinkSpec(FileSinkSpec):
    """A file that rolls over at intervals."""

    type: Literal["timed_rotating_file"]  # type: ignore[assignment]
    when: Literal["S", "M", "H", "D", "midnight", "W0", "W1", "W2", "W3", "W4", "W5", "W6"] = Field(
        default="midnight", description="Unit of `interval` (W0 = Monday).", examples=["midnight"]
    )
    interval: int = Field(default=1, ge=1, description="How many units between rollovers.")
    backup_count: int = Field(default=7, ge=0, description="How many rolled files to keep.")
    utc: bool = Field(default=False, description="Roll over on UTC boundaries.")
