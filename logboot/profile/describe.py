"""A validated profile described as its topology: loggers -> queue -> listener -> sinks.

The description is plain data (names, levels, targets), so ``logboot show`` can draw it
as a tree or print it as JSON. Nothing is built or opened to make it; it follows the
same rules as ``build_topology`` for which logger feeds which queue.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from logboot.profile.collect import collect_summary
from logboot.profile.schema import FilterSpec, FormatterSpec, JsonFormatterSpec, Profile, ThrottleFilterSpec
from logboot.profile.wiring import logger_queue, profile_root_queue, propagates
from logboot.values.rates import parse_rate
from logboot.values.units import DEFAULT_SHED_AT, level_name

_COMMON_KEYS = frozenset({"type", "level", "formatter", "filters", "fallback"})


@dataclass(frozen=True)
class LoggerNode:
    """One configured logger; ``queue`` is set when it feeds a queue itself."""

    name: str
    level: str | None
    queue: str | None
    propagate: bool
    filters: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueueNode:
    """One queue, the loggers that feed it and the listener that drains it."""

    name: str
    kind: str
    max_size: int
    overflow: str
    block_timeout: float | None
    listener: str | None
    loggers: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    shed: str | None = None  # "below WARNING at 80% full": graceful shedding, when set


@dataclass(frozen=True)
class ListenerNode:
    """One listener thread: the queue it drains and the sinks it writes to."""

    name: str
    queue: str
    batch_size: int
    sinks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SinkNode:
    """One sink: its type, where it writes, and the listeners that use it."""

    name: str
    type: str
    target: str
    level: str
    formatter: str | None
    filters: list[str] = field(default_factory=list)
    listeners: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    fallback: str | None = None  # the sink that takes its records when it fails
    formatter_kind: str | None = None  # what its formatter writes: "json, preset ecs", "text"


@dataclass(frozen=True)
class FilterNode:
    """One named filter: its type and keys (a throttle's ``burst`` as it applies)."""

    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Description:
    """The whole topology of a profile, in profile order."""

    source: str | None
    loggers: list[LoggerNode]
    queues: list[QueueNode]
    listeners: list[ListenerNode]
    sinks: list[SinkNode]
    shutdown: dict[str, Any]
    filters: list[FilterNode] = field(default_factory=list)
    collect: str | None = None  # `collect: auto` and what it turns off ("auto (off: caller)")

    def to_dict(self) -> dict[str, Any]:
        """The description as JSON-ready data."""
        return dataclasses.asdict(self)

    def queue(self, name: str) -> QueueNode | None:
        return next((q for q in self.queues if q.name == name), None)

    def listener(self, name: str) -> ListenerNode | None:
        return next((x for x in self.listeners if x.name == name), None)

    def sink(self, name: str) -> SinkNode | None:
        return next((s for s in self.sinks if s.name == name), None)


def _shedding(below: int | None, at: float | None) -> str | None:
    if below is None:
        return None
    return f"below {level_name(below)} at {DEFAULT_SHED_AT if at is None else at:.0%} full"


def describe_profile(profile: Profile) -> Description:
    """The topology of a validated profile, as plain data."""
    root_queue = profile_root_queue(profile)
    root = LoggerNode("root", level_name(profile.root.level), root_queue, False, list(profile.root.filters))
    loggers = [root]
    for name, spec in profile.loggers.items():
        queue = logger_queue(spec.queue, spec.filters, root_queue)
        propagate = propagates(spec.propagate, has_handler=queue is not None)
        level = level_name(spec.level) if spec.level is not None else None
        loggers.append(LoggerNode(name, level, queue, propagate, list(spec.filters)))

    drained_by = {spec.queue: name for name, spec in reversed(profile.listeners.items())}
    queues = [
        QueueNode(
            name,
            spec.kind,
            spec.max_size,
            spec.overflow,
            spec.block_timeout,
            drained_by.get(name),
            [logger.name for logger in loggers if logger.queue == name],
            list(spec.filters),
            _shedding(spec.shed_below, spec.shed_at),
        )
        for name, spec in profile.queues.items()
    ]
    listeners = [
        ListenerNode(name, spec.queue, spec.batch_size, list(spec.sinks))
        for name, spec in profile.listeners.items()
    ]
    sinks = [
        SinkNode(
            name,
            spec.type,
            sink_target(spec),
            level_name(spec.level),
            spec.formatter,
            list(spec.filters),
            [listener.name for listener in listeners if name in listener.sinks],
            spec.model_dump(mode="json", exclude=set(_COMMON_KEYS)),
            spec.fallback,
            _formatter_kind(profile.formatters.get(spec.formatter)) if spec.formatter else None,
        )
        for name, spec in profile.sinks.items()
    ]
    shutdown = profile.shutdown.model_dump(mode="json")
    filters = [FilterNode(name, spec.type, _filter_options(spec)) for name, spec in profile.filters.items()]
    return Description(
        profile.source, loggers, queues, listeners, sinks, shutdown, filters, collect_summary(profile)
    )


def _formatter_kind(spec: FormatterSpec | None) -> str | None:
    """What a named formatter writes, in a few words: its type, a JSON preset or renames,
    a text formatter's stdlib layout."""
    if spec is None:
        return None
    if isinstance(spec, JsonFormatterSpec):
        parts = ["json"]
        if spec.preset:
            parts.append(f"preset {spec.preset}")
        if spec.rename:
            parts.append(f"{len(spec.rename)} renamed")
        return ", ".join(parts)
    return "text, stdlib layout" if spec.stdlib_layout else "text"


def _filter_options(spec: FilterSpec) -> dict[str, Any]:
    options = spec.model_dump(mode="json", exclude={"type"})
    if isinstance(spec, ThrottleFilterSpec) and spec.burst is None:
        options["burst"] = parse_rate(spec.rate).records  # the default: the rate's count
    return options


def sink_target(spec: object) -> str:
    """Where a sink writes: a stream, a path, ``tcp://host:port``...; else its type.

    Each sink type's spec model says it (``target()``, in ``logboot/sinks/*_spec.py``).
    """
    target = getattr(spec, "target", None)
    if callable(target):
        return str(target())
    return str(getattr(spec, "type", "?"))
