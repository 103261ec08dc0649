"""`collect: auto`: logging's caller, thread, process and task collection is turned off where
nothing in the profile reads it, put back at stop, and set again at each swap."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import runner
from conftest import REPO

import logboot
from logboot.cli.commands import app
from logboot.profile.collect import available_switches, switches_off
from logboot.profile.plain import PlainProfile
from logboot.runtime.switches import capture

pytestmark = pytest.mark.timeout(60)

EVERY = available_switches()  # `tasks` from 3.12
DEFAULTS = {
    "_srcfile": logging._srcfile,
    "logThreads": True,
    "logProcesses": True,
    "logMultiprocessing": True,
}


@pytest.fixture(autouse=True)
def _switches_back() -> Iterator[None]:
    """Put logging's switches back even when a test fails before its runtime stops."""
    before = capture()
    yield
    for setting, value in before.items():
        setattr(logging, setting, value)


def off_now() -> tuple[str, ...]:
    """The switches that are off in ``logging`` right now, in ``EVERY`` order."""
    values = {
        "caller": logging._srcfile,
        "threads": logging.logThreads,
        "processes": logging.logProcesses,
        "process_names": logging.logMultiprocessing,
        "tasks": getattr(logging, "logAsyncioTasks", True),
    }
    return tuple(name for name in EVERY if not values[name])


TEXT = '{type: text, format: "{levelname} {name}: {message}"}'


def profile_text(
    log: Path, formatter: str = TEXT, *, collect: str = "auto", extra: str = "", sink_extra: str = ""
) -> str:
    """A profile writing one file through one thread queue with ``formatter``."""
    return textwrap.dedent(
        f"""\
        version: 1
        collect: {collect}
        formatters:
          main: {formatter}
        sinks:
          out: {{type: file, path: "{log}", formatter: main{sink_extra}}}
        queues:
          main: {{kind: thread}}
        listeners:
          main: {{queue: main, sinks: [out]}}
        root: {{level: DEBUG}}
        """
    ) + textwrap.dedent(extra)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


CALLER_FORMAT = '{type: text, format: "{funcName}:{lineno} {message}"}'
ALL_CALLER = {"caller", "threads", "processes", "process_names"}


@pytest.mark.parametrize(
    ("formatter", "extra", "sink_extra", "kept"),
    [
        pytest.param(TEXT, "", "", set(), id="text"),
        pytest.param("{type: text}", "", "", set(), id="default-text"),
        pytest.param(CALLER_FORMAT, "", "", {"caller"}, id="funcName"),
        pytest.param(
            '{type: text, style: "%", format: "%(threadName)s %(message)s"}',
            "",
            "",
            {"threads"},
            id="percent-threadName",
        ),
        pytest.param(
            '{type: text, style: "$", format: "$process $message"}',
            "",
            "",
            {"processes"},
            id="dollar-process",
        ),
        pytest.param(
            '{type: text, format: "{processName} {message}"}', "", "", {"process_names"}, id="processName"
        ),
        pytest.param("{type: json}", "", "", ALL_CALLER, id="default-json"),
        pytest.param(
            "{type: json, fields: [time, level, logger, message, exception, extra]}",
            "",
            "",
            set(),
            id="json-chosen-fields",
        ),
        pytest.param("{type: json, fields: [time, message, stack]}", "", "", {"caller"}, id="json-stack"),
        pytest.param(
            "{type: json, preset: datadog, fields: [time, message, thread_name]}",
            "",
            "",
            {"threads"},
            id="json-preset",
        ),
        pytest.param(
            "{type: text}",
            "filters:\n  t: {type: throttle, rate: 10/s}\n",
            ", filters: [t]",
            {"caller"},
            id="throttle-filter",
        ),
        pytest.param(
            "{type: text}",
            "allow_custom: true\nfilters:\n  c: {type: custom, factory: 'logging:Filter'}\n",
            ", filters: [c]",
            set(EVERY),
            id="custom-filter",
        ),
        pytest.param(
            "{type: text}",
            "filters:\n  n: {type: name, prefix: app}\n",
            ", filters: [n]",
            set(),
            id="name-filter",
        ),
    ],
)
def test_auto_turns_off_what_nothing_reads(
    tmp_path: Path, formatter: str, extra: str, sink_extra: str, kept: set[str]
) -> None:
    """A running `collect: auto` profile has exactly the switches off that none of its readers needs."""
    path = write(
        tmp_path / "p.yaml", profile_text(tmp_path / "out.log", formatter, extra=extra, sink_extra=sink_extra)
    )
    expected = tuple(name for name in EVERY if name not in kept)
    assert switches_off(logboot.load_profile(path)) == expected
    runtime = logboot.setup_logging(path)
    assert off_now() == expected
    runtime.stop()
    assert off_now() == ()
    assert {setting: capture()[setting] for setting in DEFAULTS} == DEFAULTS


@pytest.mark.parametrize(
    ("sink", "kept"),
    [
        ("{type: syslog, address: '127.0.0.1:1', protocol: tcp}", {"threads", "processes"}),
        ("{type: otlp, endpoint: 'http://127.0.0.1:1/v1/logs'}", {"caller", "threads", "processes"}),
        ("{type: 'null'}", set()),
        (
            "{type: syslog, address: '127.0.0.1:1', protocol: tcp, structured_data: [funcName, user]}",
            {"caller", "threads", "processes"},
        ),
    ],
)
def test_remote_sinks_keep_what_they_read(tmp_path: Path, sink: str, kept: set[str]) -> None:
    """syslog keeps threads and processes (PROCID, its sender's own records), and what its
    `structured_data` names; otlp the caller too."""
    text = f"version: 1\ncollect: auto\nsinks:\n  out: {sink}\n"
    profile = logboot.load_profile(write(tmp_path / "p.yaml", text))
    assert switches_off(profile) == tuple(name for name in EVERY if name not in kept)


def test_collect_all_is_the_default_and_touches_nothing(tmp_path: Path) -> None:
    """Without `collect` nothing is switched, not even a switch the application had turned off."""
    path = write(tmp_path / "p.yaml", profile_text(tmp_path / "out.log").replace("collect: auto\n", ""))
    assert logboot.load_profile(path).collect == "all"
    logging.logThreads = False
    runtime = logboot.setup_logging(path)
    assert off_now() == ("threads",)
    runtime.stop()
    assert off_now() == ("threads",)


def test_records_stay_whole_and_other_handlers_see_the_switched_off_fields(tmp_path: Path) -> None:
    """Every record is written whole; a plain FileHandler beside logboot gets the documented
    stand-ins for the fields `auto` turned off (the switches are process-wide)."""
    runtime = logboot.setup_logging(write(tmp_path / "p.yaml", profile_text(tmp_path / "out.log")))
    plain = logging.FileHandler(tmp_path / "plain.log", encoding="utf-8")
    plain.setFormatter(
        logging.Formatter(
            "%(pathname)s|%(funcName)s|%(lineno)d|%(thread)s|%(threadName)s|%(process)s|"
            "%(processName)s|%(message)s"
        )
    )
    log = logging.getLogger("app.collect")
    log.addHandler(plain)
    try:
        for n in range(1000):
            log.info("record %d", n, stack_info=n == 0)
    finally:
        log.removeHandler(plain)
        plain.close()
    runtime.stop()
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert lines == [f"INFO app.collect: record {n}" for n in range(1000)]  # no stack: the caller is off
    plain_lines = (tmp_path / "plain.log").read_text(encoding="utf-8").splitlines()
    assert plain_lines[0] == "(unknown file)|(unknown function)|0|None|None|None|None|record 0"
    assert len(plain_lines) == 1000


def test_a_layout_that_reads_the_caller_gets_it(tmp_path: Path) -> None:
    """With `{funcName}` in the layout the caller stays on and every line names it."""
    path = write(tmp_path / "p.yaml", profile_text(tmp_path / "out.log", CALLER_FORMAT))
    runtime = logboot.setup_logging(path)
    for n in range(100):
        logging.getLogger("app").info("r%d", n)
    runtime.stop()
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 100
    assert all(
        re.fullmatch(rf"test_a_layout_that_reads_the_caller_gets_it:\d+ r{n}", line)
        for n, line in enumerate(lines)
    )


def test_second_setup_and_reload_set_the_switches_again(tmp_path: Path) -> None:
    """Each swap sets the switches for the profile swapped in: a second setup_logging, a live
    reload (the runtime's own replace), and `collect: all`, which puts the originals back."""
    no_caller = write(tmp_path / "a.yaml", profile_text(tmp_path / "a.log"))
    caller = write(tmp_path / "b.yaml", profile_text(tmp_path / "b.log", CALLER_FORMAT))
    every = write(tmp_path / "c.yaml", profile_text(tmp_path / "c.log", collect="all"))
    logboot.setup_logging(no_caller)
    assert off_now() == EVERY
    second = logboot.setup_logging(caller)
    assert off_now() == tuple(name for name in EVERY if name != "caller")
    third = logboot.setup_logging(every)
    assert off_now() == ()
    assert not second.running
    fourth = logboot.setup_logging(no_caller)
    assert off_now() == EVERY
    third.stop()  # replaced already: it touches nothing
    assert off_now() == EVERY

    reload = "reload: {signal: SIGUSR1}\n"
    reloads = write(tmp_path / "r.yaml", profile_text(tmp_path / "r.log", extra=reload))
    fourth.stop()
    assert off_now() == ()
    runtime = logboot.setup_logging(reloads)
    assert off_now() == EVERY
    reloader = runtime.control("reload")
    assert reloader is not None
    write(reloads, profile_text(tmp_path / "r.log", CALLER_FORMAT, extra=reload))
    assert reloader.reload_now() is None  # type: ignore[attr-defined]
    assert off_now() == tuple(name for name in EVERY if name != "caller")
    logging.getLogger("app").info("after the reload")
    runtime.stop()
    assert off_now() == ()
    lines = (tmp_path / "r.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"test_second_setup_and_reload_set_the_switches_again:\d+ after the reload", lines[0])


def test_a_start_from_the_cache_sets_the_same_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start of an unchanged profile is built from plain data and switches the same."""
    monkeypatch.setenv("LOGBOOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("LOGBOOT_CACHE", raising=False)
    path = write(tmp_path / "p.yaml", profile_text(tmp_path / "out.log", CALLER_FORMAT))
    for start in range(2):
        runtime = logboot.setup_logging(path)
        assert isinstance(runtime.topology.profile, PlainProfile) == (start == 1)
        assert off_now() == tuple(name for name in EVERY if name != "caller")
        logging.getLogger("app").info("start %d", start)
        runtime.stop()
        assert off_now() == ()
    assert len((tmp_path / "out.log").read_text(encoding="utf-8").splitlines()) == 2


STOP_SCRIPT = """\
import atexit, logging, os, signal, sys
import logboot

def switches():
    return [bool(logging._srcfile), logging.logThreads, logging.logProcesses, logging.logMultiprocessing]

def report(*_):
    print("after", switches(), flush=True)
    os._exit(0)

if sys.argv[2] == "signal":
    os.kill = report  # the signal path re-raises SIGTERM once the runtime stopped: report instead
else:
    atexit.register(report)  # before setup_logging: runs after logboot's own hook
logboot.setup_logging(sys.argv[1])
print("running", switches(), flush=True)
logging.getLogger("app").warning("last words")
if sys.argv[2] == "signal":
    signal.raise_signal(signal.SIGTERM)
"""


@pytest.mark.parametrize("how", ["signal", "atexit"])
def test_a_stop_at_exit_or_on_a_signal_puts_the_switches_back(tmp_path: Path, how: str) -> None:
    """A runtime stopped by SIGTERM (shutdown.signals) or at exit puts the switches back after
    writing every record."""
    log = tmp_path / "out.log"
    path = write(tmp_path / "p.yaml", profile_text(log, extra="shutdown: {signals: [SIGTERM]}\n"))
    run = subprocess.run(
        [sys.executable, "-c", STOP_SCRIPT, str(path), how],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "running [False, False, False, False]",
        "after [True, True, True, True]",
    ]
    assert log.read_text(encoding="utf-8") == "WARNING app: last words\n"


def test_show_says_what_auto_turned_off(tmp_path: Path) -> None:
    """`logboot show` ends with the collect line, in the tree and in its JSON."""
    path = write(tmp_path / "p.yaml", profile_text(tmp_path / "out.log", CALLER_FORMAT))
    off = ", ".join(name for name in EVERY if name != "caller")
    shown = runner().invoke(app, ["show", str(path)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.splitlines()[-1] == f"└── collect: auto (off: {off})"
    as_json = runner().invoke(app, ["show", "--format", "json", str(path)])
    assert json.loads(as_json.stdout)["collect"] == f"auto (off: {off})"
    every = write(tmp_path / "all.yaml", profile_text(tmp_path / "out.log", collect="all"))
    shown = runner().invoke(app, ["show", str(every)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert "collect" not in shown.stdout


def test_check_warns_that_custom_code_keeps_everything(tmp_path: Path) -> None:
    """`collect: auto` beside a custom filter: check warns that nothing is turned off, and show says why."""
    extra = "allow_custom: true\nfilters:\n  c: {type: custom, factory: 'logging:Filter'}\n"
    text = profile_text(tmp_path / "out.log", extra=extra, sink_extra=", filters: [c]")
    path = write(tmp_path / "p.yaml", text)
    checked = runner().invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert (
        f"{path}:2:1: collect: warning: `collect: auto` turns nothing off: custom filter 'c' may "
        "read any field; use `collect: all`, or drop the custom code"
    ) in checked.output
    shown = runner().invoke(app, ["show", str(path)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert shown.stdout.splitlines()[-1] == "└── collect: auto (nothing off: read by filters.c)"


def test_the_documented_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile of "Collect only what is read" in docs/operating.md turns off what the guide
    says, and writes what it says."""
    guide = (REPO / "docs" / "operating.md").read_text(encoding="utf-8")
    section = guide.split("## Collect only what is read", 1)[1]
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    shown = re.findall(r"```\n(└── collect: .*?)\n```", section, re.S)[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_DIR", raising=False)
    path = write(tmp_path / "prod.yaml", block)
    result = runner().invoke(app, ["show", str(path)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.stdout.splitlines()[-1] == (shown if "tasks" in EVERY else shown.replace(", tasks", ""))
    runtime = logboot.setup_logging(path)
    assert off_now() == EVERY
    logging.getLogger("app").info("hello")
    runtime.stop()
    assert off_now() == ()
    lines = (tmp_path / "logs" / "app.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].endswith(" INFO     app: hello")


def test_the_benchmark_runs_and_checks_every_record(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/collect.py runs its four variants, counts every record on disk and prints
    both target ratios (the figures are docs/benchmarks.md's, never asserted here)."""
    from benchmarks import collect

    cpus_before = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    assert collect.main(["--records", "500", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"auto / floor +\d+\.\d\d \(\d+\.\d\d\)  \(<= 0\.8: (met|NOT met)\)", out)
    assert re.search(r"auto / trimmed_floor +\d+\.\d\d \(\d+\.\d\d\)  \(<= 1\.3: (met|NOT met)\)", out)
    two_cpus = hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1
    one_core = re.search(r"auto_one_core / trimmed_floor \d+\.\d\d  \(the same work, on one core\)", out)
    assert bool(one_core) == two_cpus
    if two_cpus:
        assert os.sched_getaffinity(0) == cpus_before  # this thread's CPUs are given back
    assert off_now() == ()
