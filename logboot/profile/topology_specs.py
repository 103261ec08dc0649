"""The profile keys of the fixed sections: queues, listeners, the root and named loggers, shutdown, reload."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from logboot.values.fields import Duration, Level, Name, Size, Spec
from logboot.values.units import DEFAULT_BATCH_BYTES, DEFAULT_QUEUE_BYTES


class QueueSpec(Spec):
    """A queue between the producers (loggers) and one listener."""

    kind: Literal["thread", "process"] = Field(
        default="thread", description="`thread`: in-process; `process`: reachable from child processes."
    )
    max_size: int = Field(
        default=10_000, ge=0, description="Most records waiting at once; 0 = unbounded.", examples=[10000]
    )
    overflow: Literal["block", "drop_newest", "drop_oldest"] = Field(
        default="block", description="What happens to a record that arrives when the queue is full."
    )
    block_timeout: Duration | None = Field(
        default=None,
        description="With `block`: wait at most this long, then drop and count the record.",
        examples=["2s"],
    )
    max_bytes: Size = Field(
        default=DEFAULT_QUEUE_BYTES,
        ge=0,
        description=(
            "With `block` (a `thread` queue): most bytes of big messages (4 KiB or longer) queued"
            " or being written at once; a producer logging one more waits for the listener as for"
            " a full queue (up to `block_timeout`). A message bigger than this goes when no other"
            " big one is held. 0 = no bound in bytes."
        ),
        examples=["2MiB"],
    )
    shed_below: Level | None = Field(
        default=None,
        description=(
            "Graceful shedding: while the queue is at least `shed_at` full, records below this "
            "level are dropped (counted as `shed`); the others follow `overflow`. Needs `max_size`."
        ),
        examples=["WARNING"],
    )
    shed_at: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="With `shed_below`: the fill fraction of `max_size` where shedding starts (default 0.8).",
        examples=[0.8],
    )
    filters: list[Name] = Field(
        default_factory=list,
        description="Filters run in the producer before a record is enqueued.",
        examples=[["app_only"]],
    )

    @model_validator(mode="after")
    def _check_shedding(self) -> QueueSpec:
        if self.shed_below is not None and self.max_size == 0:
            raise ValueError("`shed_below` needs a bounded queue: set `max_size` (0 = unbounded never fills)")
        if self.shed_below is None and self.shed_at is not None:
            raise ValueError(
                "`shed_at` applies only with `shed_below` (the level below which records are shed)"
            )
        return self

    @field_validator("block_timeout")
    @classmethod
    def _check_timeout(cls, value: float | None, info: ValidationInfo) -> float | None:
        overflow = info.data.get("overflow")
        if value is not None and overflow is not None and overflow != "block":
            raise ValueError(f"applies only with `overflow: block`, not {overflow!r}")
        return value


class ListenerSpec(Spec):
    """One thread that drains one queue into its sinks."""

    queue: Name = Field(description="Name of the queue it drains.", examples=["main"])
    sinks: list[Name] = Field(
        min_length=1, description="Names of the sinks it writes to.", examples=[["console"]]
    )
    batch_size: int = Field(
        default=1024, ge=1, description="Most records handled between two flushes of the sinks."
    )
    batch_bytes: Size = Field(
        default=DEFAULT_BATCH_BYTES,
        ge=1,
        description=(
            "Most bytes of big messages (4 KiB or longer) handled between two flushes of the"
            " sinks: a batch ends at `batch_size` records or at this many bytes, whichever"
            " comes first; a bigger message is a batch of its own. Bounds the memory a batch"
            " of big records holds."
        ),
        examples=["1MiB"],
    )


class LoggerSpec(Spec):
    """Settings of one named logger."""

    level: Level | None = Field(default=None, description="The logger's level.", examples=["WARNING"])
    queue: Name | None = Field(
        default=None,
        description="Send this logger's records to that queue (default: the root's).",
        examples=["audit"],
    )
    propagate: bool | None = Field(
        default=None,
        description=(
            "Pass records up to the parent. Default: false when `queue` or `filters` is set, else true."
        ),
        examples=[False],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Filters run in the producer.", examples=[["app_only"]]
    )


class RootSpec(Spec):
    """The root logger."""

    level: Level = Field(default=logging.WARNING, description="The root level.", examples=["INFO"])
    queue: Name | None = Field(
        default=None,
        description="The queue of the root logger; default the only queue, if there is one.",
        examples=["main"],
    )
    filters: list[Name] = Field(
        default_factory=list, description="Filters run in the producer.", examples=[["app_only"]]
    )


SIGNAL_NAMES = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")


class ShutdownSpec(Spec):
    """How the runtime ends."""

    timeout: Duration = Field(
        default=5.0, description="Longest time spent draining at stop.", examples=["5s"]
    )
    signals: list[Literal[SIGNAL_NAMES]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="On these signals, drain the queues, then end as the process would have.",
        examples=[["SIGTERM"]],
    )


#: The signals ``reload.signal`` may name: catchable, and none of them ends a process by convention.
RELOAD_SIGNAL_NAMES = ("SIGHUP", "SIGUSR1", "SIGUSR2")
#: The shortest ``reload.interval``. A look is a few ``stat`` calls (microseconds), so 50ms
#: costs nothing worth counting; shorter would only spin.
MIN_RELOAD_INTERVAL = 0.05


class ReloadSpec(Spec):
    """Live reload: when the profile changes (or a signal asks), validate it again and swap it in."""

    watch: bool = Field(
        default=False,
        strict=True,
        description=(
            "Poll the profile file, the files it `extends` and the environment variables it read; "
            "on a change, validate again and swap the new topology in. A profile that does not "
            "validate leaves the running one in place and is reported once."
        ),
        examples=[True],
    )
    interval: Duration = Field(
        default=2.0,
        description="How often `watch` looks for a change (at least 50ms).",
        examples=["2s"],
    )
    signal: Literal[RELOAD_SIGNAL_NAMES] | None = Field(  # type: ignore[valid-type]
        default=None,
        description=(
            "Reload when this signal arrives (with or without `watch`); it may not also be in "
            "`shutdown.signals`."
        ),
        examples=["SIGHUP"],
    )

    @field_validator("interval")
    @classmethod
    def _check_interval(cls, value: float) -> float:
        if value < MIN_RELOAD_INTERVAL:
            raise ValueError(f"expected at least 50ms (a shorter wait only spins), got {value * 1000:g}ms")
        return value
