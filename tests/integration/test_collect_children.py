"""`collect: auto` in children: a child attached to its parent's runtime turns off the same
switches as the parent (the parent's sinks format its records), and its records arrive whole."""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import logboot

from . import children

pytestmark = pytest.mark.timeout(120)


def profile(tmp_path: Path, layout: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(
        f"""\
version: 1
collect: auto
formatters:
  text: {{type: text, format: "{layout}"}}
sinks:
  out: {{type: file, path: "{tmp_path / "out.log"}", formatter: text}}
queues:
  main: {{kind: process}}
listeners:
  main: {{queue: main, sinks: [out]}}
root: {{level: INFO}}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("method", ["fork", "spawn"])
@pytest.mark.parametrize(
    ("layout", "switches", "line"),
    [
        ("{levelname} {name}: {message}", (False, False, False, False), "INFO app.child: from the child"),
        (
            "{process} {funcName}: {message}",
            (True, False, True, False),
            "{pid} collect_switches: from the child",
        ),
    ],
)
def test_children_switch_as_the_parent_does(
    tmp_path: Path, method: str, layout: str, switches: tuple[bool, ...], line: str
) -> None:
    """A forked child inherits the parent's switches; a spawned one attached with its handle
    sets the same from the plain profile; either child's record is written as laid out."""
    runtime = logboot.setup_logging(profile(tmp_path, layout))
    try:
        handle = runtime.process_handle() if method == "spawn" else None
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(1, mp_context=context) as pool:
            seen = pool.submit(children.collect_switches, handle).result(timeout=60)
            pid = pool.submit(children.log_records, handle, 0).result(timeout=60)
        assert seen == switches
    finally:
        runtime.stop()
    assert (logging._srcfile is not None, logging.logThreads) == (True, True)
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert lines == [line.format(pid=pid)]
