"""The profile keys of ``type: otlp`` (built by ``otlp.py``): OpenTelemetry logs over OTLP/HTTP."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from logboot.sinks.remote_spec import Receiver, RemoteSinkCommon
from logboot.values.addresses import is_loopback, url_host
from logboot.values.fields import Duration, Name


class OtlpSinkSpec(RemoteSinkCommon):
    """OpenTelemetry logs over OTLP/HTTP (protobuf) to a collector; needs `logboot[otlp]`."""

    type: Literal["otlp"]
    endpoint: str = Field(
        default="http://localhost:4318/v1/logs",
        description="The collector's OTLP/HTTP logs URL, path included.",
        examples=["https://otel-collector.example.com:4318/v1/logs"],
        validate_default=True,
    )
    headers: dict[Name, str] = Field(
        default_factory=dict,
        description="HTTP headers sent with each request (authentication).",
        examples=[{"authorization": "Bearer ${OTLP_TOKEN}"}],
    )
    resource: dict[Name, str | int | float | bool] = Field(
        default_factory=dict,
        description="Resource attributes of every record; set at least `service.name`.",
        examples=[{"service.name": "checkout", "deployment.environment.name": "prod"}],
    )
    timeout: Duration = Field(
        default=10.0,
        description="Longest time one export (with the exporter's own retries) may take.",
        examples=["10s"],
    )
    compression: Literal["none", "gzip"] = Field(
        default="none", description="Compress request bodies.", examples=["gzip"]
    )

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str, info: ValidationInfo) -> str:
        scheme, host = url_host(value)
        if scheme == "http" and not info.data.get("insecure") and not is_loopback(host):
            raise ValueError(
                f"sends plain text to {host!r}, which is not this machine; "
                "use https:// or set `insecure: true`"
            )
        return value

    def target(self) -> str:
        return self.endpoint or self.type

    def receiver(self) -> Receiver | None:
        parts = urlsplit(self.endpoint)
        return Receiver(
            "endpoint", parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        )
