"""Records per second through each remote sink, end to end, against local receivers, and
through the file sink in the same run.

    python -m benchmarks.remote_sinks [--records 50000] [--repeats 3] [--only NAME]

For each sink (the `file` sink, for reference; syslog over TCP and UDP to rsyslogd and
over TLS to a Python listener; OTLP/HTTP plain and gzip, to the tests' receiver in this
process and to a decoding receiver in a process of its own, as a collector is) a runtime
is set up, ``--records`` records are logged from one thread, and the clock stops when
the receiver has the run's last record (delivery is in order): the file sink's file
(``flush``), the last line of rsyslogd's output file, the Python receivers' lists, the
count of the receiver in its own process. Then, off the clock, every record of the run
is read back and checked to have arrived exactly once; a sink that lost or duplicated
any is reported as such and the script exits with status 1. Buffers are sized so that
nothing is dropped by design: what is measured is throughput, not the overflow policy.
The rounds are interleaved (each round runs every sink once, in an order rotated by one
each round), so a slow moment of a shared machine spreads over all sinks; each row is
also given as a ratio to the file sink's, and issue 23's targets are judged (syslog tcp
0.8x, OTLP to the receiver in its own process 0.5x).

rsyslogd parses every message and writes it in omfile's default format;
``--rsyslog-json`` has it write the 12 parsed fields as JSON lines, as the tests read
them (twice its CPU time a message, on the CPUs this process uses too).

A second table says where the CPU time went, per record: the producer (the thread that
logs), the listener (formatting), the remote sink's sender thread (framing, sending),
the rest of this process (the Python receivers, for tls and otlp), and rsyslogd; then
how long those three threads were ready to run with no CPU free, and the share of the
machine's CPU time that other processes took meanwhile (on a shared machine, the reason
a row is slower than its CPU time says).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

from .machine_load import CpuClock  # noqa: E402

FILE = "file"
OWN_PROCESS = "decoding receiver, own process"
# Issue 23's targets: these rows' records/s at least this share of the file sink's.
TARGETS = {
    "syslog tcp -> rsyslogd": 0.8,
    f"otlp http (none) -> {OWN_PROCESS}": 0.5,
    f"otlp http (gzip) -> {OWN_PROCESS}": 0.5,
}
# The CPU table's columns; "waiting": the time the producer, listener and sender threads
# were ready to run but had no CPU (other processes, the receiver among them, had it).
PARTS = ("producer", "listener", "sender", "rest", "receiver", "waiting")


class Receiver:
    """Where one sink's records arrive. ``mark`` starts a run; ``arrived`` returns once the
    run's last record is there (the clock stops then: delivery is in order, over one
    connection); ``received`` gives the run's messages, in order, for the check."""

    pid: int | None = None  # a receiver in a process of its own, whose CPU time is shown

    def mark(self) -> None:
        raise NotImplementedError

    def arrived(self, count: int, message: str, timeout: float) -> bool:
        raise NotImplementedError

    def received(self, count: int, timeout: float) -> list[str]:
        raise NotImplementedError


class FileLines(Receiver):
    """A file of lines, read on from where the run began: the file sink's, or rsyslogd's
    output (``daemon``; with its JSON fields, each line's ``msg`` is the message)."""

    def __init__(self, path: Path, daemon: Rsyslog | None = None) -> None:
        self.path = path
        self.json = daemon is not None and daemon.fields
        self.pid = daemon.process.pid if daemon is not None and daemon.process is not None else None
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def arrived(self, count: int, message: str, timeout: float) -> bool:
        """Poll the end of the file every 2 ms (the file sink's: at once, its flush wrote it)."""
        deadline = time.monotonic() + timeout
        while not _is(self._text(_last_line(self.path)), message):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def received(self, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(lines := self._lines()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return [self._text(line) for line in lines]

    def _lines(self) -> list[bytes]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as file:
            file.seek(self.offset)
            data = file.read()
        return data[: data.rfind(b"\n") + 1].splitlines()

    def _text(self, line: bytes) -> str:
        if not line:
            return ""
        return str(json.loads(line)["msg"]) if self.json else line.decode("utf-8")


class Listed(Receiver):
    """A Python receiver's list of what it got, under its lock (the TLS listener's messages,
    the OTLP receiver's records); a run starts it empty, so it holds one run at most."""

    def __init__(self, items: list[Any], lock: threading.Lock, text: Callable[[Any], str], *more: list[Any]):
        self.items = items
        self.lock = lock
        self.text = text
        self.more = more  # lists that also hold the run's records (the OTLP receiver's requests)

    def mark(self) -> None:
        with self.lock:
            for found in (self.items, *self.more):
                found.clear()

    def arrived(self, count: int, message: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                last = self.text(self.items[-1]) if self.items else ""
            if _is(last, message):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def received(self, count: int, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [self.text(item) for item in self.items]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


class Counted(Receiver):
    """A receiver in a process of its own that counts what arrived, and gives every body
    so far when asked (the decoding OTLP receiver)."""

    def __init__(self, receiver: OtlpReceiverProcess) -> None:
        self.receiver = receiver
        self.pid = receiver.pid
        self.start = 0

    def mark(self) -> None:
        self.start = self.receiver.arrived(0, 0.0)

    def arrived(self, count: int, message: str, timeout: float) -> bool:
        return bool(self.receiver.arrived(self.start + count, timeout) >= self.start + count)

    def received(self, count: int, timeout: float) -> list[str]:
        bodies: list[str] = self.receiver.messages()
        return bodies[self.start :]


@dataclass
class Target:
    """One sink and the receiver that checks what it got."""

    name: str
    sink_yaml: str
    receiver: Receiver


@dataclass
class Run:
    """One run of one sink: its rate, what was wrong, and CPU seconds by part."""

    rate: float
    problem: str
    cpu: dict[str, float] = field(default_factory=dict)
    others_pct: float = 0.0  # the machine's CPU time that other processes took meanwhile


def profile(folder: Path, sink_yaml: str, records: int) -> Path:
    path = folder / "bench.yaml"
    path.write_text(
        f"""\
version: 1
sinks:
  remote:
{sink_yaml}
queues:
  main: {{max_size: {records}, overflow: block}}
listeners:
  main: {{queue: main, sinks: [remote]}}
root: {{level: INFO, queue: main}}
shutdown: {{timeout: 60s}}
""",
        encoding="utf-8",
    )
    return path


def run_once(folder: Path, target: Target, records: int) -> Run:
    """Log ``records`` records until the receiver has them all; then check them."""
    log = logging.getLogger("bench")
    receiver = target.receiver
    receiver.mark()
    runtime = logboot.setup_logging(profile(folder, target.sink_yaml, records))
    try:
        before = _cpu_seconds(receiver.pid)
        clock = CpuClock()
        started = time.perf_counter()
        produce(log.info, records)
        runtime.flush(120)
        receiver.arrived(records, f"record {records - 1}", 120.0)
        elapsed = time.perf_counter() - started
        ticks = clock.ticks()
        after = _cpu_seconds(receiver.pid)
    finally:
        runtime.stop()
    cpu = {part: after.get(part, 0.0) - before.get(part, 0.0) for part in PARTS}
    others = 0.0
    if ticks is not None and ticks[0] > 0:
        ours = sum(cpu[part] for part in PARTS if part != "waiting") * os.sysconf("SC_CLK_TCK")
        others = max(0.0, ticks[1] - ours) / ticks[0] * 100
    numbers = [int(m.rsplit("record ", 1)[1]) for m in receiver.received(records, 30.0)]
    problem = ""
    if sorted(numbers) != list(range(records)):
        missing = records - len(set(numbers))
        problem = f"{missing} missing, {len(numbers) - len(set(numbers))} duplicated"
    return Run(records / elapsed, problem, cpu, others)


def produce(info: Callable[..., object], records: int) -> None:
    """Log ``records`` records through ``info`` (a bound ``logger.info``), from a function
    this small: logging finds the caller's line number by walking its code's line table."""
    for seq in range(records):
        info("record %d", seq)


def _cpu_seconds(receiver_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of this process's threads by part, and of the receiver's process."""
    parts = dict.fromkeys(PARTS, 0.0)
    total = time.process_time()
    named = 0.0
    for thread in threading.enumerate():
        if thread is threading.main_thread():
            part = "producer"
        elif thread.name.startswith("logboot-listener-"):
            part = "listener"
        elif thread.name.startswith(("logboot-syslog-", "logboot-otlp-")):
            part = "sender"
        else:
            continue
        running, waiting = _schedstat(f"/proc/self/task/{thread.native_id}/schedstat")
        parts[part] += running
        parts["waiting"] += waiting
        named += running
    parts["rest"] = max(0.0, total - named)
    if receiver_pid is not None:
        parts["receiver"] = _process_seconds(receiver_pid)
    return parts


def _schedstat(path: str) -> tuple[float, float]:
    """A thread's seconds on a CPU and waiting for one (Linux ``schedstat``), or zeros."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(path, encoding="ascii") as stat:
            running, waiting = stat.read().split()[:2]
        return int(running) / 1e9, int(waiting) / 1e9
    return 0.0, 0.0


def _process_seconds(pid: int) -> float:
    """CPU seconds of every thread of a process so far, or 0."""
    return sum(_schedstat(str(task / "schedstat"))[0] for task in Path(f"/proc/{pid}/task").glob("*"))


def _last_line(path: Path) -> bytes:
    """The file's last whole line (empty when there is none)."""
    if not path.exists():
        return b""
    with path.open("rb") as file:
        end = file.seek(0, os.SEEK_END)
        file.seek(max(0, end - 65536))
        tail = file.read()
    return tail[: tail.rfind(b"\n")].rsplit(b"\n", 1)[-1]


def _is(text: str, message: str) -> bool:
    """Whether ``text`` (a line, a whole syslog message) is ``message`` or ends with it."""
    return text == message or text.endswith(f" {message}")


@contextmanager
def targets(folder: Path, records: int, json_fields: bool = False) -> Iterator[list[Target]]:
    """Start the receivers; yield the sinks pointed at them, the file sink first."""
    written = folder / "file-sink.log"
    found = [Target(FILE, f"    type: file\n    path: '{written}'", FileLines(written))]
    buffer = f"    buffer_size: {records}"
    daemon = None
    if rsyslogd_path() is not None:
        daemon = Rsyslog(folder / "rsyslog", fields=json_fields)
        daemon.start()
        output = FileLines(daemon.output, daemon)
        for protocol, address in (("tcp", daemon.tcp_address), ("udp", daemon.udp_address)):
            sink = f"    type: syslog\n    protocol: {protocol}\n    address: '{address}'\n{buffer}"
            found.append(Target(f"syslog {protocol} -> rsyslogd", sink, output))
    else:
        print("rsyslogd is not installed: the syslog tcp/udp rows are skipped", file=sys.stderr)
    tls = None
    if shutil.which("openssl") is not None:
        cert, key = make_certificate(folder)
        tls = TlsSyslogReceiver(cert, key)
        sink = f"    type: syslog\n    address: '{tls.address}'\n    tls: {{ca_file: '{cert}'}}\n{buffer}"
        found.append(Target("syslog tls -> Python TLS listener", sink, Listed(tls.messages, tls.lock, str)))
    else:
        print("the openssl command is missing: the syslog tls row is skipped", file=sys.stderr)
    otlp = OtlpReceiver()
    otlp.start()
    bodies = Listed(otlp.records, otlp.lock, lambda record: str(record["body"]), otlp.requests)
    for compression in ("none", "gzip"):
        sink = f"    type: otlp\n    endpoint: '{otlp.endpoint}'\n    compression: {compression}\n{buffer}"
        found.append(Target(f"otlp http ({compression}) -> Python receiver", sink, bodies))
    # A receiver in a process of its own, as a collector is: it decodes every request whole
    # but makes Python strings of the bodies only when they are checked; it shares the
    # CPUs with the application, not the application's interpreter lock.
    apart = OtlpReceiverProcess()
    apart.start()
    counted = Counted(apart)
    for compression in ("none", "gzip"):
        sink = f"    type: otlp\n    endpoint: '{apart.endpoint}'\n    compression: {compression}\n{buffer}"
        found.append(Target(f"otlp http ({compression}) -> {OWN_PROCESS}", sink, counted))
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
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the median is shown (default 3)")
    parser.add_argument(
        "--only",
        action="append",
        help="run only the sinks whose row starts with this (repeatable; the file sink always runs)",
    )
    parser.add_argument(
        "--rsyslog-json",
        action="store_true",
        help="rsyslogd writes the tests' JSON lines of 12 parsed fields, not its default file format "
        "(twice its CPU time a message, on CPUs this process shares)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    runs: dict[str, list[Run]] = {}
    began = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="logboot-bench-") as tmp,
        targets(Path(tmp), args.records, args.rsyslog_json) as found,
    ):
        chosen = [t for t in found if t.name == FILE or not args.only or t.name.startswith(tuple(args.only))]
        runs.update((target.name, []) for target in chosen)
        for round_ in range(args.repeats):
            shift = round_ % len(chosen)
            for target in chosen[shift:] + chosen[:shift]:
                run = run_once(Path(tmp), target, args.records)
                runs[target.name].append(run)
                shown = f"FAILED: {run.problem}" if run.problem else f"{run.rate:,.0f} records/s"
                print(f"[{round_ + 1}/{args.repeats}] {target.name}: {shown}", file=sys.stderr, flush=True)
    print(
        f"\nremote sinks, {args.records:,} records x {args.repeats} rounds, one producer thread; "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {time.monotonic() - began:.0f} s; rsyslogd writes "
        f"{'JSON lines of 12 fields' if args.rsyslog_json else 'its default file format'}\n"
    )
    print(render(runs, args.records, args.repeats))
    return 1 if any(run.problem for found_runs in runs.values() for run in found_runs) else 0


def render(runs: dict[str, list[Run]], records: int, repeats: int) -> str:
    """The rates table, the target's verdict and the CPU table, as Markdown."""
    file_runs = runs.get(FILE, [])
    file_rate = statistics.median(r.rate for r in file_runs) if file_runs else 0.0
    rows: list[tuple[str, ...]] = []
    for name, found in runs.items():
        rates = [r.rate for r in found]
        median = statistics.median(rates)
        problems = [r.problem for r in found if r.problem]
        # The ratio within each round (the file run of the same round, seconds apart).
        paired = [r.rate / f.rate for r, f in zip(found, file_runs, strict=False)]
        shown = "-" if name == FILE or not file_rate else f"{median / file_rate:.2f}x"
        if paired and name != FILE:
            shown += f" ({min(paired):.2f}-{max(paired):.2f})"
        verdict = "; ".join(problems) if problems else f"all {records:,} x {len(found)}"
        rows.append((name, f"{median:,.0f}", f"{min(rates):,.0f}-{max(rates):,.0f}", shown, verdict))
    header = (
        "sink -> receiver",
        "records/s (median)",
        "range",
        "x file (range by round)",
        "arrived exactly once",
    )
    lines = [_table(header, rows), ""]
    for name, share in TARGETS.items():
        if name not in runs or not file_rate:
            continue
        ratio = statistics.median(r.rate for r in runs[name]) / file_rate
        met = "met" if ratio >= share else "NOT met"
        if repeats < 3:
            met = f"not judged: {repeats} round(s); figure {'inside' if ratio >= share else 'outside'}"
        lines.append(f"Target (issue 23): {name} >= {share}x the file sink's records/s: {ratio:.2f}x ({met})")
    cpu_rows: list[tuple[str, ...]] = []
    for name, found in runs.items():
        per_record = [
            f"{statistics.median(r.cpu.get(part, 0.0) for r in found) / records * 1e6:.2f}" for part in PARTS
        ]
        wall = statistics.median(1e6 / r.rate for r in found)
        others = statistics.median(r.others_pct for r in found)
        cpu_rows.append((name, f"{wall:.2f}", *per_record, f"{others:.0f}%"))
    lines.append("\nCPU µs a record (median of the rounds), against the wall time a record:\n")
    lines.append(
        _table(
            (
                "sink -> receiver",
                "wall",
                "producer",
                "listener",
                "sender",
                "rest of process",
                "receiver process",
                "ours, waiting for a CPU",
                "other processes, % of the machine",
            ),
            cpu_rows,
        )
    )
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in [header, tuple("-" * w for w in widths), *rows]
    )


if __name__ == "__main__":
    sys.exit(main())
