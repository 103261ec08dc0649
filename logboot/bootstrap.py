"""``setup_logging``: the one line an application calls, a profile resolved, built and started.

It sits above both halves of the house: ``logboot.profile.resolve`` turns what names the
profile into a validated (or cached) profile, and ``logboot.runtime`` builds and swaps in
its topology. The runtime never imports validation; this module is where the two meet.

A profile with ``reload.watch`` or ``reload.signal`` also gets a reloader
(``logboot.control.reload``), imported only then: a profile without ``reload`` starts no
thread and installs no handler for it, and a cached start still imports no validation.

A profile with ``control.socket`` gets a control server (``logboot.control.server``): one
per process, kept across a new ``setup_logging`` with the same ``socket`` (so ``logboot
ctl`` never sees it vanish), replaced when ``socket`` changes, stopped when it goes away or
the runtime stops. Its socket is bound before anything global is touched; a socket that
cannot be served (a symlink or another user's folder there, another process serving it) is
reported on stderr and logging starts without it: another local user must not be able to
keep a service's logging from starting.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from logboot.core.reporting import framed, write_stderr
from logboot.profile.resolve import ProfileSource, startup_profile
from logboot.runtime.build import build_topology
from logboot.runtime.lifecycle import Runtime, active_runtime, install
from logboot.runtime.lifecycle import attach as attach_runtime

if TYPE_CHECKING:
    from logboot.control.server import ControlServer
    from logboot.profile.overrides import Overrides
    from logboot.profile.reading import ExtendsRoots
    from logboot.runtime.processes import ProcessHandle

_control: ControlServer | None = None  # this process's control server, across setup_logging calls


def setup_logging(
    source: ProfileSource = None,
    *,
    overrides: Overrides | None = None,
    cache: bool = True,
    extends_roots: ExtendsRoots | None = None,
) -> Runtime:
    """Validate a profile, build its topology, start it, and swap it in.

    ``overrides`` (``{"queues.main.max_size": 100}`` or ``["root.level=DEBUG"]``) and
    ``$LOGBOOT_LEVEL`` are applied over the profile and validated with it.
    Everything is built and validated before anything global is touched: a profile
    that fails leaves the running configuration as it was. A profile file validated
    before with the same inputs starts from the profile cache (``cache=False`` or
    ``LOGBOOT_CACHE=off`` turn it off; see ``logboot.profile.cache``).
    ``extends`` reads files inside the profile's folder only; ``extends_roots`` (and
    ``$LOGBOOT_EXTENDS_ROOTS``) name other folders it may read from.

    With ``reload.watch`` or ``reload.signal`` in the profile, a reloader resolves it again
    the same way (this file, these overrides and roots) when it changes or the signal
    arrives, and swaps the result into the returned runtime (see ``logboot.control.reload``).
    """
    global _control
    profile = startup_profile(source, overrides, cache=cache, extends_roots=extends_roots)
    topology = build_topology(profile)
    previous = _control
    try:
        control = _control_server(profile.control.socket, previous)  # bound before anything global
    except BaseException:
        topology.close_sinks()
        topology.close_servers()
        raise
    runtime = install(Runtime(topology))
    reloads = profile.reload.watch or profile.reload.signal is not None
    if reloads or control is not None:  # both resolve the profile again the way it was resolved now
        from logboot.control.reload import ReloadSource, reload_now, start_reloader

        reload_source = ReloadSource.of(source, overrides, extends_roots, cache)
        if reloads:
            start_reloader(runtime, reload_source)
    if previous is not None and previous is not control:
        previous.stop()
    _control = control
    if control is not None:
        from logboot.control.server import CONTROL_NAME, Attachment

        control.reload = lambda: reload_now(runtime, reload_source)
        runtime.add_control(CONTROL_NAME, Attachment(control, runtime, active_runtime))
    return runtime


def _control_server(socket: str | None, current: ControlServer | None) -> ControlServer | None:
    """The server for ``socket``: the running one if it serves the same path in this process,
    else a new one, started (bound) now; None without ``socket``."""
    if socket is None:
        return None
    if (
        current is not None
        and current.template == socket
        and current.serving
        and current.owner_pid == os.getpid()
    ):
        return current
    from logboot.control.server import ControlError, ControlServer

    try:
        return ControlServer(socket, active_runtime).start()
    except ControlError as err:  # logging matters more than its remote control: go on without it
        write_stderr(framed("the control socket is not served; logging runs without it", str(err)))
        return None


def attach(handle: ProcessHandle) -> Runtime:
    """``logboot.attach``, and with ``{pid}`` (or ``default``) in ``control.socket``, this
    child's own control socket (without ``{pid}`` only the parent serves one)."""
    global _control
    runtime = attach_runtime(handle)
    socket = handle.profile.control.socket
    if socket is not None and _control is None:
        from logboot.control.server import CONTROL_NAME, Attachment, ControlServer
        from logboot.values.control_paths import per_process

        if per_process(socket):
            _control = ControlServer(socket, active_runtime).start()
            _control.parent_pid = handle.parent_pid  # the process that reloads (its `reload` says so)
            runtime.add_control(CONTROL_NAME, Attachment(_control, runtime, active_runtime))
    return runtime
