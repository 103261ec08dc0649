"""What ``compress: gzip`` costs the listener: ``python -m benchmarks.retention``.

The listener's side of a rollover, timed around ``RotatingFileSink.write_lines`` for one batch
(1,024 lines of about 100 bytes) that crosses ``max_bytes``: the file is closed, renamed,
the new one opened and, with ``compress: gzip``, the rolled file is handed to the
compressor thread. Per round, in a fresh folder, side by side:

- ``plain``: no retention settings (as before this change);
- ``gzip``: ``compress: gzip``, the first rollover (it starts the compressor thread);
- ``gzip, busy``: the next rollover, while the compressor is still working on the first
  file (the thread competes for the CPU and, for its final rename, for the sink's lock);
- for scale, a batch that does not roll over, and gzipping one rolled file inline (what the
  write path would pay if the listener compressed it itself).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from logboot.sinks import retention
from logboot.sinks.files import RotatingFileSink
from logboot.sinks.retention import LEVEL

LINE = "2026-12-06 19:45:00,123 INFO     MainProcess/MainThread app.request: GET /items/{n} 200 {n:09d}"


def batch(start: int, count: int = 1024) -> list[str]:
    return [LINE.format(n=n) for n in range(start, start + count)]


BATCH_BYTES = sum(len(line) + 1 for line in batch(0))


def fill(sink: RotatingFileSink, below: int) -> int:
    """Write batches until the next batch must cross ``below`` (``max_bytes``); lines written."""
    written = 0
    while sink.size + BATCH_BYTES <= below:
        written += sink.write_lines(batch(written))
    return written


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1e6


def one_round(folder: Path, max_bytes: int) -> dict[str, float]:
    """µs of each variant in a fresh folder."""
    result: dict[str, float] = {}
    plain = RotatingFileSink(folder / "plain.log", max_bytes, backup_count=5)
    written = fill(plain, max_bytes - BATCH_BYTES)
    result["batch, no rollover"] = timed(lambda: plain.write_lines(batch(written)))
    written += fill(plain, max_bytes)
    result["plain rollover"] = timed(lambda: plain.write_lines(batch(written)))
    plain.close()
    zipped = RotatingFileSink(folder / "gzip.log", max_bytes, backup_count=5, compress="gzip")
    written = fill(zipped, max_bytes)
    result["gzip rollover"] = timed(lambda: zipped.write_lines(batch(written)))
    written += fill(zipped, max_bytes)  # the compressor may still be busy with the first file
    result["gzip rollover, busy"] = timed(lambda: zipped.write_lines(batch(written)))
    assert zipped.settle(120)
    zipped.close()
    rolled = folder / "plain.log.1"
    result["gzip inline (for scale)"] = timed(lambda: gzip.compress(rolled.read_bytes(), compresslevel=LEVEL))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-bytes", type=int, default=8 * 1024 * 1024, help="the rollover size")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--nice", type=int, default=retention.NICE, help="the compressor thread's nice increment"
    )
    args = parser.parse_args(argv)
    retention.NICE = args.nice
    samples: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        folder = Path(tempfile.mkdtemp(prefix="logboot-retention-"))
        try:
            for name, value in one_round(folder, args.max_bytes).items():
                samples.setdefault(name, []).append(value)
        finally:
            shutil.rmtree(folder)
    size = f"{args.max_bytes / 1024 / 1024:g} MiB"
    print(
        f"{args.rounds} rounds, max_bytes {size}, batches of 1,024 lines, compressor nice +{args.nice}; "
        "median µs (min..max):"
    )
    for name, values in samples.items():
        print(f"  {name:<26} {statistics.median(values):9.0f}  ({min(values):.0f}..{max(values):.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
