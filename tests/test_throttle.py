"""``type: throttle``: a log storm passes its rate per key, the rest is dropped, counted and summed up."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clirunner import runner
from conftest import REPO

import logboot
from logboot.cli import app
from logboot.errors import ProfileError
from logboot.filters.throttle import MAX_KEYS, ThrottleFilter, ThrottleSummary
from logboot.profile.describe import describe_profile
from logboot.profile.loading import validate_document
from logboot.profile.plain import PlainProfile, encode, plain_profile
from logboot.profile.reading import read_text
from logboot.profile.resolve import startup_profile
from logboot.profile.schema import Profile
from logboot.runtime.lifecycle import Runtime
from logboot.testing.bench import run_bench
from logboot.values.rates import RecordRate, normalize_rate, parse_rate

pytestmark = pytest.mark.timeout(60)

LINE = "{levelname} {name}: {message}"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(
    tmp_path: Path,
    throttle: str,
    *,
    queue_filters: str = "[]",
    sink_filters: str = "[]",
    loggers: str = "{}",
    extra_sink: bool = False,
    out: str = "file",
) -> Path:
    """A profile writing ``LINE`` to out.log (and all.log, unfiltered, with ``extra_sink``);
    ``out: null`` discards instead."""
    target = f'path: "{tmp_path / "out.log"}", ' if out == "file" else ""
    second = f'  all: {{type: file, path: "{tmp_path / "all.log"}", formatter: line}}\n' if extra_sink else ""
    sinks = "[out, all]" if extra_sink else "[out]"
    path = tmp_path / "profile.yaml"
    path.write_text(
        f"""\
version: 1
formatters:
  line: {{type: text, format: "{LINE}"}}
filters:
  storm: {throttle}
sinks:
  out: {{type: "{out}", {target}formatter: line, filters: {sink_filters}}}
{second}queues:
  main: {{max_size: 0, filters: {queue_filters}}}
listeners:
  main: {{queue: main, sinks: {sinks}}}
root: {{level: DEBUG, queue: main}}
loggers: {loggers}
""",
        encoding="utf-8",
    )
    return path


def start(path: Path, clock: Clock) -> Runtime:
    runtime = logboot.setup_logging(path)
    for uses in runtime.topology.throttles.values():
        for use in uses:
            use.filter._clock = clock
    return runtime


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(index)`` in ``count`` threads that start together; wait for all."""
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- a storm through a real runtime ---------------------------------------------------------


def test_a_storm_from_four_threads_passes_exactly_the_burst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """4 threads x 5,000 identical errors at 100/s, burst 100: exactly 100 pass, one summary says
    19,900, other keys pass untouched, and stats() and the stop line agree with the file."""
    clock = Clock()
    runtime = start(
        write(tmp_path, "{type: throttle, rate: 100/s, burst: 100}", queue_filters="[storm]"), clock
    )
    db, web = logging.getLogger("app.db"), logging.getLogger("app.web")

    def storm(index: int) -> None:
        for i in range(5000):
            db.error("user %s failed", f"{index}-{i}")
            if i % 250 == 0:  # another key, under its burst: 20 per thread
                web.info("thread %d step %d", index, i)

    in_threads(4, storm)
    assert runtime.stats()["filters"]["storm"] == {
        "type": "throttle", "passed": 180, "throttled": 19_900, "keys": 2, "evicted": 0,
        "summaries": 0, "summarized": 0, "pending": 19_900,
    }  # fmt: skip

    clock.now += 1.0  # a second later the key is quiet: its next record passes, summary first
    db.error("user %s failed", "late")
    report = runtime.stop()
    assert report.clean

    written = lines(tmp_path / "out.log")
    whole = re.compile(
        r"^(ERROR app\.db: user \d-\d+ failed|INFO app\.web: thread \d step \d+"
        r"|ERROR app\.db: user late failed"
        r"|ERROR app\.db: suppressed 19,900 similar records from app\.db in 0 s: 'user %s failed')$"
    )
    assert [line for line in written if not whole.match(line)] == []
    errors = [line for line in written if re.match(r"^ERROR app\.db: user \d-\d+ failed$", line)]
    assert len(errors) == 100 and len(set(errors)) == 100
    assert sorted(line for line in written if line.startswith("INFO")) == sorted(
        f"INFO app.web: thread {t} step {i}" for t in range(4) for i in range(0, 5000, 250)
    )
    summaries = [line for line in written if "suppressed" in line]
    assert summaries == [
        "ERROR app.db: suppressed 19,900 similar records from app.db in 0 s: 'user %s failed'"
    ]
    suppressed = int(summaries[0].split()[3].replace(",", ""))
    assert suppressed == 4 * 5000 - 100  # logged - passed, exactly
    assert written[-2:] == [summaries[0], "ERROR app.db: user late failed"]
    assert len(written) == 100 + 80 + 1 + 1

    after = runtime.stats()["filters"]["storm"]
    assert after == {
        "type": "throttle", "passed": 181, "throttled": 19_900, "keys": 2, "evicted": 0,
        "summaries": 1, "summarized": 19_900, "pending": 0,
    }  # fmt: skip
    assert runtime.stats()["queues"]["main"]["enqueued"] == 181 + 1  # what passed, and the summary
    assert (
        "logboot: filter 'storm' throttled 19,900 of 20,081 records "
        "(rate: 100/s, burst: 100, key: message; summed up in 1 record)\n"
    ) in capsys.readouterr().err


def test_the_rate_refills_the_bucket(tmp_path: Path) -> None:
    """After a storm, each second lets `rate` more records through, never more than `burst`."""
    clock = Clock()
    runtime = start(
        write(tmp_path, "{type: throttle, rate: 10/s, burst: 20}", queue_filters="[storm]"), clock
    )
    log = logging.getLogger("app")
    for second in range(3):
        for i in range(50):
            log.warning("tick %d", i)
        clock.now += 1.0 if second < 2 else 100.0  # a long quiet: refilled to burst only
    for i in range(50):
        log.warning("tick %d", i)
    runtime.stop()
    stats = runtime.stats()["filters"]["storm"]
    assert (stats["passed"], stats["throttled"]) == (20 + 10 + 10 + 20, 200 - 60)
    assert stats["summarized"] == stats["throttled"] and stats["pending"] == 0


def test_summary_at_stop_has_the_highest_suppressed_level(tmp_path: Path) -> None:
    """A storm still raging at stop is summed up then, at the highest level it suppressed."""
    clock = Clock()
    path = write(tmp_path, "{type: throttle, rate: 2/min, key: logger}", queue_filters="[storm]")
    runtime = start(path, clock)
    log = logging.getLogger("app.db")
    for i in range(10):
        log.info("a %d", i)
    log.error("b")
    clock.now += 12.5
    log.warning("c")
    runtime.stop()
    assert lines(tmp_path / "out.log") == [
        "INFO app.db: a 0",
        "INFO app.db: a 1",
        "ERROR app.db: suppressed 10 similar records from app.db in 12 s",
    ]


def test_flush_sums_up_what_was_suppressed(tmp_path: Path) -> None:
    """flush() writes the pending summaries before it returns; the key then counts again."""
    clock = Clock()
    runtime = start(write(tmp_path, "{type: throttle, rate: 1/h}", queue_filters="[storm]"), clock)
    log = logging.getLogger("app")
    for _ in range(5):
        log.warning("disk full")
    assert runtime.flush(5)
    assert lines(tmp_path / "out.log") == [
        "WARNING app: disk full",
        "WARNING app: suppressed 4 similar records from app in 0 s: 'disk full'",
    ]
    log.warning("disk full")
    runtime.stop()
    assert (
        lines(tmp_path / "out.log")[-1]
        == "WARNING app: suppressed 1 similar record from app in 0 s: 'disk full'"
    )


def test_key_logger_counts_a_logger_key_message_counts_each_template(tmp_path: Path) -> None:
    """`key: logger` shares one budget among a logger's messages; `message` gives each its own."""
    counts: dict[str, list[str]] = {}
    for key in ("logger", "message"):
        folder = tmp_path / key
        folder.mkdir()
        runtime = start(
            write(folder, f"{{type: throttle, rate: 3/s, key: {key}}}", queue_filters="[storm]"), Clock()
        )
        log = logging.getLogger("app")
        for i in range(10):
            log.info("x %d", i)
            log.info("y %d", i)
        runtime.stop()
        counts[key] = [line for line in lines(folder / "out.log") if "suppressed" not in line]
    assert counts["logger"] == ["INFO app: x 0", "INFO app: y 0", "INFO app: x 1"]
    assert counts["message"] == [f"INFO app: {m} {i}" for i in range(3) for m in "xy"]


def test_a_sink_filter_throttles_that_sink_alone(tmp_path: Path) -> None:
    """On a sink, the throttle runs in the listener: the other sink gets every record, and the
    summary (written when the key passes again) lands in the throttled sink only."""
    clock = Clock()
    path = write(tmp_path, "{type: throttle, rate: 5/s}", sink_filters="[storm]", extra_sink=True)
    runtime = start(path, clock)
    log = logging.getLogger("app")
    for _ in range(100):
        log.error("boom")
    assert runtime.flush(5)
    clock.now += 1.0
    log.error("boom")
    log.error("user %s", "a")  # merged by the producer: a sink counts the merged text
    log.error("user %s", "b")
    runtime.stop()
    assert lines(tmp_path / "all.log") == ["ERROR app: boom"] * 101 + [
        "ERROR app: user a",
        "ERROR app: user b",
    ]
    assert lines(tmp_path / "out.log") == [
        *["ERROR app: boom"] * 5,
        "ERROR app: suppressed 95 similar records from app in 0 s: 'boom'",
        "ERROR app: boom",
        "ERROR app: user a",
        "ERROR app: user b",
    ]
    assert runtime.stats()["sinks"]["out"]["records"] == 9


def test_a_logger_filter_keeps_budgets_per_logger(tmp_path: Path) -> None:
    """Named by two loggers, a throttle counts in each one's handler; stats() adds them up."""
    loggers = "{a: {filters: [storm]}, b: {filters: [storm]}}"
    runtime = start(write(tmp_path, "{type: throttle, rate: 2/s}", loggers=loggers), Clock())
    for name in ("a", "b", "c"):
        for _ in range(5):
            logging.getLogger(name).info("same")
    runtime.stop()
    assert len(runtime.topology.throttles["storm"]) == 2
    assert runtime.stats()["filters"]["storm"] == {
        "type": "throttle", "passed": 4, "throttled": 6, "keys": 2, "evicted": 0,
        "summaries": 2, "summarized": 6, "pending": 0,
    }  # fmt: skip
    written = lines(tmp_path / "out.log")
    assert written.count("INFO c: same") == 5
    assert "INFO a: suppressed 3 similar records from a in 0 s: 'same'" in written
    assert "INFO b: suppressed 3 similar records from b in 0 s: 'same'" in written


def test_distinct_templates_cannot_grow_the_key_table(tmp_path: Path) -> None:
    """10^5 distinct templates (f-strings): the table holds MAX_KEYS keys, the rest is evicted and counted."""
    runtime = start(
        write(tmp_path, "{type: throttle, rate: 1/h}", queue_filters="[storm]", out="null"), Clock()
    )
    log = logging.getLogger("app")
    for i in range(100_000):
        log.info(f"user {i} failed")  # the hostile input under test
    stats = runtime.stats()["filters"]["storm"]
    runtime.stop()
    assert (stats["keys"], stats["evicted"], stats["passed"], stats["throttled"]) == (
        MAX_KEYS,
        100_000 - MAX_KEYS,
        100_000,
        0,
    )


# --- the filter alone --------------------------------------------------------------------------


def record(name: str = "app", msg: str = "m %s", level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, "x.py", 7, msg, ("a",), None, "f")


def test_an_evicted_key_is_summed_up_first() -> None:
    """A key pushed out of a full table with suppressed records has its summary emitted."""
    sent: list[logging.LogRecord] = []
    throttle = ThrottleFilter(parse_rate("1/h"), key="message", clock=Clock(), max_keys=2, emit=sent.append)
    assert [throttle.filter(record(msg="a")) for _ in range(3)] == [True, False, False]
    assert throttle.filter(record(msg="b")) and throttle.filter(record(msg="c"))  # evicts "a"
    assert [(s.name, s.levelno, s.getMessage(), s.throttled) for s in sent] == [
        ("app", logging.ERROR, "suppressed 2 similar records from app in 0 s: 'a'", 2)
    ]
    assert isinstance(sent[0], ThrottleSummary) and (sent[0].pathname, sent[0].lineno) == ("x.py", 7)
    assert throttle.stats() == {
        "type": "throttle", "passed": 3, "throttled": 2, "keys": 2, "evicted": 1,
        "summaries": 1, "summarized": 2, "pending": 0,
    }  # fmt: skip


def test_no_lock_is_held_while_a_summary_is_emitted() -> None:
    """The emit target may log through the same throttle, from another thread, without a deadlock."""
    clock = Clock()
    results: list[bool] = []

    def emit(summary: logging.LogRecord) -> None:
        worker = threading.Thread(target=lambda: results.append(throttle.filter(record(msg="other"))))
        worker.start()
        worker.join(5)
        assert not worker.is_alive()
        results.append(throttle.filter(summary))  # a summary passes every throttle

    throttle = ThrottleFilter(RecordRate(1, 1.0), clock=clock, emit=emit)
    assert [throttle.filter(record()) for _ in range(3)] == [True, False, False]
    clock.now += 1
    assert throttle.filter(record())
    assert results == [True, True]


def test_a_standalone_throttle_logs_its_summary_through_the_logger() -> None:
    """Without a runtime, the summary goes through the key's logger (and passes the throttle)."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("standalone.throttle")
    handler = Keep()
    throttle = ThrottleFilter(parse_rate("1/s"), key="logger", clock=Clock())
    handler.addFilter(throttle)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(4):
            logger.warning("n %d", i)
        assert throttle.emit_summaries() == 1
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert seen == ["n 0", "suppressed 3 similar records from standalone.throttle in 0 s"]


def test_threads_count_exactly_on_the_filter_alone() -> None:
    """8 threads x 10,000 records with the real clock: passed + throttled == offered, exactly."""
    throttle = ThrottleFilter(parse_rate("1000/s"), 50, emit=lambda summary: None)
    passed = [0] * 8

    def work(index: int) -> None:
        for _ in range(10_000):
            passed[index] += throttle.filter(record())

    in_threads(8, work)
    stats = throttle.stats()
    assert stats["passed"] == sum(passed)
    assert stats["passed"] + stats["throttled"] == 80_000
    assert stats["summarized"] + stats["pending"] == stats["throttled"]


# --- rates and specs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal", "rate"),
    [
        ("100/s", "100/s", RecordRate(100, 1.0)),
        ("10/min", "10/min", RecordRate(10, 60.0)),
        ("5/h", "5/h", RecordRate(5, 3600.0)),
        ("20/500ms", "20/500ms", RecordRate(20, 0.5)),
        (" 100 / second ", "100/s", RecordRate(100, 1.0)),
        ("10/5 minutes", "10/5min", RecordRate(10, 300.0)),
        ("1/1s", "1/s", RecordRate(1, 1.0)),
    ],
)
def test_rates(text: str, normal: str, rate: RecordRate) -> None:
    """A rate is normalised for the profile and parsed to records per seconds."""
    assert (normalize_rate(text), parse_rate(text), parse_rate(normal)) == (normal, rate, rate)
    assert parse_rate(rate.text) == rate


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("0/s", "a rate lets at least 1 record through per interval, got '0/s'"),
        ("fast", "expected a rate such as 100/s, 10/min or 5/h, got 'fast'"),
        ("5/0s", "the interval of a rate must be longer than 0, got '5/0s'"),
        (100, "expected a rate such as 100/s, 10/min or 5/h, got 100"),
    ],
)
def test_bad_rates(value: object, error: str) -> None:
    with pytest.raises(ValueError, match=rf"^{re.escape(error)}$"):
        parse_rate(value)


def test_invalid_throttles_are_located(write_profile: Callable[..., Path]) -> None:
    """Each bad key of a throttle is one located problem."""
    path = write_profile(
        """\
        version: 1
        filters:
          a: {type: throttle, rate: 0/s}
          b: {type: throttle, rate: fast}
          c: {type: throttle, rate: 1/s, burst: -1}
          d: {type: throttle, rate: 1/s, key: thread}
        """
    )
    with pytest.raises(ProfileError) as caught:
        logboot.load_profile(path)
    assert [(p.line, p.path) for p in caught.value.problems] == [
        (3, "filters.a.rate"),
        (4, "filters.b.rate"),
        (5, "filters.c.burst"),
        (6, "filters.d.key"),
    ]


def test_a_cached_start_carries_the_throttle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain form keeps the normalised rate; a start from the cache throttles the same."""
    monkeypatch.setenv("LOGBOOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LOGBOOT_CACHE", raising=False)
    path = write(tmp_path, '{type: throttle, rate: " 10 / min ", key: logger}', sink_filters="[storm]")
    model = startup_profile(path)
    assert isinstance(model, Profile)
    cached = startup_profile(path)
    assert isinstance(cached, PlainProfile)
    assert cached.filters["storm"].rate == model.filters["storm"].rate == "10/min"
    assert (cached.filters["storm"].burst, cached.filters["storm"].key) == (None, "logger")
    assert plain_profile(json.loads(json.dumps(encode(model)))).filters["storm"] == cached.filters["storm"]
    runtime = start(path, Clock())  # from the cache
    assert isinstance(runtime.topology.profile, PlainProfile)
    for i in range(15):
        logging.getLogger("app").info("n %d", i)
    runtime.stop()
    assert lines(tmp_path / "out.log") == [
        *(f"INFO app: n {i}" for i in range(10)),
        "INFO app: suppressed 5 similar records from app in 0 s",
    ]
    assert (
        "filter 'storm' throttled 5 of 15 records (rate: 10/min, burst: 10, key: logger;"
        in capsys.readouterr().err
    )


def test_show_describes_the_throttle(tmp_path: Path) -> None:
    """`show --format json` lists the filters; a throttle with its rate, burst (as it applies) and key."""
    described = describe_profile(logboot.load_profile(write(tmp_path, "{type: throttle, rate: 100/s}")))
    assert [(f.name, f.type, f.options) for f in described.filters] == [
        ("storm", "throttle", {"rate": "100/s", "burst": 100, "key": "message"})
    ]
    path = write(tmp_path, "{type: throttle, rate: 5/min, burst: 2, key: logger}")
    result = runner().invoke(app, ["show", "--format", "json", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["filters"] == [
        {"name": "storm", "type": "throttle", "options": {"rate": "5/min", "burst": 2, "key": "logger"}}
    ]


def test_bench_reports_what_was_throttled(tmp_path: Path) -> None:
    """`bench` counts the records a throttle dropped, apart from the queues' drops."""
    result = run_bench(
        write(tmp_path, "{type: throttle, rate: 100/h, key: logger}", queue_filters="[storm]"), records=2000
    )
    assert result.throttled == 1900 and result.dropped == 0
    assert result.filters["storm"]["passed"] == 100
    path = write(tmp_path, "{type: throttle, rate: 100/h, key: logger}", queue_filters="[storm]")
    shown = runner().invoke(app, ["bench", str(path), "-n", "1000"], env={"NO_COLOR": "1"})
    assert shown.exit_code == 0, shown.output
    assert re.search(r"^throttled +900 +by throttle filters", shown.stdout, re.M), shown.stdout
    plain = runner().invoke(app, ["bench", str(write(tmp_path, "{type: throttle, rate: 1/s}")), "-n", "10"])
    assert "throttled" not in plain.stdout


def test_the_operating_guide_example_is_valid() -> None:
    """The profile of "Throttling a log storm" in docs/operating.md validates."""
    text = (REPO / "docs" / "operating.md").read_text(encoding="utf-8")
    section = text.split("## Throttling a log storm", 1)[1]
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    assert block.startswith("version: 1")
    result = validate_document(read_text(block, "operating.md", environ={}))
    assert result.ok, [str(p) for p in result.problems]
    throttles: dict[str, Any] = {n: f for n, f in result.profile.filters.items() if f.type == "throttle"}
    assert throttles


def test_a_stop_inside_the_filter_does_not_deadlock() -> None:
    """A signal handler that interrupted `filter` (its lock held by this thread) can still sum up."""
    sent: list[logging.LogRecord] = []
    throttle = ThrottleFilter(parse_rate("1/h"), clock=Clock(), emit=sent.append)
    assert [throttle.filter(record()) for _ in range(3)] == [True, False, False]
    with throttle._lock:  # as if interrupted between two bytecodes of filter()
        assert throttle.emit_summaries() == 1
    assert [s.throttled for s in sent] == [2]
