"""Records between processes: one pipe per child, length-prefixed frames.

``multiprocessing.Queue`` shares one write lock among every process that puts into it,
so a child killed while holding it wedges the parent and all its siblings. Here each
child has a connection of its own: a child that dies mid-frame loses only what it had
not sent, and its partial frame is discarded, never parsed.

A child connects to the queue's Unix socket only to hand the parent the read end of a
pipe of its own (``SCM_RIGHTS``), then writes its frames into the pipe. A small write
into a pipe costs the kernel a third of a ``send`` on a Unix stream socket, which
allocates a socket buffer per send (0.43 against 1.2 µs for a 90-byte frame here). The
pipe keeps the system's size (64 KiB on Linux, about 750 of the benchmark's frames): a
larger one (``F_SETPIPE_SZ``) gained 2 to 5% in the 4-process benchmark, and counts
against the user's limit on pipe memory, which every other pipe of that user shares.

A frame is a 4-byte big-endian length, a kind byte, and a pickle. What repeats from
record to record is sent once per connection:

- ``FIELDS`` opens a connection: the names of the child's standard record attributes,
  split into the call-site part (logger, level, path, function, line, thread, process)
  and the per-record part (message, time, exception text).
- ``SITE`` gives a call-site number to the call-site values the first time they occur.
- ``RECORD`` carries a call-site number, the per-record values, and the extra attributes
  (made plain in the child: primitives kept, anything else replaced by its ``repr``) or None.
- ``DICT`` carries a whole record: one that lacks a standard attribute, or any record
  once a connection has numbered ``MAX_SITES`` call sites.

The parent rebuilds a record as a copy of its call site's attributes plus its own, so
the repeated strings are neither sent nor allocated again; a child on another Python
version (other attributes) still works, as the names come from the child.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import os
import pickle
import selectors
import shutil
import socket
import struct
import tempfile
import threading
import time
import weakref
from collections import deque
from typing import Any

from logboot.core.records import RECORD_ATTRIBUTE_ORDER, RECORD_ATTRIBUTES
from logboot.core.reporting import write_stderr
from logboot.formatters.fields import STANDARD_ATTRS
from logboot.runtime.queues import Overflow, ThreadQueue, stays_taken
from logboot.sinks.base import write_bytes

_HEADER = struct.Struct("!I")
MAX_FRAME = 64 * 1024 * 1024  # a larger length is a corrupt stream, not a record
_READ_SIZE = 256 * 1024
HELLO = b"P"  # the byte a child sends with its pipe's read end
_PLAIN = (str, int, float, bool, type(None))


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` if it is plain data (safe to unpickle anywhere), else its ``repr``."""
    if isinstance(value, _PLAIN):
        return value
    if depth < 4:
        if type(value) in (list, tuple):
            return type(value)(_plain(v, depth + 1) for v in value)
        if type(value) is dict:
            return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not lose the record
        return f"<unrepresentable {type(value).__name__} object>"


# The standard attributes of a record made in this process, in the order LogRecord sets
# them, split into what a call site repeats and what each record has of its own.
_FIELD_NAMES = RECORD_ATTRIBUTE_ORDER
_FIELD_SET = RECORD_ATTRIBUTES
_SITE_CANDIDATES = frozenset(
    {"name", "levelno", "levelname", "pathname", "filename", "module", "lineno", "funcName"}
    | {"thread", "threadName", "process", "processName", "taskName"}
)
SITE_NAMES = tuple(name for name in _FIELD_NAMES if name in _SITE_CANDIDATES)
OWN_NAMES = tuple(name for name in _FIELD_NAMES if name not in _SITE_CANDIDATES)
_site_values = operator.itemgetter(*SITE_NAMES)
_own_values = operator.itemgetter(*OWN_NAMES)
MAX_SITES = 4096  # call sites numbered per connection; later ones travel as DICT frames

FIELDS, SITE, RECORD, DICT = b"F", b"S", b"R", b"D"  # frame kinds: the byte after the length


def _frame(kind: bytes, value: object) -> bytes:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload) + 1) + kind + payload


def _plain_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` with every extra value made plain (a copy only when there are extras)."""
    extras = attributes.keys() - STANDARD_ATTRS
    if not extras:
        return attributes
    plain = dict(attributes)
    for key in extras:
        plain[key] = _plain(plain[key])
    return plain


def _whole(attributes: dict[str, Any]) -> bytes:
    """A ``DICT`` frame: extras made plain, and every value too if that is not enough."""
    try:
        return _frame(DICT, _plain_attributes(attributes))
    except Exception:  # noqa: BLE001 - a standard attribute that cannot be pickled
        return _frame(DICT, {key: _plain(value) for key, value in attributes.items()})


class Encoder:
    """The child's side of one connection: turns records into frames, numbering call sites."""

    def __init__(self) -> None:
        self._sites: dict[tuple[Any, ...], int] = {}

    def opening(self) -> bytes:
        """The frame a connection starts with."""
        return _frame(FIELDS, (SITE_NAMES, OWN_NAMES))

    def encode(self, record: logging.LogRecord) -> bytes:
        """The frames for a prepared record (message merged, exception rendered)."""
        attributes = record.__dict__
        try:
            return self._compact(attributes)
        except Exception:  # noqa: BLE001 - a missing, unhashable or unpicklable standard attribute
            return _whole(attributes)

    def _compact(self, attributes: dict[str, Any]) -> bytes:
        site, own = _site_values(attributes), _own_values(attributes)
        number = self._sites.get(site)
        extras = None
        if len(attributes) != len(_FIELD_NAMES):  # only then can there be more than the standard ones
            extras = {key: _plain(attributes[key]) for key in attributes.keys() - _FIELD_SET}
        if number is not None:
            return _frame(RECORD, (number, own, extras))
        if len(self._sites) >= MAX_SITES:
            return _whole(attributes)
        number = len(self._sites)
        frames = _frame(SITE, (number, site)) + _frame(RECORD, (number, own, extras))
        self._sites[site] = number  # only once its frame exists: the parent must get every site it hears of
        return frames


_new_record = logging.LogRecord.__new__
_FIELDS_BYTE, _SITE_BYTE, _RECORD_BYTE, _DICT_BYTE = FIELDS[0], SITE[0], RECORD[0], DICT[0]


class Decoder:
    """The parent's side of one connection: turns frames back into records."""

    def __init__(self) -> None:
        self._site_names: tuple[str, ...] | None = None
        self._own_names: tuple[str, ...] = ()
        self._sites: list[dict[str, Any]] = []

    def decode(self, payload: bytes | memoryview) -> logging.LogRecord | None:
        """The record a frame carries (``payload`` starts at the kind byte); None for a
        frame that only sets up the connection. Raises ValueError on a frame that does not
        fit what the connection has said so far."""
        kind = payload[0]
        value = pickle.loads(payload[1:])  # noqa: S301 - only this user's processes reach the 0700 socket that hands pipes over
        if kind == _RECORD_BYTE:
            number, own, extras = value
            if not (0 <= number < len(self._sites)) or len(own) != len(self._own_names):
                raise ValueError("a record that does not match what its connection defined")
            attributes = self._sites[number].copy()
            attributes.update(zip(self._own_names, own))  # noqa: B905 - lengths checked above
            if extras:
                attributes.update(extras)
        elif kind == _DICT_BYTE:
            if type(value) is not dict:
                raise ValueError("a whole record must be a dict")
            attributes = value
        elif kind == _SITE_BYTE:
            self._define_site(value)
            return None
        elif kind == _FIELDS_BYTE:
            self._name_fields(value)
            return None
        else:
            raise ValueError(f"unknown frame kind {kind!r}")
        record = _new_record(logging.LogRecord)
        record.__dict__ = attributes
        return record

    def _name_fields(self, value: Any) -> None:
        if not (
            isinstance(value, tuple)
            and len(value) == 2
            and all(isinstance(names, tuple) and all(isinstance(n, str) for n in names) for names in value)
        ):
            raise ValueError("a fields frame must carry two tuples of names")
        self._site_names, self._own_names = value
        self._sites = []

    def _define_site(self, value: Any) -> None:
        number, site = value
        if self._site_names is None or number != len(self._sites) or len(site) != len(self._site_names):
            raise ValueError("a call site that does not match what its connection defined")
        self._sites.append(dict(zip(self._site_names, site)))  # noqa: B905 - lengths checked above


class ProcessChannel:
    """The child's end: writes each record into its own pipe to the parent.

    The write hands the frame to the kernel, so a child that exits (even by
    ``os._exit``) after logging leaves nothing behind in user space.
    """

    kind = "process"

    def __init__(self, address: str, name: str) -> None:
        self.address = address
        self.name = name
        self.sent = 0
        self.failed = 0
        self._pipe = -1  # the write end, once connected
        self._encoder = Encoder()
        # Reentrant, with `_inside`, for a signal handler that logs while this thread is
        # sending: its record waits in `_pending` (see put), as in queues.ThreadQueue.
        self._lock = threading.RLock()
        self._inside = False
        self._pending: deque[logging.LogRecord] = deque()
        self._warned = False
        _CHANNELS.add(self)

    def _reset(self) -> None:
        # In a new process (fork) the lock may have been held by a thread that is gone,
        # and the pipe is the parent process's: close this process's copy of it. What was
        # pending is the parent's to send.
        self._lock = threading.RLock()
        self._inside = False
        self._pending = deque()
        self._disconnect()

    def _connect(self) -> int:
        """A new pipe, its read end handed to the parent; returns the write end."""
        read_end, write_end = os.pipe()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(self.address)
                socket.send_fds(sock, [HELLO], [read_end])
            self._encoder = Encoder()
            write_bytes(write_end, self._encoder.opening())
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        return write_end

    def _disconnect(self) -> None:
        if self._pipe >= 0:
            with contextlib.suppress(OSError):
                os.close(self._pipe)
            self._pipe = -1

    def put(self, record: logging.LogRecord) -> bool:
        with self._lock:  # the encoder numbers call sites for this connection: one at a time
            if self._inside:
                # A signal handler (or finalizer) logs while this thread is mid-frame: writing
                # now would cut that frame. The interrupted put sends it before letting go.
                self._pending.append(record)
                return True
            sent = self._send(record)
            pending = self._pending
            while pending:  # a handler that runs after this check finds _inside false and sends its own
                self._send(pending.popleft())
            return sent

    def _send(self, record: logging.LogRecord) -> bool:
        self._inside = True
        try:
            if self._pipe < 0:
                self._pipe = self._connect()
            frames = self._encoder.encode(record)
            try:
                write_bytes(self._pipe, frames)
            except BaseException:
                # Failed or interrupted (KeyboardInterrupt in a full pipe), maybe
                # mid-frame: the parent discards a partial frame when the pipe
                # ends, and the next record starts a new pipe.
                self._disconnect()
                raise
            self.sent += 1
        except OSError as err:
            self._fail(err)
            return False
        finally:
            self._inside = False
        return True

    def _fail(self, err: OSError) -> None:
        self.failed += 1
        self._disconnect()
        if not self._warned:
            self._warned = True
            write_stderr(
                f"logboot: process {os.getpid()} cannot reach queue {self.name!r} "
                f"at {self.address!r}: {err.strerror or err}; its records are dropped and counted\n"
            )

    def lock_held(self, probe: float) -> bool:
        """True when the channel's lock stays taken (see ``queues.stays_taken``)."""
        return stays_taken(self._lock, probe)

    def close(self) -> None:
        with self._lock:
            if self._inside:
                return  # a signal handler stops the runtime while this thread is mid-frame
            while self._pending:
                self._send(self._pending.popleft())
            self._disconnect()

    def stats(self) -> dict[str, Any]:
        # Every record put is sent, dropped (counted), or pending (a signal handler's, until
        # the put it interrupted has sent its own).
        return {"kind": self.kind, "sent": self.sent, "dropped": self.failed, "pending": len(self._pending)}


_CHANNELS: weakref.WeakSet[ProcessChannel] = weakref.WeakSet()


def _let_go_after_fork() -> None:
    """In a forked child, close its copies of the parent process's pipes at once, so that
    a pipe ends when the process that opened it closes it or exits, even while a fork that
    never logs lives on; the child's first record opens a pipe of its own. (Like the
    remote sinks' hook: no check of the pid on each record.)"""
    for channel in list(_CHANNELS):
        channel._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_after_fork)


class _Connection:
    """A child's pipe, as the parent reads it."""

    __slots__ = ("buffer", "decoder", "pipe")

    def __init__(self, pipe: int) -> None:
        self.pipe = pipe
        self.buffer = bytearray()
        self.decoder = Decoder()


class ProcessQueue(ThreadQueue):
    """A queue each child reaches through a pipe of its own; the parent's own records go direct.

    A receiver thread accepts each child's connection to the queue's Unix socket, takes
    the pipe it hands over, and feeds the whole frames it reads from the pipes into this
    queue, where the overflow policy applies as for a thread queue.
    """

    kind = "process"

    def __init__(
        self,
        name: str,
        max_size: int = 0,
        overflow: Overflow = "block",
        block_timeout: float | None = None,
        shed_below: int | None = None,
        shed_at: float | None = None,
    ) -> None:
        super().__init__(name, max_size, overflow, block_timeout, shed_below, shed_at)
        self.owner = os.getpid()
        self._folder = tempfile.mkdtemp(prefix="logboot-")  # 0700: only this user connects
        self.address = os.path.join(self._folder, f"{name}.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(self.address)
        self._server.listen(128)
        self._server.setblocking(False)
        self._waker_r, self._waker_w = socket.socketpair()
        self._receiving = True
        self._drain_deadline = float("inf")
        self._thread = threading.Thread(target=self._receive, name=f"logboot-receiver-{name}", daemon=True)
        self.children_attached = 0
        self.children_detached = 0
        self.partial_frames = 0
        self.corrupt_frames = 0

    def start_receiving(self) -> None:
        self._thread.start()

    def stop_receiving(self, timeout: float) -> None:
        """Read everything children have sent so far, then stop accepting."""
        self._drain_deadline = time.monotonic() + timeout
        self._receiving = False
        with contextlib.suppress(OSError):
            self._waker_w.send(b"x")
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _receive(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._server, selectors.EVENT_READ, None)
        selector.register(self._waker_r, selectors.EVENT_READ, "wake")
        greeting: list[socket.socket] = []  # accepted, their pipe not yet handed over
        connections: list[_Connection] = []
        try:
            while self._receiving:
                for key, _ in selector.select(timeout=1.0):
                    if key.data is None:
                        self._accept(selector, greeting)
                    elif key.data == "wake":
                        self._waker_r.recv(64)
                    elif isinstance(key.data, socket.socket):
                        self._take_pipe(key.data, selector, greeting, connections)
                    else:
                        self._read(key.data, selector, connections)
            # Stopping: take every pending connection and everything already sent. A
            # child that has not handed over its pipe yet has written nothing into it.
            self._accept(selector, greeting)
            for sock in list(greeting):
                self._take_pipe(sock, selector, greeting, connections)
            for connection in list(connections):
                # Until the stop's deadline: a child still logging must not keep us here.
                while time.monotonic() < self._drain_deadline and self._read(
                    connection, selector, connections, draining=True
                ):
                    pass
        except Exception as err:  # noqa: BLE001 - report; the stop path still completes
            write_stderr(f"logboot: receiver of queue {self.name!r} failed: {err!r}\n")
        finally:
            for sock in greeting:
                sock.close()
            for connection in connections:
                os.close(connection.pipe)
            selector.close()

    def _accept(self, selector: selectors.BaseSelector, greeting: list[socket.socket]) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            greeting.append(sock)
            selector.register(sock, selectors.EVENT_READ, sock)

    def _take_pipe(
        self,
        sock: socket.socket,
        selector: selectors.BaseSelector,
        greeting: list[socket.socket],
        connections: list[_Connection],
    ) -> None:
        """Take the pipe a child hands over on its new connection, which then ends."""
        try:
            message, pipes, _, _ = socket.recv_fds(sock, 64, 1)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message, pipes = b"", []
        selector.unregister(sock)
        greeting.remove(sock)
        sock.close()
        if message == HELLO and len(pipes) == 1:
            pipe = pipes[0]
            os.set_inheritable(pipe, False)  # not into programs this process starts
            os.set_blocking(pipe, False)
            connection = _Connection(pipe)
            connections.append(connection)
            selector.register(pipe, selectors.EVENT_READ, connection)
            self.children_attached += 1
            return
        for pipe in pipes:
            os.close(pipe)
        if message:
            self.corrupt_frames += 1
            write_stderr(f"logboot: queue {self.name!r}: a connection sent no pipe; closed\n")

    def _read(
        self,
        connection: _Connection,
        selector: selectors.BaseSelector,
        connections: list[_Connection],
        draining: bool = False,
    ) -> bool:
        """Read once from a child; True if more may be waiting.

        ``draining`` (at stop): True after any data, so the caller reads on until the
        pipe is empty or closed (and a child that has ended is seen to have detached).
        """
        try:
            data = os.read(connection.pipe, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            data = b""
        if not data:
            self._detach(connection, selector, connections)
            return False
        buffer = connection.buffer
        buffer += data
        position, size = 0, len(buffer)
        put, decode = self.put, connection.decoder.decode
        while size - position >= 4:
            (length,) = _HEADER.unpack_from(buffer, position)
            if length > MAX_FRAME:
                self.corrupt_frames += 1
                write_stderr(f"logboot: queue {self.name!r}: a child sent a corrupt frame; disconnected\n")
                self._detach(connection, selector, connections, report=False)
                return False
            end = position + 4 + length
            if end > size:
                break
            payload = memoryview(buffer)[position + 4 : end]
            try:
                record = decode(payload)
                if record is not None:
                    put(record)
            except Exception:  # noqa: BLE001 - one bad frame is counted, the stream goes on
                self.corrupt_frames += 1
            finally:
                payload.release()  # the buffer cannot be resized while a view of it is alive
            position = end
        del buffer[:position]
        return draining or len(data) == _READ_SIZE

    def _detach(
        self,
        connection: _Connection,
        selector: selectors.BaseSelector,
        connections: list[_Connection],
        report: bool = True,
    ) -> None:
        if connection.buffer and report:
            self.partial_frames += 1
            write_stderr(
                f"logboot: queue {self.name!r}: a child process ended in the middle of a record; "
                f"its last {len(connection.buffer)} byte(s) were discarded\n"
            )
        selector.unregister(connection.pipe)
        os.close(connection.pipe)
        connections.remove(connection)
        self.children_detached += 1

    def close_server(self) -> None:
        """Close the socket and remove its folder (in the process that made them)."""
        for sock in (self._server, self._waker_r, self._waker_w):
            sock.close()
        if os.getpid() == self.owner:
            shutil.rmtree(self._folder, ignore_errors=True)

    def forget_in_child(self) -> None:
        """After a fork: this process does not own the server; drop its copies."""
        for sock in (self._server, self._waker_r, self._waker_w):
            with contextlib.suppress(OSError):
                sock.close()

    def stats(self) -> dict[str, Any]:
        stats = super().stats()
        stats.update(
            children_attached=self.children_attached,
            children_detached=self.children_detached,
            partial_frames=self.partial_frames,
            corrupt_frames=self.corrupt_frames,
        )
        return stats
