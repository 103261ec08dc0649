"""Process queues over a real pipe handed over a real Unix socket: what arrives, what is
counted, what ends a pipe."""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from test_frames import record

from logboot.runtime.frames import Encoder
from logboot.runtime.transport import HELLO, ProcessChannel, ProcessQueue


@pytest.fixture
def queue() -> Iterator[ProcessQueue]:
    receiving = ProcessQueue("wire")
    receiving.start_receiving()
    try:
        yield receiving
    finally:
        receiving.stop_receiving(5)
        receiving.close_server()


def frame(kind: bytes, value: object) -> bytes:
    payload = kind + pickle.dumps(value)
    return struct.pack("!I", len(payload)) + payload


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def hand_over(queue: ProcessQueue) -> int:
    """Connect to ``queue`` as a child does; returns the write end of the pipe handed over."""
    read_end, write_end = os.pipe()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
        socket.send_fds(sock, [HELLO], [read_end])
    os.close(read_end)
    return write_end


def write(pipe: int, data: bytes) -> None:
    with os.fdopen(pipe, "wb", closefd=False) as out:
        out.write(data)


def refused(pipe: int) -> bool:
    """True once nobody reads ``pipe`` any more."""
    try:
        write(pipe, b"x")
    except BrokenPipeError:
        return True
    return False


def test_bad_frames_are_counted_and_the_stream_goes_on(queue: ProcessQueue) -> None:
    """A record before the fields, and an unknown kind, are each counted once; what follows
    on the same connection still arrives, in order."""
    pipe = hand_over(queue)
    stray = Encoder()
    write(pipe, stray.encode(record("first %s", "x")))  # no FIELDS frame: site and record refused
    write(pipe, frame(b"Z", "what is this"))
    encoder = Encoder()
    write(
        pipe,
        encoder.opening()
        + encoder.encode(record("second %s", "y"))
        + encoder.encode(record("third %s", "z")),
    )
    wait_until(lambda: queue.size() == 2)
    os.close(pipe)
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(10)] == ["second y", "third z"]
    stats = queue.stats()
    assert (stats["corrupt_frames"], stats["partial_frames"], stats["children_attached"]) == (3, 0, 1)


def test_a_child_that_dies_mid_frame_loses_only_that_frame(queue: ProcessQueue) -> None:
    """Whole frames before the cut arrive; the partial one is discarded and reported once."""
    encoder = Encoder()
    whole = encoder.opening() + b"".join(encoder.encode(record("n %d", n)) for n in range(100))
    cut = encoder.encode(record("n %d", 100))
    pipe = hand_over(queue)
    write(pipe, whole + cut[: len(cut) // 2])
    os.close(pipe)
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(1000)] == [f"n {n}" for n in range(100)]
    assert (queue.partial_frames, queue.corrupt_frames) == (1, 0)


def test_stop_reads_what_an_ended_child_sent_and_sees_it_leave(queue: ProcessQueue) -> None:
    """At stop, everything already sent is read, and a child that has gone counts as detached."""
    pipe = hand_over(queue)
    wait_until(lambda: queue.children_attached == 1)
    encoder = Encoder()
    frames = encoder.opening() + b"".join(encoder.encode(record("n %d", n)) for n in range(5000))

    def write_all_and_end() -> None:
        write(pipe, frames)
        os.close(pipe)

    writer = threading.Thread(target=write_all_and_end)
    writer.start()  # more than a pipe holds: the receiver reads while it is written
    writer.join(10)
    queue.stop_receiving(5)
    assert queue.size() == 5000
    assert (queue.children_attached, queue.children_detached) == (1, 1)


def test_a_connection_that_hands_over_no_pipe_is_refused_and_counted(
    queue: ProcessQueue, capfd: pytest.CaptureFixture[str]
) -> None:
    """Frames written straight into the socket are not read as records, nor a pipe sent
    with another word; one that closes without a word is simply gone; a child after them
    is served."""
    encoder = Encoder()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
        sock.sendall(encoder.opening() + encoder.encode(record()))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
    read_end, write_end = os.pipe()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(queue.address)
        socket.send_fds(sock, [b"?"], [read_end])  # a pipe, but not with the word logboot says
    os.close(read_end)
    wait_until(lambda: refused(write_end), timeout=5)  # the parent closed the read end it was sent
    os.close(write_end)
    pipe = hand_over(queue)
    fresh = Encoder()
    write(pipe, fresh.opening() + fresh.encode(record("after %s", "them")))
    os.close(pipe)
    wait_until(lambda: queue.children_detached == 1)
    assert [r.getMessage() for r in queue.take(10)] == ["after them"]
    assert (queue.corrupt_frames, queue.children_attached) == (2, 1)
    assert capfd.readouterr().err.count("a connection sent no pipe") == 2


def fd_link(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except FileNotFoundError:  # the listing's own descriptor, closed since
        return None


def test_the_parent_end_of_a_pipe_is_its_own(queue: ProcessQueue) -> None:
    """The read end the parent receives is non-blocking (one selector thread serves every
    child) and not inherited by programs the parent starts."""
    channel = ProcessChannel(queue.address, "wire")
    assert channel.put(record())
    wait_until(lambda: queue.size() == 1)
    link = f"pipe:[{os.fstat(channel._pipe).st_ino}]"
    theirs = [
        fd for fd in map(int, os.listdir("/proc/self/fd")) if fd != channel._pipe and fd_link(fd) == link
    ]
    assert len(theirs) == 1
    assert not os.get_inheritable(theirs[0])
    assert not os.get_blocking(theirs[0])
    channel.close()
    wait_until(lambda: queue.children_detached == 1)


def test_a_put_interrupted_mid_frame_loses_only_that_record() -> None:
    """A signal handler that raises while a large frame is half written into a full pipe:
    the record is not sent, the pipe ends there, and every whole record before and after
    it arrives, in order."""
    queue = ProcessQueue("cut", max_size=0)  # not receiving yet: the pipe fills
    channel = ProcessChannel(queue.address, "cut")

    class AlarmError(Exception):
        pass

    def interrupt(signum: int, frame: object) -> None:
        raise AlarmError("interrupted by the test")

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        sent = 0
        while True:  # 200 small records, then one larger than the pipe: it blocks half written
            message = "big %d " + "x" * 1_000_000 if sent == 200 else "n %d"
            if sent == 200:
                signal.setitimer(signal.ITIMER_REAL, 0.3)
                with pytest.raises(AlarmError, match="by the test"):
                    channel.put(record(message, sent))
                break
            assert channel.put(record(message, sent))
            sent += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert channel._pipe == -1  # the cut pipe is closed: its stream ends with the partial frame
    queue.start_receiving()
    try:
        assert channel.put(record("after %d", 1))  # a new pipe
        wait_until(lambda: queue.size() == 201 and queue.children_detached == 1)
        got = [r.getMessage() for r in queue.take(1000)]
        assert got == [f"n {n}" for n in range(200)] + ["after 1"]
        assert (queue.partial_frames, queue.corrupt_frames, queue.children_attached) == (1, 0, 2)
    finally:
        channel.close()
        queue.stop_receiving(5)
        queue.close_server()


@pytest.mark.parametrize("fork_logs", [True, False], ids=["fork-logs", "fork-silent"])
def test_a_forked_process_lets_go_of_the_pipe_it_inherited(queue: ProcessQueue, fork_logs: bool) -> None:
    """A fork of a connected process closes its copy of the pipe it inherited at once (and
    logs, if it does, through a pipe of its own): the first process's pipe ends when that
    process closes it, while the fork still runs."""
    channel = ProcessChannel(queue.address, "wire")
    assert channel.put(record("before %s", "fork"))
    release_r, release_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the fork's own coverage is not collected
        os.close(release_w)
        code = 0 if not fork_logs or channel.put(record("in %s", "fork")) else 1
        os.read(release_r, 1)  # alive until the test is done looking
        os._exit(code)
    os.close(release_r)
    pipes = 2 if fork_logs else 1
    try:
        wait_until(lambda: queue.size() == pipes)
        channel.close()
        wait_until(lambda: queue.children_detached == 1, timeout=5)
        assert queue.children_attached == pipes
    finally:
        os.close(release_w)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    wait_until(lambda: queue.children_detached == pipes)
    expected = ["before fork", "in fork"] if fork_logs else ["before fork"]
    assert sorted(r.getMessage() for r in queue.take(10)) == expected


def test_stop_takes_the_pipes_of_connections_not_yet_seen() -> None:
    """A child that connected, wrote and left before the receiver ever looked: the stop
    accepts its connection, takes its pipe and reads it to the end."""
    queue = ProcessQueue("late")
    try:
        pipe = hand_over(queue)
        encoder = Encoder()
        write(pipe, encoder.opening() + b"".join(encoder.encode(record("n %d", n)) for n in range(50)))
        os.close(pipe)
        queue.stop_receiving(5)  # before the receiver runs: it goes straight to the stop's reading
        queue.start_receiving()
        queue.stop_receiving(5)  # waits for it
        assert [r.getMessage() for r in queue.take(100)] == [f"n {n}" for n in range(50)]
        assert (queue.children_attached, queue.children_detached) == (1, 1)
    finally:
        queue.close_server()
