"""Overrides in the twelve-factor habit: ``key.path=value`` over a profile, validated like it.

Sources, weakest first: the profile, ``$LOGBOOT_LEVEL`` (the root level), then
``overrides=`` in ``setup_logging`` (or ``--set`` on the command line). Each override is
applied to the data read from the file *before* validation, so its errors read like
the file's, located at the override instead of a line of the file::

    <override>:2:22: queues.main.max_size: expected an integer, got 'lots'
    <override $LOGBOOT_LEVEL>:1:1: root.level: expected one of 'NOTSET', ... got 'LOUD'

Line N is the N-th override; the column points into ``key.path=value``.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import yaml

from logboot.errors import Problem
from logboot.profile.reading import Document, Key, Mark, SourceMap, dotted
from logboot.profile.schema import LoggerSpec

LEVEL_ENV = "LOGBOOT_LEVEL"
OVERRIDE_SOURCE = "<override>"
LEVEL_SOURCE = f"<override ${LEVEL_ENV}>"

#: What ``overrides=`` accepts: ``{"queues.main.max_size": 100}`` or ``["queues.main.max_size=100"]``.
Overrides = Union[Mapping[str, Any], Iterable[str]]

_PLAIN = (str, int, float, bool, type(None))
_SEGMENT = re.compile(r"""\s*(?:"([^"]*)"|'([^']*)'|([^.\[\]"'=\s]+))((?:\[\d+\])*)\s*""")
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Override:
    """One ``key.path=value``, parsed, with where it came from."""

    path: Key
    value: Any
    key_mark: Mark
    value_mark: Mark


class _OverrideError(ValueError):
    def __init__(self, column: int, message: str) -> None:
        super().__init__(message)
        self.column = column


def parse_path(text: str) -> Key:
    """``queues.main.max_size`` -> ``('queues', 'main', 'max_size')``.

    A segment may be quoted (``loggers."uvicorn.error".level``) and may carry list
    indexes (``listeners.main.sinks[0]``). Under ``loggers`` the dots of a logger's name
    need no quotes: ``loggers.uvicorn.error.level`` names the logger ``uvicorn.error``.
    """
    parts: list[str | int] = []
    quoted: list[bool] = []
    position = 0
    while True:
        match = _SEGMENT.match(text, position)
        if match is None or match.end() == position:
            raise _OverrideError(position + 1, f"expected a key at column {position + 1} of {text!r}")
        name = next(g for g in match.groups()[:3] if g is not None)
        if not name:
            raise _OverrideError(position + 1, f"empty key in {text!r}")
        parts.append(name)
        quoted.append(match.group(3) is None)
        parts.extend(int(i) for i in _INDEX.findall(match.group(4)))
        quoted.extend(True for _ in _INDEX.findall(match.group(4)))
        position = match.end()
        if position == len(text):
            break
        if text[position] != ".":
            raise _OverrideError(position + 1, f"expected '.' at column {position + 1} of {text!r}")
        position += 1
    return _join_logger_name(parts, quoted)


def _join_logger_name(parts: list[str | int], quoted: list[bool]) -> Key:
    """``loggers.a.b.level`` -> ``('loggers', 'a.b', 'level')`` (unquoted names only)."""
    if len(parts) < 3 or parts[0] != "loggers" or quoted[0]:
        return tuple(parts)
    rest = [str(p) for p in parts[1:]]
    if not all(isinstance(p, str) for p in parts[1:]) or any(quoted[1:]):
        return tuple(parts)
    fields = list(LoggerSpec.model_fields)
    if rest[-1] in fields or difflib.get_close_matches(rest[-1], fields, n=1, cutoff=0.75):
        return ("loggers", ".".join(rest[:-1]), rest[-1])  # a key of the logger (or a typo of one)
    return ("loggers", ".".join(rest))


def parse_value(text: str) -> Any:
    """A YAML scalar (``100``, ``true``, ``null``, ``2s``) or flow list/mapping (``[a, b]``).

    Text that is not valid YAML, or that YAML would turn into something a profile cannot
    hold (a date), is taken as the string it is: ``format=%(message)s`` just works.
    """
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if _is_plain(value):
        return value
    return text


def _is_plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def parse_overrides(
    overrides: Overrides | None, source: str = OVERRIDE_SOURCE
) -> tuple[list[Override], list[Problem]]:
    """Parse ``overrides=``: a mapping of dotted keys to values, or ``key=value`` strings.

    Strings in a list are parsed as YAML; values in a mapping are used as given.
    """
    parsed: list[Override] = []
    problems: list[Problem] = []
    if overrides is None:
        return parsed, problems
    if isinstance(overrides, str):
        overrides = [overrides]
    items: Iterable[tuple[str, Any, bool]]
    if isinstance(overrides, Mapping):
        items = ((str(key), value, False) for key, value in overrides.items())
    else:
        items = (_split(entry) for entry in overrides)
    for line, (key_text, value, from_text) in enumerate(items, start=1):
        key_mark = Mark(source, line, 1)
        if key_text is None:
            problems.append(Problem(source, line, 1, "", str(value)))
            continue
        value_mark = Mark(source, line, len(key_text) + 2) if from_text else key_mark
        try:
            path = parse_path(key_text)
        except _OverrideError as err:
            problems.append(Problem(source, line, err.column, "", str(err)))
            continue
        parsed.append(Override(path, parse_value(value) if from_text else value, key_mark, value_mark))
    return parsed, problems


def as_overrides(overrides: Overrides | Sequence[Override] | None) -> tuple[list[Override], list[Problem]]:
    """Parsed overrides, from raw ones (``parse_overrides``) or ones already parsed."""
    if isinstance(overrides, Sequence) and all(isinstance(o, Override) for o in overrides):
        return [o for o in overrides if isinstance(o, Override)], []
    return parse_overrides(overrides)  # type: ignore[arg-type]


def _split(entry: object) -> tuple[Any, Any, bool]:
    if not isinstance(entry, str):
        return None, f"expected 'key.path=value', got {entry!r}", True
    key, sep, value = entry.partition("=")
    if not sep or not key.strip():
        return None, f"expected 'key.path=value', got {entry!r}", True
    return key, value, True


def environment_overrides(environ: Mapping[str, str]) -> list[Override]:
    """``$LOGBOOT_LEVEL`` as an override of ``root.level`` (unset or empty: none)."""
    level = environ.get(LEVEL_ENV, "").strip()
    if not level:
        return []
    mark = Mark(LEVEL_SOURCE, 1, 1)
    return [Override(("root", "level"), level, mark, mark)]


def apply_overrides(doc: Document, overrides: Sequence[Override]) -> None:
    """Set each override in ``doc.data`` and record its position; problems go to ``doc.problems``."""
    for override in overrides:
        problem = _apply(doc, override)
        if problem is not None:
            doc.problems.append(problem)


def _apply(doc: Document, override: Override) -> Problem | None:
    path = override.path
    target: Any = doc.data
    for depth, part in enumerate(path):
        here = path[: depth + 1]
        last = depth == len(path) - 1
        if isinstance(part, int):
            if not isinstance(target, list):
                return _cannot(override, here[:-1], target, "a list")
            if part >= len(target):
                return _problem(
                    override, f"index {part} is out of range: {dotted(here[:-1])} has {len(target)} item(s)"
                )
        elif not isinstance(target, dict):
            return _cannot(override, here[:-1], target, "a mapping")
        if last:
            target[part] = copy.deepcopy(override.value)
            doc.source.replace_under(here, _marks(here, override))
            return None
        if isinstance(part, str) and part not in target:
            target[part] = {}
            doc.source.keys[here] = override.key_mark
            doc.source.values[here] = override.key_mark
        target = target[part]
    return None


def _marks(path: Key, override: Override) -> SourceMap:
    """Positions for the overridden key and everything inside its value."""
    source = SourceMap()
    source.keys[path] = override.key_mark
    source.values[path] = override.value_mark

    def visit(value: Any, at: Key) -> None:
        children: Iterable[tuple[str | int, Any]]
        if isinstance(value, dict):
            children = value.items()
        elif isinstance(value, list):
            children = enumerate(value)
        else:
            return
        for key, child in children:
            inner = (*at, key)
            source.keys[inner] = source.values[inner] = override.value_mark
            visit(child, inner)

    visit(override.value, path)
    return source


def _cannot(override: Override, at: Key, found: Any, expected: str) -> Problem:
    kind = "a list" if isinstance(found, list) else "a mapping" if isinstance(found, dict) else repr(found)
    return _problem(
        override, f"cannot set a key inside {dotted(at) or 'the profile'}: it is {kind}, not {expected}"
    )


def _problem(override: Override, message: str) -> Problem:
    mark = override.key_mark
    return Problem(mark.file, mark.line, mark.column, dotted(override.path), message)
