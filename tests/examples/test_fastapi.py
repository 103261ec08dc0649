"""The FastAPI/uvicorn recipe, served for real on loopback, one process and two workers."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from .support import (
    documented_commands,
    free_port,
    get_json,
    on_port,
    poll_jsonl,
    read_jsonl,
    recipe,
    repository_copy,
    require,
    wait_for_http,
)

pytestmark = pytest.mark.timeout(60)


def serve_orders(tmp_path: Path, workers: int, count: int) -> tuple[list[dict[str, object]], list[int]]:
    """Run the recipe, ask for ``count`` orders, stop it; the records and the serving pids."""
    require("fastapi")
    require("uvicorn")
    port = free_port()
    one, two = documented_commands("FastAPI and uvicorn")
    args = on_port(one if workers == 1 else two, port)
    assert "--workers" not in args if workers == 1 else args[-2:] == ["--workers", str(workers)]
    root = tmp_path / "repo"
    env = repository_copy(root)
    base = f"http://127.0.0.1:{port}"
    with recipe(args, env, tmp_path, cwd=root) as server:
        pids = [wait_for_http(f"{base}/orders/0", server)["pid"]]
        pids += [get_json(f"{base}/orders/{n}")["pid"] for n in range(1, count)]
        # Every worker has started (a slow one may not have, when the first answers at once)
        # before the stop, so each one's own start-up record is there to check.
        log = root / "logs" / "service.jsonl"
        poll_jsonl(log, lambda records: len(started_by(records)) == workers, server)
        assert server.stop(signal.SIGINT) == 0, server.output()
    return read_jsonl(log), pids


def started_by(records: list[dict[str, object]]) -> Counter[object]:
    """How many "Started server process" records each process left."""
    return Counter(r["process"] for r in records if str(r["message"]).startswith("Started server process"))


def check_requests(records: list[dict[str, object]], pids: list[int]) -> None:
    """Each request left one app record (from the pid that served it) and one access record."""
    orders = [r for r in records if r["logger"] == "shop"]
    assert sorted(r["order_id"] for r in orders) == list(range(len(pids)))  # type: ignore[type-var]
    assert {r["order_id"]: r["process"] for r in orders} == dict(enumerate(pids))
    access = [str(r["message"]) for r in records if r["logger"] == "uvicorn.access"]
    for n in range(len(pids)):
        assert sum(f'"GET /orders/{n} HTTP/1.1" 200' in m for m in access) == 1


def test_one_process_logs_requests_and_access_through_logboot(tmp_path: Path) -> None:
    """uvicorn with the exported dictConfig: app and access records all land in the profile's file."""
    records, pids = serve_orders(tmp_path, workers=1, count=20)
    check_requests(records, pids)
    messages = [str(r["message"]) for r in records]
    assert any(m.startswith("Started server process") for m in messages)
    assert "Application startup complete." in messages
    assert any(m.startswith("Shutting down") or m.startswith("Finished server process") for m in messages)


def test_two_workers_log_into_the_supervisors_sinks(tmp_path: Path) -> None:
    """With --workers 2 both spawned workers attach to the supervisor; every request is there."""
    records, pids = serve_orders(tmp_path, workers=2, count=30)
    check_requests(records, pids)
    started = started_by(records)
    assert len(started) == 2 and set(started.values()) == {1}  # each worker's own record arrived
    assert set(pids) <= set(started)
