"""JSON lines of a ``json`` formatter's fields, compiled to code: ``JsonFormatter``'s fast path.

A record without a traceback or a stack (when the formatter writes those), which is
nearly every record, is written by generated code that reads each field straight off
the record and builds the line as one f-string, its `extra` fields (when the formatter
writes them) appended after. Within a batch, the JSON text of a field is reused while
the next record holds an equal str or int, or None (the level, logger, process and
thread, mostly); only the message and the time stamp are new for most records, and the
text around the message is kept while no other field changes (``text_layout.kept_text``). Any
other record is handed to the general path, which builds a dict and encodes it. Both
write the same text: tests/test_hot_paths.py compares them over awkward records.
"""

from __future__ import annotations

import logging
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from logboot.core.lean_record import LeanRecord
from logboot.formatters.fields import JSON_ATTRIBUTES, JSON_FIELDS, JSON_GENERAL_ONLY, ONLY_STANDARD
from logboot.formatters.text_layout import (
    BATCH_CLOCK_START,
    batch_clock_steps,
    indent,
    kept_text,
    message_steps,
    split_body,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Format = Callable[[logging.LogRecord], str]
    FormatBatch = Callable[[Iterable[logging.LogRecord]], list[str]]
    Maker = Callable[..., tuple[Format, FormatBatch]]

# The fields read straight off a record, with the record attribute each one reads and the
# type whose values are reused by equality (a process id or a module name is a new object
# in every record, but mostly equal).
PLAIN_FIELDS: dict[str, tuple[str, str]] = {
    field: (attribute, "int" if field in ("process", "thread", "line") else "str")
    for field, attribute in JSON_ATTRIBUTES.items()
}
_ORDER = tuple(field for field in JSON_FIELDS if field != "extra")  # the order of a line
# How the general path's encoder writes an exact str and an exact int.
_EXACT = {"str": "encode_str", "int": "repr"}
_MISSING = object()  # what a batch's last value of a field starts as: no record holds it
_MAKERS: dict[tuple[tuple[str, ...], bool], Maker] = {}


def extra_text(
    attributes: dict[str, Any], skip: frozenset[str], value: Callable[[object], str], lead: str
) -> str | None:
    """The `extra` fields of a record's ``attributes`` as JSON members, after ``lead``, in
    the order the general path writes them: every attribute but those in ``skip`` (the
    standard ones and the fields already written). None for a key that is not a str:
    the general path decides what JSON makes of it."""
    members = []
    for key in attributes:  # noqa: PLC0206 - most keys are skipped: their values are not needed
        if key not in skip:
            if key.__class__ is not str:
                return None
            members.append(f"{encode_basestring(key)}: {value(attributes[key])}")
    return lead + ", ".join(members) if members else ""


def compile_fields(
    fields: frozenset[str],
    clock: Callable[[float, float], str],
    general: Format,
    value: Callable[[object], str],
    standard: frozenset[str],
) -> tuple[Format, FormatBatch]:
    """``format`` and ``format_batch`` for a formatter writing ``fields``."""
    written = tuple(field for field in _ORDER if field in fields)
    maker = _maker(written, "extra" in fields)
    # An `extra` field named like a field already written is left out, as by the general path.
    skip = standard | {field for field in written if field not in JSON_GENERAL_ONLY}
    return maker(clock, general, value, standard, skip)


def _maker(written: tuple[str, ...], extra: bool) -> Maker:
    """The maker of ``format`` and ``format_batch`` for this choice of fields, compiled
    once per choice.

    The source holds only names from ``_ORDER`` and ``PLAIN_FIELDS``: nothing from a
    profile is written into it.
    """
    key = (written, extra)
    if key in _MAKERS:
        return _MAKERS[key]
    one, line = _steps(written, extra, batch=False)
    many, batch_line = _steps(written, extra, batch=True)
    cached = [f"k_{field}" for field in written if field in PLAIN_FIELDS]
    maker: Maker = compile_pair(
        "clock, general, value, standard, skip",
        [],
        (one, many, cached, line),
        f"<logboot json {' '.join(written)}>",
        batch_line=batch_line,
        extra_text=extra_text,
    )
    _MAKERS[key] = maker
    return maker


def compile_pair(
    parameters: str,
    setup: list[str],
    steps: tuple[list[str], list[str], list[str], str],
    filename: str,
    batch_line: str | None = None,
    **names: Any,
) -> Callable[..., tuple[Format, FormatBatch]]:
    """Compile the maker of a ``format`` / ``format_batch`` pair: ``make(parameters)`` runs
    ``setup``, then returns the pair. ``steps``: the statements of one record, of a record in
    the batch's loop, the names the loop caches from record to record, and the line's
    f-string; ``batch_line``: the loop's own, when it differs. ``names``: what the code
    reads besides the encoder and the record class."""
    one, many, cached, line = steps
    source = f"""
def make({parameters}):
    {indent(setup, 4)}

    def format(record):
        {indent([*one, f"return f'{line}'"], 8)}

    def format_batch(records):
        lines = []
        add = lines.append
        {indent(BATCH_CLOCK_START, 8)}
        {" = ".join([*cached, "MISSING"])}
        head = None
        for record in records:
            {indent([*many, f"add(f'{batch_line or line}')"], 12)}
        return lines

    return format, format_batch
"""
    namespace: dict[str, Any] = {
        "LogRecord": logging.LogRecord,
        "LeanRecord": LeanRecord,  # a LogRecord with its getMessage
        "MISSING": _MISSING,
        "encode_str": encode_basestring,
        **names,
    }
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - names from fixed tables only
    maker: Callable[..., tuple[Format, FormatBatch]] = namespace["make"]
    return maker


def _steps(written: tuple[str, ...], extra: bool, *, batch: bool) -> tuple[list[str], str]:
    """The statements that write a record's line but for its last one, and the line's
    f-string (without its quotes). ``batch``: in ``format_batch``'s loop, reusing the
    last record's pieces; else in ``format``, for one record."""

    def done(text: str) -> list[str]:  # hand a line over, and go on with the next record
        return [f"add({text})", "continue"] if batch else [f"return {text}"]

    # What only the general path writes: these records go there.
    special = [
        *(["record.exc_info", "record.exc_text"] if "exception" in written else []),
        *(["record.stack_info"] if "stack" in written else []),
    ]
    steps = [f"if {' or '.join(special)}:", *_indented(done("general(record)"))] if special else []
    pieces: list[str] = []
    for field in written:
        if field in JSON_GENERAL_ONLY:
            continue
        if field == "time":
            if batch:
                steps += batch_clock_steps("e_time", "encode_str(clock(created, msecs))")
                steps.append("    head = None")  # in the clock's block: the time stamp changed
            else:
                steps.append("e_time = encode_str(clock(record.created, record.msecs))")
        elif field == "message":
            steps += [
                *message_steps(),
                "e_message = encode_str(message) if message.__class__ is str else value(message)",
            ]
        else:
            attribute, kind = PLAIN_FIELDS[field]
            steps.append(f"v = record.{attribute}")
            if batch:
                steps += [
                    f"if v is not k_{field} and (v.__class__ is not {kind} or v != k_{field}):",
                    "    head = None",  # the text around the message changed
                    f"    if v.__class__ is {kind}:",
                    f"        k_{field}, e_{field} = v, {_EXACT[kind]}(v)",
                    # None is reused too (processName without multiprocessing); a value of
                    # any other type never is: it may change.
                    "    else:",
                    f"        k_{field}, e_{field} = v if v is None else MISSING, value(v)",
                ]
            else:
                steps.append(f"e_{field} = {_EXACT[kind]}(v) if v.__class__ is {kind} else value(v)")
        pieces.append(f'"{field}": {{e_{field}}}')
    fixed = ", ".join(pieces)
    if batch:
        kept, fixed = kept_text(split_body(fixed), ("{e_message}",))
        steps += kept
    if extra:
        # An attribute a standard record lacks came from `extra`. Looked for last: building
        # the record's __dict__ (3.11 keeps a plain record's attributes without one) makes
        # every later attribute read slower. Most records have none: one subset test.
        lead = '", "' if pieces else '""'  # what comes between the fields and the extras
        steps += [
            "attributes = record.__dict__",
            f"if not {ONLY_STANDARD}:",
            f"    extras = extra_text(attributes, skip, value, {lead})",
            "    if extras is None:",
            *_indented(done("general(record)"), 8),
            *_indented(done(f"f'{{{{{fixed}{{extras}}}}}}'")),
        ]
    return steps, "{{" + fixed + "}}"


def _indented(lines: list[str], spaces: int = 4) -> list[str]:
    return [" " * spaces + line for line in lines]
