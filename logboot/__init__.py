"""logboot: configuration-driven logging bootstrap.

One call turns a validated YAML profile into a running QueueHandler/QueueListener
topology whose whole lifecycle (start, drain, stop, stats) is managed::

    import logboot

    with logboot.setup_logging("configs/prod.yaml") as runtime:
        ...
"""

from __future__ import annotations

from .errors import LogbootError, MissingDependencyError, Problem, ProfileError, SetupError
from .loading import Validation, check_profile, load_profile
from .processes import ProcessHandle, attach
from .reading import ProfileNotFoundError
from .runtime import Runtime, ShutdownReport, active_runtime, setup_logging
from .schema import Profile

__version__ = "0.1.0"

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
    "check_profile",
    "load_profile",
    "setup_logging",
]
