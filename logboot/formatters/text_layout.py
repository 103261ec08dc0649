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

from logboot.core.lean_record import LeanRecord
from logboot.formatters.escaping import (
    ESCAPES,
    LONG_TEXT,
    SAFE_FIELDS,
    any_needs_escape,
    escape_value,
    needs_escape,
)
from logboot.formatters.fields import COMPUTED_FIELDS, RECORD_FIELDS

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable

    Format = Callable[[logging.LogRecord], str]
    FormatBatch = Callable[[Iterable[logging.LogRecord]], list[str]]
    Clock = Callable[[float, float], str]
    WithTraceback = Callable[[logging.LogRecord, str], str]
    Maker = Callable[[tuple[str, ...], Clock, WithTraceback], tuple[Format, FormatBatch]]
    Piece = tuple[str, str]  # a field and its %-spec ("s", "-8s", "03d")

_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<field>[^()]*)\))?(?P<spec>[-#0 +]*[0-9]*(?:\.[0-9]+)?[diouxXeEfFgGcrsa%])"
)
_MAKERS: dict[tuple[tuple[Piece, ...], tuple[bool, ...], bool], Maker] = {}


def compile_layout(
    percent: str | None, needs_time: bool, clock: Clock, with_traceback: WithTraceback
) -> tuple[Format, FormatBatch] | None:
    """``format`` and ``format_batch`` for the %-format ``percent``, or None when it has a
    part that only the general path renders (or is None: a "$" layout, say)."""
    split = split_layout(percent)
    if split is None:
        return None
    literals, pieces = split
    needs_time = needs_time or any(field == "asctime" for field, _ in pieces)
    maker = _maker(pieces, tuple(bool(text) for text in literals), needs_time)
    return maker(tuple(text for text in literals if text), clock, with_traceback)


def split_layout(percent: str | None) -> tuple[tuple[str, ...], tuple[Piece, ...]] | None:
    """A %-format of named record fields as its literal texts (one more than its fields,
    "%%" read as "%") and its fields with their specs, in order; or None when some part is
    not a plain field every record has (an `extra`, a ``*`` width, a positional spec)."""
    if percent is None:
        return None
    literals: list[str] = []
    pieces: list[Piece] = []
    text = ""
    start = 0
    for match in _PERCENT_SPEC.finditer(percent):
        literal = percent[start : match.start()]
        field, spec = match.group("field", "spec")
        if "%" in literal or (field is None) != (spec == "%"):
            return None  # a stray "%", a positional spec, or a named "%%"
        text += literal
        start = match.end()
        if field is None:
            text += "%"
            continue
        if field not in RECORD_FIELDS:
            return None
        literals.append(text)
        pieces.append((field, spec))
        text = ""
    rest = percent[start:]
    if "%" in rest:
        return None
    literals.append(text + rest)
    return tuple(literals), tuple(pieces)


def message_steps(after_get: tuple[str, ...] = ()) -> list[str]:
    """The statements that set ``message`` to what ``record.getMessage()`` gives: the one
    rule of the compiled layouts (text and JSON). For a str ``msg`` of logging's record
    class or LeanRecord (which keeps logging's getMessage), that is ``msg`` itself, merged
    with its args when it has any, without the call; any other record calls its own
    getMessage, then runs ``after_get``."""
    return [
        "message = record.msg",
        "if message.__class__ is not str or (",
        "    record.__class__ is not LeanRecord and record.__class__ is not LogRecord",
        "):",
        "    message = record.getMessage()",
        *(f"    {step}" for step in after_get),
        "elif record.args:",
        "    message = message % record.args",  # getMessage's own merge: str(msg) is msg
    ]


_MERGE = message_steps(
    (
        "if message.__class__ is not str:",  # a str subclass: %s would call its own __str__
        "    message = message.translate(ESCAPES) if not message.isprintable() else '%s' % (message,)",
    )
)
_MESSAGE = [
    *_MERGE,
    "if len(message) < LONG_TEXT and message.isprintable():",
    "    pass",
    "elif needs_escape(message):",
    "    message = message.translate(ESCAPES)",
]
# format_batch lays out each line with its message as it is, keeping the messages; one
# check of them all, joined (``any_needs_escape``), finds the batch clean (nearly always), or the lines to lay
# out again with ``format``, which escapes. (A control character is one character: it
# cannot arise where two messages meet.)
_BATCH_MESSAGE = [*_MERGE, "keep(message)"]
_BATCH_CHECK = [
    "if any_needs_escape(messages):",
    "    for index, message in enumerate(messages):",
    "        if needs_escape(message):",
    "            lines[index] = format(records[index])",
]


def _maker(pieces: tuple[Piece, ...], has_literal: tuple[bool, ...], needs_time: bool) -> Maker:
    """The maker of ``format`` and ``format_batch`` for layouts of this shape, compiled once
    per shape (as attrs and dataclasses compile ``__init__``).

    Generated code, because that is what a hand-written formatter for one layout would be:
    each field one attribute read, each text field one ``isprintable`` test, the line one
    f-string of its pieces (half the cost of a %-format of a tuple); no ``__dict__`` (which
    3.11 builds on first use) and nothing stored on the record (a second new attribute
    makes 3.11 build it too). ``format_batch`` also keeps, in locals, the last time stamp
    and, for each field, the last value and the text it gave: the records of a batch
    mostly share their millisecond and their level, logger and thread names (the very
    same string objects, which cannot change).

    The source holds only names from RECORD_FIELDS and specs that ``_PERCENT_SPEC``
    matched (``split_layout`` checks); the layout's literal texts are the maker's argument.
    """
    key = (pieces, has_literal, needs_time)
    if key in _MAKERS:
        return _MAKERS[key]
    one, one_texts = _steps(pieces, needs_time, batch=False)
    many, many_texts = _steps(pieces, needs_time, batch=True)
    literals = [f"L{n}" for n in range(sum(has_literal))]
    fields = _record_fields(pieces)
    tail = [
        "if record.exc_info or record.exc_text or record.stack_info:",
        "    line = with_traceback(record, line)",
    ]
    source = f"""
def make(literals, clock, with_traceback):
    {f"{', '.join(literals)}, = literals" if literals else "pass"}

    def format(record):
        {indent([*one, _line(one_texts, has_literal), *tail, "return line"], 8)}

    def format_batch(records):
        if records.__class__ is not list:
            records = list(records)
        lines = []
        add = lines.append
        messages = []
        keep = messages.append
        {indent(BATCH_CLOCK_START, 8)}
        {" = ".join([*(f"k_{field}" for field in fields), "MISSING"])}
        head = None
        for record in records:
            {indent([*many, *_batch_line(many_texts, has_literal, pieces), *tail, "add(line)"], 12)}
        {indent(_BATCH_CHECK, 8)}
        return lines

    return format, format_batch
"""
    namespace = {
        "LogRecord": logging.LogRecord,
        "LeanRecord": LeanRecord,  # a LogRecord with its getMessage
        "ESCAPES": ESCAPES,
        "escape_field": escape_value,  # as the general path: text escaped, objects seen escaped
        "needs_escape": needs_escape,
        "any_needs_escape": any_needs_escape,
        "LONG_TEXT": LONG_TEXT,
        "MISSING": _MISSING,
    }
    exec(compile(source, f"<logboot layout {' '.join(f for f, _ in pieces)}>", "exec"), namespace)  # noqa: S102
    maker: Maker = namespace["make"]  # type: ignore[assignment]
    _MAKERS[key] = maker
    return maker


_MISSING = object()  # what a batch's last value of a field starts as: no record holds it


def _steps(pieces: tuple[Piece, ...], needs_time: bool, *, batch: bool) -> tuple[list[str], list[str]]:
    """The statements that compute a record's pieces, and each piece's f-string expression."""
    steps = list(_BATCH_MESSAGE if batch else _MESSAGE)
    texts = [""] * len(pieces)

    def render(field: str, value: str, prefix: str = "") -> None:
        for i, (name, spec) in enumerate(pieces):
            if name != field:
                continue
            if spec == "s" and field in COMPUTED_FIELDS:  # always an exact str
                texts[i] = value
            elif spec == "s" and not batch:
                texts[i] = f"{value}!s"  # str(), as %s does
            else:
                steps.append(f"{prefix}p{i} = '%{spec}' % ({value},)")
                texts[i] = f"p{i}"

    render("message", "message")
    if needs_time:
        if batch:
            steps += batch_clock_steps("asctime", "clock(created, msecs)")
            render("asctime", "asctime", "    ")
            steps.append("    head = None")  # the text before the message changed
        else:
            steps.append("asctime = clock(record.created, record.msecs)")
            render("asctime", "asctime")
    for field in _record_fields(pieces):
        value = f"v_{field}"
        escaped = field not in SAFE_FIELDS
        steps.append(f"{value} = record.{field}")
        if batch:
            steps += [
                f"if {value} is not k_{field}:",
                f"    k_{field} = {value} if {value}.__class__ is str else MISSING",
            ]
            if escaped:
                steps.append(f"    {value} = escape_field({value})")
            render(field, value, "    ")
            steps.append("    head = None")
        else:
            if escaped:
                steps += [
                    f"if {value}.__class__ is not str or not {value}.isprintable():",
                    f"    {value} = escape_field({value})",
                ]
            render(field, value)
    return steps, texts


# What a generated format_batch sets up before its loop for batch_clock_steps.
BATCH_CLOCK_START = ["last_msecs = None", "low = high = 0"]


def batch_clock_steps(target: str, stamp: str) -> list[str]:
    """The statements that set ``target`` to ``stamp`` (an expression of ``created`` and
    ``msecs``) for a record of a batch, reusing the last one within its millisecond."""
    return [
        "created, msecs = record.created, record.msecs",
        # The clock's own cache key is (int(created), msecs); low <= created < high
        # is int(created) == low without the call (never true before 1970).
        "if msecs != last_msecs or not low <= created < high:",
        f"    {target}, last_msecs = {stamp}, msecs",
        "    low = int(created)",
        "    high = low + 1 if created >= 0 else low",
    ]


def _record_fields(pieces: tuple[Piece, ...]) -> list[str]:
    """The fields read off the record (not the two the formatter computes), each once."""
    names = dict.fromkeys(name for name, _ in pieces)
    return [name for name in names if name not in COMPUTED_FIELDS]


def _line(texts: list[str], has_literal: tuple[bool, ...]) -> str:
    """``line = f"..."``: the literal texts (L0, L1...) and the pieces, in order."""
    return f"line = f'{''.join(_parts(texts, has_literal))}'"


def _parts(texts: list[str], has_literal: tuple[bool, ...]) -> list[str]:
    """The f-string parts of a line: literal texts and pieces, in order."""
    parts: list[str] = []
    literal = 0
    for i, present in enumerate(has_literal):
        if present:
            parts.append(f"{{L{literal}}}")
            literal += 1
        if i < len(texts):
            parts.append(f"{{{texts[i]}}}")
    return parts


# Fields whose value is mostly the very object the last record held (names, the level),
# or changes once a millisecond (the time stamp): format_batch keeps the text around the
# message while none of them changes.
STEADY_FIELDS = frozenset(
    {"asctime", "levelname", "levelno", "name", "threadName", "processName", "taskName"}
    | {"filename", "module", "funcName", "pathname"}
)


def _batch_line(texts: list[str], has_literal: tuple[bool, ...], pieces: tuple[Piece, ...]) -> list[str]:
    """The statements that set ``line`` in format_batch's loop.

    When the message is the one field that is not steady, the line is the kept text around
    the message (``kept_text``). Otherwise, the whole line each time.
    """
    fields = [field for field, _ in pieces]
    if fields.count("message") != 1 or not STEADY_FIELDS.issuperset(f for f in fields if f != "message"):
        return [_line(texts, has_literal)]
    message = f"{{{texts[fields.index('message')]}}}"
    steps, line = kept_text(_parts(texts, has_literal), {message})
    return [*steps, f"line = f'{line}'"]


def kept_text(parts: list[str], changing: Collection[str]) -> tuple[list[str], str]:
    """In format_batch's loop: the text of a line's f-string ``parts`` between those in
    ``changing`` (new in every record: the message; the `extra` fields), made again only
    when a piece changed (its step set ``head`` to None). The one rule of the compiled
    layouts (text and JSON), which keep the text around the message across a batch: a line
    is then a few kept texts and the message, 35 ns rather than 100 for nine parts.

    Returns the statements that make the kept texts, and the line's f-string (without its
    quotes). ``head`` is always the first kept text (made empty when the line begins with
    a changing part): the one name every step that sees a change sets to None.
    """
    names: list[str] = []
    made: list[str] = []
    line: list[str] = []
    run: list[str] = []
    for part in [*parts, None]:
        if part is not None and part not in changing:
            run.append(part)
            continue
        if run or not names:
            name = f"kept{len(names)}" if names else "head"
            names.append(name)
            made.append(f"f'{''.join(run)}'")
            if run:
                line.append(f"{{{name}}}")
            run = []
        if part is not None:
            line.append(part)
    return ["if head is None:", f"    {', '.join(names)} = {', '.join(made)}"], "".join(line)


_PLACEHOLDER = re.compile(r"(\{\w+\})")


def split_body(body: str) -> list[str]:
    """An f-string's body as ``kept_text`` reads it: its literal texts and its ``{name}``
    pieces, in order. Only for bodies whose literal texts hold no brace (the JSON layouts'
    own, which give any text of a profile to the code as a value)."""
    parts = [part for part in _PLACEHOLDER.split(body) if part]
    if any("{" in part or "}" in part for part in parts if not _PLACEHOLDER.fullmatch(part)):
        raise ValueError(f"a brace in the literal text of {body!r}")
    return parts


def indent(lines: list[str], spaces: int) -> str:
    return f"\n{' ' * spaces}".join(lines)
