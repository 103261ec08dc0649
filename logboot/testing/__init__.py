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

from logboot.testing.capture import CaptureHandler, LogCapture, capture_logging

__all__ = ["CaptureHandler", "LogCapture", "capture_logging"]

# The plugin's hooks and fixture are this module's own names, as pytest looks for them here.
# Without pytest (an application that installed logboot alone, running `logboot bench` or
# `logboot.capture`) there is no plugin to offer, and the rest still imports.
try:
    from logboot.testing.plugin import logboot_capture, pytest_addoption, pytest_configure
except ModuleNotFoundError as err:  # pragma: no cover - the suite runs with pytest
    if err.name != "pytest":
        raise
else:
    __all__ += ["logboot_capture", "pytest_addoption", "pytest_configure"]
