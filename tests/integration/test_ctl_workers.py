"""Worker processes and the control socket: with ``{pid}`` in ``control.socket`` a spawned
child that attaches serves its own socket, acting on itself; its ``reload`` points at the parent."""

from __future__ import annotations

import multiprocessing
import os
import textwrap
from pathlib import Path

import pytest

import logboot
from logboot.control.client import ServiceError, request

from . import ctl_children

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_an_attached_child_serves_its_own_socket(tmp_path: Path, method: str) -> None:
    """A child started with spawn or forkserver that attaches serves ``<its pid>.sock``:
    ``status`` there is the child's, ``reload`` there names the parent, and its socket is
    gone when it ends; the parent's socket serves the parent throughout."""
    log = tmp_path / "out.log"
    sockets = tmp_path / "ctl"
    profile = tmp_path / "p.yaml"
    profile.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            formatters:
              bare: {{type: text, format: "{{message}}"}}
            sinks:
              out: {{type: file, path: "{log}", formatter: bare}}
            queues:
              main: {{kind: process}}
            listeners:
              main: {{queue: main, sinks: [out]}}
            root: {{level: INFO, queue: main}}
            control: {{socket: "{sockets}/{{pid}}.sock"}}
            """
        ),
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(profile, cache=False)
    context = multiprocessing.get_context(method)
    ready, done = context.Queue(), context.Event()
    child = context.Process(
        target=ctl_children.attach_and_serve, args=(runtime.process_handle(), ready, done)
    )
    child.start()
    try:
        pid = ready.get(timeout=30)
        child_socket = str(sockets / f"{pid}.sock")
        status = request(child_socket, "status")
        assert (status["pid"], status["parent"]) == (pid, os.getpid())
        with pytest.raises(ServiceError, match=f"pid {os.getpid()}"):
            request(child_socket, "reload")
        assert request(str(sockets / f"{os.getpid()}.sock"), "status")["pid"] == os.getpid()
    finally:
        done.set()
        child.join(30)
    assert child.exitcode == 0
    assert not os.path.exists(child_socket)
    assert runtime.flush()
    runtime.stop()
    assert log.read_text(encoding="utf-8").splitlines() == [f"child {pid} attached"]
