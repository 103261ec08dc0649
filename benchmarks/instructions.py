"""The work of a logging call, in instructions: ``python -m benchmarks.instructions``.

The timed benchmarks ask a shared machine what a call costs, and its answer moves by a
quarter from one hour to the next (docs/benchmarks.md). ``valgrind --tool=callgrind``
counts the instructions a program executes instead, whatever else the machine does: the
same count for the same interpreter, program and input, so two versions of logboot can be
compared to the instruction, and a ratio at a target's line read without the noise.

Each variant runs ``log.info("user %s did %s", who, what)`` from one thread, in a fresh
interpreter under callgrind, twice: ``--small`` and ``--large`` calls. The difference of
the two runs' totals, over the difference of the calls, is the work of one call, start-up
and shutdown excluded; a logboot variant's total takes in its listener's thread (the
layout, the write, freeing the record) as well as the call itself. In a logboot
variant the listener takes 512 records at a time (its ``take`` waits for the producer's
512 calls), then the producer waits for it (``runtime.flush``): batches as large as in a
timed run, whose median they are (the two waits' own work is in the count). Every record is counted on
disk, or the run fails. The variants are ``benchmarks.collect``'s:

- ``floor``, ``trimmed_floor``: the root logger with a ``NullHandler``, logging's switches
  as Python ships them, then off as ``collect: auto`` sets them;
- ``all``, ``auto``: logboot, one thread queue into one ``file`` sink in the default text
  layout, with ``collect: all`` and ``collect: auto``;
- ``auto_null``: ``auto`` with a ``null`` sink (no layout, no write);
- ``json``: ``all`` with the JSON scenario's ``json`` formatter (``benchmarks.workload``'s
  fields, ``extra`` among them).

A count is work, not time: what an instruction costs differs (a cache miss, a record
passing between two cores: docs/benchmarks.md, "Two cores"), and valgrind runs one thread
at a time, so the two threads' interleaving moves a count by up to about 2 %. The targets are timed ratios
(``benchmarks.collect``, ``make bench``); this shows how much of a ratio is work.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .collect import null_root, profile
from .workload import JSON_FIELDS

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("floor", "trimmed_floor", "all", "auto", "auto_null", "json")
FLOORS = ("floor", "trimmed_floor")
WITHOUT_FILE = (*FLOORS, "auto_null")
LOGGER = "bench.instructions"
# The ratios issue 23 sets targets for (timed there; counted here): variant, floor, target.
RATIOS = (("auto", "floor", 0.8), ("auto", "trimmed_floor", 1.3), ("json", "floor", 1.3))
# The listener takes BATCH records at a time, then the producer waits for it (a flush):
# under valgrind, which runs one thread at a time, it would otherwise take 50 to 250 records
# a batch, not the 512 of a timed run (its median), and its work for each batch (a stat, a
# write, two lock sections) would weigh up to ten times as much on each record.
BATCH = 512
# What each line of a variant's file holds (the text layout ends with the message).
LINE_END = {
    "all": b" bench.instructions: user alice did login\n",
    "auto": b" bench.instructions: user alice did login\n",
    "json": b'"message": "user alice did login"',
}
_COLLECTED = re.compile(rb"Collected : (\d+)")
_BATCHES = re.compile(rb"batches (\d+)")


def variant_profile(variant: str, log_file: Path) -> dict[str, Any]:
    """The logboot profile of a logboot variant."""
    collect = "all" if variant in ("all", "json") else "auto"
    made = profile(collect, None if variant == "auto_null" else log_file)
    if variant == "json":
        made["formatters"] = {"line": {"type": "json", "fields": list(JSON_FIELDS)}}
        made["sinks"]["out"]["formatter"] = "line"
    return made


def run_calls(variant: str, calls: int, folder: Path) -> None:
    """The worker: ``calls`` logging calls of ``variant`` (its file is read by ``check_file``,
    outside the count); prints how many batches the listener took."""
    # The calls sit near the top of short functions, the floors' and logboot's alike: with the
    # caller collected, `f_lineno` walks the line table from the function's start, so a call
    # further down a long function counts thousands of instructions more.
    log = logging.getLogger(LOGGER)
    who, what = "alice", "login"
    if variant in FLOORS:
        with null_root(trimmed=variant == "trimmed_floor"):
            for _ in range(calls):
                log.info("user %s did %s", who, what)
        return
    from logboot.runtime.queues import ThreadQueue

    take = ThreadQueue.take
    sizes: list[int] = []
    gate = threading.Event()  # set while the listener may take: a batch is BATCH records

    def counted_take(queue: ThreadQueue, limit: int) -> Any:
        gate.wait()
        batch = take(queue, limit)
        if batch:
            sizes.append(len(batch))
        return batch

    ThreadQueue.take = counted_take  # type: ignore[method-assign, assignment]
    log_file = folder / "out.log"
    try:
        run_logboot(variant, calls, log_file, gate)
    finally:
        ThreadQueue.take = take  # type: ignore[method-assign]
    print(f"batches {len(sizes)}")


def run_logboot(variant: str, calls: int, log_file: Path, gate: threading.Event) -> None:
    """``calls`` calls through a runtime of ``variant``, its listener let take BATCH at a time."""
    import logboot

    log = logging.getLogger(LOGGER)
    who, what = "alice", "login"
    runtime = logboot.setup_logging(logboot.Profile.model_validate(variant_profile(variant, log_file)))
    try:
        for done in range(0, calls, BATCH):
            for _ in range(min(BATCH, calls - done)):
                log.info("user %s did %s", who, what)
            gate.set()
            if not runtime.flush(60):
                raise SystemExit(f"{variant}: flush timed out")
            gate.clear()
    finally:
        gate.set()
        runtime.stop()


def check_file(variant: str, calls: int, folder: Path) -> None:
    """Every record of a run on disk, whole (read here, not in the counted worker)."""
    if variant in WITHOUT_FILE:
        return
    log_file = folder / "out.log"
    with log_file.open("rb") as lines:
        written = sum(1 for line in lines if LINE_END[variant] in line and line.endswith(b"\n"))
    if written != calls:
        raise SystemExit(f"{variant}: {written} of {calls} records in {log_file}")


def counted(variant: str, calls: int, valgrind: str) -> tuple[int, int]:
    """The instructions of one run of ``calls`` calls under callgrind, start-up included,
    and the batches its listener took (0 for a floor)."""
    with tempfile.TemporaryDirectory(prefix=f"logboot-instructions-{variant}-") as folder:
        command = [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "benchmarks.instructions",
            "--worker",
            variant,
            str(calls),
            folder,
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=1800, check=False)
        found = _COLLECTED.search(done.stderr)
        if done.returncode != 0 or found is None:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise SystemExit(f"{variant}: exit {done.returncode} under valgrind: {' / '.join(tail)}")
        check_file(variant, calls, Path(folder))
    batches = _BATCHES.search(done.stdout)
    return int(found.group(1)), int(batches.group(1)) if batches else 0


def per_call(variant: str, small: int, large: int, valgrind: str) -> tuple[float, int]:
    """Instructions a call: the difference of a large and a small run, over their calls';
    and the large run's batches."""
    (few, _), (many, batches) = counted(variant, small, valgrind), counted(variant, large, valgrind)
    return (many - few) / (large - small), batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="calls of the shorter run")
    parser.add_argument("--large", type=int, default=30_000, help="calls of the longer run")
    parser.add_argument("--variant", action="append", choices=VARIANTS, help="default: all of them")
    parser.add_argument("--worker", nargs=3, metavar=("VARIANT", "CALLS", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        variant, calls, folder = args.worker
        run_calls(variant, int(calls), Path(folder))
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:  # an extra view, not a target: `make bench` goes on without it
        print("instructions: valgrind is not installed, no counts (Debian: apt-get install valgrind)")
        return 0
    if not 0 < args.small < args.large:
        parser.error("--small must be above 0 and below --large")
    chosen = args.variant or list(VARIANTS)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two runs at a time: counts do not mind
        found = pool.map(lambda variant: per_call(variant, args.small, args.large, valgrind), chosen)
        counts = dict(zip(chosen, found, strict=True))
    print(f"instructions a call (callgrind; runs of {args.small:,} and {args.large:,} calls, differenced):")
    for variant, (count, batches) in counts.items():
        taken = f"  ({args.large / batches:,.0f} records a batch)" if batches else ""
        print(f"  {variant:<14} {count:9,.0f}{taken}")
    print("ratios of the counts (the timed target, for reference):")
    for variant, floor, target in RATIOS:
        if variant in counts and floor in counts:
            ratio = counts[variant][0] / counts[floor][0]
            print(f"  {variant} / {floor:<14} {ratio:5.2f}  (timed target <= {target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
