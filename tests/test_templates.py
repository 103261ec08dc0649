"""The ``init`` templates: the same bytes as ``configs/``, valid, and working end to end."""

from __future__ import annotations

import json
import logging
import multiprocessing
import socket
import threading
from pathlib import Path

import jsonschema
import pytest
import yaml
from clirunner import runner

import logboot
from logboot.cli import app
from logboot.cli.templates import DEFAULT_TEMPLATE, templates
from logboot.profile.schema import SCHEMA_URL, json_schema

REPO = Path(__file__).resolve().parent.parent
NAMES = ["dev", "multiprocess", "prod", "syslog"]
PLAIN = {"NO_COLOR": None, "FORCE_COLOR": None}


def init(folder: Path, name: str) -> Path:
    """``logboot init --template NAME`` into ``folder``; the written path."""
    target = folder / f"{name}.yaml"
    result = runner().invoke(app, ["init", "--template", name, str(target)], env=PLAIN)
    assert result.exit_code == 0, result.output
    return target


def test_the_templates_are_the_four_documented_ones() -> None:
    """dev, multiprocess, prod and syslog are shipped; prod is the default."""
    assert list(templates()) == NAMES
    assert DEFAULT_TEMPLATE in templates()


@pytest.mark.parametrize("name", NAMES)
def test_template_starts_with_the_schema_and_a_summary(name: str) -> None:
    """Line 1 points editors at the schema; line 2 is the summary `init --list` shows."""
    lines = templates()[name].text.splitlines()
    assert lines[0] == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert lines[1] == f'# logboot profile "{name}": {templates()[name].summary}'
    assert templates()[name].summary.endswith(")") or templates()[name].summary.endswith(".")


@pytest.mark.parametrize("name", NAMES)
def test_configs_are_exactly_what_init_writes(name: str, tmp_path: Path) -> None:
    """configs/NAME.yaml is byte for byte `logboot init --template NAME` (no drift)."""
    written = init(tmp_path, name).read_bytes()
    config = REPO / "configs" / f"{name}.yaml"
    assert written == config.read_bytes(), (
        f"configs/{name}.yaml differs from the template; regenerate it with "
        f"`logboot init --force --template {name} configs/{name}.yaml`"
    )


@pytest.mark.parametrize("name", NAMES)
def test_written_template_passes_check_strictly(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A freshly written template passes `logboot check --strict` unchanged."""
    monkeypatch.chdir(tmp_path)
    path = init(tmp_path, name)
    result = runner().invoke(app, ["check", "--strict", str(path)], env=PLAIN)
    assert (result.exit_code, result.stderr) == (0, "Checked 1 profile: valid.\n")


@pytest.mark.parametrize("name", NAMES)
def test_template_as_written_is_valid_for_editors(name: str) -> None:
    """The template's YAML as an editor sees it (variables unexpanded) is valid under the schema."""
    jsonschema.Draft202012Validator(json_schema()).validate(yaml.safe_load(templates()[name].text))


# --- the templates at work --------------------------------------------------------------


def test_dev_template_writes_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """dev: every record from DEBUG up reaches stderr, one whole line each."""
    monkeypatch.chdir(tmp_path)
    with logboot.setup_logging(init(tmp_path, "dev")) as runtime:
        log = logging.getLogger("app.dev")
        for i in range(200):
            log.debug("record %d", i)
        assert runtime.flush()
    lines = capsys.readouterr().err.splitlines()
    assert [line.rsplit(" ", 1)[-1] for line in lines] == [str(i) for i in range(200)]
    assert all(" DEBUG    MainThread app.dev: record " in line for line in lines)


def run_file_template(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Log 500 INFO and 5 WARNING records through a template's file sink; its JSON lines."""
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    with logboot.setup_logging(init(tmp_path, name)) as runtime:
        log = logging.getLogger("app")
        for i in range(500):
            log.info("record %d", i, extra={"seq": i})
        for i in range(5):
            log.warning("warning %d", i)
        logging.getLogger("app").debug("below the root level")
        assert runtime.flush()
    text = (tmp_path / "logs" / "app.jsonl").read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("name", ["prod", "multiprocess"])
def test_file_templates_write_every_record(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """prod and multiprocess: each INFO+ record is one JSON line in $LOG_DIR/app.jsonl; warnings on stderr."""
    records = run_file_template(name, tmp_path, monkeypatch)
    assert [r["message"] for r in records] == [f"record {i}" for i in range(500)] + [
        f"warning {i}" for i in range(5)
    ]
    assert [r["seq"] for r in records[:500]] == list(range(500))
    stderr = capsys.readouterr().err.splitlines()
    assert [line.rsplit(": ", 1)[-1] for line in stderr] == [f"warning {i}" for i in range(5)]


def _child_logs(count: int) -> None:
    log = logging.getLogger("app.child")
    for i in range(count):
        log.info("child %d", i)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_multiprocess_template_collects_a_forked_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """multiprocess: a forked child's records reach the parent's file, each once."""
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    with logboot.setup_logging(init(tmp_path, "multiprocess")) as runtime:
        child = multiprocessing.get_context("fork").Process(target=_child_logs, args=(300,))
        child.start()
        child.join(30)
        assert child.exitcode == 0
        assert runtime.flush()
    lines = (tmp_path / "logs" / "app.jsonl").read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line)["message"] for line in lines]
    assert sorted(messages, key=lambda m: int(m.split()[1])) == [f"child {i}" for i in range(300)]


class SyslogReceiver:
    """A loopback TCP receiver that keeps every byte until the sender closes."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.data = bytearray()
        self.thread = threading.Thread(target=self._serve, name="test-syslog-receiver", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.server:
            conn, _ = self.server.accept()
            with conn:
                while chunk := conn.recv(65536):
                    self.data.extend(chunk)

    def messages(self) -> list[str]:
        """The octet-counted frames (RFC 6587) received, decoded."""
        out, rest = [], bytes(self.data)
        while rest:
            length, _, rest = rest.partition(b" ")
            out.append(rest[: int(length)].decode("utf-8"))
            rest = rest[int(length) :]
        return out


def test_syslog_template_forwards_every_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """syslog: every INFO+ record reaches the collector as one RFC 5424 message with our APP-NAME."""
    receiver = SyslogReceiver()
    monkeypatch.setenv("SYSLOG_ADDRESS", f"127.0.0.1:{receiver.port}")
    monkeypatch.setenv("APP_NAME", "logboot-test")
    with logboot.setup_logging(init(tmp_path, "syslog")) as runtime:
        for i in range(300):
            logging.getLogger("app").info("record %d", i)
        assert runtime.flush()
    receiver.thread.join(10)
    assert not receiver.thread.is_alive(), "the sink did not close its connection at stop"
    messages = receiver.messages()
    assert len(messages) == 300
    for i, message in enumerate(messages):
        assert message.startswith("<14>1 ")  # facility user (1) * 8 + severity info (6)
        assert message.split(" ")[3] == "logboot-test"
        assert message.endswith(f"record {i}")
