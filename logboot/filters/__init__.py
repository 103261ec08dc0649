"""Filters a profile can name: ``name``, ``level``, ``redact`` and ``throttle``."""
