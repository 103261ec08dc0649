"""Live reload: ``reload:`` in a profile; on a change (``watch``) or a signal, validate and swap in.

``setup_logging`` starts a ``Reloader`` only when the profile asks (``reload.watch`` or
``reload.signal``): otherwise there is no thread and no signal handler at all. The reloader
resolves the profile again exactly the way ``setup_logging`` did (the same file, overrides,
``extends_roots`` and cache switch), builds its topology, and hands it to
``Runtime.replace``: the hand-over of a second ``setup_logging`` (new topology started first,
old queues forwarding to their successors, old topology drained), inside the runtime the
application holds. The decisions, and why:

- **What is watched.** The inputs of a profile are what the profile cache keys an entry by:
  every file read (the profile and its ``extends`` chain: ``Document.files``) and every
  environment variable looked up (``RecordingEnviron.seen``). A resolution here records
  them the same way, with the same two objects, and the watcher polls exactly those, every
  ``interval``: ``mtime_ns``, size and inode (and device) of each file, the value of each
  variable. After a failed attempt it watches what that attempt read too (a base file that
  went missing is watched for coming back). A change between the read and the look is
  never lost: after each attempt the texts and values it used are compared again (the
  cache's own rule, "same text, same value"), and any difference means another attempt.
- **The first look.** A start from the profile cache keeps its inputs in the cache entry,
  not in memory; so the watch thread's first act is one validation of its own (off the
  main thread; this is where a watching process imports pydantic). If what it finds differs
  from what runs (the file changed since ``setup_logging`` read it), it swaps right away.
- **A broken edit, a removed file, a sink that cannot be built.** The attempt fails before
  anything is touched: the running topology stays, and the failure is written to stderr
  once, in a framed block with the located problems (``file:line:col: key: message``, the
  lines ``logboot check`` prints; a removed file is ``file:1:1: no such profile``). The
  same failure again is counted, not written again; a different one is written; the next
  change tries again (``stats()["reload"]``: ``failed``, ``last_error``). logback's scan
  resets the logger context before it parses the new file (what is logged meanwhile meets
  a half-built configuration), falls back to its last "safe" configuration only on XML
  syntax errors, without the files it includes, and reports to its status manager, which
  prints nothing unless debug is on; log4j2 keeps the old configuration but reports through
  its status logger too. Both compare ``lastModified`` only, and a removed file reads as
  modified. Here a reload is all or nothing, and its failure is said where people look.
- **Unchanged is not a reload.** A change that validates to the running profile (a touch,
  a comment) swaps nothing. A signal always swaps, even an identical profile: that is how
  ``logrotate`` asks a service to reopen its files.
- **The handle.** ``Runtime.replace`` swaps inside the runtime ``setup_logging`` returned,
  so ``rt.stop()``, ``rt.flush()``, ``rt.stats()`` and ``active_runtime()`` act on what
  runs now; ``flush()`` during a swap also waits for the topology being drained.
  ``Reloader.reload_now()`` is the same reload asked from another thread (the control
  socket's ``reload``): it returns None once the new profile runs, else the failure text.
- **The signal.** Python runs handlers in the main thread, between two bytecodes of
  whatever it was doing, maybe inside a lock (issue 19). The handler takes none: it counts
  the signal and releases a bare lock the reload thread waits on (``queues.Wakeup``), then
  calls the Python handler it replaced, if there was one (a framework's own SIGHUP). The
  reload thread does the work. Handlers are installed from the main thread only, like
  ``shutdown.signals`` (elsewhere Python refuses, and the reloader says so once), and the
  one found is put back at stop.
- **Following the new profile.** A new ``interval`` or ``watch`` is followed at once; a
  profile without ``reload`` any more ends the thread. Changing ``reload.signal`` or
  ``shutdown.signals`` means installing handlers, which only the main thread may do: the
  reloader leaves that work with its signal handler and has Python run that handler in the
  main thread (``_thread.interrupt_main``: no signal leaves the process, so a handler put
  back meanwhile can never turn it into a default action), the next time the main thread
  runs Python code. Without a reload signal installed no code of ours runs in the main
  thread: the change is reported once and applies at the next ``setup_logging``.
- **Children.** The parent reloads; a child follows only what it must. A spawned child
  attached with ``attach(handle)`` keeps its handle, its levels and its connection: a
  retired process queue that children are connected to keeps receiving and forwards to
  its successor (the queue of the same name, else the new root's queue) until none is
  connected (see ``Runtime.replace``). Children do not reload: a forked child's reloader is
  switched off, its signal handler hands signals on as if it were not there. A child
  started after a reload should be given the new ``runtime.process_handle()``.
- **Stop.** ``Runtime.stop()`` (and atexit, and a second ``setup_logging``) stops the
  reloader first: a reload under way finishes or gives up, the thread is joined, the
  signal handler found at setup is put back (in the main thread).
"""

from __future__ import annotations

import _thread
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from logboot.core.reporting import ErrorReporter, framed, write_stderr
from logboot.errors import LogbootError, Problem, ProfileError
from logboot.profile import cache as profile_cache
from logboot.profile.plain import PlainProfile, encode, plain_profile
from logboot.profile.resolve import PROFILE_ENV, ProfileSource, check_recorded, remember, resolve_profile
from logboot.runtime.build import build_topology
from logboot.runtime.queues import Wakeup
from logboot.runtime.signals import PyHandler

if TYPE_CHECKING:
    from logboot.profile.overrides import Overrides
    from logboot.profile.reading import ExtendsRoots
    from logboot.profile.schema import Profile
    from logboot.runtime.lifecycle import Runtime, ShutdownReport

THREAD_NAME = "logboot-reload"
CONTROL_NAME = "reload"  # its entry in Runtime.stats()

#: What a look at a file finds: (mtime_ns, size, inode, device); None when it is missing;
#: the error number as text when it cannot be looked at.
Stamp = Union[tuple[int, int, int, int], str, None]


class ReloadSource(NamedTuple):
    """How ``setup_logging`` named the profile, so that a reload resolves it the same way."""

    path: str | None  # the profile file, absolute (a later chdir changes nothing)
    profile: Profile | None  # a Profile object given instead of a file: nothing to watch
    overrides: Overrides | None
    extends_roots: ExtendsRoots | None
    cache: bool

    @classmethod
    def of(
        cls,
        source: ProfileSource,
        overrides: Overrides | None,
        extends_roots: ExtendsRoots | None,
        cache: bool,
    ) -> ReloadSource:
        if source is None:
            source = os.environ.get(PROFILE_ENV)  # what resolve read a moment ago
        if isinstance(source, (str, os.PathLike)):
            return cls(os.path.abspath(source), None, overrides, extends_roots, cache)
        return cls(None, source, overrides, extends_roots, cache)

    @property
    def name(self) -> str:
        if self.path is not None:
            return self.path
        return (self.profile.source if self.profile is not None else None) or "<profile object>"


class Inputs(NamedTuple):
    """What one resolution read: each file's text (None: missing or unreadable) and each
    environment variable's value (None: unset). The profile cache keys entries by the same."""

    files: Mapping[str, str | None]
    environ: Mapping[str, str | None]

    def merged(self, other: Inputs | None) -> Inputs:
        if other is None:
            return self
        return Inputs({**other.files, **self.files}, {**other.environ, **self.environ})

    def unchanged(self) -> bool:
        """The profile cache's rule: every file has the same text, every variable the same value."""
        return profile_cache.inputs_unchanged(self.files, self.environ, os.environ)

    def stamps(self) -> tuple[dict[str, Stamp], dict[str, str | None]]:
        """A cheap look at them: each file's stamp, each variable's value now."""
        values = {name: os.environ.get(name) for name in self.environ}
        return {path: stamp(path) for path in self.files}, values


def stamp(path: str) -> Stamp:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"errno {err.errno}"
    return (info.st_mtime_ns, info.st_size, info.st_ino, info.st_dev)


class Attempt(NamedTuple):
    """One resolution: the validated profile, or why there is none (a line per problem)."""

    profile: Profile | None
    failure: str | None
    inputs: Inputs


def resolve_again(source: ReloadSource) -> Attempt:
    """Resolve the profile as ``setup_logging`` did, recording what it reads; never raises
    for a profile that cannot be used."""
    recorder = profile_cache.RecordingEnviron(os.environ)
    files: dict[str, str | None] = {source.path: None} if source.path is not None else {}
    try:
        if source.path is None:  # a Profile object: $LOGBOOT_LEVEL and the overrides, again
            profile = resolve_profile(source.profile, source.overrides, recorder)
            return Attempt(profile, None, Inputs({}, dict(recorder.seen)))
        try:
            result = check_recorded(source.path, source.overrides, recorder, source.extends_roots)
        except FileNotFoundError:  # ProfileNotFoundError: the profile file itself is gone
            missing = Problem(source.path, 1, 1, "", "no such profile (the file was removed or renamed)")
            return Attempt(None, str(missing), Inputs(files, dict(recorder.seen)))
        if result.document is not None:
            files.update(result.document.files)
        inputs = Inputs(files, dict(recorder.seen))
        if result.profile is None:
            problems = sorted(result.problems, key=Problem.sort_key)  # as `logboot check` lists them
            return Attempt(None, "\n".join(map(str, problems)), inputs)
        if source.cache:
            remember(source.path, recorder, result, source.overrides, source.extends_roots, os.environ)
        return Attempt(result.profile, None, inputs)
    except ProfileError as err:  # an override or $LOGBOOT_LEVEL that no longer parses
        return Attempt(None, "\n".join(map(str, err.problems)), Inputs(files, dict(recorder.seen)))


def same_profile(a: Profile | PlainProfile, b: Profile | PlainProfile) -> bool:
    """Whether two profiles, validated or from the cache, hold the same values."""
    return _plain(a) == _plain(b)


def _plain(profile: Profile | PlainProfile) -> PlainProfile:
    return profile if isinstance(profile, PlainProfile) else plain_profile(encode(profile), profile.source)


class SignalTrigger:
    """The handler of ``reload.signal``: it counts the signal and wakes the reloader, nothing more.

    No lock is taken here (see ``logboot.runtime.signals``): ``Wakeup.set`` releases a bare
    lock and never waits; ``received`` is written only here and only read by the reloader.
    """

    def __init__(self, wakeup: Wakeup) -> None:
        self.wakeup = wakeup
        self.signum: int | None = None
        self.previous: PyHandler = None
        self.received = 0
        self.active = True  # False: the reloader stopped; the handler hands signals on
        #: Work the reloader leaves for the main thread (installing handlers): the handler
        #: runs it when it is called for ``asked`` (by the reloader) rather than ``answered``.
        self.main_thread_work: Callable[[], None] | None = None
        self.asked = 0  # written by the reloader only
        self.answered = 0  # written by the handler only

    def install(self, name: str) -> str | None:
        """Handle ``name`` (main thread only); the reason when it cannot be, else None."""
        signum = getattr(signal, name, None)
        if not isinstance(signum, int):
            return f"{name} does not exist on this platform"
        try:
            current: PyHandler = signal.getsignal(signum)
            owner = getattr(current, "__self__", None)
            if isinstance(owner, SignalTrigger):  # a replaced runtime's, never removed: take its find
                current = owner.previous
            signal.signal(signum, self.handle)
        except (OSError, ValueError) as err:
            return str(err)
        self.signum, self.previous = signum, current
        return None

    def current_name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum is not None else None

    def uninstall(self) -> None:
        """Put back the handler found at install (main thread only), unless someone replaced ours."""
        signum, self.signum = self.signum, None
        if signum is not None and signal.getsignal(signum) == self.handle:
            signal.signal(signum, signal.SIG_DFL if self.previous is None else self.previous)

    def ask_main_thread(self, work: Callable[[], None]) -> bool:
        """Have the handler run ``work`` in the main thread (from the reloader's thread)."""
        signum = self.signum
        if signum is None:
            return False
        self.main_thread_work = work
        self.asked += 1
        _thread.interrupt_main(signal.Signals(signum))  # Python calls the handler there; no signal is sent
        return True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler (runs in the main thread)."""
        if self.answered != self.asked:  # the reloader asked (a real signal now is merged with it)
            self.answered = self.asked
            work, self.main_thread_work = self.main_thread_work, None
            if work is not None:  # None: the reloader stopped since
                work()
            return
        if self.active:
            self.received += 1
            self.wakeup.set()
            if callable(self.previous):  # the application's own handler runs too
                self.previous(signum, frame)
            return
        self.pass_on(signum, frame)

    def pass_on(self, signum: int, frame: FrameType | None) -> None:
        """Do what the handler found at install would have done (the reloader is off)."""
        previous = self.previous
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)  # the default action, as if we were not there
            os.kill(os.getpid(), signum)


class Reloader:
    """Reloads one runtime's profile when its inputs change (``watch``) or its signal arrives."""

    def __init__(self, runtime: Runtime, source: ReloadSource) -> None:
        self.runtime = runtime
        self.source = source
        spec = runtime.topology.profile.reload
        self.watch = bool(spec.watch) and source.path is not None
        self.interval = float(spec.interval)
        self.signal_name: str | None = spec.signal
        self.attempts = 0  # resolutions made: the first look, each change, each signal
        self.reloads = 0
        self.failed = 0
        self.last_error: str | None = None
        self.retired = {"handled": 0, "dropped": 0, "abandoned": 0}
        self._reported: str | None = None  # the failure last written to stderr
        self._warned: set[str] = set()
        self._stopping = False
        self._wakeup = Wakeup()
        self._trigger: SignalTrigger | None = None
        self._handled = 0  # signals taken care of (the trigger's `received` when last looked)
        self._running: Inputs | None = None  # what the running profile was resolved from, once known
        self._last: Inputs | None = None  # what the last attempt read
        self._stamps: tuple[dict[str, Stamp], dict[str, str | None]] = ({}, {})
        self._stale = False  # a file changed while an attempt read it: look again
        self._reporter = ErrorReporter("reloader")
        self._busy = threading.Lock()  # one attempt at a time: the thread's, or reload_now's
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    # --- start and stop ------------------------------------------------------------------

    def start(self) -> None:
        """Install the signal handler (main thread only), then start the thread if it has work."""
        spec = self.runtime.topology.profile.reload
        if spec.watch and self.source.path is None:
            self._warn(
                "watch",
                "reload.watch: the profile was given as a Profile object or as data, not read "
                "from a file: there is nothing to watch"
                + (f"; {self.signal_name} still reloads it" if self.signal_name else ""),
            )
        if self.signal_name is not None:
            self._install_signal(self.signal_name)
        if self.watch or self._trigger is not None:
            self._thread.start()

    def _install_signal(self, name: str) -> None:
        if name in self.runtime.topology.profile.shutdown.signals:  # a Profile built in code
            self._warn(name, f"reload.signal: {name} is also in shutdown.signals; it is left to shutdown")
            return
        if threading.current_thread() is not threading.main_thread():
            self._warn(
                name,
                f"reload.signal: {name} is not handled: setup_logging ran outside the main "
                "thread, and only the main thread can install a signal handler",
            )
            return
        trigger = SignalTrigger(self._wakeup)
        error = trigger.install(name)
        if error is not None:
            self._warn(name, f"reload.signal: cannot handle {name}: {error}")
            return
        self._trigger = trigger

    def stop(self, timeout: float) -> None:
        """End the thread (a reload under way finishes or gives up) and put the handler back."""
        self._stopping = True
        self._wakeup.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        trigger = self._trigger
        if trigger is not None:
            trigger.active = False
            trigger.main_thread_work = None
            if threading.current_thread() is threading.main_thread():
                trigger.uninstall()

    def after_fork(self) -> None:
        """In a forked child: no reloading (the thread did not fork); signals are handed on."""
        self._stopping = True
        if self._trigger is not None:
            self._trigger.active = False
            self._trigger.main_thread_work = None

    def stats(self) -> dict[str, Any]:
        return {
            "watch": self.watch,
            "interval": self.interval,
            "signal": self.signal_name,
            "active": self._thread.is_alive(),
            "attempts": self.attempts,
            "reloads": self.reloads,
            "failed": self.failed,
            "last_error": self.last_error,
            "retired": dict(self.retired),
        }

    def reload_now(self) -> str | None:
        """Resolve the profile again and swap it in now, as the signal does; from any thread
        (the control socket's ``reload``), never from a signal handler. None once the new
        profile runs, else why not (the text ``stats()["reload"]["last_error"]`` holds)."""
        with self._busy:
            return self._attempt(forced=True)

    # --- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        if self.watch:
            self._guarded(lambda: self._attempt(forced=False))  # the first look
        while not self._stopping and (self.watch or self._trigger is not None):
            self._wakeup.wait(self.interval if self.watch else -1)
            if self._stopping:
                return
            trigger = self._trigger
            if trigger is not None and trigger.received != self._handled:
                self._handled = trigger.received
                self._guarded(lambda: self._attempt(forced=True))
            elif self.watch and self._changed():
                self._guarded(lambda: self._attempt(forced=False))

    def _guarded(self, step: Callable[[], object]) -> None:
        try:
            with self._busy:
                step()
        except Exception as err:  # noqa: BLE001 - the reloader must outlive any bug
            self._reporter.report(err, "unexpected error while reloading; the running configuration stays")

    def _changed(self) -> bool:
        watched = self._watched()
        return watched is not None and (self._stale or watched.stamps() != self._stamps)

    def _watched(self) -> Inputs | None:
        last = self._last
        return last.merged(self._running) if last is not None else self._running

    def _attempt(self, *, forced: bool) -> str | None:
        """Resolve again; swap the result in (a signal: always; a change: if it differs).
        None when the result runs (or already ran), else why not."""
        attempt = resolve_again(self.source)
        self._last = attempt.inputs
        try:
            return self._take(attempt, forced=forced)
        finally:
            self._remember(attempt.inputs)
            self.attempts += 1  # last: a test that sees the count sees everything the attempt did

    def _take(self, attempt: Attempt, *, forced: bool) -> str | None:
        if attempt.profile is None:
            assert attempt.failure is not None
            return self._fail(attempt.failure)
        runtime = self.runtime
        running = runtime.topology.profile
        if not forced and same_profile(attempt.profile, running):
            self._running = attempt.inputs
            self._succeeded()
            return None
        report = swap(runtime, attempt.profile, self.source.name, lambda: self._stopping)
        if isinstance(report, BuildFailure):  # a file that cannot be opened: nothing was touched
            return self._fail(str(report))
        if report is None:  # the runtime stopped, or another setup_logging replaced it
            self._stopping = True
            return NOT_RUNNING
        self.reloads += 1
        for key in self.retired:
            self.retired[key] += getattr(report, key)
        self._running = attempt.inputs
        self._succeeded()
        self._follow(running, runtime.topology.profile)
        return None

    def _remember(self, inputs: Inputs) -> None:
        """Take the stamps of what is watched now; if a file changed since it was read, look again."""
        watched = self._watched()
        assert watched is not None
        self._stamps = watched.stamps()
        self._stale = not inputs.unchanged()

    def _succeeded(self) -> None:
        self.last_error = None
        self._reported = None  # the same failure again is news again

    def _fail(self, failure: str) -> str:
        self.failed += 1
        self.last_error = failure
        if failure == self._reported:
            return failure
        self._reported = failure
        ways = ["when the profile changes"] if self.watch else []
        if self._trigger is not None and self._trigger.signum is not None:
            ways.append(f"on {self._trigger.current_name()}")
        again = " or ".join(ways) or "at the next setup_logging"
        check = f"; `logboot check {self.source.path}` shows the same" if self.source.path else ""
        write_stderr(
            framed(
                f"reload of {self.source.name} failed; the running configuration stays",
                f"{failure}\n(logboot tries again {again}{check})",
            )
        )
        return failure

    # --- following the new profile ------------------------------------------------------------

    def _follow(self, old: Profile | PlainProfile, new: Profile | PlainProfile) -> None:
        """Take the new profile's ``reload`` (and its signals) as the reloader's own."""
        spec = new.reload
        self.interval = float(spec.interval)
        self.watch = bool(spec.watch) and self.source.path is not None
        wanted: str | None = spec.signal
        if wanted == self.signal_name and list(old.shutdown.signals) == list(new.shutdown.signals):
            return
        trigger = self._trigger
        if trigger is None or trigger.signum is None:
            self._warn(
                f"signals {wanted} {new.shutdown.signals}",
                "reload: the new profile changes reload.signal or shutdown.signals; signal handlers "
                "are installed in the main thread only, at setup_logging: the change applies at "
                "the next start",
            )
            return
        self.signal_name = wanted
        runtime = self.runtime

        def rearm() -> None:  # in the main thread, inside the reload signal's handler
            if wanted != trigger.current_name():
                trigger.uninstall()
                if wanted is not None:
                    error = trigger.install(wanted)
                    if error is not None:
                        write_stderr(f"logboot: reload.signal: cannot handle {wanted}: {error}\n")
            runtime.rearm_signals()

        trigger.ask_main_thread(rearm)
        if wanted is None and not self.watch:
            self._stopping = True  # nothing left to do: the thread ends

    def _warn(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            write_stderr(f"logboot: {message}\n")


class BuildFailure(str):
    """Why a valid profile's topology could not be built (nothing was touched)."""


NOT_RUNNING = "the runtime no longer runs (stopped, or replaced by another setup_logging)"


def swap(
    runtime: Runtime, profile: Profile | PlainProfile, name: str, cancelled: Callable[[], bool]
) -> ShutdownReport | BuildFailure | None:
    """Build ``profile``'s topology and swap it into ``runtime`` as a second ``setup_logging``
    would: the swapped-out topology's report, a ``BuildFailure``, or None when the runtime no
    longer runs (or ``cancelled`` said to give up waiting for it)."""
    try:
        topology = build_topology(profile)
    except (LogbootError, OSError) as err:
        return BuildFailure(f"{name}: the profile is valid, but its topology cannot be built: {err}")
    return runtime.replace(topology, cancelled)


def reload_now(runtime: Runtime, source: ReloadSource, wait: float = 10.0) -> str | None:
    """A reload asked for from outside (``logboot ctl reload``): through ``runtime``'s reloader
    when its profile has ``reload`` (its counters, its reports), else once, the same way.
    None once the new profile runs, else why not; waits at most ``wait`` seconds for the swap."""
    reloader = runtime.control(CONTROL_NAME)
    if isinstance(reloader, Reloader):
        return reloader.reload_now()
    attempt = resolve_again(source)
    if attempt.profile is None:
        return attempt.failure or "the profile did not validate"
    deadline = time.monotonic() + wait
    report = swap(runtime, attempt.profile, source.name, lambda: time.monotonic() > deadline)
    if isinstance(report, BuildFailure):
        return str(report)
    return NOT_RUNNING if report is None else None


def start_reloader(runtime: Runtime, source: ReloadSource) -> Reloader:
    """Attach a reloader to ``runtime`` (it stops with it) and start it."""
    reloader = Reloader(runtime, source)
    runtime.add_control(CONTROL_NAME, reloader)
    reloader.start()
    return reloader
