"""Thread queues: each overflow policy, exact counters, and the flush barrier."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator

import pytest
from conftest import GatedSink, wait_until
from hypothesis import given, settings
from hypothesis import strategies as st

from logboot.runtime.listener import Listener, ListenerSink
from logboot.runtime.queues import ThreadQueue


def make_record(message: str) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, message, None, None)


def counters(queue: ThreadQueue) -> tuple[int, int, int, int]:
    stats = queue.stats()
    return stats["enqueued"], stats["handled"], stats["dropped"], stats["size"]


def test_drop_newest_rejects_the_incoming_record() -> None:
    """drop_newest keeps the queued records and refuses the new ones, counting each."""
    queue = ThreadQueue("q", 3, "drop_newest")
    assert [queue.put(make_record(str(i))) for i in range(5)] == [True, True, True, False, False]
    assert [r.msg for r in queue.take(10)] == ["0", "1", "2"]
    queue.done(3)
    assert counters(queue) == (5, 3, 2, 0)
    assert queue.stats()["peak"] == 3


def test_drop_oldest_evicts_the_oldest_record() -> None:
    """drop_oldest accepts the new record and evicts the oldest queued one, counting it."""
    queue = ThreadQueue("q", 3, "drop_oldest")
    assert all(queue.put(make_record(str(i))) for i in range(5))
    assert [r.msg for r in queue.take(10)] == ["2", "3", "4"]
    queue.done(3)
    assert counters(queue) == (5, 3, 2, 0)


def test_unbounded_queue_never_drops() -> None:
    """max_size 0 accepts every record, whatever the policy."""
    queue = ThreadQueue("q", 0, "drop_newest")
    assert all(queue.put(make_record(str(i))) for i in range(10_000))
    assert len(queue.take(20_000)) == 10_000
    queue.done(10_000)
    assert counters(queue) == (10_000, 10_000, 0, 0)


def test_block_waits_for_room_and_loses_nothing() -> None:
    """block makes a producer wait while the queue is full; every record arrives in order."""
    queue = ThreadQueue("q", 2, "block")
    results: list[bool] = []
    producer = threading.Thread(
        target=lambda: results.extend(queue.put(make_record(str(i))) for i in range(10))
    )
    producer.start()
    wait_until(lambda: queue._blocked == 1)  # full, and the producer is waiting
    assert queue.size() == 2
    taken: list[str] = []
    while len(taken) < 10:
        batch = queue.take(1)
        taken.extend(r.msg for r in batch)
        queue.done(len(batch))
    producer.join(5)
    assert results == [True] * 10
    assert taken == [str(i) for i in range(10)]
    assert counters(queue) == (10, 10, 0, 0)
    assert queue.stats()["peak"] == 2


def test_block_timeout_drops_after_the_timeout() -> None:
    """block with block_timeout waits that long for room, then drops and counts the record."""
    queue = ThreadQueue("q", 1, "block", block_timeout=0.05)
    assert queue.put(make_record("kept"))
    started = time.monotonic()
    assert not queue.put(make_record("dropped"))
    waited = time.monotonic() - started
    assert 0.05 <= waited < 2.0
    assert counters(queue) == (2, 0, 1, 1)


def test_block_timeout_succeeds_when_room_appears_in_time() -> None:
    """A producer blocked within its block_timeout gets in as soon as the listener makes room."""
    queue = ThreadQueue("q", 1, "block", block_timeout=30)
    assert queue.put(make_record("first"))
    results: list[bool] = []
    producer = threading.Thread(target=lambda: results.append(queue.put(make_record("second"))))
    producer.start()
    wait_until(lambda: queue._blocked == 1)
    assert [r.msg for r in queue.take(1)] == ["first"]
    queue.done(1)
    producer.join(5)
    assert results == [True]
    assert [r.msg for r in queue.take(1)] == ["second"]


def test_close_refuses_records_and_releases_blocked_producers() -> None:
    """Closing counts later records as dropped and frees producers waiting for room."""
    queue = ThreadQueue("q", 1, "block")
    assert queue.put(make_record("queued"))
    results: list[bool] = []
    producer = threading.Thread(target=lambda: results.append(queue.put(make_record("waiting"))))
    producer.start()
    wait_until(lambda: queue._blocked == 1)
    queue.close()
    producer.join(5)
    assert results == [False]
    assert not queue.put(make_record("late"))
    assert queue.closed
    assert counters(queue) == (3, 0, 2, 1)
    assert queue.abandon() == 1
    assert counters(queue) == (3, 0, 3, 0)


def test_replaced_queue_hands_late_records_to_its_successor() -> None:
    """Once closed, a queue with a successor passes on new and blocked records instead of dropping."""
    old, new = ThreadQueue("old", 1, "block"), ThreadQueue("new", 0, "block")
    old.successor = new
    assert old.put(make_record("queued"))
    results: list[bool] = []
    producer = threading.Thread(target=lambda: results.append(old.put(make_record("was waiting"))))
    producer.start()
    wait_until(lambda: old._blocked == 1)
    old.close()
    producer.join(5)
    assert old.put(make_record("late"))
    assert results == [True]
    assert [r.msg for r in new.take(10)] == ["was waiting", "late"]
    assert counters(old) == (1, 0, 0, 1)
    assert counters(new) == (2, 0, 0, 0)


def test_listener_thread_never_waits_on_its_own_queue() -> None:
    """A record the listener itself logs into its full block queue is dropped, not deadlocked."""
    queue = ThreadQueue("q", 1, "block")
    queue.listener_thread = threading.current_thread()
    assert queue.put(make_record("a"))
    assert not queue.put(make_record("b"))
    assert counters(queue) == (2, 0, 1, 1)


@settings(max_examples=300, deadline=None)
@given(
    policy=st.sampled_from(["block", "drop_newest", "drop_oldest"]),
    max_size=st.integers(min_value=0, max_value=5),
    operations=st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=4)), max_size=80),
)
def test_accounting_holds_for_any_sequence(policy: str, max_size: int, operations: list[int | None]) -> None:
    """For any puts and takes and any policy, handled + dropped == enqueued and size <= max_size."""
    queue = ThreadQueue("q", max_size, policy, block_timeout=0.0 if policy == "block" else None)  # type: ignore[arg-type]
    model: deque[str] = deque()
    puts = 0
    for step, operation in enumerate(operations):
        if operation is None:  # a put
            puts += 1
            full = bool(max_size) and len(model) >= max_size
            expected = not (full and policy != "drop_oldest")
            if full and policy == "drop_oldest":
                model.popleft()
            if expected:
                model.append(str(step))
            assert queue.put(make_record(str(step))) is expected
        else:  # a take of up to `operation` records
            batch = [r.msg for r in queue.take(operation)]
            assert batch == [model.popleft() for _ in range(min(operation, len(model)))]
            queue.done(len(batch))
        assert queue.size() == len(model)
        assert not max_size or queue.size() <= max_size
        stats = queue.stats()
        assert stats["enqueued"] == stats["handled"] + stats["dropped"] + stats["size"]
    queue.close()
    queue.abandon()
    stats = queue.stats()
    assert stats["enqueued"] == puts
    assert stats["enqueued"] == stats["handled"] + stats["dropped"]
    assert not max_size or stats["peak"] <= max_size


@settings(max_examples=200, deadline=None)
@given(
    policy=st.sampled_from(["block", "drop_newest", "drop_oldest"]),
    max_size=st.integers(min_value=0, max_value=6),
    shed=st.booleans(),
    operations=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=1, max_value=5), st.booleans()), max_size=40
    ),
)
def test_put_many_is_put_one_by_one(
    policy: str, max_size: int, shed: bool, operations: list[tuple[bool, int, bool]]
) -> None:
    """put_many (a process queue's receiver) leaves the queue and its counters as the same
    records put one by one would: order, drops, evictions, shedding."""
    settings_ = {
        "block_timeout": 0.0 if policy == "block" else None,
        "shed_below": logging.WARNING if shed else None,
    }
    many = ThreadQueue("many", max_size, policy, **settings_)  # type: ignore[arg-type]
    each = ThreadQueue("each", max_size, policy, **settings_)  # type: ignore[arg-type]
    made = 0
    for is_put, count, high in operations:
        if is_put:
            level = logging.ERROR if high else logging.INFO
            records = [
                logging.LogRecord("t", level, __file__, 1, str(made + i), None, None) for i in range(count)
            ]
            made += count
            many.put_many(records)
            for record in records:
                each.put(record)
        else:
            taken = [r.msg for r in many.take(count)]
            assert taken == [r.msg for r in each.take(count)]
            many.done(len(taken))
            each.done(len(taken))
        assert [r.msg for r in many._items] == [r.msg for r in each._items]
        assert many.stats() == each.stats()


def test_put_many_of_nothing_changes_nothing_and_a_byte_bound_weighs_each() -> None:
    """put_many([]) puts nothing; on a queue with a byte bound each record is weighed as
    put weighs it (the heavy one counted in the bound)."""
    queue = ThreadQueue("bytes", 10, "block", max_bytes=1 << 20)
    queue.put_many([])
    assert counters(queue) == (0, 0, 0, 0)
    heavy = make_record("x" * 5000)
    queue.put_many([make_record("light"), heavy])
    assert queue.heavy_bytes == 5000
    assert [r.msg for r in queue.take(10)] == ["light", "x" * 5000]


@pytest.fixture
def gated() -> Iterator[tuple[ThreadQueue, GatedSink, Listener]]:
    queue = ThreadQueue("q", 0, "block")
    sink = GatedSink()
    listener = Listener("q", queue, [ListenerSink("gated", sink)])
    listener.start()
    yield queue, sink, listener
    sink.gate.set()
    queue.close()
    assert listener.stop(time.monotonic() + 5)


def test_flush_barrier_waits_for_records_enqueued_before_it(
    gated: tuple[ThreadQueue, GatedSink, Listener],
) -> None:
    """The barrier is reached only once every record accepted before it is delivered."""
    queue, sink, _ = gated
    for i in range(5):
        queue.put(make_record(str(i)))
    position = queue.barrier()
    assert position == 5
    assert sink.entered.wait(5)
    assert not queue.wait_for(position, time.monotonic() + 0.05)
    sink.gate.set()
    assert queue.wait_for(position, time.monotonic() + 5)
    assert sink.lines == ["0", "1", "2", "3", "4"]
    assert queue.reached(position)


def test_flush_barrier_counts_evicted_records_as_settled() -> None:
    """Records evicted by drop_oldest settle the barrier as surely as delivered ones."""
    queue = ThreadQueue("q", 2, "drop_oldest")
    for i in range(6):
        queue.put(make_record(str(i)))
    position = queue.barrier()
    assert not queue.reached(position)
    queue.done(len(queue.take(10)))
    assert queue.wait_for(position, time.monotonic() + 1)
    assert counters(queue) == (6, 2, 4, 0)


def test_records_past_the_high_water_mark_are_all_kept_in_order() -> None:
    """Past the high-water mark (512) a producer yields the GIL now and then; nothing else changes."""
    queue = ThreadQueue("deep", max_size=5_000)
    records = [logging.LogRecord("deep", logging.INFO, __file__, 1, f"r{i}", None, None) for i in range(4000)]
    assert all(queue.put(record) for record in records)
    assert list(queue.take(10_000)) == records
    assert (queue.enqueued, queue.peak, queue.dropped) == (4_000, 4_000, 0)
