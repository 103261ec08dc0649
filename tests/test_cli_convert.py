"""`logboot import`, `logboot export` and `--set` on `check` and `show`, through the real app."""

from __future__ import annotations

import json
import logging.config
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from clirunner import runner
from conftest import REPO
from typer.testing import Result

import logboot
from logboot.cli import app
from logboot.runtime.lifecycle import active_runtime

PLAIN = {"NO_COLOR": None, "FORCE_COLOR": None, "LOGBOOT_LEVEL": None}
PROD = str(REPO / "configs" / "prod.yaml")
DICTCONFIG = """\
version: 1
formatters:
  line: {format: "%(levelname)s %(message)s"}
handlers:
  file: {class: logging.FileHandler, filename: app.log, formatter: line}
  mail: {class: logging.handlers.SMTPHandler, mailhost: localhost, fromaddr: a@b, toaddrs: [c@d], subject: x}
root: {level: INFO, handlers: [file, mail]}
disable_existing_loggers: false
"""
pytestmark = pytest.mark.timeout(30)


def invoke(*args: str) -> Result:
    """Run ``logboot ARGS`` through the real app, without colour."""
    return runner().invoke(app, list(args), env=PLAIN)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from its own empty folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_import_writes_a_profile_that_check_accepts(in_tmp: Path) -> None:
    """`import CONFIG -o PROFILE` writes the profile, lists the notes on stderr, and exits 0."""
    (in_tmp / "logging.yaml").write_text(DICTCONFIG, encoding="utf-8")
    result = invoke("import", "logging.yaml", "-o", "logboot.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "note: handler 'mail' (logging.handlers.SMTPHandler) has no logboot sink type; left out, with the "
        "loggers' references to it. To keep it, set `allow_custom: true` and use this custom sink:",
        "note: text sinks escape what could forge a line: a line break inside a message is written as "
        "\\n, and a traceback's lines are indented under their record, so every line that starts at "
        "column one starts a record (logging wrote both raw). For logging's exact bytes on a sink "
        "whose input you trust, set `stdlib_layout: true` on its formatter",
        "Imported logging.yaml into logboot.yaml (2 notes).",
    ]
    text = (in_tmp / "logboot.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Imported from logging.yaml by `logboot import`.\n")
    check = invoke("check", "logboot.yaml")
    assert check.exit_code == 0, check.stderr
    profile = logboot.load_profile(in_tmp / "logboot.yaml")
    assert profile.sinks["file"].path == "app.log"  # type: ignore[union-attr]


def test_import_to_stdout_and_from_json(in_tmp: Path) -> None:
    """Without -o the profile goes to stdout; a JSON document is read too."""
    (in_tmp / "logging.json").write_text(json.dumps(yaml.safe_load(DICTCONFIG)), encoding="utf-8")
    result = invoke("import", "logging.json")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["listeners"] == {"main": {"queue": "main", "sinks": ["file"]}}
    assert result.stderr.splitlines()[-1] == "Imported logging.json (2 notes)."


def test_import_refuses_to_overwrite_without_force(in_tmp: Path) -> None:
    """An existing output file is kept unless --force is given."""
    (in_tmp / "logging.yaml").write_text(DICTCONFIG, encoding="utf-8")
    (in_tmp / "logboot.yaml").write_text("mine\n", encoding="utf-8")
    refused = invoke("import", "logging.yaml", "-o", "logboot.yaml")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        "logboot: error: 'logboot.yaml' already exists; pass --force to overwrite it, or choose another FILE"
    )
    assert (in_tmp / "logboot.yaml").read_text(encoding="utf-8") == "mine\n"
    assert invoke("import", "logging.yaml", "-o", "logboot.yaml", "--force").exit_code == 0
    assert (in_tmp / "logboot.yaml").read_text(encoding="utf-8").startswith("# Imported from")


def test_import_errors_have_exit_codes(in_tmp: Path) -> None:
    """A missing file is a usage error (2); an unreadable document is an error (1)."""
    missing = invoke("import", "nope.yaml")
    assert missing.exit_code == 2
    assert "no such profile: 'nope.yaml'" in missing.stderr
    (in_tmp / "bad.yaml").write_text("version: 1\nroot: [unclosed\n", encoding="utf-8")
    bad = invoke("import", "bad.yaml")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("logboot: error: bad.yaml: not valid YAML or JSON: ")
    (in_tmp / "v2.yaml").write_text("version: 2\n", encoding="utf-8")
    assert invoke("import", "v2.yaml").stderr == "logboot: error: v2.yaml: expected 'version: 1', got 2\n"


def test_an_import_that_needs_a_fix_is_written_and_located(in_tmp: Path) -> None:
    """A value logboot rejects is written all the same, and its problem is shown in the output file."""
    (in_tmp / "logging.yaml").write_text(DICTCONFIG.replace("level: INFO", "level: LOUD"), encoding="utf-8")
    result = invoke("import", "logging.yaml", "-o", "logboot.yaml")
    assert result.exit_code == 1
    assert (in_tmp / "logboot.yaml").exists()
    assert "logboot.yaml:" in result.stderr and ": root.level: expected one of " in result.stderr
    assert result.stderr.splitlines()[-1] == "logboot: error: the imported profile needs a fix (1 error)"


def test_export_writes_a_dictconfig_that_starts_logboot(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export PROFILE` prints JSON; loading it with dictConfig runs the profile."""
    monkeypatch.setenv("LOG_DIR", str(in_tmp / "logs"))
    result = invoke("export", PROD, "--format", "dictconfig")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["handlers"]["logboot"]["()"] == "logboot.integrations.ProfileHandler"
    logging.config.dictConfig(document)
    runtime = active_runtime()
    assert runtime is not None and runtime.profile.sinks["app"].path == str(in_tmp / "logs" / "app.jsonl")  # type: ignore[union-attr]
    runtime.stop()


def test_export_to_a_yaml_file_with_overrides(in_tmp: Path) -> None:
    """`-o FILE.yaml` writes YAML; `--set` changes the profile inside; a bad one is located."""
    result = invoke("export", PROD, "-o", "logging.yaml", "--set", "root.level=DEBUG")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Wrote a dictConfig for {PROD} to logging.yaml\n"
    document = yaml.safe_load((in_tmp / "logging.yaml").read_text(encoding="utf-8"))
    assert document["logboot"]["root"]["level"] == "DEBUG"
    again = invoke("export", PROD, "-o", "logging.yaml")
    assert again.exit_code == 1 and "already exists; pass --force" in again.stderr
    bad = invoke("export", PROD, "--set", "queues.main.max_size=lots")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines() == [
        "<override>:1:22: queues.main.max_size: expected an integer, got 'lots'",
        f"logboot: error: {PROD} is not a valid profile (1 error); nothing to export",
    ]
    assert invoke("export", PROD, "--format", "loguru").exit_code == 2


def test_check_and_show_take_set(in_tmp: Path) -> None:
    """`--set` overrides are validated by check (located) and drawn by show."""
    bad = invoke("check", PROD, "--set", "queues.main.overflow=drop_new")
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[0] == (
        "<override>:1:22: queues.main.overflow: expected one of 'block', 'drop_newest', 'drop_oldest', "
        "got 'drop_new'; did you mean 'drop_newest'?"
    )
    good = invoke("check", PROD, "--set", "queues.main.max_size=100", "--set", "root.level=DEBUG")
    assert good.exit_code == 0, good.stderr
    drawn = invoke(
        "show", PROD, "--set", "queues.main.kind=process", "--set", "loggers.uvicorn.error.level=ERROR"
    )
    assert drawn.exit_code == 0, drawn.stderr
    assert "queue main (process; max_size 10000" in drawn.stdout
    assert "logger uvicorn.error (level ERROR" in drawn.stdout
    unshown = invoke("show", PROD, "--set", "nokey")
    assert unshown.exit_code == 1
    assert unshown.stderr.splitlines()[0] == "<override>:1:1: expected 'key.path=value', got 'nokey'"


def test_the_installed_command_round_trips(tmp_path: Path) -> None:
    """The installed `logboot`: export a profile, import the document, get the profile back."""
    exe = shutil.which("logboot", path=str(Path(sys.executable).parent)) or shutil.which("logboot")
    assert exe is not None
    env = {"PATH": str(Path(sys.executable).parent), "LOG_DIR": "logs", "NO_COLOR": "1"}
    exported = subprocess.run(
        [exe, "export", PROD, "-o", str(tmp_path / "logging.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    imported = subprocess.run(
        [exe, "import", str(tmp_path / "logging.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    back = yaml.safe_load(imported.stdout)
    assert back == json.loads((tmp_path / "logging.json").read_text(encoding="utf-8"))["logboot"]
    original = logboot.load_profile(PROD, environ={"LOG_DIR": "logs"})
    path = tmp_path / "back.yaml"
    path.write_text(textwrap.dedent(imported.stdout), encoding="utf-8")
    assert logboot.load_profile(path).model_dump() == original.model_dump()
