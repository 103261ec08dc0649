"""Overrides: `overrides=`, `$LOGBOOT_LEVEL` and `key.path=value`, validated like the file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, file_profile

import logboot
from logboot.profile.overrides import parse_overrides, parse_path, parse_value
from logboot.profile.resolve import resolve_profile

PROD = REPO / "configs" / "prod.yaml"
pytestmark = pytest.mark.timeout(30)


def problems(err: pytest.ExceptionInfo[logboot.ProfileError]) -> list[str]:
    """The located problems of a ProfileError, as text."""
    return [str(p) for p in err.value.problems]


def test_a_list_override_replaces_a_value_from_the_file() -> None:
    """A `key.path=value` string sets that key; the value is read as YAML."""
    profile = resolve_profile(PROD, ["queues.main.max_size=100", "root.level=debug"], environ={})
    assert profile.queues["main"].max_size == 100
    assert profile.root.level == logging.DEBUG


def test_a_mapping_override_takes_values_as_given() -> None:
    """A mapping's values are used as they are, without YAML parsing."""
    profile = resolve_profile(PROD, {"queues.main.max_size": 7, "sinks.app.path": "123"}, environ={})
    assert profile.queues["main"].max_size == 7
    assert profile.sinks["app"].path == "123"  # type: ignore[union-attr]


def test_an_invalid_override_is_located_at_the_override() -> None:
    """A wrong value is reported as `<override>:N:column`, where N is the override's position."""
    with pytest.raises(logboot.ProfileError) as err:
        resolve_profile(PROD, ["root.level=INFO", "queues.main.max_size=lots"], environ={})
    assert problems(err) == ["<override>:2:22: queues.main.max_size: expected an integer, got 'lots'"]


def test_override_errors_read_like_the_files() -> None:
    """Unknown keys get a hint, names are cross-checked, and every problem is reported at once."""
    with pytest.raises(logboot.ProfileError) as err:
        resolve_profile(
            PROD,
            ["queues.main.max_sise=5", "listeners.main.sinks=[console, nope]", "sinks.app.max_bytes.x=1"],
            environ={},
        )
    assert problems(err) == [
        "<override>:1:1: queues.main.max_sise: unknown key; did you mean 'max_size'?",
        "<override>:2:22: listeners.main.sinks[1]: no sink named 'nope'; defined: 'console', 'app'",
        "<override>:3:1: sinks.app.max_bytes.x: cannot set a key inside sinks.app.max_bytes: "
        "it is '10MiB', not a mapping",
    ]


def test_a_malformed_override_is_a_located_error() -> None:
    """An entry without `=` or with a broken key is an error, not ignored."""
    _, found = parse_overrides(["root.level", "a..b=1", "=3"])
    assert [str(p) for p in found] == [
        "<override>:1:1: expected 'key.path=value', got 'root.level'",
        "<override>:2:3: expected a key at column 3 of 'a..b'",
        "<override>:3:1: expected 'key.path=value', got '=3'",
    ]
    with pytest.raises(logboot.ProfileError, match=r"^<override>:1:1: expected 'key.path=value', got 'x'$"):
        resolve_profile(PROD, ["x"], environ={})


def test_a_list_index_out_of_range_is_an_error() -> None:
    """`sinks[5]` on a two-item list names the list's length."""
    with pytest.raises(logboot.ProfileError) as err:
        resolve_profile(PROD, ["listeners.main.sinks[5]=app"], environ={})
    assert problems(err) == [
        "<override>:1:1: listeners.main.sinks[5]: index 5 is out of range: listeners.main.sinks has 2 item(s)"
    ]


def test_logger_names_keep_their_dots() -> None:
    """Under `loggers`, the dots of a logger's name need no quotes; quotes work too."""
    assert parse_path("loggers.uvicorn.error.level") == ("loggers", "uvicorn.error", "level")
    assert parse_path("loggers.uvicorn.error") == ("loggers", "uvicorn.error")
    assert parse_path('loggers."a.b".propagate') == ("loggers", "a.b", "propagate")
    assert parse_path("loggers.app.levl") == ("loggers", "app", "levl")
    assert parse_path("listeners.main.sinks[0]") == ("listeners", "main", "sinks", 0)
    profile = resolve_profile(PROD, ["loggers.uvicorn.access.level=ERROR"], environ={})
    assert profile.loggers["uvicorn.access"].level == logging.ERROR


def test_values_that_are_not_yaml_stay_strings() -> None:
    """`%(message)s` and a date-like value are kept as the text given; flow lists are lists."""
    assert parse_value("%(message)s") == "%(message)s"
    assert parse_value("2024-01-01") == "2024-01-01"
    assert parse_value("[a, b]") == ["a", "b"]
    assert parse_value("") is None
    assert parse_value("2s") == "2s"


def test_a_whole_mapping_can_be_set_and_its_errors_point_at_the_override() -> None:
    """`sinks.extra={type: file}` adds a sink; its missing key is located at that override."""
    with pytest.raises(logboot.ProfileError) as err:
        resolve_profile(PROD, ["sinks.extra={type: file}"], environ={})
    assert problems(err) == ["<override>:1:1: sinks.extra.path: missing required key 'path'"]


def test_logboot_level_sets_the_root_level() -> None:
    """`$LOGBOOT_LEVEL` overrides the root level of the file; `overrides=` wins over it."""
    assert resolve_profile(PROD, environ={"LOGBOOT_LEVEL": "error"}).root.level == logging.ERROR
    both = resolve_profile(PROD, ["root.level=DEBUG"], environ={"LOGBOOT_LEVEL": "ERROR"})
    assert both.root.level == logging.DEBUG
    assert resolve_profile(PROD, environ={"LOGBOOT_LEVEL": " "}).root.level == logging.INFO


def test_a_bad_logboot_level_is_located_at_the_variable() -> None:
    """A wrong `$LOGBOOT_LEVEL` names the variable, like a line of a file."""
    with pytest.raises(logboot.ProfileError) as err:
        resolve_profile(PROD, environ={"LOGBOOT_LEVEL": "LOUD"})
    assert problems(err) == [
        "<override $LOGBOOT_LEVEL>:1:1: root.level: expected one of 'NOTSET', 'DEBUG', 'INFO', "
        "'WARNING', 'ERROR', 'CRITICAL' or a number, got 'LOUD'"
    ]


def test_overrides_apply_to_a_profile_object_and_to_the_default() -> None:
    """A `Profile` and the built-in default take overrides too, validated again."""
    base = logboot.load_profile(PROD)
    assert resolve_profile(base, ["queues.main.max_size=3"], environ={}).queues["main"].max_size == 3
    assert base.queues["main"].max_size == 10_000  # the original is not changed
    default = resolve_profile(None, ["queues.main.overflow=drop_oldest"], environ={})
    assert default.queues["main"].overflow == "drop_oldest"
    with pytest.raises(logboot.ProfileError, match=r"^<override>:1:1: queues\.main\.overflow: expected"):
        resolve_profile(None, {"queues.main.overflow": "drop_new"}, environ={})


def test_setup_logging_takes_overrides_and_the_level_variable(
    write_profile: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`setup_logging(path, overrides=...)` runs the overridden profile; `$LOGBOOT_LEVEL` applies."""
    path = write_profile(file_profile(tmp_path / "out.log"))
    monkeypatch.setenv("LOGBOOT_LEVEL", "WARNING")
    with logboot.setup_logging(path, overrides={"queues.main.max_size": 5}) as runtime:
        assert runtime.stats()["queues"]["main"]["max_size"] == 5
        logging.getLogger("t").info("dropped by the level")
        logging.getLogger("t").warning("kept")
        assert runtime.flush(5.0)
    assert (tmp_path / "out.log").read_text(encoding="utf-8") == "kept\n"


def test_check_profile_collects_override_and_file_problems(write_profile: Callable[..., Path]) -> None:
    """`check_profile(..., overrides=)` reports the file's problems and the overrides' together."""
    path = write_profile(
        "version: 1\nqueues:\n  main: {max_sise: 1}\nlisteners:\n  main: {queue: main, sinks: [x]}\n"
    )
    result = logboot.check_profile(path, overrides=["root.level=LOUD", "bad"])
    assert not result.ok
    found = [str(p) for p in result.problems]
    assert f"{path}:3:10: queues.main.max_sise: unknown key; did you mean 'max_size'?" in found
    assert "<override>:2:1: expected 'key.path=value', got 'bad'" in found
    assert any(p.startswith("<override>:1:12: root.level: expected one of") for p in found)
