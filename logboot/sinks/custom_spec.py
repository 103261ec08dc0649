"""The profile keys of ``type: custom`` (built by ``custom.py``): a factory named ``module:callable``."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from logboot.sinks.base_spec import SinkCommon

_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_FACTORY = re.compile(rf"^{_DOTTED}:{_DOTTED}$")


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
        if not _FACTORY.match(value):
            raise ValueError(f"expected 'module:callable' (e.g. 'myapp.logs:make_handler'), got {value!r}")
        return value

    def target(self) -> str:
        return self.factory
