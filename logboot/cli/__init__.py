"""The ``logboot`` command line (the only part of logboot that imports typer and rich)."""

from __future__ import annotations

from logboot.cli.commands import app, main

__all__ = ["app", "main"]
