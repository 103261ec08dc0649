"""Can a remote sink's receiver be reached right now? For ``check``, when asked to look.

A receiver that is down is never an error at ``setup_logging`` (the sink connects
lazily and buffers); this only lets ``check`` warn about it. Nothing is sent: a TCP
connection is opened and closed (for TLS, the handshake is not attempted), a Unix
socket path is looked at. UDP cannot be probed without sending, so it is not.
"""

from __future__ import annotations

import os
import socket

from logboot.sinks.remote_spec import Receiver, RemoteSinkCommon


def receiver_of(spec: object) -> Receiver | None:
    """Where the receiver of ``spec`` listens, or None (not a remote sink, or not probeable)."""
    return spec.receiver() if isinstance(spec, RemoteSinkCommon) else None


def unreachable(spec: object, timeout: float = 2.0) -> str | None:
    """Why the receiver of ``spec`` cannot be reached, or None (reachable, or not a remote sink)."""
    receiver = receiver_of(spec)
    if receiver is None:
        return None
    if receiver.path:
        return None if os.path.exists(receiver.path) else f"no socket at {receiver.path!r}"
    return _connect(receiver.host, receiver.port, timeout)


def _connect(host: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as err:
        reason = err.strerror or str(err) or type(err).__name__
        return f"cannot connect to {host}:{port}: {reason} (records would wait in the buffer)"
