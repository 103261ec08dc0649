"""`export_dictconfig`: a dictConfig document that runs the profile through logboot's classes.

The round trip, for every profile in configs/: export, load with `logging.config.dictConfig`,
log, read back what each sink wrote, and compare with what the same profile's sinks take
when `setup_logging` runs it.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, file_profile
from integration.receivers import OtlpReceiver, SyslogReceiver

import logboot
from logboot.interop.dictconfig import export_dictconfig
from logboot.interop.integrations import PARENT_ENV, ProfileHandler, fingerprint
from logboot.runtime.lifecycle import active_runtime
from logboot.testing.capture import capture_logging

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
TOKEN = re.compile(r"<rt-\d{3}>")
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def receivers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[SyslogReceiver, OtlpReceiver]]:
    """Loopback syslog and OTLP receivers, named by the variables the example profiles read."""
    syslog, otlp = SyslogReceiver(), OtlpReceiver()
    otlp.start()
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("SYSLOG_ADDRESS", f"127.0.0.1:{syslog.port}")
    monkeypatch.setenv("OTLP_ENDPOINT", otlp.endpoint)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    monkeypatch.delenv("LOGBOOT_LEVEL", raising=False)
    monkeypatch.delenv(PARENT_ENV, raising=False)  # restored (absent) after the test
    yield syslog, otlp
    syslog.stop()
    otlp.stop()


def log_everything() -> None:
    """Records from several loggers at every level, each with a unique token."""
    count = 0
    for name in ("roundtrip", "roundtrip.child", "urllib3", "asyncio"):
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
            logging.getLogger(name).log(level, "%s says <rt-%03d>", name, count)
            count += 1


def tokens(texts: list[str]) -> Counter[str]:
    """How often each token appears in ``texts``."""
    return Counter(token for text in texts for token in TOKEN.findall(text))


def written(
    profile: logboot.Profile, capsys: pytest.CaptureFixture[str], otlp: OtlpReceiver, syslog: SyslogReceiver
) -> dict[str, Counter[str]]:
    """The tokens each sink wrote, read back from where it writes."""
    out = capsys.readouterr()
    found: dict[str, Counter[str]] = {}
    for name, spec in profile.sinks.items():
        if spec.type == "console":
            found[name] = tokens([out.err if spec.stream == "stderr" else out.out])
        elif spec.type == "syslog":
            found[name] = tokens([syslog.text()])
        elif spec.type == "otlp":
            found[name] = tokens([str(r["body"]) for r in otlp.records])
        elif hasattr(spec, "path"):
            found[name] = tokens([Path(spec.path).read_text(encoding="utf-8")])
    return found


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_every_profile_round_trips_through_dictconfig(
    path: Path, receivers: tuple[SyslogReceiver, OtlpReceiver], capsys: pytest.CaptureFixture[str]
) -> None:
    """What dictConfig builds from the export writes what each sink takes under setup_logging."""
    syslog, otlp = receivers
    with capture_logging(path) as capture:
        log_everything()
        expected = {name: tokens(capture.messages(name)) for name in capture.sinks}
    capsys.readouterr()

    profile = logboot.load_profile(path)
    document = json.loads(json.dumps(export_dictconfig(profile)))  # plain data, as a file holds it
    logging.config.dictConfig(document)
    runtime = active_runtime()
    assert runtime is not None and runtime.running
    assert fingerprint(runtime.profile) == fingerprint(profile)  # the very same topology
    log_everything()
    report = runtime.stop()
    assert report.clean and report.dropped == 0

    found = written(profile, capsys, otlp, syslog)
    assert found == {name: counts for name, counts in expected.items() if name in found}
    assert any(expected.values())
    for name, counts in expected.items():
        assert runtime.stats()["sinks"][name]["records"] >= sum(counts.values())


def test_the_export_names_one_handler_per_logger_with_a_queue(tmp_path: Path) -> None:
    """Root and each logger with a queue or filters get a ProfileHandler; levels stay in the profile."""
    text = file_profile(
        tmp_path / "a.log",
        extra="""\
        filters:
          only_db: {type: name, prefix: app.db}
        loggers:
          app.db: {level: DEBUG, filters: [only_db]}
          urllib3: {level: WARNING}
        """,
    )
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    document = export_dictconfig(logboot.load_profile(path))
    assert document["disable_existing_loggers"] is False
    assert document["root"] == {"handlers": ["logboot"]}
    assert document["loggers"] == {"app.db": {"handlers": ["logboot:app.db"]}, "urllib3": {"handlers": []}}
    assert document["handlers"]["logboot:app.db"] == {
        "()": "logboot.integrations.ProfileHandler",
        "profile": "cfg://logboot",
        "owner": "app.db",
    }
    assert document["logboot"]["loggers"]["app.db"] == {"level": "DEBUG", "filters": ["only_db"]}


def test_loading_the_export_twice_replaces_the_runtime_cleanly(tmp_path: Path) -> None:
    """A second dictConfig drains the first runtime before closing its sinks; nothing is lost."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "out.log"), encoding="utf-8")
    document = export_dictconfig(logboot.load_profile(path))
    logging.config.dictConfig(json.loads(json.dumps(document)))
    first = active_runtime()
    for i in range(200):
        logging.getLogger("a").info("first %d", i)
    logging.config.dictConfig(json.loads(json.dumps(document)))
    second = active_runtime()
    assert first is not None and second is not None and second is not first
    assert not first.running
    stats = first.stats()
    assert stats["sinks"]["out"] == {"type": "file", "records": 200, "errors": 0} | {
        k: v for k, v in stats["sinks"]["out"].items() if k not in ("type", "records", "errors")
    }
    logging.getLogger("a").info("second")
    second.stop()
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    assert lines == [f"first {i}" for i in range(200)] + ["second"]


def test_closing_every_handler_stops_the_runtime(tmp_path: Path) -> None:
    """The last ProfileHandler closed (as logging.shutdown does) drains and stops the runtime."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "out.log"), encoding="utf-8")
    logging.config.dictConfig(export_dictconfig(logboot.load_profile(path)))
    runtime = active_runtime()
    assert runtime is not None
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, ProfileHandler) and handler.runtime is runtime
    logging.getLogger("x").info("kept")
    handler.close()
    handler.close()  # a second close changes nothing
    assert not runtime.running
    assert (tmp_path / "out.log").read_text(encoding="utf-8") == "kept\n"


def test_a_handler_for_a_logger_without_a_queue_is_refused(tmp_path: Path) -> None:
    """Asking to forward for a logger the profile gives no queue is a clear error."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "out.log"), encoding="utf-8")
    data = export_dictconfig(logboot.load_profile(path))["logboot"]
    with pytest.raises(logboot.LogbootError, match=r"^the profile gives 'nobody' no queue, so there"):
        ProfileHandler(data, owner="nobody")
    runtime = active_runtime()
    assert runtime is not None
    runtime.stop()


def test_an_invalid_embedded_profile_fails_dictconfig_with_located_problems() -> None:
    """A broken profile inside the document is reported like a broken file."""
    document: dict[str, Any] = {
        "version": 1,
        "logboot": {"version": 1, "queues": {"main": {"max_size": "lots"}}},
        "handlers": {"logboot": {"()": "logboot.integrations.ProfileHandler", "profile": "cfg://logboot"}},
        "root": {"handlers": ["logboot"]},
    }
    with pytest.raises(ValueError, match=r"^Unable to configure handler 'logboot'$") as err:
        logging.config.dictConfig(document)
    problems = [str(p) for p in getattr(err.value.__cause__, "problems", [])]
    assert "<dictConfig>:1:1: queues.main.max_size: expected an integer, got 'lots'" in problems


def test_logboot_level_applies_through_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`$LOGBOOT_LEVEL` sets the root level of a runtime started by dictConfig."""
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "out.log"), encoding="utf-8")
    document = export_dictconfig(logboot.load_profile(path))
    monkeypatch.setenv("LOGBOOT_LEVEL", "ERROR")
    logging.config.dictConfig(document)
    assert logging.getLogger().level == logging.ERROR
    logging.getLogger("x").warning("below the level")
    logging.getLogger("x").error("kept")
    runtime = active_runtime()
    assert runtime is not None
    runtime.stop()
    assert (tmp_path / "out.log").read_text(encoding="utf-8") == "kept\n"


def test_a_runtime_with_process_queues_names_itself_to_spawned_workers(tmp_path: Path) -> None:
    """`$LOGBOOT_PARENT` carries the process queues' addresses while the runtime runs."""
    path = tmp_path / "p.yaml"
    path.write_text(
        file_profile(tmp_path / "out.log").replace("main: {max_size", "main: {kind: process, max_size"),
        encoding="utf-8",
    )
    logging.config.dictConfig(export_dictconfig(logboot.load_profile(path)))
    runtime = active_runtime()
    assert runtime is not None
    import os

    token = json.loads(os.environ[PARENT_ENV])
    assert token["id"] == runtime.runtime_id and token["pid"] == os.getpid()
    assert token["digest"] == fingerprint(runtime.profile)
    logging.getLogger().handlers[0].close()
    assert PARENT_ENV not in os.environ


def test_a_spawned_worker_loading_the_export_logs_into_the_parents_sinks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spawned worker that loads the same document attaches to the parent's process queue."""
    monkeypatch.delenv(PARENT_ENV, raising=False)  # the runtime sets it; it is gone after the test
    import multiprocessing

    import dictconfig_children

    path = tmp_path / "p.yaml"
    path.write_text(
        file_profile(tmp_path / "out.log").replace("main: {max_size", "main: {kind: process, max_size"),
        encoding="utf-8",
    )
    document = json.loads(json.dumps(export_dictconfig(logboot.load_profile(path))))
    logging.config.dictConfig(document)
    runtime = active_runtime()
    assert runtime is not None
    worker = multiprocessing.get_context("spawn").Process(
        target=dictconfig_children.load_and_log, args=(document, 50)
    )
    worker.start()
    worker.join(30)
    assert worker.exitcode == 0
    logging.getLogger("parent").info("parent done")
    report = runtime.stop()
    lines = (tmp_path / "out.log").read_text(encoding="utf-8").splitlines()
    # The worker's records keep their order; the parent's may come before the last of them are read.
    assert [line for line in lines if line != "parent done"] == [
        f"worker {worker.pid} record {i}" for i in range(50)
    ]
    assert lines.count("parent done") == 1
    assert report.handled == 51  # the worker's records went through the parent's queue


TWO_QUEUES = """\
version: 1
formatters:
  bare: {{type: text, format: "{{name}} {{message}}"}}
sinks:
  main: {{type: file, path: "{main}", formatter: bare}}
  audit: {{type: file, path: "{audit}", formatter: bare}}
queues:
  main: {{}}
  audit: {{}}
listeners:
  main: {{queue: main, sinks: [main]}}
  audit: {{queue: audit, sinks: [audit]}}
root: {{level: INFO, queue: main}}
loggers:
  audit: {{queue: audit}}
"""


def test_a_logger_with_its_own_queue_keeps_it_through_the_export(tmp_path: Path) -> None:
    """Two ProfileHandlers share one runtime; each logger's records reach its own queue's sink."""
    path = tmp_path / "p.yaml"
    path.write_text(
        TWO_QUEUES.format(main=tmp_path / "main.log", audit=tmp_path / "audit.log"), encoding="utf-8"
    )
    document = export_dictconfig(logboot.load_profile(path))
    document["filters"] = {"no_noise": {"name": "audit"}}
    document["handlers"]["logboot:audit"]["filters"] = ["no_noise"]
    logging.config.dictConfig(document)
    runtime = active_runtime()
    root_handler, audit_handler = logging.getLogger().handlers[0], logging.getLogger("audit").handlers[0]
    assert isinstance(root_handler, ProfileHandler) and isinstance(audit_handler, ProfileHandler)
    assert root_handler.runtime is audit_handler.runtime is runtime
    assert logging.getLogger("audit").propagate is False  # set by the runtime, not by the document
    logging.getLogger("app").info("to main")
    logging.getLogger("audit").info("to audit")
    assert not audit_handler.handle(logging.makeLogRecord({"name": "noise", "msg": "filtered out"}))
    audit_handler.emit(logging.makeLogRecord({"name": "audit.direct", "msg": "emitted", "levelno": 20}))
    assert runtime is not None
    runtime.stop()
    assert (tmp_path / "main.log").read_text(encoding="utf-8") == "app to main\n"
    assert (tmp_path / "audit.log").read_text(encoding="utf-8") == "audit to audit\naudit.direct emitted\n"


def test_post_fork_logs_from_the_worker_and_warns_without_a_process_queue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gunicorn's hook logs one record; with only thread queues it says the worker writes itself."""
    from types import SimpleNamespace

    from logboot.interop.integrations import post_fork

    post_fork(None, SimpleNamespace(pid=1))  # no runtime: nothing to do
    path = tmp_path / "p.yaml"
    path.write_text(file_profile(tmp_path / "out.log"), encoding="utf-8")
    with logboot.setup_logging(path):
        post_fork(None, SimpleNamespace(pid=4321))
    assert (tmp_path / "out.log").read_text(
        encoding="utf-8"
    ) == "worker 4321 attached to the master's runtime\n"
    assert "writes its records to the sinks itself" in capsys.readouterr().err


def test_a_stale_or_foreign_parent_token_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`$LOGBOOT_PARENT` is used only for the same profile, a live parent and existing sockets."""
    import os
    import subprocess
    import sys

    from logboot.interop import integrations

    profile = logboot.load_profile(REPO / "configs" / "dev.yaml")
    digest = fingerprint(profile)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # a pid that has ended
    dead.wait(30)
    parent = os.getppid()
    tokens = [
        "not json",
        json.dumps({"id": "x"}),
        json.dumps({"id": "x", "pid": parent, "digest": "other", "addresses": {}}),
        json.dumps({"id": "x", "pid": os.getpid(), "digest": digest, "addresses": {}}),
        json.dumps({"id": "x", "pid": dead.pid, "digest": digest, "addresses": {}}),
        json.dumps(
            {"id": "x", "pid": parent, "digest": digest, "addresses": {"main": str(tmp_path / "gone")}}
        ),
    ]
    for token in tokens:
        monkeypatch.setenv(PARENT_ENV, token)
        assert integrations._attach_to_parent(profile, digest) is None, token
    assert integrations._plain((1, [2], {"a": (3,)})) == [1, [2], {"a": [3]}]
