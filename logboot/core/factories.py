"""The one way a profile string becomes code: ``"module:attr.attr"`` imported and looked up.

Used by a ``custom`` sink and a ``custom`` filter, and only where the profile says
``allow_custom: true`` (checked when the profile is read, and again when it is built).
"""

from __future__ import annotations

import importlib
from typing import Any


def load_factory(factory: str) -> Any:
    """Import ``module`` and walk ``attr.attr`` of a ``"module:attr"`` string."""
    module_name, _, path = factory.partition(":")
    target: Any = importlib.import_module(module_name)
    for attr in path.split("."):
        target = getattr(target, attr)
    return target
