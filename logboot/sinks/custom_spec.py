"""The profile keys of ``type: custom`` (built by ``custom.py``): a factory named ``module:callable``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from logboot.sinks.base_spec import SinkCommon
from logboot.values.fields import check_factory


class CustomSinkSpec(SinkCommon):
    """Your own ``logging.Handler``, made by a factory you name (needs `allow_custom: true`)."""

    type: Literal["custom"]
    factory: str = Field(
        description="`module:callable` imported and called by setup_logging; it returns a logging.Handler.",
        examples=["myapp.logs:make_handler"],
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments passed to the factory, as written.",
        examples=[{"capacity": 100}],
    )

    @field_validator("factory")
    @classmethod
    def _check_factory(cls, value: str) -> str:
        return check_factory(value, "myapp.logs:make_handler")

    def target(self) -> str:
        return self.factory
