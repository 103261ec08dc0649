"""The listener's layout work alone: ``python -m benchmarks.layout_batch``.

Times ``format_batch`` of logboot's formatters over batches of fresh records (made by
``LeanRecord``, as while a runtime runs: a record reused from an earlier round would keep
the ``__dict__`` a first round made it build, which 3.11+ does not have for a new one),
and prints the least time of ``--rounds`` rounds, ns a record, for:

- ``json + extra``: a ``json`` formatter with the JSON scenario's fields, ``extra`` among
  them (the test for `extra` fields made for every record);
- ``json``: the same fields without ``extra``;
- ``text``: ``%(asctime)s %(levelname)s %(name)s: %(message)s``.

Every line is checked: one per record, each with its record's sequence number.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from logboot.core.lean_record import LeanRecord
from logboot.formatters.json import JsonFormatter
from logboot.formatters.text import TextFormatter

FIELDS = ["time", "level", "logger", "thread_name", "message"]
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def fresh(logger: logging.Logger, count: int) -> list[logging.LogRecord]:
    """``count`` new records of the benchmark's message, made by ``LeanRecord``."""
    make = logger.makeRecord
    return [
        make(logger.name, logging.INFO, __file__, 1, "user %s did %s in %d ms", ("ann", "login", i), None)
        for i in range(count)
    ]


def least_ns(formatter: logging.Formatter, logger: logging.Logger, count: int, rounds: int) -> float:
    """The least ns a record ``formatter.format_batch`` took over ``rounds`` fresh batches."""
    format_batch = formatter.format_batch  # type: ignore[attr-defined]
    format_batch(fresh(logger, count))  # compiled on first use: not timed
    best = float("inf")
    for _ in range(rounds):
        records = fresh(logger, count)
        began = time.perf_counter_ns()
        lines = format_batch(records)
        best = min(best, time.perf_counter_ns() - began)
        if len(lines) != count or any(f" in {i} ms" not in line for i, line in enumerate(lines)):
            raise SystemExit("a line is missing or not its record's")
    return best / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000, help="records a batch")
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args(argv)
    previous = logging.getLogRecordFactory()
    logging.setLogRecordFactory(LeanRecord)
    try:
        logger = logging.getLogger("bench.app")
        formatters: dict[str, logging.Formatter] = {
            "json + extra": JsonFormatter(fields=[*FIELDS, "extra"]),
            "json": JsonFormatter(fields=FIELDS),
            "text": TextFormatter(TEXT, style="%"),
        }
        version = sys.version.split()[0]
        print(f"Python {version}; {args.records:,} records a batch, least of {args.rounds} rounds")
        for name, formatter in formatters.items():
            print(f"  {name:13} {least_ns(formatter, logger, args.records, args.rounds):7,.0f} ns a record")
    finally:
        logging.setLogRecordFactory(previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
