"""The Celery recipe: a real `celery worker` with a prefork pool and a filesystem broker."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .support import documented_commands, poll_jsonl, read_jsonl, recipe, repository_copy, require

pytestmark = pytest.mark.timeout(60)
TASKS = 20  # what the documented `send 20` sends


def test_tasks_in_prefork_children_log_into_the_workers_sinks(tmp_path: Path) -> None:
    """The documented commands, verbatim, from the documented folder (the repository root):
    every task's record, logged in a pool child, reaches the worker's file exactly once."""
    require("celery")
    root = tmp_path / "repo"
    env = repository_copy(root)
    worker_command, send_command = documented_commands("Celery")
    assert worker_command[0] == "celery" and send_command[:2] == ["python", "examples/celery_app.py"]
    log_file = root / "logs" / "service.jsonl"

    def all_done(records: list[dict[str, Any]]) -> bool:
        return sum("succeeded in" in str(r["message"]) for r in records) >= TASKS

    with recipe(worker_command, env, tmp_path, cwd=root) as worker:  # the worker first, as documented
        sent = subprocess.run(
            send_command, env=env, cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
        assert sent.returncode == 0, sent.stderr
        poll_jsonl(log_file, all_done, worker, timeout=40)
        assert worker.stop(signal.SIGTERM) == 0, worker.output()
    records = read_jsonl(log_file)

    charged = [r for r in records if r["logger"] == "shop.tasks"]
    assert sorted(r["order_id"] for r in charged) == list(range(TASKS))
    succeeded = [
        r for r in records if r["logger"] == "celery.app.trace" and "succeeded in" in str(r["message"])
    ]
    assert len(succeeded) == TASKS
    main = {r["process"] for r in records if "celery@" in str(r["message"]) or "ready." in str(r["message"])}
    children = Counter(r["process"] for r in charged)
    assert main and main.isdisjoint(children)  # the tasks ran (and logged) in the pool's children
