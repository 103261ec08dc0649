"""Independent processes share one size-rotated file through concurrent_rotating_file."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("concurrent_log_handler")

WRITER = """
import logging, os, sys
import logboot
runtime = logboot.setup_logging(sys.argv[1])
log = logging.getLogger("writer")
for seq in range(int(sys.argv[2])):
    log.info("pid=%d seq=%d payload=%s", os.getpid(), seq, "\u00e9\u00df\u4e2d" * 5)
runtime.stop()
"""


def shared_profile(tmp_path: Path, log_path: Path, retention: str = "") -> Path:
    """One concurrent_rotating_file of small files (16 KiB, 500 kept), ``retention`` keys added."""
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        f"""\
version: 1
formatters:
  bare: {{type: text, format: "{{message}}"}}
sinks:
  shared:
    type: concurrent_rotating_file
    path: "{log_path}"
    max_bytes: 16KiB
    backup_count: 500
    {retention}formatter: bare
queues:
  main: {{max_size: 1000}}
listeners:
  main: {{queue: main, sinks: [shared]}}
root: {{level: INFO}}
""",
        encoding="utf-8",
    )
    return profile


def test_independent_writers_rotate_without_loss(tmp_path: Path) -> None:
    """4 independent processes rotating one small file: every (pid, seq) once, whole UTF-8 lines."""
    log_path = tmp_path / "shared.log"
    profile = shared_profile(tmp_path, log_path)
    count = 1_500
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(profile), str(count)]) for _ in range(4)]
    pids = [w.pid for w in writers]
    for writer in writers:
        assert writer.wait(120) == 0
    files = sorted(tmp_path.glob("shared.log*"))
    assert len(files) > 10  # rotation really happened under contention
    seen: Counter[tuple[int, int]] = Counter()
    for file in files:
        data = file.read_bytes()
        text = data.decode("utf-8")  # raises on a split multi-byte character
        assert text == "" or text.endswith("\n")
        for line in text.splitlines():
            fields = dict(part.split("=", 1) for part in line.split(" "))
            assert fields["payload"] == "\u00e9\u00df\u4e2d" * 5
            seen[(int(fields["pid"]), int(fields["seq"]))] += 1
    assert set(seen.values()) == {1}
    assert set(seen) == {(pid, seq) for pid in pids for seq in range(count)}


def test_independent_writers_with_gzip_lose_nothing(tmp_path: Path) -> None:
    """3 independent processes with compress: gzip and max_total_size: every (pid, seq) once,
    in each writer's order, in whole lines of .gz files (the compressors take the shared lock
    file for their final rename) and the active file; no part file, no plain rolled file left."""
    log_path = tmp_path / "shared.log"
    profile = shared_profile(tmp_path, log_path, "compress: gzip\n    max_total_size: 100MiB\n    ")
    count = 1_500
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(profile), str(count)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    pids = [w.pid for w in writers]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0
        assert err == ""
    names = [p.name for p in tmp_path.iterdir() if p.name.startswith("shared.log")]
    rolled = sorted((int(n.split(".")[2]) for n in names if n.endswith(".gz")), reverse=True)
    assert len(rolled) > 10
    assert sorted(names) == sorted(["shared.log", *(f"shared.log.{i}.gz" for i in rolled)])
    assert rolled == list(range(len(rolled), 0, -1))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    order: dict[int, list[int]] = {pid: [] for pid in pids}
    for path in [*(tmp_path / f"shared.log.{i}.gz" for i in rolled), log_path]:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        text = data.decode("utf-8")
        assert text == "" or text.endswith("\n")
        for line in text.splitlines():
            fields = dict(part.split("=", 1) for part in line.split(" "))
            assert fields["payload"] == "\u00e9\u00df\u4e2d" * 5
            order[int(fields["pid"])].append(int(fields["seq"]))
    assert order == {pid: list(range(count)) for pid in pids}
