"""The profile keys of ``type: console`` (built by ``console.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from logboot.sinks.base_spec import SinkCommon


class ConsoleSinkSpec(SinkCommon):
    """Standard error or standard output."""

    type: Literal["console"]
    stream: Literal["stderr", "stdout"] = Field(default="stderr", description="Which stream.")
    color: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Colour the level names: `auto` on a terminal when NO_COLOR is unset.",
    )

    def target(self) -> str:
        return self.stream
