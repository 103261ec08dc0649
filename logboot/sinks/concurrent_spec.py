"""The profile keys of ``type: concurrent_rotating_file`` (built by ``concurrent.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from logboot.sinks.files_spec import (
    COMPRESS_DESCRIPTION,
    MAX_TOTAL_SIZE_DESCRIPTION,
    FileSinkSpec,
    check_retention,
)
from logboot.sinks.retention import summary
from logboot.values.fields import Size


class ConcurrentRotatingFileSinkSpec(FileSinkSpec):
    """A size-rotated file shared safely by independent processes (needs `logboot[concurrent]`)."""

    type: Literal["concurrent_rotating_file"]  # type: ignore[assignment]
    max_bytes: Size = Field(description="Roll over before the file would pass this size.", examples=["10MiB"])
    backup_count: int = Field(default=5, ge=1, description="How many rolled files to keep.", examples=[5])
    compress: Literal["gzip"] | None = Field(
        default=None,
        description=COMPRESS_DESCRIPTION
        + " The compressing process takes the shared lock file for its final rename.",
        examples=["gzip"],
    )
    max_total_size: Size | None = Field(
        default=None, description=MAX_TOTAL_SIZE_DESCRIPTION, examples=["100MiB"]
    )

    _check_retention = field_validator("compress", "max_total_size")(check_retention)

    def target(self) -> str:
        more = summary(self.compress, self.max_total_size)
        return f"{self.path} ({more})" if more else self.path
