"""The profile keys of ``type: timed_rotating_file`` (built by ``timed.py``)."""

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
from logboot.values.fields import Duration, Size


class TimedRotatingFileSinkSpec(FileSinkSpec):
    """A file that rolls over at intervals."""

    type: Literal["timed_rotating_file"]  # type: ignore[assignment]
    when: Literal["S", "M", "H", "D", "midnight", "W0", "W1", "W2", "W3", "W4", "W5", "W6"] = Field(
        default="midnight", description="Unit of `interval` (W0 = Monday).", examples=["midnight"]
    )
    interval: int = Field(default=1, ge=1, description="How many units between rollovers.")
    backup_count: int = Field(default=7, ge=0, description="How many rolled files to keep.")
    utc: bool = Field(default=False, description="Roll over on UTC boundaries.")
    compress: Literal["gzip"] | None = Field(
        default=None, description=COMPRESS_DESCRIPTION, examples=["gzip"]
    )
    max_total_size: Size | None = Field(
        default=None, description=MAX_TOTAL_SIZE_DESCRIPTION, examples=["1GiB"]
    )
    max_age: Duration | None = Field(
        default=None,
        description="Remove rolled files last written longer ago than this (`14d`), at each rollover.",
        examples=["14d"],
    )

    _check_retention = field_validator("compress", "max_total_size", "max_age")(check_retention)

    def target(self) -> str:
        more = summary(self.compress, self.max_total_size, self.max_age)
        return f"{self.path} ({more})" if more else self.path
