"""logboot where only ``dictConfig`` is spoken: uvicorn, gunicorn, Django, and their workers.

``export_dictconfig`` writes documents whose handlers are ``ProfileHandler``\\ s. The first
one ``dictConfig`` constructs starts a logboot runtime for the profile inside the document;
the others join it. Each forwards records to the runtime's own queue handler for its
logger, so the topology is exactly the profile's. When ``dictConfig`` runs again, it closes
every handler first: the last ``ProfileHandler`` closed stops the runtime (drained), and
the next one constructed starts a new runtime.

Workers: a child *forked* from a process with a runtime is attached automatically (see
``logboot.runtime.processes``). A child *spawned* by a server (uvicorn ``--workers``) loads the same
document again; when the parent's runtime has process queues, the parent leaves their
addresses in ``$LOGBOOT_PARENT`` and the child attaches to them instead of starting a
runtime of its own, so every worker's records reach the parent's sinks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logboot.bootstrap import setup_logging
from logboot.core.pids import alive
from logboot.core.reporting import write_stderr
from logboot.errors import LogbootError
from logboot.profile.dumping import profile_data
from logboot.profile.resolve import profile_from_data
from logboot.profile.schema import Profile
from logboot.runtime.lifecycle import Runtime, active_runtime, attach
from logboot.runtime.processes import ProcessHandle

PARENT_ENV = "LOGBOOT_PARENT"


def fingerprint(profile: Profile) -> str:
    """A digest of everything a profile says (equal profiles, equal digests)."""
    text = json.dumps(profile_data(profile), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _plain(value: Any) -> Any:
    """Plain dicts and lists, read past ``dictConfig``'s converting containers (nothing resolved)."""
    if isinstance(value, dict):
        return {str(k): _plain(dict.__getitem__(value, k)) for k in dict.keys(value)}
    if isinstance(value, list):
        return [_plain(list.__getitem__(value, i)) for i in range(len(value))]
    if isinstance(value, tuple):
        return [_plain(item) for item in tuple.__iter__(value)]
    return value


@dataclass
class _Binding:
    """One runtime and the ``ProfileHandler``\\ s that forward to it."""

    digest: str
    runtime: Runtime
    exported: bool = False  # this process put the runtime in $LOGBOOT_PARENT
    open: int = 0
    closing: bool = False


_lock = threading.Lock()
_binding: _Binding | None = None


def _bind(profile: Profile) -> _Binding:
    """The runtime for ``profile``: the current one, or one started (or attached) now."""
    global _binding
    digest = fingerprint(profile)
    with _lock:
        binding = _binding
        if (
            binding is not None
            and binding.digest == digest
            and not binding.closing
            and binding.runtime is active_runtime()
            and binding.runtime.running
        ):
            return binding
        runtime = _attach_to_parent(profile, digest)
        _binding = _Binding(digest, runtime) if runtime is not None else _start(profile, digest)
        return _binding


def _start(profile: Profile, digest: str) -> _Binding:
    runtime = setup_logging(profile)
    handle = runtime.process_handle()
    if not handle.addresses:
        return _Binding(digest, runtime)
    token = {
        "id": handle.runtime_id,
        "pid": handle.parent_pid,
        "digest": digest,
        "addresses": handle.addresses,
    }
    os.environ[PARENT_ENV] = json.dumps(token)
    return _Binding(digest, runtime, exported=True)


def _attach_to_parent(profile: Profile, digest: str) -> Runtime | None:
    """In a spawned worker: attach to the parent's runtime named in ``$LOGBOOT_PARENT``."""
    raw = os.environ.get(PARENT_ENV)
    if not raw:
        return None
    try:
        token = json.loads(raw)
        pid, addresses = int(token["pid"]), dict(token["addresses"])
        usable = token["digest"] == digest and pid != os.getpid() and alive(pid)
    except (ValueError, KeyError, TypeError):
        return None
    if not usable or not all(os.path.exists(a) for a in addresses.values()):
        return None
    return attach(ProcessHandle(str(token["id"]), pid, profile, addresses))


def _release(binding: _Binding) -> None:
    """A ``ProfileHandler`` was closed; the last one closed stops the runtime."""
    global _binding
    with _lock:
        binding.open -= 1
        binding.closing = True  # dictConfig closes every handler before it builds new ones
        if binding.open > 0:
            return
        if _binding is binding:
            _binding = None
    if binding.runtime.running:
        binding.runtime.stop()
    if binding.exported:
        os.environ.pop(PARENT_ENV, None)


class ProfileHandler(logging.Handler):
    """A ``dictConfig`` handler that forwards to a logboot runtime's queue handler.

    ``profile`` is the profile's data (``export_dictconfig`` passes ``cfg://logboot``);
    ``owner`` is the logger whose queue handler it forwards to (``""``: the root).
    """

    def __init__(self, profile: Mapping[str, Any], owner: str = "") -> None:
        # Bind first: a runtime started now creates its sinks before this handler joins
        # logging's handler list, so logging.shutdown (which dictConfig runs before it
        # builds new handlers, newest first) closes this handler, and so drains the
        # runtime, before it closes the runtime's sinks.
        self._binding = _bind(profile_from_data(_plain(profile)))
        super().__init__()
        self.owner = owner
        plan = self._binding.runtime.topology.loggers.get(owner)
        if plan is None or plan.handler is None:
            label = repr(owner) if owner else "the root logger"
            raise LogbootError(f"the profile gives {label} no queue, so there is nothing to forward to")
        self._target = plan.handler
        self._closed = False
        with _lock:
            self._binding.open += 1

    @property
    def runtime(self) -> Runtime:
        return self._binding.runtime

    def handle(self, record: logging.LogRecord) -> bool:
        # No lock and no formatting here: the target's queue is thread-safe, and the
        # listener formats. Filters added through dictConfig still run.
        if self.filters and not self.filter(record):
            return False
        return self._target.handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        self._target.handle(record)

    def close(self) -> None:
        with _lock:
            closed, self._closed = self._closed, True
        super().close()
        if not closed:
            _release(self._binding)

    def __repr__(self) -> str:
        return f"<logboot.ProfileHandler owner={self.owner!r} {self._binding.runtime!r}>"


def post_fork(server: Any, worker: Any) -> None:
    """gunicorn's ``post_fork`` hook: the new worker logs into the master's runtime.

    A forked worker is attached already (its queue handlers now reach the master through
    process queues). This says so in the worker's first record, and warns once when the
    profile has no process queue, in which case each worker writes to the sinks itself.
    """
    runtime = active_runtime()
    if runtime is None:
        return
    if not runtime.topology.channels:
        write_stderr(
            f"logboot: worker {os.getpid()} writes its records to the sinks itself: "
            "the profile has no `kind: process` queue to reach the master through\n"
        )
    pid = getattr(worker, "pid", os.getpid())
    logging.getLogger("logboot").info("worker %s attached to the master's runtime", pid)
