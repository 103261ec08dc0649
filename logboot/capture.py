"""Capture what reaches each sink, for an application's tests (``capture_logging``).

The public home of ``capture_logging``; its code lives in ``logboot.testing.capture``
beside the pytest plugin that uses it.
"""

from logboot.testing.capture import CaptureHandler, LogCapture, capture_logging

__all__ = ["CaptureHandler", "LogCapture", "capture_logging"]
