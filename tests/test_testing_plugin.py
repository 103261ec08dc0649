"""The pytest plugin (`logboot_capture`) and `capture_logging`, as an application's tests use them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
import warnings
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from conftest import REPO, file_profile

import logboot
from logboot.runtime.lifecycle import active_runtime
from logboot.testing.capture import capture_logging

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(60)

PROFILE = """\
version: 1
formatters:
  bare: {type: text, format: "{levelname} {name}: {message}"}
sinks:
  console: {type: console, level: WARNING, formatter: bare}
  app: {type: file, path: "out/app.log", formatter: bare}
queues:
  main: {}
listeners:
  main: {queue: main, sinks: [console, app]}
root: {level: INFO}
"""


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    """Installing logboot makes pytest load `logboot.testing` on its own."""
    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("logboot") == "logboot.testing"


def test_the_cli_and_capture_import_without_pytest(tmp_path: Path) -> None:
    """Without pytest installed (an application's virtualenv), the `logboot` command (its `bench`
    imports logboot.testing), `logboot.capture` and `logboot.testing` import and run; only the
    plugin's hooks and fixture are absent."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pytest"] = None  # what `import pytest` meets where pytest is not installed
        import logboot.capture, logboot.testing
        from logboot.cli import main
        assert not hasattr(logboot.testing, "logboot_capture")
        try:
            main(["init", "--template", "dev", "dev.yaml"])
        except SystemExit as exit:
            sys.exit(exit.code)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert (run.returncode, run.stderr) == (
        0,
        "Wrote dev.yaml from the 'dev' template. Check it with: logboot check dev.yaml\n",
    )


def test_the_fixture_captures_each_sink_and_writes_no_file(pytester: pytest.Pytester) -> None:
    """`logboot_capture` runs the marked profile; each sink's records and lines are there."""
    pytester.makefile(".yaml", logboot=PROFILE)
    pytester.makepyfile(
        textwrap.dedent(
            """\
            import logging
            import pytest

            @pytest.mark.logboot("logboot.yaml")
            def test_checkout(logboot_capture):
                logging.getLogger("shop").info("order %d paid", 42)
                logging.getLogger("shop").warning("stock low")
                logging.getLogger("shop").debug("below the root level")
                assert logboot_capture.sinks == ["console", "app"]
                assert logboot_capture.messages("app") == ["order 42 paid", "stock low"]
                assert logboot_capture.messages("console") == ["stock low"]
                assert logboot_capture.lines("app") == ["INFO shop: order 42 paid", "WARNING shop: stock low"]
                assert [r.levelname for r in logboot_capture.records()] == ["INFO", "WARNING"]
                logboot_capture.clear()
                assert logboot_capture.records("app") == []
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "out").exists()  # sinks are silenced unless keep_sinks=True


def test_the_runtime_is_stopped_even_when_the_test_fails(pytester: pytest.Pytester) -> None:
    """A failing test still stops its runtime; the next test starts from a clean root logger."""
    pytester.makepyfile(
        textwrap.dedent(
            """\
            import logging
            import logboot

            seen = {}

            def test_before():
                seen["handlers"] = list(logging.getLogger().handlers)  # pytest's own, during a test

            def test_fails(logboot_capture):
                logging.getLogger("x").warning("logged, then fail")
                assert logboot.active_runtime() is logboot_capture.runtime
                raise AssertionError("boom")

            def test_after():
                assert logboot.active_runtime() is None
                assert logging.getLogger().handlers == seen["handlers"]
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)


def test_the_ini_option_names_the_profile_and_overrides_apply(pytester: pytest.Pytester) -> None:
    """`logboot_profile` in the ini file is the default; the marker's overrides go over it."""
    pytester.makefile(".yaml", logboot=PROFILE)
    pytester.makeini("[pytest]\nlogboot_profile = logboot.yaml\n")
    pytester.makepyfile(
        textwrap.dedent(
            """\
            import logging
            import pytest

            def test_default(logboot_capture):
                logging.getLogger("a").info("info")
                assert logboot_capture.messages("app") == ["info"]

            @pytest.mark.logboot(overrides=["root.level=ERROR"])
            def test_overridden(logboot_capture):
                logging.getLogger("a").warning("dropped")
                logging.getLogger("a").error("kept")
                assert logboot_capture.messages("app") == ["kept"]

            @pytest.mark.logboot(overrides=["root.level=LOUD"])
            def test_bad_override(logboot_capture):
                pass
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*<override>:1:12: root.level: expected one of*"])


def test_the_plugin_loads_in_a_fresh_interpreter(pytester: pytest.Pytester) -> None:
    """Run as a real `pytest` process, the entry point provides the fixture and the marker."""
    pytester.makepyfile(
        textwrap.dedent(
            """\
            import logging
            import pytest

            @pytest.mark.logboot
            def test_default_profile(logboot_capture):
                logging.getLogger("a").warning("on the console")
                assert logboot_capture.messages("console") == ["on the console"]
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)


def test_keep_sinks_writes_the_real_files_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `keep_sinks=True` the real sinks write as well as the captures."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "real.log"), encoding="utf-8")
    with capture_logging(path, keep_sinks=True) as capture:
        logging.getLogger("k").info("both")
        assert capture.messages("out") == ["both"]
        assert capture.stats()["sinks"]["out"]["type"] == "file"
    assert (tmp_path / "real.log").read_text(encoding="utf-8") == "both\n"


def test_capture_logging_stops_the_runtime_on_an_exception(tmp_path: Path) -> None:
    """Outside pytest the context manager always stops its runtime, even when the block raises."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "never.log"), encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"^inside$"), capture_logging(path) as capture:
        runtime = capture.runtime
        raise RuntimeError("inside")
    assert not runtime.running
    assert active_runtime() is None
    assert not (tmp_path / "never.log").exists()


def test_an_unknown_sink_name_lists_the_sinks(tmp_path: Path) -> None:
    """Asking for a sink the profile does not have is a KeyError naming the ones it has."""
    with capture_logging(REPO / "configs" / "prod.yaml") as capture, pytest.raises(KeyError) as err:
        capture.records("nope")
    assert err.value.args[0] == "no sink named 'nope' in the profile (sinks: 'console', 'app')"


def test_records_of_forked_children_are_captured(tmp_path: Path) -> None:
    """A forked child's records reach the parent's process queue and are captured there."""
    path = tmp_path / "p.yaml"
    path.write_text(
        file_profile(tmp_path / "x.log").replace("main: {max_size", "main: {kind: process, max_size"),
        encoding="utf-8",
    )
    with capture_logging(path) as capture:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads running
            pid = os.fork()
        if pid == 0:  # the child: log, then leave without running the parent's cleanup
            logging.getLogger("child").info("from the child")
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert status == 0
        # The parent's receiver thread reads the child's frame: poll, with a deadline.
        deadline = time.monotonic() + 10
        while not capture.messages("out") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert capture.messages("out") == ["from the child"]
        assert capture.records("out")[0].process == pid


def test_a_profile_object_and_the_default_can_be_captured(monkeypatch: pytest.MonkeyPatch) -> None:
    """`capture_logging(Profile)` and `capture_logging()` (the built-in default) both work."""
    monkeypatch.delenv("LOGBOOT_PROFILE", raising=False)
    with capture_logging() as capture:
        logging.getLogger("d").info("default")
        assert capture.messages("console") == ["default"]
    profile = logboot.load_profile(REPO / "configs" / "dev.yaml")
    with capture_logging(profile) as capture:
        logging.getLogger("d").debug("dev")
        assert capture.lines("console")[0].endswith("DEBUG    MainThread d: dev")
