"""Escaping for text output: what keeps a message or a field from forging a line.

Control characters in a message or a field are escaped, and the lines of a traceback are
indented, so every line that starts at column one is the start of a record. The text
formatter's general path and its compiled layouts escape with these same helpers.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from logboot.core.records import CONTEXT_NAMES

# The escape of each control character, for str.translate (what ``escape`` does).
ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTINUATION = "\n    "  # traceback lines are indented under their record
# The characters ``escape`` changes, one str each, for ``needs_escape``'s searches; the
# ASCII ones alone for ASCII text (which cannot hold the others).
_ESCAPED_CHARS = tuple(map(chr, ESCAPES))
_ESCAPED_ASCII = tuple(char for char in _ESCAPED_CHARS if char.isascii())
# Texts at least this long are checked by ``needs_escape`` rather than ``str.isprintable``.
LONG_TEXT = 256
# ``any_needs_escape`` joins at most about this many characters at a time: a bigger joined
# text is an allocation glibc serves with fresh pages (page faults: 10 µs and more a 16 KiB
# record, measured), where a smaller one reuses the same memory.
CHECK_CHUNK = 32 * 1024
# A text this long or longer is checked alone, not joined: its 33 searches cost what the
# joined text's would, and the join would copy it once more.
CHECK_ALONE = 4096

# Fields that never hold text from outside the program, so need no escaping.
SAFE_FIELDS = frozenset(
    {"asctime", "levelname", "levelno", "created", "msecs", "relativeCreated", "process", "thread", "lineno"}
)
# The types whose values a layout shows as they are: they cannot hold a line break.
LINE_SAFE_TYPES = frozenset({int, float, bool, type(None)})


def escape(text: str) -> str:
    """Escape CR, LF, ESC and the other control characters so a line cannot be forged."""
    if len(text) < LONG_TEXT and text.isprintable():
        return text
    return text.translate(ESCAPES) if needs_escape(text) else text


def needs_escape(text: str) -> bool:
    """True when ``text`` holds a character that ``escape`` changes (one of ``ESCAPES``).

    One substring search per such character: for ASCII text (known without a pass) the 33
    ASCII ones, each a ``memchr``. Measured on 16 KiB of text: 5 µs, where
    ``str.isprintable`` (a table look-up per character) takes 50; on 1 KiB 0.8 against 3.
    Below ``LONG_TEXT`` characters ``isprintable`` is the cheaper test (one call, not 33),
    and the compiled layouts check a whole batch's messages joined, at once.
    """
    for char in _ESCAPED_ASCII if text.isascii() else _ESCAPED_CHARS:  # noqa: SIM110 - no generator
        if char in text:
            return True
    return False


def any_needs_escape(texts: list[str]) -> bool:
    """True when one of ``texts`` ``needs_escape``: checked joined (a control character is
    one character, so it cannot arise where two texts meet), ``CHECK_CHUNK`` characters or
    so at a time, a text of ``CHECK_ALONE`` characters or more alone (joining it would copy
    it once more for nothing: its own check is as long)."""
    if sum(map(len, texts)) <= CHECK_CHUNK and max(map(len, texts), default=0) < CHECK_ALONE:
        return needs_escape("".join(texts))  # a small batch: one join, one check
    group: list[str] = []
    held = 0
    for text in texts:
        if len(text) >= CHECK_ALONE:
            if needs_escape(text):
                return True
            continue
        group.append(text)
        held += len(text)
        if held >= CHECK_CHUNK:
            if needs_escape("".join(group)):
                return True
            group, held = [], 0
    return bool(group) and needs_escape("".join(group))


def escape_value(value: object) -> object:
    """A field's value as a layout may show it: an exact str escaped; a number or None as
    it is; anything else (a Path, an exception, a str subclass) seen through ``Escaping``."""
    if value.__class__ is str:
        return escape(value)
    if value.__class__ in LINE_SAFE_TYPES:
        return value
    return Escaping(value)


def _exact(text: str) -> str:
    """``text`` as an exact str: a str subclass's own ``__str__`` is not asked again."""
    return text if text.__class__ is str else str.__str__(text)


class Escaping:
    """A value whose every rendering comes out escaped: ``str`` (``%s``, ``$x``), ``repr``
    (``!r``, ``%r``), a format spec (``{x:>20}``), and the items and attributes a "{"
    layout looks up (``{x[key]}``, ``{x.name}``). The value's own methods render it first,
    so a layout shows what it would have shown, on one line. Numeric specs (``%d``,
    ``%.1f``, ``%x``) read the value's number."""

    __slots__ = ("__value",)  # private: `{x.value}` is the value's own attribute

    def __init__(self, value: object) -> None:
        self.__value: Any = value

    def __str__(self) -> str:
        try:
            return escape(_exact(str(self.__value)))
        except Exception:  # noqa: BLE001 - a broken __str__ or a value too deep must not lose the record
            return unprintable(self.__value)

    def __repr__(self) -> str:
        try:
            return escape(_exact(repr(self.__value)))
        except Exception:  # noqa: BLE001 - as __str__
            return unprintable(self.__value)

    def __format__(self, spec: str) -> str:
        try:
            return escape(_exact(format(self.__value, spec)))
        except Exception:  # noqa: BLE001 - as __str__
            return unprintable(self.__value)

    def __getattr__(self, name: str) -> object:
        return escape_value(getattr(self.__value, name))

    def __getitem__(self, key: object) -> object:
        return escape_value(self.__value[key])

    def __int__(self) -> int:
        return int(self.__value)

    def __float__(self) -> float:
        return float(self.__value)

    def __index__(self) -> int:
        return operator.index(self.__value)


def unprintable(value: object) -> str:
    """What a layout shows for a value whose rendering raised (a nesting too deep for str())."""
    return f"<unprintable {type(value).__name__} object>"


def text_of(value: object) -> str:
    """``value`` as ``%s`` and ``{}`` show it, as an exact str; never raises."""
    if value.__class__ is str:
        return value
    try:
        return _exact(str(value))
    except Exception:  # noqa: BLE001 - as Escaping.__str__
        return unprintable(value)


# What makes a value of `{context}` quoted: a space, `=`, a quote or a backslash (so that a
# value can neither start a pair of its own nor end its quotes), or no text at all.
_QUOTE_IF = (" ", "=", '"', "\\")


def context_text(attributes: Mapping[str, Any]) -> str:
    """The `{context}` layout field: a record's context fields as ``name=value`` pairs, in
    the order bound, separated by spaces; "" for a record without any.

    A value is its text (what ``{name}`` shows), quoted as logfmt quotes (``"`` and ``\\``
    escaped inside) when it has a space, ``=``, ``"`` or ``\\`` or is empty, and with its
    control characters escaped as in a message: no value can forge a pair or a line. A
    field the record no longer has (``redact`` renamed it) is left out."""
    names = attributes.get(CONTEXT_NAMES)
    if names.__class__ is not tuple:
        return ""
    pairs = []
    for name in names:
        if name.__class__ is not str or name not in attributes or not name.isidentifier():
            continue  # only bind's own names: a list set by hand may hold anything
        text = text_of(attributes[name])
        if text and text.isprintable() and not any(mark in text for mark in _QUOTE_IF):
            pairs.append(f"{name}={text}")
        else:
            quoted = text.replace("\\", "\\\\").replace('"', '\\"')
            pairs.append(f'{name}="{escape(quoted)}"')
    return " ".join(pairs)


def escape_block(text: str) -> str:
    """A multi-line block (traceback) as indented continuation lines, each one escaped."""
    return _CONTINUATION + _CONTINUATION.join(escape(line) for line in text.splitlines())


def escaped(values: dict[str, Any], names: tuple[str, ...], *, copy: bool = True) -> dict[str, Any]:
    """A copy of ``values`` (or ``values`` itself) with the fields ``names`` as
    ``escape_value`` shows them."""
    if copy:
        values = dict(values)
    for name in names:
        if name in values:
            values[name] = escape_value(values[name])
    return values
