"""Rolled files: timed rotation as the standard library's handler does it (restart past a
boundary, weekly names); retention and compression (gzip in the background, max_total_size,
max_age), with real files, real processes and an injected clock."""

from __future__ import annotations

import calendar
import gzip
import json
import logging
import logging.handlers
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, file_profile, wait_until

import logboot
from logboot.errors import ProfileError
from logboot.sinks.files import RotatingFileSink
from logboot.sinks.retention import part_name
from logboot.sinks.timed import TimedRotatingFileSink

pytestmark = pytest.mark.timeout(60)


def utc(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def stdlib_rolled_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, start: float, now: float
) -> str:
    """The name the stdlib's handler gives the file it rolls at ``now``, started at ``start``."""
    folder = tmp_path / "stdlib"
    folder.mkdir()
    fake = types.SimpleNamespace(
        time=lambda: now, gmtime=time.gmtime, localtime=time.localtime, strftime=time.strftime
    )
    handler = logging.handlers.TimedRotatingFileHandler(folder / "app.log", when=when, utc=True)
    try:
        handler.rolloverAt = handler.computeRollover(int(start))
        monkeypatch.setattr(logging.handlers, "time", fake)  # the stdlib's clock only
        handler.doRollover()
    finally:
        handler.close()
    (rolled,) = [p.name for p in folder.iterdir() if p.name != "app.log"]
    return rolled


@pytest.mark.parametrize("when", ["midnight", "W0", "W1", "W2", "W3", "W4", "W5", "W6"])
@pytest.mark.parametrize("started", ["2024-01-03 12:00:00", "2024-01-07 23:59:59", "2024-02-29 00:00:00"])
def test_rolled_names_equal_the_stdlib_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str, started: str
) -> None:
    """A daily or weekly file is named as logging.handlers.TimedRotatingFileHandler names it."""
    start = utc(started)
    clock = [start]
    path = tmp_path / "app.log"
    sink = TimedRotatingFileSink(path, when=when, utc=True, clock=lambda: clock[0])
    sink.write_lines(["before"])
    clock[0] = sink.rollover_at + 1
    sink.write_lines(["after"])
    sink.close()
    (rolled,) = sink.files()
    assert rolled.read_text() == "before\n"
    assert path.read_text() == "after\n"
    assert rolled.name == stdlib_rolled_name(tmp_path, monkeypatch, when, start, clock[0])


def test_restart_past_the_boundary_rolls_over_at_once(tmp_path: Path) -> None:
    """A file last written yesterday is rolled over by the first write after a restart today."""
    path = tmp_path / "app.log"
    path.write_text("yesterday\n")
    yesterday = utc("2024-01-01 15:00:00")
    os.utime(path, (yesterday, yesterday))
    today = utc("2024-01-02 10:00:00")
    sink = TimedRotatingFileSink(path, when="midnight", utc=True, clock=lambda: today)
    assert sink.rollover_at == utc("2024-01-02 00:00:00")
    sink.write_lines(["today"])
    sink.close()
    (rolled,) = sink.files()
    assert rolled.name == "app.log.2024-01-01"
    assert rolled.read_text() == "yesterday\n"
    assert path.read_text() == "today\n"
    assert sink.rollover_at == utc("2024-01-03 00:00:00")


def test_restart_within_the_interval_keeps_writing(tmp_path: Path) -> None:
    """A file last written earlier today is written on; it rolls at tonight's midnight."""
    path = tmp_path / "app.log"
    path.write_text("morning\n")
    morning = utc("2024-01-02 08:00:00")
    os.utime(path, (morning, morning))
    sink = TimedRotatingFileSink(path, when="midnight", utc=True, clock=lambda: morning + 3600)
    sink.write_lines(["later"])
    sink.close()
    assert sink.files() == []
    assert path.read_text() == "morning\nlater\n"
    assert sink.rollover_at == utc("2024-01-03 00:00:00")


# --- retention and compression -------------------------------------------------------------


def records(count: int, start: int = 0, pad: int = 0) -> list[str]:
    """Numbered records; ``pad`` random hex characters each, so gzip has work to do."""
    return [f"record {i:07d} {os.urandom(pad // 2).hex()}" for i in range(start, start + count)]


def read_rolled(path: Path) -> list[str]:
    """Every line of ``path``'s rolled files (``path.N[.gz]`` highest first) and of ``path``;
    fails on a file that does not end on a whole line or a name held in both forms."""
    numbered = {}
    for rolled in path.parent.iterdir():
        match = re.fullmatch(re.escape(path.name) + r"\.(\d+)(\.gz)?", rolled.name)
        if match:
            assert int(match.group(1)) not in numbered, f"{rolled.name} is there plain and gzipped"
            numbered[int(match.group(1))] = rolled
    return [
        line for p in [*(numbered[i] for i in sorted(numbered, reverse=True)), path] for line in lines_of(p)
    ]


def lines_of(path: Path) -> list[str]:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    text = data.decode("utf-8")
    assert text == "" or text.endswith("\n"), f"{path.name} ends in a partial line"
    return text.split("\n")[:-1]


def leftovers(folder: Path) -> list[str]:
    """Part files (compression in progress or cut short)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_rotating_gzip_keeps_every_record_once_in_order(tmp_path: Path) -> None:
    """With compress: gzip every rolled file becomes path.N.gz, with the configured mode, and
    the .gz files and the active file hold every record once, whole, in order."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=4000, backup_count=1000, mode=0o600, compress="gzip")
    expected = records(6000, pad=16)
    for start in range(0, len(expected), 37):
        sink.write_lines(expected[start : start + 37])
    assert sink.settle(30)
    sink.close()
    rolled = sorted(p.name for p in tmp_path.iterdir() if p.name != "app.log")
    count = len(rolled)
    assert count > 40
    assert sorted(rolled) == sorted(f"app.log.{i}.gz" for i in range(1, count + 1))
    assert read_rolled(path) == expected
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o600}
    assert sink.retention.stats() == {"compressed": count, "removed": 0, "compress_errors": 0}
    assert sink.describe() == f"{path} (rolls at 4000 bytes, keeps 1000, gzip)"


def test_rollovers_that_shift_a_file_being_compressed_lose_nothing(tmp_path: Path) -> None:
    """Rollovers shift path.1 to path.2 ... while the compressor works on it: it is found by its
    inode; no record is lost or doubled, no part file is left, every rolled file is gzipped."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=256 * 1024, backup_count=500, compress="gzip")
    expected = records(40_000, pad=160)  # about 7 MB of little-compressible text: gzip lags behind
    for start in range(0, len(expected), 500):
        sink.write_lines(expected[start : start + 500])
    assert sink.settle(60)
    sink.close()
    assert sink.retention.relocated > 0  # the race did happen
    assert read_rolled(path) == expected
    assert leftovers(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if re.fullmatch(r"app\.log\.\d+", p.name)]


def test_files_pruned_while_being_compressed_leave_no_part_file(tmp_path: Path) -> None:
    """With backup_count 2, files are pushed out while the compressor works on them: their
    part files are deleted, and what stays is the newest records, whole and in order."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=128 * 1024, backup_count=2, compress="gzip")
    expected = records(20_000, pad=160)
    for start in range(0, len(expected), 400):
        sink.write_lines(expected[start : start + 400])
    assert sink.settle(60)
    sink.close()
    kept = read_rolled(path)
    assert kept == expected[-len(kept) :]
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1.gz", "app.log.2.gz"]


@pytest.mark.parametrize("compress", [None, "gzip"])
def test_max_total_size_removes_the_oldest_first(tmp_path: Path, compress: str | None) -> None:
    """max_total_size: after settling, the rolled files add up to at most the cap, and those
    kept are the newest (with the active file, an unbroken tail of the records)."""
    path = tmp_path / "app.log"
    cap = 12_000
    sink = RotatingFileSink(path, max_bytes=2000, backup_count=100, compress=compress, max_total_size=cap)
    expected = records(1500, pad=32 if compress is None else 256)
    for start in range(0, len(expected), 50):
        sink.write_lines(expected[start : start + 50])
    assert sink.settle(30)
    sink.close()
    rolled = [p for p in tmp_path.iterdir() if p.name != "app.log"]
    assert rolled
    assert sum(p.lstat().st_size for p in rolled) <= cap
    kept = read_rolled(path)
    assert kept == expected[-len(kept) :]
    assert sink.retention.removed > 0
    described = (
        f"{path} (rolls at 2000 bytes, keeps 100, {compress + ', ' if compress else ''}at most 12000 bytes)"
    )
    assert sink.describe() == described


def test_the_active_file_is_never_removed_even_above_the_cap(tmp_path: Path) -> None:
    """A cap smaller than any one file removes every rolled file but never the active one."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=1000, backup_count=10, max_total_size=10)
    expected = records(500, pad=40)
    sink.write_lines(expected)
    sink.close()
    assert [p.name for p in tmp_path.iterdir()] == ["app.log"]
    kept = lines_of(path)
    assert kept and kept == expected[-len(kept) :]
    assert path.stat().st_size > 10


def utc_clock(text: str) -> list[float]:
    return [utc(text)]


def test_max_age_removes_files_last_written_too_long_ago(tmp_path: Path) -> None:
    """timed + max_age: 30 days, one file a day, each with its last write's time: after the last
    rollover only the files written less than 14 days before the clock remain."""
    path = tmp_path / "app.log"
    clock = utc_clock("2026-11-01 12:00:00")
    sink = TimedRotatingFileSink(
        path, when="midnight", utc=True, backup_count=100, clock=lambda: clock[0], max_age=14 * 86400
    )
    for day in range(30):
        clock[0] = utc("2026-11-01 12:00:00") + day * 86400
        sink.write_lines([f"day {day}"])
        os.utime(path, (clock[0], clock[0]))  # the time this write had on a real clock
    sink.close()
    # Day 29 is active; days 15 to 28 were written less than 14 days before its noon.
    assert [p.name for p in sink.files()] == [f"app.log.2026-11-{16 + d}" for d in range(14)]
    assert [lines_of(p) for p in sink.files()] == [[f"day {d}"] for d in range(15, 29)]
    assert lines_of(path) == ["day 29"]
    assert sink.retention.removed == 15
    assert sink.describe() == f"{path} (rolls every 1 midnight, keeps 100, none older than 14d)"


def test_timed_gzip_names_the_file_after_its_day(tmp_path: Path) -> None:
    """timed + compress: the rolled file is app.log.<day>.gz, with the plain file's mtime (so
    age order and max_age hold), and a second rollover in one stamp never reuses the name."""
    path = tmp_path / "app.log"
    clock = utc_clock("2026-12-01 12:00:00")
    sink = TimedRotatingFileSink(path, when="midnight", utc=True, clock=lambda: clock[0], compress="gzip")
    sink.write_lines(["first of december"])
    written = utc("2026-12-01 12:00:05")
    os.utime(path, (written, written))
    clock[0] = utc("2026-12-02 00:00:01")
    sink.write_lines(["second of december"])
    assert sink.settle(10)
    (rolled,) = sink.files()
    assert rolled.name == "app.log.2026-12-01.gz"
    assert rolled.stat().st_mtime == written
    assert lines_of(rolled) == ["first of december"]
    sink.rollover_at = utc("2026-12-02 00:00:00")  # once more in the same stamp (a clock that went back)
    sink.rollover(clock[0])
    sink.close()
    assert [p.name for p in sink.files()] == ["app.log.2026-12-01.1.gz", "app.log.2026-12-01.gz"]
    assert lines_of(path) == []
    assert lines_of(tmp_path / "app.log.2026-12-01.1.gz") == ["second of december"]


@pytest.mark.parametrize("when", ["W0", "W3", "W6"])
def test_weekly_gzip_names_equal_the_stdlib_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    """A weekly file, gzipped, is named as the stdlib's handler names it, plus .gz."""
    start = utc("2026-12-02 12:00:00")
    clock = [start]
    folder = tmp_path / "ours"
    sink = TimedRotatingFileSink(
        folder / "app.log", when=when, utc=True, clock=lambda: clock[0], compress="gzip"
    )
    sink.write_lines(["this week"])
    clock[0] = sink.rollover_at + 1
    sink.write_lines(["next week"])
    assert sink.settle(10)
    sink.close()
    (rolled,) = sink.files()
    assert rolled.name == stdlib_rolled_name(tmp_path, monkeypatch, when, start, clock[0]) + ".gz"
    assert lines_of(rolled) == ["this week"]


def test_timed_gzip_with_max_total_size_and_backup_count(tmp_path: Path) -> None:
    """timed: backup_count and max_total_size count .gz files as rolled files, oldest first."""
    path = tmp_path / "app.log"
    clock = utc_clock("2026-12-01 12:00:00")
    sink = TimedRotatingFileSink(
        path,
        when="H",
        utc=True,
        backup_count=5,
        clock=lambda: clock[0],
        compress="gzip",
        max_total_size=50_000,
    )
    hours = []
    for hour in range(12):
        clock[0] = utc("2026-12-01 12:00:00") + hour * 3600
        hours.append(records(200, start=hour * 200, pad=200))  # about 20 KB gzipped
        sink.write_lines(hours[-1])
        os.utime(path, (clock[0], clock[0]))
        assert sink.settle(10)
    sink.close()
    rolled = sink.files()
    assert 1 <= len(rolled) <= 5
    assert all(p.name.endswith(".gz") for p in rolled)
    assert sum(p.stat().st_size for p in rolled) <= 50_000
    assert [lines_of(p) for p in rolled] == hours[11 - len(rolled) : 11]


def test_a_restart_cleans_up_what_a_crash_left(tmp_path: Path) -> None:
    """At start: a part file of a dead process is removed; a plain file beside its complete .gz
    (a crash between the rename and the unlink) is removed; a plain rolled file is compressed."""
    path = tmp_path / "app.log"
    one, two = records(100, start=100), records(100)
    (tmp_path / "app.log.1").write_text("\n".join(one) + "\n")
    (tmp_path / "app.log.2").write_text("\n".join(two) + "\n")
    (tmp_path / "app.log.2.gz").write_bytes(gzip.compress(("\n".join(two) + "\n").encode()))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    part = tmp_path / part_name("app.log", 12345, int(dead.stdout), 1)
    part.write_bytes(b"\x1f\x8b cut short")
    sink = RotatingFileSink(path, max_bytes=10_000, backup_count=5, compress="gzip")
    assert sink.settle(10)
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1.gz", "app.log.2.gz"]
    assert read_rolled(path) == two + one
    assert sink.retention.stats() == {"compressed": 1, "removed": 1, "compress_errors": 0}


CRASHING_CHILD = """
import sys, time
from logboot.sinks.files import RotatingFileSink
sink = RotatingFileSink(sys.argv[1], max_bytes=10**9, backup_count=5, compress="gzip")
sink.write_lines(["the first write starts the compression of what the last run left"])
print("started", flush=True)
time.sleep(60)
"""


@pytest.mark.slow
def test_a_kill_mid_compression_leaves_plain_or_whole_gzip(tmp_path: Path) -> None:
    """A process SIGKILLed while it compresses a 30 MB rolled file leaves no .gz that looks whole
    but is cut; the next start compresses it again and every record is read back once."""
    path = tmp_path / "app.log"
    expected = records(250_000, pad=96)
    (tmp_path / "app.log.1").write_text("\n".join(expected) + "\n")
    with subprocess.Popen(
        [sys.executable, "-c", CRASHING_CHILD, str(path)], stdout=subprocess.PIPE, cwd=REPO, text=True
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "started\n"
            parts = tmp_path.glob
            wait_until(lambda: any(p.stat().st_size > 1_000_000 for p in parts(".app.log.*.part")), 30)
            child.send_signal(signal.SIGKILL)
            assert child.wait(10) == -signal.SIGKILL
        finally:
            child.kill()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".part")) == [
        "app.log",
        "app.log.1",
    ]
    assert leftovers(tmp_path)  # the cut part file is there, under a name that does not end in .gz
    sink = RotatingFileSink(path, max_bytes=10**9, backup_count=5, compress="gzip")
    assert sink.settle(60)
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1.gz"]
    assert lines_of(tmp_path / "app.log.1.gz") == expected
    assert len(lines_of(path)) == 1


def test_a_link_planted_at_a_gz_name_is_replaced_never_followed(tmp_path: Path) -> None:
    """A symlink at app.log.1.gz (beside a plain app.log.1 at start) is neither trusted as the
    compressed file nor written through: the link is replaced, its target is untouched."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    path = logs / "app.log"
    expected = records(50)
    (logs / "app.log.1").write_text("\n".join(expected) + "\n")
    (logs / "app.log.1.gz").symlink_to(victim)
    sink = RotatingFileSink(path, max_bytes=10_000, backup_count=5, compress="gzip")
    assert sink.settle(10)
    sink.close()
    assert victim.read_text() == "precious\n"
    assert not (logs / "app.log.1.gz").is_symlink()
    assert sorted(p.name for p in logs.iterdir()) == ["app.log", "app.log.1.gz"]
    assert lines_of(logs / "app.log.1.gz") == expected


def test_a_link_planted_at_the_part_name_is_never_followed(tmp_path: Path) -> None:
    """A symlink at the part file's name (known in advance: the inode and the pid) is removed
    as an entry (O_CREAT | O_EXCL never opens it); its target is untouched."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    logs = tmp_path / "logs"
    path = logs / "app.log"
    sink = RotatingFileSink(path, max_bytes=100, backup_count=5, compress="gzip")
    expected = records(5)  # 15 bytes each
    sink.write_lines(expected[:4])
    (logs / part_name("app.log", path.stat().st_ino, os.getpid(), sink.retention.token)).symlink_to(victim)
    sink.write_lines(expected[4:] * 4)  # rolls over: app.log becomes app.log.1, then its .gz
    assert sink.settle(10)
    sink.close()
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in logs.iterdir()) == ["app.log", "app.log.1.gz"]
    assert lines_of(logs / "app.log.1.gz") == expected[:4] + expected[4:] * 2


FULL_DISK_CHILD = """
import json, resource, sys
from logboot.sinks.files import RotatingFileSink
# Files may grow to 100 KB, as on a disk that is nearly full: the gzip of a rolled file does not fit.
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
sink = RotatingFileSink(sys.argv[1], max_bytes=10**6, backup_count=5, compress="gzip")
assert sink.settle(30)
sink.write_lines(["after the failures"])
sink.close()
print(json.dumps(sink.sink_stats()))
"""


def test_a_full_disk_during_compression_keeps_the_plain_files_and_reports_once(tmp_path: Path) -> None:
    """When the .gz cannot be written (the file size limit, as on a full disk), each rolled file
    stays plain and whole, no part file is left, the sink keeps writing, and stderr has one report."""
    path = tmp_path / "app.log"
    contents = {}
    for index in (1, 2):
        text = "\n".join(records(3000, start=index * 3000, pad=96)) + "\n"  # 330 KB, about 190 KB gzipped
        (tmp_path / f"app.log.{index}").write_text(text)
        contents[f"app.log.{index}"] = text
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"compressed": 0, "removed": 0, "compress_errors": 2}
    assert done.stderr.count("--- logboot: compressing the rolled files of") == 1
    assert "File too large" in done.stderr
    assert "(1 more error(s)" not in done.stderr
    assert {p.name: p.read_text() for p in tmp_path.glob("app.log.*")} == contents
    assert leftovers(tmp_path) == []
    assert lines_of(path) == ["after the failures"]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            "max_total_size: 0",
            "sinks.app.max_total_size: expected a size above 0 (leave the key out for no limit), got 0",
        ),
        (
            "compress: gzip, backup_count: 0",
            "sinks.app.compress: needs `backup_count` of 1 or more: "
            "with 0 no rolled file is kept to compress",
        ),
        ("compress: zip", "sinks.app.compress: expected one of 'gzip', got 'zip'; did you mean 'gzip'?"),
        (
            "type: timed_rotating_file, max_age: 0s",
            "sinks.app.max_age: expected a duration above 0 (leave the key out for no limit), got 0.0",
        ),
        ("max_age: 14d", "sinks.app.max_age: unknown key; did you mean 'max_bytes'?"),
    ],
)
def test_retention_settings_that_cannot_work_are_refused(
    write_profile: Callable[..., Path], keys: str, message: str
) -> None:
    """A cap of 0, compression with nothing kept, an unknown method, max_age on size rotation:
    each is refused where it is written."""
    profile = (
        file_profile(Path("app.log"))
        .replace("out: {type: file,", f"app: {{type: rotating_file, max_bytes: 1000, {keys},")
        .replace("sinks: [out]", "sinks: [app]")
    )
    if "timed_rotating_file" in keys:
        profile = profile.replace("type: rotating_file, max_bytes: 1000, ", "")
    with pytest.raises(ProfileError) as caught:
        logboot.load_profile(write_profile(profile))
    assert re.fullmatch(r".*profile\.yaml:5:\d+: " + re.escape(message), str(caught.value))


def test_the_operating_guide_example_works_as_documented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The profile of "Retention and compression" in docs/operating.md, run verbatim: about
    3 MiB through `app` gives app.log.1.gz ... app.log.N.gz beside app.log, every record once
    and in order, counted in stats(), and `logboot show`'s target names the settings."""
    section = (
        (REPO / "docs" / "operating.md")
        .read_text(encoding="utf-8")
        .split("## Retention and compression", 1)[1]
        .split("\n## ", 1)[0]
    )
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    (tmp_path / "prod.yaml").write_text(block, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_DIR", raising=False)
    profile = logboot.load_profile("prod.yaml")
    assert profile.sinks["app"].target() == "logs/app.log (gzip, at most 20 MiB)"
    assert profile.sinks["audit"].target() == "logs/audit.log (gzip, none older than 14d)"
    runtime = logboot.setup_logging("prod.yaml")
    log = logging.getLogger("app.guide")
    expected = [f"{n:06d} {'x' * 90}" for n in range(26_000)]  # over 2.5 MiB with the default layout
    for message in expected:
        log.info(message)
    assert runtime.flush()
    app = runtime.topology.sinks["app"].handler
    assert isinstance(app, RotatingFileSink)
    assert app.settle(30)
    stats = runtime.stats()["sinks"]["app"]
    runtime.stop()
    assert capfd.readouterr().err == ""
    logs = tmp_path / "logs"
    rolled = stats["compressed"]
    assert rolled >= 2
    assert sorted(p.name for p in logs.iterdir()) == sorted(
        ["app.log", "audit.log", *(f"app.log.{n}.gz" for n in range(1, rolled + 1))]
    )
    assert [line.rsplit(" ", 2)[-2:] for line in read_rolled(logs / "app.log")] == [
        m.split() for m in expected
    ]
    assert (stats["removed"], stats["compress_errors"]) == (0, 0)
    assert len(lines_of(logs / "audit.log")) == len(expected)


def test_building_a_sink_starts_no_thread(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A plain rolled file found at start waits for the sink's first write: a sink built and
    closed without writing starts no compressor and says nothing; the next one compresses it."""
    path = tmp_path / "app.log"
    expected = records(100)
    (tmp_path / "app.log.1").write_text("\n".join(expected) + "\n")
    built = RotatingFileSink(path, max_bytes=10_000, backup_count=5, compress="gzip")
    assert not [t for t in threading.enumerate() if t.name.startswith("logboot-compress-")]
    built.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1"]
    assert capfd.readouterr().err == ""
    sink = RotatingFileSink(path, max_bytes=10_000, backup_count=5, compress="gzip")
    sink.write_lines(["first"])
    assert sink.settle(10)
    sink.close()
    assert read_rolled(path) == [*expected, "first"]


def test_a_forked_child_inherits_no_compressor_and_no_held_lock(tmp_path: Path) -> None:
    """Forked while the parent compresses: the child's sink has no thread and a free lock, and
    closes at once; the parent's compression finishes whole."""
    path = tmp_path / "app.log"
    expected = records(100_000, pad=96)
    (tmp_path / "app.log.1").write_text("\n".join(expected) + "\n")
    sink = RotatingFileSink(path, max_bytes=10**9, backup_count=5, compress="gzip")
    sink.write_lines(["first"])  # starts compressing app.log.1 (about 10 MB)
    wait_until(lambda: any(tmp_path.glob(".app.log.*.part")))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the fork's own coverage is not collected
        retention = sink.retention
        free = retention.lock.acquire(timeout=2)
        code = 0 if free and not retention._running() and not retention.waiting_start else 1
        sink.close()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sink.settle(30)
    sink.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.log", "app.log.1.gz"]
    assert read_rolled(path) == [*expected, "first"]


def test_the_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/retention.py runs (one small round) and prints every row."""
    from benchmarks.retention import main

    assert main(["--rounds", "1", "--max-bytes", str(1024 * 1024)]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == ["batch,", "plain", "gzip", "gzip", "gzip"]


def test_concurrent_rotating_file_gzips_in_the_background(tmp_path: Path) -> None:
    """concurrent_rotating_file + compress: rolled files are path.N.gz with the configured mode,
    every record is read back once and in order, and max_total_size removes the oldest."""
    pytest.importorskip("concurrent_log_handler")
    from logboot.sinks.concurrent_files import SafeConcurrentRotatingFileHandler

    path = tmp_path / "app.log"
    handler = SafeConcurrentRotatingFileHandler(path, 4000, 1000, 0o600, "utf-8", "gzip", None)
    handler.open_files()
    handler.setFormatter(logging.Formatter("%(message)s"))
    expected = records(3000, pad=16)
    for message in expected:
        handler.handle(logging.makeLogRecord({"msg": message, "levelno": logging.INFO}))
    assert handler.settle(30)
    handler.close()
    rolled = [p.name for p in tmp_path.iterdir() if re.fullmatch(r"app\.log\.\d+\.gz", p.name)]
    assert len(rolled) > 10
    assert read_rolled(path) == expected
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir() if p.name.startswith("app.log")} == {
        0o600
    }
    assert handler.sink_stats() == {"compressed": len(rolled), "removed": 0, "compress_errors": 0}
    capped = SafeConcurrentRotatingFileHandler(path, 4000, 1000, 0o600, "utf-8", "gzip", 3000)
    capped.open_files()
    capped.handle(logging.makeLogRecord({"msg": "x" * 4000, "levelno": logging.INFO}))
    capped.handle(logging.makeLogRecord({"msg": "last", "levelno": logging.INFO}))
    assert capped.settle(30)
    capped.close()
    kept = read_rolled(path)
    assert kept[-1] == "last"
    assert kept[:-2] == expected[len(expected) - len(kept) + 2 :]
    assert sum(p.stat().st_size for p in tmp_path.glob("app.log.*")) <= 3000


def test_a_new_sink_on_the_same_path_and_an_old_ones_compressor_take_turns(tmp_path: Path) -> None:
    """As after a reload: the old sink's compressor still works on a big rolled file while a new
    sink of the same path rolls over again and again; they share one lock per path, so every
    record is read back once and in order, and no part file is left."""
    path = tmp_path / "app.log"
    first = records(100_000, pad=96)  # about 10 MB
    old = RotatingFileSink(path, max_bytes=10**9, backup_count=500, compress="gzip")
    old.write_lines(first)
    old.rollover()  # app.log.1, about 10 MB, handed to the old sink's compressor
    new = RotatingFileSink(path, max_bytes=32 * 1024, backup_count=500, compress="gzip")
    assert new.retention.lock is old.retention.lock
    later = records(20_000, start=len(first), pad=96)
    for start in range(0, len(later), 100):
        new.write_lines(later[start : start + 100])
    old.close()  # lets its compressor finish (at most 5 s)
    assert new.settle(60)
    new.close()
    assert read_rolled(path) == first + later
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("14d", 14 * 86400), ("1.5d", 129_600), (" 2 d ", 172_800), ("90m", 5400)]
)
def test_durations_take_days(text: str, seconds: float) -> None:
    """A duration may be given in days (`max_age: 14d`), in the parser and the JSON Schema."""
    from logboot.profile.schema import Profile
    from logboot.values.units import parse_duration

    assert parse_duration(text) == seconds
    schema = json.dumps(Profile.model_json_schema())
    assert r"(ms|s|m|h|d)?" in schema


def test_a_rolled_file_reusing_a_waiting_inode_number_is_compressed(tmp_path: Path) -> None:
    """A compressed or pruned file's inode number can come back at once as a newly rolled
    file, while the compressor still counts the old job (seen in CI: one file of 40 left
    plain, 2 runs in 25 here). The new file is queued and compressed all the same."""
    path = tmp_path / "app.log"
    sink = RotatingFileSink(path, max_bytes=4000, backup_count=10, compress="gzip")
    sink.write_lines(records(100, pad=16))  # rolls over: path.1 is queued and compressed
    assert sink.settle(30)
    rolled = path.with_name("app.log.1")
    rolled.write_text("plain\n", encoding="utf-8")
    info = rolled.stat()
    with sink.retention._cond:  # the old job's count, not yet taken back
        sink.retention._waiting[(info.st_dev, info.st_ino)] += 1
    sink.retention.rolled(rolled)
    assert sink.settle(30)
    sink.close()
    assert not rolled.exists() and rolled.with_name("app.log.1.gz").exists()
