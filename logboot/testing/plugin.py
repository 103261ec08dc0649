"""The pytest plugin itself: the ``logboot`` marker, the ``logboot_profile`` ini option and the
``logboot_capture`` fixture. ``logboot.testing`` (the ``pytest11`` entry point) exposes them
when pytest is installed; this module is apart so that the package imports without pytest
(``logboot bench`` and ``logboot.capture`` use it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from logboot.testing.capture import LogCapture, capture_logging

__all__ = ["logboot_capture", "pytest_addoption", "pytest_configure"]


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
