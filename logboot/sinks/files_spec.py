"""The profile keys of ``type: file`` and ``type: rotating_file`` (built by ``files.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from logboot.sinks.base_spec import SinkCommon
from logboot.values.fields import FileMode, Size


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
