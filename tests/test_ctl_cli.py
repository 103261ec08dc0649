"""``logboot ctl`` in process: each sub-command against a service started by ``setup_logging``
with ``control.socket``, its output as text and JSON, and its exit codes."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import runner
from conftest import file_profile, wait_until

import logboot
from logboot.cli import app
from logboot.runtime.lifecycle import Runtime

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Runtime, str, Path]]:
    """A runtime serving its control socket; records go to ``out.log``, bare."""
    log = tmp_path / "out.log"
    sock = tmp_path / "ctl.sock"
    extra = f"loggers:\n  app.db: {{level: INFO}}\ncontrol: {{socket: '{sock}'}}\n"
    profile = tmp_path / "p.yaml"
    profile.write_text(file_profile(log, extra=extra), encoding="utf-8")
    runtime = logboot.setup_logging(profile, cache=False)
    try:
        yield runtime, str(sock), log
    finally:
        runtime.stop()


def ctl(*args: str) -> tuple[int, str, str]:
    result = runner().invoke(app, ["ctl", *args])
    return result.exit_code, result.stdout, result.stderr


def test_status_shows_the_profile_and_counters(service: tuple[Runtime, str, Path]) -> None:
    """``status`` names the profile and lists queue and sink counters; ``--format json`` is the data."""
    _, sock, _ = service
    code, out, _ = ctl("--socket", sock, "status")
    assert code == 0 and "p.yaml" in out and "main" in out and "out" in out
    code, out, _ = ctl("--socket", sock, "status", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["pid"] == os.getpid() and set(data["stats"]["queues"]) == {"main"}


def test_levels_list_the_configured_loggers(service: tuple[Runtime, str, Path]) -> None:
    """``levels`` lists root and every configured logger with its effective level."""
    _, sock, _ = service
    code, out, _ = ctl("--socket", sock, "levels", "--format", "json")
    loggers = {entry["name"]: entry["effective"] for entry in json.loads(out)["loggers"]}
    assert code == 0 and loggers["root"] == "DEBUG" and loggers["app.db"] == "INFO"
    code, out, _ = ctl("--socket", sock, "levels")
    assert code == 0 and "app.db" in out and "INFO" in out


def test_set_level_applies_and_expires_by_itself(service: tuple[Runtime, str, Path]) -> None:
    """``set-level`` changes what is written now; with ``--for`` the level comes back by itself."""
    runtime, sock, log = service
    db = logging.getLogger("app.db")
    code, out, _ = ctl("--socket", sock, "set-level", "app.db", "WARNING")
    assert code == 0 and "app.db: INFO -> WARNING" in out
    db.info("hidden")
    db.warning("shown")
    code, out, _ = ctl("--socket", sock, "set-level", "app.db", "DEBUG", "--for", "300ms")
    assert code == 0 and "back to WARNING in" in out
    db.debug("debug while raised")
    wait_until(lambda: db.level == logging.WARNING)
    db.debug("hidden again")
    # The server logs the expiry right after it puts the level back: wait for that record too.
    wait_until(lambda: runtime.flush() and "expired" in log.read_text(encoding="utf-8"))
    pid = os.getpid()
    assert log.read_text(encoding="utf-8").splitlines() == [
        f"app.db set to WARNING through the control socket (was INFO; asked by pid {pid})",
        "shown",
        f"app.db set to DEBUG for 0.3s through the control socket (was WARNING; asked by pid {pid})",
        "debug while raised",
        "app.db back to WARNING: its temporary level expired",
    ]


def test_set_level_json_reports_the_change(service: tuple[Runtime, str, Path]) -> None:
    """``set-level --format json`` gives the previous and the new level; a number is a level."""
    _, sock, _ = service
    code, out, _ = ctl("--socket", sock, "set-level", "root", "30", "--format", "json")
    result = json.loads(out)
    assert code == 0 and (result["previous"], result["level"]) == ("DEBUG", "WARNING")


def test_reload_and_flush_succeed(service: tuple[Runtime, str, Path]) -> None:
    """``reload`` swaps the profile in again and ``flush`` reports the drain, text and JSON."""
    _, sock, log = service
    code, out, _ = ctl("--socket", sock, "reload")
    assert code == 0 and out.startswith("reloaded ")
    code, out, _ = ctl("--socket", sock, "reload", "--format", "json")
    assert code == 0 and json.loads(out)["reloaded"] is True
    logging.getLogger("app").info("after reload")
    code, out, _ = ctl("--socket", sock, "flush", "--wait", "5s")
    assert code == 0 and out.startswith("drained in ")
    code, out, _ = ctl("--socket", sock, "flush", "--format", "json")
    assert code == 0 and json.loads(out)["drained"] is True
    reloaded = f"profile reloaded through the control socket (asked by pid {os.getpid()})"
    assert log.read_text(encoding="utf-8").splitlines() == [reloaded, reloaded, "after reload"]


def test_a_refused_request_exits_1_in_one_line(service: tuple[Runtime, str, Path]) -> None:
    """An error the service answers (an unknown level) exits 1 with one line on stderr."""
    _, sock, _ = service
    code, _, err = ctl("--socket", sock, "set-level", "app", "LOUD")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "LOUD" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["status"], "which service?"),
        (["--socket", "/nonexistent/ctl.sock", "status"], "/nonexistent/ctl.sock"),
        (["--socket", "x.sock", "--pid", "1", "status"], "not both"),
        (["--pid", "0", "status"], "--pid"),
        (["--socket", "x.sock", "--timeout", "soon", "status"], "--timeout"),
        (["--socket", "x.sock", "--timeout", "0", "status"], "--timeout"),
        (["--socket", "x.sock", "flush", "--wait", "2h"], "--wait"),
    ],
)
def test_usage_errors_exit_2_in_one_line(args: list[str], says: str) -> None:
    """A missing or contradictory target, a bad duration, or no service there exits 2, one line."""
    code, _, err = ctl(*args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and says in err, err
