"""The exported JSON Schema under plain Draft 2020-12 validators: the check-jsonschema CLI, as editors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import logboot
from logboot.profile.reading import INTERPOLATION_PATTERN, read_text
from logboot.profile.schema import json_schema

REPO = Path(__file__).resolve().parent.parent
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
SHIPPED = sorted(
    [
        *(REPO / "configs").glob("*.yaml"),
        *(REPO / "examples" / "profiles").glob("*.yaml"),
        *(REPO / "logboot" / "templates").glob("*.yaml"),
    ]
)
# The invalid profiles whose problem is in one file's shape (not in references between
# sections, in the YAML itself or in the environment), with where the validator finds it.
INVALID = {
    "bad_duration": "$.queues.main.block_timeout",
    "bad_enum": "$.queues.main.overflow",
    "bad_level": "$.sinks.console.level",
    "bad_reload": "$.reload.watch",
    "bad_size": "$.sinks.app.max_bytes",
    "bad_throttle": "$.filters.per_thread.key",
    "missing_required_key": "$.sinks.app: 'max_bytes' is a required property",
    "several_problems": "$.sinks.console.stream",
    "throttle_typo": "$.filters.storm: Additional properties are not allowed ('brust' was unexpected)",
    "unknown_key": "$.queues.main: Additional properties are not allowed ('max_sise' was unexpected)",
    "unknown_sink_type": "$.sinks.app.type: 'rotatin_file' is not one of ['console', 'file'",
    "unquoted_null": "$.sinks.discard.type",
    "wrong_type": "$.sinks.app.backup_count",
    "wrong_version": "$.version",
}
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The schema ``logboot schema`` prints (tests/test_cli.py holds them equal), as a file."""
    path = tmp_path_factory.mktemp("schema") / "logboot.schema.json"
    path.write_text(json.dumps(json_schema(), indent=2), encoding="utf-8")
    yield path


def check_jsonschema(schema: Path, *profiles: Path) -> subprocess.CompletedProcess[str]:
    """Run the ``check-jsonschema`` CLI over ``profiles``."""
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--schemafile", str(schema), *map(str, profiles)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_shipped_profile_passes_check_jsonschema(schema_file: Path) -> None:
    """configs/, examples/profiles/ and the templates, each file as an editor sees it (profiles that
    `extends` another included), pass check-jsonschema."""
    assert len(SHIPPED) >= 16
    result = check_jsonschema(schema_file, *SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.parametrize("case", INVALID)
def test_check_jsonschema_rejects_an_invalid_profile_where_it_is_wrong(schema_file: Path, case: str) -> None:
    """Each invalid profile fails check-jsonschema, which names the key in error."""
    path = REPO / "tests" / "profiles" / "invalid" / f"{case}.yaml"
    result = check_jsonschema(schema_file, path)
    assert result.returncode == 1, result.stdout
    assert INVALID[case] in result.stdout


def test_a_misspelled_sink_key_is_named_not_a_missing_key_of_another_type(
    schema_file: Path, tmp_path: Path
) -> None:
    """A typo in a sink's key is reported as that key, for the sink's own type, and nothing else."""
    path = tmp_path / "typo.yaml"
    path.write_text(
        "version: 1\nsinks:\n  console: {type: console, levle: ERROR}\n"
        "queues: {main: {}}\nlisteners:\n  main: {queue: main, sinks: [console]}\n",
        encoding="utf-8",
    )
    result = check_jsonschema(schema_file, path)
    assert result.returncode == 1
    errors = [line.strip() for line in result.stdout.splitlines() if "::" in line]
    assert errors == [
        f"{path}::$.sinks.console: Additional properties are not allowed ('levle' was unexpected)"
    ]
    assert "required property" not in result.stdout


INTERPOLATED = """\
version: 1
formatters:
  line: {type: "${FORMAT_TYPE:-text}", format: "{message}", style: "{"}
sinks:
  console:
    type: console
    level: ${CONSOLE_LEVEL:-WARNING}
    stream: ${STREAM:-stderr}
    color: ${COLOR:-never}
    formatter: line
  app:
    type: rotating_file
    path: ${LOG_DIR:-logs}/app.log
    max_bytes: ${MAX_BYTES:-10MiB}
    backup_count: ${BACKUPS:-5}
    mode: "${MODE:-0640}"
queues:
  main:
    max_size: "${QUEUE_SIZE:-1000}"
    overflow: ${OVERFLOW:-block}
    block_timeout: ${BLOCK_TIMEOUT:-2s}
    shed_below: ${SHED:-INFO}
    shed_at: ${SHED_AT:-0.9}
listeners:
  main: {queue: main, sinks: [console, app]}
root: {level: "${LEVEL}", queue: main}
loggers:
  urllib3: {level: "${URLLIB3_LEVEL:-ERROR}", propagate: "${PROPAGATE:-true}"}
shutdown: {timeout: "${TIMEOUT:-5}s"}
"""


def test_interpolation_in_typed_fields_passes_check_and_check_jsonschema(
    schema_file: Path, tmp_path: Path
) -> None:
    """`${NAME}` and `${NAME:-default}` in level, integer, size, duration, enum, boolean, file mode,
    number and type fields: valid for `logboot check` (with LEVEL set) and for the schema."""
    path = tmp_path / "interpolated.yaml"
    path.write_text(INTERPOLATED, encoding="utf-8")
    logboot.load_profile(path, environ={"LEVEL": "INFO"})
    result = check_jsonschema(schema_file, path)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "value",
    ["${1LEVEL}", "${LEVEL", "${LEVEL-INFO}", "${LEVEL:-${DEFAULT}}", "${}", "$${LEVEL}", "LEVEL"],
)
def test_what_the_reader_refuses_the_schema_refuses(schema_file: Path, tmp_path: Path, value: str) -> None:
    """A level that is no valid reference (nor a level) fails check-jsonschema as it fails `check`."""
    path = tmp_path / "p.yaml"
    path.write_text(f"version: 1\nroot: {{level: {json.dumps(value)}}}\n", encoding="utf-8")
    result = check_jsonschema(schema_file, path)
    assert result.returncode == 1, result.stdout
    assert "$.root.level" in result.stdout
    with pytest.raises(logboot.ProfileError):
        logboot.load_profile(path, environ={"LEVEL": "INFO", "DEFAULT": "INFO"})


class _Everything(dict[str, str]):
    """An environment in which every variable is set, to ``value``."""

    def __init__(self, value: str) -> None:
        super().__init__()
        self.value = value

    def get(self, key: str, default: object = None) -> str:  # type: ignore[override]
        return self.value


@given(st.text(alphabet="${}:-_aZ9 x", max_size=14))
def test_the_schema_pattern_is_the_reader_syntax(text: str) -> None:
    """A string matches INTERPOLATION_PATTERN exactly when the reader expands it without a problem
    and it holds at least one reference (its value depends on the environment)."""
    document = f"v: {json.dumps(text)}\n"
    one, other = read_text(document, environ=_Everything("1")), read_text(document, environ=_Everything("2"))
    expands = not one.problems and one.data != other.data
    assert (re.fullmatch(INTERPOLATION_PATTERN, text) is not None) == expands
