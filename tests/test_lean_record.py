"""``LeanRecord`` makes the record ``LogRecord`` makes, and is logging's factory only while
a runtime that installed it runs (and only over logging's own)."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import logboot
from logboot.core import lean_record
from logboot.core.lean_record import LeanRecord
from logboot.profile.collect import SWITCH_SETTINGS

TIMES = ("created", "msecs", "relativeCreated")
SWITCHES = tuple(s for s in SWITCH_SETTINGS.values() if s != "_srcfile" and hasattr(logging, s))


@pytest.fixture(autouse=True)
def _logging_as_shipped() -> Iterator[None]:
    saved = {setting: getattr(logging, setting) for setting in SWITCHES}
    factory = logging.getLogRecordFactory()
    yield
    for setting, value in saved.items():
        setattr(logging, setting, value)
    logging.setLogRecordFactory(factory)


def both(*arguments: Any) -> tuple[dict[str, Any], dict[str, Any], float, float]:
    before = time.time()
    stock = logging.LogRecord(*arguments).__dict__
    lean = LeanRecord(*arguments).__dict__
    return stock, lean, before, time.time()


def assert_alike(stock: dict[str, Any], lean: dict[str, Any], before: float, after: float) -> None:
    assert list(lean) == list(stock)  # the same attributes, in the same order
    assert {k: v for k, v in lean.items() if k not in TIMES} == {
        k: v for k, v in stock.items() if k not in TIMES
    }
    # The clock's fields, derived from one reading as LogRecord derives them.
    assert before - 0.001 <= lean["created"] <= after + 0.001
    assert lean["msecs"] == float(int(lean["msecs"])) and 0 <= lean["msecs"] < 1000
    # Whole milliseconds of the reading; `created` is that reading as a float, whose last
    # bit (0.24 µs at today's epoch) may carry its fraction over the next millisecond.
    assert abs(lean["msecs"] - (lean["created"] - int(lean["created"])) * 1000) < 1.001
    started = logging._startTime / 1e9 if sys.version_info >= (3, 13) else logging._startTime
    assert lean["relativeCreated"] == pytest.approx((lean["created"] - started) * 1000, abs=0.01)


names = st.text(max_size=20)
levels = st.one_of(st.sampled_from([0, 5, 10, 20, 25, 30, 40, 50, 99]), st.integers(-5, 200))
paths = st.one_of(
    st.sampled_from(["(unknown file)", __file__, "", "/", "a.b.c", "/x/.hidden", "/x/y.tar.gz", "C:\\y.py"]),
    st.text(max_size=30),
)
arguments = st.one_of(
    st.just(()),
    st.tuples(st.integers()),
    st.tuples(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
    st.tuples(st.text(max_size=5), st.integers()),
    st.just(None),
)


@settings(max_examples=300, deadline=None)
@given(
    name=names,
    level=levels,
    path=paths,
    line=st.integers(0, 10**6),
    args=arguments,
    switches=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_a_lean_record_holds_what_a_log_record_holds(
    name: str, level: int, path: str, line: int, args: Any, switches: list[bool]
) -> None:
    for setting, on in zip(SWITCHES, switches, strict=False):
        setattr(logging, setting, on)
    stack = "Stack (most recent call last):\n x"
    assert_alike(*both(name, level, path, line, "m %s", args, None, "f", stack))


def test_odd_pathnames_and_exceptions_are_made_as_log_record_makes_them() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    for pathname in (None, 7, b"/x/y.py", Path("/x/y.py")):
        assert_alike(*both("n", logging.ERROR, pathname, 1, "m", (), exc_info, None, None))
    logging.addLevelName(33, "NOTICE")
    assert_alike(*both("n", 33, "/x/y.py", 1, "m", (), None))
    assert LeanRecord("n", 34, "/x/y.py", 1, "m", (), None).levelname == "Level 34"


def test_a_thread_and_a_task_are_named_as_log_record_names_them() -> None:
    got: list[tuple[dict[str, Any], dict[str, Any], float, float]] = []
    worker = threading.Thread(target=lambda: got.append(both("n", 20, "/p.py", 1, "m", (), None)), name="w-7")
    worker.start()
    worker.join(10)
    assert_alike(*got[0])
    assert got[0][1]["threadName"] == "w-7"

    async def in_a_task() -> None:
        got.append(both("n", 20, "/p.py", 1, "m", (), None))

    asyncio.run(in_a_task())
    assert_alike(*got[1])
    if sys.version_info >= (3, 12):
        assert got[1][1]["taskName"] is not None


def test_a_lean_record_pickles_and_copies_as_a_log_record() -> None:
    record = LeanRecord("n", 20, "/x/y.py", 3, "m %s", ("a",), None)
    record.extra_field = {"k": [1, 2]}
    pickled = pickle.loads(pickle.dumps(record))  # noqa: S301 - our own bytes
    for twin in (pickled, copy.copy(record), copy.deepcopy(record)):
        assert type(twin) is logging.LogRecord
        assert twin.__dict__ == record.__dict__
        assert twin.getMessage() == "m a"


def test_matches_stock_on_this_interpreter_with_every_switch_setting() -> None:
    for mask in range(2 ** len(SWITCHES)):
        for bit, setting in enumerate(SWITCHES):
            setattr(logging, setting, bool(mask >> bit & 1))
        assert lean_record.matches_stock()


def runtime_profile(path: Path, collect: str = "all") -> Any:
    return logboot.Profile.model_validate(
        {
            "version": 1,
            "collect": collect,
            "sinks": {"out": {"type": "file", "path": str(path)}},
            "queues": {"main": {}},
            "listeners": {"main": {"queue": "main", "sinks": ["out"]}},
            "root": {"level": "INFO", "queue": "main"},
        }
    )


def logged_class(runtime: logboot.Runtime) -> type:
    seen: list[type] = []

    class Spy(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(type(record))
            return True

    log = logging.getLogger("lean.spy")
    spy = Spy()
    log.addFilter(spy)
    try:
        log.info("one")
    finally:
        log.removeFilter(spy)
    runtime.flush(10)
    return seen[0]


@pytest.mark.parametrize("collect", ["all", "auto"])
def test_a_runtime_makes_lean_records_while_it_runs_and_puts_logging_s_factory_back(
    tmp_path: Path, collect: str
) -> None:
    assert logging.getLogRecordFactory() is logging.LogRecord
    runtime = logboot.setup_logging(runtime_profile(tmp_path / "a.log", collect))
    try:
        assert logging.getLogRecordFactory() is LeanRecord
        assert logged_class(runtime) is LeanRecord
        # A second setup_logging hands the factory over with the loggers.
        runtime = logboot.setup_logging(runtime_profile(tmp_path / "b.log"))
        assert logging.getLogRecordFactory() is LeanRecord
    finally:
        runtime.stop()
    assert logging.getLogRecordFactory() is logging.LogRecord
    assert (tmp_path / "a.log").read_text().endswith("lean.spy: one\n")


def test_a_factory_set_by_another_library_is_never_replaced(tmp_path: Path) -> None:
    def tagging(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = logging.LogRecord(*args, **kwargs)
        record.tag = "theirs"
        return record

    logging.setLogRecordFactory(tagging)
    with logboot.setup_logging(runtime_profile(tmp_path / "a.log")):
        assert logging.getLogRecordFactory() is tagging
    assert logging.getLogRecordFactory() is tagging


def test_a_factory_set_while_running_is_left_in_place_at_stop(tmp_path: Path) -> None:
    wrapped: Callable[..., logging.LogRecord] | None = None
    with logboot.setup_logging(runtime_profile(tmp_path / "a.log")):
        wrapped = logging.getLogRecordFactory()
        assert wrapped is LeanRecord

        def wrapping(*args: Any, **kwargs: Any) -> logging.LogRecord:
            assert wrapped is not None
            return wrapped(*args, **kwargs)

        logging.setLogRecordFactory(wrapping)
    assert logging.getLogRecordFactory() is wrapping
    record = logging.getLogger("lean.x").makeRecord("lean.x", 20, "/p.py", 1, "m", (), None)
    assert type(record) is LeanRecord  # still a working factory on its own


def test_the_call_parts_benchmark_runs_and_counts_every_record(capsys: pytest.CaptureFixture[str]) -> None:
    """benchmarks/call_parts.py times each part and takes back every record it put (its
    figures are docs/benchmarks.md's, never asserted here)."""
    from benchmarks import call_parts

    assert call_parts.main(["--records", "1000", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "LeanRecord()" in out and "(3,000 records put and taken back, every one counted)" in out
    assert logging.getLogRecordFactory() is logging.LogRecord
