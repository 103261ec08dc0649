"""The benchmarks' checks catch what they are there to catch: output files, the machine's
load, and which runs may give the targets a verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import report
from benchmarks.machine_load import CpuClock, shares
from benchmarks.run import not_installed, run_variant
from benchmarks.workload import ACTIONS, WHO, verify


def text_line(seq: int) -> str:
    return (
        f"2026-11-27 10:00:00,123 INFO     MainThread bench: "
        f"user {WHO[seq % len(WHO)]} did {ACTIONS[seq % len(ACTIONS)]} in {seq} ms"
    )


def json_line(seq: int, **changes: object) -> str:
    fields: dict[str, object] = {
        "time": "2026-11-27T10:00:00.123Z",
        "level": "INFO",
        "logger": "bench",
        "thread_name": "MainThread",
        "message": f"user {WHO[seq % len(WHO)]} did {ACTIONS[seq % len(ACTIONS)]} in {seq} ms",
    }
    fields.update(changes)
    return json.dumps(fields)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("as_json", [False, True])
def test_every_record_once_and_whole_is_exact(tmp_path: Path, as_json: bool) -> None:
    make = json_line if as_json else text_line
    found = verify([write(tmp_path / "out.log", [make(seq) for seq in reversed(range(50))])], 50, as_json)
    assert found.exact and found.lines == 50


@pytest.mark.parametrize("as_json", [False, True])
def test_torn_duplicated_missing_and_foreign_lines_are_counted(tmp_path: Path, as_json: bool) -> None:
    make = json_line if as_json else text_line
    lines = [make(seq) for seq in range(10) if seq != 3]  # record 3 missing
    lines += [make(4), make(5)[:30], make(99), "noise"]  # a duplicate, a torn line, an unknown one
    found = verify([write(tmp_path / "out.log", lines)], 10, as_json)
    assert (found.duplicates, found.malformed, found.unexpected) == (1, 2, 1)
    assert found.missing == 1
    assert not found.whole and not found.exact


def test_a_json_line_must_be_an_info_record_of_the_bench_logger(tmp_path: Path) -> None:
    lines = [
        json_line(0, level="DEBUG"),
        json_line(1, logger="other"),
        json_line(2, time="yesterday"),
        json_line(3, message="user alice did login in 3 ms!"),
        "[1, 2]",
    ]
    found = verify([write(tmp_path / "out.log", lines)], 4, as_json=True)
    assert found.malformed == 5


BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads /proc/stat (Linux)")
def test_the_machine_load_tells_the_runs_cpu_from_everything_else() -> None:
    """What the run's processes burn is its own; what this process burns is another's.

    Checked in CPU time, never in shares of the time that passed: a loaded machine
    stretches the wall time (and so every share) but not the CPU time burnt.
    """
    tick = os.sysconf("SC_CLK_TCK")
    clock = CpuClock()
    children = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(2)]
    assert [child.wait(timeout=30) for child in children] == [0, 0]
    ticks = clock.ticks()
    assert ticks is not None
    total, busy, steal, own = ticks
    assert own >= 0.75 * tick  # the children's 0.8 s (more: their interpreters' start)
    assert own <= busy + steal + 0.1 * tick  # the machine saw it busy (or stolen); ticks are coarse
    assert busy + steal <= total
    clock = CpuClock()
    end = time.process_time() + 0.4
    while time.process_time() < end:
        pass
    ticks = clock.ticks()
    assert ticks is not None
    total, busy, steal, own = ticks
    assert busy + steal - own >= 0.3 * tick  # this process's 0.4 s is another's, not the run's
    assert own < busy + steal - own  # not 0: a child reaped meanwhile would count


def test_shares_are_the_ticks_as_percentages_of_all_cpu_time() -> None:
    assert shares(200, 150, 10, 60.0) == {"steal_pct": 5.0, "others_pct": 45.0, "own_pct": 30.0}
    # The run's own time counted in a child's rusage but sampled as stolen: others never negative.
    assert shares(100, 20, 30, 40.0)["others_pct"] == 0.0
    assert shares(0, 0, 0, 0.0) == {}


def one_thread(floor_us: float, logboot_us: float) -> report.Samples:
    """One round of the one-thread scenario: the floor and logboot, per call."""
    return {
        "one-thread": {
            "null": [{"ok": True, "per_call_us": floor_us}],
            "logboot": [{"ok": True, "per_call_us": logboot_us}],
        }
    }


def per_call_row(table: str) -> str:
    return next(line for line in table.splitlines() if line.startswith("| per call: logboot / NullHandler"))


def test_a_run_of_the_issues_size_gets_verdicts() -> None:
    table = report.targets_table(one_thread(4.0, 7.0), records=200_000)
    assert per_call_row(table).endswith("| 1.75 | <= 1.5 | NOT met |")
    assert "Not judged" not in table
    assert per_call_row(report.targets_table(one_thread(4.0, 5.0))).endswith("| 1.25 | <= 1.5 | met |")


def test_a_short_run_shows_where_it_stands_without_a_verdict() -> None:
    table = report.targets_table(one_thread(4.0, 7.0), records=20_000)
    assert "Not judged: 20,000 records a run is too short" in table
    assert per_call_row(table).endswith("| 1.75 | <= 1.5 | outside |")
    assert "NOT met" not in table and "| met |" not in table
    short = report.targets_table(one_thread(4.0, 5.0), records=20_000)
    assert per_call_row(short).endswith("| 1.25 | <= 1.5 | inside |")
    assert "| not measured |" in short  # a target without figures says so either way


def test_process_ratios_are_also_shown_round_by_round() -> None:
    """Round by round, a failed run drops its round only: the ratios pair runs of one round."""
    rounds = [(200, 180), (100, 120), (None, 150), (150, 140)]  # logboot, file-append (records/s)
    samples: report.Samples = {
        "processes-8": {
            "logboot": [{"ok": a is not None, "records_per_s": a} for a, _ in rounds],
            "file-append": [{"ok": True, "records_per_s": b} for _, b in rounds],
        }
    }
    table = report.targets_table(samples)
    assert "- 8 processes, logboot / file-append: 0.83 to 1.11, median 1.07 (3 rounds)" in table
    assert "4 processes, logboot / file-append:" not in table  # not run: no line


def plain_line(seq: int) -> str:
    """A line in the layout the picologging variants write (``benchmarks.variants.PICO_FORMAT``)."""
    return (
        f"2026-12-06 22:24:27 INFO 140159012023168 bench: "
        f"user {WHO[seq % len(WHO)]} did {ACTIONS[seq % len(ACTIONS)]} in {seq} ms"
    )


def test_the_plain_layout_is_checked_line_by_line(tmp_path: Path) -> None:
    """picologging's plain lines are verified as strictly as the others: each record once, whole."""
    path = write(tmp_path / "out.log", [plain_line(seq) for seq in range(40)])
    assert verify([path], 40, plain=True).exact
    assert verify([path], 40).malformed == 40  # not the layout of the other variants
    broken = [
        plain_line(0),
        "\x90\x11,1299544157 INFO 1401 bench: user alice did login in 1 ms",  # its default time stamp
        plain_line(2).replace("INFO", "%(levelname)-8s"),  # a width it leaves as written
        plain_line(3)[:50],
    ]
    found = verify([write(tmp_path / "broken.log", broken)], 4, plain=True)
    assert (found.malformed, found.missing) == (3, 3)


def test_a_variant_whose_package_is_missing_is_reported_as_not_installed() -> None:
    """A variant needing an absent package is not run, and its table row says why."""
    needs = {"absent": "logboot_no_such_package"}
    assert not_installed("absent", needs) == "logboot_no_such_package"
    assert not_installed("logboot", needs) is None
    samples: report.Samples = {
        "paired": {"absent": [{"ok": False, "skipped": "logboot_no_such_package not installed"}]}
    }
    row = report.table(samples, "paired", ["absent"]).splitlines()[-1]
    assert row.endswith("| not run: logboot_no_such_package not installed |")


@pytest.mark.parametrize("scenario", ["one-thread", "paired"])
@pytest.mark.parametrize("variant", ["picologging-filehandler", "picologging-queue"])
def test_picologging_variants_write_every_record_once(tmp_path: Path, scenario: str, variant: str) -> None:
    """Each picologging variant's run writes every record once, whole, in its plain layout."""
    pytest.importorskip("picologging")
    result = run_variant(scenario, variant, 3_000, tmp_path)
    assert result["ok"], result.get("problem")
    assert (result["lines"], result["dropped"]) == (3_000, 0)


@pytest.mark.parametrize("variant", ["stdlib-queue", "logboot-unbounded", "logboot"])
def test_the_memory_scenario_has_every_thread_log_the_records(tmp_path: Path, variant: str) -> None:
    """In the memory scenario each of the 8 threads logs ``records``: 8 x records lines, all verified."""
    result = run_variant("memory", variant, 500, tmp_path)
    assert result["ok"], result.get("problem")
    assert (result["lines"], result["dropped"]) == (4_000, 0)
    if variant.startswith("logboot"):
        assert 1 <= result["queue_peak"] <= (10_000 if variant == "logboot" else 4_000)


@pytest.mark.parametrize("kind", ["file", "queue"])
def test_the_picologging_thread_probe_verifies_a_one_thread_run(tmp_path: Path, kind: str) -> None:
    """The hang probe's one-thread run finishes and every record is in its file, once, whole."""
    pytest.importorskip("picologging")
    from benchmarks.picologging_threads import attempt

    assert attempt(kind, 1, 2_000, 60, tmp_path).startswith("ok (")


def test_the_json_paired_scenario_verifies_every_line_and_pairs_each_chunk(tmp_path: Path) -> None:
    """The JSON call timed against the floor in one process: every record once, whole, as a
    JSON line, and one ratio for each of the 5 pairs of chunks."""
    result = run_variant("json-paired", "logboot-json", 3_000, tmp_path)
    assert result["ok"], result.get("problem")
    assert (result["lines"], result["dropped"]) == (3_000, 0)
    assert len(result["pair_ratios"]) == 5
    assert result["paired_ratio"] == sorted(result["pair_ratios"])[2]
