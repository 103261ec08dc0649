"""Which record fields a profile reads, and so what ``collect: auto`` may leave uncollected.

A ``LogRecord`` gathers its caller (a walk up the stack), its thread, its process, its
process name and its asyncio task on every call, whether anything reads them or not. Each
is a process-wide switch of the ``logging`` module (the logging HOWTO, "Optimization").
With ``collect: auto`` the runtime turns off each switch whose fields nothing in the
profile reads: no formatter, filter or sink. This module is the one place that knows who
reads what; ``logboot.runtime.switches`` sets the switches, ``describe`` shows them.

It reads names and values only (a validated ``Profile`` or the plain form of a cached
start), and imports nothing that validates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from logboot.formatters.fields import format_fields
from logboot.formatters.text import DEFAULT_FORMATS

if TYPE_CHECKING:
    from logboot.profile.plain import PlainProfile
    from logboot.profile.schema import Profile

#: Each switch, the record attributes it fills, and the ``logging`` setting that turns it off.
#: ``stack_info`` belongs to the caller: the standard library takes the stack while it finds
#: the caller, so with the caller off ``logger.info(..., stack_info=True)`` carries no stack.
SWITCH_FIELDS: Mapping[str, tuple[str, ...]] = {
    "caller": ("pathname", "filename", "module", "funcName", "lineno", "stack_info"),
    "threads": ("thread", "threadName"),
    "processes": ("process",),
    "process_names": ("processName",),
    "tasks": ("taskName",),
}
SWITCH_SETTINGS: Mapping[str, str] = {
    "caller": "_srcfile",
    "threads": "logThreads",
    "processes": "logProcesses",
    "process_names": "logMultiprocessing",
    "tasks": "logAsyncioTasks",  # 3.12+; earlier versions collect no task
}
FIELD_SWITCH: Mapping[str, str] = {
    field: switch for switch, names in SWITCH_FIELDS.items() for field in names
}
#: Every field a switch fills: what a reader that may read anything (custom code) needs.
EVERY_FIELD = frozenset(FIELD_SWITCH)

#: What each sink type reads off a record besides its formatter's fields. The remote sinks
#: (``syslog``, ``otlp``) tell their own sender's records apart by thread and process (so a
#: sender that logs never feeds itself); ``syslog`` writes the process as PROCID; ``otlp``
#: sends the caller and the thread name as attributes. A ``custom`` sink may read anything.
_REMOTE = ("thread", "process")
SINK_READS: Mapping[str, frozenset[str]] = {
    "syslog": frozenset(_REMOTE),
    "otlp": frozenset({*_REMOTE, "pathname", "funcName", "lineno", "threadName", "stack_info"}),
    "custom": EVERY_FIELD,
}
#: What each filter type reads of those fields: a ``throttle`` names the call site of the
#: first record it held back in its summary; ``custom`` code may read anything.
FILTER_READS: Mapping[str, frozenset[str]] = {
    "throttle": frozenset({"pathname", "lineno", "funcName"}),
    "custom": EVERY_FIELD,
}


def available_switches() -> tuple[str, ...]:
    """The switches this Python has (``tasks`` from 3.12)."""
    return tuple(name for name, setting in SWITCH_SETTINGS.items() if hasattr(logging, setting))


def formatter_reads(spec: Any) -> frozenset[str]:
    """The switched fields a formatter (its spec, or ``None``: the default text layout) reads."""
    if spec is None:
        return frozenset()
    if spec.type == "json":
        from logboot.formatters.presets import shape  # dataclasses: only where JSON is written

        fields = frozenset(spec.fields) if spec.fields else None
        items = shape(spec.preset, dict(spec.rename), fields).items
        reads = {item.attribute for item in items} | {"stack_info" for item in items if item.field == "stack"}
        return frozenset(reads) & EVERY_FIELD
    layout = spec.format or DEFAULT_FORMATS[spec.style]
    return frozenset(format_fields(layout, spec.style)) & EVERY_FIELD


def profile_reads(profile: Profile | PlainProfile) -> dict[str, frozenset[str]]:
    """Each reader of switched fields (``sinks.app``, ``formatters.json``, ``filters.t``)
    -> the fields it reads; readers that read none are left out."""
    reads: dict[str, frozenset[str]] = {}
    formatters = profile.formatters
    for name, sink in profile.sinks.items():
        own = SINK_READS.get(sink.type, frozenset())
        # `syslog`'s `structured_data` names record keys, which may be attributes (`funcName`).
        named = frozenset(getattr(sink, "structured_data", None) or ()) & EVERY_FIELD
        if own or named:
            reads[f"sinks.{name}"] = own | named
        if sink.formatter is not None and sink.formatter in formatters:
            reads[f"formatters.{sink.formatter}"] = formatter_reads(formatters[sink.formatter])
    for name, spec in profile.filters.items():
        if spec.type in FILTER_READS:
            reads[f"filters.{name}"] = FILTER_READS[spec.type]
    return {who: fields for who, fields in reads.items() if fields}


def needed_switches(reads: Iterable[frozenset[str]]) -> set[str]:
    """The switches that fill at least one of the fields read."""
    return {FIELD_SWITCH[field] for fields in reads for field in fields}


def switches_off(profile: Profile | PlainProfile) -> tuple[str, ...]:
    """The switches ``collect: auto`` turns off for this profile, in ``SWITCH_FIELDS`` order;
    none with ``collect: all``."""
    if profile.collect != "auto":
        return ()
    needed = needed_switches(profile_reads(profile).values())
    return tuple(name for name in available_switches() if name not in needed)


def collect_summary(profile: Profile | PlainProfile) -> str | None:
    """``show``'s line: ``auto (off: caller, threads)``; None with ``collect: all``."""
    if profile.collect != "auto":
        return None
    off = switches_off(profile)
    if off:
        return f"auto (off: {', '.join(off)})"
    readers = sorted(profile_reads(profile))
    return f"auto (nothing off: read by {', '.join(readers)})"
