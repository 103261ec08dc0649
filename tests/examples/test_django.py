"""The Django recipe: settings.LOGGING from export_dictconfig, served by runserver on loopback."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

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


def test_view_and_server_records_arrive_through_logboot(tmp_path: Path) -> None:
    """Each request leaves one `shop` record and one `django.server` record in the profile's file."""
    require("django")
    port = free_port()
    (command,) = documented_commands("Django")
    args = on_port(command, port)
    root = tmp_path / "repo"
    env = repository_copy(root)
    base = f"http://127.0.0.1:{port}"
    with recipe(args, env, tmp_path, cwd=root) as server:
        pids = [wait_for_http(f"{base}/orders/0", server)["pid"]]
        pids += [get_json(f"{base}/orders/{n}")["pid"] for n in range(1, 10)]
        assert server.stop(signal.SIGINT) == 0, server.output()
    records = read_jsonl(root / "logs" / "service.jsonl")

    orders = [r for r in records if r["logger"] == "shop"]
    assert [r["order_id"] for r in orders] == list(range(10))
    assert {r["process"] for r in orders} == set(pids)
    served = [str(r["message"]) for r in records if r["logger"] == "django.server"]
    assert all(sum(f'"GET /orders/{n} HTTP/1.1" 200' in m for m in served) == 1 for n in range(10))
    assert "Starting development server" not in "".join(served)  # runserver prints that, not logs
