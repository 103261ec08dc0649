"""Logging from coroutines: the event loop thread never waits on a full `block` queue."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import file_profile

import logboot
from logboot.runtime.queues import in_event_loop

pytestmark = pytest.mark.timeout(30)
# asyncio logs "Using selector" at DEBUG when a loop is made, outside it: not the records under test.
QUIET_ASYNCIO = "loggers:\n  asyncio: {level: WARNING}\n"


class GateHandler(logging.Handler):
    """Holds the listener inside its first write until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entered.set()
        self.gate.wait(20)
        self.messages.append(record.getMessage())


@pytest.fixture
def gated(
    write_profile: Callable[..., Path], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[logboot.Runtime, GateHandler]]:
    """A runtime whose one queue holds 10 records and whose listener is stuck in a write."""
    timeout = getattr(request, "param", None)
    extra = f"block_timeout: {timeout}, " if timeout else ""
    text = file_profile(tmp_path / "out.log", max_size=10, extra=QUIET_ASYNCIO).replace(
        "overflow: block}", f"{extra}overflow: block}}"
    )
    runtime = logboot.setup_logging(write_profile(text))
    handler = GateHandler()
    runtime.topology.sinks["out"].handler = handler
    log = logging.getLogger("gated")
    log.info("held by the listener")
    assert handler.entered.wait(10)
    for i in range(10):
        log.info("queued %d", i)
    assert runtime.stats()["queues"]["main"]["size"] == 10
    yield runtime, handler
    handler.gate.set()
    runtime.stop()


@pytest.mark.parametrize("gated", [None, "30s"], indirect=True, ids=["no-timeout", "block_timeout-30s"])
def test_a_full_block_queue_drops_and_counts_in_the_event_loop(
    gated: tuple[logboot.Runtime, GateHandler], capsys: pytest.CaptureFixture[str]
) -> None:
    """In the loop's thread a record that finds the queue full is dropped and counted at once."""
    runtime, handler = gated
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async def service() -> float:
        beat = asyncio.create_task(heartbeat())
        started = time.monotonic()
        for i in range(100):
            logging.getLogger("gated").info("from a coroutine %d", i)
            await asyncio.sleep(0)
        elapsed = time.monotonic() - started
        beat.cancel()
        return elapsed

    elapsed = asyncio.run(service())
    assert elapsed < 5.0  # nowhere near a blocked loop (or the 30 s block_timeout)
    assert ticks >= 100  # the loop kept running other tasks between the logging calls
    stats = runtime.stats()["queues"]["main"]
    assert stats["dropped_in_event_loop"] == 100
    assert stats["dropped"] == 100
    handler.gate.set()
    assert runtime.flush(10)
    assert handler.messages == ["held by the listener", *(f"queued {i}" for i in range(10))]
    report = runtime.stop()
    queue = report.queues["main"]
    assert queue["enqueued"] == queue["handled"] + queue["dropped"] == 111
    summary = capsys.readouterr().err
    assert "logboot: queue 'main' dropped 100 of 111 records (overflow: block, max_size: 10" in summary
    assert "100 in an event loop)" in summary


def test_a_full_block_queue_still_blocks_a_plain_thread(gated: tuple[logboot.Runtime, GateHandler]) -> None:
    """Outside an event loop `block` keeps its promise: the caller waits for room, nothing is lost."""
    runtime, handler = gated
    done = threading.Event()

    def producer() -> None:
        logging.getLogger("gated").info("waited for room")
        done.set()

    thread = threading.Thread(target=producer)
    thread.start()
    assert not done.wait(0.3)  # still waiting: the queue is full and the listener is stuck
    handler.gate.set()
    assert done.wait(10)
    thread.join(10)
    assert runtime.flush(10)
    assert handler.messages[-1] == "waited for room"
    assert runtime.stats()["queues"]["main"]["dropped"] == 0


def test_coroutines_log_every_record_in_order(write_profile: Callable[..., Path], tmp_path: Path) -> None:
    """Records logged from many tasks all arrive, each task's in its own order."""
    runtime = logboot.setup_logging(write_profile(file_profile(tmp_path / "out.log", extra=QUIET_ASYNCIO)))

    async def task(n: int) -> None:
        for seq in range(20):
            logging.getLogger("task").info("task %d seq %d", n, seq)
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(task(n) for n in range(50)))

    asyncio.run(main())
    report = runtime.stop()
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1000 == report.handled
    for n in range(50):
        assert [line for line in lines if line.startswith(f"task {n} ")] == [
            f"task {n} seq {seq}" for seq in range(20)
        ]


def test_in_event_loop_knows_the_loop_thread() -> None:
    """`in_event_loop` is true inside a running loop only."""
    assert not in_event_loop()

    async def inside() -> bool:
        return in_event_loop()

    assert asyncio.run(inside())
