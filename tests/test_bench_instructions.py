"""benchmarks/instructions.py: the work of a logging call counted by callgrind (the counts
are docs/benchmarks.md's, never asserted here)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from benchmarks import instructions
from logboot.runtime.queues import ThreadQueue


@pytest.mark.parametrize("variant", ["auto", "json"])
def test_the_worker_writes_every_record_in_batches_the_check_reads_them_all(
    tmp_path: Path, variant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    take = ThreadQueue.take
    instructions.run_calls(variant, 1100, tmp_path)
    assert ThreadQueue.take is take  # the gate is taken off again
    assert capsys.readouterr().out.strip() == "batches 3"  # 512, 512, 76
    instructions.check_file(variant, 1100, tmp_path)
    log_file = tmp_path / "out.log"
    lines = log_file.read_bytes().splitlines(keepends=True)
    log_file.write_bytes(b"".join(lines[:-1]) + lines[-1][:-5])  # the last record torn
    with pytest.raises(SystemExit, match=f"{variant}: 1099 of 1100 records"):
        instructions.check_file(variant, 1100, tmp_path)


def test_callgrind_counts_each_variants_work(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("valgrind") is None:
        if os.environ.get("LOGBOOT_CI") == "1":
            pytest.fail("valgrind is not installed; .ci/run installs it, so CI must have it")
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
    args = ["--small", "100", "--large", "1124", "--variant", "trimmed_floor", "--variant", "auto"]
    assert instructions.main(args) == 0
    out = capsys.readouterr().out
    counts = dict(re.findall(r"^  (\w+) +([\d,]+)", out, re.MULTILINE))
    assert set(counts) == {"trimmed_floor", "auto"}
    assert all(int(count.replace(",", "")) > 1000 for count in counts.values())
    assert re.search(r"auto / trimmed_floor +\d+\.\d\d  \(timed target <= 1\.3\)", out)
    assert re.search(r"auto +[\d,]+  \(\d+ records a batch\)", out)  # the floor takes none


def test_without_valgrind_it_says_so_and_counts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no valgrind on the path
    assert instructions.main([]) == 0
    assert "valgrind is not installed" in capsys.readouterr().out
