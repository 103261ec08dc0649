"""An asyncio TCP service whose coroutines log through logboot without ever blocking the loop.

Run from the repository root (LOG_DIR chooses the folder of asyncio.log):

    python examples/asyncio_service.py --port 8765     # --port 0 picks a free port

It prints ``listening on <port>``, answers each line a client sends with ``ok <line>``
and logs it. SIGTERM or SIGINT stops it: it stops accepting, logs a summary, and drains
the queue before it exits.

Logging from a coroutine costs the loop only the put on the queue; the listener thread
formats and writes. If the queue (``overflow: block``) is full, a plain thread would wait
for room, but the event loop's thread never waits: that record is dropped and counted
(``dropped_in_event_loop`` in ``runtime.stats()``), so a slow disk cannot stall the service.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

import logboot

PROFILE = Path(__file__).resolve().parent / "profiles" / "asyncio.yaml"
log = logging.getLogger("echo")


class Service:
    def __init__(self) -> None:
        self.lines = 0
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        peer = writer.get_extra_info("peername")
        log.info("connection %d from %s", self.connections, peer[0])
        while line := await reader.readline():
            text = line.decode("utf-8", "replace").rstrip("\n")
            self.lines += 1
            log.info("got %s", text, extra={"peer_port": peer[1]})
            writer.write(f"ok {text}\n".encode())
            await writer.drain()
        writer.close()
        await writer.wait_closed()


async def serve(port: int, runtime: logboot.Runtime) -> None:
    service = Service()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await asyncio.start_server(service.handle, "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    log.info("listening on 127.0.0.1:%d", bound)
    print(f"listening on {bound}", flush=True)
    async with server:
        await stop.wait()
    queue = runtime.stats()["queues"]["main"]
    log.info(
        "stopped: %d connection(s), %d line(s); %d record(s) dropped in the event loop",
        service.connections,
        service.lines,
        queue["dropped_in_event_loop"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with logboot.setup_logging(PROFILE) as runtime:
        asyncio.run(serve(args.port, runtime))


if __name__ == "__main__":
    main()
