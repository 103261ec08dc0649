"""``shutdown.signals``: on such a signal, drain the queues, then end as the process would have.

Armed by ``setup_logging`` in the main thread only (Python runs signal handlers there,
and only there can they be installed). On a signal:

- when the handler found at setup was the default action (``SIG_DFL``), the runtime is
  stopped (drained, flushed, closed) within ``shutdown.timeout``, the default action is
  restored and the signal raised again, so the process ends exactly as it would have
  (killed by SIGTERM: status 143 in a shell, ``-15`` for ``subprocess``);
- when it was a Python handler (``default_int_handler`` for SIGINT, a framework's own),
  everything queued is flushed, then that handler is called;
- a signal the process ignored (``SIG_IGN``) stays ignored: no handler is installed.

A handler runs between two bytecodes of the main thread, which may be in the middle of
logging at that moment, holding a lock the drain needs (a queue's, the runtime's). The
handler first tries each of those locks briefly (a queue's lock is reentrant, so it asks
whether this thread owns it); if one cannot be taken, the main thread holds it, so the
handler returns at once and asks again a moment later (``pthread_kill`` from a bare
helper thread), by when the main thread has left that critical section.
Should that not happen within twice ``shutdown.timeout``, the signal is handed on without
draining rather than deadlock. A second signal while draining is handed on at once.
``stop()`` puts the previous handlers back.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, Union

from logboot.core.reporting import write_stderr

if TYPE_CHECKING:
    from logboot.runtime.lifecycle import Runtime

PyHandler = Union[Callable[[int, Union[FrameType, None]], Any], int, signal.Handlers, None]

PROBE = 0.005  # seconds to wait for a lock another thread holds for a moment
RETRY_FIRST = 0.001  # seconds before asking again when the main thread held a lock
RETRY_MAX = 0.05


def holds_drain_lock(runtime: Runtime) -> bool:
    """True when a lock the drain takes, or waits for the listener to take, stays taken:
    the interrupted main thread holds it. The runtime's, then each queue's and channel's."""
    topology = runtime.topology
    return (
        runtime.lock_held(PROBE)
        or any(queue.lock_held(PROBE) for queue in topology.queues.values())
        or any(channel.lock_held(PROBE) for channel in topology.channels.values())
    )


def _poke(thread_id: int, signum: int, delay: float) -> None:
    """Send ``signum`` to the main thread again after ``delay`` (runs on a bare thread)."""
    time.sleep(delay)
    with contextlib.suppress(OSError, ValueError):  # the thread is gone: the process is ending
        signal.pthread_kill(thread_id, signum)


class SignalGuard:
    """The handlers of one runtime's ``shutdown.signals``."""

    def __init__(self, runtime: Runtime, timeout: float) -> None:
        self.runtime = runtime
        self.timeout = timeout
        self.previous: dict[int, PyHandler] = {}
        self.armed = False
        self.deferred = 0  # times a signal came inside logging and was asked again
        self._draining = False
        self._deferred_since: float | None = None
        self._delay = RETRY_FIRST

    @classmethod
    def arm(cls, runtime: Runtime) -> SignalGuard | None:
        """Install the handlers of ``runtime``'s profile; None when there is nothing to do."""
        names = runtime.topology.profile.shutdown.signals
        if not names or threading.current_thread() is not threading.main_thread():
            return None
        guard = cls(runtime, runtime.topology.profile.shutdown.timeout)
        for name in names:
            signum = signal.Signals[name]
            current: PyHandler = signal.getsignal(signum)
            owner = getattr(current, "__self__", None)
            if isinstance(owner, SignalGuard):  # a runtime being replaced: take what it replaced
                current = owner.previous.get(signum, signal.SIG_DFL)
            if current == signal.SIG_IGN:
                continue  # an ignored signal stays ignored
            try:
                signal.signal(signum, guard.handle)
            except (OSError, ValueError) as err:  # not the main interpreter, or not allowed
                write_stderr(f"logboot: cannot handle {name}: {err}\n")
                continue
            guard.previous[signum] = current
        guard.armed = True
        return guard

    def disarm(self) -> None:
        """Put back the handlers found at arm time.

        Outside the main thread handlers cannot be changed: the guard then only steps
        aside, and its handler passes each signal straight on.
        """
        self.armed = False
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self.previous.items():
            if signal.getsignal(signum) == self.handle:  # nobody replaced it since
                signal.signal(signum, signal.SIG_DFL if previous is None else previous)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler (runs in the main thread)."""
        if self.armed and not self._draining:
            if holds_drain_lock(self.runtime) and not self._waited_too_long(signum):
                self._ask_again(signum)
                return
            self._drain(signum)
        self.pass_on(signum, frame)

    def terminal(self, signum: int) -> bool:
        """Whether handing the signal on ends the process (the default action was in place)."""
        return self.previous.get(signum, signal.SIG_DFL) in (signal.SIG_DFL, None)

    def _drain(self, signum: int) -> None:
        self._draining = True
        try:
            if self.terminal(signum):
                self.runtime.stop()  # waits for a stop already running in another thread
            elif self.runtime.running:
                self.runtime.flush(self.timeout)
        except Exception as err:  # noqa: BLE001 - the signal must still be handed on
            write_stderr(f"logboot: draining on {signal.Signals(signum).name} failed: {err!r}\n")
        finally:
            self._draining = False
            self._deferred_since = None

    def _ask_again(self, signum: int) -> None:
        """The main thread holds a lock: let it go on for a moment, then take the signal again."""
        if self._deferred_since is None:
            self._deferred_since = time.monotonic()
            self._delay = RETRY_FIRST
        self.deferred += 1
        delay, self._delay = self._delay, min(self._delay * 2, RETRY_MAX)
        # A bare thread: threading's own locks may be held by the interrupted code.
        _thread.start_new_thread(_poke, (threading.get_ident(), signum, delay))

    def _waited_too_long(self, signum: int) -> bool:
        since = self._deferred_since
        if since is None or time.monotonic() - since < 2 * self.timeout:
            return False
        self.armed = False  # from here on, this guard only hands signals on
        write_stderr(
            f"logboot: {signal.Signals(signum).name} arrived while the main thread held a logging "
            f"lock, and it still did after {2 * self.timeout:g}s; handing the signal on without draining\n"
        )
        return True

    def pass_on(self, signum: int, frame: FrameType | None) -> None:
        """Do what the handler found at arm time would have done."""
        previous = self.previous.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
            return
        if previous == signal.SIG_IGN:
            return
        # The default action: restore it and raise the signal again, so that the process
        # ends by this signal (a parent sees -15 / status 143 for SIGTERM).
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # only if the signal is blocked in this thread
