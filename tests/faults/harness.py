"""Tools of the fault-injection suite: child processes, profiles, and exact reading of logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 60.0


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this interpreter's, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGBOOT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def write_script(folder: Path, body: str, name: str = "child.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def run_child(
    folder: Path,
    body: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = CHILD_TIMEOUT,
    **popen: Any,
) -> subprocess.CompletedProcess[str]:
    """Run ``body`` (dedented) as a Python script in ``folder``; never raises on exit status."""
    script = write_script(folder, body)
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=folder,
        env=child_env(env),
        check=False,
        **popen,
    )


def start_child(
    folder: Path, body: str, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start ``body`` as a script, with pipes on stdout and stderr."""
    script = write_script(folder, body)
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
        env=child_env(env),
    )


def write_profile(folder: Path, text: str, name: str = "profile.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def bare_profile(
    folder: Path,
    *,
    log_name: str = "app.log",
    sink: str = "type: file",
    sink_options: str = "",
    more_sinks: str = "",
    batch_size: int | None = None,
    queue: str = "{max_size: 0}",
) -> Path:
    """One unbounded thread queue into a file of bare messages (``folder / log_name``), so
    the listener may lag far behind; ``sink`` and ``sink_options`` shape that file sink,
    ``more_sinks`` adds sinks (YAML lines) no listener uses unless a test says so, ``queue``
    (a YAML mapping) replaces the queue."""
    batch = f", batch_size: {batch_size}" if batch_size is not None else ""
    return write_profile(
        folder,
        f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
        sinks:
          out: {{{sink}, path: "{folder / log_name}", formatter: bare{sink_options}}}
          {more_sinks}
        queues:
          main: {queue}
        listeners:
          main: {{queue: main, sinks: [out]{batch}}}
        root: {{level: INFO, queue: main}}
        """,
    )


def whole_lines(path: Path, *, torn_tail: bool = False) -> list[str]:
    """The lines of a log file, checking that the last one is complete (ends with a newline).

    ``torn_tail``: the process was killed (SIGKILL, default SIGTERM, ``os._exit``) and may have
    died inside a write; a last line without its newline is then dropped, not failed.
    """
    data = path.read_bytes()
    if torn_tail and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
    assert not data or data.endswith(b"\n"), f"{path} ends with a partial line: {data[-80:]!r}"
    return data.decode("utf-8").splitlines()


def numbers(lines: list[str], pattern: str = r"^record (\d+)$") -> list[int]:
    """The sequence number of every line; each line must match ``pattern`` exactly."""
    compiled = re.compile(pattern)
    out = []
    for line in lines:
        match = compiled.match(line)
        assert match, f"not a whole record: {line!r}"
        out.append(int(match.group(1)))
    return out


def json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in whole_lines(path)]


def framed_reports(stderr: str, sink: str) -> int:
    """How many framed error blocks stderr holds about one sink."""
    return stderr.count(f"--- logboot: sink {sink!r} failed ---")


__all__ = [
    "REPO",
    "child_env",
    "framed_reports",
    "json_lines",
    "numbers",
    "run_child",
    "start_child",
    "whole_lines",
    "write_profile",
    "write_script",
]
