"""Records per second through each remote sink, end to end, against local receivers.

    python -m benchmarks.remote_sinks [--records 50000] [--repeats 3]

For each sink (syslog over TCP, UDP and TLS; OTLP/HTTP plain and gzip) a runtime is
set up, ``--records`` records are logged from one thread, and the clock stops when the
receiver has every one of them: rsyslogd's output file (syslog tcp/udp), a Python TLS
listener (syslog tls), or the tests' OTLP/HTTP receiver, which decodes every request.
Every record is checked to have arrived exactly once; a sink that lost or duplicated
any is reported as such and the script exits with status 1. Buffers are sized so that
nothing is dropped by design: what is measured is throughput, not the overflow policy.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from integration.receivers import (  # type: ignore[import-not-found]  # noqa: E402
    OtlpReceiver,
    OtlpReceiverProcess,
    Rsyslog,
    TlsSyslogReceiver,
    make_certificate,
    rsyslogd_path,
)

import logboot  # noqa: E402

Received = Callable[[int, float], list[str]]  # (count, timeout) -> the messages so far


@dataclass
class Target:
    """One remote sink and the receiver that checks what it got."""

    name: str
    sink_yaml: str
    received: Received


def profile(folder: Path, sink_yaml: str, records: int) -> Path:
    path = folder / "bench.yaml"
    buffer = "" if "type: file" in sink_yaml else f"    buffer_size: {records}\n"
    path.write_text(
        f"""\
version: 1
sinks:
  remote:
{sink_yaml}
{buffer}queues:
  main: {{max_size: {records}, overflow: block}}
listeners:
  main: {{queue: main, sinks: [remote]}}
root: {{level: INFO, queue: main}}
shutdown: {{timeout: 60s}}
""",
        encoding="utf-8",
    )
    return path


def run_once(folder: Path, target: Target, records: int) -> tuple[float, str]:
    """Log ``records`` records; seconds until the receiver has them all, and what was wrong, if anything."""
    log = logging.getLogger("bench")
    already = len(target.received(0, 0.0))  # receivers are shared: earlier runs' messages stay
    runtime = logboot.setup_logging(profile(folder, target.sink_yaml, records))
    try:
        started = time.perf_counter()
        for seq in range(records):
            log.info("record %d", seq)
        runtime.flush(120)
        messages = target.received(already + records, 120.0)
        elapsed = time.perf_counter() - started
    finally:
        runtime.stop()
    numbers = [int(m.rsplit("record ", 1)[1]) for m in messages[already:]]
    if sorted(numbers) != list(range(records)):
        missing = records - len(set(numbers))
        return elapsed, f"{missing} missing, {len(numbers) - len(set(numbers))} duplicated"
    return elapsed, ""


@contextmanager
def targets(folder: Path) -> Iterator[list[Target]]:
    """Start the receivers; yield the sinks pointed at them."""
    found: list[Target] = []
    daemon = None
    if rsyslogd_path() is not None:
        daemon = Rsyslog(folder / "rsyslog")
        daemon.start()
        rsyslog = daemon

        def from_rsyslog(count: int, timeout: float) -> list[str]:
            return [m["msg"] for m in rsyslog.wait_for(count, timeout)]

        for protocol, address in (("tcp", daemon.tcp_address), ("udp", daemon.udp_address)):
            sink = f"    type: syslog\n    protocol: {protocol}\n    address: '{address}'"
            found.append(Target(f"syslog {protocol} -> rsyslogd", sink, from_rsyslog))
    else:
        print("rsyslogd is not installed: the syslog tcp/udp rows are skipped", file=sys.stderr)
    tls = None
    if shutil.which("openssl") is not None:
        cert, key = make_certificate(folder)
        tls = TlsSyslogReceiver(cert, key)
        sink = f"    type: syslog\n    address: '{tls.address}'\n    tls: {{ca_file: '{cert}'}}"
        found.append(Target("syslog tls -> Python TLS listener", sink, tls.wait_for))
    else:
        print("the openssl command is missing: the syslog tls row is skipped", file=sys.stderr)
    log_file = folder / "file-sink.log"

    def from_file(count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = log_file.read_text(encoding="utf-8").splitlines() if log_file.exists() else []
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    # The reference the OTLP target of issue 23 is measured against (0.5x its records/s).
    found.append(Target("file (reference)", f"    type: file\n    path: '{log_file}'", from_file))
    otlp = OtlpReceiver()
    otlp.start()

    def from_otlp(count: int, timeout: float) -> list[str]:
        return [str(r["body"]) for r in otlp.wait_for(count, timeout)]

    for compression in ("none", "gzip"):
        sink = f"    type: otlp\n    endpoint: '{otlp.endpoint}'\n    compression: {compression}"
        found.append(Target(f"otlp http ({compression}) -> Python receiver", sink, from_otlp))
    # A receiver in a process of its own, as a collector is: it decodes every request whole
    # but makes Python strings of the bodies only when they are checked; it shares the
    # CPUs with the application, not the application's interpreter lock.
    apart = OtlpReceiverProcess()
    apart.start()

    def from_apart(count: int, timeout: float) -> list[str]:
        apart.arrived(count, timeout)
        messages: list[str] = apart.messages()
        return messages

    for compression in ("none", "gzip"):
        sink = f"    type: otlp\n    endpoint: '{apart.endpoint}'\n    compression: {compression}"
        name = f"otlp http ({compression}) -> decoding receiver, own process"
        found.append(Target(name, sink, from_apart))
    try:
        yield found
    finally:
        apart.stop()
        otlp.stop()
        if tls is not None:
            tls.close()
        if daemon is not None:
            daemon.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per run (default 50000)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per sink; the median is shown (default 3)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    failed = False
    rows = []
    with tempfile.TemporaryDirectory(prefix="logboot-bench-") as tmp, targets(Path(tmp)) as found:
        for target in found:
            rates, problems = [], []
            for _ in range(args.repeats):
                elapsed, problem = run_once(Path(tmp), target, args.records)
                rates.append(args.records / elapsed)
                if problem:
                    problems.append(problem)
            failed = failed or bool(problems)
            spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
            verdict = "; ".join(problems) if problems else f"all {args.records:,} x {args.repeats}"
            rows.append((target.name, f"{statistics.median(rates):,.0f}", spread, verdict))
    print(
        f"\nremote sinks, {args.records:,} records x {args.repeats} runs, one producer thread; "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs\n"
    )
    header = ("sink -> receiver", "records/s (median)", "range", "arrived exactly once")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
