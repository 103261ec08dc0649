"""Process queues: children under fork, spawn and forkserver reach the parent's sinks."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

import logboot

from . import children

METHODS = ["fork", "spawn", "forkserver"]


def profile(tmp_path: Path, *, kind: str = "process", max_size: int = 10_000) -> Path:
    """A profile writing JSON lines to one file through one queue of ``kind``."""
    path = tmp_path / "profile.yaml"
    path.write_text(
        f"""\
version: 1
formatters:
  json: {{type: json}}
sinks:
  out: {{type: file, path: "{tmp_path / "out.jsonl"}", formatter: json}}
queues:
  main: {{kind: {kind}, max_size: {max_size}}}
listeners:
  main: {{queue: main, sinks: [out]}}
root: {{level: INFO}}
""",
        encoding="utf-8",
    )
    return path


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSON-lines file, each parsed (a garbled line fails the test)."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") or not text
    return [json.loads(line) for line in text.splitlines()]


def assert_exactly_once(records: list[dict[str, Any]], expected: dict[int, int]) -> None:
    """Each pid in ``expected`` logged seq 0..n-1, each exactly once."""
    seen = Counter((r["process"], r["seq"]) for r in records if "seq" in r)
    assert all(count == 1 for count in seen.values())
    for pid, count in expected.items():
        assert {seq for (p, seq) in seen if p == pid} == set(range(count))
    assert sum(expected.values()) == len(seen)


def run_logging_children(
    context: Any, handle: logboot.ProcessHandle | None, children_count: int, records: int
) -> list[Any]:
    """Start ``children_count`` children that each log ``records`` records; wait until each
    has exited cleanly, and return them."""
    processes = [
        context.Process(target=children.log_records, args=(handle, records, f"c{i}"))
        for i in range(children_count)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    return processes


@pytest.mark.parametrize("method", METHODS)
def test_four_children_each_method(tmp_path: Path, method: str) -> None:
    """4 children x 5,000 records arrive as exactly 20,000 whole lines, each (pid, seq) once."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context(method)
    handle = None if method == "fork" else runtime.process_handle()
    processes = run_logging_children(context, handle, 4, 5_000)
    report = runtime.stop()
    records = read_records(tmp_path / "out.jsonl")
    assert len(records) == 20_000
    assert_exactly_once(records, {p.pid: 5_000 for p in processes if p.pid})
    assert report.clean
    stats = report.queues["main"]
    assert stats["enqueued"] == stats["handled"] == 20_000
    assert stats["children_attached"] == stats["children_detached"] == 4
    assert {r["process_name"] for r in records} == {p.name for p in processes}


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_process_pool_executor_with_initializer(tmp_path: Path, method: str) -> None:
    """ProcessPoolExecutor(initializer=logboot.attach) delivers every task's records."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        2, mp_context=context, initializer=logboot.attach, initargs=(runtime.process_handle(),)
    ) as pool:
        pids = list(pool.map(children.pool_task, [(i * 1_000, 1_000) for i in range(8)]))
    runtime.stop()
    records = [r for r in read_records(tmp_path / "out.jsonl") if r.get("tag") == "pool"]
    assert sorted(r["seq"] for r in records) == list(range(8_000))
    assert {r["process"] for r in records} == set(pids)


def test_multiprocessing_pool_with_initializer(tmp_path: Path) -> None:
    """multiprocessing.Pool(initializer=logboot.attach) delivers every task's records."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context("spawn")
    with context.Pool(2, initializer=logboot.attach, initargs=(runtime.process_handle(),)) as pool:
        pool.map(children.pool_task, [(i * 500, 500) for i in range(6)])
        pool.close()
        pool.join()
    runtime.stop()
    records = [r for r in read_records(tmp_path / "out.jsonl") if r.get("tag") == "pool"]
    assert sorted(r["seq"] for r in records) == list(range(3_000))


@pytest.mark.parametrize("method", METHODS)
def test_child_exception_and_unpicklable_extra(tmp_path: Path, method: str) -> None:
    """A child's exception arrives once with type and message fields; a lock extra as its repr."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context(method)
    handle = None if method == "fork" else runtime.process_handle()
    process = context.Process(target=children.log_exception, args=(handle,))
    process.start()
    process.join(60)
    runtime.stop()
    records = read_records(tmp_path / "out.jsonl")
    failures = [r for r in records if r["message"] == "it failed"]
    assert len(failures) == 1
    assert failures[0]["exc_type"] == "ValueError"
    assert failures[0]["exc_message"] == "bad input 42"
    assert failures[0]["exc_traceback"].count("Traceback (most recent call last)") == 1
    locks = [r for r in records if r.get("tag") == "lock"]
    assert len(locks) == 1
    assert locks[0]["lock"].startswith("<unlocked _thread.lock object")


def test_forked_child_of_a_thread_queue_loses_nothing(tmp_path: Path) -> None:
    """A forked child of a process with only a thread queue writes its records itself."""
    runtime = logboot.setup_logging(profile(tmp_path, kind="thread"))
    logging.getLogger("app.parent").info("before fork", extra={"seq": 0, "tag": "parent"})
    context = multiprocessing.get_context("fork")
    process = context.Process(target=children.log_records, args=(None, 2_000, "forked"))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    logging.getLogger("app.parent").info("after fork", extra={"seq": 1, "tag": "parent"})
    runtime.stop()
    records = read_records(tmp_path / "out.jsonl")
    forked = [r for r in records if r.get("tag") == "forked"]
    assert sorted(r["seq"] for r in forked) == list(range(2_000))
    assert {r["process"] for r in forked} == {process.pid}
    assert [r["seq"] for r in records if r.get("tag") == "parent"] == [0, 1]


def test_child_ending_with_os_exit_loses_nothing(tmp_path: Path) -> None:
    """A child that logs and ends with os._exit (no atexit) has every record delivered."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=children.log_then_exit_hard, args=(runtime.process_handle(), 3_000))
    process.start()
    process.join(60)
    runtime.stop()
    records = read_records(tmp_path / "out.jsonl")
    assert sorted(r["seq"] for r in records if r.get("tag") == "hard-exit") == list(range(3_000))


def contiguous_prefix(records: list[dict[str, Any]], tag: str) -> int:
    """How many records of ``tag`` arrived; asserts they are exactly seq 0..n-1."""
    seqs = [r["seq"] for r in records if r.get("tag") == tag]
    assert seqs == list(range(len(seqs)))
    return len(seqs)


def test_children_killed_mid_stream_never_hang_the_parent(tmp_path: Path) -> None:
    """Two spawn children SIGKILLed mid-stream: stop() returns fast; what they sent is whole."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context("spawn")
    handle = runtime.process_handle()
    events = [context.Event() for _ in range(2)]
    processes = [
        context.Process(target=children.log_forever, args=(handle, events[i], f"victim{i}")) for i in range(2)
    ]
    for process in processes:
        process.start()
    for event in events:
        assert event.wait(60)
    for process in processes:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(10)
    for seq in range(500):
        logging.getLogger("app.parent").info("parent goes on %d", seq, extra={"seq": seq, "tag": "parent"})
    started = time.monotonic()
    report = runtime.stop(timeout=10)
    assert time.monotonic() - started < 5
    assert report.clean
    records = read_records(tmp_path / "out.jsonl")
    for i in range(2):
        assert contiguous_prefix(records, f"victim{i}") >= 1000
    assert contiguous_prefix(records, "parent") == 500
    stats = report.queues["main"]
    assert stats["children_attached"] == stats["children_detached"] == 2
    assert stats["enqueued"] == stats["handled"] == len(records)


def test_a_stopped_child_does_not_block_its_siblings(tmp_path: Path) -> None:
    """A child frozen with SIGSTOP mid-stream holds no lock its sibling needs."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context("spawn")
    handle = runtime.process_handle()
    started = context.Event()
    frozen = context.Process(target=children.log_forever, args=(handle, started, "frozen"))
    frozen.start()
    assert started.wait(60)
    assert frozen.pid is not None
    os.kill(frozen.pid, signal.SIGSTOP)
    try:
        sibling = context.Process(target=children.log_records, args=(handle, 3_000, "sibling"))
        sibling.start()
        sibling.join(60)
        assert sibling.exitcode == 0
        assert runtime.flush(10)
        records = read_records(tmp_path / "out.jsonl")
        assert contiguous_prefix(records, "sibling") == 3_000
    finally:
        os.kill(frozen.pid, signal.SIGKILL)
        frozen.join(10)
    runtime.stop(timeout=10)


def test_broken_process_pool_while_parent_logs(tmp_path: Path) -> None:
    """A pool worker killed mid-task (BrokenProcessPool) never stops the parent's logging."""
    runtime = logboot.setup_logging(profile(tmp_path))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        2, mp_context=context, initializer=logboot.attach, initargs=(runtime.process_handle(),)
    ) as pool:
        assert pool.submit(children.pool_task, (0, 200)).result(60)
        with pytest.raises(BrokenProcessPool):
            pool.submit(children.pool_worker_suicide, 0).result(60)
    for seq in range(1_000):
        logging.getLogger("app.parent").info("still here %d", seq, extra={"seq": seq, "tag": "parent"})
    started = time.monotonic()
    report = runtime.stop(timeout=10)
    assert time.monotonic() - started < 5
    records = read_records(tmp_path / "out.jsonl")
    assert contiguous_prefix(records, "parent") == 1_000
    assert sorted(r["seq"] for r in records if r.get("tag") == "pool") == list(range(200))
    assert report.queues["main"]["enqueued"] == report.queues["main"]["handled"]


def test_process_handle_is_small_and_attach_is_idempotent(tmp_path: Path) -> None:
    """The handle pickles small; attaching the runtime's own handle again changes nothing."""
    import pickle

    runtime = logboot.setup_logging(profile(tmp_path))
    handle = runtime.process_handle()
    assert len(pickle.dumps(handle)) < 8_000
    assert logboot.attach(handle) is runtime
    runtime.stop()


def test_spawn_children_of_a_runtime_started_from_the_profile_cache(tmp_path: Path) -> None:
    """The handle carries the cached plain profile: spawn children build from it and lose nothing."""
    from logboot.profile.plain import PlainProfile

    path = profile(tmp_path)
    logboot.setup_logging(path).stop()  # validated once, and kept
    runtime = logboot.setup_logging(path)
    assert isinstance(runtime.topology.profile, PlainProfile)
    context = multiprocessing.get_context("spawn")
    processes = run_logging_children(context, runtime.process_handle(), 2, 2_000)
    report = runtime.stop()
    assert report.clean
    assert_exactly_once(read_records(tmp_path / "out.jsonl"), {p.pid: 2_000 for p in processes if p.pid})
