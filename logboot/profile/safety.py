"""Refuse what would make a profile run code: the one gate before anything is built.

A profile is data. ``dictConfig`` turns some of its strings into imports and calls
(``()``, ``class``, ``.``, ``ext://``, ``cfg://``); logboot never does, and says so with a
located error instead of a bare "unknown key", so that a profile written for
``dictConfig`` (or by an attacker) fails loudly. The one exception, a ``custom`` sink's
``factory``, needs ``allow_custom: true`` at the top of the profile; these checks run
on the raw data, before validation and long before anything is imported.
"""

from __future__ import annotations

from typing import Any

from logboot.errors import Problem
from logboot.profile.reading import Document, Key
from logboot.profile.wiring import code_allowed, runs_code

_NEVER = (
    "logboot never imports, calls or resolves anything named in a profile"
    " (only a `custom` sink's `factory` is imported, with `allow_custom: true`)"
)
REFUSED_KEYS: dict[str, str] = {
    "()": f"key '()' is refused: it is dictConfig's factory key, and {_NEVER}; pick a sink with `type:`",
    "class": f"key 'class' is refused: dictConfig imports a class by this name, and {_NEVER}; "
    "pick a sink with `type:`",
    ".": f"key '.' is refused: dictConfig sets attributes from it, and {_NEVER}",
}
REFUSED_PREFIXES = ("ext://", "cfg://")


def check_safety(doc: Document) -> list[Problem]:
    """Located errors for every key or value that asks for code to be imported or run."""
    problems: list[Problem] = []
    _walk(doc, doc.data, (), problems)
    problems.extend(_custom_code(doc))
    return problems


def _walk(doc: Document, value: Any, path: Key, problems: list[Problem]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            here = (*path, key)
            if key in REFUSED_KEYS:
                problems.append(doc.problem(here, REFUSED_KEYS[key], at_key=True))
            _walk(doc, child, here, problems)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _walk(doc, child, (*path, index), problems)
    elif isinstance(value, str):
        prefix = value.lstrip()[:6].lower()
        if prefix in REFUSED_PREFIXES:
            problems.append(
                doc.problem(
                    path,
                    f"value {value!r} is refused: logboot never resolves {prefix!r} references "
                    f"(dictConfig imports modules or reaches into the configuration for them); "
                    "write the setting itself (for a stream: `stream: stderr`)",
                )
            )


def _custom_code(doc: Document) -> list[Problem]:
    """A ``custom`` sink or filter without ``allow_custom: true`` at the top of the profile."""
    if code_allowed(doc.data.get("allow_custom")):
        return []
    problems = []
    for section, what in (("sinks", "sink"), ("filters", "filter")):
        entries = doc.data.get(section)
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            if isinstance(entry, dict) and runs_code(entry.get("type")):
                factory = entry.get("factory")
                where: Key = (section, name, "factory") if "factory" in entry else (section, name, "type")
                problems.append(
                    doc.problem(
                        where,
                        f"custom {what} refused: its factory {factory!r} would be imported and run, "
                        "which a profile must allow explicitly; add `allow_custom: true` at the top "
                        "of the profile if you trust this code",
                    )
                )
    return problems
