"""The profile cache: a start from unchanged inputs builds from plain data without pydantic;
any changed input (a file, an environment variable, an override, the code) validates again."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from pydantic import BaseModel

import logboot
from logboot.profile import cache as profile_cache
from logboot.profile.plain import PlainProfile, PlainSpec, as_model, encode, plain_profile
from logboot.profile.resolve import startup_profile
from logboot.profile.schema import Profile

PROFILE = """\
version: 1
sinks:
  out: {{type: file, path: "{log}", formatter: line, level: "${{SINK_LEVEL:-DEBUG}}"}}
formatters:
  line: {{type: text, format: "{{levelname}} {{name}}: {{message}}"}}
queues:
  main: {{max_size: 100}}
listeners:
  main: {{queue: main, sinks: [out]}}
root: {{level: INFO}}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LOGBOOT_CACHE_DIR", str(folder))
    for name in ("LOGBOOT_CACHE", "LOGBOOT_LEVEL", "SINK_LEVEL", "LOGBOOT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    yield folder


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(PROFILE.format(log=tmp_path / "out.log"), encoding="utf-8")
    return path


def validated(*args: Any, **kwargs: Any) -> Profile:
    """``startup_profile``, checked to have validated the profile (not served it from the cache)."""
    found = startup_profile(*args, **kwargs)
    assert isinstance(found, Profile)
    return found


def from_cache(*args: Any, **kwargs: Any) -> PlainProfile:
    """``startup_profile``, checked to have served the profile from the cache."""
    found = startup_profile(*args, **kwargs)
    assert isinstance(found, PlainProfile)
    return found


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.exists() else []


def test_second_start_is_built_from_the_cache(cache: Path, profile: Path) -> None:
    first = validated(profile)
    assert len(entries(cache)) == 1
    second = from_cache(profile)
    assert as_model(second) == first
    assert second.source == first.source == str(profile)


def test_cached_start_in_a_fresh_process_imports_no_validation(cache: Path, profile: Path) -> None:
    """The whole point: the second process never imports pydantic or yaml, and logs the same.

    Nor, for a profile without process queues, the modules that only the process transport
    or a dataclass would need (about 3 MB of a service's memory between them)."""
    program = textwrap.dedent(
        f"""
        import logging, sys
        import logboot
        runtime = logboot.setup_logging({str(profile)!r})
        for i in range(500):
            logging.getLogger("app").info("record %d", i)
        report = runtime.stop()
        assert report.clean and report.handled == 500, report
        print(sorted(m for m in ("pydantic", "yaml", "logboot.profile.schema") if m in sys.modules))
        heavy = ("logboot.runtime.transport", "pickle", "socket", "tempfile", "uuid", "dataclasses")
        heavy += ("inspect", "logboot.runtime.frames")
        print(sorted(m for m in heavy if m in sys.modules))
        """
    )
    env = {**os.environ, "LOGBOOT_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert (
        runs[0].stdout.splitlines()[0] == "['logboot.profile.schema', 'pydantic', 'yaml']"
    )  # validated and kept
    assert runs[1].stdout.splitlines() == ["[]", "[]"]  # started from the cache
    lines = (profile.parent / "out.log").read_text(encoding="utf-8").splitlines()
    assert lines == [f"INFO app: record {i}" for i in range(500)] * 2


def test_changed_profile_text_validates_again(cache: Path, profile: Path) -> None:
    startup_profile(profile)
    profile.write_text(profile.read_text(encoding="utf-8").replace("max_size: 100", "max_size: 7"))
    changed = validated(profile)
    assert changed.queues["main"].max_size == 7
    kept = from_cache(profile)
    assert kept.queues["main"].max_size == 7


def test_invalid_profile_is_never_kept(cache: Path, profile: Path) -> None:
    profile.write_text(profile.read_text(encoding="utf-8").replace("max_size: 100", "max_size: -1"))
    for _ in range(2):
        with pytest.raises(logboot.ProfileError):
            startup_profile(profile)
    assert entries(cache) == []


def test_environment_variables_that_were_read_are_part_of_the_key(
    cache: Path, profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    startup_profile(profile)
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    from_cache(profile)  # not read by the profile: still kept
    monkeypatch.setenv("SINK_LEVEL", "ERROR")
    changed = validated(profile)
    assert changed.sinks["out"].level == 40
    assert startup_profile(profile).sinks["out"].level == 40
    monkeypatch.setenv("LOGBOOT_LEVEL", "WARNING")
    levelled = validated(profile)
    assert levelled.root.level == 30
    monkeypatch.delenv("SINK_LEVEL")
    unset = validated(profile)
    assert unset.sinks["out"].level == 10


def test_overrides_are_part_of_the_key(cache: Path, profile: Path) -> None:
    startup_profile(profile, ["queues.main.max_size=5"])
    assert startup_profile(profile, ["queues.main.max_size=5"]).queues["main"].max_size == 5
    from_cache(profile, ["queues.main.max_size=5"])
    other = validated(profile, {"queues.main.max_size": 6})
    assert other.queues["main"].max_size == 6
    plain = validated(profile)
    assert plain.queues["main"].max_size == 100


def test_overrides_that_are_not_json_are_validated_every_time(cache: Path, profile: Path) -> None:
    odd = {"queues.main.max_size": 5, "root.level": object()}
    with pytest.raises(logboot.ProfileError):
        startup_profile(profile, odd)  # type: ignore[arg-type]
    assert profile_cache.overrides_key(odd) is None
    assert entries(cache) == []


def test_a_changed_base_file_validates_again(cache: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(PROFILE.format(log=tmp_path / "out.log"), encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: base.yaml\nroot: {level: ERROR}\n", encoding="utf-8")
    startup_profile(top)
    from_cache(top)
    base.write_text(base.read_text(encoding="utf-8").replace("max_size: 100", "max_size: 9"))
    changed = validated(top)
    assert (changed.queues["main"].max_size, changed.root.level) == (9, 40)


def test_an_entry_from_other_code_is_not_trusted(cache: Path, profile: Path) -> None:
    startup_profile(profile)
    (entry,) = entries(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["stamp"] = "0.0.1:1:1"
    data["profile"]["queues"]["$map"]["main"]["max_size"] = 3  # what an older logboot might have kept
    entry.write_text(json.dumps(data), encoding="utf-8")
    again = validated(profile)
    assert again.queues["main"].max_size == 100


@pytest.mark.parametrize("damage", ["corrupt", "not-a-dict", "group-writable", "symlink", "missing-key"])
def test_a_damaged_or_foreign_entry_is_ignored_and_replaced(cache: Path, profile: Path, damage: str) -> None:
    startup_profile(profile)
    (entry,) = entries(cache)
    if damage == "corrupt":
        entry.write_text('{"format": 1, "stamp"', encoding="utf-8")
    elif damage == "not-a-dict":
        entry.write_text("[1, 2]", encoding="utf-8")
    elif damage == "group-writable":
        entry.chmod(0o664)
    elif damage == "symlink":
        real = cache / "elsewhere.data"
        entry.rename(real)
        entry.symlink_to(real)
    else:
        data = json.loads(entry.read_text(encoding="utf-8"))
        del data["files"]
        entry.write_text(json.dumps(data), encoding="utf-8")
    validated(profile)
    from_cache(profile)  # validated again, and kept
    assert not entry.is_symlink()  # the link itself was replaced, never written through


def test_the_cache_folder_and_entries_are_private(cache: Path, profile: Path) -> None:
    startup_profile(profile)
    (entry,) = entries(cache)
    assert cache.stat().st_mode & 0o777 == 0o700
    assert entry.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in cache.iterdir()] == [entry.name]  # no temporary file left


def test_cache_off(cache: Path, profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validated(profile, cache=False)
    assert entries(cache) == []
    monkeypatch.setenv("LOGBOOT_CACHE", "off")
    startup_profile(profile)
    validated(profile)
    assert entries(cache) == []
    runtime = logboot.setup_logging(profile, cache=False)
    runtime.stop()
    assert entries(cache) == []


def test_cache_folder_defaults(tmp_path: Path) -> None:
    assert profile_cache.cache_folder({"LOGBOOT_CACHE_DIR": "/x"}) == Path("/x")
    assert profile_cache.cache_folder({"XDG_CACHE_HOME": "/c"}) == Path("/c/logboot")
    assert profile_cache.cache_folder({"HOME": "/h"}) == Path("/h/.cache/logboot")
    assert profile_cache.cache_folder({}) is None
    assert profile_cache.cache_folder({"HOME": "/h", "LOGBOOT_CACHE": "0"}) is None


def test_an_unwritable_cache_folder_only_costs_the_cache(tmp_path: Path, profile: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    env = {"LOGBOOT_CACHE_DIR": str(blocker / "cache")}
    for _ in range(2):
        validated(profile, environ=env)


def test_oldest_entries_are_pruned(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profile_cache, "MAX_ENTRIES", 3)
    paths = []
    for i in range(5):
        path = tmp_path / f"p{i}.yaml"
        path.write_text(PROFILE.format(log=tmp_path / "out.log"), encoding="utf-8")
        os.utime(path)
        startup_profile(path)
        paths.append(path)
    assert len(entries(cache)) == 3
    from_cache(paths[-1])
    validated(paths[0])


def test_an_environment_that_is_listed_is_not_kept(cache: Path, profile: Path) -> None:
    env = profile_cache.RecordingEnviron({"A": "1"})
    assert "A" in env
    assert env["A"] == "1"
    with pytest.raises(KeyError):
        env["B"]
    assert env.seen == {"A": "1", "B": None}
    assert not env.listed
    assert len(env) == 1
    assert env.listed
    doc = logboot.check_profile(profile).document
    assert doc is not None
    stamp = profile_cache.code_stamp()
    assert stamp is not None
    profile_cache.store(str(profile), env, "", doc, logboot.load_profile(profile), stamp, cache)
    assert entries(cache) == []


def test_runtime_from_the_cache_gives_the_validated_profile(cache: Path, profile: Path) -> None:
    logboot.setup_logging(profile).stop()
    runtime = logboot.setup_logging(profile)
    try:
        assert isinstance(runtime.topology.profile, PlainProfile)
        assert isinstance(runtime.profile, Profile)
        assert runtime.profile.queues["main"].max_size == 100
        assert str(profile) in repr(runtime)
    finally:
        runtime.stop()


# --- the plain form reads exactly like the models --------------------------------------

PROFILES = sorted((REPO / "configs").glob("*.yaml"))


def same_reading(model: Any, plain: Any, where: str) -> None:
    """Every field of ``model`` reads the same from ``plain``, all the way down."""
    if isinstance(model, BaseModel):
        assert type(plain) in (PlainSpec, PlainProfile), where
        for name in type(model).model_fields:
            same_reading(getattr(model, name), getattr(plain, name), f"{where}.{name}")
    elif isinstance(model, dict):
        assert type(plain) is dict, where
        assert list(model) == list(plain), where
        for key, value in model.items():
            same_reading(value, plain[key], f"{where}[{key!r}]")
    elif isinstance(model, list):
        assert len(model) == len(plain), where
        for index, (a, b) in enumerate(zip(model, plain, strict=True)):
            same_reading(a, b, f"{where}[{index}]")
    else:
        assert (type(model), model) == (type(plain), plain), where


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_plain_profile_reads_like_the_model(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    model = logboot.load_profile(path)
    plain = plain_profile(json.loads(json.dumps(encode(model))), model.source)
    same_reading(model, plain, "profile")
    assert plain.root_queue() == model.root_queue()
    assert as_model(plain) == model
    again = pickle.loads(pickle.dumps(plain))  # noqa: S301 - our own bytes, as a spawn child gets them
    assert (again, again.source, type(again.root)) == (plain, plain.source, PlainSpec)


def test_fields_named_like_dict_methods_read_as_fields(write_profile: Any) -> None:
    """A ``redact`` filter's ``keys``, and a sink named ``items``, read as what they are."""
    path = write_profile(
        """\
        version: 1
        filters:
          secrets: {type: redact, keys: [password], patterns: ["token=\\\\S+"]}
        sinks:
          items: {type: "null", filters: [secrets]}
        queues: {main: {}}
        listeners: {main: {queue: main, sinks: [items]}}
        """
    )
    model = logboot.load_profile(path)
    plain = plain_profile(json.loads(json.dumps(encode(model))))
    assert plain.filters["secrets"].keys == ["password"]
    assert list(plain.sinks.items()) == [("items", plain.sinks["items"])]
    same_reading(model, plain, "profile")


def test_plain_profile_is_read_only(profile: Path) -> None:
    plain = plain_profile(encode(logboot.load_profile(profile)))
    with pytest.raises(AttributeError, match="read-only"):
        plain.version = 2
    with pytest.raises(AttributeError, match="read-only"):
        plain.root.level = 0
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = plain.nope
    assert "PlainSpec(" in repr(plain.root)
    model = as_model(plain)
    assert as_model(model) is model


def test_code_that_cannot_be_read_means_no_cache(
    cache: Path, profile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that dropped its privileges after its imports cannot stamp the code: it
    validates every time, and neither fails nor trusts an entry."""
    startup_profile(profile)
    monkeypatch.setattr(profile_cache, "__file__", str(profile.parent / "gone" / "profile" / "cache.py"))
    assert profile_cache.code_stamp() is None
    validated(profile)
    assert len(entries(cache)) == 1
