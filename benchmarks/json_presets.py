"""Cost per record of each JSON preset against plain ``json``: ``python -m benchmarks.json_presets``.

Each variant formats the same fresh batches of records as a listener hands them over
(merged by ``prepare``; a process id, thread and time like a real record's), with
``format_batch``, the listener's call: plain records, and records with two `extra`
fields. The variants run side by side, interleaved round by round, so a slow moment of
a shared machine lands on all of them; each round times ``--batches`` batches of
``--size`` records and the table shows the median and the best round, in µs a record.
``general`` rows are the same formatter on its general path alone (what the compiled
path saves); ``ecs-logging`` is Elastic's own formatter, for scale, when installed.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

from logboot.core.records import prepare
from logboot.formatters.json import JsonFormatter
from logboot.formatters.presets import PRESETS

Batch = Callable[[list[logging.LogRecord]], list[str]]


def records(count: int, extras: bool) -> list[logging.LogRecord]:
    """``count`` records as ``Logger.makeRecord`` builds them, prepared as the producer does."""
    made = []
    for n in range(count):
        record = logging.LogRecord(
            "app.db", logging.INFO, __file__, 42, "user %s did %s", ("alice", n), None, "run"
        )
        if extras:
            record.__dict__.update({"request_id": f"r-{n}", "attempt": n % 3})
        made.append(prepare(record))
    return made


def variants() -> dict[str, Batch]:
    """The formatters to compare, by row name: compiled on first use, before timing."""
    out: dict[str, Batch] = {"json (plain)": JsonFormatter().format_batch}
    for preset in PRESETS:
        out[f"preset {preset}"] = JsonFormatter(preset=preset).format_batch
    for preset in PRESETS:
        general = JsonFormatter(preset=preset)._format_general
        out[f"preset {preset}, general path"] = lambda batch, f=general: [f(r) for r in batch]  # type: ignore[misc]
    try:
        import ecs_logging
    except ImportError:  # pragma: no cover - the dev extra installs it
        return out
    ecs = ecs_logging.StdlibFormatter(exclude_fields=["log.original"])
    out["ecs-logging StdlibFormatter"] = lambda batch: [ecs.format(r) for r in batch]
    return out


def measure(rounds: int, batches: int, size: int, extras: bool) -> dict[str, list[float]]:
    """µs a record of each variant, one figure per round."""
    table = variants()
    times: dict[str, list[float]] = {name: [] for name in table}
    warm = records(size, extras)
    for run in table.values():
        run(warm)  # compile, and warm the caches
    for _ in range(rounds):
        for name, run in table.items():
            work = [records(size, extras) for _ in range(batches)]
            start = time.perf_counter()
            for batch in work:
                run(batch)
            times[name].append((time.perf_counter() - start) / (batches * size) * 1e6)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args(argv)
    plain = measure(args.rounds, args.batches, args.size, extras=False)
    extra = measure(args.rounds, args.batches, args.size, extras=True)
    base = statistics.median(plain["json (plain)"])
    print(f"µs a record, median (best) of {args.rounds} rounds of {args.batches} x {args.size} records")
    print("| variant | plain records | x plain json | records with 2 `extra` fields |")
    print("|---|---|---|---|")
    for name in plain:
        a, b = plain[name], extra[name]
        print(
            f"| {name} | {statistics.median(a):.2f} ({min(a):.2f}) | {statistics.median(a) / base:.2f} "
            f"| {statistics.median(b):.2f} ({min(b):.2f}) |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
