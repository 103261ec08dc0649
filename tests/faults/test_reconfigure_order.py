"""A second setup_logging keeps each thread's records in the order they were logged."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from conftest import Gate, file_profile, wait_until

import logboot
from logboot.runtime.lifecycle import active_runtime

pytestmark = pytest.mark.timeout(60)


def numbers_in(path: Path) -> list[int]:
    """The record numbers in a file, in file order; every line must be whole."""
    data = path.read_text(encoding="utf-8")
    assert data.endswith("\n")
    return [int(line) for line in data.split("\n")[:-1]]


def start_held(profile: Path) -> tuple[logboot.Runtime, Gate, logging.Logger]:
    """Start ``profile`` and log record "0", which its listener holds inside the sink."""
    old = logboot.setup_logging(profile)
    held = Gate()
    old.topology.sinks["out"].handler.addFilter(held)
    log = logging.getLogger("order")
    log.info("0")
    assert held.entered.wait(5)
    return old, held, log


def test_records_after_a_swap_follow_the_old_backlog_into_a_shared_file(tmp_path: Path) -> None:
    """Records logged after a swap are written after the old runtime's backlog, not before it."""
    log_file = tmp_path / "app.log"
    profile = tmp_path / "profile.yaml"
    profile.write_text(file_profile(log_file), encoding="utf-8")
    old, held, log = start_held(profile)
    for seq in range(1, 100):
        log.info("%d", seq)
    old_queue = old.topology.queues["main"]

    def log_after_the_swap() -> None:
        wait_until(lambda: old_queue.closed)  # the new runtime is in; the old one drains
        for seq in range(100, 200):
            log.info("%d", seq)
        new = active_runtime()
        assert new is not None
        new_queue = new.topology.queues["main"]
        # Time for a new listener that did not wait to write these ahead of the held backlog
        # (it returns at once if it does; a waiting one lets the full 300 ms pass).
        new_queue.wait_for(new_queue.barrier(), time.monotonic() + 0.3)
        held.opened.set()

    releaser = threading.Thread(target=log_after_the_swap)
    releaser.start()
    new = logboot.setup_logging(profile)
    releaser.join(10)
    for seq in range(200, 300):
        log.info("%d", seq)
    new.stop()
    assert numbers_in(log_file) == list(range(300))


def test_a_stuck_old_sink_holds_the_new_runtime_back_only_until_its_deadline(tmp_path: Path) -> None:
    """When the old runtime cannot drain by its shutdown timeout, the new one starts writing anyway."""
    old_file, new_file = tmp_path / "old.log", tmp_path / "new.log"
    old_profile, new_profile = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_profile.write_text(file_profile(old_file, extra="shutdown: {timeout: 200ms}\n"), encoding="utf-8")
    new_profile.write_text(file_profile(new_file), encoding="utf-8")
    old, held, log = start_held(old_profile)
    try:
        new = logboot.setup_logging(new_profile)  # returns after the old one's 200 ms deadline
        log.info("1")
        assert new.flush(timeout=5)
        assert numbers_in(new_file) == [1]
        assert old.stop().abandoned == 1
    finally:
        held.opened.set()
    new.stop()
