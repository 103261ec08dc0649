"""``type: syslog``: RFC 5424 messages over TCP (optionally TLS), UDP or a Unix socket.

Written on the standard library's ``socket`` and ``ssl`` rather than ``SysLogHandler``,
which speaks RFC 3164, glues messages together over TCP, raises in its constructor
when the receiver is down and never reconnects. Here the listener formats each record
into a whole RFC 5424 message (``format_batch``: a batch at a time, ``format``: one) and
hands the batch to the buffer of a ``RemoteSink``; its sender thread frames (TCP: octet
counting, RFC 6587) a whole batch at once and sends it in one system call.

What TCP cannot tell: bytes the kernel accepted before the receiver died are lost
without an error. Before each send the sink looks whether the receiver has closed the
connection, so a receiver that stops cleanly costs nothing uncounted; one that dies
with unread data in its socket loses that data. UDP loses silently by design.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import select
import socket
import ssl
import time
from typing import TYPE_CHECKING

from logboot.errors import SetupError
from logboot.formatters.text import TextFormatter
from logboot.sinks.base import whole_chunks
from logboot.sinks.remote import RemoteSink, SendError
from logboot.sinks.rfc5424 import MessageBuilder, default_app_name
from logboot.values.addresses import split_host_port

if TYPE_CHECKING:
    from logboot.sinks.syslog_spec import SyslogSinkSpec, SyslogTlsSpec

UDP_MAX = 65_507  # largest UDP payload over IPv4; a longer message is cut
GOODBYE_WAIT = 1.0  # seconds close() waits for the receiver to read what was sent


class SyslogSink(RemoteSink[bytes]):
    """Ships RFC 5424 messages to a syslog receiver."""

    kind = "syslog"
    batch_max = 4096  # most messages a send: a sender that fell behind catches up in one system call

    def __init__(
        self,
        *,
        protocol: str,
        address: str,
        builder: MessageBuilder,
        timeout: float = 5.0,
        tls: ssl.SSLContext | None = None,
        server_name: str | None = None,
        buffer_size: int = 10_000,
        backoff_max: float = 30.0,
    ) -> None:
        super().__init__(buffer_size=buffer_size, backoff_max=backoff_max)
        self.protocol = protocol
        self.address = address
        self.builder = builder
        self.timeout = timeout
        self.tls = tls
        self.server_name = server_name
        self.setFormatter(TextFormatter("{message}"))  # the header carries time, level, logger
        self._sock: socket.socket | None = None
        self._stream = protocol == "tcp"

    # --- the listener's side ------------------------------------------------------------

    def format(self, record: logging.LogRecord) -> str:
        """The whole RFC 5424 message; MSG is the record as the sink's formatter lays it out."""
        return self.builder.build(record, super().format(record))

    def format_batch(self, records: list[logging.LogRecord]) -> list[str]:
        """``format`` for each record of a batch (what the listener calls): the formatter
        lays out the MSGs in one call where it can (logboot's compiled layouts), the
        builder puts on the headers in one loop."""
        formatter = self.formatter
        if type(self).format is not SyslogSink.format or formatter is None:
            return [self.format(record) for record in records]  # a subclass's own format
        many = getattr(formatter, "format_batch", None)
        messages = many(records) if many is not None else [formatter.format(r) for r in records]
        return self.builder.build_batch(records, messages)

    def write_lines(self, lines: list[str]) -> int:
        self.offer([line.encode("utf-8", "backslashreplace") for line in lines])
        return len(lines)

    def target(self) -> str:
        scheme = "tls" if self.tls is not None else self.protocol
        if self.protocol == "unix":
            return f"syslog unix:{self.address}"
        return f"syslog {scheme}://{self.address}"

    # --- the sender thread ------------------------------------------------------------

    def connect(self) -> None:
        if self.protocol == "unix":
            self._sock = self._connect_unix()
            return
        host, port = split_host_port(self.address)
        if self.protocol == "udp":
            family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(self.timeout)
                sock.connect(where)  # so that "port unreachable" comes back as an error
            except OSError:
                sock.close()
                raise
            self._sock = sock
            return
        sock = socket.create_connection((host, port), timeout=self.timeout)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=self.server_name or host)
            except OSError:
                sock.close()
                raise
        sock.settimeout(self.timeout)
        self._sock = sock

    def _connect_unix(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.address)
            self._stream = False
            return sock
        except OSError as err:
            sock.close()
            if err.errno != errno.EPROTOTYPE:
                raise
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a stream socket: frame as TCP
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.address)
        except OSError:
            sock.close()
            raise
        self._stream = True
        return sock

    def send(self, items: list[bytes]) -> None:
        sock = self._sock
        assert sock is not None
        if self._stream:
            _send_frames(sock, items)
            return
        limit = UDP_MAX if self.protocol == "udp" else None
        for index, message in enumerate(items):
            try:
                sock.send(message[:limit] if limit else message)
            except OSError as err:
                if err.errno == errno.EMSGSIZE:  # too long for this socket: it never will fit
                    raise SendError(index, err, rejected=1) from err
                raise SendError(index, err) from err

    def alive(self) -> bool:
        """Whether a stream connection is still open: the receiver never sends, so anything
        readable is its end of the stream (or a reset)."""
        sock = self._sock
        if sock is None or not self._stream:
            return sock is not None
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return True
            if isinstance(sock, ssl.SSLSocket):
                sock.setblocking(False)
                try:
                    return bool(sock.recv(4096))
                except ssl.SSLWantReadError:
                    return True  # TLS housekeeping (a session ticket), not the end
                finally:
                    sock.settimeout(self.timeout)
            return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except (OSError, ValueError):
            return False

    def disconnect(self, graceful: bool = False) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if graceful and self._stream:
            _finish_stream(sock, min(self.timeout, GOODBYE_WAIT))
        with contextlib.suppress(OSError):
            sock.close()

    def forget(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()  # this process's descriptor only: the parent's connection stays

    def interrupt(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _finish_stream(sock: socket.socket, wait: float) -> None:
    """Half-close, then wait (at most ``wait``) for the receiver to close its side: once it
    has, it has read everything sent, so ``stop()`` returns only after delivery."""
    deadline = time.monotonic() + wait
    try:
        sock.shutdown(socket.SHUT_WR)
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            if not sock.recv(4096):
                return
    except (OSError, ValueError):
        return


def _send_frames(sock: socket.socket, messages: list[bytes]) -> None:
    """Send octet-counted frames; on a failure, say how many whole frames went out."""
    # Each frame's "MSG-LEN SP" and the message, interleaved and joined once: what
    # ``octet_frame`` does to each, in 60% of the time (no new frame a message).
    parts = [b""] * (2 * len(messages))
    parts[::2] = [b"%d " % size for size in map(len, messages)]
    parts[1::2] = messages
    data = b"".join(parts)
    done = 0
    try:
        done = sock.send(data)  # nearly always all of it: the batch fits the socket's buffer
        if done < len(data):
            rest = memoryview(data)
            while done < len(data):
                done += sock.send(rest[done:])
    except OSError as err:
        frames = [head + message for head, message in zip(parts[::2], messages, strict=True)]
        raise SendError(whole_chunks(frames, done), err) from err


def tls_context(spec: SyslogTlsSpec) -> ssl.SSLContext:
    """A client context from the profile's ``tls`` keys; files are read now, at build."""
    try:
        context = ssl.create_default_context(cafile=spec.ca_file)
        if spec.cert_file:
            context.load_cert_chain(spec.cert_file, spec.key_file)
    except (OSError, ssl.SSLError) as err:
        raise SetupError(f"cannot load the TLS files: {err}") from err
    if not spec.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def build(spec: SyslogSinkSpec) -> SyslogSink:
    builder = MessageBuilder(
        facility=spec.facility,
        hostname=spec.hostname or socket.gethostname(),
        app_name=spec.app_name or default_app_name(),
        sd_id=spec.sd_id,
        sd_keys=spec.structured_data,
        utf8_bom=spec.utf8_bom,
    )
    return SyslogSink(
        protocol=spec.protocol,
        address=spec.address,
        builder=builder,
        timeout=spec.timeout,
        tls=tls_context(spec.tls) if spec.tls is not None else None,
        server_name=spec.tls.server_name if spec.tls is not None else None,
        buffer_size=spec.buffer_size,
        backoff_max=spec.backoff_max,
    )
