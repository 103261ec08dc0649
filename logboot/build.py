"""Profile -> Topology: build every live object; start nothing, touch nothing global.

If any part cannot be built (a log file that cannot be opened), what was already
opened is closed again and the error is raised, so a failed build leaves no trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LogbootError, SetupError
from .filters import build_filter
from .formatters import build_formatter
from .listener import Listener, Sink
from .queues import ThreadQueue
from .records import QueueHandler
from .schema import Profile
from .sinks import builder


@dataclass
class LoggerPlan:
    """What to set on one logger (``""`` is the root)."""

    level: int | None
    handler: QueueHandler | None
    propagate: bool | None


@dataclass
class Topology:
    """The live objects of a profile, not yet started."""

    profile: Profile
    queues: dict[str, ThreadQueue] = field(default_factory=dict)
    sinks: dict[str, Sink] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)
    loggers: dict[str, LoggerPlan] = field(default_factory=dict)

    def close_sinks(self) -> None:
        for sink in self.sinks.values():
            sink.close()


def build_topology(profile: Profile) -> Topology:
    """Build the topology of a validated profile."""
    topology = Topology(profile)
    try:
        _build(profile, topology)
    except BaseException:
        topology.close_sinks()
        raise
    return topology


def _build(profile: Profile, topology: Topology) -> None:
    formatters = {name: build_formatter(spec) for name, spec in profile.formatters.items()}
    filters = {name: build_filter(spec) for name, spec in profile.filters.items()}
    default_formatter = build_formatter(None)

    for name, spec in profile.sinks.items():
        try:
            handler = builder(spec.type)(spec)
        except LogbootError:
            raise
        except Exception as err:
            raise SetupError(f"sink {name!r} ({spec.type}) could not be built: {err}") from err
        handler.name = name
        handler.setFormatter(formatters[spec.formatter] if spec.formatter else default_formatter)
        for filter_name in spec.filters:
            handler.addFilter(filters[filter_name])
        topology.sinks[name] = Sink(name, handler, spec.level, spec.type)

    for name, spec in profile.queues.items():
        if spec.kind != "thread":
            raise SetupError(f"queue {name!r}: kind {spec.kind!r} is not available")
        topology.queues[name] = ThreadQueue(name, spec.max_size, spec.overflow, spec.block_timeout)

    for name, spec in profile.listeners.items():
        sinks = [topology.sinks[s] for s in spec.sinks]
        topology.listeners[name] = Listener(name, topology.queues[spec.queue], sinks, spec.batch_size)

    def handler_for(owner: str, queue_name: str, filter_names: list[str]) -> QueueHandler:
        handler = QueueHandler(topology.queues[queue_name], f"{owner}->{queue_name}")
        for filter_name in (*filter_names, *profile.queues[queue_name].filters):
            handler.addFilter(filters[filter_name])
        return handler

    root_queue = profile.root_queue()
    root_handler = handler_for("root", root_queue, profile.root.filters) if root_queue else None
    topology.loggers[""] = LoggerPlan(profile.root.level, root_handler, None)
    for name, spec in profile.loggers.items():
        handler = None
        queue_name = spec.queue or root_queue
        if (spec.queue or spec.filters) and queue_name:
            handler = handler_for(name, queue_name, spec.filters)
        propagate = spec.propagate
        if propagate is None and handler is not None:
            propagate = False  # its own handler already delivers; propagating would duplicate
        topology.loggers[name] = LoggerPlan(spec.level, handler, propagate)
