"""A batch job: a ProcessPoolExecutor whose workers log into the parent's sinks.

Run from the repository root:  python examples/multiprocess_pool.py [LOG_DIR]
The workers start with spawn (as they would on macOS, or by default from Python 3.14
on Linux with forkserver); each one is attached by the pool's initializer.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import logboot


def process_batch(batch: int) -> int:
    log = logging.getLogger("batch")
    for item in range(100):
        log.info("batch %d item %d processed", batch, item, extra={"batch": batch, "item": item})
    if batch == 3:
        try:
            raise ValueError(f"batch {batch} had a bad row")
        except ValueError:
            log.exception("batch %d partly failed", batch)
    return batch


def main() -> None:
    if len(sys.argv) > 1:
        os.environ["LOG_DIR"] = sys.argv[1]
    runtime = logboot.setup_logging("configs/multiprocess.yaml")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=2, mp_context=context, initializer=logboot.attach, initargs=(runtime.process_handle(),)
    ) as pool:
        done = list(pool.map(process_batch, range(8)))
    logging.getLogger("batch").info("all %d batches done", len(done))
    report = runtime.stop()
    queue = next(iter(report.queues.values()))
    workers = queue.get("children_attached")
    print(f"handled {report.handled} records from {workers} workers, dropped {report.dropped}")


if __name__ == "__main__":
    main()
