"""No file sink writes through a symlink: not at setup, not when it reopens, not at a lock or rotated name.

A symlink planted where a sink writes (the log path, concurrent-log-handler's lock file, a
name a rollover renames to) would let whoever can write the log folder make the service
write, create, truncate or chmod any file it can reach. Each case checks that the target
keeps its content, size, time stamp and mode, and that a dangling link's target is never created.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest
from faults.harness import bare_profile, numbers, run_child, whole_lines

import logboot
from logboot.sinks.timed import TimedRotatingFileSink

SINKS = {
    "file": "type: file",
    "rotating_file": "type: rotating_file, max_bytes: 1MiB",
    "timed_rotating_file": "type: timed_rotating_file, when: D",
    "concurrent_rotating_file": "type: concurrent_rotating_file, max_bytes: 1MiB",
}
REFUSED = r"it is a symlink \(a link at a log path can redirect writes to another file\)"


def needs(sink: str) -> None:
    if sink.startswith("concurrent"):
        pytest.importorskip("concurrent_log_handler")


def plant_victim(folder: Path) -> tuple[Path, tuple[int, int, int, bytes]]:
    """A file the attacker wants written (mode 0600, like a secret), and its fingerprint."""
    victim = folder / "victim.txt"
    victim.write_text("precious\n")
    victim.chmod(0o600)
    return victim, fingerprint(victim)


def fingerprint(path: Path) -> tuple[int, int, int, bytes]:
    info = path.stat()
    return (info.st_mtime_ns, info.st_size, stat.S_IMODE(info.st_mode), path.read_bytes())


def log_range(runtime: logboot.Runtime, start: int, stop: int) -> None:
    log = logging.getLogger("app")
    for seq in range(start, stop):
        log.info("record %d", seq)
    assert runtime.flush(10.0)


def records_in(folder: Path, pattern: str) -> list[int]:
    """Every record in the regular files matching ``pattern`` (symlinks are not the sink's)."""
    found: list[int] = []
    for path in folder.glob(pattern):
        if not path.is_symlink():
            found.extend(numbers(whole_lines(path)))
    return sorted(found)


@pytest.mark.parametrize("sink", list(SINKS))
def test_symlink_at_the_log_path_is_refused_by_every_file_sink(tmp_path: Path, sink: str) -> None:
    """A symlink at the log path fails setup with the path and the reason; its target is untouched."""
    needs(sink)
    victim, before = plant_victim(tmp_path)
    (tmp_path / "app.log").symlink_to(victim)
    with pytest.raises(
        logboot.SetupError, match=rf"^refusing to open log file '{tmp_path / 'app.log'}': {REFUSED}$"
    ):
        logboot.setup_logging(bare_profile(tmp_path, sink=SINKS[sink]))
    assert fingerprint(victim) == before


@pytest.mark.parametrize("sink", list(SINKS))
def test_dangling_symlink_at_the_log_path_is_refused_by_every_file_sink(tmp_path: Path, sink: str) -> None:
    """A symlink to a file that does not exist fails setup; its target is not created."""
    needs(sink)
    (tmp_path / "app.log").symlink_to(tmp_path / "created-by-attacker.txt")
    with pytest.raises(
        logboot.SetupError, match=rf"^refusing to open log file '{tmp_path / 'app.log'}': {REFUSED}$"
    ):
        logboot.setup_logging(bare_profile(tmp_path, sink=SINKS[sink]))
    assert not os.path.lexists(tmp_path / "created-by-attacker.txt")


@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
def test_symlink_at_the_lock_path_is_refused(tmp_path: Path, dangling: bool) -> None:
    """A symlink at the lock file fails setup; its target is not opened, chmod-ed or created."""
    needs("concurrent_rotating_file")
    victim, before = plant_victim(tmp_path)
    target = tmp_path / "created-by-attacker.txt" if dangling else victim
    lock = tmp_path / ".__app.lock"
    lock.symlink_to(target)
    with pytest.raises(logboot.SetupError, match=rf"^refusing to open lock file '{lock}': {REFUSED}$"):
        logboot.setup_logging(bare_profile(tmp_path, sink=SINKS["concurrent_rotating_file"]))
    assert fingerprint(victim) == before
    assert not os.path.lexists(tmp_path / "created-by-attacker.txt")


@pytest.mark.parametrize("sink", list(SINKS))
def test_symlink_planted_after_a_rename_is_refused_at_reopen_by_every_file_sink(
    tmp_path: Path, sink: str
) -> None:
    """A symlink planted after the file was moved is refused at reopen; its records are counted as errors."""
    needs(sink)
    victim, before = plant_victim(tmp_path)
    runtime = logboot.setup_logging(bare_profile(tmp_path, sink=SINKS[sink]))
    log_range(runtime, 0, 10)
    os.rename(tmp_path / "app.log", tmp_path / "moved.log")
    (tmp_path / "app.log").symlink_to(victim)
    log_range(runtime, 10, 30)
    stats = runtime.stats()["sinks"]["out"]
    runtime.stop()
    assert fingerprint(victim) == before
    assert numbers(whole_lines(tmp_path / "moved.log")) == list(range(10))
    assert (stats["records"], stats["errors"]) == (10, 20)


# Builds the sink alone (no threads), writes once, plants a symlink at the lock file, forks:
# the child's first write reopens the lock (flock is per open file, so a forked child needs
# its own) and must refuse the link. Prints the child's error, exits with its status.
FORK_CHILD = """
import logging, os, sys
from logboot.profile.schema import ConcurrentRotatingFileSinkSpec
from logboot.sinks.concurrent import build

folder, victim = sys.argv[1], sys.argv[2]
spec = {"type": "concurrent_rotating_file", "path": folder + "/app.log", "max_bytes": 1 << 20}
handler = build(ConcurrentRotatingFileSinkSpec(**spec))
handler.setFormatter(logging.Formatter("%(message)s"))
handler.handle(logging.makeLogRecord({"msg": "record 0"}))
os.unlink(folder + "/.__app.lock")
os.symlink(victim, folder + "/.__app.lock")
pid = os.fork()
if pid == 0:
    errors = []
    handler.handleError = lambda record: errors.append(sys.exc_info()[1])
    handler.handle(logging.makeLogRecord({"msg": "record 1"}))
    print(f"{type(errors[0]).__name__}: {errors[0]}" if errors else "written", flush=True)
    os._exit(0)
_, status = os.waitpid(pid, 0)
handler.close()
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_symlink_planted_at_the_lock_path_is_refused_when_a_forked_child_reopens_it(tmp_path: Path) -> None:
    """A forked child reopening the lock file refuses a symlink planted there and leaves its target alone."""
    needs("concurrent_rotating_file")
    victim, before = plant_victim(tmp_path)
    done = run_child(tmp_path, FORK_CHILD, str(tmp_path), str(victim))
    assert done.returncode == 0, done.stderr
    assert fingerprint(victim) == before
    lock = tmp_path / ".__app.lock"
    assert done.stdout == f"SetupError: refusing to open lock file '{lock}': " + (
        "it is a symlink (a link at a log path can redirect writes to another file)\n"
    )
    assert whole_lines(tmp_path / "app.log") == ["record 0"]


@pytest.mark.parametrize("sink", ["rotating_file", "concurrent_rotating_file"])
def test_symlinks_at_rotated_names_are_never_followed(tmp_path: Path, sink: str) -> None:
    """Rollovers never write through symlinks planted at `app.log.1` and `app.log.2` and lose no record."""
    needs(sink)
    victim, before = plant_victim(tmp_path)
    (tmp_path / "app.log.1").symlink_to(victim)
    (tmp_path / "app.log.2").symlink_to(tmp_path / "created-by-attacker.txt")
    kind = SINKS[sink].split(",")[0]
    runtime = logboot.setup_logging(bare_profile(tmp_path, sink=f"{kind}, max_bytes: 200, backup_count: 20"))
    for start in range(0, 100, 10):  # about 100 bytes a batch: a rollover every other batch
        log_range(runtime, start, start + 10)
    runtime.stop()
    assert fingerprint(victim) == before
    assert not os.path.lexists(tmp_path / "created-by-attacker.txt")
    assert len([path for path in tmp_path.glob("app.log.*") if not path.is_symlink()]) >= 3
    assert records_in(tmp_path, "app.log*") == list(range(100))


def test_timed_rollover_is_not_derailed_by_symlinks_at_rolled_names(tmp_path: Path) -> None:
    """A timed rollover passes symlinks at its next rolled name and at an old one, losing nothing."""
    victim, before = plant_victim(tmp_path)
    sink = TimedRotatingFileSink(tmp_path / "app.log", when="S", backup_count=20)
    boundary = sink.rollover_at
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S", time.localtime(boundary - 1))
    (tmp_path / f"app.log.{stamp}").symlink_to(victim)
    (tmp_path / "app.log.2000-01-01_00-00-00").symlink_to(tmp_path / "created-by-attacker.txt")
    entries = [(boundary - 1 + 0.5 * seq, f"record {seq}") for seq in range(8)]  # three boundaries
    assert sink.write_timed(entries) == 8
    sink.close()
    assert fingerprint(victim) == before
    assert not os.path.lexists(tmp_path / "created-by-attacker.txt")
    assert records_in(tmp_path, "app.log*") == list(range(8))
