"""The ``logboot`` command, through the real app (typer's runner) and the installed executable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from clirunner import runner
from typer.testing import Result

import logboot
from logboot import sinks
from logboot.cli import app, ctl
from logboot.cli.commands import COMMANDS
from logboot.cli.output import SourceLines, display_path, problem_text
from logboot.errors import Problem, ProfileError
from logboot.profile.describe import describe_profile
from logboot.profile.reading import read_profile
from logboot.profile.schema import SCHEMA_FILE, SCHEMA_URL, json_schema, schema_text

REPO = Path(__file__).resolve().parent.parent
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
PLAIN = {"NO_COLOR": None, "FORCE_COLOR": None}

WriteProfile = Callable[..., Path]

VALID = """\
version: 1
formatters:
  json: {type: json}
sinks:
  console: {type: console, level: WARNING}
  app: {type: file, path: "logs/app.log", formatter: json}
queues:
  main: {max_size: 100, overflow: drop_newest}
listeners:
  main: {queue: main, sinks: [console, app]}
root: {level: INFO, queue: main}
loggers:
  urllib3: {level: WARNING}
"""


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """Run ``logboot ARGS`` through the real app; colour off unless ``env`` says otherwise."""
    return runner().invoke(app, list(args), env={**PLAIN, **(env or {})})


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from its own empty folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the app ----------------------------------------------------------------------------


def test_version_prints_the_version() -> None:
    """--version prints the version on stdout and exits 0."""
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"logboot {logboot.__version__}\n")


def test_help_lists_every_command() -> None:
    """--help names each command and shows examples."""
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("init", "check", "show", "schema", "Examples:"):
        assert command in result.stdout


#: The commands of `logboot`, as documented, in the order `logboot --help` lists them.
DOCUMENTED_COMMANDS = ["init", "check", "show", "schema", "bench", "import", "export"]
#: The groups of sub-commands of `logboot` (each a module of logboot/cli/ of that name).
DOCUMENTED_GROUPS = ["ctl"]
#: The modules of logboot/cli/ that define no command: the app and what the commands share.
NOT_COMMANDS = {"__init__", "commands", "common", "output", "paths", "templates", "tree"}


def test_every_command_module_is_registered() -> None:
    """COMMANDS, the app and the command modules agree with the documented commands, and the
    `ctl` group with its sub-commands: a command module that is written but left out of
    COMMANDS (or the groups) fails here."""
    assert [command.name for command in COMMANDS] == DOCUMENTED_COMMANDS
    registered = [(info.name, info.callback) for info in app.registered_commands]
    assert registered == [(command.name, command.function) for command in COMMANDS]
    groups = {info.name: info.typer_instance for info in app.registered_groups}
    assert list(groups) == DOCUMENTED_GROUPS
    subcommands = [(info.name, info.callback) for info in groups["ctl"].registered_commands]
    assert subcommands == [(sub.name, sub.function) for sub in ctl.SUBCOMMANDS]
    assert [sub.name for sub in ctl.SUBCOMMANDS] == ["status", "levels", "set-level", "reload", "flush"]
    modules = {path.stem for path in Path(logboot.cli.__file__).parent.glob("*.py")} - NOT_COMMANDS
    assert modules == {command.function.__module__.rpartition(".")[2] for command in COMMANDS} | set(
        DOCUMENTED_GROUPS
    )


@pytest.mark.parametrize("command", ["init", "check", "show", "schema"])
def test_every_command_has_help_with_examples(command: str) -> None:
    """Each command's --help (and -h) has its usage and at least one example."""
    for flag in ("--help", "-h"):
        result = invoke(command, flag)
        assert result.exit_code == 0
        assert f"Usage: logboot {command}" in result.stdout
        assert f"logboot {command}" in result.stdout.partition("Examples:")[2]


def test_no_arguments_shows_the_usage() -> None:
    """logboot alone shows the usage and the commands."""
    result = invoke()
    assert "Usage: logboot" in result.output
    assert "check" in result.output


USAGE_ERRORS = {
    "--bogus": "No such option: --bogus (see 'logboot --help')",
    "check --bogus x.yaml": "No such option: --bogus (see 'logboot check --help')",
    "frobnicate": "No such command 'frobnicate' (see 'logboot --help')",
    "check": "Missing argument 'PATH' (see 'logboot check --help')",
    "init --template prd": (
        "Invalid value for '--template': no template 'prd'; did you mean 'prod'? "
        "(templates: dev, multiprocess, prod, syslog) (see 'logboot init --help')"
    ),
    "bench x.yaml --records 0": (
        "Invalid value for '--records' / '-n': Input should be greater than or equal to 1 "
        "(see 'logboot bench --help')"
    ),
}


@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_piped_usage_errors_are_one_plain_line(args: str) -> None:
    """Piped, an unknown option, command or value (click's usage errors) is one line like every
    other error, never boxed nor wrapped at 80 columns, and exits 2."""
    result = invoke(*args.split())
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"logboot: error: {USAGE_ERRORS[args]}\n"


def test_show_completion_prints_the_bash_script() -> None:
    """`logboot --show-completion bash` prints the bash completion script, and the script's
    protocol completes commands and template names."""
    exe = shutil.which("logboot", path=os.path.dirname(sys.executable))
    assert exe is not None
    shown = subprocess.run([exe, "--show-completion", "bash"], capture_output=True, text=True, check=False)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert "_LOGBOOT_COMPLETE=complete_bash $1" in shown.stdout
    assert shown.stdout.rstrip().endswith("complete -o default -F _logboot_completion logboot")

    def complete(line: str) -> list[str]:
        words = line.split() + ([""] if line.endswith(" ") else [])
        env = {**os.environ, "_LOGBOOT_COMPLETE": "complete_bash", "COMP_WORDS": line}
        env["COMP_CWORD"] = str(len(words) - 1)
        run = subprocess.run([exe], capture_output=True, text=True, env=env, check=True)
        return run.stdout.split()

    assert complete("logboot in") == ["init"]
    assert complete("logboot init --template ") == ["dev", "multiprocess", "prod", "syslog"]


def test_installed_command_piped_usage_error_is_one_line() -> None:
    """The installed `logboot`, its stderr a pipe, prints a usage error as one line, exit 2."""
    exe = shutil.which("logboot", path=os.path.dirname(sys.executable))
    assert exe is not None
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    run = subprocess.run([exe, "init", "--bogus"], capture_output=True, text=True, env=env, check=False)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == "logboot: error: No such option: --bogus (see 'logboot init --help')\n"


@pytest.mark.parametrize(
    "args", [["--help"], [], ["init", "--help"], ["ctl", "--help"], ["ctl", "status", "--help"]]
)
def test_piped_help_is_plain_text_never_boxed_or_wrapped(args: list[str]) -> None:
    """The installed `logboot`, its stdout a pipe: help as plain lines (no box), each as long
    as its text however narrow the terminal says it is, and examples one command a line."""
    exe = shutil.which("logboot", path=os.path.dirname(sys.executable))
    assert exe is not None
    env = {**os.environ, "COLUMNS": "40", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    run = subprocess.run([exe, *args], capture_output=True, text=True, env=env, check=False)
    help_text = run.stdout or run.stderr  # no arguments: the help, as a usage error would be
    assert help_text.startswith("Usage: logboot")
    assert not set("╭╮╰╯│─") & set(help_text)
    assert max(len(line) for line in help_text.splitlines()) > 80  # a long line left whole
    if args[:1] == ["init"]:
        assert "    logboot init --list\n" in help_text  # an example command on a line of its own


def test_import_logboot_never_imports_the_cli() -> None:
    """`import logboot` loads neither typer nor rich."""
    code = (
        "import sys, logboot; print(sorted(m for m in ('typer', 'rich', 'logboot.cli') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def installed_logboot() -> str:
    """The `logboot` executable installed beside this Python."""
    found = shutil.which("logboot", path=str(Path(sys.executable).parent))
    assert found is not None, f"`logboot` is not installed next to {sys.executable}; pip install -e ."
    return found


def test_installed_executable_checks_profiles(tmp_path: Path) -> None:
    """The installed `logboot` runs: exit codes 0, 1 and 2, problems with a caret on stderr."""
    exe = installed_logboot()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, check=False)
    assert (version.returncode, version.stdout) == (0, f"logboot {logboot.__version__}\n")
    valid = subprocess.run(
        [exe, "check", str(REPO / "configs" / "prod.yaml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (valid.returncode, valid.stdout, valid.stderr) == (0, "", "Checked 1 profile: valid.\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nqueues:\n  main: {overflow: drop_new}\n", encoding="utf-8")
    invalid = subprocess.run(
        [exe, "check", "bad.yaml"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert invalid.returncode == 1
    assert invalid.stdout == ""
    assert invalid.stderr.splitlines()[3:6] == [
        "bad.yaml:3:20: queues.main.overflow: expected one of 'block', 'drop_newest', 'drop_oldest', "
        "got 'drop_new'; did you mean 'drop_newest'?",
        " 3 |   main: {overflow: drop_new}",
        "   |                    ^",
    ]
    missing = subprocess.run(
        [exe, "check", "nope.yaml"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert missing.returncode == 2
    assert "no such profile: 'nope.yaml'" in missing.stderr


# --- init -------------------------------------------------------------------------------


def test_init_writes_the_default_template(in_tmp: Path) -> None:
    """init with no arguments writes logboot.yaml from the prod template, then check accepts it."""
    result = invoke("init")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "Wrote logboot.yaml from the 'prod' template. Check it with: logboot check logboot.yaml\n"
    )
    text = (in_tmp / "logboot.yaml").read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_URL}\n")
    assert text == (REPO / "configs" / "prod.yaml").read_text(encoding="utf-8")
    assert invoke("check", "logboot.yaml").exit_code == 0


def test_init_schema_writes_the_schema_beside_the_profile_and_points_at_it(in_tmp: Path) -> None:
    """init --schema also writes logboot.schema.json in the profile's folder, and the profile's
    first line names it relative to the profile, so an editor resolves it offline."""
    result = invoke("init", "--schema", "conf/app.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Wrote conf/app.yaml from the 'prod' template and its JSON Schema to conf/logboot.schema.json. "
        "Check it with: logboot check conf/app.yaml\n"
    )
    text = (in_tmp / "conf" / "app.yaml").read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    assert first == f"# yaml-language-server: $schema=./{SCHEMA_FILE}"
    assert rest == (REPO / "configs" / "prod.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    schema = in_tmp / "conf" / first.rsplit("=", 1)[1]
    assert schema.read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8"))).validate(
        yaml.safe_load(text)
    )
    assert invoke("check", "--strict", "conf/app.yaml").exit_code == 0


def test_init_schema_keeps_the_same_schema_and_refuses_another(in_tmp: Path) -> None:
    """A second profile in the folder reuses the schema file; a different file there is kept
    (exit 1, nothing written) unless --force."""
    assert invoke("init", "--schema", "a.yaml").exit_code == 0
    assert invoke("init", "--schema", "--template", "dev", "b.yaml").exit_code == 0
    (in_tmp / SCHEMA_FILE).write_text("{}\n", encoding="utf-8")
    refused = invoke("init", "--schema", "c.yaml")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"logboot: error: {SCHEMA_FILE!r} already exists; "
        "pass --force to overwrite it, or choose another PATH\n"
    )
    assert not (in_tmp / "c.yaml").exists()
    assert (in_tmp / SCHEMA_FILE).read_text(encoding="utf-8") == "{}\n"
    assert invoke("init", "--schema", "--force", "c.yaml").exit_code == 0
    assert (in_tmp / SCHEMA_FILE).read_text(encoding="utf-8") == schema_text()


def test_the_package_ships_the_schema_logboot_schema_prints() -> None:
    """logboot/logboot.schema.json (package data) is byte for byte what `logboot schema` prints."""
    shipped = resources.files("logboot").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    assert shipped == schema_from_cli_text(), (
        "logboot/logboot.schema.json is out of date: run "
        "`python -m tools.docgen` (or `logboot schema --force -o logboot/logboot.schema.json`)"
    )


def test_init_never_overwrites_without_force(in_tmp: Path) -> None:
    """An existing file is kept (exit 1, clear message); --force replaces it."""
    target = in_tmp / "logboot.yaml"
    target.write_text("mine\n", encoding="utf-8")
    refused = invoke("init", "--template", "dev")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "logboot: error: 'logboot.yaml' already exists; "
        "pass --force to overwrite it, or choose another PATH\n"
    )
    assert target.read_text(encoding="utf-8") == "mine\n"
    forced = invoke("init", "--template", "dev", "--force")
    assert forced.exit_code == 0
    assert target.read_text(encoding="utf-8") == (REPO / "configs" / "dev.yaml").read_text(encoding="utf-8")


def test_init_into_a_folder_and_new_folders(in_tmp: Path) -> None:
    """A folder PATH gets logboot.yaml inside; missing parent folders are created."""
    (in_tmp / "conf").mkdir()
    assert invoke("init", "conf", "-t", "dev").exit_code == 0
    assert (in_tmp / "conf" / "logboot.yaml").exists()
    assert invoke("init", "deep/er/logging.yaml").exit_code == 0
    assert (in_tmp / "deep" / "er" / "logging.yaml").exists()


def test_init_unknown_template_is_a_usage_error(in_tmp: Path) -> None:
    """An unknown template exits 2, names the closest one, and writes nothing."""
    result = invoke("init", "--template", "prd")
    assert result.exit_code == 2
    message = " ".join(result.stderr.replace("│", " ").split())
    assert "no template 'prd'; did you mean 'prod'? (templates: dev, multiprocess, prod, syslog)" in message
    assert not (in_tmp / "logboot.yaml").exists()


def test_init_list_prints_one_line_per_template(in_tmp: Path) -> None:
    """--list prints each template with its one-line summary on stdout, and writes nothing."""
    result = invoke("init", "--list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "dev           everything from DEBUG up, coloured, on standard error.",
        "multiprocess  worker processes log through one queue in the parent.",
        "prod          JSON lines to a rotating file, warnings and above also on stderr.",
        "syslog        forward to a local syslog collector (RFC 5424 over TCP).",
    ]
    assert list(in_tmp.iterdir()) == []


def test_init_unwritable_target_is_an_error(in_tmp: Path) -> None:
    """A target that cannot be written exits 1 with the reason, without a traceback."""
    (in_tmp / "afile").write_text("", encoding="utf-8")
    result = invoke("init", "afile/logboot.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("logboot: error: cannot write 'afile/logboot.yaml': ")
    assert "Traceback" not in result.stderr


# --- check ------------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_every_config_passes_check(config: Path, in_tmp: Path) -> None:
    """Every profile in configs/ passes check, even with --strict (given its optional packages)."""
    for spec in logboot.load_profile(config).sinks.values():
        missing = sinks.missing_dependency(spec.type)
        if missing is not None:
            pytest.skip(f"{config.name} needs logboot[{missing[1]}], which is not installed")
    result = invoke("check", "--strict", str(config))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Checked 1 profile: valid.\n")


def test_check_valid_profiles_is_quiet(in_tmp: Path, write_profile: WriteProfile) -> None:
    """Valid profiles: exit 0, nothing on stdout, one summary line on stderr."""
    write_profile(VALID, "a.yaml")
    write_profile(VALID, "b.yaml")
    result = invoke("check", "a.yaml", "b.yaml")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Checked 2 profiles: all valid.\n")


def test_check_shows_the_source_line_and_a_caret(in_tmp: Path, write_profile: WriteProfile) -> None:
    """Each problem is followed by its source line and a caret under the column."""
    write_profile(VALID.replace("max_size: 100", "max_sise: 100"), "p.yaml")
    result = invoke("check", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr == textwrap.dedent(
        """\
        p.yaml:8:10: queues.main.max_sise: unknown key; did you mean 'max_size'?
         8 |   main: {max_sise: 100, overflow: drop_newest}
           |          ^
        Checked 1 profile: 1 invalid (1 error, 0 warnings).
        """
    )


def test_check_several_files_reports_each(in_tmp: Path, write_profile: WriteProfile) -> None:
    """One invalid file among valid ones fails the run; every file is checked."""
    write_profile(VALID, "good.yaml")
    write_profile("version: 1\nroot: {level: LOUD}\n", "bad.yaml")
    result = invoke("check", "--format", "json", "good.yaml", "bad.yaml")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["summary"] == {"profiles": 2, "invalid": 1, "errors": 1, "warnings": 0}
    assert [(p["file"], p["valid"]) for p in document["profiles"]] == [
        ("good.yaml", True),
        ("bad.yaml", False),
    ]
    problem = document["profiles"][1]["problems"][0]
    assert {k: problem[k] for k in ("file", "line", "column", "path", "severity")} == {
        "file": "bad.yaml",
        "line": 2,
        "column": 15,
        "path": "root.level",
        "severity": "error",
    }


@pytest.mark.parametrize("args", [["missing.yaml"], ["good.yaml", "missing.yaml"], ["."]])
def test_check_missing_file_or_folder_is_a_usage_error(
    args: list[str], in_tmp: Path, write_profile: WriteProfile
) -> None:
    """A missing file or a folder exits 2 before anything is checked."""
    write_profile(VALID, "good.yaml")
    result = invoke("check", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no such profile: 'missing.yaml'" in result.stderr or "is a folder" in result.stderr


def test_check_format_must_be_text_or_json(in_tmp: Path, write_profile: WriteProfile) -> None:
    """An unknown --format is a usage error."""
    write_profile(VALID, "good.yaml")
    assert invoke("check", "--format", "xml", "good.yaml").exit_code == 2


def test_strict_turns_warnings_into_failures(in_tmp: Path, write_profile: WriteProfile) -> None:
    """Warnings pass by default and fail with --strict, in text and JSON."""
    write_profile(VALID.replace("sinks: [console, app]", "sinks: [console]"), "p.yaml")
    lenient = invoke("check", "p.yaml")
    assert lenient.exit_code == 0
    assert "p.yaml:6:3: sinks.app: warning: no listener uses this sink" in lenient.stderr
    assert lenient.stderr.endswith("Checked 1 profile: valid (1 warning).\n")
    strict = invoke("check", "--strict", "p.yaml")
    assert strict.exit_code == 1
    assert strict.stderr.endswith(
        "Checked 1 profile: 1 invalid (0 errors, 1 warning; warnings fail with --strict).\n"
    )
    document = json.loads(invoke("check", "--strict", "--format", "json", "p.yaml").stdout)
    assert (document["valid"], document["strict"], document["summary"]["warnings"]) == (False, True, 1)


def test_unbounded_queue_is_a_warning(in_tmp: Path, write_profile: WriteProfile) -> None:
    """max_size: 0 is valid but warned about, at the key."""
    write_profile(VALID.replace("max_size: 100", "max_size: 0"), "p.yaml")
    result = invoke("check", "p.yaml")
    assert result.exit_code == 0
    assert result.stderr.startswith("p.yaml:8:10: queues.main.max_size: warning: the queue is unbounded")


def test_check_creates_nothing(in_tmp: Path, write_profile: WriteProfile) -> None:
    """Checking a profile whose log folders do not exist yet creates none of them."""
    write_profile(VALID.replace('"logs/app.log"', '"a/b/c/app.log"'), "p.yaml")
    assert invoke("check", "p.yaml").exit_code == 0
    assert sorted(p.name for p in in_tmp.iterdir()) == ["p.yaml"]


def test_check_finds_a_log_folder_that_cannot_be_created(in_tmp: Path, write_profile: WriteProfile) -> None:
    """A log path under a file cannot have its folder created: an error at the path."""
    (in_tmp / "taken").write_text("", encoding="utf-8")
    write_profile(VALID.replace('"logs/app.log"', '"taken/logs/app.log"'), "p.yaml")
    result = invoke("check", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "p.yaml:6:27: sinks.app.path: cannot create the folder 'taken/logs' for the log file: "
        "'taken' is not a folder; choose another path"
    )


_CHECK_AS = """\
import contextlib, io, os, sys
import logboot.profile.loading, logboot.profile.preflight  # validation loads lazily: import it while readable
from logboot.cli import main  # imported while the interpreter is readable by whoever we are
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    main(["check", "--help"])  # typer and click import parts of themselves on first parse
uid, gid = int(sys.argv[1]), int(sys.argv[2])
if os.geteuid() != uid:  # root ignores permissions: check as an unprivileged user
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
main(["check", *sys.argv[3:]])
"""


def unprivileged_user() -> tuple[int, int]:
    """This user when it is not root; else ``nobody``, whom permissions apply to."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    import pwd

    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        pytest.fail("running as root and there is no user 'nobody' to check permissions as")
    return user.pw_uid, user.pw_gid


def test_check_finds_an_unwritable_log_folder(write_profile: WriteProfile) -> None:
    """A log folder without write permission is an error; so is a read-only log file.

    Run as an unprivileged user (``nobody`` when the tests run as root), in a folder that
    user can read.
    """
    uid, gid = unprivileged_user()
    shared = Path(tempfile.mkdtemp(prefix="logboot-cli-"))
    try:
        shared.chmod(0o755)
        locked = shared / "locked"
        locked.mkdir()
        (locked / "old.log").write_text("", encoding="utf-8")
        (locked / "old.log").chmod(0o444)
        locked.chmod(0o555)
        for name, path in (("p.yaml", "locked/sub/app.log"), ("q.yaml", "locked/old.log")):
            (shared / name).write_text(VALID.replace('"logs/app.log"', f'"{path}"'), encoding="utf-8")
            (shared / name).chmod(0o644)
        done = subprocess.run(
            [sys.executable, "-c", _CHECK_AS, str(uid), str(gid), "p.yaml", "q.yaml"],
            check=False,
            cwd=shared,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.returncode == 1, done.stderr
        assert (
            "p.yaml:6:27: sinks.app.path: cannot create the folder 'locked/sub' for the log file: "
            "'locked' is not writable"
        ) in done.stderr
        assert "q.yaml:6:27: sinks.app.path: the log file 'locked/old.log' is not writable by this user" in (
            done.stderr
        )
        assert not (locked / "sub").exists()
    finally:
        locked.chmod(0o755)
        shutil.rmtree(shared)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_check_refuses_a_symlink_at_the_log_path(in_tmp: Path, write_profile: WriteProfile) -> None:
    """A symlink at the log path is an error, as setup_logging would refuse it."""
    (in_tmp / "logs").mkdir()
    (in_tmp / "logs" / "app.log").symlink_to(in_tmp / "elsewhere.log")
    write_profile(VALID, "p.yaml")
    result = invoke("check", "p.yaml")
    assert result.exit_code == 1
    assert "sinks.app.path: 'logs/app.log' is a symlink" in result.stderr


def test_check_names_a_missing_optional_dependency(
    in_tmp: Path, write_profile: WriteProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sink type whose optional package is missing: an error with the exact pip install."""
    monkeypatch.setitem(sinks.OPTIONAL_DEPENDENCIES, "file", ("logboot_no_such_module", "files"))
    write_profile(VALID, "p.yaml")
    result = invoke("check", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "p.yaml:6:15: sinks.app.type: sink type 'file' needs the package 'logboot_no_such_module', "
        "which is not installed; install it with: pip install 'logboot[files]'"
    )


def test_check_paths_from_extends_are_shown_relative(in_tmp: Path, write_profile: WriteProfile) -> None:
    """A problem in a base file is shown at that file, relative to the current folder."""
    (in_tmp / "base").mkdir()
    write_profile(VALID.replace("level: INFO", "level: LOUD"), "base/common.yaml")
    write_profile("extends: base/common.yaml\nloggers:\n  app: {level: DEBUG}\n", "top.yaml")
    result = invoke("check", "top.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"base{os.sep}common.yaml:11:15: root.level: expected one of")


def test_colour_follows_the_environment(in_tmp: Path, write_profile: WriteProfile) -> None:
    """No colour when piped; FORCE_COLOR adds it; NO_COLOR wins over FORCE_COLOR."""
    write_profile("version: 1\nroot: {level: LOUD}\n", "p.yaml")
    assert "\x1b[" not in invoke("check", "p.yaml").stderr
    assert "\x1b[" in invoke("check", "p.yaml", env={"FORCE_COLOR": "1"}).stderr
    assert "\x1b[" not in invoke("check", "p.yaml", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stderr
    assert "\x1b[" not in invoke("check", "--format", "json", "p.yaml", env={"FORCE_COLOR": "1"}).stdout


def test_internal_errors_are_short_unless_debugging(
    in_tmp: Path, write_profile: WriteProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug prints one line and a hint; --debug (before or after the command) adds the traceback."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("logboot.cli.show.check_profile", broken)
    write_profile(VALID, "p.yaml")
    quiet = invoke("show", "p.yaml")
    assert quiet.exit_code == 1
    assert quiet.stderr == (
        "logboot: internal error: RuntimeError: boom\n(run again with --debug to see the traceback)\n"
    )
    for args in (["--debug", "show", "p.yaml"], ["show", "--debug", "p.yaml"]):
        loud = invoke(*args)
        assert loud.exit_code == 1
        assert loud.stderr.startswith("Traceback (most recent call last):")
        assert loud.stderr.endswith("logboot: internal error: RuntimeError: boom\n")


# --- show -------------------------------------------------------------------------------


def test_show_draws_the_topology(in_tmp: Path, write_profile: WriteProfile) -> None:
    """show draws loggers -> queue -> listener -> sinks on stdout."""
    write_profile(VALID, "p.yaml")
    result = invoke("show", "p.yaml")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == textwrap.dedent(
        """\
        profile p.yaml
        ├── logger root (level INFO)
        │   └── queue main (thread; max_size 100; overflow drop_newest)
        │       └── listener main (batch_size 1024)
        │           ├── sink console: console -> stderr (level WARNING; default formatter)
        │           └── sink app: file -> logs/app.log (all levels; formatter json)
        ├── logger urllib3 (level WARNING; propagates to its parent)
        └── shutdown: timeout 5s, signals none
        """
    )


def test_show_draws_every_branch(in_tmp: Path, write_profile: WriteProfile) -> None:
    """A second logger on a drawn queue, a queue fed by none and an unused sink are all shown."""
    write_profile(
        """\
        version: 1
        filters:
          app_only: {type: name, prefix: app}
        sinks:
          console: {type: console, filters: [app_only]}
          spare: {type: "null"}
        queues:
          main: {max_size: 0, filters: [app_only]}
          idle: {kind: thread}
        listeners:
          main: {queue: main, sinks: [console]}
          idle: {queue: idle, sinks: [console]}
        root: {queue: main}
        loggers:
          app: {queue: main, propagate: true, filters: [app_only]}
          quiet: {propagate: false}
        shutdown: {timeout: 1.5, signals: [SIGTERM, SIGINT]}
        """,
        "p.yaml",
    )
    result = invoke("show", "p.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == textwrap.dedent(
        """\
        profile p.yaml
        ├── logger root (level WARNING)
        │   └── queue main (thread; unbounded; overflow block; filters app_only)
        │       └── listener main (batch_size 1024)
        │           └── sink console: console -> stderr (all levels; default formatter; filters app_only)
        ├── logger app (level inherited; filters app_only; also propagates)
        │   └── queue main (shown above)
        ├── logger quiet (level inherited; does not propagate)
        ├── queue idle (thread; max_size 10000; overflow block)
        │   └── listener idle (batch_size 1024)
        │       └── sink console: console -> stderr (all levels; default formatter; filters app_only)
        ├── unused sinks
        │   └── sink spare: null -> discards (all levels; default formatter)
        └── shutdown: timeout 1.5s, signals SIGTERM, SIGINT
        """
    )


def test_show_json_is_the_description(in_tmp: Path, write_profile: WriteProfile) -> None:
    """show --format json prints the same topology as data."""
    path = write_profile(VALID, "p.yaml")
    result = invoke("show", "--format", "json", "p.yaml")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == describe_profile(logboot.load_profile("p.yaml")).to_dict()
    assert data["sinks"][1]["target"] == "logs/app.log"
    assert path.exists()


def test_show_invalid_profile_exits_1(in_tmp: Path, write_profile: WriteProfile) -> None:
    """An invalid profile: its problems on stderr, nothing drawn, exit 1; a missing one exits 2."""
    write_profile("version: 1\nroot: {level: LOUD}\n", "p.yaml")
    result = invoke("show", "p.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        result.stderr.splitlines()[-1]
        == "logboot: error: p.yaml is not a valid profile (1 error); nothing to show"
    )
    assert invoke("show", "missing.yaml").exit_code == 2


# --- schema -----------------------------------------------------------------------------


def schema_from_cli_text() -> str:
    result = invoke("schema")
    assert result.exit_code == 0
    assert result.stderr == ""
    return result.stdout


def schema_from_cli() -> dict[str, object]:
    data: dict[str, object] = json.loads(schema_from_cli_text())
    return data


def test_schema_prints_the_json_schema() -> None:
    """schema prints the JSON Schema of the models, a valid 2020-12 schema with our $id."""
    data = schema_from_cli()
    assert data == json_schema()
    assert data["$id"] == SCHEMA_URL
    jsonschema.Draft202012Validator.check_schema(data)


def test_schema_output_file(in_tmp: Path) -> None:
    """-o writes the schema to a file (creating its folder); `-o -` means stdout."""
    result = invoke("schema", "-o", ".vscode/logboot.schema.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    written = json.loads((in_tmp / ".vscode" / "logboot.schema.json").read_text(encoding="utf-8"))
    assert written == json_schema()
    assert json.loads(invoke("schema", "-o", "-").stdout) == written


def test_schema_never_overwrites_without_force(in_tmp: Path) -> None:
    """-o refuses an existing file as init, import and export do (exit 1, the same line); --force
    replaces it."""
    target = in_tmp / "logboot.schema.json"
    target.write_text("mine\n", encoding="utf-8")
    refused = invoke("schema", "-o", "logboot.schema.json")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        "logboot: error: 'logboot.schema.json' already exists; "
        "pass --force to overwrite it, or choose another FILE\n"
    )
    assert target.read_text(encoding="utf-8") == "mine\n"
    exported = invoke("export", str(REPO / "configs" / "prod.yaml"), "-o", "logboot.schema.json")
    assert (exported.exit_code, exported.stderr) == (refused.exit_code, refused.stderr)
    forced = invoke("schema", "--force", "-o", "logboot.schema.json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(target.read_text(encoding="utf-8")) == json_schema()


def test_schema_unwritable_output_is_an_error_with_debug_traceback(in_tmp: Path) -> None:
    """An unwritable -o exits 1 with one line; --debug shows the chained traceback."""
    (in_tmp / "afile").write_text("", encoding="utf-8")
    quiet = invoke("schema", "-o", "afile/schema.json")
    assert quiet.exit_code == 1
    assert quiet.stderr.startswith("logboot: error: cannot write the schema to 'afile/schema.json': ")
    assert "Traceback" not in quiet.stderr
    loud = invoke("schema", "--debug", "-o", "afile/schema.json")
    assert loud.exit_code == 1
    assert "The above exception was the direct cause of the following exception" in loud.stderr


def test_every_schema_field_is_described_with_examples() -> None:
    """Every property of every model in the schema has a description and examples."""
    data = json_schema()
    models = [data, *data["$defs"].values()]
    missing = [
        f"{model.get('title')}.{name}"
        for model in models
        for name, prop in model.get("properties", {}).items()
        if not prop.get("description") or not prop.get("examples")
    ]
    assert missing == []


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_schema_accepts_every_config(config: Path) -> None:
    """Every profile in configs/ (extends merged, variables expanded) is valid under the schema."""
    doc = read_profile(config)
    assert doc.problems == []
    jsonschema.Draft202012Validator(schema_from_cli()).validate(doc.data)


INVALID_DOCUMENTS = {
    "wrong version": "version: 2\n",
    "no version": "sinks: {}\n",
    "unknown section": "version: 1\nsink: {}\n",
    "unknown sink type": "version: 1\nsinks:\n  a: {type: rotatin_file, path: x.log}\n",
    "sink without type": "version: 1\nsinks:\n  a: {path: x.log}\n",
    "unknown sink key": "version: 1\nsinks:\n  a: {type: console, colour: auto}\n",
    "bad overflow": "version: 1\nqueues:\n  main: {overflow: drop_new}\n",
    "negative max_size": "version: 1\nqueues:\n  main: {max_size: -1}\n",
    "bad level": "version: 1\nroot: {level: LOUD}\n",
    "bad size": "version: 1\nsinks:\n  a: {type: rotating_file, path: x.log, max_bytes: 10 parsecs}\n",
    "bad duration": "version: 1\nshutdown: {timeout: soon}\n",
    "listener without sinks": "version: 1\nlisteners:\n  main: {queue: main}\n",
    "listener with no sinks": "version: 1\nlisteners:\n  main: {queue: main, sinks: []}\n",
    "bad signal": "version: 1\nshutdown: {signals: [SIGFOO]}\n",
    "filters not a list": "version: 1\nroot: {filters: app_only}\n",
    "root not a mapping": "version: 1\nroot: INFO\n",
    "bad formatter field": "version: 1\nformatters:\n  j: {type: json, fields: [time, colour]}\n",
}


@pytest.mark.parametrize("name", INVALID_DOCUMENTS)
def test_schema_rejects_what_load_profile_rejects(name: str, tmp_path: Path) -> None:
    """Each invalid document is rejected by the JSON Schema and by load_profile alike."""
    text = INVALID_DOCUMENTS[name]
    validator = jsonschema.Draft202012Validator(json_schema())
    assert not validator.is_valid(yaml.safe_load(text))
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError):
        logboot.load_profile(path)


# --- output helpers ---------------------------------------------------------------------


def test_caret_keeps_tabs_aligned(tmp_path: Path) -> None:
    """The caret line repeats the tabs of the source line, so it stays under the column."""
    path = tmp_path / "p.yaml"
    path.write_text("a:\n\tb: x\n", encoding="utf-8")
    problem = Problem(str(path), 2, 5, "a.b", "bad")
    text = problem_text(problem, SourceLines()).plain
    assert text.splitlines()[1:] == [" 2 | \tb: x", "   | \t   ^"]


def test_problems_without_source_have_no_snippet() -> None:
    """A problem in a file that cannot be read is printed alone."""
    problem = Problem("nowhere.yaml", 3, 1, "", "gone")
    assert problem_text(problem, SourceLines()).plain == "nowhere.yaml:3:1: gone"


def test_display_path_is_relative_inside_the_current_folder(in_tmp: Path) -> None:
    """Absolute paths below the current folder are shown relative; others as given."""
    assert display_path(str(in_tmp / "a" / "b.yaml")) == os.path.join("a", "b.yaml")
    assert display_path("/elsewhere/b.yaml") == "/elsewhere/b.yaml"
    assert display_path("rel.yaml") == "rel.yaml"
