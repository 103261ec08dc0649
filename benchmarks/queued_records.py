"""What one queued record weighs: ``python -m benchmarks.queued_records [--records N]``.

The memory of a queue that runs deep is its depth times what each record holds. Here each
side's producer path (the stdlib's ``QueueHandler``, which formats the message and copies
the record in ``prepare``; logboot's ``QueueHandler``, which merges the message into the
record itself) puts ``--records`` records of the benchmarks' workload into a queue that
nobody takes from, in a fresh interpreter each, and the growth is divided by the records:
once as the interpreter's resident set (``VmRSS``), once as the bytes Python allocated
(``tracemalloc``, in a separate interpreter: tracing costs memory of its own). Every kept
record is checked: its message is the merged workload message.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import subprocess
import sys
from pathlib import Path
from typing import Any

from .workload import ACTIONS, LOGGER_NAME, MESSAGE, WHO, produce

KINDS = ("stdlib", "logboot")
ROOT = Path(__file__).resolve().parent.parent


class Kept(list[logging.LogRecord]):
    """A queue that keeps what it is given (nobody takes from it): both sides' put."""

    def put(self, record: logging.LogRecord) -> bool:
        self.append(record)
        return True

    def put_nowait(self, record: logging.LogRecord) -> None:
        self.append(record)


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(kind: str, records: int, traced: bool) -> dict[str, Any]:
    """In this interpreter: queue ``records`` records through ``kind``'s handler; bytes per record."""
    kept = Kept()
    handler: logging.Handler
    if kind == "stdlib":
        handler = logging.handlers.QueueHandler(kept)  # type: ignore[arg-type] # put_nowait is all it calls
    else:
        from logboot.runtime.handler import QueueHandler

        handler = QueueHandler(kept, "main")
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    info = logging.getLogger(LOGGER_NAME).info
    produce(info, MESSAGE, range(1000))  # first calls allocate caches of their own
    kept.clear()
    kept.extend([None] * records)  # type: ignore[list-item] # the list's own slots, allocated up front
    kept.clear()
    if traced:
        import tracemalloc

        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = _rss_kb() * 1024
    produce(info, MESSAGE, range(records))
    after = tracemalloc.get_traced_memory()[0] if traced else _rss_kb() * 1024
    for seq, record in enumerate(kept):
        expected = f"user {WHO[seq % len(WHO)]} did {ACTIONS[seq % len(ACTIONS)]} in {seq} ms"
        if record.getMessage() != expected:
            raise SystemExit(f"{kind}: record {seq} reads {record.getMessage()!r}")
    return {"kind": kind, "records": len(kept), "bytes_per_record": (after - before) / records}


def run(kind: str, records: int, traced: bool) -> float:
    """One measurement in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.queued_records", "--one", kind, "--records", str(records)]
        + (["--traced"] if traced else []),
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=600,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    if found["records"] != records:
        raise SystemExit(f"{kind}: {found['records']} records kept of {records}")
    return float(found["bytes_per_record"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.queued_records", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.records, args.traced)))
        return 0
    found: dict[tuple[str, bool], list[float]] = {(k, t): [] for k in KINDS for t in (False, True)}
    for _ in range(args.rounds):
        for kind in KINDS:
            for traced in (False, True):
                found[kind, traced].append(run(kind, args.records, traced))
    print(f"# {args.records:,} records queued, {args.rounds} rounds (median, min..max), bytes a record")
    print("| producer path | RSS growth | allocated (tracemalloc) |")
    print("|---|---:|---:|")
    for kind in KINDS:
        cells = []
        for traced in (False, True):
            values = sorted(found[kind, traced])
            cells.append(f"{values[len(values) // 2]:,.0f} ({values[0]:,.0f}..{values[-1]:,.0f})")
        print(f"| {kind} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
