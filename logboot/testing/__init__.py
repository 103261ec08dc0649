"""The logboot pytest plugin (registered as the ``pytest11`` entry point ``logboot``).

The fixture ``logboot_capture`` runs a profile for one test and hands back what reached
each sink; the runtime is always stopped afterwards, even when the test fails::

    def test_checkout(logboot_capture):
        checkout()
        assert logboot_capture.messages("app") == ["order 42 paid"]

    @pytest.mark.logboot("configs/prod.yaml", overrides=["root.level=DEBUG"])
    def test_debug_lines(logboot_capture):
        ...

The profile comes from the ``logboot`` marker (a path or ``Profile``, plus
``overrides=`` and ``keep_sinks=``), else the ``logboot_profile`` ini option, else
``$LOGBOOT_PROFILE``, else the built-in default. Relative paths are taken from the
rootdir. Outside pytest, use ``logboot.testing.capture.capture_logging``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logboot.testing.capture import CaptureHandler, LogCapture, capture_logging

__all__ = ["CaptureHandler", "LogCapture", "capture_logging", "logboot_capture"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "logboot_profile",
        "the profile the logboot_capture fixture runs (default: $LOGBOOT_PROFILE, else the built-in one)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "logboot(profile=None, *, overrides=None, keep_sinks=False): the profile logboot_capture runs",
    )


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("logboot")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        settings.setdefault("profile", marker.args[0])
    profile = settings.get("profile") or request.config.getini("logboot_profile") or None
    if isinstance(profile, (str, Path)) and not Path(profile).is_absolute():
        profile = request.config.rootpath / profile
    settings["profile"] = profile
    return settings


@pytest.fixture
def logboot_capture(request: pytest.FixtureRequest) -> Iterator[LogCapture]:
    """A running profile whose sinks' records this test can read; stopped afterwards."""
    with capture_logging(**_settings(request)) as capture:
        yield capture
