"""The keys every sink that ships records to another process accepts (``RemoteSinkCommon``)."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import Field

from logboot.sinks.base_spec import SinkCommon
from logboot.values.fields import Duration


class Receiver(NamedTuple):
    """Where a remote sink's receiver listens, for ``check --reachable`` to look."""

    key: str  # the profile key that names it (``address``, ``endpoint``)
    host: str = ""  # with ``port``: a TCP receiver
    port: int = 0
    path: str = ""  # a Unix socket


class RemoteSinkCommon(SinkCommon):
    """Keys every sink that ships records to another process accepts."""

    buffer_size: int = Field(
        default=10_000,
        ge=1,
        description=(
            "Most records held while the receiver is slow or unreachable; records that "
            "arrive when it is full are dropped and counted (`dropped` in stats)."
        ),
        examples=[10000],
    )
    backoff_max: Duration = Field(
        default=30.0,
        description=(
            "Longest wait between two attempts to reach the receiver; the wait starts at "
            "100ms and doubles after each failure up to this."
        ),
        examples=["30s"],
    )
    insecure: bool = Field(
        default=False,
        description="Allow plain text (no TLS) to a host other than this machine's loopback.",
        examples=[False],
    )

    def receiver(self) -> Receiver | None:
        """Where the receiver listens; ``None`` when it cannot be probed without sending."""
        return None
