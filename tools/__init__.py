"""Repository tools, outside the installed package: ``python -m tools.demo`` (``make demo``)
and ``python -m tools.docgen`` (docs/profile-reference.md from the schema)."""
