"""The Runtime: set up, swap, flush, stop, restore, and count every record exactly."""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Gate, file_profile, wait_until

import logboot
from logboot.errors import ProfileError, SetupError
from logboot.profile.reading import ProfileNotFoundError
from logboot.profile.resolve import PROFILE_ENV
from logboot.runtime.build import build_topology
from logboot.runtime.lifecycle import Runtime, active_runtime

WriteProfile = Callable[..., Path]


def lines_of(path: Path) -> list[str]:
    """Every line of a file; fails on a last line without its newline."""
    data = path.read_text(encoding="utf-8")
    assert data == "" or data.endswith("\n"), f"{path} ends in a partial line"
    return data.split("\n")[:-1]


def gate(runtime: Runtime, sink: str = "out") -> Gate:
    """Close a gate in front of ``sink`` of a running runtime."""
    held = Gate()
    runtime.topology.sinks[sink].handler.addFilter(held)
    return held


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "app.log"


@pytest.fixture
def profile(write_profile: WriteProfile, log_file: Path) -> Path:
    return write_profile(file_profile(log_file))


@pytest.fixture
def bystander() -> Iterator[logging.Handler]:
    """A handler the application had on the root logger before logboot."""
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    root.handlers = [handler]
    root.setLevel(logging.ERROR)
    yield handler


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# --- set up, stop, restore -----------------------------------------------------------------


def test_setup_installs_and_stop_restores(profile: Path, log_file: Path, bystander: logging.Handler) -> None:
    """setup_logging replaces the root's handlers and level; stop puts the originals back."""
    root = logging.getLogger()
    before = list(root.handlers)  # the bystander, and pytest's capture handlers
    assert bystander in before
    runtime = logboot.setup_logging(profile)
    assert active_runtime() is runtime
    assert runtime.running
    assert bystander not in root.handlers
    assert root.level == logging.DEBUG
    logging.getLogger("app").debug("debug %s", "one")
    report = runtime.stop()
    assert root.handlers == before
    assert root.level == logging.ERROR
    assert active_runtime() is None
    assert not runtime.running
    assert lines_of(log_file) == ["debug one"]
    assert (report.clean, report.handled, report.dropped, report.abandoned) == (True, 1, 0, 0)
    assert isinstance(bystander, logging.StreamHandler)
    assert bystander.stream.getvalue() == ""


def test_named_loggers_are_restored(write_profile: WriteProfile, log_file: Path) -> None:
    """Loggers a profile configures get back their handlers, level and propagate at stop."""
    noisy = logging.getLogger("noisy")
    own = logging.NullHandler()
    noisy.handlers = [own]
    noisy.setLevel(logging.DEBUG)
    noisy.propagate = False
    extra = """\
        loggers:
          noisy: {level: WARNING, propagate: true}
          audit: {queue: main, level: INFO}
        """
    try:
        with logboot.setup_logging(write_profile(file_profile(log_file, extra=extra))):
            assert noisy.level == logging.WARNING
            assert noisy.propagate
            assert noisy.handlers == [own]  # no queue of its own: its handlers stay
            audit = logging.getLogger("audit")
            assert not audit.propagate  # its own queue handler delivers; no duplicates
            noisy.info("hidden")
            noisy.warning("shown")
            audit.info("audited")
        assert (noisy.handlers, noisy.level, noisy.propagate) == ([own], logging.DEBUG, False)
        assert audit.handlers == []
        assert audit.level == logging.NOTSET
        assert audit.propagate
        assert lines_of(log_file) == ["shown", "audited"]
    finally:
        noisy.handlers = []
        noisy.setLevel(logging.NOTSET)
        noisy.propagate = True


def test_context_manager_stops_on_exit(profile: Path, log_file: Path) -> None:
    """The runtime is a context manager that drains and stops on exit, even on an error."""
    with pytest.raises(RuntimeError, match=r"^inside$"), logboot.setup_logging(profile) as runtime:
        logging.getLogger().info("before the error")
        raise RuntimeError("inside")
    assert not runtime.running
    assert active_runtime() is None
    assert lines_of(log_file) == ["before the error"]


def test_stop_twice_is_harmless(profile: Path) -> None:
    """A second stop returns the first report, marked already_stopped, and changes nothing."""
    runtime = logboot.setup_logging(profile)
    for i in range(10):
        logging.getLogger().info("r%d", i)
    first = runtime.stop()
    second = runtime.stop()
    assert not first.already_stopped
    assert second.already_stopped
    assert (
        (second.handled, second.dropped, second.clean)
        == (first.handled, first.dropped, True)
        == (10, 0, True)
    )
    assert repr(runtime).endswith(" stopped>")


def test_many_setups_in_one_process(profile: Path, log_file: Path) -> None:
    """Set up and stop twenty times: each cycle writes its records, and no thread is left."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    for cycle in range(20):
        runtime = logboot.setup_logging(profile)
        for i in range(50):
            logging.getLogger("cycle").info("%d-%d", cycle, i)
        assert runtime.stop().handled == 50
        assert (root.handlers, root.level) == (handlers, level)
    assert lines_of(log_file) == [f"{c}-{i}" for c in range(20) for i in range(50)]
    assert not [t for t in threading.enumerate() if t.name.startswith("logboot-listener-")]


def test_default_profile_logs_info_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """setup_logging(None) without LOGBOOT_PROFILE logs INFO and up to stderr through a queue."""
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    with logboot.setup_logging() as runtime:
        assert repr(runtime) == "<logboot.Runtime <built-in> running>"
        logging.getLogger("svc").debug("not shown")
        logging.getLogger("svc").info("started on port %d", 8080)
        assert runtime.flush()
        stats = runtime.stats()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].endswith(" INFO     svc: started on port 8080")
    assert stats["queues"]["main"]["max_size"] == 10_000
    assert set(stats["sinks"]) == {"console"}


def test_profile_from_the_environment(monkeypatch: pytest.MonkeyPatch, profile: Path, log_file: Path) -> None:
    """setup_logging(None) uses the profile named by LOGBOOT_PROFILE."""
    monkeypatch.setenv(PROFILE_ENV, str(profile))
    with logboot.setup_logging() as runtime:
        assert runtime.profile.source == str(profile)
        logging.getLogger().info("from env")
    assert lines_of(log_file) == ["from env"]


def test_missing_profile_from_the_environment_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A LOGBOOT_PROFILE that names no file raises instead of falling back silently."""
    monkeypatch.setenv(PROFILE_ENV, str(tmp_path / "gone.yaml"))
    with pytest.raises(ProfileNotFoundError, match=r"^.*gone\.yaml: no such profile$"):
        logboot.setup_logging()
    assert active_runtime() is None


def test_setup_from_a_profile_object(profile: Path, log_file: Path) -> None:
    """A Profile loaded (and validated) beforehand can be set up directly."""
    loaded = logboot.load_profile(profile)
    with logboot.setup_logging(loaded) as runtime:
        assert runtime.profile is loaded
        logging.getLogger().warning("from object")
    assert lines_of(log_file) == ["from object"]


# --- reconfiguring --------------------------------------------------------------------------


def test_reconfigure_swaps_in_the_new_and_drains_the_old(write_profile: WriteProfile, tmp_path: Path) -> None:
    """A second setup_logging is live before the old runtime drains; the old one loses nothing."""
    old_file, new_file = tmp_path / "old.log", tmp_path / "new.log"
    old = logboot.setup_logging(write_profile(file_profile(old_file), "old.yaml"))
    held = gate(old)
    log = logging.getLogger("swap")
    log.info("old 0")
    assert held.entered.wait(5)  # the listener is stuck on "old 0"
    for i in range(1, 100):
        log.info("old %d", i)
    old_queue = old.topology.queues["main"]

    def release_when_draining() -> None:
        wait_until(lambda: old_queue.closed)  # the new runtime is in; the old one drains
        log.info("during the drain")
        held.opened.set()

    releaser = threading.Thread(target=release_when_draining)
    releaser.start()
    new = logboot.setup_logging(write_profile(file_profile(new_file), "new.yaml"))
    releaser.join(5)
    log.info("after")
    assert active_runtime() is new
    assert not old.running
    new.stop()
    assert lines_of(old_file) == [f"old {i}" for i in range(100)]
    assert lines_of(new_file) == ["during the drain", "after"]
    old_stats = old.stats()["queues"]["main"]
    assert (old_stats["enqueued"], old_stats["handled"], old_stats["dropped"]) == (100, 100, 0)


def test_reconfigure_under_load_loses_no_record(write_profile: WriteProfile, tmp_path: Path) -> None:
    """Threads logging through twenty swaps: every record is in one of the files exactly once."""
    files = [tmp_path / "a.log", tmp_path / "b.log"]
    paths = [write_profile(file_profile(f, max_size=100), f"{f.stem}.yaml") for f in files]
    profiles = [logboot.load_profile(path) for path in paths]
    runtimes = [logboot.setup_logging(profiles[0])]
    done = threading.Event()
    counts: dict[int, int] = {}

    def produce(thread: int) -> None:
        log, n = logging.getLogger("load"), 0
        while not done.is_set():
            log.info("%d %d", thread, n)
            n += 1
        counts[thread] = n

    producers = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
    for producer in producers:
        producer.start()
    for swap in range(20):
        runtimes.append(logboot.setup_logging(profiles[(swap + 1) % 2]))
    done.set()
    for producer in producers:
        producer.join()
    runtimes[-1].stop()
    seen = Counter(tuple(map(int, line.split())) for f in files for line in lines_of(f))
    assert seen == Counter({(t, n): 1 for t, count in counts.items() for n in range(count)})
    assert sum(r.stats()["queues"]["main"]["dropped"] for r in runtimes) == 0


def test_reconfigure_restores_the_original_state_at_the_end(
    write_profile: WriteProfile, tmp_path: Path, bystander: logging.Handler
) -> None:
    """After several swaps, stop restores what was there before the first setup."""
    root = logging.getLogger()
    before = list(root.handlers)
    assert bystander in before
    for i in range(3):
        logboot.setup_logging(write_profile(file_profile(tmp_path / f"{i}.log"), f"{i}.yaml"))
    runtime = active_runtime()
    assert runtime is not None
    runtime.stop()
    assert root.handlers == before
    assert root.level == logging.ERROR


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param("version: 1\nqueues:\n  main: {max_size: -1, overflow: drop_new}\n", id="invalid"),
        pytest.param("version: 1\nsinks: [\n", id="not-yaml"),
    ],
)
def test_invalid_profile_leaves_the_running_one_untouched(
    write_profile: WriteProfile, profile: Path, log_file: Path, broken: str
) -> None:
    """A profile that fails validation raises and changes nothing; the old runtime keeps writing."""
    runtime = logboot.setup_logging(profile)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logging.getLogger().info("before")
    with pytest.raises(ProfileError, match=r"(?s)^.*broken\.yaml:\d+:\d+: .*$"):
        logboot.setup_logging(write_profile(broken, "broken.yaml"))
    assert active_runtime() is runtime
    assert runtime.running
    assert (root.handlers, root.level) == (handlers, level)
    logging.getLogger().info("after")
    assert runtime.flush()
    assert lines_of(log_file) == ["before", "after"]


def test_unopenable_sink_leaves_the_running_one_untouched(
    write_profile: WriteProfile, profile: Path, log_file: Path, tmp_path: Path
) -> None:
    """A valid profile whose file cannot be opened raises SetupError and leaves no trace."""
    runtime = logboot.setup_logging(profile)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    broken = f"""\
        version: 1
        sinks:
          fine: {{type: file, path: "{tmp_path / "fine.log"}"}}
          bad: {{type: file, path: "{blocker / "app.log"}"}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [fine, bad]}}
        root: {{level: INFO}}
        """
    logging.getLogger().info("before")
    fds = open_fds()
    threads = threading.active_count()
    with pytest.raises(
        SetupError, match=r"^.*cannot create the folder of log file .*not-a-folder/app\.log.*$"
    ):
        logboot.setup_logging(write_profile(broken, "broken.yaml"))
    assert open_fds() == fds  # the file opened for `fine` was closed again
    assert threading.active_count() == threads
    assert active_runtime() is runtime
    logging.getLogger().info("after")
    runtime.stop()
    assert lines_of(log_file) == ["before", "after"]


# --- stats and accounting -------------------------------------------------------------------


def test_stats_shape(profile: Path) -> None:
    """stats() is plain data: queues, sinks and listeners with their counters."""
    with logboot.setup_logging(profile) as runtime:
        for i in range(7):
            logging.getLogger().info("r%d", i)
        assert runtime.flush()
        stats = runtime.stats()
    assert set(stats) == {"queues", "sinks", "listeners"}
    queue = stats["queues"]["main"]
    assert {"enqueued", "handled", "dropped", "size", "max_size"} <= set(queue)
    assert (queue["enqueued"], queue["handled"], queue["dropped"], queue["size"]) == (7, 7, 0, 0)
    assert queue["max_size"] == 10_000
    assert stats["sinks"]["out"]["records"] == 7
    assert stats["sinks"]["out"]["errors"] == 0
    assert stats["listeners"]["main"]["alive"] is True
    json.dumps(stats)  # plain data all the way down
    assert runtime.stats()["listeners"]["main"]["alive"] is False


def fill_behind_a_gate(runtime: Runtime, count: int) -> Gate:
    """Hold the listener on one record, then log ``count`` more into the queue."""
    held = gate(runtime)
    log = logging.getLogger("fill")
    log.info("first")
    assert held.entered.wait(5)
    for i in range(count):
        log.info("r%d", i)
    return held


def test_drop_newest_accounting_is_exact(
    write_profile: WriteProfile, log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """drop_newest: what fits is written, the rest is counted, and one summary line says so."""
    runtime = logboot.setup_logging(
        write_profile(file_profile(log_file, max_size=10, overflow="drop_newest"))
    )
    held = fill_behind_a_gate(runtime, 25)
    assert runtime.stats()["queues"]["main"]["size"] == 10
    held.opened.set()
    report = runtime.stop()
    assert lines_of(log_file) == ["first"] + [f"r{i}" for i in range(10)]
    stats = runtime.stats()["queues"]["main"]
    assert (stats["enqueued"], stats["handled"], stats["dropped"]) == (26, 11, 15)
    assert (report.handled, report.dropped, report.clean) == (11, 15, True)
    assert capsys.readouterr().err == (
        "logboot: queue 'main' dropped 15 of 26 records (overflow: drop_newest, max_size: 10)\n"
    )


def test_drop_oldest_accounting_is_exact(write_profile: WriteProfile, log_file: Path) -> None:
    """drop_oldest: the newest records are written, the evicted ones counted."""
    runtime = logboot.setup_logging(
        write_profile(file_profile(log_file, max_size=10, overflow="drop_oldest"))
    )
    held = fill_behind_a_gate(runtime, 25)
    held.opened.set()
    report = runtime.stop()
    assert lines_of(log_file) == ["first"] + [f"r{i}" for i in range(15, 25)]
    assert (report.handled, report.dropped) == (11, 15)


def test_block_timeout_drops_after_waiting(write_profile: WriteProfile, log_file: Path) -> None:
    """block with block_timeout: a producer waits that long, then the record is dropped and counted."""
    text = file_profile(log_file, max_size=5).replace(
        "overflow: block}", "overflow: block, block_timeout: 20ms}"
    )
    runtime = logboot.setup_logging(write_profile(text))
    started = time.monotonic()
    held = fill_behind_a_gate(runtime, 8)
    assert time.monotonic() - started >= 0.06  # three records waited 20ms each
    held.opened.set()
    report = runtime.stop()
    assert lines_of(log_file) == ["first"] + [f"r{i}" for i in range(5)]
    assert (report.handled, report.dropped) == (6, 3)


def test_block_never_loses_a_record(write_profile: WriteProfile, log_file: Path) -> None:
    """block without a timeout holds the producer until there is room; every record arrives."""
    runtime = logboot.setup_logging(write_profile(file_profile(log_file, max_size=5)))
    held = gate(runtime)
    log = logging.getLogger("block")
    log.info("first")
    assert held.entered.wait(5)

    def produce() -> None:
        for i in range(50):
            log.info("r%d", i)

    producer = threading.Thread(target=produce)
    producer.start()
    queue = runtime.topology.queues["main"]
    wait_until(lambda: queue._blocked == 1)  # the queue is full and the producer waits
    assert queue.size() == 5
    held.opened.set()
    producer.join(5)
    report = runtime.stop()
    assert lines_of(log_file) == ["first"] + [f"r{i}" for i in range(50)]
    assert (report.handled, report.dropped) == (51, 0)


def test_flush_is_a_barrier(profile: Path, log_file: Path) -> None:
    """flush returns False while records are still on their way and True once they are written."""
    runtime = logboot.setup_logging(profile)
    held = fill_behind_a_gate(runtime, 99)
    assert not runtime.flush(timeout=0.05)
    held.opened.set()
    assert runtime.flush(timeout=5)
    assert len(lines_of(log_file)) == 100
    runtime.stop()


def test_stop_that_times_out_counts_what_it_abandons(
    profile: Path, log_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stop whose deadline passes abandons the queued records, counts them, and says so."""
    runtime = logboot.setup_logging(profile)
    held = fill_behind_a_gate(runtime, 40)
    report = runtime.stop(timeout=0.05)
    # The 40 queued records and the one the listener holds are all given up on and counted.
    assert (report.clean, report.abandoned, report.dropped, report.handled) == (False, 41, 41, 0)
    stats = report.queues["main"]
    assert (stats["enqueued"], stats["handled"], stats["dropped"], stats["in_flight"]) == (41, 0, 41, 0)
    held.opened.set()  # the held record is written after all: late, and the counts stay exact
    wait_until(lambda: runtime.stats()["queues"]["main"]["late"] == 1)
    after = runtime.stats()["queues"]["main"]
    assert (after["enqueued"], after["handled"], after["dropped"], after["in_flight"]) == (41, 0, 41, 0)
    assert lines_of(log_file) == ["first"]
    err = capsys.readouterr().err
    assert "logboot: listener 'main' did not finish draining in time\n" in err
    summary = "dropped 41 of 41 records (overflow: block, max_size: 10000, 41 abandoned at stop)"
    assert f"logboot: queue 'main' {summary}\n" in err


def test_records_left_by_a_dead_listener_are_counted(profile: Path) -> None:
    """Records that no listener took are counted as abandoned at stop, never silently lost."""
    topology = build_topology(logboot.load_profile(profile))
    runtime = Runtime(topology)  # built, never started: nothing drains the queue
    handler = topology.loggers[""].handler
    assert handler is not None
    for i in range(5):
        handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, f"r{i}", None, None))
    report = runtime.stop(timeout=0.5)
    stats = runtime.stats()["queues"]["main"]
    assert stats["enqueued"] == stats["handled"] + stats["dropped"] == 5
    assert (report.abandoned, report.dropped, report.clean) == (5, 5, False)


# --- what the producer does -----------------------------------------------------------------


def test_message_is_merged_in_the_producer(profile: Path, log_file: Path) -> None:
    """Changing an argument after the call cannot change the record the listener writes later."""
    runtime = logboot.setup_logging(profile)
    held = fill_behind_a_gate(runtime, 0)
    items = ["original"]
    logging.getLogger().info("items: %s", items)
    items[0] = "mutated"
    held.opened.set()
    runtime.stop()
    assert lines_of(log_file) == ["first", "items: ['original']"]


def test_exception_fields_reach_a_json_sink(write_profile: WriteProfile, tmp_path: Path) -> None:
    """Exception type, message and traceback survive the queue as separate JSON fields."""
    target = tmp_path / "app.jsonl"
    text = f"""\
        version: 1
        formatters:
          json: {{type: json, fields: [message, exception, extra]}}
        sinks:
          out: {{type: file, path: "{target}", formatter: json}}
        queues:
          main: {{}}
        listeners:
          main: {{queue: main, sinks: [out]}}
        root: {{level: INFO}}
        """
    with logboot.setup_logging(write_profile(text)):
        try:
            lookup: dict[str, int] = {}
            lookup["missing"]
        except KeyError:
            logging.getLogger("json").exception("lookup failed for %s", "missing", extra={"user": "ann"})
    (line,) = lines_of(target)
    data = json.loads(line)
    assert data["message"] == "lookup failed for missing"
    assert (data["exc_type"], data["exc_message"], data["user"]) == ("KeyError", "'missing'", "ann")
    assert data["exc_traceback"].startswith("Traceback (most recent call last):")
    assert data["exc_traceback"].endswith("KeyError: 'missing'")


def test_producer_filters_run_before_the_queue(write_profile: WriteProfile, log_file: Path) -> None:
    """Filters on a queue drop records before they are enqueued, so they cost no queue room."""
    text = file_profile(log_file).replace(
        "main: {max_size: 10000, overflow: block}",
        "main: {max_size: 10000, overflow: block, filters: [warn]}",
    )
    text += "filters:\n  warn: {type: level, min: WARNING}\n  app: {type: name, prefix: app}\n"
    text = text.replace(
        "root: {level: DEBUG, queue: main}", "root: {level: DEBUG, queue: main, filters: [app]}"
    )
    with logboot.setup_logging(write_profile(text)) as runtime:
        logging.getLogger("app.db").warning("kept")
        logging.getLogger("app.db").info("too low")
        logging.getLogger("other").error("other logger")
        logging.getLogger("app").error("kept too")
        assert runtime.flush()
        assert runtime.stats()["queues"]["main"]["enqueued"] == 2
    assert lines_of(log_file) == ["kept", "kept too"]
