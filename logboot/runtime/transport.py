"""Records between processes: one pipe per child, carrying frames (``logboot.runtime.frames``).

``multiprocessing.Queue`` shares one write lock among every process that puts into it,
so a child killed while holding it wedges the parent and all its siblings. Here each
child has a connection of its own: a child that dies mid-frame loses only what it had
not sent, and its partial frame is discarded, never parsed.

A child connects to the queue's Unix socket only to hand the parent the read end of a
pipe of its own (``SCM_RIGHTS``), then writes its frames into the pipe, one write a
record: a record is in the kernel when the logging call returns, so a child that ends
with ``os._exit`` loses nothing. A small write into a pipe costs the kernel a third of a
``send`` on a Unix stream socket, which allocates a socket buffer per send (0.43 against
1.2 µs for a 90-byte frame here). The pipe keeps the system's size (64 KiB on Linux,
about 1,000 of the benchmark's frames): a larger one (``F_SETPIPE_SZ``) gained 2 to 5% in
the 4-process benchmark, and counts against the user's limit on pipe memory, which every
other pipe of that user shares.

The parent's receiver thread reads each pipe, decodes the whole frames a read brought
and puts their records on the queue in one go (``ThreadQueue.put_many``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import shutil
import socket
import tempfile
import threading
import time
import weakref
from collections import deque
from typing import Any

from logboot.core.reporting import write_stderr
from logboot.runtime.frames import Decoder, Encoder
from logboot.runtime.queues import Overflow, ThreadQueue, stays_taken
from logboot.sinks.base import write_bytes

_READ_SIZE = 256 * 1024
# After a round of reads that brought less than _GATHER_BYTES (about 500 of the benchmark's
# records), the receiver lets the children's records gather in their pipes for
# _GATHER_PAUSE before it looks again. Woken by every small write it read a few records a
# time (20 to 70 with 4 busy children), with a system call, a wake-up of the listener and
# two thread switches each; gathered, 200 or so (docs/benchmarks.md, "Processes, round two").
# A record waits that much longer to be written; a child's pipe (64 KiB) fills in a
# millisecond only with messages of kilobytes, whose reads are not small.
_GATHER_BYTES = 32 * 1024
_GATHER_PAUSE = 0.0005
HELLO = b"P"  # the byte a child sends with its pipe's read end


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
        lock = self._lock  # the encoder numbers call sites for this connection: one at a time
        lock.acquire()  # not `with`: on this hot path its protocol costs twice the lock (0.15 µs)
        try:
            if self._inside:
                # A signal handler (or finalizer) logs while this thread is mid-frame: writing
                # now would cut that frame. The interrupted put sends it before letting go.
                self._pending.append(record)
                return True
            sent = self._send(record)
            if self._pending:  # a handler that runs after this check finds _inside false and sends its own
                pending = self._pending
                while pending:
                    self._send(pending.popleft())
            return sent
        finally:
            lock.release()

    def _send(self, record: logging.LogRecord) -> bool:
        self._inside = True
        try:
            pipe = self._pipe
            if pipe < 0:
                pipe = self._pipe = self._connect()
            frames = self._encoder.encode(record)
            try:
                done = os.write(pipe, frames)
                if done < len(frames):  # cut short (a signal in a full pipe): the rest
                    write_bytes(pipe, frames[done:])
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
        self.buffer = bytearray()  # the start of a frame not yet whole
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
                got = 0
                for key, _ in selector.select(timeout=1.0):
                    if key.data is None:
                        self._accept(selector, greeting)
                    elif key.data == "wake":
                        self._waker_r.recv(64)
                    elif isinstance(key.data, socket.socket):
                        self._take_pipe(key.data, selector, greeting, connections)
                    else:
                        got += self._read(key.data, selector, connections)
                if 0 < got < _GATHER_BYTES:
                    time.sleep(_GATHER_PAUSE)
            # Stopping: take every pending connection and everything already sent. A
            # child that has not handed over its pipe yet has written nothing into it.
            self._accept(selector, greeting)
            for sock in list(greeting):
                self._take_pipe(sock, selector, greeting, connections)
            for connection in list(connections):
                # Until the stop's deadline: a child still logging must not keep us here.
                while time.monotonic() < self._drain_deadline and self._read(
                    connection, selector, connections
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
    ) -> int:
        """Read once from a child; the number of bytes read (0: none waiting, or the pipe
        ended and the child is seen to have detached)."""
        try:
            data = os.read(connection.pipe, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:
            data = b""
        if not data:
            self._detach(connection, selector, connections)
            return 0
        buffer: bytes | bytearray = data
        if connection.buffer:  # the rest of a frame begun in an earlier read
            connection.buffer += data
            buffer = connection.buffer
        records, position, bad = connection.decoder.decode_frames(buffer)
        self.corrupt_frames += bad
        if records:
            self.put_many(records)  # what one read brought, in one go
        if position < 0:
            self.corrupt_frames += 1
            write_stderr(f"logboot: queue {self.name!r}: a child sent a corrupt frame; disconnected\n")
            self._detach(connection, selector, connections, report=False)
            return 0
        if buffer is not data:
            del connection.buffer[:position]
        elif position < len(data):  # a frame begun: kept until a later read brings its rest
            connection.buffer += data[position:]
        return len(data)

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
