"""Filter types a profile can name: ``name`` (a logger and its children), ``level``, ``redact``,
``throttle``, ``custom`` (your own, with ``allow_custom: true``); and the redaction a
logger's handler owes to the records that propagate up to it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from logboot.core.factories import load_factory
from logboot.filters.redaction import RedactFilter
from logboot.filters.throttle import ThrottleFilter
from logboot.values.rates import parse_rate

if TYPE_CHECKING:
    from logboot.profile.schema import FilterSpec


class LevelRangeFilter(logging.Filter):
    """Keeps records whose level lies in ``[low, high]``."""

    def __init__(self, low: int | None, high: int | None) -> None:
        super().__init__()
        self.low = low
        self.high = high

    def filter(self, record: logging.LogRecord) -> bool:
        level = record.levelno
        return (self.low is None or level >= self.low) and (self.high is None or level <= self.high)


class InheritedRedaction(logging.Filter):
    """The redact filters of the loggers below a handler's logger, run on the records that
    propagate up from them (told by the record's logger name, the deepest logger first).

    A logger's own handler returns a redacted copy, while the standard library hands the
    original record on to the handlers of the logger's parents: this makes those handlers
    write it redacted too, and leaves the records of every other logger alone.
    """

    def __init__(self, rules: list[tuple[str, list[RedactFilter]]]) -> None:
        super().__init__()
        deepest_first = sorted(rules, key=lambda rule: rule[0].count("."), reverse=True)
        self.rules = [(logger, f"{logger}.", filters) for logger, filters in deepest_first]

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:  # type: ignore[override]
        name = record.name if record.name.__class__ is str else str(record.name)
        for logger, prefix, filters in self.rules:
            if name == logger or name.startswith(prefix):
                for redact in filters:
                    record = redact.filter(record)
        return record


class FactoryFilter(logging.Filter):
    """A ``custom`` filter: what the profile's factory made (a ``logging.Filter``, an object
    with a ``filter(record)`` method, or a callable taking the record), asked per record."""

    def __init__(self, factory: str, made: Any) -> None:
        super().__init__()
        self.factory = factory
        self.made = made
        check = getattr(made, "filter", None)
        if not callable(check):
            check = made if callable(made) else None
        if check is None:
            raise TypeError(
                f"factory {factory!r} returned {type(made).__name__}, which is neither a filter "
                "(no `filter` method) nor callable"
            )
        self.check = check

    def filter(self, record: logging.LogRecord) -> bool | logging.LogRecord:  # type: ignore[override]
        result = self.check(record)
        return result if isinstance(result, logging.LogRecord) else bool(result)


def build_custom(factory: str, options: dict[str, Any]) -> FactoryFilter:
    """Import ``factory`` and call it with ``options`` (the profile allowed code: see
    ``wiring.code_allowed``, checked before this runs)."""
    maker = load_factory(factory)
    if not callable(maker):
        raise TypeError(f"factory {factory!r} is not callable")
    return FactoryFilter(factory, maker(**options))


def build_filter(spec: FilterSpec) -> logging.Filter:
    """A live filter from its spec."""
    # By `type`, not isinstance: a cached profile is plain data (see logboot.profile.plain).
    if spec.type == "name":
        return logging.Filter(spec.prefix)
    if spec.type == "redact":
        return RedactFilter(spec.patterns, spec.keys, spec.replacement)
    if spec.type == "throttle":  # the rate is kept as text: "100/s"
        return ThrottleFilter(parse_rate(spec.rate), spec.burst, spec.key)
    if spec.type == "custom":
        return build_custom(spec.factory, spec.options)
    return LevelRangeFilter(spec.min, spec.max)
