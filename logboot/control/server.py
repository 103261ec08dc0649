"""The control socket of a running service: ``ControlServer``, what ``logboot ctl`` talks to.

A Unix stream socket and one daemon thread, ``logboot-control``, with a selector over the
socket, its connections and a self-pipe (``stop`` writes a byte to it). It answers the
requests of ``logboot.control.protocol``: ``status``, ``levels``, ``set-level``, ``reload``,
``flush``. The decisions, and why:

- **Only the same user.** Every connection's peer credentials (``SO_PEERCRED``: pid, uid,
  gid, from the kernel, not from the client) are read before anything else: a uid other
  than this process's own is closed at once, nothing read, and a WARNING on the logger
  ``logboot.control`` names its uid and pid (once a minute per uid; the next one counts
  those left unsaid). The socket is also made 0600 right after ``bind`` and its folder,
  when logboot creates it, 0700; the peer check covers the moment in between, and covers
  a socket someone made readable by others. A platform without ``SO_PEERCRED`` gets no
  server at all (``ControlError``). ``logging.config.listen()`` is the opposite: a TCP port
  that applies whatever configuration it is sent, code included.
- **The socket file.** An entry at the path is looked at with ``lstat``: a socket of this
  user that refuses connections is stale (a process that ended without cleaning up) and is
  replaced; one that answers belongs to a live process, and is an error; anything else (a
  regular file, a symlink, a folder, another user's socket) is an error and left alone.
  A missing folder is created 0700 (only the last component); an existing one writable by
  others without the sticky bit is refused. At stop the socket is removed, if it is still
  the one bound here and this is the process that bound it.
- **A client cannot hold the service.** Connections are read without blocking, each with
  a deadline (``read_timeout``): one that sends no complete request in time gets an error
  reply and is closed. At most ``max_connections`` at once; a request over 64 KiB gets an
  error reply and is closed; a malformed one gets an error reply. Nothing a client sends
  raises out of the thread. Commands run in the thread one at a time (``flush`` waits at
  most its ``timeout``, at most 60 seconds).
- **Levels changed from outside.** ``set-level LOGGER LEVEL`` sets the level now;
  ``for`` makes it temporary: when the time runs out, the server's own loop (its select
  timeout, no extra thread) puts back the level the logger had before the first temporary
  change; a later ``set-level`` without ``for`` on that logger cancels the restore. A
  reload or a new ``setup_logging`` applies the profile again: a logger the new profile
  configures gets the profile's level and its pending restore is dropped; a logger it does
  not configure goes back to the level it had before ``ctl`` first changed it (noticed
  within a second of the swap, whoever made it). Stopping the server does the same, so
  a forgotten DEBUG never outlives the runtime.
- **Processes.** ``{pid}`` in the socket path (and ``default``) makes the path each
  process's own: a forked child closes what it inherited (never removing the parent's
  socket) and serves its own socket; ``reload`` there answers that the parent reloads.
  Without ``{pid}``, only the process that started the server serves; a forked child
  closes its copies and serves nothing.
- **No validation.** This module imports neither pydantic nor yaml, nor the machinery
  that swaps a profile in: it is given the runtime and the reload as callables.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import selectors
import socket
import stat
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from logboot.control.protocol import (
    MAX_LOGGER_NAME,
    MAX_REQUEST,
    VERSION,
    ProtocolError,
    decode_request,
    encode_error,
    encode_result,
)
from logboot.core.reporting import write_stderr
from logboot.errors import LogbootError
from logboot.values.control_paths import per_process, socket_path
from logboot.values.units import level_name, parse_duration, parse_level

if TYPE_CHECKING:
    from logboot.runtime.lifecycle import Runtime

#: The name of the server's entry in ``Runtime.stats()`` once it is attached to a runtime.
CONTROL_NAME = "control"
#: The logger the server's own records go to (refusals, changes made through it).
LOGGER_NAME = "logboot.control"
#: The longest ``for`` of a temporary level.
MAX_TEMPORARY = 7 * 24 * 3600.0
#: The longest ``flush`` a request may ask for.
MAX_FLUSH = 60.0
#: How often a refused uid is named again in a WARNING (seconds).
REFUSAL_INTERVAL = 60.0
#: While levels changed through ctl are recorded, how often the loop looks for a swapped profile.
SETTLE_INTERVAL = 1.0
#: How long a connection answered for the last time may take to read the reply and hang up.
LINGER = 1.0
# How long a connection turned away as `busy` may take to hang up (the server waits on it).
BUSY_LINGER = 0.2

_CRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_log = logging.getLogger(LOGGER_NAME)
_servers: weakref.WeakSet[ControlServer] = weakref.WeakSet()
_atexit_armed = False


class ControlError(LogbootError):
    """The control socket cannot be served (the path, its folder, the platform)."""


class CommandError(Exception):
    """A command that cannot be done as asked: its text is the error reply."""


def peer_credentials(sock: socket.socket) -> tuple[int, int, int]:
    """The pid, uid and gid of the process at the other end of a Unix socket, from the kernel."""
    data = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size)
    pid, uid, gid = _CRED.unpack(data)
    return pid, uid, gid


def _logger(name: str) -> logging.Logger:
    return logging.getLogger(name) if name else logging.getLogger()


def _shown(name: str) -> str:
    return name or "root"


class _Connection:
    """A client: its socket, what it sent so far, until when it may take to send a request."""

    __slots__ = ("buffer", "closing", "deadline", "pid", "sock")

    def __init__(self, sock: socket.socket, pid: int, deadline: float) -> None:
        self.sock = sock
        self.pid = pid
        self.buffer = bytearray()
        self.deadline = deadline
        self.closing = False  # answered for the last time: what it still sends is read and dropped


class _Change:
    """A logger whose level was set through ctl."""

    __slots__ = ("original", "restore_to", "topology", "until")

    def __init__(self, original: int, topology: object) -> None:
        self.original = original  # its level before ctl first changed it
        self.topology = (
            topology  # the topology running then: a different one means the profile was applied again
        )
        self.until: float | None = None  # a temporary change ends then (time.monotonic())
        self.restore_to = original  # ... and puts back this level: the one before the first temporary change


class ControlServer:
    """Serve the control protocol on a Unix socket for ``runtime()``, in a thread of its own.

    ``path`` is absolute; ``{pid}`` in it (or ``"default"``, see ``logboot.values.control_paths``)
    makes it per process. ``runtime`` returns the runtime to report on and act upon (the
    active one), ``reload`` swaps the profile in again and returns None, or the error text.
    """

    def __init__(
        self,
        path: str,
        runtime: Callable[[], Runtime | None],
        reload: Callable[[], str | None] | None = None,
        *,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        max_connections: int = 16,
    ) -> None:
        self.template = path
        self.path = socket_path(path)
        self.runtime = runtime
        self.reload = reload
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.max_connections = max_connections
        self.owner_pid = os.getpid()  # the process that serves (and removes) the socket
        self.parent_pid: int | None = None  # in a forked child: the process that reloads
        self.started = time.time()
        self.counters = {"connections": 0, "requests": 0, "errors": 0, "refused": 0}
        self._uid = os.geteuid()
        self._lock = threading.Lock()  # start and stop
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._wake: tuple[int, int] | None = None
        self._bound: tuple[int, int] | None = None  # (st_dev, st_ino) of the socket file bound here
        self._stopping = False
        self._connections: dict[int, _Connection] = {}
        self._changes: dict[str, _Change] = {}
        self._refusals: dict[int, list[float]] = {}  # uid -> [last warned, refused since]

    # --- start and stop -----------------------------------------------------------------

    def start(self) -> ControlServer:
        """Bind the socket (see the module's rules for an existing entry) and start the thread."""
        if not hasattr(socket, "SO_PEERCRED") or not hasattr(socket, "AF_UNIX"):
            raise ControlError(
                "control.socket needs Unix sockets with SO_PEERCRED (Linux): without a way to "
                "check who connects, logboot serves no control socket"
            )
        with self._lock:
            if self._thread is not None:
                return self
            self._stopping = False
            self._listener = self._bind()
            self._selector = selectors.DefaultSelector()
            read_end, write_end = os.pipe()
            os.set_blocking(read_end, False)
            os.set_blocking(write_end, False)
            self._wake = (read_end, write_end)
            self._selector.register(read_end, selectors.EVENT_READ)
            self._selector.register(self._listener, selectors.EVENT_READ)
            self.started = time.time()
            self._thread = threading.Thread(target=self._run, name="logboot-control", daemon=True)
            self._thread.start()
        _servers.add(self)
        _arm_atexit()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread, remove the socket, and put back the levels ctl changed. Safe to call twice.

        Called from the server's own thread (a command that ends the runtime), it only asks
        the loop to end after the reply is sent; the loop then cleans up itself.
        """
        with self._lock:
            thread = self._thread
            if thread is None or self._stopping:
                return
            self._stopping = True
            self._poke()
        if thread is not threading.current_thread():
            thread.join(timeout)

    def after_fork(self) -> None:
        """In a forked child: close what was inherited (never removing the parent's socket);
        with a per-process path, serve this process's own socket."""
        if self.owner_pid == os.getpid():
            return
        parent = self.owner_pid
        self.owner_pid = os.getpid()
        serving = self._thread is not None and not self._stopping
        self._close_inherited()
        self.parent_pid = parent
        self.reload = None  # the parent reloads; its children follow what it hands them
        self._lock = threading.Lock()
        if serving and per_process(self.template):
            self.path = socket_path(self.template)
            try:
                self.start()
            except (ControlError, OSError) as err:
                write_stderr(f"logboot: process {os.getpid()} serves no control socket: {err}\n")

    def stats(self) -> dict[str, Any]:
        """The server's counters (``Runtime.stats()["control"]`` once attached)."""
        return {"socket": self.path, "serving": self.serving, **self.counters}

    @property
    def serving(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stopping

    def _close_inherited(self) -> None:
        for conn in self._connections.values():
            conn.sock.close()
        self._connections = {}
        if self._listener is not None:
            self._listener.close()  # closes this process's copy; the file stays the parent's
        if self._selector is not None:
            self._selector.close()
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
        self._thread = self._listener = self._selector = self._wake = self._bound = None
        self._stopping = False

    def _poke(self) -> None:
        if self._wake is not None:
            with contextlib.suppress(OSError):  # full (already poked) or closed
                os.write(self._wake[1], b"x")

    # --- the socket file ----------------------------------------------------------------

    def _bind(self) -> socket.socket:
        path = self.path
        self._prepare_folder(os.path.dirname(path))
        self._clear_stale(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(path)
            info = os.lstat(path)
            if not stat.S_ISSOCK(info.st_mode):  # replaced in between: not ours to touch
                raise ControlError(f"control socket {path}: replaced by something else while binding")
            self._bound = (info.st_dev, info.st_ino)
            os.chmod(path, 0o600)
            listener.listen(8)
            listener.setblocking(False)
        except OSError as err:
            listener.close()
            raise ControlError(f"control socket {path}: cannot bind: {err.strerror or err}") from err
        except BaseException:
            listener.close()
            raise
        return listener

    def _prepare_folder(self, folder: str) -> None:
        try:
            info = os.stat(folder)
        except FileNotFoundError:
            try:
                os.mkdir(folder, 0o700)  # only the last component: a missing parent is an error
            except OSError as err:
                raise ControlError(
                    f"control socket folder {folder}: cannot create it: {err.strerror}"
                ) from err
            return
        if not stat.S_ISDIR(info.st_mode):
            raise ControlError(f"control socket folder {folder}: not a folder")
        if info.st_uid not in (self._uid, 0):
            raise ControlError(
                f"control socket folder {folder}: owned by uid {info.st_uid}, who could replace the "
                "socket; use a folder of your own (or root's)"
            )
        if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
            raise ControlError(
                f"control socket folder {folder}: writable by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}) and not sticky: anyone could replace the "
                "socket; use a folder only you can write"
            )

    def _clear_stale(self, path: str) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(info.st_mode):
            raise ControlError(f"control socket {path}: a symlink is there; logboot leaves it alone")
        if not stat.S_ISSOCK(info.st_mode):
            raise ControlError(
                f"control socket {path}: something that is not a socket is there; logboot leaves it alone"
            )
        if info.st_uid != self._uid:
            raise ControlError(
                f"control socket {path}: a socket of uid {info.st_uid} is there; logboot leaves it alone"
            )
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            pass  # stale: nobody listens
        except OSError as err:
            raise ControlError(
                f"control socket {path}: cannot tell whether it is in use: {err.strerror or err}"
            ) from err
        else:
            raise ControlError(
                f"control socket {path}: another process serves it (is the service running twice?)"
            )
        finally:
            probe.close()
        again = os.lstat(path)
        if (again.st_dev, again.st_ino) == (info.st_dev, info.st_ino):
            os.unlink(path)

    def _remove_socket(self) -> None:
        bound, self._bound = self._bound, None
        if bound is None or self.owner_pid != os.getpid():
            return
        try:
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == bound:
                os.unlink(self.path)
        except OSError:
            pass

    # --- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        selector = self._selector
        assert selector is not None
        try:
            while not self._stopping:
                for key, _ in selector.select(self._timeout()):
                    if self._wake is not None and key.fileobj == self._wake[0]:
                        self._drain_wake()
                    elif key.fileobj is self._listener:
                        self._accept()
                    else:
                        self._receive(key.data)
                    if self._stopping:
                        break
                now = time.monotonic()
                self._expire(now)
                self.settle(now)
        except Exception as err:  # noqa: BLE001 - a bug here must not end the process: say it, stop serving
            write_stderr(
                f"logboot: the control socket {self.path} stopped serving: {type(err).__name__}: {err}\n"
            )
        finally:
            self._finish()

    def _finish(self) -> None:
        for conn in list(self._connections.values()):
            self._close(conn)
        if self._listener is not None:
            self._listener.close()
        self._remove_socket()
        self.settle(time.monotonic(), final=True)
        if self._selector is not None:
            self._selector.close()
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
        self._listener = self._selector = self._wake = None
        self._stopping = True

    def _timeout(self) -> float | None:
        deadlines = [conn.deadline for conn in self._connections.values()]
        deadlines += [change.until for change in self._changes.values() if change.until is not None]
        if self._changes:
            deadlines.append(time.monotonic() + SETTLE_INTERVAL)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    def _drain_wake(self) -> None:
        assert self._wake is not None
        try:
            while os.read(self._wake[0], 512):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        assert self._listener is not None and self._selector is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, or the peer gave up: the next select tries again
                return
            try:
                pid, uid, _ = peer_credentials(sock)
            except OSError:
                sock.close()
                continue
            if uid != self._uid:
                sock.close()  # nothing read, nothing said
                self._refuse(uid, pid)
                continue
            self.counters["connections"] += 1
            if len(self._connections) >= self.max_connections:
                self._send_once(
                    sock, encode_error(f"busy: {self.max_connections} connections are open; try again")
                )
                continue
            sock.setblocking(False)
            conn = _Connection(sock, pid, time.monotonic() + self.read_timeout)
            self._connections[sock.fileno()] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _refuse(self, uid: int, pid: int) -> None:
        self.counters["refused"] += 1
        now = time.monotonic()
        seen = self._refusals.get(uid)
        if seen is not None and now - seen[0] < REFUSAL_INTERVAL:
            seen[1] += 1
            return
        since = (
            f" ({int(seen[1])} more refused since the last warning)" if seen is not None and seen[1] else ""
        )
        self._refusals[uid] = [now, 0]
        _log.warning(
            "refused a control connection from uid %d (pid %d) on %s: only uid %d may control this process%s",
            uid,
            pid,
            self.path,
            self._uid,
            since,
        )

    def _receive(self, conn: _Connection) -> None:
        try:
            chunk = conn.sock.recv(MAX_REQUEST)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not chunk:
            self._close(conn)
            return
        if conn.closing:
            return  # dropped: closing now would reset the connection before the client reads the reply
        conn.buffer += chunk
        while True:
            end = conn.buffer.find(b"\n")
            if end < 0 or end + 1 > MAX_REQUEST:
                break
            line = bytes(conn.buffer[:end])
            del conn.buffer[: end + 1]
            if not self._send(conn, self.handle(line, conn.pid)) or self._stopping:
                return
            conn.deadline = time.monotonic() + self.read_timeout
        if len(conn.buffer) >= MAX_REQUEST:
            self.counters["errors"] += 1
            self._last_word(conn, f"the request is over the limit of {MAX_REQUEST} bytes; closing")

    def _expire(self, now: float) -> None:
        for conn in [c for c in self._connections.values() if c.deadline <= now]:
            if conn.closing:
                self._close(conn)
            else:
                self.counters["errors"] += 1
                self._last_word(conn, f"no complete request within {self.read_timeout:g}s; closing")

    def _last_word(self, conn: _Connection, error: str) -> None:
        """Send a last error reply, then close once the client has read it (or after a second):
        a socket closed with unread data resets the connection, and the reply is lost."""
        if not self._send(conn, encode_error(error)):
            return
        conn.closing = True
        conn.buffer.clear()
        conn.deadline = time.monotonic() + LINGER
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)

    def _send(self, conn: _Connection, data: bytes) -> bool:
        try:
            conn.sock.settimeout(self.write_timeout)
            conn.sock.sendall(data)
            conn.sock.setblocking(False)
        except OSError:
            self._close(conn)
            return False
        return True

    def _send_once(self, sock: socket.socket, data: bytes) -> None:
        """Reply and close a connection that is not kept (``busy``). What the client sent is
        read and dropped first, for a short while: a socket closed with unread data resets
        the connection, and the client would never see the reply."""
        try:
            sock.settimeout(self.write_timeout)
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(BUSY_LINGER)
            while sock.recv(MAX_REQUEST):
                pass
        except OSError:  # a timeout included: the client keeps the connection open
            pass
        finally:
            sock.close()

    def _close(self, conn: _Connection) -> None:
        if self._connections.pop(conn.sock.fileno(), None) is not None and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn.sock)
        conn.sock.close()

    # --- the commands -------------------------------------------------------------------

    def handle(self, line: bytes, peer_pid: int | None = None) -> bytes:
        """The reply line to one request line; never raises."""
        self.counters["requests"] += 1
        try:
            request = decode_request(line)
            handler = {
                "status": self._status,
                "levels": self._levels,
                "set-level": self._set_level,
                "reload": self._reload,
                "flush": self._flush,
            }[request.cmd]
            return encode_result(handler(request.args, peer_pid))
        except (ProtocolError, CommandError) as err:
            self.counters["errors"] += 1
            return encode_error(str(err))
        except Exception as err:  # noqa: BLE001 - a bug in a command is an error reply, never a dead server
            self.counters["errors"] += 1
            return encode_error(f"internal error: {type(err).__name__}: {err}")

    def _running(self) -> Runtime:
        runtime = self.runtime()
        if runtime is None or not runtime.running:
            raise CommandError("logging is not running in this process (no runtime of setup_logging)")
        return runtime

    def _status(self, args: dict[str, Any], peer_pid: int | None) -> dict[str, Any]:
        runtime = self.runtime()
        running = runtime is not None and runtime.running
        result: dict[str, Any] = {
            "protocol": VERSION,
            "pid": os.getpid(),
            "parent": self.parent_pid,
            "socket": self.path,
            "python": sys.version.split()[0],
            "uptime": round(time.time() - self.started, 3),
            "running": running,
            "profile": None,
            "stats": None,
        }
        if runtime is not None and running:
            result["profile"] = runtime.topology.profile.source
            result["stats"] = runtime.stats()
        return result

    def _levels(self, args: dict[str, Any], peer_pid: int | None) -> dict[str, Any]:
        runtime = self.runtime()
        plans = runtime.topology.loggers if runtime is not None and runtime.running else {}
        names = sorted({"", *plans, *self._changes}, key=lambda n: (n != "", n))
        now = time.monotonic()
        loggers = []
        for name in names:
            logger = _logger(name)
            plan = plans.get(name)
            change = self._changes.get(name)
            configured = plan.level if plan is not None else None
            loggers.append(
                {
                    "name": _shown(name),
                    "configured": level_name(configured) if configured is not None else None,
                    "level": level_name(logger.level),
                    "effective": level_name(logger.getEffectiveLevel()),
                    "changed": change is not None,
                    "expires_in": round(max(0.0, change.until - now), 3)
                    if change is not None and change.until is not None
                    else None,
                    "restores_to": level_name(change.restore_to)
                    if change is not None and change.until is not None
                    else None,
                }
            )
        return {"loggers": loggers}

    def _set_level(self, args: dict[str, Any], peer_pid: int | None) -> dict[str, Any]:
        name = _logger_name(args["logger"])
        try:
            level = parse_level(args["level"])
        except ValueError as err:
            raise CommandError(f"set-level: level: {err}") from None
        duration: float | None = None
        if args.get("for") is not None:
            try:
                duration = parse_duration(args["for"])
            except ValueError as err:
                raise CommandError(f"set-level: for: {err}") from None
            if not 0 < duration <= MAX_TEMPORARY:
                raise CommandError("set-level: for: expected more than 0 and at most 7 days")
        self.settle(time.monotonic())  # a swap since the last look applies first
        logger = _logger(name)
        previous = logger.level
        runtime = self.runtime()
        change = self._changes.get(name)
        if change is None:
            change = self._changes[name] = _Change(
                previous, runtime.topology if runtime is not None else None
            )
        if duration is None:
            change.until = None
            change.restore_to = level
        else:
            if change.until is None:
                change.restore_to = previous  # the level before the first temporary change
            change.until = time.monotonic() + duration
        logger.setLevel(level)
        _log.info(
            "%s set to %s%s through the control socket (was %s; asked by pid %s)",
            _shown(name),
            level_name(level),
            f" for {duration:g}s" if duration is not None else "",
            level_name(previous),
            peer_pid if peer_pid is not None else "?",
        )
        self._poke()  # a new deadline: the loop recomputes its timeout (when called from elsewhere)
        return {
            "logger": _shown(name),
            "level": level_name(level),
            "previous": level_name(previous),
            "effective": level_name(logger.getEffectiveLevel()),
            "expires_in": duration,
            "restores_to": level_name(change.restore_to) if duration is not None else None,
        }

    def _reload(self, args: dict[str, Any], peer_pid: int | None) -> dict[str, Any]:
        if self.reload is None:
            if self.parent_pid is not None:
                raise CommandError(
                    f"reload: a child process does not reload; reload its parent (pid {self.parent_pid})"
                )
            raise CommandError("reload: this service was started without a way to reload its profile")
        failure = self.reload()
        if failure is not None:
            raise CommandError(f"reload failed; the running profile stays: {failure}")
        self.settle(time.monotonic())
        runtime = self.runtime()
        _log.info("profile reloaded through the control socket (asked by pid %s)", peer_pid)
        return {
            "reloaded": True,
            "profile": runtime.topology.profile.source if runtime is not None and runtime.running else None,
        }

    def _flush(self, args: dict[str, Any], peer_pid: int | None) -> dict[str, Any]:
        timeout = 5.0
        if args.get("timeout") is not None:
            try:
                timeout = parse_duration(args["timeout"])
            except ValueError as err:
                raise CommandError(f"flush: timeout: {err}") from None
            if timeout > MAX_FLUSH:
                raise CommandError(f"flush: timeout: at most {MAX_FLUSH:g}s")
        runtime = self._running()
        started = time.monotonic()
        drained = runtime.flush(timeout)
        return {"drained": drained, "timeout": timeout, "seconds": round(time.monotonic() - started, 3)}

    # --- levels changed through ctl ------------------------------------------------------

    def settle(self, now: float, *, final: bool = False) -> None:
        """Apply what time and swaps decided: expired temporary levels go back; after a swap
        (a reload, a new setup_logging) the profile's levels stand and other loggers get back
        their level from before ctl. ``final`` (at stop): every changed logger goes back."""
        if not self._changes:
            return
        runtime = self.runtime()
        running = runtime is not None and runtime.running
        topology = runtime.topology if runtime is not None and running else None
        configured = runtime.topology.loggers if runtime is not None and running else {}
        for name, change in list(self._changes.items()):
            logger = _logger(name)
            if change.topology is not topology:  # the profile was applied again
                if name not in configured or topology is None:
                    logger.setLevel(change.original)
                del self._changes[name]
            elif final:
                logger.setLevel(change.original)
                del self._changes[name]
            elif change.until is not None and change.until <= now:
                logger.setLevel(change.restore_to)
                _log.info(
                    "%s back to %s: its temporary level expired", _shown(name), level_name(change.restore_to)
                )
                change.until = None
                if change.restore_to == change.original:
                    del self._changes[name]


class Attachment:
    """A server as one runtime's ``Control`` (``Runtime.add_control``): its counters in that
    runtime's ``stats()``, told of a fork, and stopped with the runtime, unless a new runtime
    replaced it (then the server goes on serving the new one; ``setup_logging`` decides)."""

    def __init__(self, server: ControlServer, runtime: Runtime, active: Callable[[], Runtime | None]) -> None:
        self.server = server
        self.runtime = runtime
        self.active = active

    def stop(self, timeout: float) -> None:
        if self.active() in (self.runtime, None):  # a stop, not a hand-over to a new runtime
            self.server.stop(timeout)

    def after_fork(self) -> None:
        self.server.after_fork()

    def stats(self) -> dict[str, Any]:
        return self.server.stats()


def _logger_name(value: str) -> str:
    name = value.strip()
    if name in {"", "root"}:
        return ""
    if (
        len(name) > MAX_LOGGER_NAME
        or not name.isprintable()
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise CommandError(f"set-level: logger: not a logger name: {value[:MAX_LOGGER_NAME]!r}")
    return name


def start_control(
    path: str,
    runtime: Callable[[], Runtime | None],
    reload: Callable[[], str | None] | None = None,
) -> ControlServer:
    """Start a ``ControlServer`` on ``path`` (``{pid}`` replaced by this process's pid)."""
    return ControlServer(path, runtime, reload).start()


def _arm_atexit() -> None:
    global _atexit_armed
    if not _atexit_armed:
        atexit.register(stop_all)
        _atexit_armed = True


def stop_all() -> None:
    """Stop every server of this process (atexit): their sockets are removed."""
    for server in list(_servers):
        if server.owner_pid == os.getpid():
            server.stop(1.0)


def _after_fork_in_child() -> None:
    for server in list(_servers):
        server.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = [
    "CONTROL_NAME",
    "LOGGER_NAME",
    "Attachment",
    "CommandError",
    "ControlError",
    "ControlServer",
    "level_name",
    "peer_credentials",
    "start_control",
    "stop_all",
]
