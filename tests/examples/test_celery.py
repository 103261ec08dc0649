"""The Celery recipe: a real `celery worker` with a prefork pool and a filesystem broker."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .support import EXAMPLES, example_env, poll_jsonl, python, read_jsonl, recipe, require

pytestmark = pytest.mark.timeout(60)
TASKS = 20


def test_tasks_in_prefork_children_log_into_the_workers_sinks(tmp_path: Path) -> None:
    """Every task's record, logged in a pool child, reaches the worker's file exactly once."""
    require("celery")
    env = example_env(tmp_path / "logs", CELERY_DATA=str(tmp_path / "broker"))
    sent = subprocess.run(
        [python(), str(EXAMPLES / "celery_app.py"), "send", str(TASKS)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    args = [
        python(), "-m", "celery", "--workdir", str(EXAMPLES), "-A", "celery_app", "worker",
        "--pool", "prefork", "--concurrency", "2", "--without-heartbeat", "--without-gossip",
        "--without-mingle", "--hostname", "recipe@localhost",
    ]  # fmt: skip
    log_file = tmp_path / "logs" / "service.jsonl"

    def all_done(records: list[dict[str, Any]]) -> bool:
        return sum("succeeded in" in str(r["message"]) for r in records) >= TASKS

    with recipe(args, env, tmp_path) as worker:
        poll_jsonl(log_file, all_done, worker)
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
