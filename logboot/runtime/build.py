"""Profile -> Topology: build every live object; start nothing, touch nothing global.

If any part cannot be built (a log file that cannot be opened), what was already
opened is closed again and the error is raised, so a failed build leaves no trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from logboot.core.records import KeepOriginal
from logboot.errors import LogbootError, SetupError
from logboot.filters.redaction import RedactFilter
from logboot.filters.standard import InheritedRedaction, build_filter
from logboot.filters.throttle import ThrottleFilter
from logboot.formatters.build import build_formatter
from logboot.profile.plain import PlainProfile
from logboot.profile.wiring import (
    code_allowed,
    fallback_walk,
    logger_queue,
    needed_sinks,
    profile_root_queue,
    propagates,
    runs_code,
)
from logboot.runtime.handler import QueueHandler, TracingQueueHandler
from logboot.runtime.listener import Listener, ListenerSink
from logboot.runtime.queues import Overflow, ThreadQueue
from logboot.sinks import builder

if TYPE_CHECKING:
    from logboot.profile.schema import FilterSpec, Profile, QueueSpec

    # The transport (sockets, pickle, temporary folders) is imported only by a profile
    # with process queues: a thread-only service does not pay its memory (~2 MB).
    from logboot.runtime.transport import ProcessChannel, ProcessQueue


class LoggerPlan(NamedTuple):
    """What to set on one logger (``""`` is the root)."""

    level: int | None
    handler: QueueHandler | None
    propagate: bool | None


class ThrottleUse(NamedTuple):
    """One place a throttle filter is named, with buckets of its own."""

    filter: ThrottleFilter
    sink: str | None  # the sink it filters for (in the listener); None: a producer's handler


class Topology:
    """The live objects of a profile, not yet started."""

    def __init__(self, profile: Profile | PlainProfile) -> None:
        self.profile = profile  # a PlainProfile when started from the profile cache
        self.queues: dict[str, ThreadQueue] = {}
        self.sinks: dict[str, ListenerSink] = {}
        self.listeners: dict[str, Listener] = {}
        self.loggers: dict[str, LoggerPlan] = {}
        self.channels: dict[str, ProcessChannel] = {}  # in a child: process queues' connections
        self.throttles: dict[str, list[ThrottleUse]] = {}  # by filter name: every place it is used

    def close_sinks(self) -> None:
        for sink in self.sinks.values():
            sink.close()

    def close_servers(self) -> None:
        for queue in self.process_queues():
            queue.close_server()

    def process_queues(self) -> list[ProcessQueue]:
        return [cast("ProcessQueue", q) for q in self.queues.values() if q.kind == "process"]


def build_topology(profile: Profile | PlainProfile, remote: Mapping[str, str] | None = None) -> Topology:
    """Build the topology of a validated profile.

    ``remote`` maps process queues to their parent's socket address: in a child
    process those queues become channels to the parent, and their listeners and the
    sinks only they use are not built here.
    """
    topology = Topology(profile)
    try:
        _build(profile, topology, remote or {})
    except BaseException:
        topology.close_sinks()
        topology.close_servers()
        raise
    return topology


def _wire_fallbacks(profile: Profile | PlainProfile, topology: Topology) -> None:
    """Point each sink at its fallback; a cycle (possible in a Profile built in code) is refused."""
    for name, sink in topology.sinks.items():
        fallback = profile.sinks[name].fallback
        if fallback is not None and fallback in topology.sinks:
            sink.fallback = topology.sinks[fallback]
    for name in topology.sinks:
        _, back_at = fallback_walk(name, lambda at: _fallback_name(topology.sinks[at]))
        if back_at is not None:
            raise SetupError(f"sink {name!r}: its fallbacks form a cycle through {back_at!r}")


def _fallback_name(sink: ListenerSink) -> str | None:
    return sink.fallback.name if sink.fallback is not None else None


KEEP_ORIGINAL = KeepOriginal()  # keeps nothing of its own: one serves every handler


def _span_lookup(profile: Profile | PlainProfile) -> Callable[[], Any] | None:
    """OpenTelemetry's ``get_current_span`` where a record may end in an ``otlp`` sink (also
    in a child process, whose parent runs the sink), so log records keep their trace; None
    elsewhere, or without the OpenTelemetry API."""
    if not any(spec.type == "otlp" for spec in profile.sinks.values()):
        return None
    try:
        from opentelemetry.trace import get_current_span
    except ImportError:
        return None  # building the sink reports the missing extra
    return get_current_span


def _filter(profile: Profile | PlainProfile, name: str, spec: FilterSpec) -> logging.Filter:
    """A filter from its spec; a ``custom`` one only where the profile allows code."""
    if not runs_code(spec.type):
        return build_filter(spec)
    if not code_allowed(profile.allow_custom):  # a Profile built in code too
        raise SetupError(f"filter {name!r}: a custom filter needs `allow_custom: true` in the profile")
    try:
        return build_filter(spec)
    except Exception as err:
        raise SetupError(f"filter {name!r} (custom) could not be built: {err}") from err


def _build(profile: Profile | PlainProfile, topology: Topology, remote: Mapping[str, str]) -> None:
    formatters = {name: build_formatter(spec) for name, spec in profile.formatters.items()}
    filters = {name: _filter(profile, name, spec) for name, spec in profile.filters.items()}
    default_formatter = build_formatter(None)
    needed = needed_sinks(profile, remote)

    for name, spec in profile.sinks.items():
        if name not in needed:
            continue
        if runs_code(spec.type) and not code_allowed(profile.allow_custom):  # a Profile built in code too
            raise SetupError(f"sink {name!r}: a custom sink needs `allow_custom: true` in the profile")
        try:
            handler = builder(spec.type)(spec)
        except LogbootError:
            raise
        except Exception as err:
            raise SetupError(f"sink {name!r} ({spec.type}) could not be built: {err}") from err
        handler.name = name
        if spec.formatter:
            handler.setFormatter(formatters[spec.formatter])
        elif handler.formatter is None:  # a sink may bring its own default (syslog: the message)
            handler.setFormatter(default_formatter)
        for filter_name in spec.filters:
            handler.addFilter(_placed(profile, topology, filters, filter_name, name))
        topology.sinks[name] = sink = ListenerSink(name, handler, spec.level, spec.type)
        for use in _throttles_of(topology, name):
            use.filter.emit_to(_delivery_to(sink))  # its summaries are written by this sink alone
    _wire_fallbacks(profile, topology)

    for name, queue_spec in profile.queues.items():
        if name in remote:
            from logboot.runtime.transport import ProcessChannel

            topology.channels[name] = ProcessChannel(remote[name], name)
        else:
            topology.queues[name] = _build_queue(name, queue_spec, in_child=bool(remote))

    for name, listener_spec in profile.listeners.items():
        if listener_spec.queue in remote:
            continue
        sinks = [topology.sinks[s] for s in listener_spec.sinks]
        queue = topology.queues[listener_spec.queue]
        topology.listeners[name] = Listener(
            name, queue, sinks, listener_spec.batch_size, listener_spec.batch_bytes
        )

    redactions = _logger_redactions(profile, filters)

    current_span = _span_lookup(profile)
    keep_original = any(runs_code(spec.type) for spec in profile.sinks.values())  # a custom sink

    def handler_for(logger: str, queue_name: str, filter_names: list[str]) -> QueueHandler:
        target = topology.channels.get(queue_name) or topology.queues[queue_name]
        label = f"{logger or 'root'}->{queue_name}"
        handler = (
            QueueHandler(target, label)
            if current_span is None
            else TracingQueueHandler(target, label, current_span)
        )
        below = [(name, found) for name, found in redactions.items() if _is_below(name, logger)]
        if below:  # first, as the records met them in their own loggers' handlers
            handler.addFilter(InheritedRedaction(below))
        for filter_name in (*filter_names, *profile.queues[queue_name].filters):
            placed = _placed(profile, topology, filters, filter_name, None)
            if isinstance(placed, ThrottleFilter):
                placed.emit_to(handler.handle)  # its summaries go the way its records go
            handler.addFilter(placed)
        for name, found in redactions.items():
            if _is_below(logger, name):  # a parent's redaction covers its children's records
                for redact in found:
                    if redact not in handler.filters:
                        handler.addFilter(redact)
        if keep_original:
            handler.addFilter(KEEP_ORIGINAL)  # last: after every redaction
        return handler

    root_queue = profile_root_queue(profile)
    root_handler = handler_for("", root_queue, profile.root.filters) if root_queue else None
    topology.loggers[""] = LoggerPlan(profile.root.level, root_handler, None)
    for name, logger_spec in profile.loggers.items():
        queue_name = logger_queue(logger_spec.queue, logger_spec.filters, root_queue)
        logger_handler = handler_for(name, queue_name, logger_spec.filters) if queue_name else None
        propagate = logger_spec.propagate
        if logger_handler is not None:  # without one, an unset propagate stays logging's own
            propagate = propagates(propagate, has_handler=True)
        topology.loggers[name] = LoggerPlan(logger_spec.level, logger_handler, propagate)


def _placed(
    profile: Profile | PlainProfile,
    topology: Topology,
    filters: Mapping[str, logging.Filter],
    name: str,
    sink: str | None,
) -> logging.Filter:
    """The filter ``name`` for one handler: the one shared by all, or for a throttle (whose
    buckets count what passes one place) one of its own, kept in ``topology.throttles``."""
    spec = profile.filters[name]
    if spec.type != "throttle":
        return filters[name]
    throttle = cast("ThrottleFilter", build_filter(spec))
    topology.throttles.setdefault(name, []).append(ThrottleUse(throttle, sink))
    return throttle


def _throttles_of(topology: Topology, sink: str) -> list[ThrottleUse]:
    return [use for uses in topology.throttles.values() for use in uses if use.sink == sink]


def _delivery_to(sink: ListenerSink) -> Callable[[logging.LogRecord], None]:
    def deliver(record: logging.LogRecord) -> None:
        sink.deliver([record])

    return deliver


def _logger_redactions(
    profile: Profile | PlainProfile, filters: Mapping[str, logging.Filter]
) -> dict[str, list[RedactFilter]]:
    """The redact filters each logger names in its `filters` (the root as ``""``), by logger.

    A secret a logger's redaction matches must reach no sink: not through the handlers of
    its parents (``propagate: true`` hands them the original record) and not through the
    own handler of a child logger (which never meets the parent's). ``handler_for`` gives
    every logger's handler the redactions of the loggers above it, and those of the
    loggers below it for the records that come up from them.
    """
    named = {"": profile.root.filters, **{name: spec.filters for name, spec in profile.loggers.items()}}
    found: dict[str, list[RedactFilter]] = {}
    for name, names in named.items():
        redacts = [f for f in (filters[n] for n in names) if isinstance(f, RedactFilter)]
        if redacts:
            found[name] = redacts
    return found


def _is_below(logger: str, ancestor: str) -> bool:
    """``logger`` is a strict descendant of ``ancestor`` (``""``, the root, is above all)."""
    return logger != ancestor and (ancestor == "" or logger.startswith(f"{ancestor}."))


def _build_queue(name: str, spec: QueueSpec, in_child: bool) -> ThreadQueue:
    if spec.kind == "process" and not in_child:
        from logboot.runtime.transport import ProcessQueue

        try:
            return ProcessQueue(name, *_queue_settings(spec))
        except OSError as err:
            raise SetupError(f"queue {name!r}: cannot create its socket: {err}") from err
    # A thread queue; in a child, also a process queue it cannot reach (none here).
    return ThreadQueue(name, *_queue_settings(spec), max_bytes=spec.max_bytes)


def _queue_settings(spec: QueueSpec) -> tuple[int, Overflow, float | None, int | None, float | None]:
    return spec.max_size, spec.overflow, spec.block_timeout, spec.shed_below, spec.shed_at
