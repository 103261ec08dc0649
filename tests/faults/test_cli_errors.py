"""The CLI never crashes: every file it cannot use is one line on stderr and an exit code
(2 for a usage error, 1 for an invalid profile or a file that cannot be written), never a traceback."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from clirunner import runner
from typer.models import ParameterInfo
from typer.testing import Result

from logboot.cli import app

from .harness import REPO, run_child

PLAIN = {"NO_COLOR": None, "FORCE_COLOR": None}
VALID = (
    "version: 1\n"
    "sinks:\n"
    '  out: {type: "null"}\n'
    "queues:\n"
    "  main: {max_size: 100}\n"
    "listeners:\n"
    "  main: {queue: main, sinks: [out]}\n"
    "root: {level: INFO, queue: main}\n"
)
DICTCONFIG = "version: 1\nhandlers:\n  h: {class: logging.NullHandler}\nroot: {level: INFO, handlers: [h]}\n"
LONG_NAME = "n" * 300 + ".yaml"
LONG_PATH = "d/" * 2500 + "p.yaml"  # 5006 characters, every name short

# The commands that read one file: (arguments before the file, arguments after it).
READERS = {
    "check": (["check"], []),
    "check-json": (["check", "--format", "json"], []),
    "show": (["show"], []),
    "export": (["export"], []),
    "import": (["import"], []),
    "bench": (["bench"], ["--records", "10"]),
}


def invoke(*args: str) -> Result:
    """``logboot ARGS`` through the real app, colour off."""
    return runner().invoke(app, list(args), env=PLAIN)


def assert_one_line(result: Result, code: int, line: str) -> None:
    """Exit ``code``, nothing raised, and stderr exactly ``logboot: error: <line>``."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert (result.exit_code, result.stderr) == (code, f"logboot: error: {line}\n")


def assert_usage_error(command: str, result: Result, line: str) -> None:
    """A usage error: one line, exit 2; `check --format json` still prints its document."""
    if command != "check":
        assert_one_line(result, 2, line)
    if command == "check-json":
        document = json.loads(result.stdout)
        assert (document["valid"], document["summary"]["invalid"], document["summary"]["errors"]) == (
            False,
            1,
            1,
        )
        assert document["profiles"][0]["error"] == line
        assert document["profiles"][0]["problems"] == []
    else:
        assert result.stdout == ""
    if command == "check":
        assert result.exit_code == 2
        assert (
            result.stderr == f"logboot: error: {line}\nChecked 1 profile: 1 invalid (1 error, 0 warnings).\n"
        )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from its own folder, holding a valid profile `good.yaml`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    return tmp_path


# --- Python 3.10 ------------------------------------------------------------------------


def _parameter_callbacks() -> Iterator[tuple[str, typing.Any]]:
    """Every parameter callback of the app's commands (and of the app itself), with its place."""
    assert app.registered_callback is not None
    functions = [app.registered_callback.callback, *(c.callback for c in app.registered_commands)]
    for function in functions:
        assert function is not None
        for name, hint in typing.get_type_hints(function, include_extras=True).items():
            for info in getattr(hint, "__metadata__", ()):
                if isinstance(info, ParameterInfo) and info.callback is not None:
                    yield f"{function.__name__}({name})", info.callback


def test_no_parameter_callback_is_annotated_with_a_builtin_generic() -> None:
    """No parameter callback takes a `list[...]` annotation (typer's issubclass() on it raises on 3.10)."""
    found = []
    for place, callback in _parameter_callbacks():
        for name, hint in typing.get_type_hints(callback).items():
            if name != "return" and isinstance(hint, types.GenericAlias):
                found.append(f"{place}: {callback.__name__}({name}: {hint})")
    assert found == []


def test_the_whole_app_builds_into_a_click_command() -> None:
    """typer turns every command and its callbacks into click parameters without an error."""
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    assert sorted(command.commands) == ["bench", "check", "ctl", "export", "import", "init", "schema", "show"]


# --- files that cannot be read, as root -------------------------------------------------


def _bad_paths(folder: Path) -> dict[str, tuple[str, str]]:
    """Each kind of unusable path (made in ``folder``): (argument, the one line it gets)."""
    (folder / "plain.txt").write_text("x\n", encoding="utf-8")
    (folder / "a-folder").mkdir()
    (folder / "loop.yaml").symlink_to("loop.yaml")
    os.mkfifo(folder / "pipe.yaml")
    shown_long_path = f"{LONG_PATH[:40] + '...' + LONG_PATH[-40:]!r} ({len(LONG_PATH)} characters)"
    shown_long_name = f"{LONG_NAME[:40] + '...' + LONG_NAME[-40:]!r} ({len(LONG_NAME)} characters)"
    return {
        "missing": ("missing.yaml", "no such profile: 'missing.yaml'"),
        "folder": ("a-folder", "'a-folder' is a folder; pass profile files, such as 'a-folder/*.yaml'"),
        "under-a-file": (
            "plain.txt/p.yaml",
            "no such profile: 'plain.txt/p.yaml' (a part of the path is a file, not a folder)",
        ),
        "long-name": (
            LONG_NAME,
            f"cannot read {shown_long_name}: file name too long for the file system (a name of 305 bytes)",
        ),
        "long-path": (
            LONG_PATH,
            f"cannot read {shown_long_path}: path too long for the file system (5006 bytes)",
        ),
        "device": ("/dev/zero", "'/dev/zero' is not a profile file but a character device"),
        "fifo": ("pipe.yaml", "'pipe.yaml' is not a profile file but a pipe (FIFO)"),
        "symlink-loop": (
            "loop.yaml",
            "cannot read 'loop.yaml': too many levels of symbolic links (a symlink loop?)",
        ),
    }


BAD_PATHS = ["missing", "folder", "under-a-file", "long-name", "long-path", "device", "fifo", "symlink-loop"]


@pytest.mark.parametrize("case", BAD_PATHS)
@pytest.mark.parametrize("command", sorted(READERS))
def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(command: str, case: str, in_tmp: Path) -> None:
    """Every reading command refuses an unusable path with one line naming it, exit 2, no traceback."""
    argument, line = _bad_paths(in_tmp)[case]
    before, after = READERS[command]
    assert_usage_error(command, invoke(*before, argument, *after), line)


def test_a_socket_is_not_a_profile(tmp_path: Path) -> None:
    """A Unix socket given as a profile is a usage error, one line."""
    folder = Path(tempfile.mkdtemp(prefix="lb-", dir="/tmp"))  # a socket path must be short
    try:
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(folder / "s"))
            result = invoke("show", str(folder / "s"))
        assert_one_line(result, 2, f"{str(folder / 's')!r} is not a profile file but a socket")
    finally:
        shutil.rmtree(folder)


def test_check_reports_every_file_and_exits_2_for_a_usage_error(in_tmp: Path) -> None:
    """check reports a valid, a missing and an invalid file, each in turn; exit 2, one JSON document."""
    (in_tmp / "bad.yaml").write_text("version: 1\nroot: {level: LOUD}\n", encoding="utf-8")
    text = invoke("check", "good.yaml", "missing.yaml", "bad.yaml")
    assert text.exit_code == 2
    lines = text.stderr.splitlines()
    assert lines[0] == "logboot: error: no such profile: 'missing.yaml'"
    assert lines[1].startswith("bad.yaml:2:15: root.level: ")
    assert lines[-1] == "Checked 3 profiles: 2 invalid (2 errors, 0 warnings)."
    document = json.loads(invoke("check", "--format", "json", "good.yaml", "missing.yaml", "bad.yaml").stdout)
    assert [(p["file"], p["valid"], p.get("error")) for p in document["profiles"]] == [
        ("good.yaml", True, None),
        ("missing.yaml", False, "no such profile: 'missing.yaml'"),
        ("bad.yaml", False, None),
    ]


def test_check_reports_a_bug_for_its_file_and_goes_on(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while checking one file is reported for that file; the next file is checked."""
    from logboot.cli import check as checking

    real = checking.check_profile

    def broken_on_first(path: Path, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        if Path(path).name == "first.yaml":
            raise RuntimeError("boom")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(checking, "check_profile", broken_on_first)
    shutil.copy(in_tmp / "good.yaml", in_tmp / "first.yaml")
    (in_tmp / "last.yaml").write_text("version: 1\nroot: {level: LOUD}\n", encoding="utf-8")
    result = invoke("check", "first.yaml", "good.yaml", "last.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "logboot: error: first.yaml: internal error: RuntimeError: boom"
    assert lines[1].startswith("last.yaml:2:15: root.level: ")
    assert lines[-2:] == [
        "Checked 3 profiles: 2 invalid (2 errors, 0 warnings).",
        "(run again with --debug to see the traceback)",
    ]
    document = json.loads(invoke("check", "--format", "json", "first.yaml", "good.yaml").stdout)
    assert [(p["file"], p["valid"], p.get("error")) for p in document["profiles"]] == [
        ("first.yaml", False, "first.yaml: internal error: RuntimeError: boom"),
        ("good.yaml", True, None),
    ]
    loud = invoke("check", "--debug", "first.yaml", "good.yaml")
    assert loud.exit_code == 1
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert (
        "RuntimeError: boom\nlogboot: error: first.yaml: internal error: RuntimeError: boom\n" in loud.stderr
    )


# --- files that cannot be written, as root ----------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["schema", "-o", f"out/{LONG_NAME}"],
            "cannot write the schema to {long}: file name too long for the file system (a name of 305 bytes)",
        ),
        (
            ["schema", "-o", "plain.txt/schema.json"],
            "cannot write the schema to 'plain.txt/schema.json': a part of the path is a file, not a folder",
        ),
        (
            ["init", "plain.txt/logboot.yaml"],
            "cannot write 'plain.txt/logboot.yaml': a part of the path is a file, not a folder",
        ),
        (
            ["init", LONG_NAME],
            "cannot write {long}: file name too long for the file system (a name of 305 bytes)",
        ),
        (
            ["export", "good.yaml", "-o", "plain.txt/x.json"],
            "cannot write 'plain.txt/x.json': a part of the path is a file, not a folder",
        ),
        (
            ["import", "dc.yaml", "-o", "plain.txt/x.yaml"],
            "cannot write 'plain.txt/x.yaml': a part of the path is a file, not a folder",
        ),
    ],
)
def test_a_file_that_cannot_be_written_is_one_line_and_exit_1(
    args: list[str], line: str, in_tmp: Path
) -> None:
    """Writing where no file can be (a name too long, a file as a folder) is one line, exit 1."""
    (in_tmp / "plain.txt").write_text("x\n", encoding="utf-8")
    (in_tmp / "dc.yaml").write_text(DICTCONFIG, encoding="utf-8")
    long = args[-1] if len(args[-1]) > 100 else ""
    shown = f"{long[:40] + '...' + long[-40:]!r} ({len(long)} characters)"
    result = invoke(*args)
    assert_one_line(result, 1, line.format(long=shown))
    assert result.stdout == ""


def test_debug_shows_the_chained_traceback_of_a_write(in_tmp: Path) -> None:
    """With --debug, a file that cannot be written shows the OSError under the one line."""
    (in_tmp / "plain.txt").write_text("x\n", encoding="utf-8")
    result = invoke("--debug", "schema", "-o", "plain.txt/schema.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "NotADirectoryError: [Errno 20] Not a directory" in result.stderr
    assert result.stderr.endswith(
        "logboot: error: cannot write the schema to 'plain.txt/schema.json': "
        "a part of the path is a file, not a folder\n"
    )


# --- as an unprivileged user --------------------------------------------------------------

# Runs the commands of argv[4] (a JSON list) through the real app as root, so that everything
# they import lazily is loaded (the interpreter's own files may be private to root), then each
# command of argv[2] as the user argv[1] names.
AS_USER = """
import json, os, pwd, sys
sys.path.insert(0, sys.argv[3])
from clirunner import runner
from logboot.cli import app
env = {"NO_COLOR": None, "FORCE_COLOR": None}
for warm_up in json.loads(sys.argv[4]):
    done = runner().invoke(app, warm_up, env=env)
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exc_info
user = pwd.getpwnam(sys.argv[1])
os.setgroups([])
os.setgid(user.pw_gid)
os.setuid(user.pw_uid)
results = []
for args in json.loads(sys.argv[2]):
    result = runner().invoke(app, args, env=env)
    error = result.exception
    raised = None if error is None or isinstance(error, SystemExit) else repr(error)
    results.append([result.exit_code, result.stdout, result.stderr, raised])
print(json.dumps(results))
"""


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder an unprivileged user can enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="logboot-cli-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):  # chmod 000 folders must be opened again before removal
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    folder.chmod(0o755)
    shutil.rmtree(folder)


def _as_nobody(folder: Path, commands: list[list[str]], warm_ups: list[list[str]]) -> list[list[typing.Any]]:
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root and there is no user 'nobody' to drop to")
    else:
        pytest.skip("dropping to 'nobody' needs root; the suite runs as root in CI")
    done = run_child(
        folder, AS_USER, "nobody", json.dumps(commands), str(REPO / "tests"), json.dumps(warm_ups)
    )
    assert done.returncode == 0, done.stderr
    results: list[list[typing.Any]] = json.loads(done.stdout)
    return results


def test_unreadable_paths_as_an_unprivileged_user(shared_folder: Path) -> None:
    """As `nobody`: a profile in a folder that cannot be searched, or a file that cannot be read,
    is one line and exit 2 for every reading command (and in check's JSON document)."""
    (shared_folder / "good.yaml").write_text(VALID, encoding="utf-8")
    (shared_folder / "dc.yaml").write_text(DICTCONFIG, encoding="utf-8")
    (shared_folder / "locked").mkdir()
    (shared_folder / "locked" / "p.yaml").write_text(VALID, encoding="utf-8")
    (shared_folder / "locked").chmod(0)
    secret = shared_folder / "secret.yaml"
    secret.write_text(VALID, encoding="utf-8")
    secret.chmod(0)
    reasons = {
        str(
            shared_folder / "locked" / "p.yaml"
        ): "permission denied (a folder on the path cannot be searched)",
        str(secret): "permission denied",
    }
    cases = [
        (f"cannot read {path!r}: {reason}", name, [*before, path, *after])
        for path, reason in reasons.items()
        for name, (before, after) in READERS.items()
    ]
    warm_ups = [
        [*before, str(shared_folder / file), *after]
        for name, (before, after) in READERS.items()
        for file in ("dc.yaml" if name == "import" else "good.yaml", "missing.yaml")
    ]
    results = _as_nobody(shared_folder, [args for _, _, args in cases], warm_ups)
    for (line, name, args), (code, stdout, stderr, raised) in zip(cases, results, strict=True):
        assert (code, raised) == (2, None), args
        assert stderr.splitlines()[0] == f"logboot: error: {line}", args
        if name == "check-json":
            assert json.loads(stdout)["profiles"][0]["error"] == line
        else:
            assert stdout == "", args


def test_unwritable_folders_as_an_unprivileged_user(shared_folder: Path) -> None:
    """As `nobody`: init, schema -o, export -o and import -o into a read-only folder (or over an
    unreadable file) are one line, exit 1."""
    (shared_folder / "good.yaml").write_text(VALID, encoding="utf-8")
    (shared_folder / "dc.yaml").write_text(DICTCONFIG, encoding="utf-8")
    locked = shared_folder / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    secret = shared_folder / "secret.json"
    secret.write_text("{}\n", encoding="utf-8")
    secret.chmod(0)
    commands = {
        "schema-over-a-secret": ["schema", "--force", "-o", str(secret)],
        "init": ["init", str(locked)],
        "init-below": ["init", str(locked / "new" / "logboot.yaml")],
        "schema": ["schema", "-o", str(locked / "schema.json")],
        "export": ["export", str(shared_folder / "good.yaml"), "-o", str(locked / "x.json")],
        "import": ["import", str(shared_folder / "dc.yaml"), "-o", str(locked / "x.yaml")],
    }
    expected = {
        "schema-over-a-secret": f"cannot write the schema to {str(secret)!r}: permission denied",
        "init": f"cannot write {str(locked / 'logboot.yaml')!r}: permission denied",
        "init-below": f"cannot write {str(locked / 'new' / 'logboot.yaml')!r}: permission denied",
        "schema": f"cannot write the schema to {str(locked / 'schema.json')!r}: permission denied",
        "export": f"cannot write {str(locked / 'x.json')!r}: permission denied",
        "import": f"cannot write {str(locked / 'x.yaml')!r}: permission denied",
    }
    warm_ups = [
        ["init", str(shared_folder / "w.yaml")],
        ["schema", "-o", str(shared_folder / "s.json")],
        ["export", str(shared_folder / "good.yaml")],
        ["import", str(shared_folder / "dc.yaml")],
    ]
    results = _as_nobody(shared_folder, list(commands.values()), warm_ups)
    for name, (code, _stdout, stderr, raised) in zip(commands, results, strict=True):
        assert raised is None, name
        assert code == 1, name
        assert stderr.splitlines()[-1] == f"logboot: error: {expected[name]}", name
    assert sorted(p.name for p in locked.iterdir()) == []


# --- the installed command ------------------------------------------------------------------


def test_installed_command_prints_one_line_for_names_too_long(tmp_path: Path) -> None:
    """Installed `logboot` answers a 300-character name or a 5000-character path with one line, exit 2."""
    exe = shutil.which("logboot", path=str(Path(sys.executable).parent))
    assert exe is not None, f"`logboot` is not installed next to {sys.executable}; pip install -e ."
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    for name, reason in [
        (LONG_NAME, "file name too long for the file system (a name of 305 bytes)"),
        (LONG_PATH, "path too long for the file system (5006 bytes)"),
    ]:
        shown = f"{name[:40] + '...' + name[-40:]!r} ({len(name)} characters)"
        for args in (["check", name], ["show", name], ["check", "--format", "json", name]):
            done = subprocess.run(
                [exe, *args], capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=60
            )
            assert done.returncode == 2, done.stderr
            assert done.stderr.splitlines()[0] == f"logboot: error: cannot read {shown}: {reason}"
            assert "Traceback" not in done.stderr
            if "json" in args:
                assert json.loads(done.stdout)["profiles"][0]["error"] == f"cannot read {shown}: {reason}"


# A bug that escapes a command (injected: describe_profile raises), run as the console script runs.
BROKEN_SHOW = """
import sys
import logboot.cli.commands as commands
import logboot.cli.show as show

def boom(*args, **kwargs):
    raise RuntimeError("boom")

show.describe_profile = boom
commands.main(sys.argv[1:])
"""


def test_a_bug_that_escapes_a_command_is_one_line(tmp_path: Path) -> None:
    """The console script turns any exception into one line and exit 1; --debug shows the traceback."""
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    quiet = run_child(tmp_path, BROKEN_SHOW, "show", "good.yaml", env={"NO_COLOR": "1"})
    assert (quiet.returncode, quiet.stdout) == (1, "")
    assert quiet.stderr == (
        "logboot: internal error: RuntimeError: boom\n(run again with --debug to see the traceback)\n"
    )
    loud = run_child(tmp_path, BROKEN_SHOW, "--debug", "show", "good.yaml", env={"NO_COLOR": "1"})
    assert loud.returncode == 1
    assert loud.stderr.startswith("Traceback (most recent call last):")
    assert loud.stderr.endswith("RuntimeError: boom\nlogboot: internal error: RuntimeError: boom\n")
