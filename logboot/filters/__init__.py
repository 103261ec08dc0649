"""Filters a profile can name: ``name``, ``level`` and ``redact``."""
