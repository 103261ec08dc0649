"""Profiles that try to run code are refused, located and explained, before anything is imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import logboot

from .harness import run_child, write_profile

pytestmark = pytest.mark.timeout(60)

BASE = """\
version: 1
sinks:
  out: {type: 'null'}
queues:
  main: {}
listeners:
  main: {queue: main, sinks: [out]}
root: {level: INFO, queue: main}
"""

# Each hostile profile, and the one located error it must produce (line:column: key: message).
NEVER = (
    "logboot never imports, calls or resolves anything named in a profile"
    " (only a `custom` sink's `factory` is imported, with `allow_custom: true`)"
)
HOSTILE = {
    "python_tag": (
        BASE + "loggers: !!python/object/apply:os.system ['touch {marker}']\n",
        "9:10: loggers: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed: "
        "profiles are plain data, nothing is constructed",
    ),
    "factory_key": (
        BASE.replace("out: {type: 'null'}", "out: {type: 'null', '()': payload.make}"),
        f"3:23: sinks.out.(): key '()' is refused: it is dictConfig's factory key, and {NEVER}; "
        "pick a sink with `type:`",
    ),
    "class_key": (
        BASE.replace("out: {type: 'null'}", "out: {type: 'null', class: payload.Handler}"),
        f"3:23: sinks.out.class: key 'class' is refused: dictConfig imports a class by this name, "
        f"and {NEVER}; pick a sink with `type:`",
    ),
    "ext_value": (
        BASE.replace("out: {type: 'null'}", "out: {type: console, stream: 'ext://payload.stream'}"),
        "3:32: sinks.out.stream: value 'ext://payload.stream' is refused: logboot never resolves "
        "'ext://' references (dictConfig imports modules or reaches into the configuration for "
        "them); write the setting itself (for a stream: `stream: stderr`)",
    ),
    "cfg_value": (
        BASE.replace("out: {type: 'null'}", "out: {type: 'null', formatter: 'cfg://handlers.x'}"),
        "3:34: sinks.out.formatter: value 'cfg://handlers.x' is refused: logboot never resolves "
        "'cfg://' references (dictConfig imports modules or reaches into the configuration for "
        "them); write the setting itself (for a stream: `stream: stderr`)",
    ),
    "custom_not_allowed": (
        BASE.replace("out: {type: 'null'}", "out: {type: custom, factory: 'payload:make'}"),
        "3:32: sinks.out.factory: custom sink refused: its factory 'payload:make' would be imported "
        "and run, which a profile must allow explicitly; add `allow_custom: true` at the top of "
        "the profile if you trust this code",
    ),
}

# payload.py leaves a marker when imported; the child reports whether it was.
CHILD = """
import json, os, sys, logboot
result = {}
try:
    logboot.setup_logging(sys.argv[1])
except logboot.ProfileError as err:
    result["problems"] = [str(p) for p in err.problems]
result["imported"] = "payload" in sys.modules
result["check"] = [str(p) for p in logboot.check_profile(sys.argv[1]).problems]
print(json.dumps(result))
"""


def payload(folder: Path) -> Path:
    marker = folder / "MARKER"
    (folder / "payload.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "import logging\n"
        "def make(**options):\n"
        "    return logging.NullHandler()\n"
    )
    return marker


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_profile_is_refused_before_anything_is_imported(tmp_path: Path, case: str) -> None:
    """setup_logging and check both refuse the profile with one located, explained error; the
    payload's module is never imported and the marker it would create does not exist."""
    marker = payload(tmp_path)
    text, expected = HOSTILE[case]
    path = write_profile(tmp_path, text.replace("{marker}", str(marker)))
    done = run_child(tmp_path, CHILD, str(path), env={"PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {
        "problems": [f"{path}:{expected}"],
        "imported": False,
        "check": [f"{path}:{expected}"],
    }
    assert not marker.exists()


def test_allowed_custom_factory_is_marked_by_check_and_imported_only_by_setup(tmp_path: Path) -> None:
    """With `allow_custom: true`, check() warns that the factory will be imported and does not
    import it; setup_logging imports it (the marker appears: the probe above would have seen it)."""
    marker = payload(tmp_path)
    text = "allow_custom: true\n" + HOSTILE["custom_not_allowed"][0]
    path = write_profile(tmp_path, text)
    done = run_child(
        tmp_path,
        """
        import json, os, sys, logboot
        check = logboot.check_profile(sys.argv[1])
        before = {"imported": "payload" in sys.modules, "marker": os.path.exists(sys.argv[2]),
                  "problems": [str(p) for p in check.problems], "warnings": [str(p) for p in check.warnings]}
        runtime = logboot.setup_logging(sys.argv[1])
        after = {"imported": "payload" in sys.modules, "marker": os.path.exists(sys.argv[2]),
                 "handler": type(runtime.topology.sinks["out"].handler).__name__}
        print(json.dumps([before, after]))
        """,
        str(path),
        str(marker),
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert before == {
        "imported": False,
        "marker": False,
        "problems": [],
        "warnings": [
            f"{path}:4:23: sinks.out.factory: warning: custom sink: setup_logging will import and "
            "call 'payload:make' (the profile runs code)"
        ],
    }
    assert after == {"imported": True, "marker": True, "handler": "NullHandler"}


def test_allow_custom_must_be_a_real_boolean(tmp_path: Path) -> None:
    """`allow_custom: "true"` (a string, as ${VAR} would give) does not allow anything."""
    path = write_profile(tmp_path, 'allow_custom: "true"\n' + HOSTILE["custom_not_allowed"][0])
    problems = sorted(str(p) for p in logboot.check_profile(path).problems)
    assert problems == [
        f"{path}:1:15: allow_custom: expected true or false, got 'true'",
        f"{path}:4:32: sinks.out.factory: custom sink refused: its factory 'payload:make' would be "
        "imported and run, which a profile must allow explicitly; add `allow_custom: true` at the "
        "top of the profile if you trust this code",
    ]


def test_custom_sink_in_a_profile_built_in_code_is_refused_at_build(tmp_path: Path) -> None:
    """A Profile made in code (no file, no checks) still cannot build a custom sink without allow_custom."""
    profile = logboot.Profile.model_validate(
        {
            "version": 1,
            "sinks": {"out": {"type": "custom", "factory": "payload:make"}},
            "queues": {"main": {}},
            "listeners": {"main": {"queue": "main", "sinks": ["out"]}},
        }
    )
    with pytest.raises(
        logboot.SetupError, match=r"^sink 'out': a custom sink needs `allow_custom: true` in the profile$"
    ):
        logboot.setup_logging(profile)


def test_fallback_references_are_checked(tmp_path: Path) -> None:
    """A fallback naming no sink, or forming a cycle, is a located error; a sink used only as a
    fallback is not reported as unused."""
    path = write_profile(
        tmp_path,
        BASE.replace(
            "out: {type: 'null'}",
            "out: {type: 'null', fallback: spare}\n"
            "  spare: {type: 'null', fallback: last}\n"
            "  last: {type: 'null', fallback: spare}\n"
            "  lost: {type: 'null', fallback: nowhere}",
        ),
    )
    result = logboot.check_profile(path)
    assert sorted(str(p) for p in result.problems) == [
        f"{path}:4:35: sinks.spare.fallback: fallback cycle: 'spare' -> 'last' -> 'spare'; "
        "a chain of fallbacks must end in a sink without one",
        f"{path}:5:34: sinks.last.fallback: fallback cycle: 'last' -> 'spare' -> 'last'; "
        "a chain of fallbacks must end in a sink without one",
        f"{path}:6:34: sinks.lost.fallback: no sink named 'nowhere'; defined: 'out', 'spare', 'last', 'lost'",
    ]
    assert [str(p) for p in result.warnings] == [
        f"{path}:6:3: sinks.lost: warning: no listener uses this sink"
    ]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_check_reports_the_same_error_in_process(tmp_path: Path, case: str) -> None:
    """check_profile (what `logboot check` runs) reports exactly the refusal, nothing else."""
    text, expected = HOSTILE[case]
    path = write_profile(tmp_path, text.replace("{marker}", str(tmp_path / "MARKER")))
    result = logboot.check_profile(path)
    assert ([str(p) for p in result.problems], result.profile) == ([f"{path}:{expected}"], None)
