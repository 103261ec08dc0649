"""The profiles ``logboot init`` writes: ``logboot/templates/<name>.yaml``, shipped as package data.

A template is written byte for byte. Its first line points editors at the JSON Schema;
its second line, ``# logboot profile "<name>": <summary>``, is what ``init --list`` shows.
``configs/<name>.yaml`` holds the same bytes, and a test keeps them equal.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

_SUMMARY = re.compile(r'^# logboot profile "(?P<name>[a-z0-9_-]+)": (?P<summary>.+)$')
DEFAULT_TEMPLATE = "prod"


@dataclass(frozen=True)
class Template:
    """One template: its name, its one-line summary and its text."""

    name: str
    summary: str
    text: str


def templates() -> dict[str, Template]:
    """Every template shipped with logboot, by name, sorted."""
    return dict(_shipped())


@functools.cache
def _shipped() -> dict[str, Template]:
    """Read once a process: the package data does not change under it, and a process that
    dropped privileges after its first command may no longer be able to read the install."""
    folder = resources.files("logboot").joinpath("templates")
    found: dict[str, Template] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        name = entry.name.removesuffix(".yaml")
        text = entry.read_text(encoding="utf-8")
        lines = text.splitlines()
        match = _SUMMARY.match(lines[1]) if len(lines) > 1 else None
        summary = match.group("summary") if match else ""
        found[name] = Template(name, summary, text)
    return found
