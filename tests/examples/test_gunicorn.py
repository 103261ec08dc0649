"""The gunicorn recipe: pre-fork workers whose records all reach the master's sinks."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest
from conftest import wait_until

from .support import (
    documented_commands,
    free_port,
    get_json,
    on_port,
    read_jsonl,
    recipe,
    repository_copy,
    require,
    wait_for_http,
)

pytestmark = pytest.mark.timeout(60)


def caught_signals(pid: int) -> int:
    """The mask of signals ``pid`` has a handler for (``SigCgt`` in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return 0


def wait_for_workers_ready(master: int, count: int) -> None:
    """Wait until ``master`` has ``count`` workers that have installed their own signal handlers.

    Until then a new worker still runs the master's handlers, which only queue a SIGTERM in the
    worker's copy of the master's queue: a stop sent then is lost and the worker is killed after
    ``graceful_timeout``, without its "Worker exiting" record (gunicorn's race, not logboot's).
    A worker catches SIGABRT, which the master does not, once its own handlers are in place.
    """
    abort = 1 << (signal.SIGABRT - 1)
    assert not caught_signals(master) & abort

    def ready() -> bool:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return len(children) == count and all(caught_signals(int(pid)) & abort for pid in children)

    wait_until(ready)


def test_every_workers_records_arrive_in_the_masters_sinks(tmp_path: Path) -> None:
    """40 requests over 2 workers: each is logged once by the worker that served it, and counted."""
    require("gunicorn")
    port = free_port()
    (command,) = documented_commands("gunicorn")
    args = on_port(command, port)
    root = tmp_path / "repo"
    env = repository_copy(root)
    base = f"http://127.0.0.1:{port}"
    with recipe(args, env, tmp_path, cwd=root) as server:
        served = [wait_for_http(f"{base}/requests/0", server)]
        served += [get_json(f"{base}/requests/{n}") for n in range(1, 40)]
        wait_for_workers_ready(server.process.pid, 2)
        assert server.stop(signal.SIGTERM) == 0, server.output()
    records = read_jsonl(root / "logs" / "service.jsonl")

    requests = [r for r in records if r["logger"] == "shop"]
    assert sorted(r["request"] for r in requests) == list(range(40))
    assert {r["request"]: r["process"] for r in requests} == {s["request"]: s["pid"] for s in served}
    assert Counter(r["process"] for r in requests) == Counter(s["pid"] for s in served)

    access = [str(r["message"]) for r in records if r["logger"] == "gunicorn.access"]
    assert len(access) == 40
    assert all(sum(f'"GET /requests/{n} HTTP/1.1" 200' in m for m in access) == 1 for n in range(40))

    errors = [r for r in records if r["logger"] == "gunicorn.error"]
    booted = {r["process"] for r in errors if str(r["message"]).startswith("Booting worker with pid")}
    exited = {r["process"] for r in errors if str(r["message"]).startswith("Worker exiting")}
    attached = [r["process"] for r in records if r["logger"] == "logboot" and "attached" in str(r["message"])]
    assert len(booted) == 2 and exited == booted and sorted(attached) == sorted(booted)
    assert {s["pid"] for s in served} <= booted
    master = {r["process"] for r in errors if str(r["message"]).startswith("Listening at")}
    assert len(master) == 1 and master.isdisjoint(booted)
