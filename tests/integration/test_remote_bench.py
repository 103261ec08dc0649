"""The remote-sink benchmark of `make bench` (benchmarks/remote_sinks.py): it runs, checks and judges."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .receivers import CI, rsyslogd_path

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parents[2]


def test_the_remote_benchmark_sets_syslog_over_tcp_beside_the_file_sink() -> None:
    """A short run measures the file sink and syslog tcp -> rsyslogd, every record arrived
    exactly once, and prints the ratio with the target's verdict and where the CPU went."""
    if rsyslogd_path() is None:
        if CI:
            pytest.fail("rsyslogd is not installed; .ci/run installs it, so CI must have it")
        pytest.skip("rsyslogd is not installed (apt-get install rsyslog)")
    command = ["-m", "benchmarks.remote_sinks", "--records", "500", "--repeats", "1", "--only", "syslog tcp"]
    done = subprocess.run(
        [sys.executable, *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rates = done.stdout.split("CPU µs a record")[0]  # the first table
    rows = {line.split("|")[1].strip(): line for line in rates.splitlines() if line.startswith("| ")}
    assert set(rows) >= {"file", "syslog tcp -> rsyslogd"}
    assert "all 500 x 1" in rows["file"]
    assert re.search(
        r"\| \d+\.\d\dx \(\d+\.\d\d-\d+\.\d\d\) +\| all 500 x 1 ", rows["syslog tcp -> rsyslogd"]
    )
    assert re.search(
        r"^Target \(issue 23\): syslog tcp -> rsyslogd >= 0\.8x the file sink's records/s: \d+\.\d\dx "
        r"\(not judged: 1 round\(s\); figure (inside|outside)\)$",
        done.stdout,
        re.MULTILINE,
    )
    assert "CPU µs a record" in done.stdout
