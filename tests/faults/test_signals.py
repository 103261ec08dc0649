"""shutdown.signals: SIGTERM mid-stream drains every record, then ends the process as SIGTERM would."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import logboot

from .harness import numbers, run_child, start_child, whole_lines, write_profile

pytestmark = pytest.mark.timeout(90)

LIMIT = 5_000_000  # a child that is never signalled stops here and fails the test


def profile(folder: Path, signals: str) -> Path:
    """An unbounded queue into two files (text and JSON), drained 16 records a turn, so the
    listener falls behind: it gets the GIL about once per 256 records logged (the
    producer's high-water nudge), and a faster layout no longer lets it keep up."""
    return write_profile(
        folder,
        f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
          json: {{type: json}}
        sinks:
          out: {{type: file, path: "{folder / "out.log"}", formatter: bare}}
          json: {{type: file, path: "{folder / "out.jsonl"}", formatter: json}}
        queues:
          main: {{max_size: 0}}
        listeners:
          main: {{queue: main, sinks: [out, json], batch_size: 16}}
        root: {{level: INFO, queue: main}}
        shutdown: {{timeout: 20s, signals: {signals}}}
        """,
    )


# The child counts, in a shared file, the records whose logging call has returned. It says
# "ready" once at least 500 records wait in the queue (more is up to the scheduler: on a busy
# machine the listener keeps the backlog near 1,000), then logs until it is killed.
CHILD = """
import logging, mmap, signal, sys, threading, logboot
EXACT = sys.argv[3] == "exact"
STALL = sys.argv[4] == "stall"
if EXACT:  # SIGTERM only between two records: blocked here, so threads started later inherit it
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
runtime = logboot.setup_logging(sys.argv[1])
with open(sys.argv[2], "r+b") as handle:
    done = mmap.mmap(handle.fileno(), 8)
log = logging.getLogger("app")
ready = False
for seq in range(LIMIT):
    log.info("record %d", seq)
    done[:8] = (seq + 1).to_bytes(8, "little")
    if not ready and seq % 50 == 0 and runtime.stats()["queues"]["main"]["size"] >= 500:
        ready = True
        if STALL:  # the listener stops inside its next write: what is queued from now on stays queued
            runtime.topology.sinks["out"].handler.addFilter(lambda record: threading.Event().wait())
        print("ready", flush=True)
    if EXACT:  # a pending SIGTERM is handled inside this call, between two records
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
sys.exit(3)
""".replace("LIMIT", str(LIMIT))


def terminate_mid_stream(
    folder: Path, signals: str, mode: str, *, stall: bool = False
) -> tuple[subprocess.CompletedProcess[str], int]:
    """Start the child, SIGTERM it once its queue holds a backlog; (result, records logged).
    With ``stall`` the listener stops writing at that point, so the backlog is still there
    when the signal lands (else a listener given the CPU first may write it all)."""
    counter = folder / "done.bin"
    counter.write_bytes(bytes(8))
    child = start_child(
        folder, CHILD, str(profile(folder, signals)), str(counter), mode, "stall" if stall else "flow"
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGTERM)
    stdout, stderr = child.communicate(timeout=60)
    result = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    return result, int.from_bytes(counter.read_bytes(), "little")


def check_files(folder: Path, *, torn_tail: bool = False) -> tuple[list[int], list[int]]:
    """The sequence numbers in the text file and in the JSON file, each line checked whole."""
    text = numbers(whole_lines(folder / "out.log", torn_tail=torn_tail))
    json_seqs = [
        int(json.loads(line)["message"].split()[1])
        for line in whole_lines(folder / "out.jsonl", torn_tail=torn_tail)
    ]
    return text, json_seqs


def test_sigterm_with_signals_on_writes_every_record_and_exits_143(tmp_path: Path) -> None:
    """SIGTERM between two records: every record logged is in both files, and the process
    ends killed by SIGTERM (status 143 in a shell)."""
    result, logged = terminate_mid_stream(tmp_path, "[SIGTERM]", "exact")
    assert result.returncode == -signal.SIGTERM, result.stderr
    text, json_seqs = check_files(tmp_path)
    assert text == list(range(logged))
    assert json_seqs == list(range(logged))
    assert result.stderr == ""


def test_sigterm_anywhere_in_logging_loses_nothing_logged(tmp_path: Path) -> None:
    """SIGTERM at any point (often inside a logging call, holding a queue's lock): every record
    whose call returned is written, plus at most the one in flight."""
    result, logged = terminate_mid_stream(tmp_path, "[SIGTERM]", "anywhere")
    assert result.returncode == -signal.SIGTERM, result.stderr
    text, json_seqs = check_files(tmp_path)
    assert len(text) in (logged, logged + 1)
    assert text == list(range(len(text)))
    assert json_seqs == text
    assert result.stderr == ""


def test_sigterm_with_signals_off_loses_the_queued_tail(tmp_path: Path) -> None:
    """Documented: without shutdown.signals SIGTERM kills at once; what was queued (here at least
    the 500-record backlog) is lost, and the kill may tear the last line of a write in half;
    every complete line is an unbroken prefix of the records."""
    result, logged = terminate_mid_stream(tmp_path, "[]", "exact", stall=True)
    assert result.returncode == -signal.SIGTERM, result.stderr
    text, json_seqs = check_files(tmp_path, torn_tail=True)
    assert text == list(range(len(text)))
    assert json_seqs == list(range(len(json_seqs)))
    assert len(text) < logged


def test_shell_sees_status_143(tmp_path: Path) -> None:
    """Under a shell, a child ended by logboot's re-raised SIGTERM has exit status 143."""
    script = tmp_path / "self_term.py"
    script.write_text(
        "import logging, os, signal, sys, logboot\n"
        "logboot.setup_logging(sys.argv[1])\n"
        "for seq in range(1000):\n"
        "    logging.getLogger('app').info('record %d', seq)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "sys.exit(3)\n"
    )
    done = subprocess.run(
        ["sh", "-c", f'"$0" "{script}" "{profile(tmp_path, "[SIGTERM]")}"; echo "status $?"', sys.executable],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.splitlines()[-1] == "status 143", done.stderr
    assert numbers(whole_lines(tmp_path / "out.log")) == list(range(1000))


def test_previous_handler_runs_after_every_record_is_written(tmp_path: Path) -> None:
    """With a handler installed before setup_logging, SIGTERM first flushes, then calls it."""
    done = run_child(
        tmp_path,
        """
        import logging, os, signal, sys, logboot
        def previous(signum, frame):
            with open(sys.argv[2]) as handle:
                print("previous handler saw", sum(1 for _ in handle), "lines", flush=True)
            sys.exit(5)
        signal.signal(signal.SIGTERM, previous)
        logboot.setup_logging(sys.argv[1])
        for seq in range(20_000):
            logging.getLogger("app").info("record %d", seq)
        os.kill(os.getpid(), signal.SIGTERM)
        """,
        str(profile(tmp_path, "[SIGTERM]")),
        str(tmp_path / "out.log"),
    )
    assert done.returncode == 5, done.stderr
    assert done.stdout == "previous handler saw 20000 lines\n"
    assert numbers(whole_lines(tmp_path / "out.log")) == list(range(20_000))


def test_sigint_flushes_then_raises_keyboard_interrupt(tmp_path: Path) -> None:
    """SIGINT (Python's own handler before setup): flush, then KeyboardInterrupt as usual."""
    done = run_child(
        tmp_path,
        """
        import logging, os, signal, sys, logboot
        logboot.setup_logging(sys.argv[1])
        try:
            for seq in range(20_000):
                logging.getLogger("app").info("record %d", seq)
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            with open(sys.argv[2]) as handle:
                print("KeyboardInterrupt after", sum(1 for _ in handle), "lines")
        """,
        str(profile(tmp_path, "[SIGINT]")),
        str(tmp_path / "out.log"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "KeyboardInterrupt after 20000 lines\n"


def test_ignored_signal_stays_ignored(tmp_path: Path) -> None:
    """A signal the process ignored before setup (nohup's SIGHUP) is left ignored."""
    done = run_child(
        tmp_path,
        """
        import logging, os, signal, sys, logboot
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        runtime = logboot.setup_logging(sys.argv[1])
        print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN)
        os.kill(os.getpid(), signal.SIGHUP)
        logging.getLogger("app").info("record %d", 0)
        """,
        str(profile(tmp_path, "[SIGHUP]")),
    )
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr
    assert numbers(whole_lines(tmp_path / "out.log")) == [0]


def test_stop_restores_the_previous_handlers(tmp_path: Path) -> None:
    """setup_logging installs the handlers; a replacing runtime takes them over; stop() puts back
    the ones found first."""

    def previous(signum: int, frame: object) -> None:
        """A stand-in for an application's handler."""

    original = signal.signal(signal.SIGTERM, previous)
    try:
        first = logboot.setup_logging(profile(tmp_path, "[SIGTERM]"))
        assert signal.getsignal(signal.SIGTERM) == first._signals.handle  # type: ignore[union-attr]
        second = logboot.setup_logging(profile(tmp_path, "[SIGTERM]"))
        assert second._signals is not None
        assert signal.getsignal(signal.SIGTERM) == second._signals.handle
        assert second._signals.previous[signal.SIGTERM] is previous
        assert first.stop().already_stopped
        second.stop()
        assert signal.getsignal(signal.SIGTERM) is previous
    finally:
        signal.signal(signal.SIGTERM, original)


def test_signals_are_not_armed_outside_the_main_thread(tmp_path: Path) -> None:
    """setup_logging from another thread leaves the signal handlers alone."""
    before = signal.getsignal(signal.SIGTERM)
    runtimes: list[logboot.Runtime] = []
    thread = threading.Thread(
        target=lambda: runtimes.append(logboot.setup_logging(profile(tmp_path, "[SIGTERM]")))
    )
    thread.start()
    thread.join()
    assert runtimes[0]._signals is None
    assert signal.getsignal(signal.SIGTERM) is before
    runtimes[0].stop()
