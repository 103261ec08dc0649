"""Live reload in this process: what is watched, what a failure looks like, the handle, the signal."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clirunner import runner
from conftest import REPO, file_profile, wait_until

import logboot
from logboot.cli import app
from logboot.control.reload import NOT_RUNNING, THREAD_NAME, Inputs, Reloader, stamp
from logboot.profile.plain import PlainProfile
from logboot.runtime.lifecycle import active_runtime

pytestmark = pytest.mark.timeout(60)

WATCH = "{watch: true, interval: 50ms}"
SIGNALS = (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM)


def profile_text(log: Path | str, *, level: str = "INFO", reload: str | None = WATCH, extra: str = "") -> str:
    """One file sink of bare messages behind one queue; ``reload`` is the YAML of the section."""
    section = f"reload: {reload}\n" if reload is not None else ""
    return file_profile(Path(log), level=level, queue="{}", extra=section + textwrap.dedent(extra))


def replace_file(path: Path, text: str) -> None:
    """Write ``path`` whole, as an editor that saves atomically does (a reader never sees half)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def replace_file_and_return(path: Path, text: str) -> Path:
    replace_file(path, text)
    return path


def lines_of(path: Path) -> list[str]:
    """Every line of a file (none if it does not exist); a last line must be whole."""
    if not path.exists():
        return []
    data = path.read_text(encoding="utf-8")
    assert data == "" or data.endswith("\n"), f"{path} ends in a partial line"
    return data.split("\n")[:-1]


def reload_stats(runtime: logboot.Runtime) -> dict[str, Any]:
    stats: dict[str, Any] = runtime.stats()["reload"]
    return stats


def wait_for(runtime: logboot.Runtime, key: str, count: int) -> None:
    """Wait until the reloader's counter ``key`` reaches ``count`` (never for records)."""
    wait_until(lambda: reload_stats(runtime)[key] >= count, timeout=15)


def reload_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD_NAME]


@pytest.fixture
def handlers() -> Iterator[dict[int, Any]]:
    """The handlers of the signals a test may touch, checked to be back at the end."""
    before = {signum: signal.getsignal(signum) for signum in SIGNALS}
    yield before
    runtime = active_runtime()
    if runtime is not None:
        runtime.stop()
    now = {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum, handler in before.items():
        signal.signal(signum, handler)  # whatever happened, the next test starts clean
    assert now == before


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile cache of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOGBOOT_CACHE_DIR", str(folder))
    return folder


# --- what is watched ------------------------------------------------------------------------


def test_an_edit_swaps_in_the_new_sink_and_level(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """Editing the profile file swaps in its new sink and level; the old file keeps what came before."""
    old_log, new_log, path = tmp_path / "old.log", tmp_path / "new.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(old_log))
    runtime = logboot.setup_logging(path)
    log = logging.getLogger("app")
    log.debug("debug 1")
    log.info("info 1")
    replace_file(path, profile_text(new_log, level="DEBUG"))
    wait_for(runtime, "reloads", 1)
    log.debug("debug 2")
    log.info("info 2")
    runtime.stop()
    assert lines_of(old_log) == ["info 1"]
    assert lines_of(new_log) == ["debug 2", "info 2"]
    assert reload_stats(runtime)["failed"] == 0


def test_an_edited_extends_base_reloads(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """Editing a file the profile extends reloads it, with the top file unchanged."""
    base, top = tmp_path / "base.yaml", tmp_path / "profile.yaml"
    replace_file(base, profile_text(tmp_path / "a.log", reload=None))
    replace_file(top, f"extends: base.yaml\nreload: {WATCH}\n")
    runtime = logboot.setup_logging(top)
    log = logging.getLogger("app")
    log.info("to a")
    replace_file(base, profile_text(tmp_path / "b.log", reload=None))
    wait_for(runtime, "reloads", 1)
    log.info("to b")
    runtime.stop()
    assert (lines_of(tmp_path / "a.log"), lines_of(tmp_path / "b.log")) == (["to a"], ["to b"])


def test_a_changed_environment_variable_the_profile_read_reloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handlers: dict[int, Any]
) -> None:
    """A new value of a variable the profile read (``${VAR}``) reloads it: the sink moves there."""
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("RELOAD_TEST_LOG_DIR", str(tmp_path / "one"))
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text("${RELOAD_TEST_LOG_DIR}/app.log"))
    runtime = logboot.setup_logging(path)
    log = logging.getLogger("app")
    log.info("in one")
    monkeypatch.setenv("RELOAD_TEST_LOG_DIR", str(tmp_path / "two"))
    wait_for(runtime, "reloads", 1)
    log.info("in two")
    runtime.stop()
    assert lines_of(tmp_path / "one" / "app.log") == ["in one"]
    assert lines_of(tmp_path / "two" / "app.log") == ["in two"]


def test_a_change_that_validates_to_the_running_profile_swaps_nothing(
    tmp_path: Path, handlers: dict[int, Any]
) -> None:
    """A comment added to the profile is looked at, validated, and swaps nothing in."""
    log_file, path = tmp_path / "app.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(log_file))
    runtime = logboot.setup_logging(path)
    wait_for(runtime, "attempts", 1)  # the first look
    topology = runtime.topology
    replace_file(path, "# only a comment more\n" + profile_text(log_file))
    wait_for(runtime, "attempts", 2)
    logging.getLogger("app").info("still here")
    assert runtime.topology is topology
    assert (reload_stats(runtime)["reloads"], reload_stats(runtime)["failed"]) == (0, 0)
    runtime.stop()
    assert lines_of(log_file) == ["still here"]


def test_the_first_look_after_a_start_from_the_cache_swaps_nothing(
    tmp_path: Path, cache_dir: Path, handlers: dict[int, Any]
) -> None:
    """A start from the profile cache, validated again by the watcher's first look, is not reloaded."""
    log_file, path = tmp_path / "app.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(log_file))
    logboot.setup_logging(path).stop()  # validates, and keeps the result in the cache
    runtime = logboot.setup_logging(path)
    assert isinstance(runtime.topology.profile, PlainProfile)  # it did start from the cache
    wait_for(runtime, "attempts", 1)
    logging.getLogger("app").info("one topology")
    assert reload_stats(runtime)["reloads"] == 0
    runtime.stop()
    assert lines_of(log_file) == ["one topology"]


def test_an_edit_made_before_the_first_look_is_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, handlers: dict[int, Any]
) -> None:
    """A profile changed between setup_logging's read and the watcher's first look is swapped in."""
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text(tmp_path / "old.log"))
    from logboot.control import reload as reload_module

    started = threading.Event()
    edited = threading.Event()
    resolve = reload_module.resolve_again

    def first_look_after_the_edit(source: reload_module.ReloadSource) -> reload_module.Attempt:
        started.set()
        assert edited.wait(10)
        return resolve(source)

    monkeypatch.setattr(reload_module, "resolve_again", first_look_after_the_edit)
    runtime = logboot.setup_logging(path)
    logging.getLogger("app").info("before")
    assert started.wait(10)
    replace_file(path, profile_text(tmp_path / "new.log"))
    edited.set()
    wait_for(runtime, "reloads", 1)
    logging.getLogger("app").info("after")
    runtime.stop()
    assert (lines_of(tmp_path / "old.log"), lines_of(tmp_path / "new.log")) == (["before"], ["after"])


def test_inputs_are_the_files_read_and_the_variables_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resolution records each file's text and each variable's value, and sees either change."""
    from logboot.control.reload import ReloadSource, resolve_again

    monkeypatch.setenv("RELOAD_TEST_LEVEL", "INFO")
    base, top = tmp_path / "base.yaml", tmp_path / "profile.yaml"
    replace_file(base, profile_text(tmp_path / "app.log", level='"${RELOAD_TEST_LEVEL}"', reload=None))
    replace_file(top, "extends: base.yaml\n")
    attempt = resolve_again(ReloadSource.of(top, None, None, cache=False))
    assert attempt.profile is not None and attempt.failure is None
    assert attempt.inputs.files == {str(top): top.read_text(), str(base): base.read_text()}
    assert attempt.inputs.environ["RELOAD_TEST_LEVEL"] == "INFO"
    assert attempt.inputs.unchanged()
    monkeypatch.setenv("RELOAD_TEST_LEVEL", "DEBUG")
    assert not attempt.inputs.unchanged()
    monkeypatch.setenv("RELOAD_TEST_LEVEL", "INFO")
    replace_file(base, base.read_text() + "# edited\n")
    assert not attempt.inputs.unchanged()
    assert stamp(str(tmp_path / "missing.yaml")) is None
    assert Inputs({}, {}).stamps() == ({}, {})


# --- failures -------------------------------------------------------------------------------


def framed_blocks(text: str) -> list[str]:
    """The framed reports in stderr output, each as its text."""
    return [block for block in text.split("--- logboot: ")[1:] if block.startswith("reload of ")]


def test_a_broken_edit_is_reported_once_and_the_old_topology_keeps_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], handlers: dict[int, Any]
) -> None:
    """A broken edit changes nothing and is reported once, located; fixing the file reloads it."""
    old_log, new_log, path = tmp_path / "old.log", tmp_path / "new.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(old_log))
    runtime = logboot.setup_logging(path)
    log = logging.getLogger("app")
    log.info("before")
    broken = profile_text(new_log).replace("main: {}", "main: {max_size: lots}")
    replace_file(path, broken)
    wait_for(runtime, "failed", 1)
    log.info("while broken 1")
    replace_file(path, broken + "# saved again, still broken\n")  # the same failure: counted, not written
    wait_for(runtime, "failed", 2)
    log.info("while broken 2")
    stats = reload_stats(runtime)
    assert stats["reloads"] == 0
    assert stats["last_error"] == f"{path}:7:20: queues.main.max_size: expected an integer, got 'lots'"
    assert runtime.flush()
    assert lines_of(old_log) == ["before", "while broken 1", "while broken 2"]
    replace_file(path, profile_text(new_log))
    wait_for(runtime, "reloads", 1)
    log.info("fixed")
    runtime.stop()
    assert lines_of(old_log) == ["before", "while broken 1", "while broken 2"]
    assert lines_of(new_log) == ["fixed"]
    assert reload_stats(runtime)["last_error"] is None
    blocks = framed_blocks(capsys.readouterr().err)
    assert len(blocks) == 1
    assert f"{path}:7:20: queues.main.max_size: expected an integer, got 'lots'\n" in blocks[0]
    assert blocks[0].startswith(f"reload of {path} failed; the running configuration stays ---\n")


def test_a_removed_profile_is_reported_once_and_recreating_it_reloads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], handlers: dict[int, Any]
) -> None:
    """Removing the profile keeps the running topology (reported once); putting it back reloads."""
    old_log, new_log, path = tmp_path / "old.log", tmp_path / "new.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(old_log))
    runtime = logboot.setup_logging(path)
    log = logging.getLogger("app")
    wait_for(runtime, "attempts", 1)
    path.unlink()
    wait_for(runtime, "failed", 1)
    log.info("while missing")
    assert reload_stats(runtime)["last_error"] == (
        f"{path}:1:1: no such profile (the file was removed or renamed)"
    )
    replace_file(path, profile_text(new_log))
    wait_for(runtime, "reloads", 1)
    log.info("back")
    runtime.stop()
    assert (lines_of(old_log), lines_of(new_log)) == (["while missing"], ["back"])
    blocks = framed_blocks(capsys.readouterr().err)
    assert len(blocks) == 1 and f"{path}:1:1: no such profile" in blocks[0]


def test_a_sink_that_cannot_be_built_leaves_the_old_topology(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], handlers: dict[int, Any]
) -> None:
    """A valid profile whose file cannot be opened is reported and changes nothing."""
    log_file, path = tmp_path / "app.log", tmp_path / "profile.yaml"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    replace_file(path, profile_text(log_file))
    runtime = logboot.setup_logging(path)
    topology = runtime.topology
    replace_file(path, profile_text(blocker / "app.log"))
    wait_for(runtime, "failed", 1)
    logging.getLogger("app").info("still the old one")
    assert runtime.topology is topology
    runtime.stop()
    assert lines_of(log_file) == ["still the old one"]
    (block,) = framed_blocks(capsys.readouterr().err)
    assert f"{path}: the profile is valid, but its topology cannot be built:" in block
    assert "not-a-folder/app.log" in block


# --- the handle -----------------------------------------------------------------------------


def test_the_handle_acts_on_the_topology_of_the_last_reload(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """After three reloads the handle setup_logging returned is the running runtime; its stop drains all."""
    path = tmp_path / "profile.yaml"
    logs = [tmp_path / f"{n}.log" for n in range(4)]
    replace_file(path, profile_text(logs[0]))
    runtime = logboot.setup_logging(path)
    log = logging.getLogger("app")
    for n in range(1, 4):
        for i in range(100):
            log.info("%d %d", n - 1, i)
        replace_file(path, profile_text(logs[n]))
        wait_for(runtime, "reloads", n)
        assert active_runtime() is runtime and runtime.running
        assert runtime.topology.profile.sinks["out"].path == str(logs[n])
    for i in range(100):
        log.info("3 %d", i)
    assert runtime.flush()
    assert lines_of(logs[3]) == [f"3 {i}" for i in range(100)]
    stats = runtime.stats()
    assert stats["queues"]["main"]["handled"] == 100
    assert stats["reload"]["retired"] == {"handled": 300, "dropped": 0, "abandoned": 0}
    report = runtime.stop()
    assert report.clean and (report.handled, report.dropped) == (100, 0)
    assert [lines_of(f) for f in logs] == [[f"{n} {i}" for i in range(100)] for n in range(4)]
    assert active_runtime() is None and not runtime.running
    assert reload_threads() == []
    assert runtime.stop().already_stopped


def test_flush_during_a_swap_waits_for_the_topology_being_drained(
    tmp_path: Path, handlers: dict[int, Any]
) -> None:
    """A flush while a reload drains the old topology returns once the old records are written too."""
    old_log, path = tmp_path / "old.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(old_log))
    runtime = logboot.setup_logging(path)
    old_topology = runtime.topology
    held = threading.Event()
    entered = threading.Event()

    class Gate(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            entered.set()
            assert held.wait(10)
            return True

    old_topology.sinks["out"].handler.addFilter(Gate())
    log = logging.getLogger("app")
    log.info("held")
    assert entered.wait(10)
    for i in range(50):
        log.info("queued %d", i)
    replace_file(path, profile_text(tmp_path / "new.log"))
    wait_until(lambda: runtime.topology is not old_topology)  # swapped in; the old one drains
    flushed: list[bool] = []
    flusher = threading.Thread(target=lambda: flushed.append(runtime.flush(10)))
    flusher.start()
    flusher.join(0.2)
    assert flusher.is_alive()  # it waits for the held records, in the old topology
    held.set()
    flusher.join(10)
    assert flushed == [True]
    assert lines_of(old_log) == ["held", *(f"queued {i}" for i in range(50))]
    runtime.stop()


def test_a_second_setup_logging_stops_the_first_reloader(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """setup_logging again ends the running runtime's reloader: its thread ends, its handler goes back."""
    path = tmp_path / "profile.yaml"
    replace_file(
        path, profile_text(tmp_path / "a.log", reload="{watch: true, interval: 50ms, signal: SIGUSR1}")
    )
    first = logboot.setup_logging(path)
    assert len(reload_threads()) == 1 and signal.getsignal(signal.SIGUSR1) != handlers[signal.SIGUSR1]
    second = logboot.setup_logging(
        replace_file_and_return(tmp_path / "plain.yaml", profile_text(tmp_path / "a.log", reload=None))
    )
    assert reload_threads() == [] and "reload" not in second.stats()
    assert signal.getsignal(signal.SIGUSR1) == handlers[signal.SIGUSR1]
    assert reload_stats(first)["active"] is False
    logging.getLogger("app").info("second")
    second.stop()
    assert lines_of(tmp_path / "a.log") == ["second"]


def test_reload_now_reloads_from_another_thread_and_says_why_not(
    tmp_path: Path, handlers: dict[int, Any]
) -> None:
    """reload_now (the control socket's reload) returns the failure text, or None once swapped in."""
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text(tmp_path / "old.log", reload="{signal: SIGUSR1}"))
    runtime = logboot.setup_logging(path)
    reloader = runtime.control("reload")
    assert isinstance(reloader, Reloader)
    replace_file(path, "version: 1\nroot: {level: LOUD}\n")
    failure = reloader.reload_now()
    assert failure is not None and failure.startswith(f"{path}:2:15: root.level: ")
    assert reload_stats(runtime)["last_error"] == failure
    replace_file(path, profile_text(tmp_path / "new.log", reload="{signal: SIGUSR1}"))
    assert reloader.reload_now() is None
    logging.getLogger("app").info("new")
    runtime.stop()
    assert reloader.reload_now() == NOT_RUNNING
    assert (reload_stats(runtime)["reloads"], reload_stats(runtime)["failed"]) == (
        1,
        1,
    )  # stopped: no failure
    assert (lines_of(tmp_path / "old.log"), lines_of(tmp_path / "new.log")) == ([], ["new"])


# --- following the new profile ----------------------------------------------------------------


def test_a_reload_follows_the_new_interval_and_a_profile_without_reload_ends_the_thread(
    tmp_path: Path, handlers: dict[int, Any]
) -> None:
    """A new interval is taken at once; a profile without `reload` ends the reloader's thread."""
    log_file, path = tmp_path / "app.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(log_file))
    runtime = logboot.setup_logging(path)
    replace_file(path, profile_text(log_file, reload="{watch: true, interval: 60ms}"))
    wait_for(runtime, "reloads", 1)
    assert reload_stats(runtime)["interval"] == pytest.approx(0.06)
    replace_file(path, profile_text(log_file, reload=None))
    wait_for(runtime, "reloads", 2)
    wait_until(lambda: reload_threads() == [])
    stats = reload_stats(runtime)
    assert (stats["active"], stats["watch"], stats["signal"]) == (False, False, None)
    logging.getLogger("app").info("kept")
    runtime.stop()
    assert lines_of(log_file) == ["kept"]


def test_a_changed_signal_is_installed_in_the_main_thread(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """A reload that moves reload.signal to SIGUSR2 and adds SIGTERM to shutdown.signals re-arms both."""
    log_file, path = tmp_path / "app.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(log_file, reload="{watch: true, interval: 50ms, signal: SIGUSR1}"))
    runtime = logboot.setup_logging(path)
    new = profile_text(
        log_file,
        reload="{watch: true, interval: 50ms, signal: SIGUSR2}",
        extra="shutdown: {signals: [SIGTERM]}\n",
    )
    replace_file(path, new)
    wait_for(runtime, "reloads", 1)
    # The reloader sent SIGUSR1 to this (the main) thread; its handler installs, between two waits here.
    wait_until(lambda: signal.getsignal(signal.SIGUSR1) == handlers[signal.SIGUSR1])
    assert signal.getsignal(signal.SIGUSR2) != handlers[signal.SIGUSR2]
    assert signal.getsignal(signal.SIGTERM) != handlers[signal.SIGTERM]
    assert reload_stats(runtime)["signal"] == "SIGUSR2"
    os.kill(os.getpid(), signal.SIGUSR2)
    wait_for(runtime, "reloads", 2)  # a signal reloads even an unchanged profile
    logging.getLogger("app").info("after both")
    runtime.stop()  # the fixture checks that every handler is back
    assert lines_of(log_file) == ["after both"]


# --- the signal -----------------------------------------------------------------------------


def test_the_signal_reloads_without_watch(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """With only `signal`, an edit waits for the signal; the signal reloads it."""
    old_log, new_log, path = tmp_path / "old.log", tmp_path / "new.log", tmp_path / "profile.yaml"
    replace_file(path, profile_text(old_log, reload="{signal: SIGHUP}"))
    runtime = logboot.setup_logging(path)
    assert len(reload_threads()) == 1
    assert signal.getsignal(signal.SIGHUP) != handlers[signal.SIGHUP]
    log = logging.getLogger("app")
    log.info("before")
    replace_file(path, profile_text(new_log, reload="{signal: SIGHUP}"))
    assert reload_stats(runtime)["attempts"] == 0  # nothing looks at the file
    os.kill(os.getpid(), signal.SIGHUP)
    wait_for(runtime, "reloads", 1)
    log.info("after")
    runtime.stop()
    assert (lines_of(old_log), lines_of(new_log)) == (["before"], ["after"])
    assert reload_threads() == []  # and the fixture: the SIGHUP handler is back


def test_the_signal_handler_calls_the_handler_it_replaced(tmp_path: Path, handlers: dict[int, Any]) -> None:
    """An application's own handler of the reload signal still runs, after the reload is asked for."""
    calls: list[int] = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: calls.append(signum))
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text(tmp_path / "app.log", reload="{signal: SIGUSR1}"))
    runtime = logboot.setup_logging(path)
    os.kill(os.getpid(), signal.SIGUSR1)
    wait_for(runtime, "reloads", 1)
    assert calls == [signal.SIGUSR1]
    runtime.stop()
    assert getattr(signal.getsignal(signal.SIGUSR1), "__name__", "") == "<lambda>"  # the application's, back
    signal.signal(signal.SIGUSR1, handlers[signal.SIGUSR1])
    assert lines_of(tmp_path / "app.log") == []


def test_watch_on_a_profile_object_warns_and_watches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], handlers: dict[int, Any]
) -> None:
    """A Profile object with `watch: true` says once that there is nothing to watch; no thread starts."""
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text(tmp_path / "app.log"))
    runtime = logboot.setup_logging(logboot.load_profile(path))
    assert reload_threads() == []
    assert reload_stats(runtime)["active"] is False
    err = capsys.readouterr().err
    assert err.count("reload.watch: the profile was given as a Profile object or as data") == 1
    runtime.stop()


def test_no_reload_section_means_no_thread_no_handler_and_no_import(
    tmp_path: Path, handlers: dict[int, Any]
) -> None:
    """A profile without `reload` starts no reload thread, installs no handler and imports no reloader."""
    path = tmp_path / "profile.yaml"
    replace_file(path, profile_text(tmp_path / "app.log", reload=None))
    runtime = logboot.setup_logging(path)
    assert reload_threads() == [] and "reload" not in runtime.stats()
    assert {signum: signal.getsignal(signum) for signum in SIGNALS} == handlers
    runtime.stop()
    program = (
        "import json, signal, sys, threading, logboot\n"
        "before = signal.getsignal(signal.SIGHUP)\n"  # SIG_DFL, or SIG_IGN under nohup
        "rt = logboot.setup_logging(sys.argv[1])\n"
        "threads = sorted(t.name for t in threading.enumerate())\n"
        "imported = 'logboot.control.reload' in sys.modules\n"
        "print(json.dumps([threads, imported, signal.getsignal(signal.SIGHUP) == before]))\n"
        "rt.stop()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", program, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["MainThread", "logboot-listener-main"], False, True]


# --- check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "column", "expected"),
    [
        ("{watch: sometimes}", 17, "reload.watch: expected true or false, got 'sometimes'"),
        (
            "{watch: true, interval: 10ms}",
            33,
            "reload.interval: expected at least 50ms (a shorter wait only spins), got 10ms",
        ),
        (
            "{signal: HUP}",
            18,
            "reload.signal: expected one of 'SIGHUP', 'SIGUSR1', 'SIGUSR2', got 'HUP'; "
            "did you mean 'SIGHUP'?",
        ),
        (
            "{signal: SIGTERM}",
            18,
            "reload.signal: expected one of 'SIGHUP', 'SIGUSR1', 'SIGUSR2', got 'SIGTERM'",
        ),
        (
            "{watch: true, every: 2s}",
            23,
            "reload.every: unknown key; expected one of: interval, signal, watch",
        ),
    ],
)
def test_check_reports_a_bad_reload_value_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, column: int, expected: str
) -> None:
    """`logboot check` reports a bad `reload` value at its line and column, and exits 1."""
    monkeypatch.chdir(tmp_path)
    replace_file(tmp_path / "profile.yaml", profile_text("app.log", reload=section))
    result = runner().invoke(app, ["check", "profile.yaml"], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"profile.yaml:11:{column}: {expected}"


def test_check_refuses_a_signal_that_also_shuts_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`logboot check` refuses a reload signal that is also in shutdown.signals, located at reload.signal."""
    monkeypatch.chdir(tmp_path)
    text = profile_text(
        "app.log", reload="{signal: SIGHUP}", extra="shutdown: {signals: [SIGTERM, SIGHUP]}\n"
    )
    replace_file(tmp_path / "profile.yaml", text)
    result = runner().invoke(app, ["check", "profile.yaml"], env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "profile.yaml:11:18: reload.signal: SIGHUP is also in shutdown.signals (line 12): a signal "
        "either reloads the profile or drains and ends the process; remove it from one of them"
    )


def test_a_profile_with_reload_passes_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile with every reload key set is valid."""
    monkeypatch.chdir(tmp_path)
    replace_file(
        tmp_path / "profile.yaml",
        profile_text("app.log", reload="{watch: true, interval: 1s, signal: SIGUSR2}"),
    )
    result = runner().invoke(app, ["check", "profile.yaml"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
