"""Graceful shedding: while a queue is `shed_at` full, records below `shed_below` are dropped
and counted as shed; the others follow `overflow`, so the records that explain an incident
survive it."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from pathlib import Path

import pytest
from clirunner import runner
from conftest import REPO, Gate, file_profile, wait_until

import logboot
from logboot.cli.commands import app
from logboot.errors import ProfileError
from logboot.runtime.queues import ThreadQueue

pytestmark = pytest.mark.timeout(60)


def record(level: int, message: str = "m") -> logging.LogRecord:
    return logging.LogRecord("app", level, __file__, 1, message, None, None)


def test_below_the_mark_nothing_is_shed() -> None:
    """Under `shed_at` full every record is queued, whatever its level."""
    queue = ThreadQueue("q", max_size=10, shed_below=logging.WARNING, shed_at=0.8)
    assert all(queue.put(record(logging.DEBUG)) for _ in range(8))
    assert queue.stats()["shed"] == 0 and queue.size() == 8


def test_at_the_mark_low_records_are_shed_and_the_others_follow_overflow() -> None:
    """At 8 of 10, DEBUG and INFO are shed; WARNING fills the rest, then meets `drop_newest`."""
    queue = ThreadQueue("q", max_size=10, overflow="drop_newest", shed_below=logging.WARNING, shed_at=0.8)
    for _ in range(8):
        queue.put(record(logging.INFO))
    assert not queue.put(record(logging.INFO)) and not queue.put(record(logging.DEBUG))
    assert queue.put(record(logging.WARNING)) and queue.put(record(logging.ERROR))
    assert not queue.put(record(logging.CRITICAL))  # full: the overflow policy decides
    stats = queue.stats()
    assert (stats["shed"], stats["dropped"], stats["enqueued"], stats["size"]) == (2, 3, 13, 10)
    assert stats["shed_below"] == logging.WARNING


def test_the_mark_is_rounded_up_and_never_zero() -> None:
    """`shed_at` of a tiny queue still leaves room: 0.1 of 3 records sheds from the first record queued."""
    queue = ThreadQueue("q", max_size=3, shed_below=logging.INFO, shed_at=0.1)
    assert queue.put(record(logging.DEBUG))  # empty: below the mark of 1
    assert not queue.put(record(logging.DEBUG))
    assert queue.put(record(logging.INFO))
    assert queue.stats()["shed"] == 1


def test_a_custom_level_between_the_standard_ones_is_compared_by_number() -> None:
    """Level 25 is shed below WARNING (30) and kept below INFO (20)."""
    queue = ThreadQueue("q", max_size=1, shed_below=logging.WARNING, shed_at=1.0)
    queue.put(record(logging.ERROR))
    assert not queue.put(record(25))
    assert queue.stats()["shed"] == 1


def test_a_closed_queue_forwards_instead_of_shedding() -> None:
    """A record racing a reconfigure goes to the successor queue, never shed by the old one."""
    old = ThreadQueue("q", max_size=2, shed_below=logging.WARNING, shed_at=0.5)
    new = ThreadQueue("q", max_size=10)
    old.put(record(logging.INFO))
    old.successor = new
    old.close()
    assert old.put(record(logging.DEBUG))
    assert new.size() == 1 and old.stats()["shed"] == 0


LEVELS = [logging.DEBUG, logging.INFO, logging.INFO, logging.WARNING, logging.INFO, logging.ERROR]


def test_a_burst_into_a_slow_sink_loses_no_warning_or_error(tmp_path: Path) -> None:
    """4 threads log 3,000 mixed records each while the sink is held: DEBUG and INFO are shed,
    every WARNING and ERROR is written once, and the counts add up exactly."""
    log = tmp_path / "out.log"
    profile = tmp_path / "p.yaml"
    profile.write_text(
        file_profile(log, queue="{max_size: 200, overflow: block, shed_below: WARNING, shed_at: 0.5}"),
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(profile)
    gate = Gate()
    runtime.topology.sinks["out"].handler.addFilter(gate)
    logger = logging.getLogger("app.burst")
    per_thread = 3000

    def burst(thread: int) -> None:
        for n in range(per_thread):
            level = LEVELS[n % len(LEVELS)]
            logger.log(level, "%s %d %d", logging.getLevelName(level), thread, n)

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    queue = runtime.topology.queues["main"]
    wait_until(lambda: queue.stats()["shed"] > 0 and queue._blocked > 0)  # shedding, and WARNINGs waiting
    gate.opened.set()
    for thread in threads:
        thread.join(30)
    report = runtime.stop()

    written = Counter()
    seen: set[tuple[str, int, int]] = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        name, thread_text, n_text = line.split(" ")
        key = (name, int(thread_text), int(n_text))
        assert key not in seen, f"written twice: {line!r}"
        assert logging.getLevelName(LEVELS[key[2] % len(LEVELS)]) == name, f"not a record logged: {line!r}"
        seen.add(key)
        written[name] += 1
    logged = Counter(
        logging.getLevelName(LEVELS[n % len(LEVELS)]) for _ in range(4) for n in range(per_thread)
    )
    stats = report.queues["main"]
    assert written["WARNING"] == logged["WARNING"] and written["ERROR"] == logged["ERROR"]
    assert stats["shed"] == logged["DEBUG"] + logged["INFO"] - written["DEBUG"] - written["INFO"] > 0
    assert stats["dropped"] == stats["shed"] and stats["enqueued"] == 4 * per_thread
    assert stats["handled"] == sum(written.values()) == stats["enqueued"] - stats["dropped"]


def test_the_summary_at_stop_names_what_was_shed(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The stop's summary line counts the shed records and says below which level, at what fill."""
    profile = tmp_path / "p.yaml"
    profile.write_text(
        file_profile(tmp_path / "out.log", queue="{max_size: 4, shed_below: ERROR, shed_at: 0.5}"),
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(profile)
    gate = Gate()
    runtime.topology.sinks["out"].handler.addFilter(gate)
    log = logging.getLogger("app")
    log.info("taken by the listener, held at the gate")
    assert gate.entered.wait(10)
    for n in range(5):
        log.warning("w%d", n)
    gate.opened.set()
    report = runtime.stop()
    assert report.queues["main"]["shed"] == 3
    assert (
        "logboot: queue 'main' dropped 3 of 6 records (overflow: block, max_size: 4, "
        "3 shed below ERROR at 50% full)"
    ) in capfd.readouterr().err


@pytest.mark.parametrize(
    ("queue", "problem"),
    [
        (
            "{max_size: 0, shed_below: WARNING}",
            "queues.main: `shed_below` needs a bounded queue: set `max_size` (0 = unbounded never fills)",
        ),
        (
            "{max_size: 10, shed_at: 0.5}",
            "queues.main: `shed_at` applies only with `shed_below` (the level below which records are shed)",
        ),
        (
            "{max_size: 10, shed_below: WARNING, shed_at: 1.5}",
            "queues.main.shed_at: expected a number <= 1.0, got 1.5",
        ),
        (
            "{max_size: 10, shed_below: WARNING, shed_at: 0}",
            "queues.main.shed_at: expected a number > 0.0, got 0",
        ),
        ("{max_size: 10, shed_below: WARN1NG}", "queues.main.shed_below: expected one of"),
    ],
)
def test_a_shedding_setting_that_cannot_work_is_refused_where_it_is_written(
    tmp_path: Path, queue: str, problem: str
) -> None:
    """Each wrong setting is reported with its file, line and key."""
    profile = tmp_path / "p.yaml"
    profile.write_text(file_profile(tmp_path / "out.log", queue=queue), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        logboot.load_profile(profile)
    assert f"{profile}:7:" in str(caught.value) and problem in str(caught.value)


def test_show_and_a_cached_start_carry_the_shedding(tmp_path: Path) -> None:
    """`logboot show` says what a queue sheds, and a cached start builds the same queue."""
    profile = tmp_path / "p.yaml"
    profile.write_text(
        file_profile(tmp_path / "out.log", queue="{max_size: 100, shed_below: WARNING}"), encoding="utf-8"
    )
    shown = runner().invoke(app, ["show", str(profile)])
    assert shown.exit_code == 0 and "sheds below WARNING at 80% full" in shown.stdout
    for _ in range(2):  # the second start reads the cache
        runtime = logboot.setup_logging(profile)
        queue = runtime.topology.queues["main"]
        assert (queue.shed_below, queue.shed_at) == (logging.WARNING, 0.8)
        runtime.stop()


def test_the_operating_guide_example_sheds_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The profile of "Shedding under load" in docs/operating.md, run as the guide describes
    (two threads, 6,000 records each, one in ten a WARNING, the sink held): every WARNING is
    written, the rest is shed or written, and the stop prints the documented line."""
    section = (
        (REPO / "docs" / "operating.md").read_text(encoding="utf-8").split("## Shedding under load", 1)[1]
    )
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    documented = re.findall(r"```\n(logboot: queue .*?)\n```", section, re.S)[0]
    (tmp_path / "prod.yaml").write_text(block, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_DIR", raising=False)
    runtime = logboot.setup_logging("prod.yaml")
    gate = Gate()
    runtime.topology.sinks["app"].handler.addFilter(gate)
    log = logging.getLogger("app.guide")

    def produce(thread: int) -> None:
        for n in range(6000):
            (log.warning if n % 10 == 0 else log.info)("%d %d", thread, n)

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(2)]
    for thread in threads:
        thread.start()
    queue = runtime.topology.queues["main"]
    wait_until(lambda: queue.stats()["shed"] > 0, timeout=30)
    gate.opened.set()
    for thread in threads:
        thread.join(30)
    report = runtime.stop()
    lines = (tmp_path / "logs" / "app.log").read_text(encoding="utf-8").splitlines()
    written = {
        tuple(int(part) for part in line.split()[-2:]) for line in lines
    }  # the message: "<thread> <n>"
    assert len(written) == len(lines)  # none twice
    assert {(t, n) for t in range(2) for n in range(0, 6000, 10)} <= written  # every WARNING
    shed = report.queues["main"]["shed"]
    assert shed == report.queues["main"]["dropped"] == 12000 - len(lines) > 0
    pattern = re.escape(documented).replace("3366", r"\d+")
    assert re.search(pattern, capfd.readouterr().err), documented
    shown = runner().invoke(app, ["show", "prod.yaml"], env={"NO_COLOR": "1"})
    assert "sheds below WARNING at 80% full" in shown.stdout
