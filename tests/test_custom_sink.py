"""``type: custom``: the factory is imported and called with the options; errors name the sink."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

import logboot

pytestmark = pytest.mark.timeout(10)


def custom_profile(write_profile: Callable[..., Path], factory: str, options: str = "{}") -> Path:
    return write_profile(
        f"""\
        version: 1
        allow_custom: true
        sinks:
          mine: {{type: custom, factory: "{factory}", options: {options}}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [mine]}}
        root: {{level: INFO, queue: main}}
        """
    )


@pytest.fixture
def factories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module of factories, importable for this test only."""
    (tmp_path / "my_factories.py").write_text(
        "import logging\n"
        "class Collect(logging.Handler):\n"
        "    def __init__(self, prefix, level=0):\n"
        "        super().__init__(level)\n"
        "        self.prefix, self.seen = prefix, []\n"
        "    def emit(self, record):\n"
        "        self.seen.append(self.prefix + record.getMessage())\n"
        "class Nested:\n"
        "    make = Collect\n"
        "def not_a_handler(**options):\n"
        "    return object()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.usefixtures("factories")
@pytest.mark.parametrize("factory", ["my_factories:Collect", "my_factories:Nested.make"])
def test_factory_gets_its_options_and_receives_records(
    write_profile: Callable[..., Path], factory: str
) -> None:
    """The factory (a dotted attribute too) is called with `options` as keyword arguments."""
    runtime = logboot.setup_logging(custom_profile(write_profile, factory, "{prefix: '> '}"))
    handler = runtime.topology.sinks["mine"].handler
    logging.getLogger("app").info("hello %s", "world")
    runtime.stop()
    assert handler.seen == ["> hello world"]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("factories")
@pytest.mark.parametrize(
    ("factory", "error"),
    [
        (
            "my_factories:not_a_handler",
            r"factory 'my_factories:not_a_handler' returned object, not a logging\.Handler",
        ),
        ("no_such_module_here:make", r"No module named 'no_such_module_here'"),
        ("my_factories:missing", r"module 'my_factories' has no attribute 'missing'"),
    ],
)
def test_factory_errors_name_the_sink(write_profile: Callable[..., Path], factory: str, error: str) -> None:
    """A factory that cannot be imported or returns no handler fails setup, naming the sink."""
    with pytest.raises(logboot.SetupError, match=rf"^sink 'mine' \(custom\) could not be built: {error}$"):
        logboot.setup_logging(custom_profile(write_profile, factory))


def test_factory_must_look_like_module_colon_callable(write_profile: Callable[..., Path]) -> None:
    """`factory` without a colon is a located validation error."""
    path = custom_profile(write_profile, "os.system")
    assert [str(p) for p in logboot.check_profile(path).problems] == [
        f"{path}:4:33: sinks.mine.factory: expected 'module:callable' "
        "(e.g. 'myapp.logs:make_handler'), got 'os.system'"
    ]
