"""What ``collect: auto`` saves a logging call: ``python -m benchmarks.collect``.

Side by side, in one process, interleaved round by round (so a slow moment of a shared
machine lands on every variant), ``log.info("user %s did %s", who, what)`` from this thread:

- ``floor``: the root logger with a ``NullHandler`` and logging's switches as Python ships
  them: the default floor, what a call costs that writes nothing;
- ``trimmed_floor``: the same with the caller, thread, process, process-name (and, 3.12+,
  task) collection off (``logging._srcfile = None``, ``logThreads``... ``False``): the
  floor once nothing is collected that nothing reads;
- ``all``: logboot with ``collect: all`` (the default), one thread queue and one ``file``
  sink in the default text layout (time, level, logger, message), started from a profile;
- ``auto``: the same profile with ``collect: auto``, which turns all of those switches off
  (the layout reads none of them);
- ``auto_null``: ``auto`` with a ``null`` sink instead of the file (no target): what is left
  of the call once the listener writes nothing, so the two show how much of ``auto``'s
  cost is the listener's formatting and writing competing with the producer for the GIL;
- ``auto_one_core`` (Linux): ``auto`` with the producer and the listener's thread on one CPU
  (``os.sched_setaffinity`` for the round, which the listener's thread inherits): the same
  work without the records, and the objects every record shares (its class, its level's
  name, None), passing between two cores' caches; what is left between ``auto`` and
  ``auto_one_core`` is that passing, not work (docs/benchmarks.md, "Two cores").

Each round times ``--records`` calls per variant; for logboot the producer's time (the
listener writes on its own thread meanwhile), then a flush, untimed, after which every
line of the file is counted (a round whose file lacks a record fails). Prints the median
ns per call over ``--rounds`` (min..max), and the ratios that issue 23 sets targets for:
``auto`` against the default floor (at most 0.8) and against the trimmed floor (at most 1.3).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from logboot.profile.collect import SWITCH_SETTINGS
from logboot.runtime import switches

from .calls import CLOCKS, ns_per_call

VARIANTS = ("floor", "trimmed_floor", "all", "auto", "auto_null", "auto_one_core")
TARGETS = {"floor": 0.8, "trimmed_floor": 1.3}  # auto / that floor, at most
_OFF = ("caller", "threads", "processes", "process_names", "tasks")


def profile(collect: str, path: Path | None) -> dict[str, Any]:
    """One thread queue into one sink: a file at ``path`` (default text layout), else ``null``."""
    sink = {"type": "file", "path": str(path)} if path is not None else {"type": "null"}
    return {
        "version": 1,
        "collect": collect,
        "sinks": {"out": sink},
        "queues": {"main": {"max_size": 10_000}},
        "listeners": {"main": {"queue": "main", "sinks": ["out"]}},
        "root": {"level": "INFO", "queue": "main"},
    }


@contextmanager
def one_core() -> Iterator[bool]:
    """This thread, and the threads it starts meanwhile, on one of its CPUs (Linux); yields
    False where a thread's CPUs cannot be set or there is only one."""
    setter = getattr(os, "sched_setaffinity", None)
    cpus: set[int] = os.sched_getaffinity(0) if setter is not None else set()
    if setter is None or len(cpus) < 2:
        yield False
        return
    setter(0, {min(cpus)})
    try:
        yield True
    finally:
        setter(0, cpus)


@contextmanager
def null_root(trimmed: bool) -> Iterator[None]:
    """The root logger with only a NullHandler; with ``trimmed``, logging's switches off."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    saved = switches.capture()
    root.handlers = [logging.NullHandler()]
    root.setLevel(logging.INFO)
    if trimmed:  # Python's own switches, set here by hand: logging's own record factory stays
        for name, setting in SWITCH_SETTINGS.items():
            if name in _OFF and setting in saved:
                setattr(logging, setting, None if setting == "_srcfile" else False)
    try:
        yield
    finally:
        switches.restore(saved)
        root.handlers = handlers
        root.setLevel(level)


def floor_round(trimmed: bool, records: int, clock: str = "wall") -> float:
    """ns per call through a NullHandler."""
    now = CLOCKS[clock]
    with null_root(trimmed):
        log = logging.getLogger("bench.collect")
        who, what = "alice", "login"
        for _ in range(1000):
            log.info("user %s did %s", who, what)
        started = now()
        for _ in range(records):
            log.info("user %s did %s", who, what)
        return (now() - started) / records


def logboot_round(collect: str, records: int, folder: Path, number: int, clock: str = "wall") -> float:
    """ns per call through a logboot runtime of ``collect``, every record checked on disk."""
    path = folder / f"{collect}-{number}.log"
    ns = ns_per_call(profile(collect, path), records, "bench.collect", clock)
    with path.open("rb") as lines:
        written = sum(1 for line in lines if line.endswith(b" bench.collect: user alice did login\n"))
    if written != records + 1000:  # ns_per_call logs 1,000 to warm up
        raise SystemExit(f"collect: {collect}: {written} of {records + 1000} records in {path}")
    path.unlink()
    return ns


def round_ratio(samples: dict[str, list[float]], variant: str, floor: str) -> float:
    """The median of the rounds' ``variant`` / ``floor`` ratios."""
    pairs = zip(samples[variant], samples[floor], strict=True)
    return statistics.median(v / f for v, f in pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="calls per variant and round")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: the producer's elapsed time (the default); cpu: the process's CPU time, the"
        " listener's included (steadier on a busy machine)",
    )
    args = parser.parse_args(argv)
    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="logboot-collect-") as tmp:
        folder = Path(tmp)
        for number in range(args.rounds):
            clock = args.clock
            samples["floor"].append(floor_round(False, args.records, clock))
            samples["trimmed_floor"].append(floor_round(True, args.records, clock))
            samples["all"].append(logboot_round("all", args.records, folder, number, clock))
            samples["auto"].append(logboot_round("auto", args.records, folder, number, clock))
            samples["auto_null"].append(
                ns_per_call(profile("auto", None), args.records, "bench.collect", clock)
            )
            with one_core() as pinned:
                if pinned:
                    samples["auto_one_core"].append(
                        logboot_round("auto", args.records, folder, number, clock)
                    )
    samples = {name: values for name, values in samples.items() if values}  # one core: none
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(
        f"{args.rounds} rounds of {args.records:,} calls, {args.clock} clock;"
        " median ns per logging call (min..max):"
    )
    for name, values in samples.items():
        print(f"  {name:<14} {medians[name]:7.0f}  ({min(values):.0f}..{max(values):.0f})")
    # Each round's variants ran minutes apart at most, so a round's ratio shares its moment's
    # load; the median of those ratios is the verdict (the ratio of the medians is shown too).
    print("ratios: median of the rounds' ratios (ratio of the medians) (target):")
    for floor, target in TARGETS.items():
        for variant in ("all", "auto"):
            ratio = round_ratio(samples, variant, floor)
            met = "met" if ratio <= target else "NOT met"
            verdict = f"  (<= {target}: {met})" if variant == "auto" else ""
            of_medians = medians[variant] / medians[floor]
            print(f"  {variant} / {floor:<14} {ratio:5.2f} ({of_medians:.2f}){verdict}")
    if "auto_one_core" in samples:
        ratio = round_ratio(samples, "auto_one_core", "trimmed_floor")
        print(f"  auto_one_core / trimmed_floor {ratio:.2f}  (the same work, on one core)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
