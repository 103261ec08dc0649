"""Running the recipes in examples/ for real: subprocesses, loopback ports, read-back."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def require(module: str) -> None:
    """Skip without ``module``, except in CI (LOGBOOT_CI=1), where every recipe must run."""
    if os.environ.get("LOGBOOT_CI"):
        importlib.import_module(module)
    else:
        pytest.importorskip(module)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def example_env(log_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a recipe: this one, minus logboot's own variables, plus LOG_DIR."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBOOT_") or k == "LOGBOOT_CI"}
    env.update(LOG_DIR=str(log_dir), PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost", **extra)
    return env


class Recipe:
    """A recipe's process: started, stopped with a signal, its output kept for failures."""

    def __init__(self, args: Sequence[str], env: dict[str, str], out: Path, cwd: Path = REPO) -> None:
        self.out = out
        self.stdout = (out / "stdout.txt").open("w")
        self.stderr = (out / "stderr.txt").open("w")
        self.process = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=self.stdout, stderr=self.stderr)

    def output(self) -> str:
        self.stdout.flush()
        self.stderr.flush()
        out = (self.out / "stdout.txt").read_text(errors="replace")
        err = (self.out / "stderr.txt").read_text(errors="replace")
        return f"--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``signum`` and wait for the process to end by itself; kill it (and fail) if not."""
        if self.alive():
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise AssertionError(
                f"{self.process.args} did not stop within {timeout}s\n{self.output()}"
            ) from None
        finally:
            self.stdout.close()
            self.stderr.close()
        return code


@contextlib.contextmanager
def recipe(args: Sequence[str], env: dict[str, str], out: Path, cwd: Path = REPO) -> Iterator[Recipe]:
    """Run a recipe for the block; it is always stopped (and killed if it will not stop)."""
    running = Recipe(args, env, out, cwd)
    try:
        yield running
    finally:
        if running.alive():
            with contextlib.suppress(AssertionError):
                running.stop(signal.SIGKILL, 5)


def get_json(url: str, timeout: float = 5.0) -> Any:
    with _OPENER.open(url, timeout=timeout) as response:
        assert response.status == 200
        return json.loads(response.read())


def wait_for_http(url: str, running: Recipe, timeout: float = 20.0) -> Any:
    """Poll ``url`` until it answers, with a deadline; fail early if the server died."""
    deadline = time.monotonic() + timeout
    while True:
        if not running.alive():
            raise AssertionError(f"the server exited with {running.process.returncode}\n{running.output()}")
        try:
            return get_json(url, timeout=2.0)
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not answer within {timeout}s\n{running.output()}") from None
            time.sleep(0.05)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSON-lines file, each one whole (a torn line fails to parse)."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the last line is not whole"
    return [json.loads(line) for line in text.splitlines()]


def poll_jsonl(path: Path, done: Any, running: Recipe, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Read the whole lines of ``path`` until ``done(records)`` holds, with a deadline."""
    deadline = time.monotonic() + timeout
    records: list[dict[str, Any]] = []
    while True:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            records = [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]
            if done(records):
                return records
        if not running.alive() or time.monotonic() > deadline:
            raise AssertionError(f"{len(records)} record(s) so far\n{running.output()}")
        time.sleep(0.05)


def python() -> str:
    return sys.executable


def documented_commands(heading: str) -> list[list[str]]:
    """The commands of the console block under ``## heading`` in docs/recipes.md, as argv
    lists (the ``$`` prompt and trailing ``# comments`` removed)."""
    text = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, f"no console block under ## {heading}"
    return [
        shlex.split(line[2:], comments=True) for line in block.group(1).splitlines() if line.startswith("$ ")
    ]


def repository_copy(root: Path) -> dict[str, str]:
    """The recipes' files copied into ``root`` (a stand-in for the repository root, so a
    recipe's relative folders land there), and an environment whose ``python`` and tools
    are this interpreter's (its folder first on PATH), without logboot's own variables."""
    shutil.copytree(
        EXAMPLES, root / "examples", ignore=shutil.ignore_patterns("logs", "__pycache__", "celery-data")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBOOT_") or k == "LOGBOOT_CI"}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1")
    return env


def on_port(argv: list[str], port: int) -> list[str]:
    """A documented command with its example port (8000, 8765) replaced by ``port``: tests
    run side by side, so each takes a free one."""
    return [re.sub(r"\b(8000|8765)\b", str(port), arg) for arg in argv]
