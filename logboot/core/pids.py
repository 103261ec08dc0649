"""Whether a process id names a live process (signal 0: nothing is sent)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True when a process with ``pid`` exists, also one of another user (which ``kill``
    refuses with EPERM)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
