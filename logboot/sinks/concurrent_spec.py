"""The profile keys of ``type: concurrent_rotating_file`` (built by ``concurrent.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from logboot.sinks.files_spec import FileSinkSpec
from logboot.values.fields import Size


class ConcurrentRotatingFileSinkSpec(FileSinkSpec):
    """A size-rotated file shared safely by independent processes (needs `logboot[concurrent]`)."""

    type: Literal["concurrent_rotating_file"]  # type: ignore[assignment]
    max_bytes: Size = Field(description="Roll over before the file would pass this size.", examples=["10MiB"])
    backup_count: int = Field(default=5, ge=1, description="How many rolled files to keep.", examples=[5])
