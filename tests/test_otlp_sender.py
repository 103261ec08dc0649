"""The otlp sink's sender without a network: retries within `timeout`, Retry-After, the
TLS settings from the environment, batches bounded by bytes."""

from __future__ import annotations

import importlib
import threading
import time
from collections import deque
from email.utils import formatdate
from typing import Any

import pytest

try:
    requests = importlib.import_module("requests")
    otlp = importlib.import_module("logboot.sinks.otlp")
    importlib.import_module("opentelemetry.sdk.resources")
except ImportError:  # pragma: no cover - the dev extra installs them
    pytest.skip("needs pip install 'logboot[otlp]'", allow_module_level=True)


class Answer:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}


class Session:
    """Answers each post with the next of ``script`` (an ``Answer`` or an exception to raise)."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.posts: list[float] = []

    def post(self, url: str, **kwargs: Any) -> Answer:
        self.posts.append(kwargs["timeout"])
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        assert isinstance(step, Answer)
        return step


class Waits(list[float]):
    """Stands for the sink's stop event: records each wait between attempts and moves the
    sink's clock on by it instead of sleeping."""

    now = 1000.0

    def wait(self, seconds: float) -> bool:
        self.append(seconds)
        self.now += seconds
        return False


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    recorded = Waits()
    monkeypatch.setattr(otlp.time, "monotonic", lambda: recorded.now)
    return recorded


def sink_with(session: Session, waits: Waits, timeout: float = 10.0) -> Any:
    sink = otlp.OtlpSink(endpoint="http://127.0.0.1:9/v1/logs", timeout=timeout)
    sink._session = session
    sink._stopping = waits
    return sink


def test_a_dead_pooled_connection_is_tried_again_at_once(waits: Waits) -> None:
    """The first connection error of an export is retried with no wait (a collector that
    closed a pooled connection); the answer after it counts."""
    session = Session(requests.ConnectionError("reset"), Answer(200))
    assert sink_with(session, waits)._post(b"") == 200
    assert (len(session.posts), waits) == (2, [])


def test_connection_errors_back_off_one_two_four_seconds_within_the_timeout(waits: Waits) -> None:
    """After the at-once retry, waits of about 1 s, 2 s, 4 s ... until the next would pass
    `timeout`; then the export gives up with no status. Each attempt may take what is left."""
    session = Session(*[requests.ConnectionError("refused")] * 6)
    assert sink_with(session, waits, timeout=10.0)._post(b"") is None
    assert len(waits) == 3  # ~1 s, ~2 s, ~4 s: ~8 s more would pass the 10 s
    assert all(0.8 <= wait / 2**i <= 1.2 for i, wait in enumerate(waits))
    assert len(session.posts) == 5  # at once, then after each wait
    assert session.posts[0] == 10.0 and session.posts[-1] == pytest.approx(10.0 - sum(waits))


def test_retryable_statuses_honour_retry_after(waits: Waits) -> None:
    """429/502/503/504 are retried; `Retry-After` (seconds or a date) sets the wait."""
    date = formatdate(timeval=None, usegmt=True)  # now: no wait left
    session = Session(Answer(503, {"retry-after": "3"}), Answer(429, {"retry-after": date}), Answer(200))
    assert sink_with(session, waits)._post(b"") == 200
    assert waits[0] == 3.0 and waits[1] <= 1.0


def test_a_final_status_is_returned_at_once(waits: Waits) -> None:
    """A status that no retry changes (200, 400, 500, 307) ends the export."""
    for status in (200, 400, 500, 307):
        assert sink_with(Session(Answer(status)), waits)._post(b"") == status
    assert waits == []


def test_a_request_that_cannot_be_made_is_not_retried(waits: Waits) -> None:
    """A request error that is not about the connection (a bad URL) gives up at once."""
    session = Session(requests.exceptions.InvalidURL("bad"))
    assert sink_with(session, waits)._post(b"") is None
    assert (len(session.posts), waits) == (1, [])


def test_a_timeout_is_not_retried_at_once(waits: Waits) -> None:
    """A collector that did not answer in time is not asked again without a wait."""
    session = Session(requests.Timeout("slow"), Answer(200))
    assert sink_with(session, waits)._post(b"") == 200
    assert len(waits) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("2", 2.0),
        ("-1", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_reads_seconds_and_dates(value: str | None, expected: float | None) -> None:
    """Seconds, a date (in the past: no wait), or nothing usable."""
    assert otlp.retry_after(value) == expected


def test_tls_files_come_from_the_sdks_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA, client certificate and key variables the SDK's exporter read: the logs ones
    first, then the general ones; without them the system's CAs are trusted."""
    for name in ("CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"):
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP_LOGS_{name}", raising=False)
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP_{name}", raising=False)
    plain = otlp.new_session()
    assert (plain.verify, plain.cert) == (True, None)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca-general.pem")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE", "/ca-logs.pem")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/client.pem")
    only_certificate = otlp.new_session()
    assert (only_certificate.verify, only_certificate.cert) == ("/ca-logs.pem", "/client.pem")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", "/client.key")
    both = otlp.new_session()
    assert both.cert == ("/client.pem", "/client.key")


def test_a_batch_is_bounded_by_count_and_by_bytes() -> None:
    """At most `batch_max` records and about REQUEST_BYTES of them; one record always goes,
    however large."""
    sink = otlp.OtlpSink(endpoint="http://127.0.0.1:9/v1/logs")
    sink._hurry = 1  # no lingering for more
    with sink._cond:
        small = deque((b"s", b"x" * 10) for _ in range(sink.batch_max + 100))
        assert len(sink.take(small)) == sink.batch_max
        quarter = otlp.REQUEST_BYTES // 4
        large = deque((b"s", b"x" * quarter) for _ in range(10))
        assert len(sink.take(large)) == 4
        huge = deque([(b"s", b"x" * (otlp.REQUEST_BYTES * 2)), (b"s", b"x")])
        assert len(sink.take(huge)) == 1


def test_a_small_batch_waits_a_moment_for_more_unless_a_flush_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer records than a full batch wait up to LINGER for more; while a drain waits,
    or once the sink closes, they go at once."""
    monkeypatch.setattr(otlp, "LINGER", 0.2)
    sink = otlp.OtlpSink(endpoint="http://127.0.0.1:9/v1/logs")
    items = deque([(b"s", b"x")])
    with sink._cond:
        started = time.monotonic()
        assert len(sink.take(items)) == 1
        assert time.monotonic() - started >= 0.2
        sink._hurry = 1
        started = time.monotonic()
        assert len(sink.take(items)) == 1
        assert time.monotonic() - started < 0.1
        sink._hurry = 0
        sink._closing = True
        assert len(sink.take(items)) == 1
        assert time.monotonic() - started < 0.1


def test_a_drain_wakes_a_lingering_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flush does not wait out the linger: `drain` wakes the sender (lingering, or about
    to), which sends what it has at once, and the drain returns."""
    monkeypatch.setattr(otlp, "LINGER", 5.0)
    sink = otlp.OtlpSink(endpoint="http://127.0.0.1:9/v1/logs", buffer_size=10)
    taken = threading.Event()
    batches: list[int] = []
    original = sink.take

    def take(items: Any) -> Any:
        taken.set()
        batch = original(items)
        batches.append(len(batch))
        return batch

    sink.take = take  # type: ignore[method-assign]
    sink.send = lambda items: None  # type: ignore[method-assign]
    try:
        sink.offer([(b"s", b"x")])
        assert taken.wait(5)
        started = time.monotonic()
        assert sink.drain(time.monotonic() + 5)
        assert time.monotonic() - started < 2.5
        assert batches == [1]
    finally:
        sink.close()
