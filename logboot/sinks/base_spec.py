"""The keys every sink type accepts (``SinkCommon``): the base of each sink type's spec model.

The spec models live beside their builders (``console_spec.py`` beside ``console.py``) but
apart from them: a spec is pydantic, and a start from the profile cache runs the builders
without importing it. ``logboot.sinks.SINK_TYPES`` names each type's spec and builder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from logboot.values.fields import Level, Name, Spec


class SinkCommon(Spec):
    """Keys every sink type accepts."""

    if TYPE_CHECKING:  # for the type checker only: each sink type's model narrows it to its tag
        type: str

    level: Level = Field(default=0, description="Records below this level skip the sink.", examples=["INFO"])
    formatter: str | None = Field(
        default=None,
        description="Name of a formatter in `formatters`; default plain text.",
        examples=["json"],
    )
    filters: list[Name] = Field(
        default_factory=list,
        description="Names of filters run in the listener before this sink.",
        examples=[["app_only"]],
    )
    fallback: Name | None = Field(
        default=None,
        description="Name of another sink that takes the records this one fails to write.",
        examples=["console"],
    )

    def target(self) -> str:
        """Where the sink writes, as ``logboot show`` names it (a stream, a path, an address);
        by default its type. A sink type that writes somewhere overrides it."""
        return self.type
