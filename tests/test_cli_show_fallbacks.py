"""``logboot show`` draws a sink's fallbacks under it, not among the unused sinks."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

from clirunner import runner

from logboot.cli import app

PROFILE = """\
version: 1
sinks:
  app: {type: file, path: logs/app.log, fallback: spare}
  spare: {type: file, path: spare/app.log, fallback: last}
  last: {type: console, stream: stderr}
  idle: {type: "null"}
queues:
  main: {max_size: 100}
listeners:
  main: {queue: main, sinks: [app]}
root: {level: INFO, queue: main}
"""


def test_fallback_chain_is_drawn_under_its_sink(tmp_path: Path, write_profile: Callable[..., Path]) -> None:
    """The chain app -> spare -> last hangs under app; only the sink nothing reaches is unused."""
    path = write_profile(PROFILE, "p.yaml")
    result = runner().invoke(app, ["show", str(path)], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.stdout == textwrap.dedent(
        f"""\
        profile {path}
        ├── logger root (level INFO)
        │   └── queue main (thread; max_size 100; overflow block)
        │       └── listener main (batch_size 1024)
        │           └── sink app: file -> logs/app.log (all levels; default formatter)
        │               └── when it fails: sink spare: file -> spare/app.log (all levels; default formatter)
        │                   └── when it fails: sink last: console -> stderr (all levels; default formatter)
        ├── unused sinks
        │   └── sink idle: null -> discards (all levels; default formatter)
        └── shutdown: timeout 5s, signals none
        """
    )


def test_fallback_is_in_the_json_description(write_profile: Callable[..., Path]) -> None:
    """show --format json names each sink's fallback."""
    path = write_profile(PROFILE, "p.yaml")
    result = runner().invoke(app, ["show", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    fallbacks = {sink["name"]: sink["fallback"] for sink in json.loads(result.stdout)["sinks"]}
    assert fallbacks == {"app": "spare", "spare": "last", "last": None, "idle": None}
