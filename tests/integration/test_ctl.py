"""``logboot ctl`` from another process against a service in a subprocess, through its control socket."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import read_line, wait_until

from logboot.control.protocol import decode_reply, encode_request
from logboot.values.control_paths import default_socket

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
LOGBOOT = str(Path(sys.executable).parent / "logboot")
NOBODY = 65534

# The service: setup_logging on the profile, a ControlServer on the socket (the profile's
# `control:` is not wired yet), then DEBUG and INFO records numbered by one counter until
# SIGTERM. With `fork`, a forked child does the same (it prints its pid and socket).
SERVICE = """\
import logging, os, signal, sys, threading
import logboot
from logboot.control.server import ControlServer
from logboot.runtime.lifecycle import active_runtime

profile, template, mode = sys.argv[1:4]
logboot.setup_logging(profile, cache=False)

def reload():
    try:
        logboot.setup_logging(profile, cache=False)
    except logboot.LogbootError as err:
        return str(err)
    return None

server = ControlServer(template, active_runtime, reload, read_timeout=0.5).start()
if mode == "fork":
    child = os.fork()
    if child == 0:
        print("child", os.getpid(), server.path, flush=True)
else:
    print("ready", os.getpid(), server.path, flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
log = logging.getLogger("app.work")
seq = 0
while not stop.wait(0.002):
    log.debug("tick %d", seq)
    log.info("tick %d", seq)
    seq += 1
server.stop()
active_runtime().stop()
"""

PROFILE = """\
version: 1
formatters:
  bare: {{type: text, format: "{{levelname}} {{name}} {{message}}"}}
sinks:
  out: {{type: file, path: "{path}", formatter: bare}}
queues:
  main: {{max_size: 100000}}
listeners:
  main: {{queue: main, sinks: [out]}}
root: {{level: INFO, queue: main}}
loggers:
  app: {{level: INFO}}
"""

TICK = re.compile(r"^(DEBUG|INFO) app\.work tick (\d+)$")


class Service:
    """The service process; its records go to ``log``, its stderr to a file."""

    def __init__(
        self, folder: Path, template: str, mode: str = "serve", env: dict[str, str] | None = None
    ) -> None:
        self.log = folder / "out.log"
        self.profile = folder / "profile.yaml"
        self.profile.write_text(PROFILE.format(path=self.log), encoding="utf-8")
        (folder / "service.py").write_text(SERVICE, encoding="utf-8")
        self.stderr_path = folder / "stderr.txt"
        self._stderr: IO[str] = self.stderr_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(folder / "service.py"), str(self.profile), template, mode],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=REPO,
            env={**os.environ, **(env or {})},
        )
        assert self.process.stdout is not None
        words = self.process.stdout.readline().split()
        assert words, f"the service did not start: {self.stderr_path.read_text()}"
        self.pid, self.socket = int(words[1]), words[2]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the service's loop ends, it stops its server and runtime
            self.process.wait(20)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def records(self) -> list[tuple[str, int]]:
        """The tick records written so far, as (level, seq)."""
        text = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
        return [(m[1], int(m[2])) for line in text.splitlines() if (m := TICK.match(line))]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A short folder that user nobody may traverse (0711), for the socket and the files."""
    path = Path(tempfile.mkdtemp(prefix="lbctl-", dir="/tmp"))
    path.chmod(0o711)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture
def service(folder: Path) -> Iterator[Service]:
    """A running service serving the socket ``folder/run/{pid}.sock``."""
    running = Service(folder, str(folder / "run" / "{pid}.sock"))
    yield running
    running.stop()


def ctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``logboot ctl ARGS`` as another process."""
    return subprocess.run(
        [LOGBOOT, "ctl", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def ctl_json(service: Service, *args: str) -> Any:
    result = ctl("--socket", service.socket, *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def levels_of(service: Service) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in ctl_json(service, "levels")["loggers"]}


def debug_seqs(records: list[tuple[str, int]]) -> list[int]:
    return [seq for level, seq in records if level == "DEBUG"]


def test_status_as_text_and_json(service: Service) -> None:
    """status names the pid, profile and socket, with a table of queue and sink counters; json has stats()."""
    result = ctl("--socket", service.socket, "status")
    assert result.returncode == 0, result.stderr
    assert f"pid {service.pid}, up " in result.stdout
    assert str(service.profile) in result.stdout
    assert re.search(r"^main\s+thread\s+[\d,]+\s+[\d,]+\s+0\s+", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^out\s+file\s+[\d,]+\s+0$", result.stdout, re.MULTILINE), result.stdout
    status = ctl_json(service, "status")
    assert (status["pid"], status["profile"], status["running"]) == (service.pid, str(service.profile), True)
    assert status["stats"]["queues"]["main"]["enqueued"] > 0
    assert status["stats"]["sinks"]["out"]["errors"] == 0


def test_levels_lists_configured_loggers(service: Service) -> None:
    """levels shows root and the configured logger with configured and effective levels."""
    assert {name: (e["configured"], e["effective"]) for name, e in levels_of(service).items()} == {
        "root": ("INFO", "INFO"),
        "app": ("INFO", "INFO"),
    }
    text = ctl("-s", service.socket, "levels").stdout
    assert re.search(r"^app\s+INFO\s+INFO\s+INFO", text, re.MULTILINE), text


def test_set_level_takes_effect_on_the_records(service: Service) -> None:
    """DEBUG records appear from the moment set-level DEBUG answers, and stop after set-level INFO."""
    wait_until(lambda: len(service.records()) > 20, timeout=10.0)
    assert debug_seqs(service.records()) == []
    result = ctl("-s", service.socket, "set-level", "app", "DEBUG")
    assert (result.returncode, result.stdout.strip()) == (0, "app: INFO -> DEBUG (effective DEBUG)")
    wait_until(lambda: len(debug_seqs(service.records())) > 20, timeout=10.0)
    assert ctl("-s", service.socket, "set-level", "app", "info").returncode == 0
    assert ctl("-s", service.socket, "flush").returncode == 0
    records = service.records()
    debug = debug_seqs(records)
    assert debug == list(range(debug[0], debug[-1] + 1))  # one unbroken stretch: on, then off
    assert max(seq for _, seq in records) > debug[-1] + 1  # INFO records go on without DEBUG ones
    info = {seq for level, seq in records if level == "INFO"}
    assert set(range(debug[0] + 1, debug[-1])) <= info  # every tick meanwhile has both records


def test_a_level_for_a_while_goes_back_by_itself(service: Service) -> None:
    """set-level --for 0.3s: DEBUG records for a while, then the level is back and records show it."""
    result = ctl("-s", service.socket, "set-level", "app.work", "DEBUG", "--for", "0.3s")
    assert result.returncode == 0, result.stderr
    assert "back to NOTSET in 0.3s" in result.stdout
    wait_until(lambda: not levels_of(service).get("app.work", {}).get("changed", False), timeout=10.0)
    assert levels_of(service)["app"]["effective"] == "INFO"
    assert ctl("-s", service.socket, "flush").returncode == 0
    records = service.records()
    debug = debug_seqs(records)
    assert debug and debug == list(range(debug[0], debug[-1] + 1))
    last = max(seq for _, seq in records)
    assert last > debug[-1]  # later records: INFO only
    assert "app.work back to NOTSET: its temporary level expired" in service.log.read_text()


def test_reload_resets_levels_and_flush_drains(service: Service) -> None:
    """reload applies the profile again (a ctl change goes back), flush reports a drain; a broken
    profile is exit 1 and the service keeps serving."""
    assert ctl("-s", service.socket, "set-level", "app", "ERROR").returncode == 0
    result = ctl("-s", service.socket, "reload")
    assert (result.returncode, result.stdout.strip()) == (0, f"reloaded {service.profile}"), result.stderr
    assert levels_of(service)["app"]["level"] == "INFO"
    flushed = ctl("-s", service.socket, "flush", "--wait", "5s")
    assert flushed.returncode == 0 and flushed.stdout.startswith("drained in "), flushed.stderr
    service.profile.write_text("version: 1\nroot: {level: LOUD}\n", encoding="utf-8")
    failed = ctl("-s", service.socket, "reload")
    assert failed.returncode == 1
    assert failed.stderr.startswith("logboot: error: reload failed; the running profile stays:")
    assert "root.level" in failed.stderr
    assert ctl_json(service, "status")["running"] is True


def test_errors_are_one_line_with_exit_codes(service: Service, folder: Path) -> None:
    """A service error exits 1; no socket, no target, a bad option exit 2; each one line on stderr."""
    cases = [
        (("-s", service.socket, "set-level", "app", "LOUD"), 1, "set-level: level: expected one of"),
        (("-s", str(folder / "none.sock"), "status"), 2, "no control socket at"),
        (("status",), 2, "which service?"),
        (("-s", service.socket, "--pid", "1", "status"), 2, "not both"),
        (("-s", service.socket, "flush", "--wait", "2m"), 2, "at most 60s"),
        (("-s", service.socket, "--timeout", "soon", "status"), 2, "--timeout"),
    ]
    for args, code, text in cases:
        result = ctl(*args)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and text in result.stderr, (args, result.stderr)
    debug = ctl("--debug", "-s", str(folder / "none.sock"), "status")
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_bad_requests_get_error_replies_and_the_service_goes_on(service: Service) -> None:
    """Malformed, unknown, mistyped and oversized requests and a silent client each get an error
    reply; the connection (or, after an oversized one, the service) goes on serving."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(service.socket)
        client.settimeout(10)
        for line, error in [
            (b"this is not json\n", "not valid JSON"),
            (b'{"v": 1, "cmd": "exec", "args": {"code": "import os"}}\n', "unknown command 'exec'"),
            (
                b'{"v": 1, "cmd": "set-level", "args": {"logger": ["app"], "level": "DEBUG"}}\n',
                "must be a string",
            ),
            (
                b'{"v": 1, "cmd": "set-level", "args": {"logger": "app", "level": {"a": 1}}}\n',
                "must be a level",
            ),
            (b'{"v": 9, "cmd": "status"}\n', "unsupported protocol version 9"),
        ]:
            client.sendall(line)
            assert error in str(decode_reply(read_line(client)).error)
        client.sendall(encode_request("status"))
        assert decode_reply(read_line(client)).result["pid"] == service.pid
        started = time.monotonic()
        assert "no complete request within 0.5s" in str(decode_reply(read_line(client)).error)
        assert time.monotonic() - started < 5
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(service.socket)
        client.settimeout(10)
        client.sendall(b"{" * 70_000)
        assert "over the limit of 65536 bytes" in str(decode_reply(read_line(client)).error)
        assert client.recv(10) == b""
    assert ctl_json(service, "status")["pid"] == service.pid


# The client that is not the service's user: drops to nobody first (imports done while root).
INTRUDER = """\
import os, socket, sys
os.setgroups([])
os.setgid({uid})
os.setuid({uid})
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.settimeout(10)
client.connect(sys.argv[1])
try:
    client.sendall(b'{{"v": 1, "cmd": "set-level", "args": {{"logger": "", "level": "DEBUG"}}}}\\n')
    reply = client.recv(65536)
except (BrokenPipeError, ConnectionResetError):  # closed before or after the send
    reply = b""
print(os.getuid(), repr(reply))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: the refused client runs as uid 65534 (nobody)")
def test_another_user_is_refused_and_warned_about(service: Service) -> None:
    """A client of another uid gets nothing but a closed connection; one WARNING names its uid and pid."""
    os.chmod(service.socket, 0o666)  # noqa: S103 - the test only: the refusal must come from the peer check
    os.chmod(os.path.dirname(service.socket), 0o711)  # noqa: S103 - and nobody may reach the socket
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", INTRUDER.format(uid=NOBODY), service.socket],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert result.stdout.strip() == f"{NOBODY} b''", result.stderr
    assert levels_of(service)["root"]["level"] == "INFO"
    assert ctl("-s", service.socket, "flush").returncode == 0
    text = service.log.read_text()
    warnings = [line for line in text.splitlines() if line.startswith("WARNING logboot.control refused")]
    assert len(warnings) == 1, warnings  # the repeats are counted, not written
    assert re.search(
        rf"from uid {NOBODY} \(pid \d+\) on {re.escape(service.socket)}: only uid 0", warnings[0]
    )
    assert ctl_json(service, "status")["stats"] is not None


def test_pid_finds_the_default_socket(folder: Path) -> None:
    """A service on `default` serves $XDG_RUNTIME_DIR/logboot/PID.sock, which ctl --pid finds."""
    env = {"XDG_RUNTIME_DIR": str(folder / "xdg")}
    (folder / "xdg").mkdir(mode=0o700)
    running = Service(folder, "default", env=env)
    try:
        assert running.socket == default_socket(running.pid, env)
        result = ctl("--pid", str(running.pid), "status", "--format", "json", env=env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["pid"] == running.pid
    finally:
        running.stop()
    assert not os.path.exists(running.socket)


def test_a_forked_child_serves_its_own_socket(folder: Path) -> None:
    """With {pid}, a forked child serves its own socket; its reload points at the parent; the
    parent's socket is untouched."""
    template = str(folder / "run" / "{pid}.sock")
    running = Service(folder, template, mode="fork")  # reads the child's line
    try:
        child_pid, child_socket = running.pid, running.socket
        parent_socket = template.replace("{pid}", str(running.process.pid))
        child = json.loads(ctl("-s", child_socket, "status", "--format", "json").stdout)
        assert (child["pid"], child["parent"]) == (child_pid, running.process.pid)
        refused = ctl("-s", child_socket, "reload")
        assert refused.returncode == 1 and f"reload its parent (pid {running.process.pid})" in refused.stderr
        parent = json.loads(ctl("-s", parent_socket, "status", "--format", "json").stdout)
        assert parent["pid"] == running.process.pid
    finally:
        os.kill(child_pid, signal.SIGTERM)  # it ends its loop, stops its server: its socket goes
        running.stop()
    wait_until(lambda: not os.path.exists(child_socket), timeout=10.0)
    assert not os.path.exists(parent_socket)
