"""Where a one-thread logging call's time goes in place, the listener's included:
``python -m benchmarks.listener_share``.

A call's wall time in the one-thread scenarios holds the producer's own work and whatever
the listener does while it holds the interpreter lock. Each round runs every variant once,
alternating, each in a fresh interpreter that logs ``--records`` records as the scenario's
worker does, and reports:

- the producer's wall time a call and its own CPU time (its thread clock);
- the listener thread's CPU time a record, and its parts: taking a batch from the queue,
  laying it out, writing it (the file sink's ``write_lines``, its watch's ``stat``
  included, also given alone), telling the queue it is done, and the rest (freeing the
  records of the last batch, the loop itself);
- the cyclic GC's collections by generation, their time, and the thread that set each off;
- the listener's batches: how many, and their median size.

Every line of the file is verified afterwards (each record once, whole). The figures are
medians over the rounds; docs/benchmarks.md has what they showed.

    python -m benchmarks.listener_share [--variant logboot --variant logboot-json]
                                        [--records N] [--rounds K]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import variants
from .variants import LOG_FILE
from .workload import produce, verify

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("take", "layout", "write", "stat", "done")


def _timed(owner: Any, name: str, part: str, spent: Counter[str], sizes: list[int] | None = None) -> None:
    """Wrap ``owner.name`` to add its thread CPU time to ``spent[part]`` (and, for take,
    to note each batch's size)."""
    original: Callable[..., Any] = getattr(owner, name)
    clock = time.thread_time_ns

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = clock()
        try:
            result = original(*args, **kwargs)
        finally:
            spent[part] += clock() - began
        if sizes is not None and result:
            sizes.append(len(result))
        return result

    setattr(owner, name, timed)


def measure(variant: str, folder: Path, records: int) -> dict[str, Any]:
    """One run of ``variant`` in this interpreter, instrumented; its figures."""
    from logboot.runtime.listener import Listener, ListenerSink
    from logboot.runtime.queues import ThreadQueue
    from logboot.sinks.files import FileSink

    spent: Counter[str] = Counter()
    sizes: list[int] = []
    _timed(ThreadQueue, "take", "take", spent, sizes)
    _timed(ThreadQueue, "done", "done", spent)
    _timed(ListenerSink, "_format", "layout", spent)
    _timed(FileSink, "write_lines", "write", spent)
    _timed(FileSink, "ensure_open", "stat", spent)
    _timed(Listener, "_run", "listener", spent)
    collections: Counter[str] = Counter()
    gc_ns = [0, 0, 0]
    started_gc: list[int] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started_gc.append(time.perf_counter_ns())
            who = "producer" if threading.current_thread() is threading.main_thread() else "listener"
            collections[f"gen{info['generation']} by {who}"] += 1
        elif started_gc:
            gc_ns[info["generation"]] += time.perf_counter_ns() - started_gc.pop()

    made = variants.setup(variant, folder)
    gc.callbacks.append(on_gc)
    try:
        began, cpu_began = time.perf_counter_ns(), time.thread_time_ns()
        produce(made.info, made.message, range(records))
        wall, cpu = time.perf_counter_ns() - began, time.thread_time_ns() - cpu_began
        made.finish()  # the listener's thread ends: its figures are complete
    finally:
        gc.callbacks.remove(on_gc)
    listener = spent["listener"]
    parts = {part: spent[part] / records for part in PARTS}
    parts["write"] -= parts["stat"]  # given alone
    return {
        "wall_ns": wall / records,
        "producer_cpu_ns": cpu / records,
        "listener_cpu_ns": listener / records,
        "parts_ns": {**parts, "rest": listener / records - sum(parts.values())},
        "collections": dict(collections),
        "gc_ms": [round(ns / 1e6, 1) for ns in gc_ns],
        "batches": len(sizes),
        "median_batch": statistics.median(sizes) if sizes else 0,
    }


def run_round(variant: str, records: int, scratch: Path) -> dict[str, Any]:
    """One instrumented run in a fresh interpreter, its file verified."""
    folder = Path(tempfile.mkdtemp(prefix=f"{variant}-", dir=scratch))
    job = json.dumps({"variant": variant, "folder": str(folder), "records": records})
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.listener_share", "--worker", job],
        cwd=ROOT,
        capture_output=True,
        timeout=max(300, records / 1000),
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"{variant}: exit {done.returncode}: {tail[0][:200]}")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    found = verify([folder / LOG_FILE], records, as_json="json" in variant)
    if not (found.whole and found.exact):
        raise SystemExit(f"{variant}: {found.summary()}")
    return result


def _median(rounds: list[dict[str, Any]], key: str, inner: str | int | None = None) -> float:
    """The median over ``rounds`` of ``result[key]`` (or ``result[key][inner]``, 0 if absent)."""
    if inner is None:
        return statistics.median(float(result[key]) for result in rounds)
    if isinstance(inner, int):
        return statistics.median(float(result[key][inner]) for result in rounds)
    return statistics.median(float(result[key].get(inner, 0)) for result in rounds)


def summary(variant: str, rounds: list[dict[str, Any]]) -> list[str]:
    """The medians of a variant's rounds, as lines of text."""
    parts = ", ".join(f"{part} {_median(rounds, 'parts_ns', part):.0f}" for part in (*PARTS, "rest"))
    kinds = sorted({kind for result in rounds for kind in result["collections"]})
    collections = ", ".join(f"{kind} {_median(rounds, 'collections', kind):.0f}" for kind in kinds)
    gc_ms = [_median(rounds, "gc_ms", generation) for generation in range(3)]
    return [
        f"{variant}: a call {_median(rounds, 'wall_ns'):,.0f} ns (producer CPU "
        f"{_median(rounds, 'producer_cpu_ns'):,.0f}); listener CPU "
        f"{_median(rounds, 'listener_cpu_ns'):,.0f} ns a record",
        f"  listener, ns a record: {parts}",
        f"  GC collections: {collections or 'none'}; ms by generation {gc_ms}",
        f"  batches {_median(rounds, 'batches'):.0f}, median size {_median(rounds, 'median_batch'):.0f}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", help="default: logboot, logboot-json")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        print(json.dumps(measure(job["variant"], Path(job["folder"]), job["records"])))
        return 0
    chosen = args.variant or ["logboot", "logboot-json"]
    results: dict[str, list[dict[str, Any]]] = {variant: [] for variant in chosen}
    with tempfile.TemporaryDirectory(prefix="listener-share-") as scratch:
        for _ in range(args.rounds):
            for variant in chosen:
                results[variant].append(run_round(variant, args.records, Path(scratch)))
    print(f"{args.records:,} records a run, {args.rounds} rounds alternating; medians; every line verified")
    for variant in chosen:
        print("\n".join(summary(variant, results[variant])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
