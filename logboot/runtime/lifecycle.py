"""The Runtime: a running topology, swapped in atomically and shut down cleanly.

Only this module touches the global logging configuration. It saves what it replaces,
so that ``stop()`` restores it exactly, and a new ``setup_logging`` replaces a running
runtime without a gap: the new one is complete and started before the old one drains.

``Runtime.replace`` is the same hand-over inside one runtime (a live reload, see
``logboot.control.reload``): the handle the application holds stays the running one, and
its old topology drains behind the new one. A retired process queue that children are
still connected to keeps receiving, and forwards what they send to its successor, until
no child is connected any more (checked at each later swap) or the runtime stops.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from logboot.core import lean_record
from logboot.core.reporting import write_stderr
from logboot.filters.throttle import combined_stats
from logboot.profile.collect import switches_off
from logboot.profile.plain import as_model
from logboot.runtime import switches
from logboot.runtime.build import Topology, build_topology
from logboot.runtime.processes import DirectDelivery, ProcessHandle
from logboot.runtime.queues import ThreadQueue, stays_taken
from logboot.runtime.signals import SignalGuard
from logboot.values.units import level_name

if TYPE_CHECKING:
    # Validation (pydantic, yaml) is imported only when a profile must be validated:
    # a start from the profile cache never needs it (see logboot.profile.cache).
    from logboot.profile.schema import Profile
    from logboot.runtime.transport import ProcessChannel, ProcessQueue

_state_lock = threading.RLock()
_active: Runtime | None = None
_atexit_armed = False
# Seconds a swap waits for each of its locks before it lets go of those it holds and tries
# again: a holder may be a main thread interrupted by a signal handler that stops the runtime.
_SWAP_PROBE = 0.05


class LoggerState(NamedTuple):
    """What a logger looked like before logboot configured it."""

    handlers: list[logging.Handler]
    level: int
    propagate: bool
    disabled: bool

    @classmethod
    def capture(cls, logger: logging.Logger) -> LoggerState:
        return cls(list(logger.handlers), logger.level, logger.propagate, logger.disabled)

    def restore(self, logger: logging.Logger) -> None:
        logger.handlers = list(self.handlers)
        logger.setLevel(self.level)
        logger.propagate = self.propagate
        logger.disabled = self.disabled


class ShutdownReport(NamedTuple):
    """What ``Runtime.stop`` did (immutable; ``_replace`` gives a changed copy).

    ``clean`` is true when every listener drained its queue before the deadline.
    ``abandoned`` counts records still queued, or taken by a listener but not yet
    written, when the deadline passed (also counted in ``dropped``); nothing is lost
    without being counted, and per queue ``enqueued == handled + dropped``. A record
    given up on that a stuck sink still writes later is counted in the queue's ``late``.
    """

    clean: bool
    duration: float
    handled: int
    dropped: int
    abandoned: int
    queues: Mapping[str, dict[str, Any]] = MappingProxyType({})  # per queue: its stats()
    already_stopped: bool = False


class Control(Protocol):
    """What operates a running runtime from outside it (the reloader of ``logboot.control``).

    It is stopped before the runtime drains (a reload under way finishes or gives up first),
    told when the process forks, and its counters are part of ``Runtime.stats()``.
    """

    def stop(self, timeout: float) -> None: ...

    def after_fork(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...


def _logger(name: str) -> logging.Logger:
    return logging.getLogger(name) if name else logging.getLogger()


def _logging_lock() -> Any:
    return getattr(logging, "_lock")  # noqa: B009 - the module lock dictConfig also takes


class Runtime:
    """A started topology. Returned by ``setup_logging``; a context manager."""

    def __init__(self, topology: Topology, runtime_id: str | None = None) -> None:
        self.topology = topology
        self._plan = topology.profile  # what the runtime reads: a Profile, or its cached plain data
        self._model: Profile | None = None
        self.runtime_id = runtime_id or os.urandom(16).hex()  # opaque and random, without importing uuid
        self._saved: dict[str, LoggerState] = {}
        # logging's collection switches as they were before a `collect: auto` profile set
        # them (None: untouched); handed over with `_saved`, put back by `_restore`.
        self._switches: switches.Saved | None = None
        # True while this runtime made LeanRecord logging's record factory (handed over
        # with `_saved`, taken out by `_restore`).
        self._lean = False
        self._lock = threading.Lock()
        self._state = "built"
        self._report: ShutdownReport | None = None
        self._forked = False  # a copy inherited by fork: no threads of its own
        self._direct: list[DirectDelivery] = []
        self._signals: SignalGuard | None = None  # shutdown.signals, armed by install
        self._controls: dict[str, Control] = {}  # by the name of their entry in stats()
        self._retiring: Topology | None = None  # the topology a replace() is draining
        self._relays: list[ProcessQueue] = []  # retired process queues children still send to

    # --- lifecycle --------------------------------------------------------------------

    def _start(self, previous: Runtime | None, predecessor_drained: threading.Event | None = None) -> None:
        """Start the listeners, then swap this runtime's handlers in (under logging's lock).

        With ``predecessor_drained``, the listeners write nothing until it is set: the
        runtime being replaced drains first, so each thread's records stay in order.
        """
        for listener in self.topology.listeners.values():
            listener.start(predecessor_drained)
        for queue in self.topology.process_queues():
            queue.start_receiving()
        with _logging_lock():
            saved = previous._hand_over() if previous is not None else {}
            plans = self.topology.loggers
            for name in [n for n in saved if n not in plans]:
                saved.pop(name).restore(_logger(name))
            for name, plan in plans.items():
                logger = _logger(name)
                original = saved.setdefault(name, LoggerState.capture(logger))
                if name == "":
                    logger.handlers = [plan.handler] if plan.handler else []
                else:
                    logger.handlers = [plan.handler] if plan.handler else list(original.handlers)
                logger.setLevel(plan.level if plan.level is not None else original.level)
                logger.propagate = plan.propagate if plan.propagate is not None else original.propagate
                logger.disabled = False
            self._saved = saved
            self._set_switches(previous._hand_over_switches() if previous is not None else None)
            self._lean = previous._hand_over_lean() if previous is not None else lean_record.install()
        self._state = "running"

    def _set_switches(self, saved: switches.Saved | None) -> None:
        """Set logging's collection switches for this profile (``collect``); ``saved`` are
        their values before any runtime set them, handed over by the one replaced."""
        off = switches_off(self._plan)
        if off:
            saved = saved if saved is not None else switches.capture()
            switches.apply(off, saved)
        elif saved is not None:  # `collect: all` after `auto`: as they were
            switches.restore(saved)
            saved = None
        self._switches = saved

    def _hand_over(self) -> dict[str, LoggerState]:
        """Give the original logger states to the runtime that replaces this one."""
        saved, self._saved = self._saved, {}
        return saved

    def _hand_over_switches(self) -> switches.Saved | None:
        """Give the original collection switches to the runtime that replaces this one."""
        saved, self._switches = self._switches, None
        return saved

    def _hand_over_lean(self) -> bool:
        """Give the record factory this runtime installed to the runtime that replaces it."""
        lean, self._lean = self._lean, False
        return lean

    def _restore(self) -> None:
        with _logging_lock():
            if self._lean:
                lean_record.uninstall()
                self._lean = False
            for name, state in self._saved.items():
                state.restore(_logger(name))
            self._saved = {}
            if self._switches is not None:
                switches.restore(self._switches)
                self._switches = None

    def replace(self, topology: Topology, cancelled: Callable[[], bool]) -> ShutdownReport | None:
        """Swap ``topology`` in, in place of this runtime's own; the old one drains behind it.

        Exactly the hand-over of a second ``setup_logging`` (the new topology starts, the
        old queues forward to their successors, the old topology drains and stops), but
        this object stays the running runtime: the handle the application holds, and
        ``active_runtime()``, act on the new topology. Returns the report of the topology
        swapped out; None when this runtime no longer runs (stopped, replaced, or
        ``cancelled()`` while waiting for the locks), and ``topology`` is then closed unused.
        """
        if not self._take_swap_locks(cancelled):
            _discard(topology)
            return None
        try:
            try:
                if _active is not self or self._report is not None or self._forked or not self.running:
                    _discard(topology)
                    return None
                retired = Runtime(self.topology, self.runtime_id)  # carries the old topology to its stop
                retired._saved, self._saved = self._saved, {}
                retired._switches, self._switches = self._switches, None
                self._retiring = self.topology  # before the new one is in: flush() sees either
                self.topology = topology
                self._plan = topology.profile
                self._model = None
                predecessor_drained = threading.Event()
                self._start(retired, predecessor_drained)
            finally:
                _logging_lock().release()
                _state_lock.release()
            try:
                _hand_over_queues(retired, self)
                report = retired._shut_down(None, keep_connected=True)
            finally:
                predecessor_drained.set()
                self._retiring = None
            self._relays.extend(retired._relays)
            self._close_idle_relays()
            return report
        finally:
            self._lock.release()

    def _take_swap_locks(self, cancelled: Callable[[], bool]) -> bool:
        """Take this runtime's lock, the state lock and logging's, in the order ``stop`` takes
        them; never wait long for one while holding another (False once ``cancelled()``)."""
        logging_lock = _logging_lock()
        while not cancelled():
            if self._lock.acquire(timeout=_SWAP_PROBE):
                if _state_lock.acquire(timeout=_SWAP_PROBE):
                    if logging_lock.acquire(timeout=_SWAP_PROBE):
                        return True
                    _state_lock.release()
                self._lock.release()
        return False

    def _close_idle_relays(self) -> None:
        """Stop the retired process queues that no child is connected to any more."""
        timeout = self._plan.shutdown.timeout
        for relay in [r for r in self._relays if r.children_attached <= r.children_detached]:
            relay.stop_receiving(timeout)
            relay.close_server()
            self._relays.remove(relay)

    def add_control(self, name: str, control: Control) -> None:
        """Attach ``control``: stopped first by ``stop()``, its ``stats()`` under ``name``."""
        self._controls[name] = control

    def control(self, name: str) -> Control | None:
        """The control attached under ``name``, if any."""
        return self._controls.get(name)

    def rearm_signals(self) -> None:
        """Arm the running profile's ``shutdown.signals`` in place of those armed before.

        Only the main thread may install handlers: the reloader asks for this from its own
        signal handler, which runs there; anywhere else this does nothing.
        """
        if threading.current_thread() is not threading.main_thread() or not self.running or self._forked:
            return
        previous = self._signals
        self._signals = SignalGuard.arm(self)  # takes over what ``previous`` replaced
        if previous is not None:
            previous.disarm()  # puts back only the signals the new guard did not take

    @property
    def profile(self) -> Profile:
        """The running profile (a start from the profile cache validates it again on first use)."""
        if self._model is None:
            self._model = as_model(self._plan)
        return self._model

    @property
    def running(self) -> bool:
        return self._state == "running"

    def lock_held(self, probe: float) -> bool:
        """True when the lock a stop takes stays taken (see ``queues.stays_taken``)."""
        return stays_taken(self._lock, probe)

    def process_handle(self) -> ProcessHandle:
        """A picklable token: ``logboot.attach(handle)`` in a child routes its logging here."""
        addresses = {q.name: q.address for q in self.topology.process_queues()}
        return ProcessHandle(self.runtime_id, os.getpid(), self._plan, addresses)

    def _become_fork_child(self) -> None:
        """In a forked child: reach process queues through a connection of our own, and
        write thread queues' records directly (their listener threads did not fork)."""
        self._forked = True
        self._lock = threading.Lock()  # a parent's thread that held it (a swap) does not exist here
        for relay in self._relays:
            relay.forget_in_child()
        self._relays = []
        for control in self._controls.values():
            control.after_fork()
        listeners = {listener.queue.name: listener for listener in self.topology.listeners.values()}
        replacements: dict[str, ProcessChannel | DirectDelivery] = {}
        for name, queue in self.topology.queues.items():
            if queue.kind == "process":
                from logboot.runtime.transport import (
                    ProcessChannel,  # imported already: the queue is one of its
                )

                process_queue = cast("ProcessQueue", queue)
                process_queue.forget_in_child()
                channel = ProcessChannel(process_queue.address, name)
                replacements[name] = self.topology.channels[name] = channel
            elif name in listeners:
                direct = DirectDelivery(name, listeners[name].sinks)
                self._direct.append(direct)
                replacements[name] = direct
        for plan in self.topology.loggers.values():
            handler = plan.handler
            if handler is not None and isinstance(handler.queue, ThreadQueue):
                handler.queue = replacements.get(handler.queue.name, handler.queue)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every record enqueued before this call is written; False on timeout.

        The tool for code about to end without atexit (``os._exit`` after a fork, a
        supervisor's hard exit): what flush waited for is on disk (file sinks write with
        ``os.write``, so no buffer is left behind)::

            runtime.flush(2.0) or print("logboot: records still queued", file=sys.stderr)
            os._exit(0)

        Use ``stop(timeout)`` instead to also get the count of what could not be written
        by the deadline (``ShutdownReport.abandoned``).
        """
        deadline = time.monotonic() + timeout
        if self._forked:  # a forked child writes synchronously; only remote sinks hold records
            return all(sink.drain(deadline) for direct in self._direct for sink in direct.sinks)
        topology = self.topology
        retiring = self._retiring  # read second: a swap sets it before it changes the topology
        _emit_throttle_summaries(topology, in_listener=False)  # enqueued before the barrier
        queues = list(topology.queues.values())
        if retiring is not None and retiring is not topology:  # a reload is draining it now
            queues[:0] = retiring.queues.values()
        targets = [(queue, queue.barrier()) for queue in queues]
        if not all(queue.wait_for(position, deadline) for queue, position in targets):
            return False
        _emit_throttle_summaries(topology, in_listener=True)  # written now, under each sink's lock
        return all(sink.drain(deadline) for sink in topology.sinks.values())  # remote sinks buffer

    def stop(self, timeout: float | None = None) -> ShutdownReport:
        """Drain, flush, close, and restore what was there before. Safe to call twice."""
        global _active
        self._stop_controls(timeout)  # a reload under way finishes (or gives up) first
        with self._lock:
            if self._report is not None:
                return self._report._replace(already_stopped=True)
            with _state_lock:
                if _active is self:
                    _active = None
                    self._restore()
            return self._shut_down(timeout)

    def _stop_controls(self, timeout: float | None) -> None:
        bound = self._plan.shutdown.timeout if timeout is None else timeout
        for control in self._controls.values():
            control.stop(bound)

    def _shut_down(self, timeout: float | None, *, keep_connected: bool = False) -> ShutdownReport:
        """Drain and close the topology. ``keep_connected`` (a topology a reload retires):
        a process queue with children connected keeps receiving, forwarding to its successor."""
        started = time.monotonic()
        deadline = started + (self._plan.shutdown.timeout if timeout is None else timeout)
        self._state = "stopping"
        _emit_throttle_summaries(self.topology, in_listener=False)  # while the queues take records
        for channel in self.topology.channels.values():
            channel.close()
        if self._forked:
            return self._shut_down_fork_child(started)
        queues = self.topology.queues
        relays, self._relays = self._relays, []
        for relay in relays:  # first: what children sent them goes on into the queues below
            relay.stop_receiving(max(0.0, deadline - time.monotonic()))
        kept = [
            queue
            for queue in self.topology.process_queues()
            if keep_connected and queue.children_attached > queue.children_detached
        ]
        closing = [queue for queue in self.topology.process_queues() if queue not in kept]
        for process_queue in closing:
            process_queue.stop_receiving(max(0.0, deadline - time.monotonic()))
        for queue in queues.values():
            queue.close()
        finished = {name: listener.stop(deadline) for name, listener in self.topology.listeners.items()}
        abandoned = 0
        for listener in self.topology.listeners.values():
            # What a listener left behind (it timed out, or never ran) is counted, never lost.
            abandoned += listener.queue.abandon()
        busy = {
            id(sink)
            for name, listener in self.topology.listeners.items()
            if not finished[name]
            for sink in listener.sinks
        }
        _emit_throttle_summaries(self.topology, in_listener=True, busy=busy)  # before the sinks close
        for sink in self.topology.sinks.values():
            if id(sink) not in busy:  # a listener still writing keeps its sinks open
                sink.drain(deadline)
                sink.flush()
                sink.close()
        for process_queue in (*relays, *closing):
            process_queue.close_server()
        self._relays = kept
        per_queue = {name: queue.stats() for name, queue in queues.items()}
        for name, stats in per_queue.items():
            if stats["dropped"]:
                queue = queues[name]
                in_loop = stats.get("dropped_in_event_loop", 0)
                shed = stats.get("shed", 0)
                shed_below = level_name(queue.shed_below or 0)
                write_stderr(
                    f"logboot: queue {name!r} dropped {stats['dropped']} of {stats['enqueued']} "
                    f"records (overflow: {queue.overflow}, max_size: {queue.max_size}"
                    f"{f', {shed} shed below {shed_below} at {queue.shed_at:.0%} full' if shed else ''}"
                    f"{f', {queue.abandoned} abandoned at stop' if queue.abandoned else ''}"
                    f"{f', {in_loop} in an event loop' if in_loop else ''})\n"
                )
        _report_throttles(self.topology)
        self._disarm_signals()
        self._state = "stopped"
        self._report = ShutdownReport(
            clean=all(finished.values()) and not abandoned,
            duration=time.monotonic() - started,
            handled=sum(s["handled"] for s in per_queue.values()),
            dropped=sum(s["dropped"] for s in per_queue.values()),
            abandoned=abandoned,
            queues=per_queue,
        )
        return self._report

    def _shut_down_fork_child(self, started: float) -> ShutdownReport:
        for sink in {id(s): s for d in self._direct for s in d.sinks}.values():
            sink.flush()
        self._disarm_signals()
        self._state = "stopped"
        self._report = ShutdownReport(True, time.monotonic() - started, 0, 0, 0, {})
        return self._report

    def _disarm_signals(self) -> None:
        """Put back the signal handlers (last: a signal that came during the drain is then
        handled by them, after everything was written)."""
        if self._signals is not None:
            self._signals.disarm()

    def stats(self) -> dict[str, Any]:
        """Counters as plain data: per queue, per sink, per listener."""
        queues: dict[str, dict[str, Any]] = {}
        for name, queue in self.topology.queues.items():
            queues[name] = queue.stats()
        for name, channel in self.topology.channels.items():
            queues[name] = channel.stats()
        stats: dict[str, Any] = {
            "queues": queues,
            "sinks": {name: sink.stats() for name, sink in self.topology.sinks.items()},
            "listeners": {
                name: {"alive": listener.alive, "queue": listener.queue.name}
                for name, listener in self.topology.listeners.items()
            },
        }
        if self.topology.throttles:  # per throttle filter, its places added up
            stats["filters"] = {
                name: combined_stats(use.filter for use in uses)
                for name, uses in self.topology.throttles.items()
            }
        for name, control in self._controls.items():
            stats[name] = control.stats()
        return stats

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<logboot.Runtime {self._plan.source or '<built-in>'} {self._state}>"


def _emit_throttle_summaries(topology: Topology, *, in_listener: bool, busy: Collection[int] = ()) -> None:
    """Have the throttle filters of one side log what they suppressed and have not said yet:
    the producers' (into the queues) or the sinks' (written directly; not to a ``busy`` sink)."""
    for uses in topology.throttles.values():
        for use in uses:
            if (use.sink is not None) is not in_listener:
                continue
            if use.sink is not None and id(topology.sinks[use.sink]) in busy:  # its listener still writes
                continue
            use.filter.emit_summaries()


def _report_throttles(topology: Topology) -> None:
    """One line on stderr per throttle filter that dropped anything."""
    for name, uses in topology.throttles.items():
        stats = combined_stats(use.filter for use in uses)
        if stats["throttled"]:
            throttle = uses[0].filter
            write_stderr(
                f"logboot: filter {name!r} throttled {stats['throttled']:,} of "
                f"{stats['throttled'] + stats['passed']:,} records (rate: {throttle.rate.text}, "
                f"burst: {throttle.burst:g}, key: {throttle.key}; summed up in {stats['summaries']:,} "
                f"record{'s' if stats['summaries'] != 1 else ''})\n"
            )


def start_child_runtime(handle: ProcessHandle) -> Runtime:
    """The runtime of a child attached to its parent's process queues."""
    return install(Runtime(build_topology(handle.profile, handle.addresses), handle.runtime_id))


def attach(handle: ProcessHandle) -> Runtime:
    """Route this process's logging into the parent's queues, with the profile's levels.

    Usable directly as a pool initializer::

        ProcessPoolExecutor(initializer=logboot.attach, initargs=(runtime.process_handle(),))

    Calling it again for the same runtime (or in a forked child, already attached)
    does nothing. Loggers that feed a thread queue cannot reach the parent: this
    process writes their records to the sinks itself, and says so once.
    """
    current = active_runtime()
    if current is not None and current.runtime_id == handle.runtime_id:
        return current
    runtime = start_child_runtime(handle)
    _arm_child_exit()
    local = sorted(runtime.topology.listeners)
    if local:
        write_stderr(
            f"logboot: process {os.getpid()} attached; queue(s) {', '.join(map(repr, local))} "
            "are thread queues, so this process writes their records to the sinks itself\n"
        )
    return runtime


def _arm_child_exit() -> None:
    """multiprocessing children end with ``os._exit``, skipping atexit: use its finalizers."""
    if "multiprocessing" not in sys.modules:
        return
    import multiprocessing
    import multiprocessing.util

    if multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, stop_at_exit, exitpriority=100)


def install(runtime: Runtime) -> Runtime:
    """Start ``runtime`` and make it the active one; the one it replaces drains, then stops."""
    global _active
    with _state_lock:
        previous = _active
        if previous is not None and not previous.running:
            previous = None
        predecessor_drained = threading.Event() if previous is not None else None
        runtime._start(previous, predecessor_drained)
        runtime._signals = SignalGuard.arm(runtime)  # main thread only; previous's are taken over
        _active = runtime
        _arm_atexit()
    if previous is not None:
        assert predecessor_drained is not None
        try:
            previous._stop_controls(None)  # its reloader: a swap under way ends, none begins
            _hand_over_queues(previous, runtime)
            with previous._lock:
                if previous._report is None:
                    previous._shut_down(None)  # bounded by the old profile's shutdown.timeout
        finally:
            predecessor_drained.set()
    return runtime


def _discard(topology: Topology) -> None:
    """Close a topology that was built but never started."""
    topology.close_sinks()
    topology.close_servers()


def _hand_over_queues(old: Runtime, new: Runtime) -> None:
    """Point each old queue at its successor: the new queue of that name, else the new root's."""
    queues = new.topology.queues
    fallback = queues.get(new._plan.root_queue() or "")
    for name, queue in old.topology.queues.items():
        queue.successor = queues.get(name, fallback)


def active_runtime() -> Runtime | None:
    """The runtime ``setup_logging`` last started, while it runs."""
    return _active


def _arm_atexit() -> None:
    global _atexit_armed
    if not _atexit_armed:
        # Registered after logging's own hook, so it runs first (atexit is LIFO).
        atexit.register(stop_at_exit)
        _atexit_armed = True


def stop_at_exit() -> None:
    """Stop the active runtime (atexit, and multiprocessing's finalizers in children)."""
    runtime = _active
    if runtime is not None:
        runtime.stop()


def _after_fork_in_child() -> None:
    global _state_lock
    _state_lock = threading.RLock()  # a parent's thread may have held it (a swap): gone here
    runtime = _active
    if runtime is not None and runtime.running:
        runtime._become_fork_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
