"""``type: custom`` filters: your own filter, only where the profile allows code."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import logboot

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def filters_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module of filter factories, importable for this test only."""
    (tmp_path / "my_filters.py").write_text(
        "import logging\n"
        "class EvenOnly(logging.Filter):\n"
        "    def filter(self, record):\n"
        "        return record.seq % 2 == 0\n"
        "class Below:\n"
        "    def __init__(self, limit):\n"
        "        self.limit = limit\n"
        "    def filter(self, record):\n"
        "        return record.seq < self.limit\n"
        "def not_three(**options):\n"
        "    return lambda record: record.seq % 3 != 0\n"
        "def nothing():\n"
        "    return 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def profile_text(
    tmp_path: Path, factory: str, options: str = "{}", allow: bool = True, on: str = "sink"
) -> str:
    sink_filters = "[mine]" if on == "sink" else "[]"
    logger_filters = "[mine]" if on == "logger" else "[]"
    return f"""\
version: 1
allow_custom: {"true" if allow else "false"}
formatters:
  json: {{type: json}}
filters:
  mine: {{type: custom, factory: "{factory}", options: {options}}}
sinks:
  out: {{type: file, path: "{tmp_path}/out.jsonl", formatter: json, filters: {sink_filters}}}
queues:
  main: {{}}
listeners:
  main: {{queue: main, sinks: [out]}}
root: {{level: INFO, queue: main}}
loggers:
  app: {{filters: {logger_filters}}}
"""


def run(tmp_path: Path, text: str, count: int = 30) -> list[int]:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    with logboot.setup_logging(path):
        for seq in range(count):
            logging.getLogger("app").info("record %d", seq, extra={"seq": seq})
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["seq"] for line in lines]


@pytest.mark.usefixtures("filters_module")
@pytest.mark.parametrize(
    ("factory", "options", "kept"),
    [
        ("my_filters:EvenOnly", "{}", [n for n in range(30) if n % 2 == 0]),  # a logging.Filter
        ("my_filters:Below", "{limit: 7}", list(range(7))),  # an object with filter(), options passed
        ("my_filters:not_three", "{}", [n for n in range(30) if n % 3]),  # a callable
    ],
)
@pytest.mark.parametrize("on", ["sink", "logger"])
def test_a_custom_filter_keeps_what_it_accepts(
    tmp_path: Path, factory: str, options: str, kept: list[int], on: str
) -> None:
    """On a sink (in the listener) or a logger (in the producer): each kept record once, in order."""
    assert run(tmp_path, profile_text(tmp_path, factory, options, on=on)) == kept


def test_a_custom_filter_without_allow_custom_is_refused_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile_text(tmp_path, "os:system", allow=False), encoding="utf-8")
    result = logboot.check_profile(path)
    assert not result.ok
    (problem,) = result.problems
    assert (problem.path, problem.line) == ("filters.mine.factory", 6)
    assert "custom filter refused: its factory 'os:system' would be imported and run" in problem.message
    with pytest.raises(logboot.ProfileError):
        logboot.setup_logging(path)
    assert not (tmp_path / "out.jsonl").exists()  # nothing was built


def test_a_profile_built_in_code_needs_allow_custom_too(tmp_path: Path) -> None:
    data = logboot.load_profile(
        _written(tmp_path, profile_text(tmp_path, "my_filters:EvenOnly"))
    ).model_dump()
    data["allow_custom"] = False
    profile = logboot.Profile.model_validate(data)
    with pytest.raises(
        logboot.SetupError, match=r"^filter 'mine': a custom filter needs `allow_custom: true`"
    ):
        logboot.setup_logging(profile)


@pytest.mark.usefixtures("filters_module")
@pytest.mark.parametrize(
    ("factory", "error"),
    [
        (
            "my_filters:nothing",
            r"returned int, which is neither a filter \(no `filter` method\) nor callable",
        ),
        ("no_such_module_here:make", r"No module named 'no_such_module_here'"),
    ],
)
def test_factory_errors_name_the_filter(tmp_path: Path, factory: str, error: str) -> None:
    path = _written(tmp_path, profile_text(tmp_path, factory))
    with pytest.raises(logboot.SetupError, match=rf"^filter 'mine' \(custom\) could not be built: .*{error}"):
        logboot.setup_logging(path)


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path
