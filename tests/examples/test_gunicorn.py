"""The gunicorn recipe: pre-fork workers whose records all reach the master's sinks."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import pytest

from .support import (
    EXAMPLES,
    example_env,
    free_port,
    get_json,
    python,
    read_jsonl,
    recipe,
    require,
    wait_for_http,
)

pytestmark = pytest.mark.timeout(60)


def test_every_workers_records_arrive_in_the_masters_sinks(tmp_path: Path) -> None:
    """40 requests over 2 workers: each is logged once by the worker that served it, and counted."""
    require("gunicorn")
    port = free_port()
    args = [
        python(), "-m", "gunicorn", "-c", str(EXAMPLES / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "gunicorn_app:app",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with recipe(args, example_env(tmp_path / "logs"), tmp_path) as server:
        served = [wait_for_http(f"{base}/requests/0", server)]
        served += [get_json(f"{base}/requests/{n}") for n in range(1, 40)]
        assert server.stop(signal.SIGTERM) == 0, server.output()
    records = read_jsonl(tmp_path / "logs" / "service.jsonl")

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
