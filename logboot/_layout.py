"""Text layouts of plain record fields, compiled to code: ``TextFormatter``'s fast path.

A "{" layout that ``_as_percent`` turned into a %-format, or a "%" layout, whose every
field is an attribute all records have, becomes two generated functions: ``format``
for one record and ``format_batch`` for the listener's batches. They write exactly what
``TextFormatter``'s general path writes (tests/test_hot_paths.py compares the two over
awkward records); any other layout stays on the general path.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from .formatters import _ESCAPES, _SAFE_FIELDS, escape

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Format = Callable[[logging.LogRecord], str]
    FormatBatch = Callable[[Iterable[logging.LogRecord]], list[str]]
    Clock = Callable[[float, float], str]
    WithTraceback = Callable[[logging.LogRecord, str], str]
    Maker = Callable[[str, Clock, WithTraceback], tuple[Format, FormatBatch]]

# What a compiled layout reads straight off a record: the attributes every record has,
# and the two the formatter computes. (Not `taskName` before 3.12: records lack it.)
RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<field>[^()]*)\))?(?P<spec>[-#0 +]*[0-9]*(?:\.[0-9]+)?[diouxXeEfFgGcrsa%])"
)
_MAKERS: dict[tuple[tuple[str, ...], bool], Maker] = {}


def compile_layout(
    percent: str | None, needs_time: bool, clock: Clock, with_traceback: WithTraceback
) -> tuple[Format, FormatBatch] | None:
    """``format`` and ``format_batch`` for the %-format ``percent``, or None when it has a
    part that only the general path renders (or is None: a "$" layout, say)."""
    positional = to_positional(percent)
    if positional is None:
        return None
    layout, fields = positional
    return _maker(fields, needs_time or "asctime" in fields)(layout, clock, with_traceback)


def to_positional(percent: str | None) -> tuple[str, tuple[str, ...]] | None:
    """A %-format of named record fields as a positional one and its fields in order, or
    None when some part is not a plain field every record has (an `extra`, a ``*`` width)."""
    if percent is None:
        return None
    parts: list[str] = []
    fields: list[str] = []
    start = 0
    for match in _PERCENT_SPEC.finditer(percent):
        literal = percent[start : match.start()]
        field, spec = match.group("field", "spec")
        if "%" in literal or (field is None) != (spec == "%"):
            return None  # a stray "%", a positional spec, or a named "%%"
        if field is not None:
            if field not in RECORD_FIELDS:
                return None
            fields.append(field)
        parts += (literal, "%", spec)
        start = match.end()
    rest = percent[start:]
    if "%" in rest:
        return None
    return "".join(parts) + rest, tuple(fields)


def _escape_field(value: object) -> object:
    """A field's value as the general path puts it in the line: text escaped, the rest as is."""
    return escape(value) if isinstance(value, str) else value


def _maker(fields: tuple[str, ...], needs_time: bool) -> Maker:
    """The maker of ``format`` and ``format_batch`` for a layout of ``fields``, compiled once
    per set of fields (as attrs and dataclasses compile ``__init__``).

    Generated code, because that is what a hand-written formatter for one layout would be:
    each field one attribute read, each text field one ``isprintable`` test, one %-format
    of a tuple; no ``__dict__`` (which 3.11 builds on first use) and nothing stored on the
    record (a second new attribute makes 3.11 build it too). ``format_batch`` also keeps,
    in locals, the last time stamp and the last printable value of each text field: the
    records of a batch mostly share their millisecond and their logger and thread names
    (the very same string objects).
    """
    key = (fields, needs_time)
    if key in _MAKERS:
        return _MAKERS[key]
    message = [
        "message = record.msg",
        # getMessage() gives `msg` itself for a plain record without args (a prepared one).
        "if message.__class__ is not str or record.args or record.__class__ is not LogRecord:",
        "    message = record.getMessage()",
        "if not message.isprintable():",
        "    message = message.translate(ESCAPES)",
    ]
    one, many = list(message), list(message)
    read = {"message": "message", "asctime": "asctime"}  # field -> the expression that gives it
    last = ["asctime", "last_msecs", "last_second"]  # a batch's locals, None at first
    for field in fields:
        if field in read:
            continue
        if field in _SAFE_FIELDS:
            read[field] = f"record.{field}"
            continue
        value = read[field] = f"v_{field}"
        last.append(f"ok_{field}")
        one += [
            f"{value} = record.{field}",
            f"if {value}.__class__ is not str or not {value}.isprintable():",
            f"    {value} = escape_field({value})",
        ]
        many += [
            f"{value} = record.{field}",
            f"if {value} is not ok_{field}:",  # ok_ starts as None, which needs no escaping either
            f"    if {value}.__class__ is str and {value}.isprintable():",
            f"        ok_{field} = {value}",
            "    else:",
            f"        {value} = escape_field({value})",
        ]
    if needs_time:
        one.append("asctime = clock(record.created, record.msecs)")
        many += [
            "created, msecs = record.created, record.msecs",
            "if msecs != last_msecs or int(created) != last_second:",  # the clock's own cache key
            "    asctime, last_msecs, last_second = clock(created, msecs), msecs, int(created)",
        ]
    line = f"line = layout % ({''.join(f'{read[field]}, ' for field in fields)})"
    tail = [
        "if record.exc_info or record.exc_text or record.stack_info:",
        "    line = with_traceback(record, line)",
    ]
    source = f"""
def make(layout, clock, with_traceback):
    def format(record):
        {_indent([*one, line, *tail, "return line"], 8)}

    def format_batch(records):
        lines = []
        add = lines.append
        {" = ".join(last)} = None
        for record in records:
            {_indent([*many, line, *tail, "add(line)"], 12)}
        return lines

    return format, format_batch
"""
    namespace = {"LogRecord": logging.LogRecord, "ESCAPES": _ESCAPES, "escape_field": _escape_field}
    # The source holds only names from RECORD_FIELDS (to_positional checks): no text from a profile.
    exec(compile(source, f"<logboot layout {' '.join(fields)}>", "exec"), namespace)  # noqa: S102
    maker: Maker = namespace["make"]  # type: ignore[assignment]
    _MAKERS[key] = maker
    return maker


def _indent(lines: list[str], spaces: int) -> str:
    return f"\n{' ' * spaces}".join(lines)
