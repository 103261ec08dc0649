"""Check the names that point across sections: a listener's queue, a sink's formatter...

These checks run on the raw data, beside pydantic, so that a profile with a typo in a
key and a dangling name reports both at once.
"""

from __future__ import annotations

from typing import Any

from logboot.errors import Problem
from logboot.profile.reading import Document, Key
from logboot.profile.validation import did_you_mean
from logboot.profile.wiring import code_allowed, fallback_cycles, runs_code, with_fallbacks
from logboot.profile.wiring import root_queue as wiring_root_queue

_SUGGESTION_BUDGET = 100_000  # name comparisons for "did you mean" hints, per profile
_SHOWN_NAMES = 10  # names listed in one message at most


class _Checker:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.comparisons_left = _SUGGESTION_BUDGET

    def section(self, name: str) -> dict[str, Any]:
        value = self.doc.data.get(name)
        return value if isinstance(value, dict) else {}

    def mapping(self, value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def ref(self, path: Key, value: Any, pool: dict[str, Any], what: str) -> None:
        if not isinstance(value, str) or value in pool:
            return
        hint = self.suggestion(value, pool) or (
            f"; defined: {_some(pool)}" if pool else f"; no {what}s are defined"
        )
        self.errors.append(self.doc.problem(path, f"no {what} named {value!r}{hint}"))

    def suggestion(self, value: str, pool: dict[str, Any]) -> str:
        # A suggestion compares the name with every name in the pool: a budget keeps a
        # profile with thousands of dangling names linear (the names are still reported).
        if len(pool) > self.comparisons_left:
            return ""
        self.comparisons_left -= len(pool)
        return did_you_mean(value, pool)

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

    allowed = code_allowed(doc.data.get("allow_custom"))  # if not, safety.py reports the sink
    for name, raw_sink in sinks.items():
        sink = c.mapping(raw_sink)
        c.ref(("sinks", name, "formatter"), sink.get("formatter"), formatters, "formatter")
        c.refs(("sinks", name, "filters"), sink.get("filters"), filters, "filter")
        c.ref(("sinks", name, "fallback"), sink.get("fallback"), sinks, "sink")
        if runs_code(sink.get("type")) and isinstance(sink.get("factory"), str) and allowed:
            c.warn(
                ("sinks", name, "factory"),
                f"custom sink: setup_logging will import and call {sink['factory']!r} "
                "(the profile runs code)",
            )
    _check_fallback_cycles(c, sinks)
    for name, raw_filter in filters.items():
        factory = c.mapping(raw_filter).get("factory")
        if runs_code(c.mapping(raw_filter).get("type")) and isinstance(factory, str) and allowed:
            c.warn(
                ("filters", name, "factory"),
                f"custom filter: setup_logging will import and call {factory!r} (the profile runs code)",
            )
    _check_collect(c, sinks, filters)
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
    root_queue = wiring_root_queue(root.get("queue"), queues)
    if root.get("queue") is None and len(queues) > 1:
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
    used_sinks = with_fallbacks(used_sinks, lambda name: _fallback(sinks, name))
    for name in sinks:
        if name not in used_sinks:
            c.warn(("sinks", name), "no listener uses this sink")
    if not queues and sinks:
        c.warn(("sinks",), "there are no queues, so no record reaches these sinks")
    _check_reload_signal(c)
    return c.errors, c.warnings


def _check_collect(c: _Checker, sinks: dict[str, Any], filters: dict[str, Any]) -> None:
    """`collect: auto` beside code the profile runs: that code may read any field, so
    nothing is turned off."""
    if c.doc.data.get("collect") != "auto":
        return
    code = [f"sink {name!r}" for name, sink in sinks.items() if runs_code(c.mapping(sink).get("type"))]
    code += [f"filter {name!r}" for name, spec in filters.items() if runs_code(c.mapping(spec).get("type"))]
    if code:
        c.warn(
            ("collect",),
            f"`collect: auto` turns nothing off: custom {', '.join(code)} may read any field; "
            "use `collect: all`, or drop the custom code",
        )


def _check_reload_signal(c: _Checker) -> None:
    """A signal either reloads the profile or ends the process, never both."""
    reload_signal = c.mapping(c.doc.data.get("reload")).get("signal")
    signals = c.mapping(c.doc.data.get("shutdown")).get("signals")
    if not isinstance(reload_signal, str) or not isinstance(signals, list) or reload_signal not in signals:
        return
    where = c.doc.source.value_mark(("shutdown", "signals", signals.index(reload_signal)))
    c.errors.append(
        c.doc.problem(
            ("reload", "signal"),
            f"{reload_signal} is also in shutdown.signals (line {where.line}): a signal either "
            "reloads the profile or drains and ends the process; remove it from one of them",
        )
    )


def _fallback(sinks: dict[str, Any], name: str) -> str | None:
    target = sinks.get(name)
    target = target.get("fallback") if isinstance(target, dict) else None
    return target if isinstance(target, str) and target in sinks else None


def _check_fallback_cycles(c: _Checker, sinks: dict[str, Any]) -> None:
    """An error on each sink of a chain of fallbacks that comes back to it."""
    cycles = fallback_cycles(sinks, lambda name: _fallback(sinks, name))
    for name in sinks:  # in the order of the file
        if name in cycles:
            chain = cycles[name]
            shown = chain if len(chain) <= _SHOWN_NAMES else [*chain[: _SHOWN_NAMES - 1], "...", name]
            text = " -> ".join(n if n == "..." else repr(n) for n in shown)
            c.errors.append(
                c.doc.problem(
                    ("sinks", name, "fallback"),
                    f"fallback cycle: {text}; a chain of fallbacks must end in a sink without one",
                )
            )


def _some(names: dict[str, Any]) -> str:
    """The first few names, quoted; a count for the rest (a message stays short)."""
    shown = ", ".join(map(repr, list(names)[:_SHOWN_NAMES]))
    rest = len(names) - _SHOWN_NAMES
    return f"{shown} and {rest} more" if rest > 0 else shown
