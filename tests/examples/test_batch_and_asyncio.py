"""The ProcessPoolExecutor batch job and the asyncio service recipes, run for real."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from .support import (
    EXAMPLES,
    REPO,
    documented_commands,
    example_env,
    on_port,
    python,
    read_jsonl,
    recipe,
    repository_copy,
)

pytestmark = pytest.mark.timeout(60)


def test_the_batch_job_writes_every_workers_record_once(tmp_path: Path) -> None:
    """8 batches x 100 items from spawned pool workers: each record once, whole, in the parent's file."""
    done = subprocess.run(
        [python(), str(EXAMPLES / "multiprocess_pool.py"), str(tmp_path)],
        cwd=REPO, env=example_env(tmp_path), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("dropped 0")
    records = read_jsonl(tmp_path / "app.jsonl")
    items = Counter((r["batch"], r["item"]) for r in records if "item" in r)
    assert items == Counter({(b, i): 1 for b in range(8) for i in range(100)})
    failed = [r for r in records if r.get("exc_type") == "ValueError"]
    assert len(failed) == 1 and failed[0]["message"] == "batch 3 partly failed"
    parent = {r["process"] for r in records if r["message"] == "all 8 batches done"}
    workers = {r["process"] for r in records if "item" in r}
    assert len(parent) == 1 and parent.isdisjoint(workers) and 1 <= len(workers) <= 2


def talk(port: int, client: int, lines: int) -> list[str]:
    """One client: send ``lines`` lines, read every answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        stream = sock.makefile("rw", encoding="utf-8")
        answers = []
        for i in range(lines):
            stream.write(f"c{client}-{i}\n")
            stream.flush()
            answers.append(stream.readline().rstrip("\n"))
        return answers


def test_the_asyncio_service_logs_every_line_from_its_coroutines(tmp_path: Path) -> None:
    """5 concurrent clients x 20 lines: every line answered and logged once; nothing dropped."""
    (command,) = documented_commands("asyncio")
    args = on_port(command, 0)  # the service prints the port it got
    root = tmp_path / "repo"
    env = repository_copy(root)
    with recipe(args, env, tmp_path, cwd=root) as service:
        ready = tmp_path / "stdout.txt"
        port = 0
        while service.alive() and not port:  # the service prints its port once it listens
            text = ready.read_text()
            port = int(text.split()[2]) if text.startswith("listening on ") and text.endswith("\n") else 0
            if not port:
                threading.Event().wait(0.02)
        assert port, service.output()
        results: dict[int, list[str]] = {}
        clients = [
            threading.Thread(target=lambda c=c: results.setdefault(c, talk(port, c, 20))) for c in range(5)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join(20)
        assert service.stop(signal.SIGTERM) == 0, service.output()
    assert results == {c: [f"ok c{c}-{i}" for i in range(20)] for c in range(5)}
    lines = (root / "logs" / "asyncio.log").read_text(encoding="utf-8").splitlines()
    got = Counter(line.split("echo: got ", 1)[1] for line in lines if "echo: got " in line)
    assert got == Counter({f"c{c}-{i}": 1 for c in range(5) for i in range(20)})
    assert lines[-1].endswith("stopped: 5 connection(s), 100 line(s); 0 record(s) dropped in the event loop")
