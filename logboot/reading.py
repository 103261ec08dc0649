"""Read a profile: safe YAML to plain data plus the source position of every key.

Nothing here knows the schema. It turns text into dicts, lists and scalars,
remembers where each came from, expands ``${VAR}`` references and resolves
``extends``. Every problem is collected with its position, not raised one by one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import LogbootError, Problem, ProfileError

Key = tuple[str | int, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# A profile is small; an alias bomb is not. This bounds the work of expanding aliases.
_MAX_NODES = 100_000
_ENV_REF = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ProfileNotFoundError(LogbootError, FileNotFoundError):
    """The profile file itself does not exist (a usage error, not an invalid profile)."""


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a file."""

    file: str
    line: int
    column: int


@dataclass
class SourceMap:
    """Where each dotted key of a document came from (keys and values separately)."""

    values: dict[Key, Mark] = field(default_factory=dict)
    keys: dict[Key, Mark] = field(default_factory=dict)
    document: Mark = field(default_factory=lambda: Mark("<profile>", 1, 1))

    def value_mark(self, path: Key) -> Mark:
        """The value's position, else the nearest ancestor's."""
        return self._nearest(self.values, path)

    def key_mark(self, path: Key) -> Mark:
        """The key's position, else the nearest ancestor key's."""
        for end in range(len(path), 0, -1):
            mark = self.keys.get(path[:end])
            if mark is not None:
                return mark
        return self.document

    def _nearest(self, table: dict[Key, Mark], path: Key) -> Mark:
        for end in range(len(path), 0, -1):
            mark = table.get(path[:end])
            if mark is not None:
                return mark
        return self.document

    def replace_under(self, prefix: Key, other: SourceMap) -> None:
        """Forget every position at or below ``prefix`` and take ``other``'s there."""
        size = len(prefix)
        for table, source in ((self.values, other.values), (self.keys, other.keys)):
            for key in [k for k in table if k[:size] == prefix]:
                del table[key]
            table.update({k: v for k, v in source.items() if k[:size] == prefix})


@dataclass
class Document:
    """A profile read from text: the data, its positions, and what went wrong."""

    data: dict[str, Any]
    source: SourceMap
    problems: list[Problem]
    name: str
    #: Each file read (its absolute path) and its text: what the profile cache compares.
    files: dict[str, str] = field(default_factory=dict)

    def problem(self, path: Key, message: str, *, at_key: bool = False) -> Problem:
        mark = self.source.key_mark(path) if at_key else self.source.value_mark(path)
        return Problem(mark.file, mark.line, mark.column, dotted(path), message)


def dotted(path: Key) -> str:
    """``('sinks', 'app', 'filters', 0)`` -> ``sinks.app.filters[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Builder:
    """Turns a composed YAML node tree into data, recording positions and problems."""

    def __init__(self, name: str, environ: Mapping[str, str]) -> None:
        self.name = name
        self.environ = environ
        self.source = SourceMap(document=Mark(name, 1, 1))
        self.problems: list[Problem] = []
        self.count = 0
        self.loader = yaml.SafeLoader("")

    def mark(self, node: Node) -> Mark:
        return Mark(self.name, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: Node, path: Key, message: str) -> None:
        mark = self.mark(node)
        self.problems.append(Problem(mark.file, mark.line, mark.column, dotted(path), message))

    def build(self, node: Node, path: Key) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooLargeError
        self.source.values[path] = self.mark(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ_TAG:
                self.fail(node, path, _tag_message(node.tag))
                return None
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: Key) -> Any:
        if node.tag != _MAP_TAG:
            self.fail(node, path, _tag_message(node.tag))
            return None
        try:
            self.loader.flatten_mapping(node)  # YAML merge keys (<<: *base)
        except yaml.YAMLError as err:
            self.fail(node, path, f"invalid merge key: {err}")
            return None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _STANDARD_TAGS:
                self.fail(key_node, path, "keys must be plain strings")
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                first = self.source.keys[child]
                self.fail(key_node, child, f"duplicate key (first defined at line {first.line})")
                continue
            self.source.keys[child] = self.mark(key_node)
            out[key] = self.build(value_node, child)
        return out

    def _scalar(self, node: ScalarNode, path: Key) -> Any:
        if node.tag not in _STANDARD_TAGS:
            self.fail(node, path, _tag_message(node.tag))
            return None
        value = self.loader.construct_object(node)
        if isinstance(value, str):
            return self._expand(value, node, path)
        return value

    def _expand(self, text: str, node: Node, path: Key) -> str:
        if "$" not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            value = self.environ.get(name)
            if value is None or (value == "" and default is not None):
                if default is not None:
                    return default
                self.fail(
                    node,
                    path,
                    f"environment variable {name!r} is not set; "
                    f"set it, or give a default with '${{{name}:-default}}'",
                )
                return ""
            return value

        return _ENV_REF.sub(replace, text)


class _TooLargeError(Exception):
    pass


def _tag_message(tag: str) -> str:
    return f"YAML tag {tag!r} is not allowed: profiles are plain data, nothing is constructed"


def read_text(text: str, name: str = "<profile>", environ: Mapping[str, str] | None = None) -> Document:
    """Read one YAML document without following ``extends``."""
    builder = _Builder(name, os.environ if environ is None else environ)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"invalid YAML: {err.problem or err.context}"
        problem = Problem(name, line, column, "", message)
        return Document({}, builder.source, [problem], name)
    except yaml.YAMLError as err:
        return Document({}, builder.source, [Problem(name, 1, 1, "", f"invalid YAML: {err}")], name)
    if node is None:
        message = "the profile is empty; expected a mapping that starts with 'version: 1'"
        return Document({}, builder.source, [Problem(name, 1, 1, "", message)], name)
    try:
        data = builder.build(node, ())
    except _TooLargeError:
        message = f"the document expands to more than {_MAX_NODES} nodes (alias bomb?)"
        return Document({}, builder.source, [Problem(name, 1, 1, "", message)], name)
    if not isinstance(data, dict):
        if data is not None or not builder.problems:
            builder.fail(node, (), "expected a mapping at the top of the profile")
        data = {}
    return Document(data, builder.source, builder.problems, name)


def read_profile(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Document:
    """Read a profile file and everything it ``extends``, merged; problems are collected."""
    return _read_file(Path(path), environ, chain=())


def _read_file(path: Path, environ: Mapping[str, str] | None, chain: tuple[Path, ...]) -> Document:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ProfileNotFoundError(f"{name}: no such profile") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError([Problem(name, 1, 1, "", f"cannot read the profile: {err}")]) from err
    doc = read_text(text, name, environ)
    doc.files[os.path.abspath(path)] = text
    base_ref = doc.data.pop("extends", None)
    if base_ref is None:
        return doc
    if not isinstance(base_ref, str):
        doc.problems.append(doc.problem(("extends",), "expected a file path (a string)"))
        return doc
    base_path = (path.parent / base_ref).resolve()
    here = path.resolve()
    if base_path in (*chain, here):
        doc.problems.append(doc.problem(("extends",), f"{base_ref!r} extends itself (a cycle)"))
        return doc
    try:
        base = _read_file(base_path, environ, (*chain, here))
    except ProfileNotFoundError:
        doc.problems.append(doc.problem(("extends",), f"no such file {str(base_path)!r}"))
        return doc
    return _merge_documents(base, doc)


def _merge_documents(base: Document, top: Document) -> Document:
    source = base.source
    source.document = top.source.document
    data = _merge(base.data, top.data, (), source, top.source)
    return Document(data, source, base.problems + top.problems, top.name, {**base.files, **top.files})


def _merge(
    base: dict[str, Any], top: dict[str, Any], path: Key, source: SourceMap, top_source: SourceMap
) -> dict[str, Any]:
    """Deep-merge ``top`` over ``base``: mappings merge, anything else replaces."""
    out = dict(base)
    for key, value in top.items():
        child = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value, child, source, top_source)
            source.values[child] = top_source.values[child]
            source.keys[child] = top_source.keys[child]
        else:
            out[key] = value
            source.replace_under(child, top_source)
    return out
