"""Does picologging survive producer threads? ``python -m benchmarks.picologging_threads``.

Runs a picologging FileHandler, and its QueueHandler + QueueListener, with 1 and with 2
producer threads (``--records`` each, the benchmarks' workload and plain layout), each run
in a fresh interpreter under a timeout, and counts the runs that finished with every line
written and the runs still running at the timeout (killed). Why picologging is a peer in
the one-thread scenarios only: docs/benchmarks.md, "picologging as a peer".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .workload import verify

RUN = """
import sys, threading, queue, picologging, picologging.handlers
sys.path.insert(0, {root!r})
from benchmarks.variants import PICO_DATEFMT, PICO_FORMAT
from benchmarks.workload import MESSAGE, produce
kind, records, threads, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
target = picologging.FileHandler(path, encoding="utf-8")
target.setFormatter(picologging.Formatter(PICO_FORMAT, PICO_DATEFMT))
root = picologging.getLogger()
root.setLevel(picologging.INFO)
if kind == "queue":
    records_queue = queue.Queue()
    listener = picologging.handlers.QueueListener(records_queue, target)
    listener.start()
    root.addHandler(picologging.handlers.QueueHandler(records_queue))
else:
    root.addHandler(target)
info = picologging.getLogger("bench").info
workers = [
    threading.Thread(target=produce, args=(info, MESSAGE, range(i * records, (i + 1) * records)))
    for i in range(threads)
]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
if kind == "queue":
    listener.stop()
target.close()
"""
ROOT = Path(__file__).resolve().parent.parent


def attempt(kind: str, threads: int, records: int, timeout: float, folder: Path) -> str:
    """One run: "ok (seconds)", "hung (killed at the timeout)", or what went wrong."""
    path = folder / f"{kind}-{threads}-{time.monotonic_ns()}.log"
    code = RUN.format(root=str(ROOT))
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, kind, str(records), str(threads), str(path)],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"hung (killed at {timeout:.0f} s)"
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        return f"exit {done.returncode}: {done.stderr.decode('utf-8', 'replace').strip()[-200:]}"
    found = verify([path], records * threads, plain=True)
    return f"ok ({elapsed:.1f} s)" if found.exact else f"lost records: {found.summary()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.picologging_threads", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=4, help="runs of each case (default 4)")
    parser.add_argument("--records", type=int, default=50_000, help="records a thread (default 50,000)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a run counts as hung")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="picologging-threads-") as scratch:
        for kind in ("file", "queue"):
            for threads in (1, 2):
                outcomes = [
                    attempt(kind, threads, args.records, args.timeout, Path(scratch))
                    for _ in range(args.runs)
                ]
                hung = sum(outcome.startswith("hung") for outcome in outcomes)
                print(
                    f"{kind}, {threads} producer thread(s): {hung} of {args.runs} hung; {'; '.join(outcomes)}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
