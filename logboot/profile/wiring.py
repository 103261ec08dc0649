"""The profile's wiring rules, each written once: what feeds what, and what must be built.

Which queue the root logger feeds, which loggers get a handler of their own and whether
they propagate, where a sink's fallbacks lead, which sinks a process builds, and when a
sink runs code. ``runtime.build``, ``describe``, ``references``, ``safety`` and the
``dictConfig`` export all ask here, so a rule cannot drift between them.

The rules take names and values, not models: one function serves a validated ``Profile``,
the plain form of a cached start, and the raw data ``references`` checks before validation.
This module imports nothing that validates (a cached start runs it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from logboot.profile.plain import PlainProfile
    from logboot.profile.schema import Profile

#: The queue a profile gets when it says nothing (the built-in default, a ``dictConfig`` import).
DEFAULT_QUEUE: Mapping[str, Any] = {"kind": "thread", "max_size": 10_000, "overflow": "block"}

#: The one sink type, and the one filter type, whose profile entry names code to import and run.
CODE_SINK = "custom"

FallbackOf = Callable[[str], "str | None"]


def root_queue(own: object, queues: Collection[str]) -> str | None:
    """The queue the root logger feeds: its own, else the only queue; ``None`` when several
    queues leave it undecided (``references`` reports that) or there is none."""
    if own is not None:
        return own if isinstance(own, str) else None
    if len(queues) == 1:
        return next(iter(queues))
    return None


def profile_root_queue(profile: Profile | PlainProfile) -> str | None:
    """``root_queue`` of a validated or plain profile."""
    return root_queue(profile.root.queue, profile.queues)


def logger_queue(queue: str | None, filters: Collection[str], root: str | None) -> str | None:
    """The queue a named logger's own handler feeds, or ``None`` when it has no handler.

    A logger gets a handler of its own when it names a queue or filters (its filters must
    see its records before they propagate); without a queue it feeds the root's.
    """
    return (queue or root) if (queue or filters) else None


def propagates(propagate: bool | None, has_handler: bool) -> bool:
    """Whether a logger's records also go to its parents: as set, else not when it has a
    handler of its own (its handler already delivers them; propagating would duplicate)."""
    return propagate if propagate is not None else not has_handler


def fallback_walk(
    start: str, fallback_of: FallbackOf, stop: Container[str] = ()
) -> tuple[list[str], str | None]:
    """The sinks met from ``start`` through fallbacks, and the sink where the walk came back
    to itself (``None`` when the chain ends, or reaches a sink in ``stop``)."""
    walk: list[str] = []
    on_walk: set[str] = set()
    current: str | None = start
    while current is not None and current not in stop:
        if current in on_walk:
            return walk, current
        walk.append(current)
        on_walk.add(current)
        current = fallback_of(current)
    return walk, None


def fallback_cycles(names: Iterable[str], fallback_of: FallbackOf) -> dict[str, list[str]]:
    """Each sink on a cycle of fallbacks -> the cycle from it back to it.

    Each sink has at most one fallback, so one walk per sink that stops at a sink already
    seen finds every cycle in time linear in the number of sinks.
    """
    done: set[str] = set()
    cycles: dict[str, list[str]] = {}
    for start in names:
        walk, back_at = fallback_walk(start, fallback_of, done)
        if back_at is not None:
            loop = walk[walk.index(back_at) :]
            for at, name in enumerate(loop):
                cycles[name] = [*loop[at:], *loop[:at], name]
        done.update(walk)
    return cycles


def with_fallbacks(names: Iterable[str], fallback_of: FallbackOf) -> set[str]:
    """``names`` and every sink reached from them through fallbacks."""
    reached = set(names)
    pending = list(reached)
    while pending:
        target = fallback_of(pending.pop())
        if target is not None and target not in reached:
            reached.add(target)
            pending.append(target)
    return reached


def needed_sinks(profile: Profile | PlainProfile, remote: Container[str]) -> set[str]:
    """The sinks a process builds: all of them, or in a child (``remote`` = the process
    queues its parent drains) those of the listeners it runs, and their fallbacks."""
    if not remote:
        return set(profile.sinks)
    used = (s for spec in profile.listeners.values() if spec.queue not in remote for s in spec.sinks)
    return with_fallbacks(used, lambda name: profile.sinks[name].fallback)


def runs_code(sink_type: object) -> bool:
    """Whether a sink or filter of this type imports and runs code the profile names."""
    return sink_type == CODE_SINK


def code_allowed(allow_custom: object) -> bool:
    """Whether a profile allows its sinks and filters to run code: ``allow_custom: true``, nothing else."""
    return allow_custom is True
