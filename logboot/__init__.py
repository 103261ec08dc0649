"""logboot: configuration-driven logging bootstrap.

One call turns a validated YAML profile into a running QueueHandler/QueueListener
topology whose whole lifecycle (start, drain, stop, stats) is managed::

    import logboot

    with logboot.setup_logging("configs/prod.yaml") as runtime:
        ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from logboot.bootstrap import attach, setup_logging
from logboot.core.context import bind, bound, carry, context, unbind
from logboot.core.version import VERSION
from logboot.errors import LogbootError, MissingDependencyError, Problem, ProfileError, SetupError
from logboot.runtime.lifecycle import Runtime, ShutdownReport, active_runtime
from logboot.runtime.processes import ProcessHandle

if TYPE_CHECKING:
    from logboot.profile.loading import Validation, check_profile, load_profile
    from logboot.profile.reading import ProfileNotFoundError
    from logboot.profile.schema import Profile

__version__ = VERSION

# Validation (pydantic, yaml) loads on first use: a start from the profile cache never
# needs it, and it is most of the memory and start-up time logboot would otherwise cost.
_LAZY = {
    "Validation": "profile.loading",
    "check_profile": "profile.loading",
    "load_profile": "profile.loading",
    "ProfileNotFoundError": "profile.reading",
    "Profile": "profile.schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'logboot' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


__all__ = [
    "LogbootError",
    "MissingDependencyError",
    "Problem",
    "ProcessHandle",
    "Profile",
    "ProfileError",
    "ProfileNotFoundError",
    "Runtime",
    "SetupError",
    "ShutdownReport",
    "Validation",
    "__version__",
    "active_runtime",
    "attach",
    "bind",
    "bound",
    "carry",
    "check_profile",
    "context",
    "load_profile",
    "setup_logging",
    "unbind",
]
