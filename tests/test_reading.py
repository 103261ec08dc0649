"""Reading profiles: safe YAML, positions, environment references, extends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from logboot.errors import ProfileError
from logboot.profile.reading import ProfileNotFoundError, dotted, read_profile, read_text


def test_positions_are_one_based() -> None:
    """Keys and values are located by 1-based line and column."""
    doc = read_text("version: 1\nqueues:\n  main:\n    max_size: 5\n", "p.yaml")
    assert doc.problems == []
    assert doc.source.key_mark(("queues", "main", "max_size")).line == 4
    assert doc.source.key_mark(("queues", "main", "max_size")).column == 5
    assert doc.source.value_mark(("queues", "main", "max_size")).column == 15


def test_duplicate_keys_are_located_errors() -> None:
    """A key given twice in one mapping is an error at the second one."""
    doc = read_text("version: 1\nroot:\n  level: INFO\n  level: DEBUG\n", "p.yaml")
    assert [str(p) for p in doc.problems] == [
        "p.yaml:4:3: root.level: duplicate key (first defined at line 3)"
    ]


def test_python_tags_are_refused() -> None:
    """A python tag is an error and nothing is constructed."""
    doc = read_text("version: 1\nx: !!python/object/apply:os.system ['true']\n", "p.yaml")
    assert len(doc.problems) == 1
    assert "is not allowed: profiles are plain data" in doc.problems[0].message
    assert doc.problems[0].line == 2


def test_invalid_yaml_is_located() -> None:
    """A YAML syntax error names its line and column."""
    doc = read_text("version: 1\nroot: [a, b\n", "p.yaml")
    assert len(doc.problems) == 1
    assert doc.problems[0].message.startswith("invalid YAML:")
    assert doc.problems[0].line >= 2


def test_empty_and_non_mapping_documents_are_errors() -> None:
    """An empty file or a list at the top is an error, never an empty configuration."""
    assert "empty" in read_text("", "p.yaml").problems[0].message
    assert "expected a mapping" in read_text("- 1\n", "p.yaml").problems[0].message


def test_environment_references_expand() -> None:
    """${VAR} takes the variable, ${VAR:-default} falls back, $$ is a literal dollar."""
    text = 'a: "${HOME_DIR}/x"\nb: "${MISSING:-logs}/y"\nc: "$${literal}"\nd: "${EMPTY:-dflt}"\n'
    doc = read_text(text, "p.yaml", {"HOME_DIR": "/srv", "EMPTY": ""})
    assert doc.problems == []
    assert doc.data == {"a": "/srv/x", "b": "logs/y", "c": "${literal}", "d": "dflt"}


def test_unset_variable_without_default_is_located() -> None:
    """An unset ${VAR} with no default is an error at the value, with the fix."""
    doc = read_text("version: 1\nsinks:\n  f: {type: file, path: '${NOPE}/a'}\n", "p.yaml", {})
    assert [str(p) for p in doc.problems] == [
        "p.yaml:3:25: sinks.f.path: environment variable 'NOPE' is not set; "
        "set it, or give a default with '${NOPE:-default}'"
    ]


def test_extends_merges_and_locates_into_the_base(write_profile: Callable[..., Path]) -> None:
    """extends deep-merges the base under the file; positions point into each file."""
    base = write_profile("version: 1\nroot:\n  level: INFO\n  queue: main\n", "base.yaml")
    top = write_profile("extends: base.yaml\nroot:\n  level: DEBUG\n", "top.yaml")
    doc = read_profile(top)
    assert doc.problems == []
    assert doc.data == {"version": 1, "root": {"level": "DEBUG", "queue": "main"}}
    assert doc.source.value_mark(("root", "queue")).file == str(base.resolve())
    assert doc.source.value_mark(("root", "level")).file == str(top)


def test_extends_cycle_and_missing_base(write_profile: Callable[..., Path]) -> None:
    """A cycle of extends and a missing base are located errors."""
    write_profile("extends: b.yaml\nversion: 1\n", "a.yaml")
    b = write_profile("extends: a.yaml\n", "b.yaml")
    assert "cycle" in read_profile(b).problems[0].message
    c = write_profile("extends: nowhere.yaml\nversion: 1\n", "c.yaml")
    assert read_profile(c).problems[0].message.startswith("no such file")


def test_missing_profile_is_an_error(tmp_path: Path) -> None:
    """A missing profile file raises, never yields an empty configuration."""
    with pytest.raises(ProfileNotFoundError, match=r"^.*nothing\.yaml: no such profile$"):
        read_profile(tmp_path / "nothing.yaml")


def test_unreadable_profile_is_a_profile_error(tmp_path: Path) -> None:
    """A profile that is not UTF-8 is a located problem."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"version: 1\n\xff\xfe")
    with pytest.raises(ProfileError, match=r"cannot read the profile"):
        read_profile(path)


def test_alias_bomb_is_refused() -> None:
    """An alias bomb is refused instead of expanded."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    doc = read_text("\n".join(lines) + "\n", "p.yaml")
    assert "alias bomb" in doc.problems[0].message


def test_merge_keys_work() -> None:
    """YAML merge keys (<<) are plain data and allowed."""
    doc = read_text("base: &b {level: INFO}\nroot:\n  <<: *b\n  queue: q\n", "p.yaml")
    assert doc.problems == []
    assert doc.data["root"] == {"level": "INFO", "queue": "q"}


def test_dotted_paths() -> None:
    """Paths print as dotted keys with list indexes."""
    assert dotted(("sinks", "app", "filters", 0)) == "sinks.app.filters[0]"
    assert dotted(()) == ""
