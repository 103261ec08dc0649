"""The bench engine: a synthetic load through a user's profile, sinks redirected."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import file_profile

from logboot.profile.loading import load_profile
from logboot.profile.schema import FileSinkSpec, RotatingFileSinkSpec
from logboot.testing.bench import BenchError, BenchResult, redirect_sinks, run_bench

CONSOLE_AND_FILES = """\
version: 1
formatters:
  bare: {{type: text, format: "{{message}}"}}
sinks:
  console: {{type: console, stream: stderr, level: WARNING, formatter: bare}}
  app: {{type: rotating_file, path: "{folder}/app.log", max_bytes: 1MiB, backup_count: 2, formatter: bare}}
  quiet: {{type: "null"}}
queues:
  main: {{max_size: 1000, overflow: block}}
listeners:
  main: {{queue: main, sinks: [console, app, quiet]}}
root: {{level: INFO, queue: main}}
"""


def test_bench_counts_every_record_and_leaves_the_users_files_alone(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """Every record is handled once, into a temporary folder, never the profile's own file."""
    target = tmp_path / "logs" / "out.log"
    profile = write_profile(file_profile(target))
    result = run_bench(profile, records=2_000)
    assert isinstance(result, BenchResult)
    assert (result.records, result.handled, result.dropped, result.clean) == (2_000, 2_000, 0, True)
    assert result.sinks["out"]["records"] == 2_000
    assert not target.exists()
    assert result.redirected["out"] != str(target)
    assert not Path(result.redirected["out"]).exists()  # the temporary folder is gone
    assert result.bytes_written >= 2_000 * len("user alice did login in 0 ms\n")
    assert 0 < result.latency_p50_us <= result.latency_p99_us <= result.latency_max_us
    assert result.records_per_second > 0
    assert 0 < result.peak_queue_depth <= 10_000


def test_bench_restores_logging_as_it_was(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    """After the run the root logger has its handlers and level back."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    run_bench(write_profile(file_profile(tmp_path / "out.log")), records=100)
    assert (list(root.handlers), root.level) == before


def test_redirect_sinks_rewrites_paths_and_replaces_outside_sinks(tmp_path: Path) -> None:
    """File sinks keep their type, with a new path; a console sink becomes a file with its settings."""
    source = tmp_path / "profile.yaml"
    source.write_text(CONSOLE_AND_FILES.format(folder=tmp_path / "real"), encoding="utf-8")
    profile = load_profile(source)
    folder = tmp_path / "bench"
    redirected, moved = redirect_sinks(profile, folder)
    app = redirected.sinks["app"]
    assert isinstance(app, RotatingFileSinkSpec)
    assert (app.path, app.max_bytes, app.backup_count) == (str(folder / "app.log"), 1 << 20, 2)
    console = redirected.sinks["console"]
    assert isinstance(console, FileSinkSpec)
    assert (console.type, console.path, console.level, console.formatter) == (
        "file",
        str(folder / "console.log"),
        logging.WARNING,
        "bare",
    )
    assert redirected.sinks["quiet"].type == "null"
    assert moved == {"app": str(folder / "app.log"), "console": str(folder / "console.log")}
    original = profile.sinks["app"]
    assert isinstance(original, FileSinkSpec)
    assert original.path == str(tmp_path / "real" / "app.log")  # the validated profile is unchanged


def test_bench_never_writes_to_the_console(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a console sink at the bench's level, the records go to a file, not to stderr."""
    source = tmp_path / "profile.yaml"
    source.write_text(
        CONSOLE_AND_FILES.format(folder=tmp_path / "real").replace("level: WARNING", "level: INFO"),
        encoding="utf-8",
    )
    result = run_bench(source, records=500)
    assert result.sinks["console"]["records"] == 500
    assert "did" not in capsys.readouterr().err
    assert not (tmp_path / "real").exists()


def test_progress_reaches_the_total_and_never_goes_back(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """The progress callback runs in the caller's thread and ends with (total, total)."""
    seen: list[tuple[int, int]] = []
    profile = write_profile(file_profile(tmp_path / "out.log"))
    run_bench(profile, records=3_000, threads=3, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (3_000, 3_000)
    assert all(total == 3_000 for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_threads_share_the_records_exactly(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """Records that do not divide evenly among threads are all logged, each once."""
    result = run_bench(write_profile(file_profile(tmp_path / "out.log")), records=1_001, threads=4)
    assert (result.records, result.handled, result.dropped, result.threads) == (1_001, 1_001, 0, 4)


def test_drops_are_counted_with_a_small_queue(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """With drop_newest and a tiny queue, handled + dropped is every record."""
    profile = write_profile(file_profile(tmp_path / "out.log", max_size=1, overflow="drop_newest"))
    result = run_bench(profile, records=5_000)
    assert result.handled + result.dropped == 5_000
    assert result.peak_queue_depth == 1


def test_real_sinks_write_where_the_profile_says(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """With real_sinks the profile's own file receives the records."""
    target = tmp_path / "out.log"
    result = run_bench(write_profile(file_profile(target)), records=300, real_sinks=True)
    assert result.redirected == {}
    assert len(target.read_text(encoding="utf-8").splitlines()) == 300


def test_a_logger_that_drops_the_level_is_refused(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """A bench whose records the logger would discard fails, naming the level to use."""
    profile = write_profile(file_profile(tmp_path / "out.log").replace("level: DEBUG", "level: WARNING"))
    with pytest.raises(
        BenchError,
        match=r"^logger 'bench' drops INFO records \(its level is WARNING\); bench at that level instead$",
    ):
        run_bench(profile, records=10)


def test_a_profile_without_a_queue_for_the_logger_is_refused(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """No queue takes the bench logger's records: nothing could be measured."""
    text = file_profile(tmp_path / "out.log") + "loggers:\n  bench: {propagate: false}\n"
    profile = write_profile(text)
    with pytest.raises(BenchError, match=r"^no queue of the profile takes the records of logger 'bench'$"):
        run_bench(profile, records=10)


def test_bad_arguments_are_refused(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """Zero records or threads is a usage error."""
    with pytest.raises(ValueError, match=r"^records and threads must be at least 1, processes at least 0$"):
        run_bench(write_profile(file_profile(tmp_path / "out.log")), records=0)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process queues use Unix sockets")
def test_processes_send_every_record_to_the_parent(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """Spawned children attached to a process queue deliver every record once."""
    text = file_profile(tmp_path / "out.log").replace("main: {max_size", "main: {kind: process, max_size")
    result = run_bench(write_profile(text), records=2_000, processes=2, threads=2)
    assert (result.records, result.handled, result.dropped, result.processes) == (2_000, 2_000, 0, 2)
    assert result.sinks["out"]["records"] == 2_000
