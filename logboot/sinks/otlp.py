"""``type: otlp``: OpenTelemetry logs over OTLP/HTTP (protobuf), encoded by logboot itself.

Needs ``pip install 'logboot[otlp]'``: ``requests`` sends, and the OpenTelemetry SDK makes
the resource once per sink (its detectors, ``OTEL_RESOURCE_ATTRIBUTES``, ``telemetry.sdk.*``);
no protobuf library and no SDK exporter are used. The listener turns each record into the
bytes of an OTLP ``LogRecord`` (``LogEncoder``: body, severity, extra keys as attributes,
an exception as the ``exception.*`` attributes, the logger's name as the instrumentation
scope) and buffers them; the sender thread of ``RemoteSink`` wraps a batch in one
``ExportLogsServiceRequest`` (``otlp_proto``) and POSTs it. A 429/502/503/504 or a failed
connection is retried within ``timeout``, as the SDK's exporter does; when that gives up,
the batch stays buffered and is tried again after the backoff, so an unavailable collector
loses nothing until the buffer is full. A batch the collector refuses for good (any other
4xx) is dropped and counted.
"""

from __future__ import annotations

import gzip
import itertools
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from logboot.core.version import VERSION
from logboot.errors import MissingDependencyError
from logboot.sinks import otlp_proto as proto
from logboot.sinks.otlp_records import LogEncoder
from logboot.sinks.remote import RemoteSink, SendError

if TYPE_CHECKING:
    from logboot.sinks.otlp_spec import OtlpSinkSpec

try:
    import requests
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.util.re import parse_env_headers
except ImportError as err:  # pragma: no cover - exercised without the extra installed
    _MISSING: ImportError | None = err
else:
    _MISSING = None

_PERMANENT = frozenset(range(400, 500)) - {408, 429}  # a client error that no retry fixes
_RETRYABLE = frozenset({429, 502, 503, 504})  # what the SDK's exporter retries within `timeout`
_ATTEMPTS = 6  # most tries of one export (the SDK's), 1 s, 2 s, 4 s ... apart, within `timeout`
REQUEST_BYTES = 4 << 20  # a batch stops growing at this many bytes of records (one at least)
# Seconds the sender waits for a batch to fill before it sends a smaller one (none while a
# flush or stop waits): fewer, fuller requests cost the application and the collector less.
# The SDK's batch processor waits up to 1 s, the Collector's batch processor 200 ms.
LINGER = 0.05


class OtlpSink(RemoteSink[tuple[bytes, bytes]]):
    """Exports records to an OpenTelemetry collector over OTLP/HTTP."""

    kind = "otlp"
    batch_max = 2048  # records a request at most (and REQUEST_BYTES)

    def __init__(
        self,
        *,
        endpoint: str,
        headers: Mapping[str, str] | None = None,
        resource: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        compression: str = "none",
        body_from_formatter: bool = False,
        buffer_size: int = 10_000,
        backoff_max: float = 30.0,
    ) -> None:
        super().__init__(buffer_size=buffer_size, backoff_max=backoff_max)
        self.endpoint = endpoint
        self.headers = request_headers(headers or {}, compression)
        self.timeout = timeout
        self.compression = compression
        self.needs_format = body_from_formatter  # else the body is the bare message
        self.resource = Resource.create(dict(resource or {}))
        self._resource = proto.resource_part(self.resource.attributes)
        self.encoder = LogEncoder()
        self._session: requests.Session | None = None
        self._stopping = threading.Event()  # set by interrupt(): no more waits between retries
        self._hurry = 0  # drains waiting: the sender does not linger meanwhile

    # --- the listener's side ------------------------------------------------------------

    def write_records(self, records: list[logging.LogRecord], lines: list[str]) -> int:
        observed = time.time_ns()
        encode = self.encoder.record
        if self.needs_format:
            self.offer([encode(r, line, observed) for r, line in zip(records, lines, strict=True)])
        else:
            self.offer([encode(r, r.getMessage(), observed) for r in records])
        return len(records)

    def write_lines(self, lines: list[str]) -> int:  # pragma: no cover - write_records is used
        raise TypeError("the otlp sink needs records, not lines")

    def target(self) -> str:
        return f"otlp {self.endpoint}"

    # --- the sender thread ------------------------------------------------------------

    def take(self, items: deque[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Up to ``batch_max`` records, and no more than ``REQUEST_BYTES`` of them (one at
        least). Called with the buffer's lock held: fewer than ``batch_max`` wait up to
        ``LINGER`` for more, unless a flush or stop is waiting (``drain``) or the sink closes."""
        if len(items) < self.batch_max and not self._hurry:
            deadline = time.monotonic() + LINGER
            while len(items) < self.batch_max and not (self._hurry or self._closing):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        batch = list(itertools.islice(items, self.batch_max))
        if sum(map(len, map(itemgetter(1), batch))) <= REQUEST_BYTES:
            return batch
        size = 0
        for count, (_, record) in enumerate(batch):
            size += len(record)
            if size > REQUEST_BYTES:
                return batch[: max(count, 1)]
        return batch  # pragma: no cover - the sum above was over the limit

    def drain(self, deadline: float) -> bool:
        """As ``RemoteSink.drain``; meanwhile the sender sends what it has at once."""
        with self._cond:
            self._hurry += 1
            self._cond.notify_all()
        try:
            return super().drain(deadline)
        finally:
            with self._cond:
                self._hurry -= 1

    def connect(self) -> None:
        if self._session is None:
            self._session = new_session()

    def request(self, items: list[tuple[bytes, bytes]]) -> bytes:
        """The ``ExportLogsServiceRequest`` of ``items``."""
        return proto.request(self._resource, items)

    def send(self, items: list[tuple[bytes, bytes]]) -> None:
        body = self.request(items)
        if self.compression == "gzip":
            body = gzip.compress(body, compresslevel=6, mtime=0)
        status = self._post(body)
        if status is not None and 200 <= status < 300:
            return
        if status in _PERMANENT:
            error = ExportRejectedError(f"{self.endpoint} refused {len(items)} record(s) with HTTP {status}")
            raise SendError(0, error, rejected=len(items))
        reason = f"HTTP {status}" if status is not None else "no answer"
        raise ExportFailedError(f"export to {self.endpoint} failed ({reason}); it will be retried")

    def _post(self, body: bytes) -> int | None:
        """POST ``body``, retrying what the SDK's exporter retries within ``timeout`` (a
        429/502/503/504 or a failed connection, 1 s, 2 s, 4 s ... apart, or as ``Retry-After``
        says); the last HTTP status, or None when no answer came."""
        session = self._session
        assert session is not None
        deadline = time.monotonic() + self.timeout
        status: int | None = None
        reconnected = False
        backoffs = 0
        while True:
            wait: float | None = None
            try:
                response = session.post(
                    self.endpoint,
                    data=body,
                    headers=self.headers,
                    timeout=max(deadline - time.monotonic(), 0.001),
                    allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as err:
                status = None
                if not reconnected and not isinstance(err, requests.Timeout):
                    reconnected = True  # a pooled connection the collector had closed: again at once
                    continue
            except requests.RequestException:
                return None  # a request that cannot be made (a bad URL): no retry helps
            else:
                status = response.status_code
                if status not in _RETRYABLE:
                    return status
                wait = retry_after(response.headers.get("retry-after"))
            if wait is None:
                wait = 2**backoffs * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret
            backoffs += 1
            if backoffs == _ATTEMPTS or wait > deadline - time.monotonic() or self._stopping.wait(wait):
                return status

    def interrupt(self) -> None:
        self._stopping.set()
        self._close_session()

    def forget(self) -> None:
        self._session = None  # its pooled connections are the parent's: make a new one
        self._stopping = threading.Event()
        self._hurry = 0  # the parent's drains are not this process's

    def close(self) -> None:
        super().close()
        if self._thread is None or not self._thread.is_alive():
            self._close_session()

    def _close_session(self) -> None:
        session = self._session
        if session is not None:
            session.close()


def request_headers(configured: Mapping[str, str], compression: str) -> dict[str, str]:
    """The headers of every request: the protobuf content type, ``OTEL_EXPORTER_OTLP_LOGS_HEADERS``
    (or ``OTEL_EXPORTER_OTLP_HEADERS``), then the profile's ``headers``, as the SDK merges them."""
    headers = {"content-type": "application/x-protobuf", "user-agent": f"logboot/{VERSION}"}
    from_env = os.environ.get("OTEL_EXPORTER_OTLP_LOGS_HEADERS") or os.environ.get(
        "OTEL_EXPORTER_OTLP_HEADERS"
    )
    headers.update(parse_env_headers(from_env or "", liberal=True))
    headers.update({key.lower(): value for key, value in configured.items()})
    if compression == "gzip":
        headers.setdefault("content-encoding", "gzip")
    return headers


def new_session() -> requests.Session:
    """A session that trusts the collector's certificate as the SDK's exporter does:
    ``OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE`` (or ``OTEL_EXPORTER_OTLP_CERTIFICATE``), and
    presents the client certificate and key of the ``..._CLIENT_CERTIFICATE`` and
    ``..._CLIENT_KEY`` variables; proxies come from the environment, as with any request."""
    env = os.environ.get
    session = requests.Session()
    session.verify = (
        env("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE") or env("OTEL_EXPORTER_OTLP_CERTIFICATE") or True
    )
    key = env("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY") or env("OTEL_EXPORTER_OTLP_CLIENT_KEY")
    certificate = env("OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE") or env(
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
    )
    if certificate:
        session.cert = (certificate, key) if key else certificate
    return session


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None when
    there is none or it does not parse."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


class ExportFailedError(Exception):
    """An export that may succeed later (the collector is down or overloaded)."""


class ExportRejectedError(Exception):
    """An export the collector refused for good (HTTP 4xx)."""


def build(spec: OtlpSinkSpec) -> OtlpSink:
    if _MISSING is not None:  # pragma: no cover - exercised without the extra installed
        package = "requests" if _MISSING.name == "requests" else "opentelemetry-sdk"
        raise MissingDependencyError("otlp", package, "otlp") from _MISSING
    return OtlpSink(
        endpoint=spec.endpoint,
        headers=spec.headers,
        resource=spec.resource,
        timeout=spec.timeout,
        compression=spec.compression,
        body_from_formatter=spec.formatter is not None,
        buffer_size=spec.buffer_size,
        backoff_max=spec.backoff_max,
    )
