"""The profile keys of ``type: concurrent_rotating_file`` (built by ``concurrent.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from logboot.sinks.files_spec import COMPRESS_DESCRIPTION, RotatingFileSinkSpec


class ConcurrentRotatingFileSinkSpec(RotatingFileSinkSpec):
    """A size-rotated file shared safely by independent processes (needs `logboot[concurrent]`)."""

    type: Literal["concurrent_rotating_file"]  # type: ignore[assignment]
    backup_count: int = Field(default=5, ge=1, description="How many rolled files to keep.", examples=[5])
    compress: Literal["gzip"] | None = Field(
        default=None,
        description=COMPRESS_DESCRIPTION
        + " The compressing process takes the shared lock file for its final rename.",
        examples=["gzip"],
    )
