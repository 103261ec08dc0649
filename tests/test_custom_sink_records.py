"""What a `custom` sink's handler receives: a record in logging's own shape, so third-party
formatters (ecs-logging's `StdlibFormatter`, uvicorn's `AccessFormatter`) write what they
write under plain logging: the call's args, the live exception, no logboot bookkeeping."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import pytest

import logboot

pytestmark = pytest.mark.timeout(60)

ACCESS = '%(client_addr)s - "%(request_line)s" %(status_code)s'


def recipe_block(kind: str) -> str:
    """A code block of docs/recipes.md, "Your own handler, with a third-party formatter"."""
    text = (Path(__file__).parent.parent / "docs" / "recipes.md").read_text(encoding="utf-8")
    section = text.split("## Your own handler, with a third-party formatter\n", 1)[1]
    return section.split(f"```{kind}\n", 1)[1].split("```", 1)[0]


@pytest.fixture(autouse=True)
def factories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "third_party_sinks.py").write_text(recipe_block("python"), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # for spawned children


def profile(tmp_path: Path, factory: str, options: str, kind: str = "thread", redact: str = "") -> Path:
    path = tmp_path / "profile.yaml"
    filters = "filters:\n  secrets: {type: redact, patterns: ['hunter2']}\n" if redact else ""
    on_sink = ", filters: [secrets]" if redact == "sink" else ""
    on_queue = ", filters: [secrets]" if redact == "queue" else ""
    path.write_text(
        f"""\
version: 1
allow_custom: true
{filters}sinks:
  mine: {{type: custom, factory: "{factory}", options: {options}{on_sink}}}
queues:
  main: {{kind: {kind}{on_queue}}}
listeners:
  main: {{queue: main, sinks: [mine]}}
root: {{level: INFO, queue: main}}
""",
        encoding="utf-8",
    )
    return path


def log_ecs_records() -> None:
    log = logging.getLogger("shop.orders")
    log.info("order %s charged %d", "A-17", 3, extra={"order_id": 17})
    try:
        {}["missing"]
    except KeyError:
        log.exception("lookup of %s failed", "missing")


def ecs_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def comparable(line: dict[str, object]) -> dict[str, object]:
    """An ECS line without what differs from run to run (time, ids of threads and processes)."""
    out = dict(line)
    out.pop("@timestamp", None)
    out.pop("process", None)
    origin = dict(out.pop("log", {}))  # type: ignore[call-overload]
    out["log"] = {k: v for k, v in origin.items() if k != "origin"}
    return out


def test_ecs_loggings_formatter_writes_what_it_writes_under_plain_logging(tmp_path: Path) -> None:
    """Same keys, same values (message, args merged by ECS itself, error.type, error.message,
    error.stack_trace, extra), and nothing of logboot's own (exc_type, logboot_context)."""
    pytest.importorskip("ecs_logging")
    import third_party_sinks  # type: ignore[import-not-found]

    plain = third_party_sinks.ecs_file(str(tmp_path / "plain.json"))
    root = logging.getLogger()
    saved = root.level
    root.addHandler(plain)
    root.setLevel(logging.INFO)
    try:
        log_ecs_records()
    finally:
        root.removeHandler(plain)
        root.setLevel(saved)
        plain.close()
    with logboot.setup_logging(
        profile(tmp_path, "third_party_sinks:ecs_file", f'{{path: "{tmp_path}/logboot.json"}}')
    ):
        log_ecs_records()
    expected = ecs_lines(tmp_path / "plain.json")
    found = ecs_lines(tmp_path / "logboot.json")
    assert [comparable(line) for line in found] == [comparable(line) for line in expected]
    error = found[1]["error"]
    assert error["type"] == "KeyError" and error["message"] == "'missing'"  # type: ignore[index]
    assert '{}["missing"]' in str(error["stack_trace"])  # type: ignore[index]  # the live traceback
    assert found[0]["order_id"] == 17 and found[0]["message"] == "order A-17 charged 3"


def log_access(count: int = 3) -> None:
    log = logging.getLogger("uvicorn.access")
    for n in range(count):
        log.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/orders/{n}", "1.1", 200)


def access_options(tmp_path: Path) -> str:
    return f'{{path: "{tmp_path}/access.log", fmt: {json.dumps(ACCESS)}}}'


def test_uvicorns_access_formatter_gets_the_calls_args(tmp_path: Path) -> None:
    """uvicorn's AccessFormatter reads `record.args` (five of them): they are there."""
    pytest.importorskip("uvicorn")
    with logboot.setup_logging(profile(tmp_path, "third_party_sinks:access_file", access_options(tmp_path))):
        log_access()
    lines = (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()
    assert lines == [f'127.0.0.1:5000 - "GET /orders/{n} HTTP/1.1" 200 OK' for n in range(3)]


def log_access_in_child(handle: logboot.ProcessHandle) -> None:
    logboot.attach(handle)
    log_access()


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_the_args_cross_a_process_queue(tmp_path: Path, method: str) -> None:
    """A worker's access records, through a process queue, still carry their args."""
    pytest.importorskip("uvicorn")
    context = multiprocessing.get_context(method)
    with logboot.setup_logging(
        profile(tmp_path, "third_party_sinks:access_file", access_options(tmp_path), kind="process")
    ) as runtime:
        child = context.Process(target=log_access_in_child, args=(runtime.process_handle(),))
        child.start()
        child.join(60)
        assert child.exitcode == 0
    lines = (tmp_path / "access.log").read_text(encoding="utf-8").splitlines()
    assert lines == [f'127.0.0.1:5000 - "GET /orders/{n} HTTP/1.1" 200 OK' for n in range(3)]


@pytest.mark.parametrize("where", ["sink", "queue"])
def test_a_redacted_secret_never_comes_back_with_the_args(tmp_path: Path, where: str) -> None:
    """The kept args are the call's: where a redact filter ran, the handler sees only the
    redacted message (never the args or exception that held the secret)."""
    pytest.importorskip("ecs_logging")
    path = profile(tmp_path, "third_party_sinks:ecs_file", f'{{path: "{tmp_path}/out.json"}}', redact=where)
    with logboot.setup_logging(path):
        log = logging.getLogger("app")
        log.info("password %s", "hunter2")
        try:
            raise ValueError("hunter2 leaked")
        except ValueError:
            log.exception("failed with %s", "hunter2")
    text = (tmp_path / "out.json").read_text(encoding="utf-8")
    assert "hunter2" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["message"] for line in lines] == ["password [REDACTED]", "failed with [REDACTED]"]


def test_the_documented_profile_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipe's YAML, verbatim, from a folder holding the factory module: ECS lines in ecs.json."""
    pytest.importorskip("ecs_logging")
    (tmp_path / "logboot.yaml").write_text(recipe_block("yaml"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with logboot.setup_logging("logboot.yaml"):
        log_ecs_records()
    lines = ecs_lines(tmp_path / "ecs.json")
    assert [line["message"] for line in lines] == ["order A-17 charged 3", "lookup of missing failed"]
    assert lines[1]["error"]["type"] == "KeyError"  # type: ignore[index]


def log_ecs_in_child(handle: logboot.ProcessHandle) -> None:
    logboot.attach(handle)
    log_ecs_records()


def test_a_childs_exception_reaches_ecs_by_type_and_message(tmp_path: Path) -> None:
    """From a spawned child the exception crosses as its type's name, its message and its
    traceback's text: ECS gets error.type and error.message as under plain logging."""
    pytest.importorskip("ecs_logging")
    path = profile(tmp_path, "third_party_sinks:ecs_file", f'{{path: "{tmp_path}/out.json"}}', kind="process")
    context = multiprocessing.get_context("spawn")
    with logboot.setup_logging(path) as runtime:
        child = context.Process(target=log_ecs_in_child, args=(runtime.process_handle(),))
        child.start()
        child.join(60)
        assert child.exitcode == 0
    lines = ecs_lines(tmp_path / "out.json")
    assert [line["message"] for line in lines] == ["order A-17 charged 3", "lookup of missing failed"]
    assert lines[1]["error"] == {"type": "KeyError", "message": "'missing'"}
    assert "exc_type" not in lines[1] and "logboot_call" not in lines[0]


def test_a_stand_in_is_named_as_the_original_and_says_its_message() -> None:
    from logboot.core.records import RemoteException, stand_in

    cls, exception, traceback = stand_in("json.decoder.JSONDecodeError", "Expecting value: line 1")
    assert (cls.__name__, cls.__module__, cls.__qualname__) == (
        "JSONDecodeError",
        "json.decoder",
        "JSONDecodeError",
    )
    assert isinstance(exception, RemoteException) and str(exception) == "Expecting value: line 1"
    assert traceback is None
    assert stand_in("json.decoder.JSONDecodeError", "x")[0] is cls  # one class a name
    assert stand_in("KeyError", None)[0].__module__ == "builtins" and str(stand_in("KeyError", None)[1]) == ""
