"""`make demo` (`python -m tools.demo`), run small: every check it makes passes."""

from __future__ import annotations

import pytest
from conftest import REPO

from tools import demo

pytestmark = pytest.mark.timeout(60)


def test_the_demo_runs_clean_on_small_numbers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo validates configs/, runs threads and spawned processes, and reads every record back."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("LOG_DIR", "unused")  # the demo sets its own; this restores it afterwards
    code = demo.main(["--threads", "2", "--records", "50", "--processes", "1", "--process-records", "20"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1. Validating the profiles in configs/" in out
