"""JSON presets (`ecs`, `gcp`, `datadog`, `otel`, `logstash`) and `rename`, through a runtime into a file."""

from __future__ import annotations

import json
import logging
import os
import re
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import logboot
from logboot.formatters.fields import STANDARD_ATTRS
from logboot.formatters.json import JsonFormatter
from logboot.formatters.presets import PRESETS, otel_severity_number, preset_items, shape
from logboot.profile.schema import JsonFormatterSpec

ecs_logging = pytest.importorskip("ecs_logging")

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Levels logged by the tests: the standard ones and three custom ones (below DEBUG,
# between INFO and WARNING, above CRITICAL).
LEVELS = [5, logging.DEBUG, logging.INFO, 25, logging.WARNING, logging.ERROR, logging.CRITICAL, 60]


@pytest.fixture(autouse=True)
def _custom_level_names() -> Iterator[None]:
    """TRACE (5), NOTICE (25) and FATAL2 (60) are level names for the length of a test."""
    names = {5: "TRACE", 25: "NOTICE", 60: "FATAL2"}
    for level, name in names.items():
        logging.addLevelName(level, name)
    yield
    for level, name in names.items():  # private: the only way to forget a level name
        logging._levelToName.pop(level, None)
        logging._nameToLevel.pop(name, None)


def run(
    tmp_path: Path, formatter: str, emit: Callable[[logging.Logger], int], *, redact: bool = True
) -> list[dict[str, Any]]:
    """Start a profile writing JSON lines with ``formatter`` (a YAML flow mapping) to one
    file, through a redact filter; ``emit`` logs and says how many records it logged. The
    file holds exactly that many whole lines, each one JSON object: they are returned."""
    out = tmp_path / "out.jsonl"
    (tmp_path / "profile.yaml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            formatters:
              json: {formatter}
            filters:
              secrets: {{type: redact, patterns: ['hunter2-\\w+'], keys: [token]}}
            sinks:
              out: {{type: file, path: "{out}", formatter: json}}
            queues:
              main: {{}}
            listeners:
              main: {{queue: main, sinks: [out]}}
            root: {{level: 1, queue: main, filters: [{"secrets" if redact else ""}]}}
            """
        ),
        encoding="utf-8",
    )
    runtime = logboot.setup_logging(tmp_path / "profile.yaml", cache=False)
    try:
        count = emit(logging.getLogger("app.presets"))
    finally:
        report = runtime.stop()
    assert report.clean
    assert runtime.stats()["sinks"]["out"]["errors"] == 0
    raw = out.read_text(encoding="utf-8")
    assert raw.endswith("\n")
    lines = raw[:-1].split("\n")  # JSON may keep U+2028 as it is: split at "\n" only
    assert len(lines) == count, lines
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    return records


def log_levels(logger: logging.Logger) -> int:
    for level in LEVELS:
        logger.log(level, "at %d", level)
    return len(LEVELS)


def log_failure(logger: logging.Logger) -> int:
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        logger.exception("it failed")
    return 1


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``data`` with nested objects as dotted keys (``{"log": {"level": x}}`` -> ``log.level``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


# --- ecs: compared with Elastic's own ecs-logging ---------------------------------------------


class Keep(logging.Handler):
    """Formats each record with ecs-logging as it is logged (on the logging thread)."""

    def __init__(self) -> None:
        super().__init__()
        # log.original repeats the message; the preset leaves it out (see logboot/formatters/presets.py).
        self.formatter = ecs_logging.StdlibFormatter(exclude_fields=["log.original"])
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_ecs_lines_have_the_keys_and_value_types_ecs_logging_writes(tmp_path: Path) -> None:
    """Plain, custom-level, `extra`, context and exception records: the same keys, the same
    value types, and the same values wherever the two can agree."""
    keep = Keep()

    def emit(logger: logging.Logger) -> int:
        logger.addHandler(keep)
        try:
            count = log_levels(logger)
            logger.info("with extras", extra={"user": "ann", "attempt": 3})
            with logboot.context(request_id="r-1"):
                logger.warning("in a request")
            return count + 2 + log_failure(logger)
        finally:
            logger.removeHandler(keep)

    ours = run(tmp_path, "{type: json, preset: ecs}", emit)
    theirs = [json.loads(line) for line in keep.lines]
    assert len(theirs) == len(ours)
    for mine, elastic in zip(ours, theirs, strict=True):
        mine_flat, elastic_flat = flat(mine), flat(elastic)
        elastic_flat.pop("request_id", None)  # logboot's context: only logboot's handler adds it
        mine_flat.pop("request_id", None)
        assert sorted(mine_flat) == sorted(elastic_flat)
        for key, value in elastic_flat.items():
            assert type(mine_flat[key]) is type(value), key
        for key in ("log.level", "message", "ecs.version", "log.logger", "log.origin.file.name"):
            assert mine_flat[key] == elastic_flat[key], key
        for key in ("log.origin.file.line", "log.origin.function", "process.pid", "process.thread.id"):
            assert mine_flat[key] == elastic_flat[key], key
        assert ISO_UTC.match(mine["@timestamp"])
        assert list(mine)[:3] == ["@timestamp", "log.level", "message"]  # ecs-logging's order
    failure = ours[-1]
    assert failure["error"]["type"] == "ValueError"
    assert failure["error"]["message"] == "bad\nthing" == flat(theirs[-1])["error.message"]
    assert failure["error"]["stack_trace"].startswith("Traceback (most recent call last):")
    assert ours[-2]["request_id"] == "r-1"


# --- gcp, datadog, otel, logstash: the vendors' documented names ---------------------------------


def test_gcp_severity_source_location_and_stack_trace(tmp_path: Path) -> None:
    """`severity` holds Cloud Logging's names for every level, custom ones by their number."""
    records = run(tmp_path, "{type: json, preset: gcp}", lambda lg: log_levels(lg) + log_failure(lg))
    severities = [r["severity"] for r in records[:-1]]
    assert severities == ["DEBUG", "DEBUG", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL", "CRITICAL"]
    first = records[0]
    assert first["message"] == "at 5"
    assert ISO_UTC.match(first["time"])
    location = first["logging.googleapis.com/sourceLocation"]
    assert set(location) == {"file", "line", "function"}
    assert location["file"] == __file__
    assert isinstance(location["line"], int)
    assert location["function"] == "log_levels"
    assert first["logging.googleapis.com/labels"] == {"python_logger": "app.presets"}
    failure = records[-1]
    assert failure["severity"] == "ERROR"
    assert failure["stack_trace"].startswith("Traceback (most recent call last):")
    assert failure["stack_trace"].endswith("ValueError: bad\nthing")


def test_datadog_status_logger_and_error_attributes(tmp_path: Path) -> None:
    """`status` is read right by Datadog's status remapper; logger.* and error.* are standard attributes."""
    records = run(tmp_path, "{type: json, preset: datadog}", lambda lg: log_levels(lg) + log_failure(lg))
    statuses = [r["status"] for r in records[:-1]]
    assert statuses == ["debug", "debug", "info", "info", "warning", "error", "critical", "critical"]
    first = records[0]
    assert first["logger"] == {
        "name": "app.presets",
        "thread_name": "MainThread",
        "method_name": "log_levels",
    }
    assert ISO_UTC.match(first["timestamp"])
    assert first["message"] == "at 5"
    error = records[-1]["error"]
    assert error["kind"] == "ValueError"
    assert error["message"] == "bad\nthing"
    assert error["stack"].startswith("Traceback (most recent call last):")


OTEL_RANGES = {"TRACE": range(1, 5), "DEBUG": range(5, 9), "INFO": range(9, 13), "WARN": range(13, 17)}
OTEL_RANGES |= {"ERROR": range(17, 21), "FATAL": range(21, 25)}


def test_otel_log_data_model_fields(tmp_path: Path) -> None:
    """SeverityNumber is in the OTel range of its level; Timestamp is nanoseconds; the rest are Attributes."""
    before = time.time_ns()

    def emit(logger: logging.Logger) -> int:
        count = log_levels(logger)
        logger.info("with an extra", extra={"user": "ann", "Timestamp": "forged"})
        return count + 1 + log_failure(logger)

    records = run(tmp_path, "{type: json, preset: otel}", emit)
    numbers = [r["SeverityNumber"] for r in records[: len(LEVELS)]]
    assert numbers == [0, 5, 9, 12, 13, 17, 21, 24]
    for record, expected in zip(
        records[: len(LEVELS)],
        ["DEBUG", "DEBUG", "INFO", "INFO", "WARN", "ERROR", "FATAL", "FATAL"],
        strict=True,
    ):
        if record["SeverityNumber"]:
            assert record["SeverityNumber"] in OTEL_RANGES[expected]
    assert [r["SeverityText"] for r in records[1:7]] == ["DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"]
    first = records[0]
    assert re.fullmatch(r"\d{19}", first["Timestamp"])
    assert before - 10**9 <= int(first["Timestamp"]) <= time.time_ns()
    assert first["Body"] == "at 5"
    assert first["InstrumentationScope"] == {"Name": "app.presets"}
    assert first["Resource"] == {"process.pid": os.getpid()}
    attributes = first["Attributes"]
    assert attributes["code.file.path"] == __file__
    assert attributes["code.function.name"] == "log_levels"
    assert isinstance(attributes["code.line.number"], int)
    assert attributes["thread.name"] == "MainThread"
    extra = records[len(LEVELS)]
    assert extra["Attributes"]["user"] == "ann"
    assert extra["Attributes"]["Timestamp"] == "forged"  # an attribute: it shadows nothing
    assert re.fullmatch(r"\d{19}", extra["Timestamp"])
    failure = records[-1]["Attributes"]
    assert failure["exception.type"] == "ValueError"
    assert failure["exception.message"] == "bad\nthing"
    assert failure["exception.stacktrace"].startswith("Traceback (most recent call last):")


def test_otel_severity_numbers_are_the_otlp_sinks() -> None:
    """The preset and the `otlp` sink map every level to the same SeverityNumber."""
    from logboot.sinks.otlp_records import severity_number

    assert [otel_severity_number(n) for n in range(70)] == [severity_number(n) for n in range(70)]


def test_logstash_standard_fields(tmp_path: Path) -> None:
    """@timestamp, @version "1", logger_name, thread_name, level, level_value and stack_trace."""
    records = run(tmp_path, "{type: json, preset: logstash}", lambda lg: log_levels(lg) + log_failure(lg))
    first = records[0]
    assert first["@version"] == "1"
    assert ISO_UTC.match(first["@timestamp"])
    assert (first["level"], first["level_value"]) == ("TRACE", 5)
    assert first["logger_name"] == "app.presets"
    assert first["thread_name"] == "MainThread"
    assert first["caller_method_name"] == "log_levels"
    assert records[-1]["stack_trace"].startswith("Traceback (most recent call last):")
    assert "stack_trace" not in first


# --- rename ----------------------------------------------------------------------------------


def test_rename_alone_nests_a_dotted_name(tmp_path: Path) -> None:
    """`{level: log.level}` writes `{"log": {"level": "INFO"}}`; a renamed context field moves too."""

    def emit(logger: logging.Logger) -> int:
        with logboot.context(request_id="r-7"):
            logger.info("hello")
        return 1

    renames = "{level: log.level, request_id: http.request.id}"
    fmt = f"{{type: json, fields: [level, message, extra], rename: {renames}}}"
    (record,) = run(tmp_path, fmt, emit)
    assert record == {"log": {"level": "INFO"}, "message": "hello", "http": {"request": {"id": "r-7"}}}


def test_rename_on_a_preset_wins(tmp_path: Path) -> None:
    """A rename moves a preset's field; the other fields stay where the preset puts them."""
    fmt = "{type: json, preset: datadog, fields: [time, level, logger, message], rename: {logger: service}}"
    (record,) = run(tmp_path, fmt, lambda lg: lg.warning("w") or 1)
    assert set(record) == {"timestamp", "status", "service", "message"}
    assert record["service"] == "app.presets"


@pytest.mark.parametrize(
    ("preset", "rename", "fields", "error"),
    [
        (None, {"level": "message"}, None, "`level` and `message` would both be written as 'message'"),
        (
            None,
            {"level": "log", "logger": "log.name"},
            None,
            "`level` is written as 'log', which `logger` ('log.name') needs to be an object",
        ),
        ("ecs", {"logger": "log.level"}, None, "`level` and `logger` would both be written as 'log.level'"),
        (
            "ecs",
            {"user": "process"},
            None,
            "`user` (an `extra` field) is written as 'process', which `process_name` ('process.name') "
            "needs to be an object",
        ),
        (
            "gcp",
            {"a": "x.y", "b": "x.y"},
            None,
            "`a` (an `extra` field) and `b` (an `extra` field) would both be written as 'x.y'",
        ),
        (
            "otel",
            {"user": "Attributes"},
            ["message", "extra"],
            "`user` (an `extra` field) -> 'Attributes' would take the place of the object the `extra` "
            "fields go in ('Attributes')",
        ),
        (None, {"levelno": "n"}, None, "`levelno` is a record attribute no JSON line writes; .*"),
        (
            None,
            {"user": "u"},
            ["message"],
            r"`user` is not a field this formatter writes \(`extra` is not .*",
        ),
        (None, {"level": "log..level"}, None, "`level`: 'log..level' has an empty part; .*"),
        (None, {"level": ""}, None, "`level`: expected an output name, got ''"),
    ],
)
def test_a_rename_that_collides_is_refused(
    preset: str | None, rename: dict[str, str], fields: list[str] | None, error: str
) -> None:
    """Two fields at one output name, or one field where another needs an object, fail validation."""
    data: dict[str, Any] = {"type": "json", "preset": preset, "rename": rename, "fields": fields}
    with pytest.raises(ValidationError) as info:
        JsonFormatterSpec.model_validate(data)
    (problem,) = info.value.errors()
    assert problem["loc"] == ("rename",)
    pattern = error if error.endswith(".*") else re.escape(error)  # the others are the very text
    assert re.match(rf"^Value error, {pattern}$", problem["msg"]), problem["msg"]


def test_a_colliding_rename_is_reported_with_its_place(tmp_path: Path) -> None:
    """`logboot check` names the file, line and key of a rename that collides."""
    path = tmp_path / "p.yaml"
    path.write_text(
        "version: 1\nformatters:\n  j:\n    type: json\n    preset: ecs\n    rename: {logger: log.level}\n",
        encoding="utf-8",
    )
    result = logboot.check_profile(path, environ={})
    assert not result.ok
    (problem,) = [str(p) for p in result.problems]
    assert "formatters.j.rename" in problem
    assert "`level` and `logger` would both be written as 'log.level'" in problem


@pytest.mark.parametrize("preset", [None, *PRESETS])
def test_every_preset_is_a_valid_shape(preset: str | None) -> None:
    """No two fields of a preset meet, with every field on, and each field is written once."""
    resolved = shape(preset, None)
    names = [item.name for item in resolved.items]
    assert len(names) == len(set(names))
    items, _ = preset_items(preset)
    assert {item.field for item in items} >= {"time", "level", "message", "exception", "stack"}


# --- hostile input ---------------------------------------------------------------------------


class Broken:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def hostile(logger: logging.Logger) -> int:
    """Records that try to forge lines or fields, or that JSON cannot hold."""
    loop: list[Any] = []
    loop.append(loop)
    logger.info('line\nFAKE {"log.level": "error"}\r\x1b[31m\u2028\x00end')
    logger.info("x" * 1_000_000)
    logger.info(
        "forging",
        extra={
            "@timestamp": "1970",
            "log.level": "forged",
            "severity": "forged",
            "status": "forged",
            "SeverityText": "forged",
            "level": "forged",
            "log": "forged",
            "error": {"type": "forged"},
        },
    )
    logger.info("odd keys", extra={1: "one", None: "none", (1, 2): "pair"})  # type: ignore[dict-item]
    logger.info("odd values", extra={"loop": loop, "pairs": {(1, 2): "x"}, "obj": object()})
    logger.info("secret %s", "hunter2-abc", extra={"token": "t0ps3cret"})
    with logboot.context(request_id="r\n1"):
        logger.info("in context")
    return 7


@pytest.mark.parametrize("preset", PRESETS)
def test_hostile_records_stay_one_line_each_and_forge_nothing(preset: str, tmp_path: Path) -> None:
    """Control characters are escaped, huge and odd values never lose a record, an `extra`
    named like a preset's field never replaces it, and redaction still applies."""
    records = run(tmp_path, f"{{type: json, preset: {preset}}}", hostile)
    message_key = "Body" if preset == "otel" else "message"
    assert records[0][message_key].startswith("line\nFAKE")
    assert len(records[1][message_key]) == 1_000_000
    forging = flat(records[2])
    assert forging[message_key] == "forging"
    written = _written_names(preset)
    for key, value in forging.items():
        if value in ("forged", "1970"):  # an `extra` that was kept: it meets no name of the preset's
            assert not any(_meet(key, name) for name in written), (preset, key)
    assert any(value == "forged" for value in forging.values())  # the others are kept
    keys = records[3].get("Attributes", records[3])
    assert (keys["1"], keys["(1, 2)"]) == ("one", "pair")
    assert "none" in keys.values()
    odd = records[4].get("Attributes", records[4])
    assert odd["obj"].startswith("<object object at 0x")
    assert odd["loop"] == ["[REDACTED]"]  # redaction's own answer to a cycle, before the formatter
    secret = records[5]
    assert secret[message_key] == "secret [REDACTED]"
    assert secret.get("Attributes", secret)["token"] == "[REDACTED]"  # noqa: S105 - the redacted text
    assert records[6].get("Attributes", records[6])["request_id"] == "r\n1"


def _written_names(preset: str) -> set[str]:
    """Every name a preset may write, dotted (``log.level``, ``log.origin.file.name``)."""
    return {".".join(item.path) for item in shape(preset, None).items}


def _meet(a: str, b: str) -> bool:
    """Two dotted names meet: equal, or one is an object on the way to the other."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


@pytest.mark.parametrize("preset", PRESETS)
def test_an_extra_never_replaces_a_preset_field(preset: str) -> None:
    """Every name a preset writes, given as an `extra`, leaves the preset's value in place."""
    record = logging.LogRecord("app", logging.ERROR, __file__, 3, "real", None, None, "fn")
    for item in shape(preset, None).items:
        for name in (".".join(item.path), item.path[0]):
            if name not in STANDARD_ATTRS:  # not the record's own attributes (`process`, `message`)
                record.__dict__[name] = "forged"
    line = JsonFormatter(None, True, preset).format(record)
    data = flat(json.loads(line))
    for item in shape(preset, None).items:
        if item.kind in ("exc_type", "exc_message", "exc_traceback", "stack"):
            continue
        name = ".".join(item.path)
        assert data[name] != "forged", (preset, name)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_value_without_a_repr_never_loses_a_record(preset: str, tmp_path: Path) -> None:
    """Values JSON cannot hold are written as their repr, one whose repr raises as a placeholder."""

    def emit(logger: logging.Logger) -> int:
        loop: list[Any] = []
        loop.append(loop)
        logger.warning("odd", extra={"broken": Broken(), "fine": 1, "loop": loop, "pairs": {(1, 2): "x"}})
        return 1

    (record,) = run(tmp_path, f"{{type: json, preset: {preset}}}", emit, redact=False)
    extras = record.get("Attributes", record)
    assert extras["broken"] == "<unrepresentable Broken object>"
    assert extras["fine"] == 1
    assert (extras["loop"], extras["pairs"]) == ("[[...]]", "{(1, 2): 'x'}")  # as their repr
    assert record["Body" if preset == "otel" else "message"] == "odd"
