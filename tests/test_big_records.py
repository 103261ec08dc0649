"""Big records: batches bounded by bytes, one escape check a batch, every byte read back exact."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import logboot
from logboot.formatters.escaping import ESCAPES, LONG_TEXT, any_needs_escape, escape, needs_escape
from logboot.formatters.text import TextFormatter
from logboot.runtime.listener import Listener, ListenerSink, message_bytes, split_batch
from logboot.runtime.queues import HEAVY_MESSAGE, ThreadQueue, heavy_weight
from logboot.sinks.base import BatchSink
from logboot.sinks.files import LINE_ALONE, WRITE_CHUNK, FileSink, chunked, encode_text, encoded_parts

KIB = 1024


def make_record(message: str) -> logging.LogRecord:
    return logging.LogRecord("big", logging.INFO, __file__, 1, message, None, None)


def big_message(seq: int, size: int, dirt: str = "") -> str:
    """A message of ``size`` characters that names ``seq``, with ``dirt`` in its middle."""
    head = f"record {seq:06d} "
    body = "".join(chr(0x61 + (seq + i) % 26) for i in range(size - len(head) - len(dirt)))
    middle = len(body) // 2
    return head + body[:middle] + dirt + body[middle:]


class BatchRecorder(BatchSink):
    """Keeps every line, and the message bytes of every batch it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.batches: list[list[int]] = []

    def write_records(self, records: list[logging.LogRecord], lines: list[str]) -> int:
        self.batches.append([len(record.getMessage()) for record in records])
        self.lines.extend(lines)
        return len(lines)


def test_big_records_reach_the_file_whole_and_exact(
    write_profile: Callable[..., Path], tmp_path: Path
) -> None:
    """16 KiB, 64 KiB and 1 MiB messages (budget 256 KiB), some to escape, are read back byte for byte."""
    log = tmp_path / "big.log"
    profile = write_profile(
        f"""\
        version: 1
        formatters:
          bare: {{type: text, format: "{{message}}"}}
        sinks:
          out: {{type: file, path: "{log}", formatter: bare}}
        queues:
          main: {{max_size: 100}}
        listeners:
          main: {{queue: main, sinks: [out], batch_bytes: 256KiB}}
        root: {{level: INFO, queue: main}}
        """
    )
    dirt = ["", "\n", "\r\nforged line", "\x1b[31m", "\x00\x7f", "\x85\u2028", "é\tü"]
    sizes = [16 * KIB, 64 * KIB, 1024 * KIB, 300]
    messages = [big_message(seq, sizes[seq % len(sizes)], dirt[seq % len(dirt)]) for seq in range(60)]
    with logboot.setup_logging(profile) as runtime:
        log_ = logging.getLogger("app")
        for message in messages:
            log_.info("%s", message)
        assert runtime.flush(30)
        stats = runtime.stats()["sinks"]["out"]
    assert (stats["records"], stats["errors"]) == (len(messages), 0)
    data = log.read_bytes()
    assert data == "".join(escape(message) + "\n" for message in messages).encode("utf-8")
    assert len(data.splitlines()) == len(messages)  # no message forged a line of its own


def test_the_byte_budget_bounds_every_batch() -> None:
    """A batch holds at most `batch_bytes` of big messages (4 KiB or longer), or one bigger
    than that alone; small ones ride along uncounted."""
    recorder = BatchRecorder()
    queue = ThreadQueue("main", 0, "block")
    listener = Listener("main", queue, [ListenerSink("rec", recorder)], batch_size=1024, batch_bytes=64 * KIB)
    sizes = [100, 16 * KIB, 100, 100, 200 * KIB, 5 * KIB, 64 * KIB, 1, 64 * KIB + 1, 30 * KIB]
    expected = [big_message(seq, sizes[seq % len(sizes)]) for seq in range(300)]
    for message in expected:  # all queued before the listener starts: it takes big batches
        assert queue.put(make_record(message))
    listener.start()
    assert queue.wait_for(queue.barrier(), time.monotonic() + 10)
    queue.close()
    assert listener.stop(time.monotonic() + 10)
    assert recorder.lines == expected  # every record once, in order
    assert sum(map(len, recorder.batches)) == len(expected)
    for batch in recorder.batches:
        heavy = sum(size for size in batch if size >= HEAVY_MESSAGE)
        assert len(batch) == 1 or heavy <= 64 * KIB, batch
    assert any(len(batch) > 1 for batch in recorder.batches)  # small records still share a batch


def test_small_records_take_one_batch() -> None:
    """Records under 4 KiB weigh nothing: however many bytes, the batch is delivered as taken."""
    records = [make_record("x" * (HEAVY_MESSAGE - 1)) for _ in range(1000)]
    size = message_bytes(records)
    assert size == 0
    assert list(split_batch(records, size, 64 * KIB)) == [records]


def test_split_batch_keeps_order_and_puts_an_oversized_record_alone() -> None:
    """Parts keep the records' order, each within the budget but for one oversized record."""
    k = HEAVY_MESSAGE
    records = [make_record("a" * n) for n in (k, k, 5 * k, 10, k, k, k, 10)]
    parts = list(split_batch(records, message_bytes(records), 2 * k + 5))
    assert [[len(r.msg) for r in part] for part in parts] == [[k, k], [5 * k], [10, k, k], [k, 10]]


def test_message_bytes_counts_a_record_whose_message_is_not_text_as_nothing() -> None:
    """A record whose msg is not a str (a dict, an exception) weighs nothing in the budget."""
    records = [make_record("a" * HEAVY_MESSAGE), logging.LogRecord("x", 20, "", 1, {"k": 1}, None, None)]
    records.append(logging.LogRecord("x", 20, "", 1, 12, None, None))
    assert message_bytes(records) == HEAVY_MESSAGE


controls = st.sampled_from(sorted(map(chr, ESCAPES)))
texts = st.lists(
    st.one_of(st.text(max_size=40), controls, st.just("a" * 300), st.just("é" * 300)), max_size=12
).map("".join)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_needs_escape_is_true_exactly_when_escaping_changes_the_text(text: str) -> None:
    """needs_escape tells exactly whether translating with ESCAPES changes a text, short or long."""
    assert needs_escape(text) == (text.translate(ESCAPES) != text)
    assert escape(text) == text.translate(ESCAPES)


def test_a_long_message_with_a_control_character_at_either_end_is_escaped() -> None:
    """Past LONG_TEXT characters the check still finds a control character at the very start or end."""
    for dirt in ("\n", "\x1b", "\x9f", "\u2029"):
        for text in (dirt + "a" * LONG_TEXT * 4, "a" * LONG_TEXT * 4 + dirt, "é" * LONG_TEXT + dirt):
            assert escape(text) == text.translate(ESCAPES) != text


@given(st.lists(st.one_of(texts, st.just("b" * 20_000)), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_a_batch_lays_out_what_format_lays_out_each_record_as(messages: list[str]) -> None:
    """The compiled format_batch (one check of the joined messages) writes format's lines."""
    formatter = TextFormatter("{levelname} {name}: {message}")
    records = [make_record(message) for message in messages]
    assert formatter.format_batch(records) == [formatter.format(record) for record in records]
    assert formatter.format_batch(iter(records)) == [formatter.format(record) for record in records]


def test_a_block_queue_holds_at_most_max_bytes_of_heavy_messages() -> None:
    """A heavy record that would pass `max_bytes` waits (here: past block_timeout, dropped and
    counted); once the listener reports them written, the bytes are free again."""
    queue = ThreadQueue("main", 0, "block", block_timeout=0.01, max_bytes=64 * KIB)
    for seq in range(4):
        assert queue.put(make_record(big_message(seq, 16 * KIB)))
    assert queue.heavy_bytes == 64 * KIB
    assert not queue.put(make_record(big_message(4, 16 * KIB)))
    assert (queue.rejected, queue.dropped, queue.waited_for_bytes) == (1, 1, 1)
    batch = queue.take(10)
    queue.done(len(batch), sum(len(record.msg) for record in batch))
    assert queue.heavy_bytes == 0
    assert queue.put(make_record(big_message(5, 16 * KIB)))
    assert queue.enqueued == queue.handled + queue.dropped + queue.size()


def test_a_message_bigger_than_max_bytes_goes_alone() -> None:
    """A message heavier than the whole bound is taken when no other heavy one is held."""
    queue = ThreadQueue("main", 0, "block", block_timeout=0.01, max_bytes=16 * KIB)
    assert queue.put(make_record(big_message(0, 100 * KIB)))
    assert not queue.put(make_record(big_message(1, 5 * KIB)))  # the big one still holds the bytes
    queue.done(len(queue.take(10)), 100 * KIB)
    assert queue.put(make_record(big_message(2, 5 * KIB)))


def test_light_messages_are_not_weighed() -> None:
    """Messages under 4 KiB are bounded by max_size alone: a 4 KiB byte bound never holds them back."""
    queue = ThreadQueue("main", 0, "block", block_timeout=0.01, max_bytes=4 * KIB)
    for seq in range(100):
        assert queue.put(make_record(big_message(seq, 4 * KIB - 1)))
    assert (queue.heavy_bytes, queue.size(), queue.rejected) == (0, 100, 0)


@settings(max_examples=60, deadline=None)
@given(size=st.sampled_from([0, 1, HEAVY_MESSAGE - 1, HEAVY_MESSAGE, HEAVY_MESSAGE + 1, 3 * HEAVY_MESSAGE]))
def test_put_weighs_a_record_as_heavy_weight_does(size: int) -> None:
    """``put`` inlines ``heavy_weight``: the bytes it holds for a record are what the rule
    (which the listener's batch budget reads) says that record weighs, a str or not."""
    for message in ("x" * size, ["x"] * size, b"x" * size):
        queue = ThreadQueue("main", 0, "block", max_bytes=1 << 30)
        record = make_record("")
        record.msg = message
        assert queue.put(record)
        assert (
            queue.heavy_bytes
            == heavy_weight(record)
            == (size if isinstance(message, str) and size >= HEAVY_MESSAGE else 0)
        )


def test_only_a_block_queue_has_a_byte_bound() -> None:
    """drop_newest and drop_oldest queues keep their record bound only: no byte bound, nothing weighed."""
    for overflow in ("drop_newest", "drop_oldest"):
        queue = ThreadQueue("main", 10, overflow, max_bytes=16 * KIB)  # type: ignore[arg-type]
        for seq in range(5):
            assert queue.put(make_record(big_message(seq, 16 * KIB)))
        assert (queue.max_bytes, queue.heavy_bytes) == (0, 0)


def test_the_listener_frees_what_it_wrote_and_the_producer_never_passes_the_bound() -> None:
    """Through a running listener every heavy record arrives, the bytes held never pass
    max_bytes, and none are held at the end."""
    queue = ThreadQueue("main", 10_000, "block", max_bytes=64 * KIB)
    held: list[int] = []

    class Watching(BatchRecorder):
        def write_records(self, records: list[logging.LogRecord], lines: list[str]) -> int:
            held.append(queue.heavy_bytes)
            return super().write_records(records, lines)

    recorder = Watching()
    listener = Listener("main", queue, [ListenerSink("rec", recorder)], batch_bytes=32 * KIB)
    listener.start()
    expected = [big_message(seq, (16 if seq % 3 else 1) * KIB) for seq in range(300)]
    for message in expected:
        assert queue.put(make_record(message))
    assert queue.wait_for(queue.barrier(), time.monotonic() + 10)
    queue.close()
    assert listener.stop(time.monotonic() + 10)
    assert recorder.lines == expected
    assert max(held) <= 64 * KIB
    assert queue.heavy_bytes == 0
    assert queue.waited_for_bytes > 0  # the producer did outrun the listener and waited


def test_any_needs_escape_finds_a_control_character_in_any_group() -> None:
    """Texts past CHECK_CHUNK are checked a group at a time, a long text alone: none is missed."""
    clean = ["c" * 1000] * 100 + ["d" * 50_000] + ["e" * 10] * 10 + ["f" * 5000, "g" * 20]
    assert not any_needs_escape(clean)
    assert not any_needs_escape(["h" * 5000, "i" * 10])  # a small batch with a long text
    assert any_needs_escape(["h" * 5000, "i\x00"])
    for index in (0, 60, 99, 100, 105, 110, 111, 112):
        dirty = list(clean)
        dirty[index] = dirty[index][:5] + "\x1b" + dirty[index][5:]
        assert any_needs_escape(dirty), index


def test_a_big_batch_is_written_in_parts_of_whole_lines(tmp_path: Path) -> None:
    """A batch of more than WRITE_CHUNK characters is written a part at a time, every line once, in order."""
    sink = FileSink(tmp_path / "app.log")
    lines = [f"line {seq} " + "z" * (seq * 997 % 40_000) for seq in range(200)]
    assert sink.write_lines(lines) == len(lines)
    sink.close()
    assert (tmp_path / "app.log").read_text(encoding="utf-8") == "".join(f"{line}\n" for line in lines)
    groups = chunked(lines, WRITE_CHUNK)
    assert [line for group in groups for line in group] == lines
    assert all(len(group) == 1 or sum(map(len, group)) <= WRITE_CHUNK for group in groups)
    assert all(len(group) == 1 for group in groups if max(map(len, group)) >= LINE_ALONE)
    # A long line's text and its newline are two parts; the parts are the batch's bytes.
    parts = encoded_parts(lines, "utf-8")
    assert b"".join(parts) == encode_text(lines, "utf-8")
    longs = [line.encode() for line in lines if len(line) >= LINE_ALONE]
    assert longs and all(parts[parts.index(part) + 1] == b"\n" for part in longs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, LINE_ALONE - 4), min_size=1, max_size=300), st.integers(1, 9))
def test_short_lines_are_grouped_by_count_within_the_size(lengths: list[int], scale: int) -> None:
    """Without a long line, ``chunked`` cuts the batch by count (no loop over the lines):
    every line once, in order, and no group over the size (newlines counted) unless it is
    one line."""
    lines = [f"{seq}" + "s" * length for seq, length in enumerate(lengths)]
    assert max(map(len, lines)) < LINE_ALONE  # the path under test (3 digits at most before)
    size = 1024 * scale
    groups = chunked(lines, size)
    assert [line for group in groups for line in group] == lines
    assert all(len(group) == 1 or sum(len(line) + 1 for line in group) <= size for group in groups)
    assert b"".join(encoded_parts(lines, "utf-8")) == encode_text(lines, "utf-8")


def test_a_batch_of_short_lines_over_the_chunk_is_written_exactly(tmp_path: Path) -> None:
    """A batch of more than WRITE_CHUNK characters of short lines (the listener's usual
    batch) is written in parts, each line once, whole, in order."""
    sink = FileSink(tmp_path / "app.log")
    lines = [f"line {seq} " + "q" * (seq * 37 % 300) for seq in range(2000)]
    assert sum(map(len, lines)) > 2 * WRITE_CHUNK
    assert len(encoded_parts(lines, "utf-8")) > 2
    assert sink.write_lines(lines) == len(lines)
    sink.close()
    assert (tmp_path / "app.log").read_text(encoding="utf-8").splitlines() == lines
