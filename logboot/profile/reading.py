"""Read a profile: safe YAML to plain data plus the source position of every key.

Nothing here knows the schema. It turns text into dicts, lists and scalars,
remembers where each came from, expands ``${VAR}`` references and resolves
``extends``. Every problem is collected with its position, not raised one by one.

A profile may come from someone else, so reading one is bounded: only regular files
of at most ``MAX_PROFILE_BYTES`` (the profile and what it extends, together), nested at
most ``MAX_NESTING`` deep, at most ``MAX_EXTENDS`` files in a chain, and ``extends``
only inside the profile's own folder (and the folders the caller allows). Whatever
the text, the outcome is a document with located problems, or a ``ProfileError``.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from logboot.errors import LogbootError, Problem, ProfileError
from logboot.profile.files import MAX_PROFILE_BYTES, UnreadableError, read_bytes

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
#: The most files in a chain of ``extends`` (the profile included).
MAX_EXTENDS = 32
#: The deepest nesting of mappings and lists (a profile needs five or six levels).
MAX_NESTING = 64
#: Folders besides the profile's own that ``extends`` may read from (``os.pathsep``-separated).
EXTENDS_ROOTS_ENV = "LOGBOOT_EXTENDS_ROOTS"
#: What ``extends_roots=`` accepts: one folder or several.
ExtendsRoots = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What ``_expand`` reads, as one pattern (ECMA-262 and Python alike) for the JSON Schema: a
# reference, `${NAME}` or `${NAME:-default}` (a default holds no `}` and no `${`); around it,
# `$$` (one `$`) or a `$` before anything but `{`.
_REFERENCE = r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::-(?:[^$}]|\$(?!\{))*)?\}"
_TEXT = r"(?:[^$]|\$\$|\$(?![{$]))"
#: A string that holds at least one `${...}` reference and nothing ``_expand`` refuses: in a
#: field that is not a plain string, the schema takes it as well as the typed value.
INTERPOLATION_PATTERN = f"^{_TEXT}*{_REFERENCE}(?:{_TEXT}|{_REFERENCE})*$"
# YAML's line breaks, as its marks count them.
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
)
_TOO_LARGE = "it is larger than 1 MiB, the most a profile and the files it extends may hold together"


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


class _TooDeepError(Exception):
    """Nesting past ``MAX_NESTING``, where it was found."""

    def __init__(self, line: int, column: int, path: Key = ()) -> None:
        super().__init__(line, column, path)
        self.line, self.column, self.path = line, column, path


class _ProfileLoader(yaml.SafeLoader):
    """The safe loader, refusing nesting past ``MAX_NESTING`` before its recursive composer
    runs out of stack (10,000 ``[`` would end in a RecursionError)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _TooDeepError(mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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
        if len(path) > MAX_NESTING:  # aliases can stack nodes deeper than the text nests
            raise _TooDeepError(node.start_mark.line + 1, node.start_mark.column + 1, path)
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
        try:
            value = self.loader.construct_object(node)
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, yaml.YAMLError):
            # `!!int abc`, or a YAML 1.1 number that matches the pattern but not the conversion (`0b_`).
            kind = node.tag.rsplit(":", 1)[-1]
            message = f"{_shown(node.value)} is not a valid YAML {kind}"
            self.fail(node, path, f"{message}; write a valid value, or quote it to keep it as text")
            return None
        if isinstance(value, str):
            return self._expand(value, node, path)
        return value

    def _expand(self, text: str, node: Node, path: Key) -> str:
        """``${VAR}`` and ``${VAR:-default}`` expanded, ``$$`` made ``$``; a ``${`` that
        makes no reference is an error (never kept as text)."""
        if "$" not in text:
            return text
        out: list[str] = []
        position = 0
        while (dollar := text.find("$", position)) >= 0:
            out.append(text[position:dollar])
            after = text[dollar + 1 : dollar + 2]
            if after != "{":  # `$$` is one `$`; any other `$` is itself
                out.append("$")
                position = dollar + (2 if after == "$" else 1)
                continue
            value, position, problem = self._reference(text, dollar)
            if problem is not None:
                self.fail(node, path, problem)
                return ""
            out.append(value)
        out.append(text[position:])
        return "".join(out)

    def _reference(self, text: str, start: int) -> tuple[str, int, str | None]:
        """The value of the reference at ``text[start:]``, where it ends, or the problem."""
        close = text.find("}", start + 2)
        if close < 0:
            return "", 0, f"{_shown(text[start:])} is not closed: expected '}}'; write '$$' for a literal '$'"
        shown = _shown(text[start : close + 1])
        name = _NAME.match(text, start + 2, close)
        if close == start + 2:
            return "", 0, f"{shown} names no variable: expected '${{NAME}}'; write '$$' for a literal '$'"
        if name is None:
            return (
                "",
                0,
                f"{shown}: a variable name starts with a letter or '_' and holds letters, digits and '_'",
            )
        default: str | None = None
        if name.end() != close:
            if not text.startswith(":-", name.end()):
                return "", 0, f"{shown}: expected '}}' or ':-default' after the name"
            default = text[name.end() + 2 : close]
            if "${" in default:
                return "", 0, f"{shown}: a default cannot hold another '${{...}}'; give a plain default"
        value = self.environ.get(name.group())
        if value is None or (value == "" and default is not None):
            if default is not None:
                return default, close + 1, None
            variable = name.group()
            return (
                "",
                0,
                (
                    f"environment variable {variable!r} is not set; "
                    f"set it, or give a default with '${{{variable}:-default}}'"
                ),
            )
        return value, close + 1, None


class _TooLargeError(Exception):
    pass


def _tag_message(tag: str) -> str:
    return f"YAML tag {tag!r} is not allowed: profiles are plain data, nothing is constructed"


def _shown(text: str) -> str:
    """A value from the profile as a message shows it: quoted, and short (it may be huge)."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``text[index]``, counting line breaks as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line, start = line + 1, match.end()
    return line, index - start + 1


def read_text(text: str, name: str = "<profile>", environ: Mapping[str, str] | None = None) -> Document:
    """Read one YAML document without following ``extends``."""
    builder = _Builder(name, os.environ if environ is None else environ)

    def failed(line: int, column: int, message: str, path: Key = ()) -> Document:
        return Document({}, builder.source, [Problem(name, line, column, dotted(path), message)], name)

    too_deep = f"the profile nests deeper than {MAX_NESTING} levels; a profile needs only a few"
    try:
        node = yaml.compose(text, Loader=_ProfileLoader)
        data = None if node is None else builder.build(node, ())
    except yaml.reader.ReaderError as err:
        line, column = _position(text, err.position)
        return failed(
            line,
            column,
            f"invalid YAML: the character U+{err.character:04X} is not allowed in YAML text; remove it",
        )
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return failed(line, column, f"invalid YAML: {err.problem or err.context}")
    except yaml.YAMLError as err:
        return failed(1, 1, f"invalid YAML: {err}")
    except _TooDeepError as err:
        return failed(err.line, err.column, too_deep, err.path)
    except RecursionError:  # the bounds above should make this unreachable; never let it escape
        return failed(1, 1, too_deep)
    except _TooLargeError:
        return failed(1, 1, f"the document expands to more than {_MAX_NODES} nodes (alias bomb?)")
    if node is None:
        return failed(1, 1, "the profile is empty; expected a mapping that starts with 'version: 1'")
    if not isinstance(data, dict):
        if data is not None or not builder.problems:
            builder.fail(node, (), "expected a mapping at the top of the profile")
        data = {}
    return Document(data, builder.source, builder.problems, name)


def read_profile(
    path: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    extends_roots: ExtendsRoots | None = None,
) -> Document:
    """Read a profile file and everything it ``extends``, merged; problems are collected.

    ``extends`` may name files inside the profile's own folder (symlinks resolved), and
    inside the folders of ``extends_roots`` and ``$LOGBOOT_EXTENDS_ROOTS``: a profile
    cannot make logboot read, and show in its errors, a file anywhere else.
    """
    return _Chain(Path(path), os.environ if environ is None else environ, extends_roots).read()


class _Chain:
    """A profile and the files it extends, read one after the other (never recursively)."""

    def __init__(self, top: Path, environ: Mapping[str, str], extra_roots: ExtendsRoots | None) -> None:
        self.top = top
        self.environ = environ
        self.extra_roots = extra_roots
        self.left = MAX_PROFILE_BYTES
        self.seen: list[Path] = []
        self._roots: list[Path] | None = None

    def read(self) -> Document:
        doc = self._first()
        chain = [doc]
        here = self.top
        while (following := self._follow(doc, here, len(chain))) is not None:
            doc, here = following
            chain.append(doc)
        merged = chain[-1]
        for upper in reversed(chain[:-1]):
            merged = _merge_documents(merged, upper)
        return merged

    def _first(self) -> Document:
        name = str(self.top)
        try:
            data = self._take(self.top, follow=True)
        except FileNotFoundError as err:
            raise ProfileNotFoundError(f"{name}: no such profile") from err
        except UnreadableError as err:
            raise ProfileError([Problem(name, 1, 1, "", f"cannot read the profile: {err}")]) from err
        text, problem = _decode(data, name)
        if problem is not None:
            raise ProfileError([problem])
        self.seen.append(_resolved(self.top) or self.top)
        return self._document(text, name, os.path.abspath(self.top))

    def _follow(self, doc: Document, here: Path, length: int) -> tuple[Document, Path] | None:
        """The file ``doc`` extends, read; None (with the problem in ``doc``) when there is none."""
        ref = doc.data.pop("extends", None)
        if ref is None:
            return None
        if not isinstance(ref, str):
            return self._refuse(doc, "expected a file path (a string)")
        if length >= MAX_EXTENDS:
            return self._refuse(
                doc, f"{ref!r} would make a chain of more than {MAX_EXTENDS} files; merge some of them"
            )
        target = _resolved(here.parent / ref)
        if target is None:
            return self._refuse(
                doc, f"cannot read {ref!r}: it cannot be resolved (a symlink loop, or a NUL in the name)"
            )
        if not any(target.is_relative_to(root) for root in self.roots()):
            return self._refuse(doc, self._outside(ref))
        if target in self.seen:
            return self._refuse(doc, f"{ref!r} extends itself (a cycle)")
        try:
            data = self._take(target, follow=False)  # resolved: a symlink there now is refused
        except FileNotFoundError:
            return self._refuse(doc, f"no such file {str(target)!r}")
        except UnreadableError as err:
            return self._refuse(doc, f"cannot read {ref!r}: {err}")
        text, problem = _decode(data, str(target))
        if problem is not None:
            doc.problems.append(problem)
            return None
        self.seen.append(target)
        return self._document(text, str(target), str(target)), target

    def _refuse(self, doc: Document, message: str) -> tuple[Document, Path] | None:
        """Note the problem at ``extends`` and end the chain there."""
        doc.problems.append(doc.problem(("extends",), message))
        return None

    def _document(self, text: str, name: str, key: str) -> Document:
        doc = read_text(text, name, self.environ)
        doc.files[key] = text
        return doc

    def _take(self, path: Path, *, follow: bool) -> bytes:
        data = read_bytes(path, self.left, follow=follow)
        self.left -= len(data)
        return data

    def roots(self) -> list[Path]:
        """The profile's folder, then the allowed ones; read only when a profile extends one."""
        if self._roots is None:
            named: list[str | os.PathLike[str]] = [self.top.absolute().parent]
            named += self.environ.get(EXTENDS_ROOTS_ENV, "").split(os.pathsep)
            extra = self.extra_roots
            if isinstance(extra, (str, os.PathLike)):
                named.append(extra)
            elif extra is not None:
                named.extend(extra)
            found = (_resolved(Path(folder)) for folder in named if str(folder))
            self._roots = [root for root in found if root is not None]
        return self._roots

    def _outside(self, ref: str) -> str:
        folder = str(self.top.absolute().parent.resolve())
        others = [repr(str(root)) for root in self.roots()[1:]]
        allowed = f" and the allowed folders ({', '.join(others)})" if others else ""
        return (
            f"{ref!r} is outside the profile's folder {folder!r}{allowed}; a profile may extend only "
            f"files inside it. To allow another folder: --extends-root DIR, extends_roots=[...] "
            f"or ${EXTENDS_ROOTS_ENV}"
        )


def _resolved(path: Path) -> Path | None:
    """``path`` absolute with every symlink resolved; None when it cannot be (a loop, a NUL)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _decode(data: bytes, name: str) -> tuple[str, Problem | None]:
    """The text of a file, or the problem that it is not UTF-8, at the first bad byte."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        before = data[: err.start].decode("utf-8")
        line, column = _position(before, len(before))
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        note = "; it starts with a UTF-16 byte order mark" if utf16 else ""
        found = f"byte 0x{data[err.start]:02x}{note}"
        message = f"cannot read the profile: it is not UTF-8 text ({found}); save it as UTF-8"
        return "", Problem(name, line, column, "", message)


def _merge_documents(base: Document, top: Document) -> Document:
    """``top`` deep-merged over ``base``, positions too, in time linear in their sizes."""
    replaced: set[Key] = set()
    data = _merge(base.data, top.data, (), replaced)
    source = SourceMap(document=top.source.document)
    for table, below, above in (
        (source.values, base.source.values, top.source.values),
        (source.keys, base.source.keys, top.source.keys),
    ):
        table.update((key, mark) for key, mark in below.items() if not _under(key, replaced))
        table.update(above)  # every key of the top is in the merged data, with its position
    return Document(data, source, base.problems + top.problems, top.name, {**base.files, **top.files})


def _merge(base: dict[str, Any], top: dict[str, Any], path: Key, replaced: set[Key]) -> dict[str, Any]:
    """Deep-merge ``top`` over ``base``: mappings merge, anything else replaces (noted in ``replaced``)."""
    out = dict(base)
    for key, value in top.items():
        child = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _merge(base[key], value, child, replaced)
        else:
            out[key] = value
            if key in base:
                replaced.add(child)
    return out


def _under(key: Key, replaced: set[Key]) -> bool:
    """Whether ``key`` is at or below a replaced key (so its base position is gone)."""
    return bool(replaced) and any(key[:end] in replaced for end in range(1, len(key) + 1))


def document_from_data(data: Mapping[str, Any], name: str) -> Document:
    """A document for data that did not come from a file (a ``Profile``, the default)."""
    return Document(copy.deepcopy(dict(data)), SourceMap(document=Mark(name, 1, 1)), [], name)
