"""Records between processes: one Unix socket per child, length-prefixed frames.

``multiprocessing.Queue`` shares one write lock among every process that puts into it,
so a child killed while holding it wedges the parent and all its siblings. Here each
child has a connection of its own: a child that dies mid-frame loses only what it had
not sent, and its partial frame is discarded, never parsed.

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
from typing import Any

from .formatters import STANDARD_ATTRS
from .queues import Overflow, ThreadQueue
from .reporting import write_stderr

_HEADER = struct.Struct("!I")
MAX_FRAME = 64 * 1024 * 1024  # a larger length is a corrupt stream, not a record
_RECV_SIZE = 256 * 1024
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
_FIELD_NAMES: tuple[str, ...] = tuple(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
_FIELD_SET = frozenset(_FIELD_NAMES)
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
        value = pickle.loads(payload[1:])  # noqa: S301 - frames come from our own children over a 0700 socket
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
    """The child's end: sends each record over its own connection to the parent.

    ``sendall`` hands the frame to the kernel, so a child that exits (even by
    ``os._exit``) after logging leaves nothing behind in user space.
    """

    kind = "process"

    def __init__(self, address: str, name: str) -> None:
        self.address = address
        self.name = name
        self.sent = 0
        self.failed = 0
        self._pid = -1
        self._sock: socket.socket | None = None
        self._encoder = Encoder()
        self._lock = threading.Lock()
        self._warned = False

    def _reset(self) -> None:
        # In a new process (fork) the lock may have been held by a thread that is gone.
        self._lock = threading.Lock()
        self._sock = None
        self._pid = os.getpid()

    def put(self, record: logging.LogRecord) -> bool:
        if self._pid != os.getpid():
            self._reset()
        with self._lock:  # the encoder numbers call sites for this connection: one at a time
            try:
                sock = self._sock
                if sock is None:
                    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    sock.connect(self.address)
                    self._encoder = Encoder()
                    sock.sendall(self._encoder.opening())
                    self._sock = sock
                sock.sendall(self._encoder.encode(record))
            except OSError as err:
                self._fail(err)
                return False
            self.sent += 1
        return True

    def _fail(self, err: OSError) -> None:
        self.failed += 1
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if not self._warned:
            self._warned = True
            write_stderr(
                f"logboot: process {os.getpid()} cannot reach queue {self.name!r} "
                f"at {self.address!r}: {err.strerror or err}; its records are dropped and counted\n"
            )

    def close(self) -> None:
        if self._pid != os.getpid():
            return
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    def stats(self) -> dict[str, Any]:
        return {"kind": self.kind, "sent": self.sent, "dropped": self.failed}


class _Connection:
    __slots__ = ("buffer", "decoder", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.decoder = Decoder()


class ProcessQueue(ThreadQueue):
    """A queue children reach through a Unix socket; the parent's own records go direct.

    A receiver thread accepts one connection per child process and feeds whole frames
    into this queue, where the overflow policy applies as for a thread queue.
    """

    kind = "process"

    def __init__(
        self,
        name: str,
        max_size: int = 0,
        overflow: Overflow = "block",
        block_timeout: float | None = None,
    ) -> None:
        super().__init__(name, max_size, overflow, block_timeout)
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
        connections: list[_Connection] = []
        try:
            while self._receiving:
                for key, _ in selector.select(timeout=1.0):
                    if key.data is None:
                        self._accept(selector, connections)
                    elif key.data == "wake":
                        self._waker_r.recv(64)
                    else:
                        self._read(key.data, selector, connections)
            # Stopping: take every pending connection and everything already sent.
            self._accept(selector, connections)
            for connection in list(connections):
                # Until the stop's deadline: a child still logging must not keep us here.
                while time.monotonic() < self._drain_deadline and self._read(
                    connection, selector, connections, draining=True
                ):
                    pass
        except Exception as err:  # noqa: BLE001 - report; the stop path still completes
            write_stderr(f"logboot: receiver of queue {self.name!r} failed: {err!r}\n")
        finally:
            for connection in connections:
                connection.sock.close()
            selector.close()

    def _accept(self, selector: selectors.BaseSelector, connections: list[_Connection]) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            connection = _Connection(sock)
            connections.append(connection)
            selector.register(sock, selectors.EVENT_READ, connection)
            self.children_attached += 1

    def _read(
        self,
        connection: _Connection,
        selector: selectors.BaseSelector,
        connections: list[_Connection],
        draining: bool = False,
    ) -> bool:
        """Read once from a child; True if more may be waiting.

        ``draining`` (at stop): True after any data, so the caller reads on until the
        socket is empty or closed (and a child that has ended is seen to have detached).
        """
        try:
            data = connection.sock.recv(_RECV_SIZE)
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
        return draining or len(data) == _RECV_SIZE

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
        selector.unregister(connection.sock)
        connection.sock.close()
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
