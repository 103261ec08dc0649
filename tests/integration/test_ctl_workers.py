"""Worker processes and the control socket: with ``{pid}`` in ``control.socket`` a spawned
child that attaches serves its own socket, acting on itself; its ``reload`` points at the parent."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from conftest import file_profile

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
    control = f'control: {{socket: "{sockets}/{{pid}}.sock"}}\n'
    profile.write_text(
        file_profile(log, level="INFO", queue="{kind: process}", extra=control), encoding="utf-8"
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
