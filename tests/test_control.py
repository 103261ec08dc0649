"""The control socket in-process: its protocol, paths, model, socket file rules and commands."""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, file_profile, read_line, wait_until
from pydantic import ValidationError

import logboot
from logboot.control import protocol
from logboot.control.client import ConnectError, ServiceError, request
from logboot.control.protocol import ProtocolError, decode_reply, decode_request, encode_request
from logboot.control.server import CONTROL_NAME, Attachment, ControlError, ControlServer
from logboot.profile.control_specs import ControlSpec
from logboot.runtime.lifecycle import Runtime, active_runtime
from logboot.values import control_paths

pytestmark = pytest.mark.timeout(30)


# --- the protocol ---------------------------------------------------------------------------


def test_a_request_round_trips() -> None:
    """An encoded request decodes to its command and arguments."""
    line = encode_request("set-level", {"logger": "app", "level": "DEBUG", "for": "10m"})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_request(line) == ("set-level", {"logger": "app", "level": "DEBUG", "for": "10m"})
    assert decode_request(b'{"v": 1, "cmd": "status"}') == ("status", {})


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"nonsense", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"cmd": "status"}', "'v' must be the protocol version"),
        (b'{"v": true, "cmd": "status"}', "'v' must be the protocol version"),
        (b'{"v": 2, "cmd": "status"}', "unsupported protocol version 2"),
        (b'{"v": 1, "cmd": "exec"}', "unknown command 'exec'"),
        (b'{"v": 1, "cmd": 7}', "'cmd' must be a string"),
        (b'{"v": 1, "cmd": "status", "profile": {}}', "unknown key 'profile'"),
        (b'{"v": 1, "cmd": "status", "args": {"x": 1}}', "unknown argument 'x'"),
        (b'{"v": 1, "cmd": "status", "args": []}', "'args' must be an object"),
        (b'{"v": 1, "cmd": "set-level", "args": {"logger": "a"}}', "'level' is required"),
        (
            b'{"v": 1, "cmd": "set-level", "args": {"logger": 1, "level": "INFO"}}',
            "'logger' must be a string",
        ),
        (b'{"v": 1, "cmd": "set-level", "args": {"logger": "a", "level": true}}', "'level' must be a level"),
        (b'{"v": 1, "cmd": "set-level", "args": {"logger": "a", "level": 10, "for": []}}', "'for' must be"),
        (b'{"v": 1, "cmd": "flush", "args": {"timeout": NaN}}', "NaN is not a number"),
        (b'{"v": 1, "v": 1, "cmd": "status"}', "appears twice"),
        (b"[" * 50_000, "nested too deeply"),
        (b'{"v": 1, "cmd": "' + b"x" * protocol.MAX_REQUEST + b'"}', "over the limit"),
    ],
)
def test_a_bad_request_is_a_protocol_error(line: bytes, error: str) -> None:
    """Each malformed request is refused with a message that says what is wrong."""
    with pytest.raises(ProtocolError, match=error):
        decode_request(line)


def test_encode_request_refuses_what_the_service_would() -> None:
    """A request the protocol refuses is never sent: unknown command, wrong types."""
    with pytest.raises(ProtocolError, match="unknown command"):
        encode_request("shutdown")
    with pytest.raises(ProtocolError, match="must be a level"):
        encode_request("set-level", {"logger": "a", "level": 1.5})


def test_replies_decode() -> None:
    """Success and error replies decode; anything else is a protocol error."""
    assert decode_reply(protocol.encode_result({"a": 1})) == (True, {"a": 1}, None)
    assert decode_reply(protocol.encode_error("no")) == (False, None, "no")
    with pytest.raises(ProtocolError):
        decode_reply(b'{"ok": true}')


# --- paths and the model ----------------------------------------------------------------------


def test_the_default_socket_follows_xdg_runtime_dir() -> None:
    """default_socket is $XDG_RUNTIME_DIR/logboot/PID.sock, else /tmp/logboot-UID/PID.sock."""
    assert (
        control_paths.default_socket(42, {"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/logboot/42.sock"
    )
    assert control_paths.default_socket(42, {}, uid=7) == "/tmp/logboot-7/42.sock"
    assert control_paths.socket_path("default", 42, {"XDG_RUNTIME_DIR": "/r"}) == "/r/logboot/42.sock"
    assert control_paths.socket_path("/run/app/{pid}.sock", 42) == "/run/app/42.sock"
    assert control_paths.socket_path("/run/app/{x}.sock", 42) == "/run/app/{x}.sock"
    assert control_paths.per_process("default") and not control_paths.per_process("/run/app.sock")


def test_control_spec_accepts_absolute_paths_pid_and_default() -> None:
    """ControlSpec takes an absolute path, a path with {pid}, `default`, or nothing."""
    for value in ("/run/app/ctl.sock", "/run/app/{pid}.sock", "default", None):
        assert ControlSpec.model_validate({"socket": value}).socket == value


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("run/app.sock", "expected an absolute path"),
        ("/run/app/", "not of a folder"),
        ("/" + "a" * 107, "at most 107 bytes; this one has 108"),
        ("/" + "a" * 95 + "/{pid}.sock", "with a 7-digit pid"),
        (5, "valid string"),
    ],
)
def test_control_spec_refuses_a_bad_socket(value: Any, error: str) -> None:
    """A relative path, a folder, a path over the AF_UNIX limit or a non-string is a located error."""
    with pytest.raises(ValidationError) as info:
        ControlSpec.model_validate({"socket": value})
    (problem,) = info.value.errors()
    assert problem["loc"] == ("socket",)
    assert error in problem["msg"]


def test_the_server_imports_no_validation() -> None:
    """The server, the client and the paths load neither pydantic nor yaml (a cached start runs them)."""
    code = (
        "import sys, logboot.control.server, logboot.control.client, logboot.values.control_paths\n"
        "print(sorted(m for m in ('pydantic', 'yaml', 'logboot.profile.schema') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the socket file --------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder for sockets, short enough for AF_UNIX."""
    path = tmp_path / "s"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def serve(folder: Path) -> Iterator[Callable[..., ControlServer]]:
    """Start ControlServers on paths in ``folder``; every one is stopped at the end."""
    servers: list[ControlServer] = []

    def start(name: str = "ctl.sock", **kwargs: Any) -> ControlServer:
        server = ControlServer(str(folder / name), active_runtime, **kwargs)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def test_the_socket_is_0600_and_removed_at_stop(serve: Callable[..., ControlServer], folder: Path) -> None:
    """The socket is a 0600 socket while served, and gone after stop."""
    server = serve()
    info = os.lstat(server.path)
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert request(server.path, "status")["pid"] == os.getpid()
    server.stop()
    assert not os.path.lexists(server.path)
    server.stop()  # twice is fine


def test_a_missing_folder_is_created_0700(tmp_path: Path) -> None:
    """The socket's folder (its last component only) is created 0700."""
    server = ControlServer(str(tmp_path / "new" / "ctl.sock"), active_runtime).start()
    try:
        assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o700
    finally:
        server.stop()
    with pytest.raises(ControlError, match="cannot create it"):
        ControlServer(str(tmp_path / "a" / "b" / "ctl.sock"), active_runtime).start()


def test_a_folder_writable_by_others_is_refused(folder: Path) -> None:
    """A folder others may write (and not sticky) is refused: anyone could replace the socket."""
    folder.chmod(0o777)
    with pytest.raises(ControlError, match="writable by other users"):
        ControlServer(str(folder / "ctl.sock"), active_runtime).start()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_folder_of_another_user_is_refused(folder: Path) -> None:
    """A folder another user owns is refused, even if only its owner may write it: that user
    could replace the socket (the /tmp/logboot-<uid> fallback planted in advance)."""
    planted = folder / "planted"
    planted.mkdir(mode=0o755)
    os.chown(planted, 65534, 65534)
    with pytest.raises(ControlError, match="owned by uid 65534"):
        ControlServer(str(planted / "ctl.sock"), active_runtime).start()
    assert list(planted.iterdir()) == []


def test_setup_logging_goes_on_without_a_socket_it_cannot_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A control socket that cannot be served is reported on stderr and logging starts
    without it: writing records matters more than controlling them."""
    taken = tmp_path / "taken.sock"
    taken.write_text("not a socket")
    log = tmp_path / "out.log"
    profile = tmp_path / "p.yaml"
    profile.write_text(file_profile(log, extra=f"control: {{socket: '{taken}'}}\n"), encoding="utf-8")
    runtime = logboot.setup_logging(profile, cache=False)
    logging.getLogger("app").info("logged anyway")
    runtime.stop()
    err = capsys.readouterr().err
    assert "the control socket is not served; logging runs without it" in err and "not a socket" in err
    assert "control" not in runtime.stats()
    assert log.read_text(encoding="utf-8").splitlines() == ["logged anyway"]
    assert taken.read_text() == "not a socket"


def test_a_symlink_or_regular_file_is_refused_and_left_alone(folder: Path) -> None:
    """A symlink or a regular file at the path is an error, and stays as it was."""
    target = folder / "target"
    target.write_text("keep me")
    link = folder / "link.sock"
    link.symlink_to(target)
    with pytest.raises(ControlError, match="a symlink is there"):
        ControlServer(str(link), active_runtime).start()
    assert os.readlink(link) == str(target) and target.read_text() == "keep me"
    regular = folder / "file.sock"
    regular.write_text("data")
    with pytest.raises(ControlError, match="not a socket"):
        ControlServer(str(regular), active_runtime).start()
    assert regular.read_text() == "data"


def test_a_stale_socket_is_replaced(serve: Callable[..., ControlServer], folder: Path) -> None:
    """A socket nobody listens on (a process that died) is replaced."""
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(folder / "ctl.sock"))
    stale.close()
    server = serve()
    assert request(server.path, "status")["running"] is False


def test_a_live_socket_is_an_error(serve: Callable[..., ControlServer], folder: Path) -> None:
    """A socket another server answers on is not taken over."""
    first = serve()
    with pytest.raises(ControlError, match="another process serves it"):
        ControlServer(first.path, active_runtime).start()
    assert request(first.path, "status")["pid"] == os.getpid()


# --- the commands -----------------------------------------------------------------------------


@pytest.fixture
def running(tmp_path: Path, write_profile: Callable[..., Path]) -> Runtime:
    """A runtime whose profile configures the logger `app` at INFO."""
    profile = write_profile(file_profile(tmp_path / "out.log", extra="loggers:\n  app: {level: INFO}\n"))
    return logboot.setup_logging(profile, cache=False)


def ask(server: ControlServer, cmd: str, **args: Any) -> dict[str, Any]:
    """One request through ``handle`` (no socket): the decoded reply as a dict."""
    reply: dict[str, Any] = json.loads(server.handle(encode_request(cmd, args)))
    return reply


def test_levels_lists_the_configured_loggers(running: Runtime) -> None:
    """levels names the root and every configured logger with configured and effective levels."""
    server = ControlServer("/nonexistent/ctl.sock", active_runtime)
    loggers = ask(server, "levels")["result"]["loggers"]
    assert [(e["name"], e["configured"], e["effective"]) for e in loggers] == [
        ("root", "DEBUG", "DEBUG"),
        ("app", "INFO", "INFO"),
    ]


def test_set_level_checks_its_values(running: Runtime) -> None:
    """A bad level, duration or logger name is an error reply that names it."""
    server = ControlServer("/nonexistent/ctl.sock", active_runtime)
    assert "did you mean 'DEBUG'" in ask(server, "set-level", logger="app", level="DEBUGG")["error"]
    assert (
        "for: expected a duration"
        in ask(server, "set-level", logger="app", level=10, **{"for": "soon"})["error"]
    )
    assert "more than 0" in ask(server, "set-level", logger="app", level=10, **{"for": 0})["error"]
    assert "not a logger name" in ask(server, "set-level", logger="a..b", level=10)["error"]
    assert logging.getLogger("app").level == logging.INFO


def test_a_temporary_level_goes_back_to_the_level_before_the_first(running: Runtime) -> None:
    """Two temporary changes in a row restore the level before the first; a permanent one cancels."""
    server = ControlServer("/nonexistent/ctl.sock", active_runtime)
    app = logging.getLogger("app")
    ask(server, "set-level", logger="app", level="DEBUG", **{"for": "1h"})
    ask(server, "set-level", logger="app", level="WARNING", **{"for": "1h"})
    assert app.level == logging.WARNING
    server.settle(float("inf"))
    assert app.level == logging.INFO
    ask(server, "set-level", logger="app", level="DEBUG", **{"for": "1h"})
    ask(server, "set-level", logger="app", level="ERROR")
    server.settle(float("inf"))
    assert app.level == logging.ERROR  # the permanent change cancelled the restore


def test_a_new_setup_resets_levels_and_cancels_restores(
    running: Runtime, tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """After a new setup_logging the profile's levels stand; a logger it does not configure goes back."""
    server = ControlServer("/nonexistent/ctl.sock", active_runtime)
    ask(server, "set-level", logger="app", level="DEBUG", **{"for": "1h"})
    ask(server, "set-level", logger="other", level="DEBUG")
    profile = write_profile(
        file_profile(tmp_path / "two.log", extra="loggers:\n  app: {level: WARNING}\n"), "two.yaml"
    )
    logboot.setup_logging(profile, cache=False)
    server.settle(float("inf"))
    assert logging.getLogger("app").level == logging.WARNING
    assert logging.getLogger("other").level == logging.NOTSET
    assert [e["name"] for e in ask(server, "levels")["result"]["loggers"]] == ["root", "app"]


def test_stop_puts_back_what_ctl_changed(running: Runtime, serve: Callable[..., ControlServer]) -> None:
    """A server's stop puts back every level changed through it, temporary or not."""
    server = serve()
    request(server.path, "set-level", {"logger": "app", "level": "DEBUG"})
    request(server.path, "set-level", {"logger": "app.db", "level": "DEBUG", "for": "1h"})
    server.stop()
    assert (logging.getLogger("app").level, logging.getLogger("app.db").level) == (
        logging.INFO,
        logging.NOTSET,
    )


def test_an_expired_level_is_restored_by_the_server_thread(
    running: Runtime, serve: Callable[..., ControlServer]
) -> None:
    """The server's own loop restores a temporary level when its time runs out."""
    server = serve()
    request(server.path, "set-level", {"logger": "app", "level": "DEBUG", "for": "100ms"})
    wait_until(lambda: logging.getLogger("app").level == logging.INFO)
    assert [e["changed"] for e in request(server.path, "levels")["loggers"]] == [False, False]


def test_status_flush_and_reload_without_a_runtime() -> None:
    """Without a runtime: status says so, flush and reload are error replies."""
    server = ControlServer("/nonexistent/ctl.sock", lambda: None)
    assert ask(server, "status")["result"]["running"] is False
    assert "not running" in ask(server, "flush")["error"]
    assert "without a way to reload" in ask(server, "reload")["error"]


def test_reload_reports_the_failure_text(running: Runtime) -> None:
    """A reload that fails is an error reply carrying the reload's own text."""
    server = ControlServer("/nonexistent/ctl.sock", active_runtime, lambda: "profile.yaml:3:1: bad")
    assert ask(server, "reload")["error"] == "reload failed; the running profile stays: profile.yaml:3:1: bad"
    server = ControlServer("/nonexistent/ctl.sock", active_runtime, lambda: None)
    assert ask(server, "reload")["result"]["reloaded"] is True


def test_a_bug_in_a_command_is_an_error_reply() -> None:
    """An exception inside a command becomes an error reply, never an exception."""

    def broken() -> Runtime | None:
        raise RuntimeError("boom")

    server = ControlServer("/nonexistent/ctl.sock", broken)
    assert ask(server, "status")["error"] == "internal error: RuntimeError: boom"


def test_the_client_reports_what_it_cannot_reach(folder: Path) -> None:
    """No socket, a stale one: ConnectError naming the path; a service error: ServiceError."""
    with pytest.raises(ConnectError, match="no control socket at"):
        request(str(folder / "none.sock"), "status")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(folder / "stale.sock"))
    stale.close()
    with pytest.raises(ConnectError, match="nobody serves"):
        request(str(folder / "stale.sock"), "status")


def test_the_client_raises_the_service_error(serve: Callable[..., ControlServer]) -> None:
    """An error reply becomes ServiceError with the service's text."""
    server = serve()
    with pytest.raises(ServiceError, match="not running"):
        request(server.path, "flush")


def test_a_silent_client_is_answered_and_closed(serve: Callable[..., ControlServer]) -> None:
    """A client that says nothing gets an error reply after read_timeout; others are served meanwhile."""
    server = serve(read_timeout=0.3)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.connect(server.path)
        assert request(server.path, "status")["pid"] == os.getpid()
        silent.settimeout(5)
        reply = read_line(silent)
    assert decode_reply(reply).error == "no complete request within 0.3s; closing"


def test_an_oversized_request_is_answered_then_closed(serve: Callable[..., ControlServer]) -> None:
    """A line over 64 KiB gets an error reply, then the connection ends; the server keeps serving."""
    server = serve()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(server.path)
        client.settimeout(5)
        client.sendall(b"x" * (protocol.MAX_REQUEST + 10))
        assert "over the limit of 65536 bytes" in str(decode_reply(read_line(client)).error)
        assert client.recv(10) == b""
    assert request(server.path, "status")["pid"] == os.getpid()


def test_too_many_connections_are_turned_away(serve: Callable[..., ControlServer]) -> None:
    """Past max_connections a client gets a `busy` error reply."""
    server = serve(max_connections=1)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as first:
        first.connect(server.path)
        first.sendall(encode_request("status"))
        first.settimeout(5)
        assert decode_reply(read_line(first)).ok
        with pytest.raises(ServiceError, match="busy"):
            request(server.path, "status")


def test_a_forked_child_does_not_remove_the_parents_socket(tmp_path: Path) -> None:
    """Without {pid}, a forked child serves nothing and leaves the parent's socket in place."""
    script = tmp_path / "fork.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import os, sys
            from logboot.control.server import ControlServer
            from logboot.control.client import request
            server = ControlServer({str(tmp_path / "p.sock")!r}, lambda: None).start()
            child = os.fork()
            if child == 0:
                print("child serving", server.serving, flush=True)
                sys.exit(0)  # runs atexit: must not unlink the parent's socket
            os.waitpid(child, 0)
            print("parent pid", request(server.path, "status")["pid"] == os.getpid(), flush=True)
            server.stop()
            print("removed", not os.path.exists(server.path))
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=REPO, timeout=20, check=False
    )
    assert result.stdout.splitlines() == ["child serving False", "parent pid True", "removed True"], (
        result.stderr
    )


def test_an_attachment_stops_the_server_with_its_runtime_only(
    running: Runtime, serve: Callable[..., ControlServer], tmp_path: Path, write_profile: Callable[..., Path]
) -> None:
    """Attached to a runtime, the server stops when that runtime stops, not when a new one replaces it."""
    server = serve()
    running.add_control(CONTROL_NAME, Attachment(server, running, active_runtime))
    assert running.stats()[CONTROL_NAME]["socket"] == server.path
    second = logboot.setup_logging(write_profile(file_profile(tmp_path / "b.log"), "b.yaml"), cache=False)
    assert server.serving
    second.add_control(CONTROL_NAME, Attachment(server, second, active_runtime))
    second.stop()
    assert not server.serving and not os.path.exists(server.path)


# --- wired into the profile: setup_logging serves `control.socket` ------------------------------


def test_setup_logging_serves_the_profile_socket_across_reloads(tmp_path: Path) -> None:
    """A profile with ``control.socket`` serves it; ``ctl reload`` and a second
    ``setup_logging`` keep it, and stopping the runtime removes it."""
    sock = tmp_path / "s" / "{pid}.sock"
    profile = tmp_path / "p.yaml"
    profile.write_text(file_profile(tmp_path / "o.log", extra=f"control: {{socket: '{sock}'}}\n"))
    logboot.setup_logging(profile, cache=False)
    path = str(sock).replace("{pid}", str(os.getpid()))
    assert request(path, "status")["stats"]["control"]["socket"] == path
    assert request(path, "reload")["reloaded"] is True
    logboot.setup_logging(profile, cache=False)
    assert request(path, "status")["running"] is True
    runtime = active_runtime()
    assert runtime is not None
    runtime.stop()
    assert not os.path.exists(path)


def test_ctl_reload_goes_through_the_reloader_of_a_profile_with_reload(tmp_path: Path) -> None:
    """With ``reload`` in the profile, ``ctl reload`` is counted by the reloader like a signal."""
    sock = tmp_path / "c.sock"
    profile = tmp_path / "p.yaml"
    extra = f"control: {{socket: '{sock}'}}\nreload: {{signal: SIGUSR2}}\n"
    profile.write_text(file_profile(tmp_path / "o.log", extra=extra))
    runtime = logboot.setup_logging(profile, cache=False)
    try:
        assert request(str(sock), "reload")["reloaded"] is True
        assert runtime.stats()["reload"]["reloads"] == 1
        profile.write_text(file_profile(tmp_path / "o.log", extra=extra + "queues: lots\n"))
        with pytest.raises(ServiceError):
            request(str(sock), "reload")
        assert runtime.stats()["reload"]["failed"] == 1
    finally:
        runtime.stop()


def test_check_locates_a_bad_control_socket(tmp_path: Path) -> None:
    """``check`` reports a relative ``control.socket`` at its line."""
    profile = tmp_path / "p.yaml"
    profile.write_text(file_profile(tmp_path / "o.log", extra="control:\n  socket: run/x.sock\n"))
    problems = logboot.check_profile(profile).problems
    assert [(p.line, p.path) for p in problems] == [(12, "control.socket")], problems
