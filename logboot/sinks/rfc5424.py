"""RFC 5424 syslog messages and RFC 6587 octet-counting frames, as pure functions.

A message is ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG``.
Header fields are printable US-ASCII without spaces (anything else becomes ``_``) cut
to the lengths the RFC allows; ``-`` stands for an empty field. MSG is the formatted
record as UTF-8, so a traceback can span lines: over TCP the octet count, not a line
break, tells where a message ends. ``MessageBuilder.build_batch`` writes what ``build``
does for a whole batch, working out the header parts records share once.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# RFC 5424 section 6.2.1: the position in this tuple is the facility's code (0-23).
SYSLOG_FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip

NIL = "-"
BOM = "\ufeff"
# RFC 5424 section 6.2: longest HOSTNAME, APP-NAME, PROCID, MSGID.
HOSTNAME_MAX, APP_NAME_MAX, PROCID_MAX, MSGID_MAX = 255, 48, 128, 32
_NOT_PRINTUSASCII = re.compile(r"[^\x21-\x7e]")
_SD_ESCAPE = re.compile(r'(["\\\]])')


def facility_code(name: str) -> int:
    """``"local0"`` -> 16 (RFC 5424 section 6.2.1)."""
    return SYSLOG_FACILITIES.index(name)


def severity(levelno: int) -> int:
    """A logging level as a syslog severity: CRITICAL 2, ERROR 3, WARNING 4, INFO 6, DEBUG 7."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def header_field(value: object, limit: int) -> str:
    """A header field: printable ASCII, no spaces, at most ``limit`` characters, ``-`` if empty."""
    text = _NOT_PRINTUSASCII.sub("_", str(value))[:limit]
    return text or NIL


def default_app_name() -> str:
    """The program's name, as ``ps`` would show it."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return header_field(name or "python", APP_NAME_MAX)


def param_value(value: Any) -> str:
    """A PARAM-VALUE: ``"``, ``\\`` and ``]`` escaped with a backslash (section 6.3.3)."""
    return _SD_ESCAPE.sub(r"\\\1", value if isinstance(value, str) else repr(value))


def structured_data(sd_id: str, params: Iterable[tuple[str, Any]]) -> str:
    """One SD-ELEMENT ``[id name="value" ...]``, or ``-`` when there are no parameters."""
    body = "".join(f' {name}="{param_value(value)}"' for name, value in params)
    return f"[{sd_id}{body}]" if body else NIL


class Clock:
    """RFC 3339 time stamps in UTC with microseconds, reusing the part down to the second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def stamp(self, created: float) -> str:
        second = int(created)
        micros = min(round((created - second) * 1_000_000), 999_999)
        return f"{self.prefix(second)}.{micros:06d}Z"

    def prefix(self, second: int) -> str:
        """The stamp down to the second (``2026-12-06T22:15:03``) of ``second``."""
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return self._prefix


class MessageBuilder:
    """Builds the RFC 5424 text of a record around its formatted MSG."""

    def __init__(
        self,
        *,
        facility: str = "user",
        hostname: str,
        app_name: str,
        sd_id: str = "logboot@32473",
        sd_keys: Iterable[str] = (),
        utf8_bom: bool = False,
    ) -> None:
        self.facility = facility_code(facility)
        self.hostname = header_field(hostname, HOSTNAME_MAX)
        self.app_name = header_field(app_name, APP_NAME_MAX)
        self.sd_id = sd_id
        self.sd_keys = tuple(sd_keys)
        self.bom = BOM if utf8_bom else ""
        self._clock = Clock()
        self._msgids: dict[str, str] = {}

    def build(self, record: logging.LogRecord, msg: str) -> str:
        """``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`` for ``record``."""
        pri = self.facility * 8 + severity(record.levelno)
        msgid = self._msgids.get(record.name)
        if msgid is None:
            msgid = self._msgids[record.name] = header_field(record.name, MSGID_MAX)
        sd = NIL
        if self.sd_keys:
            fields: Mapping[str, Any] = record.__dict__
            sd = structured_data(self.sd_id, ((k, fields[k]) for k in self.sd_keys if k in fields))
        procid = record.process if record.process is not None else NIL
        return (
            f"<{pri}>1 {self._clock.stamp(record.created)} {self.hostname} {self.app_name} "
            f"{procid} {msgid} {sd} {self.bom}{msg}"
        )

    def build_batch(self, records: Sequence[logging.LogRecord], messages: Sequence[str]) -> list[str]:
        """``build`` for each record of a batch and its MSG, in one loop.

        The header around the time stamp is worked out again only when a record's level,
        logger or process differs from the record before it (in a batch they mostly do
        not), and the stamp's part down to the second when its second does; what is left
        a record is its microseconds and one f-string. Structured data (read from each
        record) takes ``build``.
        """
        if self.sd_keys:
            return [self.build(record, msg) for record, msg in zip(records, messages, strict=True)]
        lines: list[str] = []
        add = lines.append
        prefix_of = self._clock.prefix
        msgids = self._msgids
        level: object = None
        name: object = None
        process: object = NIL  # what no record's process is: the first record sets the header
        head = tail = prefix = ""
        low = high = 0  # low <= created < high: created's second is low (never true before 1970)
        for record, msg in zip(records, messages, strict=True):
            if record.levelno != level or record.name != name or record.process != process:
                level, name, process = record.levelno, record.name, record.process
                head = f"<{self.facility * 8 + severity(record.levelno)}>1 "
                msgid = msgids.get(record.name)
                if msgid is None:
                    msgid = msgids[record.name] = header_field(record.name, MSGID_MAX)
                procid = record.process if record.process is not None else NIL
                tail = f"Z {self.hostname} {self.app_name} {procid} {msgid} {NIL} {self.bom}"
            created = record.created
            if not low <= created < high:
                low = int(created)
                high = low + 1 if created >= 0 else low
                prefix = prefix_of(low)
            micros = round((created - low) * 1_000_000)
            if micros > 999_999:  # noqa: PLR1730 - a compare, not a call of min()
                micros = 999_999
            add(f"{head}{prefix}.{'%06d' % micros}{tail}{msg}")  # noqa: UP031 - %06d: 70 ns less than :06d
        return lines


def octet_frame(message: bytes) -> bytes:
    """RFC 6587 section 3.4.1: ``MSG-LEN SP SYSLOG-MSG``."""
    return b"%d %b" % (len(message), message)
