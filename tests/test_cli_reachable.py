"""``logboot check --reachable``: a remote receiver that is down is a warning, never an error."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from clirunner import runner
from typer.testing import Result

from logboot.cli import app

PROFILE = """\
version: 1
sinks:
  collector: {{type: syslog, protocol: tcp, address: "127.0.0.1:{port}"}}
queues:
  main: {{max_size: 100}}
listeners:
  main: {{queue: main, sinks: [collector]}}
root: {{level: INFO, queue: main}}
"""


def check(*args: str) -> Result:
    return runner().invoke(app, ["check", *args], env={"NO_COLOR": "1"})


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback TCP port that accepts connections."""
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_receiver_that_is_down_is_a_located_warning(
    write_profile: Callable[..., Path], closed_port: int
) -> None:
    """With --reachable, a refused connection is a warning at the sink's address; exit 0."""
    path = write_profile(PROFILE.format(port=closed_port), "p.yaml")
    result = check("--reachable", str(path))
    assert result.exit_code == 0, result.output
    assert (
        f"{path}:3:53: sinks.collector.address: warning: receiver not reachable now: cannot connect to "
        in result.stderr
    )
    assert f"127.0.0.1:{closed_port}: Connection refused (records would wait in the buffer)" in result.stderr
    assert "1 warning" in result.stderr


def test_strict_turns_an_unreachable_receiver_into_a_failure(
    write_profile: Callable[..., Path], closed_port: int
) -> None:
    """--strict --reachable fails (exit 1); the JSON report carries the warning."""
    path = write_profile(PROFILE.format(port=closed_port), "p.yaml")
    result = check("--reachable", "--strict", "--format", "json", str(path))
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["profiles"][0]["problems"]
    assert [(p["path"], p["severity"]) for p in problems] == [("sinks.collector.address", "warning")]


def test_a_listening_receiver_and_the_default_say_nothing(
    write_profile: Callable[..., Path], listening: int, closed_port: int
) -> None:
    """A receiver that answers gives no warning; without --reachable nothing is probed at all."""
    up = write_profile(PROFILE.format(port=listening), "up.yaml")
    down = write_profile(PROFILE.format(port=closed_port), "down.yaml")
    for args in (["--reachable", "--strict", str(up)], ["--strict", str(down)]):
        result = check(*args)
        assert result.exit_code == 0, result.output
        assert "warning" not in result.stderr.replace("0 warnings", "")
