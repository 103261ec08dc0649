"""A typer runner that keeps stdout and stderr apart, shared by the CLI tests."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner


def runner() -> CliRunner:
    """A runner whose results have separate ``stdout`` and ``stderr`` (whatever the click version)."""
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()
