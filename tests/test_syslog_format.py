"""RFC 5424 messages and RFC 6587 octet-counting frames, as the syslog sink builds them."""

from __future__ import annotations

import logging
import re
import socket
import ssl
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logboot.errors import SetupError
from logboot.formatters.json import JsonFormatter
from logboot.profile.schema import SyslogTlsSpec
from logboot.sinks.remote import SendError
from logboot.sinks.rfc5424 import (
    Clock,
    MessageBuilder,
    default_app_name,
    facility_code,
    header_field,
    octet_frame,
    param_value,
    severity,
    structured_data,
)
from logboot.sinks.syslog import SyslogSink, _send_frames, tls_context

_SD_NAME = r"[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}"
RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<timestamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
    r"(?P<hostname>[\x21-\x7e]{1,255}) (?P<app_name>[\x21-\x7e]{1,48}) (?P<procid>[\x21-\x7e]{1,128}) "
    r"(?P<msgid>[\x21-\x7e]{1,32}) "
    rf'(?P<sd>-|\[{_SD_NAME}(?: {_SD_NAME}="(?:[^"\\\]]|\\.)*")*\]) (?P<msg>.*)$',
    re.DOTALL,
)
_PARAM = re.compile(r'(\S+?)="((?:[^"\\\]]|\\.)*)"')


def record(
    msg: str = "hello", *, name: str = "app.db", level: int = logging.INFO, **extra: object
) -> logging.LogRecord:
    """A record as the listener receives it, created at a fixed time."""
    rec = logging.LogRecord(name, level, __file__, 10, msg, None, None)
    rec.created = 1_700_000_000.25
    rec.process = 4242
    rec.__dict__.update(extra)
    return rec


def builder(**options: object) -> MessageBuilder:
    settings: dict[str, object] = {"facility": "local0", "hostname": "web-1", "app_name": "shop"}
    settings.update(options)
    return MessageBuilder(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("level", "expected"),
    [(0, 7), (5, 7), (10, 7), (19, 7), (20, 6), (25, 6), (30, 4), (40, 3), (45, 3), (50, 2), (60, 2)],
)
def test_levels_map_to_syslog_severities(level: int, expected: int) -> None:
    """DEBUG 7, INFO 6, WARNING 4, ERROR 3, CRITICAL 2; levels in between take the lower one."""
    assert severity(level) == expected


def test_facilities_have_their_rfc_codes() -> None:
    """kern is 0, user 1, local0 16, local7 23."""
    assert [facility_code(n) for n in ("kern", "user", "authpriv", "local0", "local7")] == [0, 1, 10, 16, 23]


def test_a_whole_message_has_every_header_field() -> None:
    """PRI, version, UTC time with microseconds, host, app, pid, logger as MSGID, SD, MSG."""
    rec = record("paid", request_id="r-1", user='a"b]c\\d')
    text = builder(sd_keys=["request_id", "user", "absent"]).build(rec, "paid")
    assert text == (
        "<134>1 2023-11-14T22:13:20.250000Z web-1 shop 4242 app.db "
        '[logboot@32473 request_id="r-1" user="a\\"b\\]c\\\\d"] paid'
    )
    assert RFC5424.match(text)


def test_no_structured_data_is_a_dash() -> None:
    """Without configured keys, or when a record has none of them, SD is the NILVALUE."""
    assert builder().build(record(), "x").split(" ")[6] == "-"
    assert builder(sd_keys=["request_id"]).build(record(), "x").split(" ")[6] == "-"


def test_header_fields_are_printable_ascii_and_cut_to_length() -> None:
    """Spaces and non-ASCII become '_', fields are cut to the RFC's lengths, empty is '-'."""
    assert header_field("my app", 48) == "my_app"
    assert header_field("café", 48) == "caf_"
    assert header_field("x" * 60, 48) == "x" * 48
    assert header_field("", 48) == "-"
    long_logger = "a.b" * 20
    assert builder().build(record(name=long_logger), "m").split(" ")[5] == long_logger[:32]


def test_param_values_escape_quote_backslash_and_bracket() -> None:
    """'"', '\\' and ']' get a backslash (RFC 5424 section 6.3.3); other values use their repr."""
    assert param_value('say "hi" \\ [ok]') == 'say \\"hi\\" \\\\ [ok\\]'
    assert param_value(3) == "3"
    assert structured_data("id@1", []) == "-"
    assert structured_data("id@1", [("a", "1"), ("b", 2)]) == '[id@1 a="1" b="2"]'


def test_time_stamps_are_utc_with_microseconds() -> None:
    """RFC 3339 in UTC with six fractional digits, never rounded up into the next second."""
    clock = Clock()
    assert clock.stamp(0.5) == "1970-01-01T00:00:00.500000Z"
    assert clock.stamp(0.9999999) == "1970-01-01T00:00:00.999999Z"
    assert clock.stamp(86_400.000001) == "1970-01-02T00:00:00.000001Z"


def test_bom_marks_utf8_text_when_asked() -> None:
    """utf8_bom puts U+FEFF before MSG (RFC 5424 section 6.4)."""
    assert builder(utf8_bom=True).build(record(), "ünï").endswith(" \ufeffünï")
    assert builder().build(record(), "ünï").endswith(" ünï")


def test_default_app_name_is_the_program() -> None:
    """Without app_name, the program's file name (as ps shows it) is used."""
    assert default_app_name() == header_field(sys.argv[0].rsplit("/", 1)[-1] or "python", 48)


def test_octet_frames_count_bytes_not_characters() -> None:
    """MSG-LEN counts the UTF-8 bytes of the message (RFC 6587 section 3.4.1)."""
    message = "ü\nline".encode()
    assert octet_frame(message) == b"7 \xc3\xbc\nline"


@given(
    msg=st.text(),
    name=st.text(min_size=1),
    value=st.text(),
    level=st.integers(min_value=0, max_value=60),
)
def test_any_record_makes_a_well_formed_message(msg: str, name: str, value: str, level: int) -> None:
    """Whatever the logger name, message and extra values, the result parses as RFC 5424."""
    rec = record(msg, name=name, level=level, key=value)
    text = builder(sd_keys=["key"]).build(rec, msg)
    match = RFC5424.match(text)
    assert match is not None, text
    assert match["msg"] == msg
    assert int(match["pri"]) == 16 * 8 + severity(level)
    params = dict(_PARAM.findall(match["sd"]))
    assert re.sub(r"\\(.)", r"\1", params["key"]) == value


def sink(**options: object) -> SyslogSink:
    settings: dict[str, object] = {"protocol": "tcp", "address": "127.0.0.1:1", "builder": builder()}
    settings.update(options)
    return SyslogSink(**settings)  # type: ignore[arg-type]


def test_sink_format_keeps_a_traceback_inside_one_message() -> None:
    """MSG is the escaped message plus the indented traceback; the only line breaks are the traceback's."""
    rec = record("failed\n<14>1 forged")
    rec.exc_text = 'Traceback (most recent call last):\n  File "x", line 1\nValueError: bad'
    text = sink().format(rec)
    assert text.endswith(
        " failed\\n<14>1 forged"
        '\n    Traceback (most recent call last):\n      File "x", line 1\n    ValueError: bad'
    )
    assert text.count("\n") == 3
    assert RFC5424.match(text)


def test_sink_format_uses_a_configured_formatter_for_msg() -> None:
    """A formatter named in the profile lays out MSG (here JSON); the header stays RFC 5424."""
    syslog_sink = sink()
    syslog_sink.setFormatter(JsonFormatter(["level", "message"]))
    match = RFC5424.match(syslog_sink.format(record("hi")))
    assert match is not None
    assert match["msg"] == '{"level": "INFO", "message": "hi"}'


_BATCH_RECORDS = st.lists(
    st.tuples(
        st.sampled_from([logging.DEBUG, logging.INFO, 25, logging.ERROR]),
        st.sampled_from(["app", "app.db", "x y", ""]),
        st.sampled_from([4242, 4243, None]),
        # Around second boundaries, before 1970 too, and where six digits would round up.
        st.sampled_from([1_700_000_000, 1_700_000_001, 0, -2]).flatmap(
            lambda second: st.floats(second - 0.000001, second + 0.9999999)
        ),
        st.text(max_size=12),
    ),
    max_size=12,
)


@given(rows=_BATCH_RECORDS, sd=st.booleans(), bom=st.booleans())
def test_a_batch_is_built_as_each_record_alone(
    rows: list[tuple[int, str, int | None, float, str]], sd: bool, bom: bool
) -> None:
    """build_batch gives each record of a batch what build gives it alone: levels, loggers,
    processes and seconds changing from one record to the next, structured data or not."""
    records = []
    for level, name, process, created, value in rows:
        rec = record(value, name=name or "root", level=level, request_id=value)
        rec.process, rec.created = process, created  # type: ignore[assignment]
        records.append(rec)
    messages = [rec.msg for rec in records]
    made = builder(sd_keys=["request_id"] if sd else [], utf8_bom=bom)
    alone = builder(sd_keys=["request_id"] if sd else [], utf8_bom=bom)
    assert made.build_batch(records, messages) == [
        alone.build(r, m) for r, m in zip(records, messages, strict=True)
    ]


@pytest.mark.parametrize(
    "formatter",
    [None, JsonFormatter(["level", "message"]), logging.Formatter("%(levelname)s %(message)s")],
    ids=["default", "json", "stdlib"],
)
def test_sink_format_batch_is_format_for_each_record(formatter: logging.Formatter | None) -> None:
    """The listener's call for a batch lays out each record as ``format`` does alone, with the
    sink's default formatter, a compiled one, or one without a batch call of its own."""
    syslog_sink = sink()
    if formatter is not None:
        syslog_sink.setFormatter(formatter)
    failed = record("failed\n<14>1 forged", level=logging.ERROR)
    failed.exc_text = "Traceback (most recent call last):\nValueError: bad"
    merged = logging.LogRecord("app", logging.WARNING, __file__, 1, "user %s took %d ms", ("bob", 7), None)
    merged.process = None
    records = [record("one"), failed, merged, record("ünï", name="other")]
    assert syslog_sink.format_batch(records) == [syslog_sink.format(rec) for rec in records]


def test_a_subclass_that_formats_its_own_way_keeps_its_way_in_batches() -> None:
    """A subclass overriding ``format`` gets its own text in the listener's batches too."""

    class Tagged(SyslogSink):
        def format(self, record: logging.LogRecord) -> str:
            return "tagged " + super().format(record)

    tagged = Tagged(protocol="tcp", address="127.0.0.1:1", builder=builder())
    records = [record("one"), record("two")]
    assert tagged.format_batch(records) == [tagged.format(rec) for rec in records]
    assert all(line.startswith("tagged <134>1 ") for line in tagged.format_batch(records))


class ShortSocket:
    """A socket that takes ``limit`` bytes, then fails."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = b""

    def send(self, data: memoryview) -> int:
        room = self.limit - len(self.data)
        if room <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        chunk = bytes(data[:room])
        self.data += chunk
        return len(chunk)


def test_a_broken_send_reports_the_whole_frames_sent() -> None:
    """When a send breaks mid-frame, only the frames that went out whole count as sent."""
    messages = [b"one", b"two", b"three"]  # frames of 5, 5 and 7 bytes
    fake = ShortSocket(12)
    with pytest.raises(SendError) as caught:
        _send_frames(fake, messages)  # type: ignore[arg-type]
    assert caught.value.sent == 2
    assert fake.data == b"3 one3 two5 "
    _send_frames(ShortSocket(100), messages)  # type: ignore[arg-type]


def test_udp_messages_are_cut_to_one_datagram() -> None:
    """Over UDP a message longer than a datagram can carry is cut, not refused."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    udp = sink(protocol="udp", address=f"127.0.0.1:{receiver.getsockname()[1]}")
    try:
        udp.connect()
        udp.send([b"x" * 70_000, b"short"])
        assert len(receiver.recv(100_000)) == 65_507
        assert receiver.recv(100) == b"short"
    finally:
        udp.disconnect()
        receiver.close()


def test_a_unix_stream_socket_gets_octet_counted_frames(tmp_path: Path) -> None:
    """A Unix socket that refuses datagrams is used as a stream, with octet counting."""
    path = str(tmp_path / "stream.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    server.settimeout(5)
    unix = sink(protocol="unix", address=path)
    try:
        unix.connect()
        unix.send([b"one", "tw\u00f6".encode()])
        conn, _ = server.accept()
        conn.settimeout(5)
        unix.disconnect(graceful=True)
        data = b""
        while chunk := conn.recv(100):
            data += chunk
        assert data == b"3 one4 tw\xc3\xb6"
        conn.close()
    finally:
        unix.disconnect()
        server.close()


def test_a_datagram_too_long_for_a_unix_socket_is_dropped_alone(tmp_path: Path) -> None:
    """A message the local socket can never take is rejected (dropped, counted); the next ones go."""
    path = str(tmp_path / "dgram.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    unix = sink(protocol="unix", address=path)
    try:
        unix.connect()
        with pytest.raises(SendError) as caught:
            unix.send([b"first", b"x" * 10_000_000, b"third"])
        assert (caught.value.sent, caught.value.rejected) == (1, 1)
        unix.send([b"third"])
        assert [server.recv(100), server.recv(100)] == [b"first", b"third"]
    finally:
        unix.disconnect()
        server.close()


def test_tls_settings_are_loaded_at_build(tmp_path: Path) -> None:
    """TLS files are read when the sink is built: a missing one is a SetupError, not a runtime surprise."""
    with pytest.raises(SetupError, match=r"^cannot load the TLS files: .*No such file.*$"):
        tls_context(SyslogTlsSpec(ca_file=str(tmp_path / "missing.pem")))
    with pytest.raises(SetupError, match=r"^cannot load the TLS files: .+$"):
        tls_context(SyslogTlsSpec(cert_file=str(tmp_path / "missing.pem")))
    relaxed = tls_context(SyslogTlsSpec(verify=False))
    assert (relaxed.check_hostname, relaxed.verify_mode) == (False, ssl.CERT_NONE)
    strict = tls_context(SyslogTlsSpec())
    assert (strict.check_hostname, strict.verify_mode) == (True, ssl.CERT_REQUIRED)


def test_targets_name_the_protocol() -> None:
    """describe() says where a sink sends: tcp, tls, udp or a Unix socket path."""
    assert sink().describe() == "syslog tcp://127.0.0.1:1"
    assert sink(tls=ssl.create_default_context()).describe() == "syslog tls://127.0.0.1:1"
    assert sink(protocol="unix", address="/dev/log").describe() == "syslog unix:/dev/log"
