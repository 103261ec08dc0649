"""``type: custom``: a ``logging.Handler`` made by a factory the profile names.

The one place where a profile string is imported: ``factory: "module:callable"`` is
imported and called with ``options`` as keyword arguments, only when the profile says
``allow_custom: true`` (checked when the profile is read, and again when it is built).
The handler runs behind the listener like any sink: whatever it raises is counted and
reported, never seen by the application.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from logboot.core.factories import load_factory

if TYPE_CHECKING:
    from logboot.sinks.custom_spec import CustomSinkSpec


def build(spec: CustomSinkSpec) -> logging.Handler:
    factory = load_factory(spec.factory)
    if not callable(factory):
        raise TypeError(f"factory {spec.factory!r} is not callable")
    handler = factory(**spec.options)
    if not isinstance(handler, logging.Handler):
        raise TypeError(f"factory {spec.factory!r} returned {type(handler).__name__}, not a logging.Handler")
    return handler
