"""Profiles with syslog and otlp sinks: what is accepted, and the located errors for what is not."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

import logboot
from logboot.profile.reachability import unreachable
from logboot.profile.schema import OtlpSinkSpec, RemoteSinkCommon, SyslogSinkSpec, SyslogTlsSpec
from logboot.values.addresses import is_loopback, split_host_port, url_host

WriteProfile = Callable[..., Path]


def problems(write_profile: WriteProfile, sink: str) -> list[str]:
    """The problems `check` finds in a profile whose only sink is ``sink`` (YAML, indented 4)."""
    path = write_profile(
        "version: 1\nsinks:\n  remote:\n"
        + textwrap.indent(textwrap.dedent(sink), "    ")
        + "queues: {main: {}}\nlisteners: {main: {queue: main, sinks: [remote]}}\n"
    )
    result = logboot.check_profile(path)
    return [str(p).removeprefix(f"{path}:") for p in result.problems]


@pytest.mark.parametrize(
    "sink",
    [
        "type: syslog\naddress: 127.0.0.1:514\n",
        "type: syslog\naddress: localhost:514\nprotocol: udp\n",
        "type: syslog\naddress: '[::1]:514'\n",
        "type: syslog\naddress: logs.example.com:6514\ntls: {}\n",
        "type: syslog\naddress: logs.example.com:514\ninsecure: true\nprotocol: udp\n",
        "type: syslog\nprotocol: unix\naddress: /dev/log\n",
        "type: otlp\n",
        "type: otlp\nendpoint: https://otel.example.com/v1/logs\n",
        "type: otlp\nendpoint: http://otel.example.com:4318/v1/logs\ninsecure: true\n",
    ],
)
def test_valid_remote_sinks_pass(write_profile: WriteProfile, sink: str) -> None:
    """Loopback, TLS, https, Unix sockets, or an explicit `insecure: true` are accepted."""
    assert problems(write_profile, sink) == []


@pytest.mark.parametrize(
    ("sink", "expected"),
    [
        (
            "type: syslog\naddress: logs.example.com:514\n",
            "5:14: sinks.remote.address: sends plain text to 'logs.example.com', which is not this machine; "
            "add `tls:` (tcp) or set `insecure: true`",
        ),
        (
            "type: syslog\nprotocol: udp\naddress: 10.0.0.5:514\n",
            "6:14: sinks.remote.address: sends plain text to '10.0.0.5', which is not this machine; "
            "add `tls:` (tcp) or set `insecure: true`",
        ),
        (
            "type: otlp\nendpoint: http://otel.example.com:4318/v1/logs\n",
            "5:15: sinks.remote.endpoint: sends plain text to 'otel.example.com', which is not this machine; "
            "use https:// or set `insecure: true`",
        ),
        (
            "type: syslog\nprotocol: udp\naddress: 127.0.0.1:514\ntls: {}\n",
            "7:10: sinks.remote.tls: TLS applies only to `protocol: tcp`, not 'udp'",
        ),
        (
            "type: syslog\naddress: 127.0.0.1\n",
            "5:14: sinks.remote.address: expected 'host:port', got '127.0.0.1'",
        ),
        (
            "type: syslog\naddress: '127.0.0.1:99999'\n",
            "5:14: sinks.remote.address: expected a port from 1 to 65535, got '99999' in '127.0.0.1:99999'",
        ),
        (
            "type: syslog\naddress: '::1:514'\n",
            "5:14: sinks.remote.address: an IPv6 address needs brackets: '[::1]:514', got '::1:514'",
        ),
        (
            "type: syslog\naddress: 127.0.0.1:514\nfacility: locl0\n",
            "6:15: sinks.remote.facility: expected one of "
            + ", ".join(repr(f) for f in logboot.profile.schema.SYSLOG_FACILITIES)
            + ", got 'locl0'; did you mean 'local0'?",
        ),
        (
            "type: syslog\naddress: 127.0.0.1:514\nstructured_data: [ok, 'bad key']\n",
            "6:22: sinks.remote.structured_data: a parameter name must be 1 to 32 printable ASCII "
            "characters without '=', ' ', ']' or '\"', got 'bad key'",
        ),
        (
            "type: syslog\naddress: 127.0.0.1:514\napp_name: my app\n",
            "6:15: sinks.remote.app_name: expected printable ASCII without spaces, got 'my app'",
        ),
        (
            "type: syslog\naddress: logs.example.com:6514\ntls: {key_file: k.pem}\n",
            "6:21: sinks.remote.tls.key_file: needs `cert_file`: a key is only used with its certificate",
        ),
        (
            "type: syslog\naddress: 127.0.0.1:514\nbuffer_sise: 5\n",
            "6:5: sinks.remote.buffer_sise: unknown key; did you mean 'buffer_size'?",
        ),
        (
            "type: otlp\nendpoint: 'otel:4318'\n",
            "5:15: sinks.remote.endpoint: expected an http:// or https:// URL, got 'otel:4318'",
        ),
    ],
)
def test_invalid_remote_sinks_are_located(write_profile: WriteProfile, sink: str, expected: str) -> None:
    """Plain text to another host, TLS over UDP, bad addresses and names: one located error each."""
    assert problems(write_profile, sink) == [expected]


@pytest.mark.parametrize("model", [RemoteSinkCommon, SyslogTlsSpec, SyslogSinkSpec, OtlpSinkSpec])
def test_every_remote_key_has_a_description_and_an_example(model: type[BaseModel]) -> None:
    """Each key of the remote sink specs is documented with a description and an example."""
    for name, field in model.model_fields.items():
        if name in ("type", "level", "formatter", "filters"):
            continue
        assert field.description, name
        assert field.examples, name


def test_addresses_split_and_loopback() -> None:
    """host:port and [v6]:port split; localhost, 127/8 and ::1 are loopback, others are not."""
    assert split_host_port("logs:514") == ("logs", 514)
    assert split_host_port("[::1]:6514") == ("::1", 6514)
    for bad in ("[::1]514", ":514", "host:", "host:0"):
        with pytest.raises(ValueError, match=r"^.+$"):
            split_host_port(bad)
    assert all(is_loopback(h) for h in ("localhost", "LOCALHOST.", "127.0.0.1", "127.1.2.3", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "example.com", "::2", "localhost.example.com"))
    assert url_host("https://otel:4318/v1/logs") == ("https", "otel")
    with pytest.raises(ValueError, match=r"^the host is missing in 'http:///v1/logs'$"):
        url_host("http:///v1/logs")
    with pytest.raises(ValueError, match=r"^invalid URL 'http://otel:port/': .+$"):
        url_host("http://otel:port/")


def test_reachability_says_why_a_receiver_cannot_be_reached(tmp_path: Path) -> None:
    """For `check`: a closed port or a missing socket is named; a listening one, or UDP, is fine."""
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    try:
        assert unreachable(SyslogSinkSpec(type="syslog", address=f"127.0.0.1:{port}")) is None
        assert unreachable(OtlpSinkSpec(type="otlp", endpoint=f"http://127.0.0.1:{port}/v1/logs")) is None
    finally:
        listening.close()
    assert unreachable(SyslogSinkSpec(type="syslog", address=f"127.0.0.1:{port}")) == (
        f"cannot connect to 127.0.0.1:{port}: Connection refused (records would wait in the buffer)"
    )
    missing = str(tmp_path / "none.sock")
    assert unreachable(SyslogSinkSpec(type="syslog", protocol="unix", address=missing)) == (
        f"no socket at {missing!r}"
    )
    assert unreachable(SyslogSinkSpec(type="syslog", protocol="udp", address="127.0.0.1:9")) is None
    assert unreachable(object()) is None
