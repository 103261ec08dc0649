"""The ``logboot`` command line (the only part of logboot that imports typer and rich)."""

from __future__ import annotations

from . import convert  # noqa: F401 - registers `import` and `export` on the app
from .commands import app, main

__all__ = ["app", "main"]
