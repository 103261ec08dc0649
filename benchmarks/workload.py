"""The workload every variant runs, and the line-by-line check of what reached the file.

Each record is ``logger.info("user %s did %s in %d ms", who, action, seq)`` where ``who``
and ``action`` follow from ``seq``, so a line that was torn, spliced or duplicated is
caught: every ``seq`` must appear exactly once, on a whole line, with its own words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

MESSAGE = "user %s did %s in %d ms"  # the stdlib form
MESSAGE_BRACES = "user {} did {} in {} ms"  # loguru formats with str.format
LOGGER_NAME = "bench"
WHO = ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
ACTIONS = ("login", "logout", "upload", "search", "delete")

# The layout every variant writes (about 90 bytes a line):
#   2025-11-26 23:04:00,123 INFO     MainThread bench: user alice did login in 12345 ms
STDLIB_FORMAT = "%(asctime)s %(levelname)-8s %(threadName)s %(name)s: %(message)s"
LOGBOOT_FORMAT = "{asctime} {levelname:<8} {threadName} {name}: {message}"
LOGURU_FORMAT = "{time:YYYY-MM-DD HH:mm:ss.SSS} {level: <8} {thread.name} bench: {message}"

# The JSON scenario's lines: the same fields as objects (python-json-logger and logboot).
JSON_STDLIB_FORMAT = "%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s"
JSON_FIELDS = ("time", "level", "logger", "thread_name", "message", "extra")

_TEXT = r"user (?P<who>[a-z]+) did (?P<action>[a-z]+) in (?P<seq>\d+) ms"
_TIME = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.,]\d{3}(?:Z|[+-]\d\d:\d\d)?"
LINE = re.compile(rf"{_TIME} INFO {{5}}\S+ bench: {_TEXT}")
# The layout picologging gets right (benchmarks/variants.py: PICO_FORMAT): whole seconds,
# the level without padding, the thread id.
PLAIN_LINE = re.compile(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d INFO \d+ bench: {_TEXT}")
MESSAGE_TEXT = re.compile(_TEXT)
TIME = re.compile(_TIME)

# The large scenario's messages: the workload's message followed by printable padding, so
# that the merged message is ``size`` bytes (ASCII); the check strips the padding again.
_FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def padding(size: int) -> str:
    """The text after the workload's message that makes a message of about ``size`` bytes."""
    wanted = max(0, size - len("user alice did login in 12345 ms "))
    return " " + (_FILLER * (wanted // len(_FILLER) + 1))[:wanted]


def padded(message: str, size: int) -> str:
    """``message`` (a format) with ``padding(size)`` after it; a literal "%" cannot occur in it."""
    return message + padding(size)


def produce(info: Callable[..., object], message: str, seqs: Iterable[int]) -> None:
    """Log one record per ``seq`` through ``info`` (a bound ``logger.info``)."""
    who, actions = WHO, ACTIONS
    nwho, nact = len(who), len(actions)
    for seq in seqs:
        info(message, who[seq % nwho], actions[seq % nact], seq)


@dataclass
class Verification:
    """What a check of the output files found."""

    expected: int
    lines: int = 0
    malformed: int = 0
    duplicates: int = 0
    unexpected: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.expected - (self.lines - self.malformed - self.duplicates - self.unexpected)

    @property
    def whole(self) -> bool:
        """Every line is whole, known and unique (records may be missing)."""
        return not (self.malformed or self.duplicates or self.unexpected)

    @property
    def exact(self) -> bool:
        """Every record arrived exactly once, whole."""
        return self.whole and self.missing == 0

    def note(self, problem: str) -> None:
        if len(self.examples) < 3:
            self.examples.append(problem)

    def summary(self) -> str:
        text = (
            f"{self.lines} lines for {self.expected} records: {self.missing} missing, "
            f"{self.duplicates} duplicated, {self.malformed} malformed, {self.unexpected} unknown"
        )
        if self.examples:
            text += "; e.g. " + "; ".join(self.examples)
        return text


def json_match(line: str) -> re.Match[str] | None:
    """The message of a whole JSON line of the workload (either JSON layout), or None."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    level = fields.get("level", fields.get("levelname"))
    logger = fields.get("logger", fields.get("name"))
    stamp = str(fields.get("time", fields.get("asctime")))
    if level != "INFO" or logger != LOGGER_NAME or not TIME.fullmatch(stamp):
        return None
    return MESSAGE_TEXT.fullmatch(str(fields.get("message")))


def verify(
    paths: Iterable[Path], expected: int, as_json: bool = False, pad: str = "", plain: bool = False
) -> Verification:
    """Check that the lines of ``paths`` hold records ``0 .. expected-1``, each once, whole
    (each ending with ``pad`` exactly, when given: the large scenario's padding; in the
    ``PLAIN_LINE`` layout when ``plain``)."""
    result = Verification(expected)
    seen = bytearray(expected)
    match = json_match if as_json else (PLAIN_LINE if plain else LINE).fullmatch
    nwho, nact = len(WHO), len(ACTIONS)
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            result.malformed += 1
            result.note(f"{path.name} does not end with a newline")
        for raw in data.splitlines():
            result.lines += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                result.malformed += 1
                result.note(f"undecodable line {raw[:60]!r}")
                continue
            if pad:
                if not line.endswith(pad):
                    result.malformed += 1
                    result.note(f"line without its whole padding {line[:100]!r}")
                    continue
                line = line[: -len(pad)]
            found = match(line)
            if found is None:
                result.malformed += 1
                result.note(f"malformed line {line[:100]!r}")
                continue
            seq = int(found["seq"])
            if seq >= expected or found["who"] != WHO[seq % nwho] or found["action"] != ACTIONS[seq % nact]:
                result.unexpected += 1
                result.note(f"unknown record {line[-60:]!r}")
                continue
            if seen[seq]:
                result.duplicates += 1
                result.note(f"record {seq} twice")
                continue
            seen[seq] = 1
    return result
