"""logging's process-wide collection switches, set for ``collect: auto`` and put back at stop.

``logging._srcfile`` (the caller: a walk up the stack on every call), ``logThreads``,
``logProcesses``, ``logMultiprocessing`` and ``logAsyncioTasks`` (3.12+) decide what each
``LogRecord`` gathers when it is made. Which of them a profile lets go is
``logboot.profile.collect.switches_off``; this module only saves, sets and restores them
(the runtime does it under logging's lock, with the loggers it configures).

What a record holds with a switch off (CPython's ``Logger._log`` and ``LogRecord``): the
caller's ``pathname``, ``filename`` and ``module`` are ``"(unknown file)"``, ``funcName``
``"(unknown function)"``, ``lineno`` 0 and ``stack_info`` None even when the call asked
for it; ``thread``, ``threadName``, ``process``, ``processName`` and ``taskName`` are None.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from logboot.profile.collect import SWITCH_SETTINGS

Saved = Mapping[str, Any]


def capture() -> dict[str, Any]:
    """The switches as they are now, by their ``logging`` name."""
    settings = SWITCH_SETTINGS.values()
    return {setting: getattr(logging, setting) for setting in settings if hasattr(logging, setting)}


def apply(off: Collection[str], saved: Saved) -> None:
    """Turn the switches in ``off`` off; every other one back to its ``saved`` value."""
    for switch, setting in SWITCH_SETTINGS.items():
        if setting not in saved:
            continue
        if switch in off:
            setattr(logging, setting, None if setting == "_srcfile" else False)
        else:
            setattr(logging, setting, saved[setting])


def restore(saved: Saved) -> None:
    """Every switch back to its ``saved`` value."""
    apply((), saved)
