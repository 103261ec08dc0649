"""Hostile profiles: whatever the text or the file, reading a profile ends in a located ``ProfileError``.

A profile may come from someone else (a pull request that CI checks, a shared config
repository). Reading it must never disclose a file outside its own folder, hang, eat
memory, or end in anything but a ``ProfileError`` that says where and what.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirunner import runner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import logboot
from logboot.cli import app
from logboot.errors import ProfileError
from logboot.profile.files import MAX_PROFILE_BYTES
from logboot.profile.loading import check_profile, load_profile
from logboot.profile.reading import EXTENDS_ROOTS_ENV, MAX_EXTENDS, MAX_NESTING, read_text

MARKER = "MARKER-TOKEN-7f3a"
# A file outside the profile's folder: valid YAML whose keys would be "unknown key" errors,
# so reading it would print its lines in `check`'s excerpts.
SECRET_TEXT = f"{MARKER}: leaked\nnested:\n  {MARKER}: again\n"
PLAIN_ENV = {"NO_COLOR": None, "FORCE_COLOR": None, EXTENDS_ROOTS_ENV: None}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``prof/`` (the profile's folder) beside ``outside/secret.yaml``."""
    (tmp_path / "prof").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.yaml").write_text(SECRET_TEXT, encoding="utf-8")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(err: pytest.ExceptionInfo[ProfileError]) -> str:
    assert len(err.value.problems) == 1, err.value.problems
    return str(err.value.problems[0])


def outside(ref: str, root: Path) -> str:
    """The message of a refused ``extends`` (without its place)."""
    return (
        f"{ref!r} is outside the profile's folder {str(root.resolve())!r}; a profile may extend only "
        f"files inside it. To allow another folder: --extends-root DIR, extends_roots=[...] "
        f"or ${EXTENDS_ROOTS_ENV}"
    )


# --- 1. extends stays inside the profile's folder ---------------------------------------------


def test_extends_outside_the_folder_is_refused_in_each_shape(tree: Path) -> None:
    """An ``extends`` that leads outside the profile's folder, however spelled, is a located error."""
    prof, secret = tree / "prof", tree / "outside" / "secret.yaml"
    (prof / "link.yaml").symlink_to(secret)
    (prof / "linked_folder").symlink_to(tree / "outside", target_is_directory=True)
    shapes = {
        "dotdot": "../outside/secret.yaml",
        "absolute": str(secret),
        "deep_dotdot": "../" * 40 + str(secret).lstrip("/"),
        "symlinked_file": "link.yaml",
        "symlinked_folder": "linked_folder/secret.yaml",
        "variable": "${OUTSIDE_DIR}/secret.yaml",
    }
    for name, ref in shapes.items():
        top = write(prof / f"{name}.yaml", f'version: 1\nextends: "{ref}"\n')
        with pytest.raises(ProfileError) as err:
            load_profile(top, {"OUTSIDE_DIR": str(tree / "outside")})
        shown = ref.replace("${OUTSIDE_DIR}", str(tree / "outside"))
        assert only_problem(err) == f"{top}:2:10: extends: {outside(shown, prof)}", name
        assert MARKER not in str(err.value)


def test_a_base_inside_cannot_extend_outside(tree: Path) -> None:
    """The folder is the top-level profile's: a base inside it cannot lead out either."""
    prof = tree / "prof"
    base = write(prof / "bases" / "base.yaml", "extends: ../../outside/secret.yaml\n")
    top = write(prof / "top.yaml", "version: 1\nextends: bases/base.yaml\n")
    with pytest.raises(ProfileError) as err:
        load_profile(top, {})
    assert only_problem(err) == f"{base}:1:10: extends: {outside('../../outside/secret.yaml', prof)}"
    ok = write(prof / "bases" / "ok.yaml", "extends: ../common.yaml\n")
    write(prof / "common.yaml", "version: 1\n")
    assert load_profile(write(prof / "top2.yaml", f"extends: {ok.relative_to(prof)}\n"), {}).version == 1


def test_check_never_prints_a_file_outside_the_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``check`` (text and JSON) names the refused ``extends`` and shows none of the outside file."""
    prof = tree / "prof"
    write(prof / "secret.yaml", "extends: ../outside/secret.yaml\nversion: 1\n")
    passwd = "../" * 30 + "etc/passwd"
    write(prof / "passwd.yaml", f"version: 1\nextends: {passwd}\n")
    monkeypatch.chdir(prof)
    text = runner().invoke(app, ["check", "secret.yaml", "passwd.yaml"], env=PLAIN_ENV)
    assert text.exit_code == 1
    assert (
        text.stderr.splitlines()[0] == f"secret.yaml:1:10: extends: {outside('../outside/secret.yaml', prof)}"
    )
    assert f"passwd.yaml:2:10: extends: {outside(passwd, prof)}" in text.stderr.splitlines()
    as_json = runner().invoke(app, ["check", "--format", "json", "secret.yaml", "passwd.yaml"], env=PLAIN_ENV)
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert [p["path"] for r in report["profiles"] for p in r["problems"]] == ["extends", "extends"]
    for output in (text.stdout, text.stderr, as_json.stdout, as_json.stderr):
        assert MARKER not in output
        assert "root:" not in output  # the first line of /etc/passwd


def test_extends_roots_allow_another_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another folder is allowed by ``extends_roots=``, ``$LOGBOOT_EXTENDS_ROOTS`` or ``--extends-root``."""
    shared = tree / "shared"
    write(shared / "base.yaml", "version: 1\nroot: {level: DEBUG}\n")
    top = write(tree / "prof" / "top.yaml", "extends: ../shared/base.yaml\n")
    assert load_profile(top, {}, extends_roots=[shared]).root.level == 10
    assert load_profile(top, {}, extends_roots=str(shared)).root.level == 10
    env = {EXTENDS_ROOTS_ENV: os.pathsep.join(["", "/nonexistent", str(shared)])}
    assert load_profile(top, env).root.level == 10
    assert check_profile(top, {}, extends_roots=[tree / "shared" / "sub" / ".."]).ok
    with pytest.raises(
        ProfileError, match=r"^.*top\.yaml:1:10: extends: '\.\./shared/base\.yaml' is outside .*$"
    ):
        load_profile(top, {}, extends_roots=[tree / "prof"])
    monkeypatch.chdir(tree / "prof")
    for command in (["check"], ["show"], ["export"]):
        refused = runner().invoke(app, [*command, "top.yaml"], env=PLAIN_ENV)
        assert refused.exit_code == 1, command
        assert "top.yaml:1:10: extends: '../shared/base.yaml' is outside" in refused.stderr
        allowed = runner().invoke(app, [*command, "--extends-root", "../shared", "top.yaml"], env=PLAIN_ENV)
        assert allowed.exit_code == 0, (command, allowed.stderr)
        by_env = runner().invoke(
            app, [*command, "top.yaml"], env={**PLAIN_ENV, EXTENDS_ROOTS_ENV: str(shared)}
        )
        assert by_env.exit_code == 0, command
    bench = runner().invoke(app, ["bench", "--records", "1", "top.yaml"], env=PLAIN_ENV)
    assert bench.exit_code == 1
    assert "top.yaml:1:10: extends: '../shared/base.yaml' is outside" in bench.stderr
    assert "--extends-root" in runner().invoke(app, ["bench", "--help"], env=PLAIN_ENV).stdout


def test_a_profile_cannot_allow_a_folder_itself(tree: Path) -> None:
    """A profile that names an extends root for itself gains nothing: the key is unknown, the base refused."""
    top = write(
        tree / "prof" / "top.yaml", "version: 1\nextends_roots: [..]\nextends: ../outside/secret.yaml\n"
    )
    with pytest.raises(ProfileError) as err:
        load_profile(top, {})
    assert [p.path for p in err.value.problems] == ["extends_roots", "extends"]


def test_setup_logging_takes_extends_roots_and_the_cache_never_widens_them(tree: Path) -> None:
    """``setup_logging(extends_roots=)`` allows a folder; a start without it is refused, cached or not."""
    shared = tree / "shared"
    write(shared / "base.yaml", "version: 1\nroot: {level: DEBUG}\n")
    top = write(tree / "prof" / "top.yaml", "extends: ../shared/base.yaml\n")
    with logboot.setup_logging(top, extends_roots=[shared]):
        pass
    with pytest.raises(
        ProfileError, match=r"^.*top\.yaml:1:10: extends: '\.\./shared/base\.yaml' is outside .*$"
    ):
        logboot.setup_logging(top)


# --- 2. only ProfileError escapes -------------------------------------------------------------

BAD_SCALARS = [
    ("!!int abc", "'abc' is not a valid YAML int"),
    ("!!float x", "'x' is not a valid YAML float"),
    ("!!bool maybe", "'maybe' is not a valid YAML bool"),
    ("!!int 0b", "'0b' is not a valid YAML int"),
    ("!!int 0x", "'0x' is not a valid YAML int"),
    ("!!int 0o9", "'0o9' is not a valid YAML int"),
    ("!!int :1", "':1' is not a valid YAML int"),
    ("!!int 1:2:x", "'1:2:x' is not a valid YAML int"),
    ("!!int +", "'+' is not a valid YAML int"),
    ("!!float .", "'.' is not a valid YAML float"),
    ("!!float 1:x", "'1:x' is not a valid YAML float"),
    ("0b_", "'0b_' is not a valid YAML int"),
    ("0x_", "'0x_' is not a valid YAML int"),
    ("+0b_", "'+0b_' is not a valid YAML int"),
    ("!!int " + "9" * 5000, f"'{'9' * 57}...' is not a valid YAML int"),
]


@pytest.mark.parametrize(("value", "message"), BAD_SCALARS, ids=[v[:12] for v, _ in BAD_SCALARS])
def test_bad_scalar_values_are_located(value: str, message: str, tmp_path: Path) -> None:
    """A scalar YAML cannot convert (explicit tag or YAML 1.1 number) is a located error."""
    path = write(tmp_path / "p.yaml", f"version: 1\nroot:\n  level: {value}\n")
    fix = "; write a valid value, or quote it to keep it as text"
    with pytest.raises(ProfileError, match=rf"^{re.escape(f'{path}:3:10: root.level: {message}{fix}')}$"):
        load_profile(path, {})


DEEP = {
    "flow_lists": "a: " + "[" * 10_000 + "\n",
    "flow_maps": "a: " + "{" * 10_000 + "\n",
    "closed_flow_lists": "a: " + "[" * 3_000 + "]" * 3_000 + "\n",
    "block_maps": "".join(" " * i + "k:\n" for i in range(1_000)),
    "block_lists": "".join(" " * i + "-\n" for i in range(1_000)),
}


@pytest.mark.parametrize("case", sorted(DEEP))
def test_deep_nesting_is_a_located_error(case: str, tmp_path: Path) -> None:
    """Nesting deeper than the limit is one located error, never a RecursionError."""
    path = write(tmp_path / "p.yaml", DEEP[case])
    with pytest.raises(ProfileError) as err:
        load_profile(path, {})
    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+:\d+: (\S+: )?the profile nests deeper than {MAX_NESTING} levels; "
        r"a profile needs only a few",
        only_problem(err),
    )


def test_aliases_cannot_nest_deeper_than_the_limit(tmp_path: Path) -> None:
    """Aliases that stack nested lists past the limit are a located error too."""
    lines = ["a0: &a0 [" + "[" * 50 + "]" * 50 + "]"]
    lines += [f"a{i}: &a{i} [" + "[" * 50 + f"*a{i - 1}" + "]" * 50 + "]" for i in range(1, 40)]
    path = write(tmp_path / "p.yaml", "\n".join(lines) + "\n")
    with pytest.raises(ProfileError, match=rf"^.*nests deeper than {MAX_NESTING} levels.*$"):
        load_profile(path, {})


def test_a_long_extends_chain_is_a_located_error(tmp_path: Path) -> None:
    """A chain of 1,000 ``extends`` stops at the limit with a located error; a short chain merges."""
    for i in range(1_000):
        write(tmp_path / f"p{i}.yaml", f"extends: p{i + 1}.yaml\n")
    write(tmp_path / "p1000.yaml", "version: 1\n")
    with pytest.raises(ProfileError) as err:
        load_profile(tmp_path / "p0.yaml", {})
    last = tmp_path / f"p{MAX_EXTENDS - 1}.yaml"
    assert only_problem(err) == (
        f"{last.resolve()}:1:10: extends: 'p{MAX_EXTENDS}.yaml' would make a chain of more than "
        f"{MAX_EXTENDS} files; merge some of them"
    )
    start = 1_000 - MAX_EXTENDS + 1
    assert load_profile(tmp_path / f"p{start}.yaml", {}).version == 1


def test_extends_itself_and_a_cycle_are_located(tmp_path: Path) -> None:
    """A file that extends itself, or a cycle through a symlink, is a located error."""
    me = write(tmp_path / "me.yaml", "version: 1\nextends: ./me.yaml\n")
    with pytest.raises(
        ProfileError, match=rf"^{re.escape(str(me))}:2:10: extends: './me\.yaml' extends itself \(a cycle\)$"
    ):
        load_profile(me, {})
    (tmp_path / "alias.yaml").symlink_to(tmp_path / "back.yaml")
    back = write(tmp_path / "back.yaml", "extends: alias.yaml\n")
    with pytest.raises(
        ProfileError, match=r"^.*back\.yaml:1:10: extends: 'alias\.yaml' extends itself \(a cycle\)$"
    ):
        load_profile(back, {})


PIECES = [
    "[", "]", "{", "}", ": ", ":", "- ", "-", "? ", ",", "\n", "  ", " ", "\t", "'", '"', "#", "|", ">",
    "&a ", "*a", "<<: ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!binary ", "!!timestamp ",
    "!!map ", "!!seq ", "!!set ", "!x ", "!!python/name:os.system ", "%YAML 1.1\n", "---\n", "...\n",
    "0b", "0x", "0o", "0", "1", "9", "_", ".", "+", "e", ":1", "1:2", ".inf", ".nan", "~", "null", "yes",
    "2001-12-14", "$", "${", "$$", "${X", ":-", "\\", "\\x00", "\x00", "\ufeff", "\x85", "\u2028", "é",
    "version: 1\n", "extends: ", "root", "level", "sinks", "version",
]  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_fuzz_only_profile_errors_escape(text: str) -> None:
    """Any short text of YAML punctuation, tags and numbers loads or raises a located ProfileError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_profile(path, {"X": "x"})
        except ProfileError as err:
            assert err.problems
            assert all(p.line >= 1 and p.column >= 1 and p.file for p in err.problems)


# --- 3. files that are not profiles ---------------------------------------------------------------


@pytest.fixture
def odd_files(tmp_path: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Paths that are not regular files, with the kind logboot names."""
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.yaml"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(sock_path))
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    yield {
        "fifo": (fifo, "a FIFO (named pipe)"),
        "socket": (sock_path, "a socket"),
        "folder": (folder, "a folder"),
        "dev_zero": (Path("/dev/zero"), "a character device"),
        "dev_urandom": (Path("/dev/urandom"), "a character device"),
    }
    sock.close()


@pytest.mark.timeout(20)
def test_a_profile_that_is_not_a_regular_file_is_refused_at_once(
    odd_files: dict[str, tuple[Path, str]],
) -> None:
    """A FIFO, a device, a folder or a socket given as the profile is refused without reading it."""
    for name, (path, kind) in odd_files.items():
        expected = f"{path}:1:1: cannot read the profile: it is {kind}, not a regular file"
        with pytest.raises(ProfileError, match=rf"^{re.escape(expected)}$"):
            load_profile(path, {})
        assert name


@pytest.mark.timeout(20)
def test_extends_that_is_not_a_regular_file_is_refused_at_once(
    odd_files: dict[str, tuple[Path, str]], tmp_path: Path
) -> None:
    """A FIFO, a device, a folder or a socket named by ``extends`` is a located error, at once."""
    for name, (path, kind) in odd_files.items():
        top = write(tmp_path / f"top_{name}.yaml", f"version: 1\nextends: {path}\n")
        expected = f"{top}:2:10: extends: cannot read {str(path)!r}: it is {kind}, not a regular file"
        with pytest.raises(ProfileError, match=rf"^{re.escape(expected)}$"):
            load_profile(top, {}, extends_roots=["/dev"])


@pytest.mark.timeout(20)
def test_a_profile_larger_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    """A profile above 1 MiB (alone, sparse, or with what it extends) is refused without being parsed."""
    assert MAX_PROFILE_BYTES == 1024 * 1024
    too_big = write(tmp_path / "big.yaml", "version: 1\n" + "#" * MAX_PROFILE_BYTES + "\n")
    message = "it is larger than 1 MiB, the most a profile and the files it extends may hold together"
    with pytest.raises(
        ProfileError, match=rf"^{re.escape(f'{too_big}:1:1: cannot read the profile: {message}')}$"
    ):
        load_profile(too_big, {})
    sparse = tmp_path / "sparse.yaml"
    with sparse.open("wb") as file:
        file.truncate(1 << 40)
    with pytest.raises(
        ProfileError, match=rf"^.*sparse\.yaml:1:1: cannot read the profile: {re.escape(message)}$"
    ):
        load_profile(sparse, {})
    half = "#" * (MAX_PROFILE_BYTES // 2 + 10) + "\n"
    write(tmp_path / "half.yaml", "version: 1\n" + half)
    top = write(tmp_path / "top.yaml", "extends: half.yaml\n" + half)
    with pytest.raises(
        ProfileError, match=rf"^.*top\.yaml:1:10: extends: cannot read 'half\.yaml': {re.escape(message)}$"
    ):
        load_profile(top, {})


def many_loggers(size: int, extends: str = "") -> str:
    """A realistic big profile: sinks, a long list of them, long strings, and loggers up to ``size`` bytes."""
    head = [extends, "version: 1", "formatters:", f"  text: {{type: text, format: '{'{message} ' * 200}'}}"]
    head += ["queues:", "  main: {kind: thread, max_size: 10000}", "sinks:"]
    head += [f"  s{i}: {{type: 'null', level: INFO, formatter: text}}" for i in range(200)]
    head += ["listeners:", "  main:", "    queue: main", "    sinks:"] + [f"      - s{i}" for i in range(200)]
    head += ["root: {level: INFO, queue: main}", "loggers:"]
    text = "\n".join(head) + "\n"
    lines: list[str] = []
    i = 0
    while len(text) + sum(len(line) for line in lines) + 100 < size:
        lines.append(
            f"  service.component{i}.{'sub' * 10}: {{level: DEBUG, queue: main, propagate: false}}\n"
        )
        i += 1
    return text + "".join(lines)


@pytest.mark.timeout(60)
def test_a_profile_just_under_the_limit_loads(tmp_path: Path) -> None:
    """A profile of many loggers just under 1 MiB loads (the timeout only guards against a hang)."""
    path = write(tmp_path / "big.yaml", many_loggers(MAX_PROFILE_BYTES - 1_000))
    assert MAX_PROFILE_BYTES - 2_000 < path.stat().st_size < MAX_PROFILE_BYTES
    profile = load_profile(path, {})
    assert len(profile.sinks) == 200
    assert len(profile.loggers) > 5_000


@pytest.mark.timeout(60)
def test_a_big_profile_over_a_base_loads(tmp_path: Path) -> None:
    """Merging a big profile over the base it extends is linear (it took 71 s for 1 MB)."""
    write(tmp_path / "base.yaml", "version: 1\nloggers:\n  base.one: {level: INFO}\n")
    path = write(tmp_path / "top.yaml", many_loggers(MAX_PROFILE_BYTES - 50_000, "extends: base.yaml"))
    profile = load_profile(path, {})
    assert "base.one" in profile.loggers
    assert len(profile.loggers) > 5_000


@pytest.mark.timeout(60)
def test_many_dangling_names_are_reported_quickly_and_briefly(tmp_path: Path) -> None:
    """Thousands of names that point at nothing are each reported, with a short message."""
    count = 5_000
    text = "version: 1\nformatters:\n" + "".join(f"  f{i}: {{type: text}}\n" for i in range(count))
    text += "sinks:\n" + "".join(f"  s{i}: {{type: 'null', formatter: nope{i}}}\n" for i in range(count))
    path = write(tmp_path / "p.yaml", text)
    problems = check_profile(path, {}).problems
    assert len(problems) == count
    assert all(p.path == f"sinks.s{p.line - count - 4}.formatter" for p in problems)
    assert max(len(p.message) for p in problems) < 300


# --- 4. ${...} that is not a reference ----------------------------------------------------------

MALFORMED = [
    ("${X", "'${X' is not closed: expected '}'; write '$$' for a literal '$'"),
    ("a ${X b", "'${X b' is not closed: expected '}'; write '$$' for a literal '$'"),
    ("${}", "'${}' names no variable: expected '${NAME}'; write '$$' for a literal '$'"),
    ("${1X}", "'${1X}': a variable name starts with a letter or '_' and holds letters, digits and '_'"),
    ("${X-a}", "'${X-a}': expected '}' or ':-default' after the name"),
    ("${X:a}", "'${X:a}': expected '}' or ':-default' after the name"),
    ("${X:?a}", "'${X:?a}': expected '}' or ':-default' after the name"),
    ("${X:-${Y}}", "'${X:-${Y}': a default cannot hold another '${...}'; give a plain default"),
    ("${X:-a${Y:-b}}", "'${X:-a${Y:-b}': a default cannot hold another '${...}'; give a plain default"),
    ("${X:-a", "'${X:-a' is not closed: expected '}'; write '$$' for a literal '$'"),
    ("ok ${X} then ${", "'${' is not closed: expected '}'; write '$$' for a literal '$'"),
]


@pytest.mark.parametrize(("value", "message"), MALFORMED, ids=[v for v, _ in MALFORMED])
def test_malformed_references_are_located_errors(value: str, message: str) -> None:
    """A ``${`` that does not make a reference is a located error, never kept as text."""
    doc = read_text(f'version: 1\nroot:\n  level: "{value}"\n', "p.yaml", {"X": "x", "Y": "y"})
    assert [str(p) for p in doc.problems] == [f"p.yaml:3:10: root.level: {message}"]


def test_dollars_that_are_not_references_stay_literal() -> None:
    """``$$`` is one ``$``; a ``$`` not followed by ``{`` (or at the end) stays as it is."""
    values = {
        "a": "$$",
        "b": "$x $ ${X}$",
        "c": "$${X}",
        "d": "${X}}",
        "e": "${UNSET:-a$b}",
        "f": "$$$",
        "g": "{${X}}",
    }
    text = "".join(f"{key}: '{value}'\n" for key, value in values.items())
    doc = read_text(text, "p.yaml", {"X": "x"})
    assert doc.problems == []
    assert doc.data == {"a": "$", "b": "$x $ x$", "c": "${X}", "d": "x}", "e": "a$b", "f": "$$", "g": "{x}"}


# --- encodings and characters ---------------------------------------------------------------------


NOT_UTF8 = "cannot read the profile: it is not UTF-8 text ({}); save it as UTF-8"
NOT_ALLOWED = "invalid YAML: the character {} is not allowed in YAML text; remove it"
BAD_BYTES = {
    "invalid_utf8": (b"version: 1\nroot:\n  level: a\xffb\n", "3:11: " + NOT_UTF8.format("byte 0xff")),
    "truncated_utf8": (b"version: 1\nroot: {level: \xc3}\n", "2:15: " + NOT_UTF8.format("byte 0xc3")),
    "utf16": (
        "version: 1\n".encode("utf-16"),
        "1:1: " + NOT_UTF8.format("byte 0xff; it starts with a UTF-16 byte order mark"),
    ),
    "nul": (b"version: 1\nroot:\n  level: IN\x00FO\n", "3:12: " + NOT_ALLOWED.format("U+0000")),
    "escape": (b"version: 1\nroot: {level: \x1b[31m}\n", "2:15: " + NOT_ALLOWED.format("U+001B")),
}


@pytest.mark.parametrize("case", sorted(BAD_BYTES))
def test_bad_bytes_are_located(case: str, tmp_path: Path) -> None:
    """Invalid UTF-8, a UTF-16 file, a NUL or another control character is located at its line and column."""
    data, expected = BAD_BYTES[case]
    path = tmp_path / "p.yaml"
    path.write_bytes(data)
    with pytest.raises(ProfileError, match=rf"^{re.escape(f'{path}:{expected}')}$"):
        load_profile(path, {})


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte order mark (as some editors write) is read past, and positions stay right."""
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\nroot: {level: LOUD}\n")
    with pytest.raises(ProfileError, match=r"^.*p\.yaml:2:15: root\.level: expected one of .*$"):
        load_profile(path, {})


# --- the command goes on to the next file -------------------------------------------------------------


@pytest.mark.timeout(30)
def test_check_reports_each_hostile_file_and_goes_on(
    odd_files: dict[str, tuple[Path, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` prints each hostile profile's problem as ``file:line:col: ...`` and checks every file."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "deep.yaml", DEEP["flow_lists"])
    write(tmp_path / "tag.yaml", "version: !!int abc\n")
    write(tmp_path / "ref.yaml", "version: 1\nroot: {level: '${X'}\n")
    write(tmp_path / "good.yaml", "version: 1\n")
    (tmp_path / "bad.yaml").write_bytes(b"version: 1\n\xff\n")
    files = ["deep.yaml", "tag.yaml", "ref.yaml", "bad.yaml", "good.yaml"]
    result = runner().invoke(app, ["check", *files], env=PLAIN_ENV)
    assert result.exit_code == 1  # invalid profiles, each located
    located = [line for line in result.stderr.splitlines() if re.match(r"^[a-z]+\.yaml:\d+:\d+: ", line)]
    assert [line.split(":")[0] for line in located] == files[:-1]
    assert result.stderr.splitlines()[-1] == "Checked 5 profiles: 4 invalid (4 errors, 0 warnings)."
    assert "internal error" not in result.stderr
    # A FIFO named on the command line is a usage error (exit 2), at once; the rest are still checked.
    result = runner().invoke(app, ["check", "fifo.yaml", *files], env=PLAIN_ENV)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any("fifo.yaml" in line and "FIFO" in line for line in lines), result.stderr
    assert [line.split(":")[0] for line in lines if re.match(r"^[a-z]+\.yaml:\d+:\d+: ", line)] == files[:-1]
    assert lines[-1].startswith("Checked 6 profiles: 5 invalid"), lines[-1]
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo.yaml").st_mode)


@pytest.mark.timeout(30)
def test_a_long_chain_of_fallbacks_is_checked_in_linear_time(tmp_path: Path) -> None:
    """3,000 sinks that fall back one to the next are checked at once (it took 37 s); a loop is reported."""
    count = 3_000
    sinks = "".join(f"  s{i}: {{type: 'null', fallback: s{i + 1}}}\n" for i in range(count))
    path = write(
        tmp_path / "p.yaml", f"version: 1\nsinks:\n{sinks}  s{count}: {{type: 'null', fallback: s0}}\n"
    )
    problems = check_profile(path, {}).problems
    assert [p.path for p in problems] == [f"sinks.s{i}.fallback" for i in range(count + 1)]
    assert problems[0].message == (
        "fallback cycle: 's0' -> 's1' -> 's2' -> 's3' -> 's4' -> 's5' -> 's6' -> 's7' -> 's8' -> ... "
        "-> 's0'; a chain of fallbacks must end in a sink without one"
    )
    write(tmp_path / "p.yaml", f"version: 1\nsinks:\n{sinks}  s{count}: {{type: 'null'}}\n")
    assert check_profile(path, {}).problems == []
