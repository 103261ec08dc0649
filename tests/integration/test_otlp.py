"""The otlp sink against a loopback OTLP/HTTP receiver that decodes the real protobuf requests."""

from __future__ import annotations

import importlib
import json
import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import logboot
from logboot.errors import MissingDependencyError

from .receivers import CI, OtlpReceiver

WriteProfile = Callable[..., Path]
pytestmark = pytest.mark.timeout(120)

try:
    importlib.import_module("opentelemetry.exporter.otlp.proto.http")
    importlib.import_module("opentelemetry.proto.collector.logs.v1.logs_service_pb2")
except ImportError:  # pragma: no cover - the dev extra installs them
    if CI:
        raise
    pytest.skip("needs pip install 'logboot[otlp]' and opentelemetry-proto", allow_module_level=True)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests never go through a proxy from the environment."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    """A started OTLP/HTTP receiver on 127.0.0.1 that answers 200 unless scripted otherwise."""
    server = OtlpReceiver()
    server.start()
    yield server
    server.stop()


def otlp_profile(write_profile: WriteProfile, endpoint: str, extra: str = "", timeout: str = "2s") -> Path:
    """Everything from DEBUG up to one otlp sink (``timeout``: how long an export may take)."""
    return write_profile(
        f"""\
        version: 1
        sinks:
          otel:
            type: otlp
            endpoint: "{endpoint}"
            resource: {{service.name: checkout, deployment.environment.name: test, build: 42}}
            timeout: {timeout}
            backoff_max: 100ms
            {extra}
        queues:
          main: {{max_size: 20000}}
        listeners:
          main: {{queue: main, sinks: [otel]}}
        root: {{level: DEBUG, queue: main}}
        """
    )


LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
SEVERITY = {10: (5, "DEBUG"), 20: (9, "INFO"), 30: (13, "WARN"), 40: (17, "ERROR"), 50: (21, "FATAL")}


def log_numbered(count: int, start: int = 0) -> None:
    log = logging.getLogger("app.otel")
    for seq in range(start, start + count):
        log.log(
            LEVELS[seq % 5],
            "record %d",
            seq,
            extra={"seq": seq, "ratio": seq / 4, "ok": seq % 2 == 0, "tags": ["a", "b"], "obj": {"k": seq}},
        )


def check_numbered(records: list[dict[str, Any]], expected: list[int]) -> None:
    """Each record is the OTel form of the numbered record: body, severity, attributes, resource."""
    assert [r["body"] for r in records] == [f"record {seq}" for seq in expected]
    now = time.time_ns()
    for record, seq in zip(records, expected, strict=True):
        number, text = SEVERITY[LEVELS[seq % 5]]
        assert (record["severity_number"], record["severity_text"]) == (number, text)
        assert record["scope"] == "app.otel"
        attributes = record["attributes"]
        assert attributes["seq"] == seq
        assert attributes["ratio"] == seq / 4
        assert attributes["ok"] is (seq % 2 == 0)
        assert attributes["tags"] == ["a", "b"]
        assert attributes["obj"] == repr({"k": seq})  # no OTLP type for a dict: its repr
        assert attributes["code.function.name"] == "log_numbered"
        assert attributes["code.file.path"] == __file__
        assert attributes["thread.name"] == "MainThread"
        assert not any(key.startswith("exception.") for key in attributes)
        assert record["resource"]["service.name"] == "checkout"
        assert record["resource"]["deployment.environment.name"] == "test"
        assert record["resource"]["build"] == 42
        assert 0 < now - record["time_unix_nano"] < 300 * 10**9


@pytest.mark.slow
def test_every_record_arrives_with_severity_attributes_and_exception(
    receiver: OtlpReceiver, write_profile: WriteProfile
) -> None:
    """3,000 records and one exception arrive, each with its severity, attributes and resource."""
    extra = 'compression: gzip\n            headers: {x-api-key: "s3cret"}'
    log = logging.getLogger("app.otel")
    # Delivery is at least once: an export the receiver accepted but answered after the
    # timeout is sent again, and this test counts exact arrivals. Its one failure, on a
    # loaded CI machine, fits a 2 s timeout missed that way, so it gives exports the
    # sink's default time.
    profile = otlp_profile(write_profile, receiver.endpoint, extra, timeout="10s")
    with logboot.setup_logging(profile) as runtime:
        log_numbered(3000)
        try:
            {}["missing"]
        except KeyError as err:
            log.exception("lookup failed", extra={"seq": -1})
            rendered = "".join(traceback.format_exception(type(err), err, err.__traceback__)).rstrip("\n")
        assert runtime.flush(30)
        records = receiver.wait_for(3001)
        stats = runtime.stats()["sinks"]["otel"]
    assert len(records) == 3001
    check_numbered(records[:3000], list(range(3000)))
    failure = records[3000]
    assert (failure["body"], failure["severity_number"], failure["severity_text"]) == (
        "lookup failed",
        17,
        "ERROR",
    )
    assert failure["attributes"]["exception.type"] == "KeyError"
    assert failure["attributes"]["exception.message"] == "'missing'"
    assert failure["attributes"]["exception.stacktrace"] == rendered
    assert failure["attributes"]["seq"] == -1
    assert all(r.headers["x-api-key"] == "s3cret" for r in receiver.requests)
    assert all(r.headers["content-encoding"] == "gzip" for r in receiver.requests)
    assert (stats["records"], stats["sent"], stats["dropped"], stats["buffered"]) == (3001, 3001, 0, 0)


def test_503_twice_then_200_loses_nothing(receiver: OtlpReceiver, write_profile: WriteProfile) -> None:
    """A collector that answers 503 twice, then 200, gets every record exactly once."""
    receiver.statuses = [503, 503]
    with logboot.setup_logging(otlp_profile(write_profile, receiver.endpoint)) as runtime:
        log_numbered(1000)
        assert runtime.flush(30)
        records = receiver.wait_for(1000)
        stats = runtime.stats()["sinks"]["otel"]
    assert [r.status for r in receiver.requests[:3]] == [503, 503, 200]
    refused = receiver.requests[0].records
    assert receiver.requests[2].records[: len(refused)] == refused  # resent first (perhaps with more)
    check_numbered(records, list(range(1000)))
    assert (stats["sent"], stats["dropped"], stats["buffered"], stats["errors"]) == (1000, 0, 0, 0)


def test_collector_down_at_start_then_up_delivers(write_profile: WriteProfile) -> None:
    """setup_logging succeeds with no collector; records wait and arrive once it listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = OtlpReceiver()
    profile = otlp_profile(write_profile, f"http://127.0.0.1:{port}/v1/logs")
    try:
        with logboot.setup_logging(profile) as runtime:
            log_numbered(20)
            assert not runtime.flush(0.3)
            down = runtime.stats()["sinks"]["otel"]
            assert (down["sent"], down["buffered"], down["dropped"]) == (0, 20, 0)
            receiver.start(port)
            assert runtime.flush(30)
            records = receiver.wait_for(20)
    finally:
        receiver.stop()
    check_numbered(records, list(range(20)))


def test_a_refused_batch_is_dropped_and_counted(receiver: OtlpReceiver, write_profile: WriteProfile) -> None:
    """A 400 is final: that batch is dropped and counted, and later records still arrive."""
    receiver.statuses = [400]
    with logboot.setup_logging(otlp_profile(write_profile, receiver.endpoint)) as runtime:
        log_numbered(10)
        assert runtime.flush(30)
        log_numbered(5, start=10)
        assert runtime.flush(30)
        records = receiver.wait_for(5)
        stats = runtime.stats()["sinks"]["otel"]
    check_numbered(records, list(range(10, 15)))
    assert [r.status for r in receiver.requests] == [400, 200]
    assert (stats["records"], stats["sent"], stats["dropped"]) == (15, 5, 10)


def test_a_named_formatter_makes_the_body(receiver: OtlpReceiver, write_profile: WriteProfile) -> None:
    """With a formatter, the body is the formatted text (here JSON); attributes stay as they are."""
    profile = otlp_profile(write_profile, receiver.endpoint, "formatter: json")
    text = profile.read_text().replace("version: 1\n", "version: 1\nformatters:\n  json: {type: json}\n")
    profile.write_text(text)
    with logboot.setup_logging(profile) as runtime:
        logging.getLogger("app.otel").warning("hello %s", "world", extra={"seq": 7})
        assert runtime.flush(30)
        (record,) = receiver.wait_for(1)
    body = json.loads(record["body"])
    assert (body["message"], body["level"], body["seq"]) == ("hello world", "WARNING", 7)
    assert record["attributes"]["seq"] == 7


def test_a_missing_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, write_profile: WriteProfile
) -> None:
    """Without the opentelemetry packages, building the sink says: pip install 'logboot[otlp]'."""
    from logboot.sinks import otlp

    monkeypatch.setattr(otlp, "_MISSING", ImportError("No module named 'opentelemetry'"))
    with pytest.raises(MissingDependencyError, match=r"^.*pip install 'logboot\[otlp\]'$"):
        logboot.setup_logging(otlp_profile(write_profile, "http://127.0.0.1:4318/v1/logs"))


def test_a_record_logged_in_a_span_is_exported_with_its_trace(
    receiver: OtlpReceiver, write_profile: WriteProfile, tmp_path: Path
) -> None:
    """The span current where a record is logged (the SDK's own tracer, in another thread than
    the sink's) is the exported record's trace and span id; JSON lines get the same ids as
    `otelTraceID` / `otelSpanID`; a record outside any span has none."""
    from opentelemetry.sdk.trace import TracerProvider

    profile = write_profile(
        f"""\
        version: 1
        formatters:
          json: {{type: json}}
        sinks:
          otel: {{type: otlp, endpoint: "{receiver.endpoint}", timeout: 10s, backoff_max: 100ms}}
          lines: {{type: file, path: "{tmp_path}/lines.jsonl", formatter: json}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [otel, lines]}}
        root: {{level: INFO, queue: main}}
        """
    )
    tracer = TracerProvider().get_tracer("checkout")
    log = logging.getLogger("app.otel")
    with logboot.setup_logging(profile) as runtime:
        with tracer.start_as_current_span("charge") as span:
            log.info("inside", extra={"seq": 0})
            ids = span.get_span_context()
        log.info("outside", extra={"seq": 1})
        assert runtime.flush(30)
        records = receiver.wait_for(2)
    inside, outside = sorted(records, key=lambda r: r["attributes"]["seq"])
    assert (inside["trace_id"], inside["span_id"]) == (f"{ids.trace_id:032x}", f"{ids.span_id:016x}")
    assert inside["flags"] & 1 == 1  # sampled
    assert "otelTraceID" not in inside["attributes"]  # the trace context, not an attribute
    assert (outside["trace_id"], outside["span_id"]) == ("", "")
    lines = [json.loads(line) for line in (tmp_path / "lines.jsonl").read_text().splitlines()]
    assert lines[0]["otelTraceID"] == inside["trace_id"] and lines[0]["otelSpanID"] == inside["span_id"]
    assert "otelTraceID" not in lines[1]


def test_without_an_otlp_sink_no_trace_is_looked_up(write_profile: WriteProfile) -> None:
    """The span look-up is made only where a record may reach an otlp sink."""
    from logboot.runtime.handler import TracingQueueHandler

    profile = write_profile(
        """\
        version: 1
        sinks:
          out: {type: "null"}
        queues:
          main: {}
        listeners:
          main: {queue: main, sinks: [out]}
        root: {level: INFO, queue: main}
        """
    )
    with logboot.setup_logging(profile) as runtime:
        assert not any(isinstance(p.handler, TracingQueueHandler) for p in runtime.topology.loggers.values())


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_childs_span_reaches_the_parents_otlp_sink(
    receiver: OtlpReceiver, write_profile: WriteProfile, method: str
) -> None:
    """A spawned child's record, logged in the child's span, crosses the process queue with
    its trace: the parent's otlp sink exports the child's trace and span id."""
    import multiprocessing

    from .context_children import log_in_a_span

    profile = write_profile(
        f"""\
        version: 1
        sinks:
          otel: {{type: otlp, endpoint: "{receiver.endpoint}", timeout: 10s, backoff_max: 100ms}}
        queues:
          main: {{kind: process}}
        listeners:
          main: {{queue: main, sinks: [otel]}}
        root: {{level: INFO, queue: main}}
        """
    )
    context = multiprocessing.get_context(method)
    ids = context.Queue()
    with logboot.setup_logging(profile) as runtime:
        child = context.Process(target=log_in_a_span, args=(runtime.process_handle(), ids))
        child.start()
        trace_id, span_id = ids.get(timeout=60)
        child.join(60)
        assert child.exitcode == 0
        assert runtime.flush(30)
        (record,) = receiver.wait_for(1)
    assert (record["trace_id"], record["span_id"]) == (trace_id, span_id)
    assert record["body"] == "in the child's span"


def export_ten(
    receiver: OtlpReceiver, write_profile: WriteProfile
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Log records 0 to 9 through an `otlp` sink to ``receiver``, flushed: what it received
    and the sink's stats."""
    with logboot.setup_logging(otlp_profile(write_profile, receiver.endpoint)) as runtime:
        log_numbered(10)
        assert runtime.flush(30)
        records = receiver.wait_for(10)
        stats: dict[str, Any] = runtime.stats()["sinks"]["otel"]
    return records, stats


def test_retry_after_is_waited_within_one_export(receiver: OtlpReceiver, write_profile: WriteProfile) -> None:
    """A 429 with `Retry-After: 0` is retried at once inside the same export (no backoff of
    the sink's), and the records arrive once."""
    receiver.statuses = [429]
    receiver.retry_after = "0"
    records, stats = export_ten(receiver, write_profile)
    assert [r.status for r in receiver.requests] == [429, 200]
    check_numbered(records, list(range(10)))
    assert (stats["sent"], stats["errors"], stats["reconnects"]) == (10, 0, 0)


def test_a_redirect_is_not_a_delivery(receiver: OtlpReceiver, write_profile: WriteProfile) -> None:
    """A 3xx is neither followed nor taken as delivered: the batch is sent again later."""
    receiver.statuses = [307]
    records, stats = export_ten(receiver, write_profile)
    assert [r.status for r in receiver.requests] == [307, 200]
    check_numbered(records, list(range(10)))
    assert (stats["sent"], stats["dropped"]) == (10, 0)


def test_headers_from_the_environment_merge_under_the_profiles(
    receiver: OtlpReceiver, write_profile: WriteProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`OTEL_EXPORTER_OTLP_HEADERS` is sent, the profile's `headers` win a clash, and the
    request says what it is (protobuf, from logboot)."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=yes,x-both=env")
    extra = 'headers: {x-both: "profile"}'
    with logboot.setup_logging(otlp_profile(write_profile, receiver.endpoint, extra)) as runtime:
        log_numbered(1)
        assert runtime.flush(30)
        receiver.wait_for(1)
    (request,) = receiver.requests
    assert (request.headers["x-from-env"], request.headers["x-both"]) == ("yes", "profile")
    assert request.headers["content-type"] == "application/x-protobuf"
    assert request.headers["user-agent"].startswith("logboot/")
    assert "content-encoding" not in request.headers
