"""A signal handler that logs, firing thousands of times while the main thread logs: no deadlock,
and every record is written exactly once, whole, or counted as dropped."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from conftest import GatedSink, wait_until

from logboot.core.reporting import ErrorReporter
from logboot.runtime.handler import QueueHandler
from logboot.runtime.listener import Listener, ListenerSink
from logboot.runtime.queues import ThreadQueue

from .harness import bare_profile, run_child, whole_lines

pytestmark = pytest.mark.timeout(120)

BOUND = 40.0  # seconds: a child still running then has deadlocked (a healthy one takes about one)
ALARMS = 3000  # handler records each child logs, at least
RECORDS = 20_000  # main-loop records each child logs, at least
INTERVAL = 0.0001  # seconds between two SIGALRMs

# The main thread logs in a tight loop while SIGALRM fires every INTERVAL; the handler logs
# one record each time. Handlers nest (a signal can interrupt a handler), so they number
# their records with an atomic counter. When the loop ends the timer stops; a signal still
# pending is handled at once, before the runtime stops.
LOGGING_CHILD = """
import itertools, json, logging, signal, sys, time, logboot
runtime = logboot.setup_logging(sys.argv[1])
numbers = itertools.count()
fired = []
alarm_log = logging.getLogger("alarm")

def on_alarm(signum, frame):
    seq = next(numbers)
    alarm_log.info("alarm %d", seq)
    fired.append(seq)

signal.signal(signal.SIGALRM, on_alarm)
log = logging.getLogger("app")
give_up = time.monotonic() + 20
records = 0
# The first record with an int argument runs a cold abc check (LogRecord asks whether the
# argument is a Mapping) that can outlast INTERVAL on a loaded machine; every nested handler
# then restarts it and none finishes: a livelock of the timer, not a deadlock. Warm it first.
logging.LogRecord("warm", logging.INFO, __file__, 0, "%d", (0,), None)
signal.setitimer(signal.ITIMER_REAL, INTERVAL, INTERVAL)
while (records < RECORDS or len(fired) < ALARMS) and time.monotonic() < give_up:
    log.info("record %d", records)
    records += 1
signal.setitimer(signal.ITIMER_REAL, 0)
report = runtime.stop()
print(json.dumps({"records": records, "alarms": len(fired), "queue": dict(report.queues["main"])}))
"""


def child_script(body: str) -> str:
    return (
        body.replace("INTERVAL", repr(INTERVAL))
        .replace("ALARMS", str(ALARMS))
        .replace("RECORDS", str(RECORDS))
    )


def profile(folder: Path, queue: str) -> Path:
    """One queue (``queue`` is its YAML mapping) into a file of bare messages."""
    return bare_profile(folder, log_name="out.log", queue=queue, batch_size=64)


def run_bounded(folder: Path, body: str, *args: str) -> dict[str, Any]:
    """Run a child script; fail (naming the deadlock) if it does not end within BOUND."""
    try:
        result = run_child(folder, child_script(body), *args, timeout=BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child deadlocked: still running after {BOUND:g}s (killed)")
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return outcome


def written(path: Path) -> dict[str, list[int]]:
    """The sequence numbers of the records in the file, by kind; every line must be whole."""
    found: dict[str, list[int]] = {"record": [], "alarm": []}
    for line in whole_lines(path):
        kind, _, number = line.partition(" ")
        assert kind in found and number.isdigit(), f"not a whole record: {line!r}"
        found[kind].append(int(number))
    return found


def check_every_record(found: dict[str, list[int]], logged: dict[str, int], dropped: int) -> None:
    """Each written record is one that was logged, written once; the rest were counted as dropped."""
    for kind, numbers in found.items():
        duplicates = [n for n, times in Counter(numbers).items() if times > 1]
        assert duplicates == [], f"{kind} records written twice: {duplicates[:10]}"
        assert set(numbers) <= set(range(logged[kind])), f"{kind} numbers out of range"
    missing = sum(logged.values()) - sum(len(numbers) for numbers in found.values())
    assert missing == dropped


QUEUES = {
    "thread, unbounded": "{kind: thread, max_size: 0}",
    "process, unbounded": "{kind: process, max_size: 0}",
    "thread, block": "{kind: thread, max_size: 16, overflow: block}",
    "thread, block with a timeout": "{kind: thread, max_size: 16, overflow: block, block_timeout: 50ms}",
    "thread, drop_newest": "{kind: thread, max_size: 16, overflow: drop_newest}",
    "thread, drop_oldest": "{kind: thread, max_size: 16, overflow: drop_oldest}",
    "process, block": "{kind: process, max_size: 16, overflow: block}",
}


@pytest.mark.parametrize("queue", QUEUES.values(), ids=QUEUES.keys())
def test_a_signal_handler_that_logs_never_deadlocks_and_loses_nothing(tmp_path: Path, queue: str) -> None:
    """A SIGALRM handler that logs, firing thousands of times into a logging main thread,
    never deadlocks; every record is written once, whole, or counted as dropped."""
    outcome = run_bounded(tmp_path, LOGGING_CHILD, str(profile(tmp_path, queue)))
    logged = {"record": outcome["records"], "alarm": outcome["alarms"]}
    stats = outcome["queue"]
    assert logged["alarm"] >= ALARMS and logged["record"] >= RECORDS
    assert stats["enqueued"] == sum(logged.values())
    assert stats["enqueued"] == stats["handled"] + stats["dropped"]
    found = written(tmp_path / "out.log")
    assert sum(len(numbers) for numbers in found.values()) == stats["handled"]
    check_every_record(found, logged, stats["dropped"])
    assert stats["reentrant"] + stats["dropped_reentrant"] > 0  # signals did land inside puts
    assert "max_size: 16" not in queue or stats["peak"] <= 16  # never past max_size, aside or not
    if "max_size: 0" in queue:
        assert stats["dropped"] == 0  # room for every record: nothing is dropped
    elif "overflow: block}" in queue:
        assert stats["dropped"] == stats["dropped_reentrant"]  # only what no put could wait for


# A child attached to this process's queue (its records cross a pipe of its own) logs in a
# tight loop while its SIGALRM handler logs too; the parent counts what arrives.
PARENT = """
import base64, json, pickle, subprocess, sys, logboot
runtime = logboot.setup_logging(sys.argv[1])
handle = base64.b64encode(pickle.dumps(runtime.process_handle())).decode()
try:
    command = [sys.executable, "child_side.py", handle]
    child = subprocess.run(command, capture_output=True, text=True, timeout=BOUND)
except subprocess.TimeoutExpired:
    print("the attached child deadlocked", file=sys.stderr)
    sys.exit(2)
assert child.returncode == 0, child.stderr
report = runtime.stop()
print(json.dumps({"child": json.loads(child.stdout), "queue": dict(report.queues["main"])}))
""".replace("BOUND", repr(BOUND - 10))

ATTACHED_CHILD = LOGGING_CHILD.replace(
    "runtime = logboot.setup_logging(sys.argv[1])",
    "import base64, pickle\nruntime = logboot.attach(pickle.loads(base64.b64decode(sys.argv[1])))",
).replace('"queue": dict(report.queues["main"])', '"channel": runtime.topology.channels["main"].stats()')


def test_a_signal_handler_in_an_attached_child_never_cuts_a_frame(tmp_path: Path) -> None:
    """A child's SIGALRM handler that logs while the child is writing a frame to its parent
    never deadlocks the child; every record of both arrives once, whole."""
    (tmp_path / "child_side.py").write_text(child_script(ATTACHED_CHILD), encoding="utf-8")
    outcome = run_bounded(tmp_path, PARENT, str(profile(tmp_path, "{kind: process, max_size: 0}")))
    child, stats = outcome["child"], outcome["queue"]
    logged = {"record": child["records"], "alarm": child["alarms"]}
    assert logged["alarm"] >= ALARMS and logged["record"] >= RECORDS
    assert child["channel"] == {"kind": "process", "sent": sum(logged.values()), "dropped": 0, "pending": 0}
    assert stats["enqueued"] == stats["handled"] == sum(logged.values())
    assert (stats["dropped"], stats["corrupt_frames"], stats["partial_frames"]) == (0, 0, 0)
    check_every_record(written(tmp_path / "out.log"), logged, 0)


# --- the same paths, one signal at a time, in this process ---------------------------------


@pytest.fixture
def logger_of() -> Iterator[Callable[[ThreadQueue], logging.Logger]]:
    """A logger that puts its records on a given queue through logboot's QueueHandler."""
    logger = logging.getLogger("reentrancy")
    logger.propagate = False
    logger.setLevel(logging.INFO)

    def attach(queue: ThreadQueue) -> logging.Logger:
        logger.handlers = [QueueHandler(queue, "main")]
        return logger

    yield attach
    logger.handlers = []
    logger.propagate = True


@pytest.fixture
def on_sigusr1() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Install a SIGUSR1 handler that runs a given function; restore the original afterwards."""
    original = signal.getsignal(signal.SIGUSR1)

    def install(action: Callable[[], None]) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            action()

        signal.signal(signal.SIGUSR1, handler)

    yield install
    signal.signal(signal.SIGUSR1, original)


def log_alarms(log: logging.Logger, count: int) -> None:
    for n in range(count):
        log.info("alarm %d", n)


def messages(batch: Any) -> list[str]:
    return [record.msg for record in batch]


def test_a_record_logged_inside_the_queue_section_goes_aside_then_in_order(
    logger_of: Callable[[ThreadQueue], logging.Logger], on_sigusr1: Callable[[Callable[[], None]], None]
) -> None:
    """A handler that logs while this thread is inside the queue's section does not wait: its
    record is put aside, counted as enqueued at once, and queued before any later record."""
    queue = ThreadQueue("q")
    log = logger_of(queue)
    on_sigusr1(lambda: log.info("alarm"))
    log.info("first")
    with queue._section():
        signal.raise_signal(signal.SIGUSR1)
        assert (queue.stats()["enqueued"], queue.size()) == (2, 2)
    log.info("last")
    assert messages(queue.take(10)) == ["first", "alarm", "last"]
    queue.done(3)
    stats = queue.stats()
    assert (stats["enqueued"], stats["handled"], stats["dropped"], stats["reentrant"]) == (3, 3, 0, 1)


def test_a_record_logged_inside_the_section_of_a_full_queue_is_refused_and_counted(
    logger_of: Callable[[ThreadQueue], logging.Logger], on_sigusr1: Callable[[Callable[[], None]], None]
) -> None:
    """Inside the section the queue cannot make room: past max_size (one place kept for the
    interrupted put) a handler's record is dropped and counted, and the queue stays in bounds."""
    queue = ThreadQueue("q", 3, "block")
    log = logger_of(queue)
    on_sigusr1(lambda: log_alarms(log, 3))
    with queue._section():
        signal.raise_signal(signal.SIGUSR1)
    stats = queue.stats()
    assert (stats["enqueued"], stats["size"], stats["dropped"], stats["dropped_reentrant"]) == (3, 2, 1, 1)
    assert messages(queue.take(10)) == ["alarm 0", "alarm 1"]
    queue.done(2)
    queue.close()
    with queue._section():
        signal.raise_signal(signal.SIGUSR1)  # closed: refused and counted too
    stats = queue.stats()
    assert (stats["enqueued"], stats["handled"], stats["dropped"], stats["dropped_reentrant"]) == (6, 2, 4, 4)


def test_a_record_logged_inside_a_replaced_queue_goes_to_its_successor(
    logger_of: Callable[[ThreadQueue], logging.Logger], on_sigusr1: Callable[[Callable[[], None]], None]
) -> None:
    """A handler that logs inside the section of a queue closed by a replacement reaches the new queue."""
    old, new = ThreadQueue("old"), ThreadQueue("new")
    log = logger_of(old)
    on_sigusr1(lambda: log.info("alarm"))
    old.close()
    old.successor = new
    with old._section():
        signal.raise_signal(signal.SIGUSR1)
    assert (old.stats()["enqueued"], messages(new.take(10))) == (0, ["alarm"])


def test_a_handler_that_interrupts_a_wait_for_room_waits_its_turn(
    logger_of: Callable[[ThreadQueue], logging.Logger], on_sigusr1: Callable[[Callable[[], None]], None]
) -> None:
    """A handler that logs while this thread waits for room in a full `block` queue waits too
    (the wait lets the lock go), and every record is written, the handler's in its place."""
    queue = ThreadQueue("q", 1, "block")
    sink = GatedSink()
    listener = Listener("q", queue, [ListenerSink("gated", sink)])
    listener.start()
    log = logger_of(queue)
    on_sigusr1(lambda: log.info("alarm"))
    main = threading.get_ident()

    def interrupt_the_wait() -> None:
        wait_until(lambda: queue._blocked == 1)
        signal.pthread_kill(main, signal.SIGUSR1)
        wait_until(lambda: queue._blocked == 2)  # the handler waits inside the wait it interrupted
        sink.gate.set()

    log.info("0")
    assert sink.entered.wait(10)  # the listener holds "0" at the gate
    log.info("1")  # fills the queue
    helper = threading.Thread(target=interrupt_the_wait)
    helper.start()
    log.info("2")  # waits for room; SIGUSR1 arrives meanwhile
    helper.join()
    assert listener.stop(time.monotonic() + 10)
    assert sink.lines == ["0", "1", "alarm", "2"]
    stats = queue.stats()
    assert (stats["enqueued"], stats["handled"], stats["dropped"]) == (4, 4, 0)


def test_the_listener_never_waits_for_a_flush_that_a_handler_interrupted(
    logger_of: Callable[[ThreadQueue], logging.Logger], on_sigusr1: Callable[[Callable[[], None]], None]
) -> None:
    """A handler that logs several records into a full `block` queue while this thread holds
    the flush's progress lock completes: the listener does not wait for that lock."""
    queue = ThreadQueue("q", 1, "block")
    sink = GatedSink(gated=False)
    listener = Listener("q", queue, [ListenerSink("out", sink)])
    listener.start()
    log = logger_of(queue)
    on_sigusr1(lambda: log_alarms(log, 4))
    flushed: list[bool] = []
    flusher = threading.Thread(target=lambda: flushed.append(queue.wait_for(4, time.monotonic() + 10)))
    flusher.start()
    wait_until(lambda: queue._flush_waiters == 1)
    with queue._progress:  # as the main thread does inside flush(), between two waits
        signal.raise_signal(signal.SIGUSR1)
    flusher.join()
    assert listener.stop(time.monotonic() + 10)
    assert (flushed, sink.lines) == ([True], [f"alarm {n}" for n in range(4)])


# After a fork, a thread queue's records are written by the child itself (its listener thread
# did not fork): the SIGALRM handler's records must not deadlock that synchronous path either.
FORKED_CHILD = (
    LOGGING_CHILD.replace(
        'log = logging.getLogger("app")',
        "import os\nforked = os.fork()\nif forked:\n"
        "    _, status = os.waitpid(forked, 0)\n"
        "    runtime.stop()\n"
        "    sys.exit(os.waitstatus_to_exitcode(status))\n"
        'log = logging.getLogger("app")',
    )
    .replace("report = runtime.stop()\n", "")
    .replace(', "queue": dict(report.queues["main"])', "")
    + "sys.stdout.flush()\nos._exit(0)\n"
)


def test_a_signal_handler_in_a_forked_child_never_deadlocks_its_direct_writes(tmp_path: Path) -> None:
    """In a forked child (thread queue: written directly, under a lock), a SIGALRM handler
    that logs while a record is being written never deadlocks; every record is written once."""
    outcome = run_bounded(tmp_path, FORKED_CHILD, str(profile(tmp_path, "{kind: thread, max_size: 0}")))
    logged = {"record": outcome["records"], "alarm": outcome["alarms"]}
    assert logged["alarm"] >= ALARMS and logged["record"] >= RECORDS
    found = written(tmp_path / "out.log")
    check_every_record(found, logged, 0)


def test_an_error_reported_from_a_handler_inside_a_report_is_not_a_deadlock() -> None:
    """A sink error reported by a signal handler that interrupted this thread's own report
    (inside its lock) is reported, not waited for forever."""
    reporter = ErrorReporter("sink 'x'", interval=0.0)
    outcome: list[bool] = []

    def nested_report() -> None:
        with reporter._lock:  # where a handler interrupting report() finds the lock
            outcome.append(reporter.report(ValueError("raised in a signal handler")))

    thread = threading.Thread(target=nested_report, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome == [True]
