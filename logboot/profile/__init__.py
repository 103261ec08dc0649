"""A profile from text to a validated (or cached) model: reading, interpolation, overrides,
validation, references, the schema models, the plain form a cached start reads, and the
wiring rules every consumer of a profile shares.
"""
