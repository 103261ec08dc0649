"""`logboot bench`, through the real app and the installed executable."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clirunner import runner
from conftest import file_profile
from typer.testing import Result

from logboot.cli import app

PLAIN = {"NO_COLOR": None, "FORCE_COLOR": None, "LOGBOOT_LEVEL": None, "LOGBOOT_PROFILE": None}
LINE = re.compile(r"^user (alice|bob|carol|dave|erin) did (login|logout|upload|search) in (\d+) ms$")
pytestmark = pytest.mark.timeout(60)


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run ``logboot ARGS`` through the real app, without colour."""
    return runner().invoke(app, list(args), env={**PLAIN, **(env or {})})


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from its own empty folder, with a profile writing to logs/app.log there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(file_profile(tmp_path / "logs" / "app.log"), encoding="utf-8")
    return tmp_path


def figure(stdout: str, name: str) -> str:
    """The value in the one row of the figures that ``name`` starts (``records``, ``dropped``, ...)."""
    values = re.findall(rf"^{re.escape(name)} +(\S+)", stdout, re.M)
    assert len(values) == 1, stdout
    return str(values[0])


def assert_whole_lines(path: Path, records: int) -> None:
    """``path`` holds one whole bench line per record: each number from 0 to records - 1, once."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == records
    matches = [LINE.match(line) for line in lines]
    assert all(matches), [line for line, match in zip(lines, matches, strict=True) if not match][:3]
    assert sorted(int(m.group(3)) for m in matches if m) == list(range(records))


def test_bench_prints_the_figures_and_leaves_the_users_files_alone(in_tmp: Path) -> None:
    """Text output on stdout: every record handled once, into a temporary folder removed afterwards."""
    result = invoke("bench", "p.yaml", "--records", "2000", "--threads", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no progress bar off a terminal
    lines = result.stdout.splitlines()
    assert lines[0] == "logboot bench p.yaml: 2,000 records from 2 threads"
    assert re.fullmatch(r"sinks redirected to .*logboot-bench-\w+ \(removed afterwards\)", lines[1])
    assert (figure(result.stdout, "records"), figure(result.stdout, "handled")) == ("2,000", "2,000")
    assert figure(result.stdout, "dropped") == "0"
    assert re.search(r"^main +thread +2,000 +0 +\d[\d,]* / 10,000 +block$", result.stdout, re.M)
    sink = re.search(r"^out +file +2,000 +0 +(\S+)$", result.stdout, re.M)
    assert sink is not None, result.stdout
    assert Path(sink.group(1)).name == "out.log"
    assert not Path(sink.group(1)).exists()  # the temporary folder is gone
    assert not (in_tmp / "logs").exists()
    assert all(line == line.rstrip() for line in lines)


def test_json_is_one_document_whose_counts_add_up(in_tmp: Path) -> None:
    """--format json prints the BenchResult alone on stdout: handled + dropped is every record."""
    result = invoke("bench", "p.yaml", "-n", "1500", "--format", "json", env={"FORCE_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert (document["version"], document["profile"], document["records"]) == (1, "p.yaml", 1500)
    assert document["handled"] + document["dropped"] == 1500
    assert document["queues"]["main"]["handled"] + document["queues"]["main"]["dropped"] == 1500
    assert document["sinks"]["out"] == {"type": "file", "records": 1500, "errors": 0}
    assert document["redirected"]["out"] != str(in_tmp / "logs" / "app.log")
    assert document["records_per_second"] > 0
    assert 0 < document["latency_p50_us"] <= document["latency_p99_us"] <= document["latency_max_us"]
    assert not (in_tmp / "logs").exists()


def test_sink_dir_keeps_every_record_as_a_whole_line(in_tmp: Path) -> None:
    """--sink-dir keeps the redirected file: N whole lines, one per record; the profile's file is not made."""
    result = invoke("bench", "p.yaml", "--records", "3000", "--threads", "3", "--sink-dir", "kept")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "sinks redirected to kept"
    assert_whole_lines(in_tmp / "kept" / "out.log", 3000)
    assert not (in_tmp / "logs").exists()


def test_a_small_queue_counts_its_drops(in_tmp: Path) -> None:
    """With --set a one-record drop_newest queue, the drops are counted: handled + dropped is N."""
    result = invoke(
        "bench",
        "p.yaml",
        "--records",
        "2000",
        "--format",
        "json",
        "--set",
        "queues.main.max_size=1",
        "--set",
        "queues.main.overflow=drop_newest",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["dropped"] > 0
    assert document["handled"] + document["dropped"] == 2000
    assert (document["peak_queue_depth"], document["queues"]["main"]["max_size"]) == (1, 1)


def test_real_sinks_write_where_the_profile_says(in_tmp: Path) -> None:
    """--real-sinks writes every record to the profile's own file, and says so."""
    result = invoke("bench", "p.yaml", "--records", "700", "--real-sinks")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "real sinks: records went where the profile says"
    assert re.search(r"^out +file +700 +0 +\(as in the profile\)$", result.stdout, re.M)
    assert_whole_lines(in_tmp / "logs" / "app.log", 700)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="process queues use Unix sockets")
def test_processes_deliver_every_record_once(in_tmp: Path) -> None:
    """--processes 2 through a process queue: records that do not split evenly are rounded, all delivered."""
    result = invoke(
        "bench",
        "p.yaml",
        *("--records", "1001", "--processes", "2", "--threads", "2", "--sink-dir", "kept"),
        *("--set", "queues.main.kind=process", "--format", "json"),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "note: 1,001 records do not split evenly among 2 processes; logging 1,000\n"
    document = json.loads(result.stdout)
    assert (document["records"], document["processes"], document["threads"]) == (1000, 2, 2)
    assert document["handled"] + document["dropped"] == 1000
    assert document["queues"]["main"]["kind"] == "process"
    assert_whole_lines(in_tmp / "kept" / "out.log", 1000)


def test_processes_need_a_process_queue(in_tmp: Path) -> None:
    """--processes over thread queues only would measure nothing: exit 1, with the fix."""
    result = invoke("bench", "p.yaml", "--records", "10", "--processes", "2")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "logboot: error: child processes need a queue of `kind: process` to send their records to "
        "(with thread queues each child writes to the sinks itself, unseen by the bench); "
        "set `kind: process` on the root's queue\n"
    )


def test_invalid_profile_exits_1_with_its_problems(in_tmp: Path) -> None:
    """An invalid profile: each problem at file:line:col with a caret, as check prints it; exit 1."""
    (in_tmp / "bad.yaml").write_text(
        file_profile(in_tmp / "out.log").replace("overflow: block", "overflow: drop_new"), encoding="utf-8"
    )
    result = invoke("bench", "bad.yaml", "--records", "10")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.yaml:7:37: queues.main.overflow: expected one of 'block', 'drop_newest', 'drop_oldest', "
        "got 'drop_new'; did you mean 'drop_newest'?",
        " 7 |   main: {max_size: 10000, overflow: drop_new}",
        "   |                                     ^",
        "logboot: error: bad.yaml is not a valid profile (1 error); nothing to bench",
    ]


def test_an_invalid_logboot_level_is_a_profile_problem(in_tmp: Path) -> None:
    """$LOGBOOT_LEVEL, applied over the profile, is reported like the profile's own problems."""
    result = invoke("bench", "p.yaml", "--records", "10", env={"LOGBOOT_LEVEL": "LOUD"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "logboot: error: p.yaml is not a valid profile (1 error); nothing to bench"
    )
    assert "root.level: expected one of" in result.stderr


def test_a_bench_that_measures_nothing_fails_and_debug_shows_why(in_tmp: Path) -> None:
    """A root level above INFO fails with one line (exit 1); --debug adds the traceback."""
    quiet = invoke("bench", "p.yaml", "--records", "10", "--set", "root.level=WARNING")
    assert quiet.exit_code == 1
    assert quiet.stderr == (
        "logboot: error: logger 'bench' drops INFO records (its level is WARNING); "
        "bench at that level instead\n"
    )
    loud = invoke("--debug", "bench", "p.yaml", "--records", "10", "--set", "root.level=WARNING")
    assert loud.exit_code == 1
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert "logboot.testing.bench.BenchError" in loud.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "no such profile: 'missing.yaml'"),
        (["p.yaml", "--records", "0"], "'--records' / '-n': Input should be greater than or equal to 1"),
        (["p.yaml", "--threads", "0"], "'--threads' / '-t': Input should be greater than or equal to 1"),
        (["p.yaml", "--processes", "-1"], "'--processes' / '-p': Input should be greater than or equal to 0"),
        (["p.yaml", "--records", "1", "--processes", "2"], "1 is fewer than --processes 2"),
        (["p.yaml", "--real-sinks", "--sink-dir", "kept"], "--real-sinks does not; give one of them"),
        (["p.yaml", "--sink-dir", "p.yaml"], "'p.yaml' is not a folder"),
        (["p.yaml", "--format", "xml"], "'xml' is not one of"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, in_tmp: Path) -> None:
    """A missing file, a count out of range or options that exclude each other exit 2, benching nothing."""
    result = invoke("bench", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in " ".join(result.stderr.replace("│", " ").split())
    assert not (in_tmp / "logs").exists()


def test_a_sink_dir_with_files_is_refused(in_tmp: Path) -> None:
    """--sink-dir must be new or empty, so that its files hold this bench's records only."""
    (in_tmp / "kept").mkdir()
    (in_tmp / "kept" / "out.log").write_text("old\n", encoding="utf-8")
    result = invoke("bench", "p.yaml", "--sink-dir", "kept")
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value for '--sink-dir': 'kept' is not empty; choose a new or empty folder" in message
    assert (in_tmp / "kept" / "out.log").read_text(encoding="utf-8") == "old\n"


def test_the_progress_bar_is_drawn_on_a_terminal_only(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the bar reaches the total on stderr; with --format json it never shows."""
    monkeypatch.setattr("logboot.cli.bench.stderr_is_terminal", lambda: True)
    text = invoke("bench", "p.yaml", "--records", "2000")
    assert text.exit_code == 0, text.stderr
    assert "logging" in text.stderr
    assert "2000/2000" in text.stderr
    assert "\x1b[" not in text.stdout
    data = invoke("bench", "p.yaml", "--records", "2000", "--format", "json")
    assert (data.exit_code, data.stderr) == (0, "")
    assert json.loads(data.stdout)["records"] == 2000


def test_help_has_usage_and_examples() -> None:
    """bench --help shows its usage, its options and examples."""
    result = invoke("bench", "--help")
    assert result.exit_code == 0
    assert "Usage: logboot bench" in result.stdout
    for option in ("--records", "--threads", "--processes", "--real-sinks", "--sink-dir", "--set"):
        assert option in result.stdout
    assert "logboot bench" in result.stdout.partition("Examples:")[2]


def test_installed_executable_keeps_piped_output_clean(in_tmp: Path) -> None:
    """The installed `logboot bench`, piped: one JSON document on stdout, nothing on stderr."""
    exe = shutil.which("logboot", path=str(Path(sys.executable).parent))
    assert exe is not None, f"`logboot` is not installed next to {sys.executable}; pip install -e ."
    env = {k: v for k, v in os.environ.items() if k not in PLAIN}
    done = subprocess.run(
        [exe, "bench", "p.yaml", "--records", "500", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=in_tmp,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    document = json.loads(done.stdout)
    assert document["handled"] + document["dropped"] == 500
    assert not (in_tmp / "logs").exists()


def test_no_progress_bar_off_a_terminal_even_with_force_color(in_tmp: Path) -> None:
    """FORCE_COLOR colours the table but draws no bar on a stderr that is not a terminal."""
    result = invoke("bench", "p.yaml", "--records", "2000", env={"FORCE_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b[" in result.stdout
