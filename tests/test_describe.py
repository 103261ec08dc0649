"""Describing a profile's topology as plain data (what ``logboot show`` draws)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from logboot.profile.describe import describe_profile, level_name, sink_target
from logboot.profile.schema import Profile


def profile(data: dict[str, Any]) -> Profile:
    return Profile.model_validate({"version": 1, **data})


def test_loggers_follow_the_build_rules() -> None:
    """Root feeds its queue; a logger with a queue or filters feeds one itself; others propagate."""
    described = describe_profile(
        profile(
            {
                "filters": {"f": {"type": "name", "prefix": "app"}},
                "sinks": {"out": {"type": "null"}},
                "queues": {"main": {}, "audit": {"max_size": 0, "overflow": "drop_oldest"}},
                "listeners": {
                    "main": {"queue": "main", "sinks": ["out"]},
                    "a": {"queue": "audit", "sinks": ["out"]},
                },
                "root": {"level": "INFO", "queue": "main"},
                "loggers": {
                    "audit": {"queue": "audit", "level": 25},
                    "filtered": {"filters": ["f"]},
                    "plain": {"level": "DEBUG"},
                    "kept": {"queue": "main", "propagate": True},
                },
            }
        )
    )
    assert [(x.name, x.level, x.queue, x.propagate) for x in described.loggers] == [
        ("root", "INFO", "main", False),
        ("audit", "25", "audit", False),
        ("filtered", None, "main", False),
        ("plain", "DEBUG", None, True),
        ("kept", None, "main", True),
    ]
    assert [(q.name, q.listener, q.loggers) for q in described.queues] == [
        ("main", "main", ["root", "filtered", "kept"]),
        ("audit", "a", ["audit"]),
    ]
    assert described.sinks[0].listeners == ["main", "a"]


def test_description_is_json_ready() -> None:
    """to_dict() serialises as it is, with options beside the common sink keys."""
    described = describe_profile(
        profile(
            {
                "sinks": {
                    "app": {"type": "rotating_file", "path": "x.log", "max_bytes": "1KiB", "level": "ERROR"}
                },
                "queues": {"main": {"block_timeout": "250ms"}},
                "listeners": {"main": {"queue": "main", "sinks": ["app"]}},
                "shutdown": {"signals": ["SIGTERM"]},
            }
        )
    )
    data = json.loads(json.dumps(described.to_dict()))
    sink = data["sinks"][0]
    options = sink.pop("options")
    assert sink == {
        "name": "app",
        "type": "rotating_file",
        "target": "x.log",
        "level": "ERROR",
        "formatter": None,
        "filters": [],
        "listeners": ["main"],
        "fallback": None,
        "formatter_kind": None,
    }
    shown = ("path", "mode", "encoding", "max_bytes", "backup_count")
    assert {key: options[key] for key in shown} == {
        "path": "x.log",
        "mode": 0o640,
        "encoding": "utf-8",
        "max_bytes": 1024,
        "backup_count": 5,
    }
    assert not {"type", "level", "formatter", "filters"} & options.keys()
    assert data["queues"][0]["block_timeout"] == 0.25
    assert data["shutdown"] == {"timeout": 5.0, "signals": ["SIGTERM"]}


@pytest.mark.parametrize(
    ("spec", "target"),
    [
        ({"type": "console", "stream": "stdout"}, "stdout"),
        ({"type": "file", "path": "a/b.log"}, "a/b.log"),
        ({"type": "null"}, "discards"),
        ({"type": "syslog", "protocol": "udp", "address": "127.0.0.1:514"}, "udp://127.0.0.1:514"),
        ({"type": "rotating_file", "path": "a.log", "max_bytes": "10MiB"}, "a.log"),
        (
            {
                "type": "rotating_file",
                "path": "a.log",
                "max_bytes": 1,
                "compress": "gzip",
                "max_total_size": "100MiB",
            },
            "a.log (gzip, at most 100 MiB)",
        ),
        (
            {"type": "concurrent_rotating_file", "path": "a.log", "max_bytes": 1, "compress": "gzip"},
            "a.log (gzip)",
        ),
        (
            {"type": "timed_rotating_file", "path": "a.log", "max_age": "14d", "max_total_size": 1500},
            "a.log (at most 1500 bytes, none older than 14d)",
        ),
    ],
)
def test_sink_targets(spec: dict[str, Any], target: str) -> None:
    """A sink's target is its stream, path or address (a rotated file's with its retention);
    a null sink discards."""
    described = describe_profile(profile({"sinks": {"s": spec}}))
    assert described.sinks[0].target == target
    assert sink_target(type("Bare", (), {"type": "custom_thing"})()) == "custom_thing"


def test_level_names() -> None:
    """Registered levels by name, others as numbers."""
    assert (level_name(logging.WARNING), level_name(0), level_name(33)) == ("WARNING", "NOTSET", "33")


def test_a_sinks_formatter_says_what_it_writes() -> None:
    """`show` names a JSON preset, renames and a text formatter's stdlib layout beside the formatter."""
    described = describe_profile(
        profile(
            {
                "formatters": {
                    "ecs": {"type": "json", "preset": "ecs"},
                    "mine": {"type": "json", "rename": {"message": "msg", "level": "log.level"}},
                    "old": {"type": "text", "stdlib_layout": True},
                },
                "sinks": {
                    "a": {"type": "console", "formatter": "ecs"},
                    "b": {"type": "console", "formatter": "mine"},
                    "c": {"type": "console", "formatter": "old"},
                    "d": {"type": "console"},
                },
                "queues": {"main": {}},
                "listeners": {"main": {"queue": "main", "sinks": ["a", "b", "c", "d"]}},
            }
        )
    )
    kinds = {sink.name: sink.formatter_kind for sink in described.sinks}
    assert kinds == {"a": "json, preset ecs", "b": "json, 2 renamed", "c": "text, stdlib layout", "d": None}
