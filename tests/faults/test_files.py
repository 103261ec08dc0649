"""Log files under hostile or careless hands: moved, deleted, replaced by a symlink, odd umasks."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

import logboot
from logboot.sinks.files import FileSink

from .harness import bare_profile, numbers, run_child, whole_lines

pytestmark = pytest.mark.timeout(60)


def log_range(runtime: logboot.Runtime, start: int, stop: int) -> None:
    """Log records ``start`` to ``stop - 1`` and wait until all are written."""
    log = logging.getLogger("app")
    for seq in range(start, stop):
        log.info("record %d", seq)
    assert runtime.flush(10.0)


def test_file_renamed_mid_stream_is_reopened(tmp_path: Path) -> None:
    """After logrotate-style renaming, the next batch goes to a new file at the configured path."""
    runtime = logboot.setup_logging(bare_profile(tmp_path))
    log_range(runtime, 0, 1000)
    os.rename(tmp_path / "app.log", tmp_path / "app.log.1")
    log_range(runtime, 1000, 2500)
    runtime.stop()
    assert numbers(whole_lines(tmp_path / "app.log.1")) == list(range(1000))
    assert numbers(whole_lines(tmp_path / "app.log")) == list(range(1000, 2500))
    assert stat.S_IMODE((tmp_path / "app.log").stat().st_mode) == 0o640


def test_file_deleted_mid_stream_is_recreated(tmp_path: Path) -> None:
    """A deleted log file (and its deleted folder) is created again on the next batch."""
    target = tmp_path / "logs"
    path = bare_profile(tmp_path)
    path.write_text(path.read_text().replace(str(tmp_path / "app.log"), str(target / "app.log")))
    runtime = logboot.setup_logging(path)
    log_range(runtime, 0, 100)
    (target / "app.log").unlink()
    target.rmdir()
    log_range(runtime, 100, 300)
    stats = runtime.stats()["sinks"]["out"]
    runtime.stop()
    assert numbers(whole_lines(target / "app.log")) == list(range(100, 300))
    assert (stats["records"], stats["errors"]) == (300, 0)


def test_rotating_file_renamed_mid_stream_is_reopened(tmp_path: Path) -> None:
    """A rotating_file sink follows a rename too, and rolls over normally afterwards."""
    runtime = logboot.setup_logging(bare_profile(tmp_path, sink="type: rotating_file, max_bytes: 1MiB"))
    log_range(runtime, 0, 50)
    os.rename(tmp_path / "app.log", tmp_path / "moved.log")
    log_range(runtime, 50, 80)
    runtime.stop()
    assert numbers(whole_lines(tmp_path / "moved.log")) == list(range(50))
    assert numbers(whole_lines(tmp_path / "app.log")) == list(range(50, 80))


def test_reopen_never_keeps_writing_to_the_moved_file(tmp_path: Path) -> None:
    """With `reopen: never`, records keep going to the open (moved) file."""
    runtime = logboot.setup_logging(bare_profile(tmp_path, sink_options=", reopen: never"))
    log_range(runtime, 0, 100)
    os.rename(tmp_path / "app.log", tmp_path / "app.log.1")
    log_range(runtime, 100, 200)
    runtime.stop()
    assert numbers(whole_lines(tmp_path / "app.log.1")) == list(range(200))
    assert not (tmp_path / "app.log").exists()


def test_watch_costs_one_stat_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch makes exactly one os.stat call per batch, whatever the batch size."""
    sink = FileSink(tmp_path / "app.log")
    calls: list[object] = []
    real_stat = os.stat

    def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        calls.append(path)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("logboot.sinks.files.os.stat", counting_stat)
    assert sink.write_lines([f"record {i}" for i in range(500)]) == 500
    assert sink.write_lines(["record 500"]) == 1
    sink.close()
    assert calls == [sink.path, sink.path]


def test_symlink_at_the_log_path_is_refused(tmp_path: Path) -> None:
    """A symlink planted at the log path fails setup with a clear error; its target is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    before = victim.stat()
    (tmp_path / "app.log").symlink_to(victim)
    with pytest.raises(
        logboot.SetupError,
        match=rf"^refusing to open log file '{tmp_path / 'app.log'}': it is a symlink "
        r"\(a link at a log path can redirect writes to another file\)$",
    ):
        logboot.setup_logging(bare_profile(tmp_path))
    assert victim.read_text() == "precious\n"
    assert (victim.stat().st_mtime_ns, victim.stat().st_size) == (before.st_mtime_ns, before.st_size)


def test_dangling_symlink_is_refused_and_its_target_not_created(tmp_path: Path) -> None:
    """A symlink to a file that does not exist yet is refused too; nothing is created there."""
    (tmp_path / "app.log").symlink_to(tmp_path / "created-by-attacker.txt")
    with pytest.raises(logboot.SetupError, match=r"it is a symlink"):
        logboot.setup_logging(bare_profile(tmp_path))
    assert not (tmp_path / "created-by-attacker.txt").exists()


def test_symlink_planted_after_a_rename_is_refused_at_reopen(tmp_path: Path) -> None:
    """A symlink planted where the watched file was is not followed when the sink reopens: the
    records that cannot be written are counted, and the target stays untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    runtime = logboot.setup_logging(bare_profile(tmp_path))
    log_range(runtime, 0, 10)
    os.rename(tmp_path / "app.log", tmp_path / "app.log.1")
    (tmp_path / "app.log").symlink_to(victim)
    log_range(runtime, 10, 30)
    stats = runtime.stats()["sinks"]["out"]
    runtime.stop()
    assert victim.read_text() == "precious\n"
    assert numbers(whole_lines(tmp_path / "app.log.1")) == list(range(10))
    assert (stats["records"], stats["errors"]) == (10, 20)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
@pytest.mark.parametrize("mode", ["0640", "0600", "0664"])
def test_file_mode_holds_under_any_umask(tmp_path: Path, umask: int, mode: str) -> None:
    """Log files and rotated files get exactly the configured mode, whatever the umask."""
    rotating = "type: rotating_file, max_bytes: 100, backup_count: 2"
    path = bare_profile(tmp_path, sink=rotating, sink_options=f", mode: '{mode}'")
    done = run_child(
        tmp_path,
        """
        import logging, os, sys, logboot
        os.umask(int(sys.argv[2], 8))
        runtime = logboot.setup_logging(sys.argv[1])
        for seq in range(40):  # about 10 bytes each: three rollovers
            logging.getLogger("app").info("record %d", seq)
        runtime.stop()
        """,
        str(path),
        oct(umask),
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in tmp_path.glob("app.log*"))
    assert files == ["app.log", "app.log.1", "app.log.2"]
    for name in files:
        assert oct(stat.S_IMODE((tmp_path / name).stat().st_mode)) == oct(int(mode, 8)), name
