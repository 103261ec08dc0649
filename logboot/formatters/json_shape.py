"""JSON lines of a ``preset`` or ``rename`` (see ``logboot.formatters.presets``): both paths.

The general path builds the line's objects as a tree of JSON texts and writes it; the
fast path is code compiled for the shape of a record without a traceback, a stack or a
renamed `extra` field, which writes the same text as one f-string (the values of the
level, logger, process and thread reused within a batch while they stay equal, and the
text around the message kept while none of them changes, as in
``logboot.formatters.json_layout``). Names from a profile never enter the generated
source: the constant pieces of the line are handed to it as values.

An `extra` field goes where the shape puts them (the top level; ``Attributes`` for
``otel``) under its own name, unless that name, read as a dotted path, meets a field the
line may write (``log.level`` or ``log`` next to ECS's ``log.level``; ``error`` too, which
only a record with an exception has): then it is left out, as the plain line leaves out
an `extra` named like one of its fields.
"""

from __future__ import annotations

import json
import logging
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from logboot.formatters.fields import ONLY_STANDARD, STANDARD_ATTRS
from logboot.formatters.json_layout import compile_pair
from logboot.formatters.presets import (
    OTEL_TEXT,
    Path,
    Shape,
    datadog_status,
    dotted,
    gcp_severity,
    otel_severity_number,
)
from logboot.formatters.text_layout import batch_clock_steps, kept_text, message_steps, split_body

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Format = Callable[[logging.LogRecord], str]
    FormatBatch = Callable[[Iterable[logging.LogRecord]], list[str]]
    Value = Callable[[object], str]

# How each kind of item writes a value of its exact type (any other value: ``value``).
RENDER: dict[str, tuple[type, Callable[[Any], str]]] = {
    "str": (str, encode_basestring),
    "int": (int, int.__repr__),
    "lower": (str, lambda v: encode_basestring(v.lower())),
    "gcp": (int, lambda v: encode_basestring(gcp_severity(v))),
    "datadog": (int, lambda v: encode_basestring(datadog_status(v))),
    "otel_text": (str, lambda v: encode_basestring(OTEL_TEXT.get(v, v))),
    "otel_number": (int, lambda v: int.__repr__(otel_severity_number(v))),
}
_GENERAL_ONLY = frozenset({"exc_type", "exc_message", "exc_traceback", "stack"})
_MAKERS: dict[tuple[Any, ...], Callable[..., tuple[Format, FormatBatch]]] = {}


def nanoseconds(created: float) -> str:
    """``Timestamp`` of ``otel``: nanoseconds since the epoch as a JSON string (OTLP/JSON's
    64-bit integers). The second and its fraction apart: ``created * 1e9`` would round
    to 256 ns (``.25`` s would end in ``249999872``)."""
    second = int(created)
    return f'"{second * 1_000_000_000 + round((created - second) * 1e9)}"'


class Taken:
    """The names an `extra` field may not take in its object: every output name there and
    every object on the way to one, as dotted names."""

    __slots__ = ("names", "whole")

    def __init__(self, paths: Iterable[Path]) -> None:
        parts = [dotted(path) for path in paths]
        self.whole = frozenset(".".join(p) for p in parts)
        self.names = frozenset(".".join(p[:i]) for p in parts for i in range(1, len(p) + 1))

    def meets(self, name: str) -> bool:
        if name in self.names:
            return True
        if "." not in name:
            return False
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.whole for i in range(1, len(parts)))


class ShapedLine:
    """The layout of a ``json`` formatter with a preset or a rename: its general path and
    its compiled fast path. Holds no closure: a formatter using it can be pickled."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.exception = any(item.kind == "exc_traceback" for item in shape.items)
        self.stack = any(item.kind == "stack" for item in shape.items)
        # What an `extra` field may not be called: every name the line may hold, the
        # exception's and the stack's too (an `extra` never poses as an `error.type`).
        paths = [item.path for item in shape.items] + list(shape.renamed.values())
        self.taken = Taken(_within(shape.container, paths))

    # --- the general path ------------------------------------------------------------

    def general(
        self,
        record: logging.LogRecord,
        clock: Callable[[float, float], str],
        value: Value,
        format_exception: Callable[[Any], str],
    ) -> str:
        """The line of any record: a tree of JSON texts, written out."""
        has_exc = has_stack = False
        if self.exception:
            if record.exc_info and not record.exc_text:
                record.exc_text = format_exception(record.exc_info)
            has_exc = bool(record.exc_text)
        if self.stack:
            has_stack = bool(record.stack_info)
        tree: dict[str, Any] = {}
        for item in self.shape.items:
            kind = item.kind
            if kind in _GENERAL_ONLY:
                if kind == "stack":
                    if not has_stack:
                        continue
                    text = value(record.stack_info)
                elif not has_exc:
                    continue
                elif kind == "exc_type":
                    text = value(getattr(record, "exc_type", None) or _type_name(record))
                elif kind == "exc_message":
                    text = value(getattr(record, "exc_message", None) or "")
                else:
                    text = value(record.exc_text)
            else:
                text = _leaf(item.kind, item.attribute, item.constant, record, clock, value)
            _put(tree, item.path, text)
        if self.shape.extras:
            self._put_extras(tree, record.__dict__, self.taken, value)
        return _write(tree)

    def _put_extras(
        self, tree: dict[str, Any], attributes: dict[Any, Any], taken: Taken, value: Value
    ) -> None:
        renamed = self.shape.renamed
        node: dict[str, Any] | None = None
        for key, raw in attributes.items():
            if key in STANDARD_ATTRS:
                continue
            if key in renamed:
                _put(tree, renamed[key], value(raw))
                continue
            name = _key_text(key)
            if taken.meets(name):
                continue
            if node is None:
                node = _node(tree, self.shape.container)
                if node is None:
                    return  # not an object (cannot be: ``shape`` refuses it)
            if name not in node:  # 1 and "1" are one name in JSON
                node[name] = value(raw)

    # --- the fast path -------------------------------------------------------------

    def compile(
        self, clock: Callable[[float, float], str], general: Format, value: Value
    ) -> tuple[Format, FormatBatch]:
        """``format`` and ``format_batch`` compiled for this shape."""
        fixed = [item for item in self.shape.items if item.kind not in _GENERAL_ONLY]
        tree: dict[str, Any] = {}
        for index, item in enumerate(fixed):  # a constant is text of the line itself
            _put(tree, item.path, value(item.constant) if item.kind == "constant" else index)
        parts: list[Any] = []  # text, an item's index, or None for the `extra` fields
        fragment: tuple[str, str, str] | None = None
        if self.shape.extras:
            fragment = _pieces(tree, (), self.shape.container, parts)
        else:
            _pieces(tree, (), None, parts)
        chunks, line = _line(parts)
        values = [
            (i, fixed[i].kind, fixed[i].attribute) for i in range(len(fixed)) if fixed[i].kind != "constant"
        ]
        # The line is in the key: two shapes with the same items may nest them in another order.
        key = (tuple(values), line, self.exception, self.stack, fragment is not None)
        maker = _MAKERS.get(key)
        if maker is None:
            maker = _MAKERS[key] = _maker(
                values, len(chunks), line, self.exception, self.stack, fragment is not None
            )
        extras = None
        if fragment is not None:
            taken = self.taken
            skip = (STANDARD_ATTRS | taken.names) - self.shape.renamed.keys()
            extras = _extra_text(skip, taken, frozenset(self.shape.renamed), value, *fragment)
        renders = [RENDER[fixed[i].kind][1] if fixed[i].kind in RENDER else None for i in range(len(fixed))]
        return maker(clock, general, value, STANDARD_ATTRS, extras, chunks, renders, nanoseconds)


def _leaf(
    kind: str,
    attribute: str,
    constant: Any,
    record: logging.LogRecord,
    clock: Callable[[float, float], str],
    value: Value,
) -> str:
    if kind == "time":
        return encode_basestring(clock(record.created, record.msecs))
    if kind == "time_ns":
        return nanoseconds(record.created)
    if kind == "message":
        return value(record.getMessage())
    if kind == "constant":
        return value(constant)
    exact, render = RENDER[kind]
    v = getattr(record, attribute)
    return render(v) if v.__class__ is exact else value(v)


def _type_name(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__qualname__
    return None


def _key_text(key: object) -> str:
    """A key of a record's attributes as a JSON object's name (as json.dumps names it)."""
    if isinstance(key, str):
        return str.__str__(key)
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    try:
        return repr(key)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not lose the record
        return f"<unrepresentable {type(key).__name__} object>"


def _within(container: Path, paths: Iterable[Path]) -> list[Path]:
    """The paths inside ``container``, from there (as dotted names)."""
    outer = dotted(container)
    return [dotted(p)[len(outer) :] for p in paths if dotted(p)[: len(outer)] == outer and dotted(p) != outer]


def _put(tree: dict[str, Any], path: Path, leaf: Any) -> None:
    node: Any = tree
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if node.__class__ is not dict:
            return  # a value where an object belongs: ``shape`` refuses such a layout
    if path[-1] not in node:
        node[path[-1]] = leaf


def _node(tree: dict[str, Any], path: Path) -> dict[str, Any] | None:
    node: Any = tree
    for key in path:
        node = node.setdefault(key, {})
        if node.__class__ is not dict:
            return None
    return node  # type: ignore[no-any-return]


def _write(node: dict[str, Any]) -> str:
    members = ", ".join(
        f"{encode_basestring(key)}: {value if value.__class__ is str else _write(value)}"
        for key, value in node.items()
    )
    return "{" + members + "}"


def _pieces(
    node: dict[str, Any], path: Path, container: Path | None, parts: list[Any]
) -> tuple[str, str, str] | None:
    """Add the parts of ``node`` (at ``path``) to ``parts``; where the `extra` fields go,
    a None. The (lead, head, tail) that wraps the `extra` fields there, if it is here."""
    parts.append("{")
    fragment = None
    for n, (key, sub) in enumerate(node.items()):
        parts.append((", " if n else "") + encode_basestring(key) + ": ")
        if sub.__class__ is dict:
            fragment = _pieces(sub, (*path, key), container, parts) or fragment
        else:
            parts.append(sub)
    if container is not None and container[: len(path)] == path:
        missing = container[len(path) :]
        if not missing or missing[0] not in node:
            head = "".join(encode_basestring(key) + ": {" for key in missing)
            fragment = (", " if node else "", head, "}" * len(missing))
            parts.append(None)
    parts.append("}")
    return fragment


def _line(parts: list[Any]) -> tuple[list[str], str]:
    """The constant chunks of a line and the f-string body that joins them with the values."""
    chunks: list[str] = []
    body = []
    text = ""
    for part in parts:
        if part.__class__ is str:
            text += part
            continue
        chunks.append(text)
        body.append(f"{{c{len(chunks) - 1}}}")
        body.append("{x}" if part is None else f"{{e_{part}}}")
        text = ""
    chunks.append(text)
    body.append(f"{{c{len(chunks) - 1}}}")
    return chunks, "".join(body)


def _extra_text(
    skip: frozenset[str], taken: Taken, renamed: frozenset[str], value: Value, lead: str, head: str, tail: str
) -> Callable[[dict[Any, Any]], str | None]:
    def extras(attributes: dict[Any, Any]) -> str | None:
        """The `extra` fields of a record as JSON text in their place; None: the general
        path decides (a key that is not exactly text, a renamed field)."""
        members = []
        for key in attributes:  # noqa: PLC0206 - most keys are skipped: their values are not needed
            if key not in skip:
                if key.__class__ is not str or key in renamed:
                    return None
                if "." in key and taken.meets(key):
                    continue
                members.append(f"{encode_basestring(key)}: {value(attributes[key])}")
        return lead + head + ", ".join(members) + tail if members else ""

    return extras


def _maker(
    values: list[tuple[int, str, str]], chunks: int, line: str, exception: bool, stack: bool, extras: bool
) -> Callable[..., tuple[Format, FormatBatch]]:
    """The maker of ``format`` and ``format_batch`` for one shape of line. The source holds
    item numbers, kinds and record attribute names from the presets' tables only."""
    one = _steps(values, exception, stack, extras, batch=False)
    many = _steps(values, exception, stack, extras, batch=True)
    # The message, a time in nanoseconds and the `extra` fields are new in every record.
    changing = {"{x}", *(f"{{e_{i}}}" for i, kind, _ in values if kind in ("message", "time_ns"))}
    kept, batch_line = kept_text(split_body(line), changing)
    cached = [f"k_{i}" for i, kind, _ in values if kind in RENDER]
    setup = [f"c{i} = C[{i}]" for i in range(chunks)] + [
        f"r{i} = R[{i}]" for i, kind, _ in values if kind in RENDER
    ]
    return compile_pair(
        "clock, general, value, standard, extras, C, R, ns",
        setup,
        (one, [*many, *kept], cached, line),
        "<logboot json shape>",
        batch_line=batch_line,
    )


def _steps(
    values: list[tuple[int, str, str]], exception: bool, stack: bool, extras: bool, *, batch: bool
) -> list[str]:
    def done(text: str) -> list[str]:
        return [f"add({text})", "continue"] if batch else [f"return {text}"]

    special = [
        *(["record.exc_info", "record.exc_text"] if exception else []),
        *(["record.stack_info"] if stack else []),
    ]
    steps = [f"if {' or '.join(special)}:", *("    " + s for s in done("general(record)"))] if special else []
    for i, kind, attribute in values:
        if kind == "time":
            if batch:
                steps += batch_clock_steps(f"e_{i}", "encode_str(clock(created, msecs))")
                steps.append("    head = None")  # in the clock's block: the time stamp changed
            else:
                steps.append(f"e_{i} = encode_str(clock(record.created, record.msecs))")
        elif kind == "time_ns":
            steps.append(f"e_{i} = ns(record.created)")
        elif kind == "message":
            steps += [
                *message_steps(),
                f"e_{i} = encode_str(message) if message.__class__ is str else value(message)",
            ]
        else:
            exact = RENDER[kind][0].__name__
            steps.append(f"v = record.{attribute}")
            if batch:
                steps += [
                    f"if v is not k_{i} and (v.__class__ is not {exact} or v != k_{i}):",
                    "    head = None",  # the kept text around the message changed
                    f"    if v.__class__ is {exact}:",
                    f"        k_{i}, e_{i} = v, r{i}(v)",
                    "    else:",
                    f"        k_{i}, e_{i} = v if v is None else MISSING, value(v)",
                ]
            else:
                steps.append(f"e_{i} = r{i}(v) if v.__class__ is {exact} else value(v)")
    if extras:
        steps += [
            "attributes = record.__dict__",
            f"if {ONLY_STANDARD}:",
            "    x = ''",
            "else:",
            "    x = extras(attributes)",
            "    if x is None:",
            *("        " + s for s in done("general(record)")),
        ]
    return steps
