"""Processes that end without stop(): nothing queued is lost unless the process is killed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness import bare_profile, numbers, run_child, whole_lines

pytestmark = pytest.mark.timeout(90)


def profile(folder: Path, *, batch_size: int = 1024, sinks: str = "") -> Path:
    """One unbounded thread queue into a bare-message file: the listener may lag far behind."""
    return bare_profile(folder, log_name="out.log", more_sinks=sinks, batch_size=batch_size)


def test_exit_without_stop_writes_every_record(tmp_path: Path) -> None:
    """A program that logs from two threads and returns without stop() has every record on disk."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, threading, logboot
        logboot.setup_logging(sys.argv[1])
        log = logging.getLogger("app")
        def worker():
            for seq in range(10_000, 20_000):
                log.info("record %d", seq)
        thread = threading.Thread(target=worker)
        thread.start()
        for seq in range(10_000):
            log.info("record %d", seq)
        thread.join()
        """,
        str(profile(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    assert sorted(numbers(whole_lines(tmp_path / "out.log"))) == list(range(20_000))
    assert done.stderr == ""


def test_sys_exit_in_a_worker_thread_ends_only_that_thread(tmp_path: Path) -> None:
    """sys.exit() in a worker ends that thread only; its records and the main thread's are all written."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, threading, logboot
        logboot.setup_logging(sys.argv[1])
        log = logging.getLogger("app")
        def worker():
            for seq in range(5_000):
                log.info("record %d", seq)
            sys.exit(3)  # raises SystemExit in this thread; threading ends the thread quietly
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        for seq in range(5_000, 8_000):
            log.info("record %d", seq)
        """,
        str(profile(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    assert numbers(whole_lines(tmp_path / "out.log")) == list(range(8_000))


def test_sys_exit_in_the_main_thread_writes_every_record(tmp_path: Path) -> None:
    """sys.exit(4) in the main thread keeps its status, and atexit drains every record first."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, logboot
        logboot.setup_logging(sys.argv[1])
        for seq in range(20_000):
            logging.getLogger("app").info("record %d", seq)
        sys.exit(4)
        """,
        str(profile(tmp_path)),
    )
    assert done.returncode == 4, done.stderr
    assert numbers(whole_lines(tmp_path / "out.log")) == list(range(20_000))


def test_os_exit_after_flush_loses_nothing(tmp_path: Path) -> None:
    """os._exit() right after runtime.flush() skips atexit, yet every record is on disk."""
    done = run_child(
        tmp_path,
        """
        import logging, os, sys, logboot
        runtime = logboot.setup_logging(sys.argv[1])
        for seq in range(20_000):
            logging.getLogger("app").info("record %d", seq)
        flushed = runtime.flush(10.0)
        os.write(1, b"flushed\\n" if flushed else b"timed out\\n")
        os._exit(7)
        """,
        str(profile(tmp_path)),
    )
    assert (done.returncode, done.stdout) == (7, "flushed\n"), done.stderr
    assert numbers(whole_lines(tmp_path / "out.log")) == list(range(20_000))


def test_os_exit_without_flush_loses_at_most_the_queued_tail(tmp_path: Path) -> None:
    """os._exit() without flush() (documented limit) loses only records still queued (and may tear
    the line being written): the complete lines are an unbroken prefix, never a gap."""
    done = run_child(
        tmp_path,
        """
        import logging, os, sys, logboot
        runtime = logboot.setup_logging(sys.argv[1])
        for seq in range(50_000):
            logging.getLogger("app").info("record %d", seq)
        os._exit(0)
        """,
        str(profile(tmp_path, batch_size=64)),
    )
    assert done.returncode == 0, done.stderr
    written = numbers(whole_lines(tmp_path / "out.log", torn_tail=True))
    assert written == list(range(len(written)))
    assert len(written) <= 50_000


def test_stop_counts_what_a_stuck_sink_could_not_take_as_abandoned(tmp_path: Path) -> None:
    """A stop() whose deadline passes while a sink is stuck counts every queued record as abandoned."""
    (tmp_path / "stuck.py").write_text(
        "import logging, threading\n"
        "release = threading.Event()\n"
        "class Stuck(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        release.wait(30)\n"
        "def make():\n"
        "    return Stuck()\n"
    )
    path = profile(tmp_path, batch_size=1, sinks="stuck: {type: custom, factory: 'stuck:make'}")
    text = path.read_text().replace("sinks: [out]", "sinks: [stuck]")
    path.write_text("allow_custom: true\n" + text)
    done = run_child(
        tmp_path,
        """
        import json, logging, sys, time, logboot, stuck
        runtime = logboot.setup_logging(sys.argv[1])
        for seq in range(500):
            logging.getLogger("app").info("record %d", seq)
        report = runtime.stop(0.3)
        stuck.release.set()
        for _ in range(500):  # the released sink finishes its record: it is counted as late
            if runtime.stats()["queues"]["main"]["late"]:
                break
            time.sleep(0.01)
        print(json.dumps({"abandoned": report.abandoned, "clean": report.clean,
                          "queue": report.queues["main"], "after": runtime.stats()["queues"]["main"]}))
        """,
        str(path),
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    queue = result["queue"]
    # batch_size 1: the stuck sink holds one record, 499 wait in the queue; stop gives up on
    # all 500 and counts them as dropped, so enqueued == handled + dropped holds exactly.
    assert (result["abandoned"], result["clean"]) == (500, False)
    assert (queue["enqueued"], queue["handled"], queue["dropped"], queue["in_flight"]) == (500, 0, 500, 0)
    # Released afterwards, the sink writes its record: late, and the reported counts stand.
    after = result["after"]
    assert (after["handled"], after["dropped"], after["late"]) == (0, 500, 1)
    assert "did not finish draining in time" in done.stderr
