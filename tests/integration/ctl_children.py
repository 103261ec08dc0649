"""Child-process bodies for the control-socket worker tests (importable under spawn and forkserver)."""

from __future__ import annotations

import logging
import os
from typing import Any

import logboot


def attach_and_serve(handle: logboot.ProcessHandle, ready: Any, done: Any) -> None:
    """Attach to the parent's runtime (serving this child's own control socket), say the pid
    on ``ready``, log one record, and wait for ``done`` before ending."""
    logboot.attach(handle)
    ready.put(os.getpid())
    logging.getLogger("app.child").warning("child %d attached", os.getpid())
    done.wait(20)
