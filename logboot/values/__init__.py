"""The values a profile is written in: levels, durations, sizes, modes and addresses.

``units`` and ``addresses`` parse them without pydantic (a cached start and the sinks use
them); ``fields`` wraps them as pydantic field types, with the base of every spec model.
"""
