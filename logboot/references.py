"""Check the names that point across sections: a listener's queue, a sink's formatter...

These checks run on the raw data, beside pydantic, so that a profile with a typo in a
key and a dangling name reports both at once.
"""

from __future__ import annotations

from typing import Any

from .errors import Problem
from .reading import Document, Key
from .validation import did_you_mean


class _Checker:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def section(self, name: str) -> dict[str, Any]:
        value = self.doc.data.get(name)
        return value if isinstance(value, dict) else {}

    def mapping(self, value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def ref(self, path: Key, value: Any, pool: dict[str, Any], what: str) -> None:
        if not isinstance(value, str) or value in pool:
            return
        hint = did_you_mean(value, pool) or (
            f"; defined: {', '.join(map(repr, pool))}" if pool else f"; no {what}s are defined"
        )
        self.errors.append(self.doc.problem(path, f"no {what} named {value!r}{hint}"))

    def refs(self, path: Key, values: Any, pool: dict[str, Any], what: str) -> None:
        if isinstance(values, list):
            for i, value in enumerate(values):
                self.ref((*path, i), value, pool, what)

    def warn(self, path: Key, message: str) -> None:
        problem = self.doc.problem(path, message, at_key=True)
        self.warnings.append(problem._replace(severity="warning"))


def check_references(doc: Document) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings about names that point at nothing, or at things left unused."""
    c = _Checker(doc)
    formatters = c.section("formatters")
    filters = c.section("filters")
    sinks = c.section("sinks")
    queues = c.section("queues")
    listeners = c.section("listeners")
    loggers = c.section("loggers")
    root = c.mapping(doc.data.get("root"))

    allowed = doc.data.get("allow_custom") is True  # if not, safety.py reports the sink
    for name, raw_sink in sinks.items():
        sink = c.mapping(raw_sink)
        c.ref(("sinks", name, "formatter"), sink.get("formatter"), formatters, "formatter")
        c.refs(("sinks", name, "filters"), sink.get("filters"), filters, "filter")
        c.ref(("sinks", name, "fallback"), sink.get("fallback"), sinks, "sink")
        if sink.get("type") == "custom" and isinstance(sink.get("factory"), str) and allowed:
            c.warn(
                ("sinks", name, "factory"),
                f"custom sink: setup_logging will import and call {sink['factory']!r} "
                "(the one place a profile runs code)",
            )
    fallbacks = _fallback_chains(c, sinks)
    for name, queue in queues.items():
        c.refs(("queues", name, "filters"), c.mapping(queue).get("filters"), filters, "filter")

    drained: dict[str, str] = {}
    used_sinks: set[str] = set()
    for name, raw_listener in listeners.items():
        listener = c.mapping(raw_listener)
        queue = listener.get("queue")
        c.ref(("listeners", name, "queue"), queue, queues, "queue")
        if isinstance(queue, str) and queue in queues:
            if queue in drained:
                c.errors.append(
                    doc.problem(
                        ("listeners", name, "queue"),
                        f"queue {queue!r} is already drained by listener {drained[queue]!r}; "
                        "a queue has exactly one listener",
                    )
                )
            drained.setdefault(queue, name)
        c.refs(("listeners", name, "sinks"), listener.get("sinks"), sinks, "sink")
        if isinstance(listener.get("sinks"), list):
            used_sinks.update(s for s in listener["sinks"] if isinstance(s, str))

    fed: set[str] = set()
    c.ref(("root", "queue"), root.get("queue"), queues, "queue")
    c.refs(("root", "filters"), root.get("filters"), filters, "filter")
    root_queue = root.get("queue")
    if root_queue is None and len(queues) == 1:
        root_queue = next(iter(queues))
    if root_queue is None and len(queues) > 1:
        c.errors.append(
            doc.problem(
                ("root", "queue") if "root" in doc.data else ("root",),
                f"missing: with several queues ({', '.join(map(repr, queues))}), "
                "name the one the root logger feeds",
                at_key=True,
            )
        )
    if isinstance(root_queue, str):
        fed.add(root_queue)
    for name, raw_logger in loggers.items():
        logger = c.mapping(raw_logger)
        c.ref(("loggers", name, "queue"), logger.get("queue"), queues, "queue")
        c.refs(("loggers", name, "filters"), logger.get("filters"), filters, "filter")
        if isinstance(logger.get("queue"), str):
            fed.add(logger["queue"])

    for name in queues:
        if name not in drained:
            c.errors.append(
                doc.problem(
                    ("queues", name),
                    f"no listener drains this queue; add one under `listeners` with `queue: {name}`",
                    at_key=True,
                )
            )
        elif name not in fed:
            c.warn(("queues", name), "no logger sends records to this queue")
    for name in list(used_sinks):
        used_sinks.update(fallbacks.get(name, ()))
    for name in sinks:
        if name not in used_sinks:
            c.warn(("sinks", name), "no listener uses this sink")
    if not queues and sinks:
        c.warn(("sinks",), "there are no queues, so no record reaches these sinks")
    return c.errors, c.warnings


def _fallback_chains(c: _Checker, sinks: dict[str, Any]) -> dict[str, list[str]]:
    """Each sink's chain of fallbacks; a chain that comes back to a sink is an error."""
    chains: dict[str, list[str]] = {}
    for name in sinks:
        chain: list[str] = []
        current = name
        while True:
            target = c.mapping(sinks.get(current)).get("fallback")
            if not isinstance(target, str) or target not in sinks:
                break
            if target == name:
                loop = " -> ".join(map(repr, [name, *chain, target]))
                c.errors.append(
                    c.doc.problem(
                        ("sinks", name, "fallback"),
                        f"fallback cycle: {loop}; a chain of fallbacks must end in a sink without one",
                    )
                )
                break
            if target in chain:  # a cycle further on: its own sinks report it
                break
            chain.append(target)
            current = target
        chains[name] = chain
    return chains
