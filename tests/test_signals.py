"""The signal guard in this process: chaining, deferral while a lock is held, and disarming."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from conftest import file_profile

import logboot
from logboot.runtime.signals import SignalGuard

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def previous_handler() -> Iterator[list[int]]:
    """Install a recording SIGHUP handler; restore the original afterwards."""
    calls: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        calls.append(signum)

    original = signal.signal(signal.SIGHUP, record)
    yield calls
    signal.signal(signal.SIGHUP, original)


def hup_profile(tmp_path: Path, write_profile: Callable[..., Path]) -> Path:
    return write_profile(file_profile(tmp_path / "out.log", extra="shutdown: {signals: [SIGHUP]}\n"))


def test_signal_flushes_then_chains(
    tmp_path: Path, write_profile: Callable[..., Path], previous_handler: list[int]
) -> None:
    """On SIGHUP with a Python handler before setup: everything queued is written, then it runs."""
    lines_seen: list[int] = []
    previous_handler_fn = signal.getsignal(signal.SIGHUP)
    assert callable(previous_handler_fn)

    def counting(signum: int, frame: FrameType | None) -> None:
        lines_seen.append(len((tmp_path / "out.log").read_text().splitlines()))
        previous_handler_fn(signum, frame)

    signal.signal(signal.SIGHUP, counting)
    runtime = logboot.setup_logging(hup_profile(tmp_path, write_profile))
    for seq in range(5000):
        logging.getLogger("app").info("record %d", seq)
    signal.raise_signal(signal.SIGHUP)
    assert (lines_seen, previous_handler) == ([5000], [signal.SIGHUP])
    assert runtime.running
    runtime.stop()
    assert signal.getsignal(signal.SIGHUP) is counting


def test_signal_while_main_thread_holds_a_queue_lock_is_taken_again(
    tmp_path: Path, write_profile: Callable[..., Path], previous_handler: list[int]
) -> None:
    """A signal that arrives while this thread holds the queue's lock is deferred (no deadlock),
    then handled once the lock is free."""
    runtime = logboot.setup_logging(hup_profile(tmp_path, write_profile))
    guard = runtime._signals
    assert guard is not None
    handled = threading.Event()
    chained = guard.previous[signal.SIGHUP]
    assert callable(chained)

    def note(signum: int, frame: FrameType | None) -> None:
        chained(signum, frame)
        handled.set()

    guard.previous[signal.SIGHUP] = note
    queue = runtime.topology.queues["main"]
    with queue._lock:
        signal.raise_signal(signal.SIGHUP)
        assert (guard.deferred, previous_handler) == (1, [])
    assert handled.wait(10)  # the retry arrives while this thread waits here
    assert previous_handler == [signal.SIGHUP]
    runtime.stop()


def test_disarm_outside_the_main_thread_steps_aside(
    tmp_path: Path, write_profile: Callable[..., Path], previous_handler: list[int]
) -> None:
    """stop() from another thread cannot touch handlers: the guard then just passes signals on."""
    runtime = logboot.setup_logging(hup_profile(tmp_path, write_profile))
    guard = runtime._signals
    assert guard is not None
    thread = threading.Thread(target=runtime.stop)
    thread.start()
    thread.join()
    assert signal.getsignal(signal.SIGHUP) == guard.handle
    signal.raise_signal(signal.SIGHUP)
    assert previous_handler == [signal.SIGHUP]
    assert not guard.armed


def test_terminal_only_for_the_default_action() -> None:
    """Only a signal whose previous handler was the default action ends the process."""
    guard = SignalGuard.__new__(SignalGuard)
    guard.previous = {signal.SIGTERM: signal.SIG_DFL, signal.SIGINT: signal.default_int_handler}
    assert guard.terminal(signal.SIGTERM)
    assert not guard.terminal(signal.SIGINT)
