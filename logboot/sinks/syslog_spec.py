"""The profile keys of ``type: syslog`` (built by ``syslog.py``) and of its ``tls`` mapping.

With the checks of the names RFC 5424 restricts: header fields, SD-IDs and parameter names.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from logboot.sinks.remote_spec import Receiver, RemoteSinkCommon
from logboot.sinks.rfc5424 import SYSLOG_FACILITIES
from logboot.values.addresses import is_loopback, split_host_port
from logboot.values.fields import Duration, Spec

_SYSLOG_NAME = re.compile(r"^[\x21-\x7e]+$")  # PRINTUSASCII, RFC 5424 section 6
_SD_NAME = re.compile(r"^[\x21-\x7e]{1,32}$")


def _check_sd_name(value: str, what: str) -> str:
    if not _SD_NAME.match(value) or any(c in value for c in '= ]"'):
        raise ValueError(
            f"{what} must be 1 to 32 printable ASCII characters without '=', ' ', ']' or '\"', got {value!r}"
        )
    return value


class SyslogTlsSpec(Spec):
    """TLS for syslog over TCP (RFC 5425)."""

    ca_file: str | None = Field(
        default=None,
        description="PEM file of the CA(s) that sign the receiver's certificate; default the system's.",
        examples=["/etc/ssl/certs/logs-ca.pem"],
    )
    cert_file: str | None = Field(
        default=None,
        description="PEM client certificate, for receivers that require mutual TLS.",
        examples=["/etc/app/tls/client.pem"],
    )
    key_file: str | None = Field(
        default=None,
        description="PEM private key of `cert_file`; default: the key inside `cert_file`.",
        examples=["/etc/app/tls/client.key"],
    )
    verify: bool = Field(
        default=True,
        description="Check the receiver's certificate and name. Off only for tests: it allows interception.",
        examples=[True],
    )
    server_name: str | None = Field(
        default=None,
        description=(
            "Name expected in the receiver's certificate (and sent as SNI); default the host of `address`."
        ),
        examples=["logs.example.com"],
    )

    @field_validator("key_file")
    @classmethod
    def _check_key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("cert_file") is None:
            raise ValueError("needs `cert_file`: a key is only used with its certificate")
        return value


class SyslogSinkSpec(RemoteSinkCommon):
    """RFC 5424 syslog to rsyslog, syslog-ng, Vector or Fluent Bit over TCP, UDP or a Unix socket."""

    type: Literal["syslog"]
    protocol: Literal["tcp", "udp", "unix"] = Field(
        default="tcp",
        description=(
            "`tcp`: octet-counted frames (RFC 6587), a multi-line record stays one message; "
            "`udp`: one datagram per record (RFC 5426), losses cannot be seen; "
            "`unix`: a local socket such as /dev/log."
        ),
        examples=["tcp"],
    )
    tls: SyslogTlsSpec | None = Field(
        default=None,
        description="Encrypt with TLS (only with `protocol: tcp`); `{}` uses the system's CAs.",
        examples=[{"ca_file": "/etc/ssl/certs/logs-ca.pem"}],
    )
    address: str = Field(
        description="`host:port` for tcp and udp (`[::1]:514` for IPv6), a socket path for unix.",
        examples=["127.0.0.1:514", "logs.example.com:6514", "/dev/log"],
    )
    app_name: str | None = Field(
        default=None,
        max_length=48,
        description="APP-NAME of each message; default the program's name.",
        examples=["checkout"],
    )
    facility: Literal[SYSLOG_FACILITIES] = Field(  # type: ignore[valid-type]
        default="user", description="Syslog facility of every message.", examples=["local0"]
    )
    hostname: str | None = Field(
        default=None,
        max_length=255,
        description="HOSTNAME of each message; default this machine's name.",
        examples=["web-1.example.com"],
    )
    structured_data: list[str] = Field(
        default_factory=list,
        description="Extra keys of a record sent as parameters of one STRUCTURED-DATA element.",
        examples=[["request_id", "user"]],
    )
    sd_id: str = Field(
        default="logboot@32473",
        description="SD-ID of that element: `name@<private enterprise number>`.",
        examples=["myapp@32473"],
    )
    utf8_bom: bool = Field(
        default=False,
        description=(
            "Start MSG with a byte order mark, as RFC 5424 asks of UTF-8 text; off by default "
            "because most receivers keep the mark as part of the message."
        ),
        examples=[False],
    )
    timeout: Duration = Field(
        default=5.0, description="Longest wait to connect or to send one batch.", examples=["5s"]
    )

    @field_validator("tls")
    @classmethod
    def _check_tls(cls, value: SyslogTlsSpec | None, info: ValidationInfo) -> SyslogTlsSpec | None:
        protocol = info.data.get("protocol")
        if value is not None and protocol not in (None, "tcp"):
            raise ValueError(f"TLS applies only to `protocol: tcp`, not {protocol!r}")
        return value

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str, info: ValidationInfo) -> str:
        protocol = info.data.get("protocol")
        if protocol == "unix" or protocol is None:
            if protocol == "unix" and not value:
                raise ValueError("expected the path of a Unix socket")
            return value
        host, _ = split_host_port(value)
        plain = "tls" in info.data and info.data["tls"] is None and not info.data.get("insecure")
        if plain and not is_loopback(host):
            raise ValueError(
                f"sends plain text to {host!r}, which is not this machine; "
                "add `tls:` (tcp) or set `insecure: true`"
            )
        return value

    @field_validator("app_name", "hostname")
    @classmethod
    def _check_header_field(cls, value: str | None) -> str | None:
        if value is not None and not _SYSLOG_NAME.match(value):
            raise ValueError(f"expected printable ASCII without spaces, got {value!r}")
        return value

    @field_validator("structured_data")
    @classmethod
    def _check_params(cls, value: list[str]) -> list[str]:
        for key in value:
            _check_sd_name(key, "a parameter name")
        return value

    @field_validator("sd_id")
    @classmethod
    def _check_sd_id(cls, value: str) -> str:
        return _check_sd_name(value, "an SD-ID")

    def target(self) -> str:
        return f"{self.protocol}://{self.address}" if self.address else self.type

    def receiver(self) -> Receiver | None:
        if self.protocol == "unix":
            return Receiver("address", path=self.address)
        if self.protocol == "udp":
            return None  # UDP cannot be probed without sending
        host, port = split_host_port(self.address)
        return Receiver("address", host, port)
