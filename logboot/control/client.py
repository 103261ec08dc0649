"""The client end of the control socket: one request, one reply (what ``logboot ctl`` sends).

``request(path, "set-level", {"logger": "app", "level": "DEBUG", "for": "10m"})`` returns the
reply's ``result``. Before it sends anything it checks who serves the socket (``SO_PEERCRED``,
as the server checks its clients): a socket served by another user is not spoken to, so a
socket planted in a shared folder learns nothing and cannot answer in the service's name.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from logboot.control.protocol import MAX_REPLY, ProtocolError, decode_reply, encode_request
from logboot.control.server import peer_credentials
from logboot.errors import LogbootError


class ConnectError(LogbootError):
    """The service cannot be reached, or did not answer (``logboot ctl`` exits 2)."""


class ServiceError(LogbootError):
    """The service answered with an error (``logboot ctl`` exits 1)."""


def request(path: str, cmd: str, args: Mapping[str, Any] | None = None, timeout: float = 5.0) -> Any:
    """Send one request to the socket at ``path`` and return its result.

    ``ProtocolError`` for a request the protocol refuses (nothing is sent), ``ConnectError``
    when the socket cannot be reached or gives no reply within ``timeout`` seconds,
    ``ServiceError`` with the service's own error text.
    """
    line = encode_request(cmd, args)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        _connect(sock, path, timeout)
        _check_server(sock, path)
        try:
            sock.sendall(line)
            reply = _read_line(sock)
        except TimeoutError:
            raise ConnectError(f"{path}: no reply within {timeout:g}s") from None
        except (ConnectionResetError, BrokenPipeError):
            reply = b""  # closed on us: as an end of file
        except OSError as err:
            raise ConnectError(f"{path}: the connection failed: {err.strerror or err}") from err
    finally:
        sock.close()
    if not reply:
        raise ConnectError(
            f"{path}: the service closed the connection without a reply (it answers only the user it runs as)"
        )
    try:
        decoded = decode_reply(reply)
    except ProtocolError as err:
        raise ConnectError(f"{path}: not a logboot control socket ({err})") from None
    if not decoded.ok:
        raise ServiceError(decoded.error or "the service gave no reason")
    return decoded.result


def _connect(sock: socket.socket, path: str, timeout: float) -> None:
    try:
        sock.connect(path)
    except FileNotFoundError:
        raise ConnectError(
            f"no control socket at {path} (is the service running, with control.socket set?)"
        ) from None
    except ConnectionRefusedError:
        raise ConnectError(
            f"nobody serves {path}: a stale socket (the service ended without removing it), or not a socket"
        ) from None
    except PermissionError:
        raise ConnectError(f"{path}: permission denied (the socket is its owner's only)") from None
    except TimeoutError:
        raise ConnectError(f"{path}: no answer within {timeout:g}s") from None
    except OSError as err:
        raise ConnectError(f"cannot connect to {path}: {err.strerror or err}") from err


def _check_server(sock: socket.socket, path: str) -> None:
    _, uid, _ = peer_credentials(sock)
    if uid != os.geteuid():
        raise ConnectError(
            f"{path} is served by uid {uid}, not by you (uid {os.geteuid()}); nothing was sent "
            "(run logboot ctl as the user the service runs as)"
        )


def _read_line(sock: socket.socket) -> bytes:
    data = bytearray()
    while b"\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_REPLY:
            raise ConnectError(f"a reply over {MAX_REPLY} bytes: not a logboot control socket")
    return bytes(data.partition(b"\n")[0])


__all__ = ["ConnectError", "ServiceError", "request"]
