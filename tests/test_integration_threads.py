"""End to end with real threads, real files and real processes: every record, once, whole."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, file_profile

import logboot

THREADS = 8
PER_THREAD = 10_000
LINE = re.compile(r"^w(\d+) (\d+)$")


def whole_lines(path: Path) -> list[str]:
    """The file's lines; fails if the file ends inside a line."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), "the last line is not whole"
    return data.decode("utf-8").split("\n")[:-1]


@pytest.mark.slow
def test_eight_threads_into_one_file_through_a_bounded_block_queue(
    write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    """8 threads x 10,000 records arrive as exactly 80,000 whole lines, each (thread, n) once."""
    target = tmp_path / "threads.log"
    text = file_profile(target, max_size=1000, overflow="block").replace(
        'format: "{message}"', 'format: "{threadName} {message}"'
    )
    runtime = logboot.setup_logging(write_profile(text))
    start = threading.Barrier(THREADS)
    log = logging.getLogger("load")

    def work() -> None:
        start.wait()
        for n in range(PER_THREAD):
            log.info("%d", n)

    workers = [threading.Thread(target=work, name=f"w{t}") for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report = runtime.stop()

    lines = whole_lines(target)
    assert len(lines) == THREADS * PER_THREAD
    pairs: Counter[tuple[int, int]] = Counter()
    for line in lines:
        match = LINE.match(line)
        assert match, f"garbled line: {line!r}"
        pairs[(int(match.group(1)), int(match.group(2)))] += 1
    assert pairs == Counter({(t, n): 1 for t in range(THREADS) for n in range(PER_THREAD)})
    order: dict[int, list[int]] = {t: [] for t in range(THREADS)}
    for thread, n in (map(int, LINE.match(line).groups()) for line in lines):  # type: ignore[union-attr]
        order[thread].append(n)
    assert all(seen == list(range(PER_THREAD)) for seen in order.values())  # FIFO per producer
    assert (report.clean, report.handled, report.dropped) == (True, THREADS * PER_THREAD, 0)
    queue = runtime.stats()["queues"]["main"]
    assert queue["enqueued"] == queue["handled"] == THREADS * PER_THREAD
    assert queue["peak"] <= 1000


PROGRAM = """\
import logging
import sys
import threading

import logboot


def main() -> None:
    logboot.setup_logging(sys.argv[1])
    log = logging.getLogger("app")
    count = int(sys.argv[2])
    helper = threading.Thread(target=lambda: [log.info("helper %d", i) for i in range(count)])
    helper.start()  # not a daemon: still logging when main returns
    for i in range(count):
        log.info("main %d", i)
    if sys.argv[3] == "raise":
        raise RuntimeError("unhandled at the end")


if __name__ == "__main__":
    main()
"""


def run_program(
    tmp_path: Path, write_profile: Callable[..., Path], count: int, ending: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    target = tmp_path / "program.log"
    profile = write_profile(file_profile(target, max_size=0))  # unbounded: the listener lags far behind
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, str(script), str(profile), str(count), ending],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    return done, target


def expected_lines(count: int) -> Counter[str]:
    return Counter([f"main {i}" for i in range(count)] + [f"helper {i}" for i in range(count)])


@pytest.mark.slow
def test_program_that_returns_without_stop_loses_nothing(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """A program that logs and returns from main without stop() has every record on disk."""
    done, target = run_program(tmp_path, write_profile, 20_000, "return")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert Counter(whole_lines(target)) == expected_lines(20_000)


@pytest.mark.slow
def test_program_ended_by_an_unhandled_exception_loses_nothing(
    tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """A program that dies of an unhandled exception still has every record on disk."""
    done, target = run_program(tmp_path, write_profile, 20_000, "raise")
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith("RuntimeError: unhandled at the end")
    assert "logboot:" not in done.stderr
    assert Counter(whole_lines(target)) == expected_lines(20_000)


def test_text_injection_cannot_forge_a_line(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    """A message carrying CR/LF and escape codes stays on its own single line in the file."""
    target = tmp_path / "forge.log"
    with logboot.setup_logging(write_profile(file_profile(target))):
        user_input = "bob\nINFO root: admin logged in\r\x1b[2K"
        logging.getLogger("auth").warning("login failed for %s", user_input)
        try:
            raise ValueError("bad\nFAKE line")
        except ValueError:
            logging.getLogger("auth").exception("with traceback")
    lines = whole_lines(target)
    assert lines[0] == "login failed for bob\\nINFO root: admin logged in\\r\\x1b[2K"
    assert lines[1] == "with traceback"
    assert all(line.startswith("    ") for line in lines[2:])
    assert lines[-2:] == ["    ValueError: bad", "    FAKE line"]
