"""A disk that fills in the middle of a batch: the file keeps only whole records, the others are counted.

The disk is full for real: a 64 KiB tmpfs filled by a ballast file (needs root and `mount`),
and, everywhere, a file size limit (``RLIMIT_FSIZE``) in the child that writes, which makes
the kernel write short and then fail with ``EFBIG``. Freeing the ballast or raising the limit
again is "space returns".
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from logboot.sinks.base import PartialWriteError
from logboot.sinks.files import WRITE_CHUNK, FileSink, chunked

from .harness import bare_profile, numbers, run_child, whole_lines

pytestmark = pytest.mark.timeout(90)

BEFORE, DURING, AFTER = 30, 30, 20  # records logged before the disk fills, while full, after space returns
RECORD = 100  # bytes per line, newline included
ROOM = 1096  # bytes left when the disk fills: 10 whole records and 96 bytes of the 11th
FITS = ROOM // RECORD

SINKS = {
    "file": "type: file",
    "rotating_file": "type: rotating_file, max_bytes: 1MiB",
    "timed_rotating_file": "type: timed_rotating_file, when: D",
    "concurrent_rotating_file": "type: concurrent_rotating_file, max_bytes: 1MiB, backup_count: 1",
}

# Logs BEFORE records, fills the disk leaving ROOM bytes (tmpfs: a ballast file; fsize:
# RLIMIT_FSIZE), logs DURING records as one batch (the sink's lock holds the listener back
# until all are queued), frees the space, logs AFTER records, prints the sink's counters.
CHILD = """
import json, logging, os, resource, signal, sys
import logboot

log_file, how = sys.argv[2], sys.argv[3]
BEFORE, DURING, AFTER, RECORD, ROOM = (int(arg) for arg in sys.argv[4:9])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past RLIMIT_FSIZE: EFBIG, not death
runtime = logboot.setup_logging(sys.argv[1])
log = logging.getLogger("app")


def log_range(start, stop):
    for seq in range(start, stop):
        log.info("record %06d %s", seq, "x" * (RECORD - 15))


def fill_disk():
    if how == "fsize":
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(log_file) + ROOM, hard))
        return
    with open(os.path.join(os.path.dirname(log_file), "ballast"), "wb", buffering=0) as ballast:
        try:
            while True:
                ballast.write(bytes(4096))
        except OSError:
            pass  # the disk is full but for the slack of the log file's last page


def free_space():
    if how == "fsize":
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    else:
        os.unlink(os.path.join(os.path.dirname(log_file), "ballast"))


log_range(0, BEFORE)
assert runtime.flush(30.0)
fill_disk()
handler = runtime.topology.sinks["out"].handler
handler.acquire()
try:
    log_range(BEFORE, BEFORE + DURING)
finally:
    handler.release()
assert runtime.flush(30.0)
free_space()
log_range(BEFORE + DURING, BEFORE + DURING + AFTER)
assert runtime.flush(30.0)
stats = runtime.stats()["sinks"]["out"]
runtime.stop()
print(json.dumps(stats))
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (skipped where mounting is not permitted)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and `mount`; the RLIMIT_FSIZE test covers a short write")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the RLIMIT_FSIZE test covers it")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True, capture_output=True)


def fill_mid_batch(folder: Path, log_file: Path, sink: str, how: str) -> None:
    """Run the scenario in a child; check every line is one whole record and every record is counted."""
    if "concurrent" in sink:
        pytest.importorskip("concurrent_log_handler")
    path = bare_profile(folder, sink=SINKS[sink], log_name=str(log_file.relative_to(folder)))
    sizes = (BEFORE, DURING, AFTER, RECORD, ROOM)
    done = run_child(folder, CHILD, str(path), str(log_file), how, *map(str, sizes))
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    lines = whole_lines(log_file)
    assert numbers(lines, r"^record (\d{6}) x{85}$") == [
        *range(BEFORE + FITS),
        *range(BEFORE + DURING, BEFORE + DURING + AFTER),
    ]
    assert (stats["records"], stats["errors"]) == (BEFORE + FITS + AFTER, DURING - FITS)
    assert stats["records"] + stats["errors"] == BEFORE + DURING + AFTER


@pytest.mark.parametrize("sink", list(SINKS))
def test_disk_full_mid_batch_leaves_only_whole_records(tmp_path: Path, small_disk: Path, sink: str) -> None:
    """A tmpfs full mid-batch leaves only whole records, and written + errors == logged."""
    fill_mid_batch(tmp_path, small_disk / "app.log", sink, "tmpfs")


@pytest.mark.parametrize("sink", list(SINKS))
def test_file_size_limit_mid_batch_leaves_only_whole_records(tmp_path: Path, sink: str) -> None:
    """A file size limit (EFBIG) hit mid-batch leaves only whole records, and written + errors == logged."""
    fill_mid_batch(tmp_path, tmp_path / "app.log", sink, "fsize")


@pytest.mark.parametrize("between_our_writes", [False, True], ids=["after the torn bytes", "inside them"])
def test_another_writers_bytes_are_never_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, between_our_writes: bool
) -> None:
    """A torn record that another appender's bytes follow or split is left, never cut with theirs."""
    sink = FileSink(tmp_path / "app.log")
    other = os.open(tmp_path / "app.log", os.O_WRONLY | os.O_APPEND)
    real_write = os.write
    calls: list[int] = []

    def short_writes_around_another_writer(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) == 1:  # "record 0\n" and one byte of "record 1\n", then the other process
            wrote = real_write(fd, data[:10])
            real_write(other, b"other writer\n")
            return wrote
        if len(calls) == 2 and between_our_writes:
            return real_write(fd, data[:3])  # three more bytes of "record 1\n", after theirs
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", short_writes_around_another_writer)
    with pytest.raises(PartialWriteError) as info:
        sink.write_lines(["record 0", "record 1", "record 2"])
    monkeypatch.undo()
    os.close(other)
    sink.close()
    assert info.value.written == 1
    tail = b"eco" if between_our_writes else b""
    assert (tmp_path / "app.log").read_bytes() == b"record 0\nr" + b"other writer\n" + tail


def test_a_torn_record_is_cut_when_the_file_ends_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A torn record made of several short writes of ours, last in the file, is cut off whole."""
    sink = FileSink(tmp_path / "app.log")
    real_write = os.write
    calls: list[int] = []

    def three_short_writes(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) <= 3:
            return real_write(fd, data[:4])  # 12 bytes: "record 0\n" and "rec"
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(os, "write", three_short_writes)
    with pytest.raises(PartialWriteError) as info:
        sink.write_lines(["record 0", "record 1"])
    monkeypatch.undo()
    assert (info.value.written, sink.size) == (1, 9)
    assert sink.write_lines(["record 2"]) == 1
    sink.close()
    assert numbers(whole_lines(tmp_path / "app.log")) == [0, 2]


BIG_RECORD = 4096  # bytes per line of the split-batch test, newline included
BIG_ROOM = 3 * BIG_RECORD + 1000  # three whole records, and 1000 bytes of the fourth


def test_file_size_limit_in_a_split_batch_leaves_only_whole_records(tmp_path: Path) -> None:
    """A batch split by `batch_bytes` (two 4 KiB records a part) that hits EFBIG in its second
    part leaves only whole records; the later parts are counted, and written + errors == logged."""
    log_file = tmp_path / "app.log"
    path = bare_profile(tmp_path)
    path.write_text(
        path.read_text().replace("sinks: [out]}", "sinks: [out], batch_bytes: 8KiB}"), encoding="utf-8"
    )
    assert "batch_bytes: 8KiB" in path.read_text()
    sizes = (BEFORE, DURING, AFTER, BIG_RECORD, BIG_ROOM)
    done = run_child(tmp_path, CHILD, str(path), str(log_file), "fsize", *map(str, sizes))
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    fits = BIG_ROOM // BIG_RECORD
    assert numbers(whole_lines(log_file), rf"^record (\d{{6}}) x{{{BIG_RECORD - 15}}}$") == [
        *range(BEFORE + fits),
        *range(BEFORE + DURING, BEFORE + DURING + AFTER),
    ]
    assert (stats["records"], stats["errors"]) == (BEFORE + fits + AFTER, DURING - fits)


def test_a_short_write_in_the_second_part_of_a_big_batch_leaves_only_whole_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch written in parts of 64 KiB (one writev) cut short in its second part (then
    ENOSPC) keeps the first part and the whole lines of the second, counted; the torn line
    is cut off."""
    sink = FileSink(tmp_path / "app.log")
    lines = [f"record {seq:06d} " + "y" * 3986 for seq in range(40)]  # 4,000 bytes and a newline
    groups = chunked(lines, WRITE_CHUNK)
    assert len(groups) > 2
    cut = (len(groups[0]) + 10) * 4001 + 500  # the first part, ten whole lines, a torn one
    real_write = os.write
    vectors: list[int] = []

    def writev_cut_short(fd: int, parts: list[bytes]) -> int:
        vectors.append(len(parts))
        return real_write(fd, b"".join(parts)[:cut])

    def no_space(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "writev", writev_cut_short)
    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(PartialWriteError) as info:
        sink.write_lines(lines)
    monkeypatch.undo()
    assert vectors == [len(groups)]  # every part in one system call
    assert (info.value.written, sink.size) == (len(groups[0]) + 10, (len(groups[0]) + 10) * 4001)
    sink.close()
    expected = list(range(len(groups[0]) + 10))
    assert numbers(whole_lines(tmp_path / "app.log"), r"^record (\d{6}) y{3986}$") == expected
