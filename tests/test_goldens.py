"""Golden outputs for invalid profiles: what ``load_profile`` reports and what ``check`` prints.

Each ``tests/profiles/invalid/<case>.yaml`` has, beside it:

- ``<case>.txt``: ``str()`` of every problem (then every warning) ``load_profile`` reports,
- ``<case>.check.txt``: what ``logboot check`` prints (stderr, text format),
- ``<case>.check.json``: what ``logboot check --format json`` prints (stdout).

``tests/profiles/startup/<case>.yaml`` are valid profiles that would fail (or warn) at
start-up; they have the two ``check`` goldens only. Paths are shown relative to the
tests folder: the tests run from there. After an intended change of wording, rewrite
the goldens with ``LOGBOOT_UPDATE_GOLDENS=1 pytest tests/test_goldens.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clirunner import runner
from typer.testing import Result

from logboot.cli import app
from logboot.errors import ProfileError
from logboot.profile.loading import load_profile

TESTS = Path(__file__).resolve().parent
INVALID = TESTS / "profiles" / "invalid"
STARTUP = TESTS / "profiles" / "startup"
UPDATE = os.environ.get("LOGBOOT_UPDATE_GOLDENS") == "1"
# Variables the goldens depend on: colour is off, the one "unset" variable is unset.
ENV: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None, "LOGBOOT_GOLDEN_UNSET_DIR": None}


def cases(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.yaml"))


def compare(golden: Path, actual: str) -> None:
    """Assert ``actual`` equals the golden file (or write it, when updating)."""
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"missing golden {golden.name}; run with LOGBOOT_UPDATE_GOLDENS=1"
    assert actual == golden.read_text(encoding="utf-8")


def run_check(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(TESTS)
    return runner().invoke(app, ["check", *args], env=ENV)


def relative(text: str) -> str:
    """Absolute paths under the tests folder (files reached by ``extends``) made relative."""
    return text.replace(f"{TESTS}{os.sep}", "")


def test_there_are_enough_cases() -> None:
    """The invalid folder covers at least fifteen cases."""
    assert len(cases(INVALID)) >= 15


@pytest.mark.parametrize("case", cases(INVALID))
def test_load_profile_reports_every_problem(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """load_profile raises ProfileError listing exactly the golden problems."""
    monkeypatch.delenv("LOGBOOT_GOLDEN_UNSET_DIR", raising=False)
    with pytest.raises(ProfileError) as info:
        load_profile(INVALID / f"{case}.yaml")
    lines = [relative(str(p)) for p in (*info.value.problems, *info.value.warnings)]
    compare(INVALID / f"{case}.txt", "".join(f"{line}\n" for line in lines))


@pytest.mark.parametrize("case", cases(INVALID))
def test_check_text_output(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """check prints each problem with its source line and caret on stderr, and exits 1."""
    result = run_check([f"profiles/invalid/{case}.yaml"], monkeypatch)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    compare(INVALID / f"{case}.check.txt", result.stderr)


@pytest.mark.parametrize("case", cases(INVALID))
def test_check_json_output(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """check --format json prints one document on stdout, nothing on stderr, and exits 1."""
    result = run_check(["--format", "json", f"profiles/invalid/{case}.yaml"], monkeypatch)
    assert result.exit_code == 1, result.output
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document["valid"] is False
    compare(INVALID / f"{case}.check.json", result.stdout)


@pytest.mark.parametrize("case", cases(STARTUP))
def test_check_startup_problems(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid profiles that would fail at start-up: check finds it in text and JSON alike."""
    text = run_check([f"profiles/startup/{case}.yaml"], monkeypatch)
    as_json = run_check(["--format", "json", f"profiles/startup/{case}.yaml"], monkeypatch)
    load_profile(STARTUP / f"{case}.yaml")  # the schema has nothing against them
    compare(STARTUP / f"{case}.check.txt", text.stderr)
    compare(STARTUP / f"{case}.check.json", as_json.stdout)
    expected = 0 if json.loads(as_json.stdout)["valid"] else 1
    assert (text.exit_code, as_json.exit_code) == (expected, expected)


def test_every_case_has_its_goldens() -> None:
    """No golden file is left behind without its profile, and none is missing."""
    for folder, suffixes in (
        (INVALID, (".txt", ".check.txt", ".check.json")),
        (STARTUP, (".check.txt", ".check.json")),
    ):
        names = {p.name for p in folder.iterdir() if p.is_file()}
        expected = {f"{case}{suffix}" for case in cases(folder) for suffix in (".yaml", *suffixes)}
        assert names == expected
