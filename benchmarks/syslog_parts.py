"""The syslog sink's parts timed apart, per record: ``python -m benchmarks.syslog_parts``.

One thread, no receiver: the best of 25 batches of 1,024 fresh records (``record %d``, as
``benchmarks.remote_sinks`` logs them, merged as the producer leaves them):

- the listener's whole delivery of a batch (``ListenerSink.deliver``) to a `file` sink
  (lay out, write) and to a `syslog` sink (filter, lay out the RFC 5424 messages, encode,
  buffer), the syslog sink's buffer kept from its sender thread;
- of the syslog delivery, the laying out alone, as the listener calls it;
- the sender's part of a batch: octet-counting frames and one send over a Unix socket
  pair, emptied between batches, off the clock.

Run it in two trees to compare them: it uses only what both sides of issue 23's change have.
"""

from __future__ import annotations

import logging
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from logboot.core.records import prepare
from logboot.formatters.text import TextFormatter
from logboot.runtime.listener import ListenerSink
from logboot.sinks import syslog
from logboot.sinks.files import FileSink
from logboot.sinks.rfc5424 import MessageBuilder

BATCH = 1024
ROUNDS = 25


def fresh_batch() -> list[logging.LogRecord]:
    """A batch as the listener takes it from the queue: new records, their messages merged."""
    batch = []
    for seq in range(BATCH):
        record = logging.LogRecord("bench", logging.INFO, __file__, 1, "record %d", (seq,), None)
        prepare(record)
        batch.append(record)
    return batch


def best(step: Callable[[Any], object], make: Callable[[], Any], after: Callable[[], object] = list) -> float:
    """µs a record: the best of ``ROUNDS`` runs of ``step`` over a batch from ``make``."""
    times = []
    for _ in range(ROUNDS):
        batch = make()
        started = time.perf_counter()
        step(batch)
        times.append(time.perf_counter() - started)
        after()
    return min(times) / BATCH * 1e6


def syslog_sink() -> tuple[syslog.SyslogSink, list[list[bytes]]]:
    """A tcp syslog sink whose buffer is a list: what the listener hands it, no sender."""
    sink = syslog.SyslogSink(
        protocol="tcp", address="127.0.0.1:1", builder=MessageBuilder(hostname="web-1", app_name="bench")
    )
    offered: list[list[bytes]] = []
    sink.offer = offered.append  # type: ignore[method-assign, assignment]
    return sink, offered


def measure() -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        file_sink = FileSink(Path(folder) / "out.log")
        file_sink.setFormatter(TextFormatter())
        delivery = ListenerSink("file", file_sink)
        figures["listener: file sink, lay out and write"] = best(delivery.deliver, fresh_batch)
        file_sink.close()
    sink, offered = syslog_sink()
    delivery = ListenerSink("syslog", sink)
    figures["listener: syslog sink, filter, lay out, encode, buffer"] = best(
        delivery.deliver, fresh_batch, offered.clear
    )
    many = getattr(sink, "format_batch", None)  # the listener's call, where the sink has one

    def lay_out(batch: list[logging.LogRecord]) -> object:
        return many(batch) if many is not None else [sink.format(record) for record in batch]

    figures["  of which laying out the RFC 5424 messages"] = best(lay_out, fresh_batch)
    delivery.deliver(fresh_batch())
    messages = offered[-1]
    ours, theirs = socket.socketpair()
    with ours, theirs:
        for end in (ours, theirs):
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        theirs.setblocking(False)

        def empty() -> None:
            while True:
                try:
                    theirs.recv(1 << 20)
                except BlockingIOError:
                    return

        send = syslog._send_frames  # the sender's own step
        figures["sender: frame and send a batch"] = best(
            lambda batch: send(ours, batch), lambda: messages, empty
        )
    return figures


def main() -> None:
    print(f"| part, best of {ROUNDS} batches of {BATCH:,} | µs a record |\n|---|---|")
    for name, value in measure().items():
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main()
