"""Can a remote sink's receiver be reached right now? For ``check``, when asked to look.

A receiver that is down is never an error at ``setup_logging`` (the sink connects
lazily and buffers); this only lets ``check`` warn about it. Nothing is sent: a TCP
connection is opened and closed (for TLS, the handshake is not attempted), a Unix
socket path is looked at. UDP cannot be probed without sending, so it is not.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from logboot.profile.schema import OtlpSinkSpec, SyslogSinkSpec
from logboot.values.addresses import split_host_port


def unreachable(spec: object, timeout: float = 2.0) -> str | None:
    """Why the receiver of ``spec`` cannot be reached, or None (reachable, or not a remote sink)."""
    if isinstance(spec, SyslogSinkSpec):
        if spec.protocol == "unix":
            if not os.path.exists(spec.address):
                return f"no socket at {spec.address!r}"
            return None
        if spec.protocol == "udp":
            return None
        host, port = split_host_port(spec.address)
        return _connect(host, port, timeout)
    if isinstance(spec, OtlpSinkSpec):
        parts = urlsplit(spec.endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return _connect(parts.hostname or "", port, timeout)
    return None


def _connect(host: str, port: int, timeout: float) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as err:
        reason = err.strerror or str(err) or type(err).__name__
        return f"cannot connect to {host}:{port}: {reason} (records would wait in the buffer)"
