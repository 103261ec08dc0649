"""Network addresses in profiles: ``"host:port"`` and URLs, and whether they stay on this machine.

Used by the schema (plain text may only go to a loopback address unless the profile says
``insecure: true``) and by the remote sinks (to connect).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def split_host_port(address: str) -> tuple[str, int]:
    """``"logs.example.com:6514"`` or ``"[::1]:514"`` -> (host, port); ValueError otherwise."""
    text = address.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or not rest.startswith(":"):
            raise ValueError(f"expected '[ipv6]:port', got {address!r}")
        port_text = rest[1:]
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            raise ValueError(f"expected 'host:port', got {address!r}")
        if ":" in host:
            raise ValueError(f"an IPv6 address needs brackets: '[{host}]:{port_text}', got {address!r}")
    if not host:
        raise ValueError(f"the host is missing in {address!r}")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"expected a port from 1 to 65535, got {port_text!r} in {address!r}")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def url_host(url: str) -> tuple[str, str]:
    """(scheme, host) of an ``http``/``https`` URL; ValueError when it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        raise ValueError(f"invalid URL {url!r}: {err}") from err
    if not host:
        raise ValueError(f"the host is missing in {url!r}")
    return parts.scheme, host
