"""Logging while the interpreter shuts down: from __del__, late atexit hooks and daemon threads,
after logboot has stopped and closed its sinks. Nothing raises into the application."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .harness import bare_profile, numbers, run_child, whole_lines

pytestmark = pytest.mark.timeout(60)


def test_late_records_never_raise_and_closed_sinks_never_reopen(tmp_path: Path) -> None:
    """Records logged after the atexit stop (from a late atexit hook, a __del__ at teardown, a kept
    QueueHandler, a closed sink used directly) raise nothing; the closed file is not reopened."""
    done = run_child(
        tmp_path,
        """
        import atexit, logging, os, sys, logboot

        def late(record_name):
            return logging.LogRecord("app", logging.WARNING, "child.py", 1, record_name, None, None)

        def after_logboot():  # registered first, so it runs after logboot's own hook (LIFO)
            os.rename(sys.argv[2], sys.argv[2] + ".moved")  # a reopen would create the file again
            logging.getLogger("app").warning("late atexit record")  # the restored root: lastResort
            queue_handler.handle(late("late queued record"))  # the queue is closed: counted, dropped
            sink.handle(late("late direct record"))  # the sink is closed: never reopened
            logging.shutdown()  # flush and close every handler again

        atexit.register(after_logboot)
        runtime = logboot.setup_logging(sys.argv[1])
        queue_handler = logging.getLogger().handlers[0]
        sink = runtime.topology.sinks["out"].handler

        class LogsWhenCollected:
            def __del__(self):
                logging.getLogger("app").warning("record from __del__")
                queue_handler.handle(late("del queued record"))
                sink.handle(late("del direct record"))

        keep = LogsWhenCollected()  # collected at interpreter teardown
        loop = LogsWhenCollected()
        loop.self = loop  # a cycle: collected by the last garbage collection
        for seq in range(5_000):
            logging.getLogger("app").info("record %d", seq)
        """,
        str(bare_profile(tmp_path)),
        str(tmp_path / "app.log"),
    )
    assert done.returncode == 0, done.stderr
    assert numbers(whole_lines(tmp_path / "app.log.moved")) == list(range(5_000))
    assert not (tmp_path / "app.log").exists()
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert "late atexit record" in done.stderr  # what was there before logboot: lastResort
    assert done.stderr.count("a record arrived after the sink was closed; dropped") == 1


def test_daemon_thread_logging_through_shutdown(tmp_path: Path) -> None:
    """A daemon thread still logging while the program ends: no error reaches it or the program, and
    what was written is an unbroken prefix of whole lines. Records logged after the atexit stop go
    to the configuration that was there before (here none); one caught in between is counted."""
    done = run_child(
        tmp_path,
        """
        import logging, sys, threading, logboot
        logboot.setup_logging(sys.argv[1])
        started = threading.Event()
        def chatter():
            seq = 0
            while True:
                logging.getLogger("app").info("record %d", seq)
                seq += 1
                if seq == 10_000:
                    started.set()
        threading.Thread(target=chatter, daemon=True).start()
        started.wait(30)
        """,
        str(bare_profile(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    written = numbers(whole_lines(tmp_path / "app.log"))
    assert written == list(range(len(written)))
    assert len(written) >= 10_000
    if done.stderr:  # a record that got the handler before the stop and the queue after it
        summary = re.fullmatch(
            r"logboot: queue 'main' dropped (\d+) of (\d+) records \(overflow: block, max_size: 0\)\n",
            done.stderr,
        )
        assert summary, done.stderr
        dropped, enqueued = map(int, summary.groups())
        assert enqueued - dropped == len(written)
