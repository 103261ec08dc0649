"""The profile keys of ``type: file`` and ``type: rotating_file`` (built by ``files.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from logboot.sinks.base_spec import SinkCommon
from logboot.sinks.retention import summary
from logboot.values.fields import FileMode, Size

COMPRESS_DESCRIPTION = (
    "`gzip`: each rolled file becomes `<name>.gz`, written by a background thread (never on "
    "the logging call's path); a crash leaves the plain file or the whole `.gz`, never a cut one."
)
MAX_TOTAL_SIZE_DESCRIPTION = (
    "Most bytes all rolled files (plain or `.gz`) may take together; the oldest are removed "
    "first. The active file is not counted and never removed."
)


def check_retention(value: Any, info: ValidationInfo) -> Any:
    """`compress` needs rolled files to keep; a cap of 0 would keep nothing."""
    if info.field_name == "compress" and value is not None and info.data.get("backup_count") == 0:
        raise ValueError("needs `backup_count` of 1 or more: with 0 no rolled file is kept to compress")
    if info.field_name != "compress" and value is not None and value <= 0:
        what = "size" if info.field_name == "max_total_size" else "duration"
        raise ValueError(f"expected a {what} above 0 (leave the key out for no limit), got {value!r}")
    return value


class FileSinkSpec(SinkCommon):
    """Append to one file."""

    type: Literal["file"]
    path: str = Field(description="The file; missing folders are created.", examples=["logs/app.log"])
    mode: FileMode = Field(default=0o640, description="Permission bits of a new file.", examples=["0640"])
    encoding: str = Field(default="utf-8", description="Text encoding.")
    reopen: Literal["watch", "never"] = Field(
        default="watch",
        description=(
            "`watch`: before each batch, reopen the file if it was moved or deleted (logrotate); "
            "`never`: keep writing to the open file."
        ),
    )

    def target(self) -> str:
        return self.path or self.type


class RotatingFileSinkSpec(FileSinkSpec):
    """A file that rolls over at a size."""

    type: Literal["rotating_file"]  # type: ignore[assignment]
    max_bytes: Size = Field(description="Roll over before the file would pass this size.", examples=["10MiB"])
    backup_count: int = Field(default=5, ge=0, description="How many rolled files to keep.", examples=[5])
    compress: Literal["gzip"] | None = Field(
        default=None, description=COMPRESS_DESCRIPTION, examples=["gzip"]
    )
    max_total_size: Size | None = Field(
        default=None, description=MAX_TOTAL_SIZE_DESCRIPTION, examples=["100MiB"]
    )

    _check_retention = field_validator("compress", "max_total_size")(check_retention)

    def target(self) -> str:
        more = summary(self.compress, self.max_total_size)
        return f"{self.path} ({more})" if more else self.path
