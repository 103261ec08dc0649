"""Real receivers on 127.0.0.1 for the remote sinks: a private rsyslogd and an OTLP/HTTP server.

rsyslogd runs with its own configuration only (no system config, no /dev/log, its own
pid file and work folder): imtcp on a port it picks (``listenPortFileName``), imudp on
a free port, optionally imuxsock on a socket path, and omfile writing one JSON object
per message with the fields rsyslog's RFC 5424 parser found (or, ``fields=False``, in
omfile's default format). Used by the integration tests and by
``benchmarks/remote_sinks.py``.

Two settings from rsyslog's own performance advice (bigger batches, bigger buffers) are
on: the main queue's worker takes up to 1,024 messages a batch (``queue.dequeueBatchSize``,
256 by default in rsyslog 8.2302) and omfile writes through a 256 KiB buffer
(``ioBufferSize``, default 4 KiB), flushed at the end of each batch as by default. Every
message is still parsed and written as one JSON line; measured (docs/benchmarks.md,
"Shipping off the machine"), they cut rsyslogd's CPU time a message by about a tenth.
Most of what is left is the 12-field JSON template: with omfile's default format instead,
rsyslogd takes half the CPU time a message.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CI = os.environ.get("LOGBOOT_CI") == "1"

_TEMPLATE = """\
global(workDirectory="{work}" maxMessageSize="256k" parser.escapeControlCharactersOnReceive="off")
main_queue(queue.size="500000" queue.timeoutShutdown="10000" queue.dequeueBatchSize="1024")
module(load="imtcp")
module(load="imudp")
{unix_module}
template(name="fields" type="list" option.jsonf="on") {{
  property(outname="protocol_version" name="protocol-version" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="raw" name="rawmsg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
}}
ruleset(name="logboot") {{
  action(type="omfile" file="{output}" {template}ioBufferSize="256k")
}}
input(type="imtcp" address="127.0.0.1" port="{tcp_port}" listenPortFileName="{port_file}" ruleset="logboot")
input(type="imudp" address="127.0.0.1" port="{udp_port}" ruleset="logboot" {rcvbuf})
{unix_input}
"""


def rsyslogd_path() -> str | None:
    """The rsyslogd binary, also where /usr/sbin is not on PATH."""
    return shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin:/sbin")


def free_udp_port() -> int:
    """A UDP port nobody uses on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Rsyslog:
    """A private rsyslogd, started and stopped by the caller; ports survive a restart."""

    def __init__(
        self, folder: Path, *, unix_socket: bool = False, udp_buffer: str | None = "8m", fields: bool = True
    ) -> None:
        binary = rsyslogd_path()
        if binary is None:
            raise FileNotFoundError("rsyslogd is not installed (apt-get install rsyslog)")
        self.binary = binary
        self.folder = folder
        self.work = folder / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.output = folder / "received.jsonl"
        self.config = folder / "rsyslog.conf"
        self.pid_file = folder / "rsyslogd.pid"
        self.port_file = folder / "tcp.port"
        self.log = folder / "rsyslogd.log"
        self.unix_path = folder / "log.sock" if unix_socket else None
        self.udp_buffer = udp_buffer  # imudp's rcvbufSize; None: the kernel's default
        # One JSON object a line of the parsed fields (what ``records`` reads), or else
        # omfile's own default, RSYSLOG_FileFormat: "TIME HOST APP[PROCID] MSG" a line.
        self.fields = fields
        self.tcp_port = 0
        self.udp_port = free_udp_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._offset = 0
        self._parsed: list[dict[str, Any]] = []

    @property
    def tcp_address(self) -> str:
        return f"127.0.0.1:{self.tcp_port}"

    @property
    def udp_address(self) -> str:
        return f"127.0.0.1:{self.udp_port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start rsyslogd and wait until it listens (it writes its pid file after binding)."""
        self.port_file.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)
        unix = self.unix_path
        self.config.write_text(
            _TEMPLATE.format(
                work=self.work,
                output=self.output,
                tcp_port=self.tcp_port,
                udp_port=self.udp_port,
                port_file=self.port_file,
                template='template="fields" ' if self.fields else "",
                rcvbuf=f'rcvbufSize="{self.udp_buffer}"' if self.udp_buffer else "",
                unix_module='module(load="imuxsock" SysSock.Use="off")' if unix else "",
                unix_input=(
                    f'input(type="imuxsock" Socket="{unix}" UseSpecialParser="off" '
                    'ParseHostname="on" ruleset="logboot")'
                    if unix
                    else ""
                ),
            ),
            encoding="utf-8",
        )
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-n", "-f", str(self.config), "-i", str(self.pid_file)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while True:
            if not self.tcp_port:  # written only when rsyslogd picked the port itself
                text = self.port_file.read_text() if self.port_file.exists() else ""
                self.tcp_port = int(text) if text.strip().isdigit() else 0
            ready = self.pid_file.exists() and (unix is None or unix.exists())
            if ready and self.tcp_port:
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rsyslogd did not start; its log:\n{self.log.read_text()}")
            time.sleep(0.01)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (rsyslogd writes what it has) and wait for the process to end."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def records(self) -> list[dict[str, Any]]:
        """Every message written so far (whole lines only; read on from where the last call stopped)."""
        if self.output.exists():
            with self.output.open("rb") as output:
                output.seek(self._offset)
                data = output.read()
            complete = data[: data.rfind(b"\n") + 1]
            self._offset += len(complete)
            self._parsed.extend(json.loads(line) for line in complete.splitlines())
        return list(self._parsed)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Poll the output until ``count`` messages are there (or the deadline passes)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.records()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


# --- OTLP/HTTP ------------------------------------------------------------------------


@dataclass
class OtlpRequest:
    """One export request as the receiver saw it."""

    status: int
    headers: dict[str, str]
    records: list[dict[str, Any]]


@dataclass
class OtlpReceiver:
    """An OTLP/HTTP logs endpoint that decodes ``ExportLogsServiceRequest`` bodies.

    ``statuses`` scripts the first answers (``[503, 503]``: two refusals, then 200), each
    refusal with a ``Retry-After: <retry_after>`` header when that is set. ``records``
    holds the decoded records of the accepted requests only.
    """

    statuses: list[int] = field(default_factory=list)
    retry_after: str | None = None
    requests: list[OtlpRequest] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/logs"

    def start(self, port: int = 0) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = list(self.records)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        records = decode_logs(body, headers.get("content-encoding", ""))
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 200
            self.requests.append(OtlpRequest(status, headers, records))
            if status == 200:
                self.records.extend(records)
        return status


@dataclass
class DecodingOtlpReceiver(OtlpReceiver):
    """An OTLP/HTTP endpoint that decodes each request whole, as a collector does (every
    record and field, by the generated classes), answers 200 and keeps the decoded
    messages; their bodies become Python strings only when read (``bodies``), not on the
    way in as ``OtlpReceiver``'s dicts do (7 to 8 µs a record here, 30 times the decoding)."""

    parsed: list[Any] = field(default_factory=list)
    count: int = 0  # records decoded so far

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        request = parse_logs(body, headers.get("content-encoding", ""))
        count = sum(len(scope.log_records) for logs in request.resource_logs for scope in logs.scope_logs)
        with self.lock:
            self.parsed.append(request)
            self.count += count
        return 200

    def wait_for_count(self, count: int, timeout: float = 30.0) -> int:
        """How many records arrived, once ``count`` did (or the deadline passed)."""
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.count

    def bodies(self) -> list[str]:
        """The body of every record so far, in order of arrival."""
        with self.lock:
            parsed = list(self.parsed)
        return [
            record.body.string_value
            for request in parsed
            for logs in request.resource_logs
            for scope in logs.scope_logs
            for record in scope.log_records
        ]


class OtlpReceiverProcess:
    """A ``DecodingOtlpReceiver`` in a child process of its own, as a collector is: it
    shares the machine's CPUs, not this process's interpreter lock. What a benchmark asks
    of it: ``arrived`` (a count, to stop the clock on) and ``messages`` (the bodies, to
    check them afterwards)."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_otlp, args=(child,), daemon=True)
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/logs"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self) -> None:
        self._process.start()
        self.port = self._conn.recv()

    def arrived(self, count: int, timeout: float = 30.0) -> int:
        """How many records arrived, once ``count`` did (or the deadline passed)."""
        self._conn.send((count, timeout))
        arrived: int = self._conn.recv()
        return arrived

    def messages(self) -> list[str]:
        """The body of every record so far, in order of arrival."""
        self._conn.send("bodies")
        bodies: list[str] = self._conn.recv()
        return bodies

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(None)
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


def _serve_otlp(conn: Any) -> None:
    """The child of ``OtlpReceiverProcess``: answers (count, timeout) with how many records
    arrived once ``count`` did, "bodies" with every body so far; None stops it."""
    receiver = DecodingOtlpReceiver()
    receiver.start()
    conn.send(receiver.port)
    try:
        while (asked := conn.recv()) is not None:
            if asked == "bodies":
                conn.send(receiver.bodies())
            else:
                conn.send(receiver.wait_for_count(*asked))
    finally:
        receiver.stop()


def parse_logs(body: bytes, encoding: str = "") -> Any:
    """The ``ExportLogsServiceRequest`` of a request body, decoded whole (every record)."""
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    if encoding == "gzip":
        body = gzip.decompress(body)
    request = ExportLogsServiceRequest()
    request.ParseFromString(body)
    return request


def decode_logs(body: bytes, encoding: str = "") -> list[dict[str, Any]]:
    """Flatten an ``ExportLogsServiceRequest`` into one dict per log record."""
    request = parse_logs(body, encoding)
    out = []
    for resource_logs in request.resource_logs:
        resource = {a.key: _any_value(a.value) for a in resource_logs.resource.attributes}
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                out.append(
                    {
                        "resource": resource,
                        "scope": scope_logs.scope.name,
                        "time_unix_nano": record.time_unix_nano,
                        "observed_time_unix_nano": record.observed_time_unix_nano,
                        "severity_number": record.severity_number,
                        "severity_text": record.severity_text,
                        "body": _any_value(record.body),
                        "attributes": {a.key: _any_value(a.value) for a in record.attributes},
                        "trace_id": record.trace_id.hex(),
                        "span_id": record.span_id.hex(),
                        "flags": record.flags,
                    }
                )
    return out


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _handler(receiver: OtlpReceiver) -> Callable[..., BaseHTTPRequestHandler]:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40ms delayed-ACK stall

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer(body, headers)
            payload = ExportLogsServiceResponse().SerializeToString() if status == 200 else b"busy"
            self.send_response(status)
            if status != 200 and receiver.retry_after is not None:
                self.send_header("Retry-After", receiver.retry_after)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --- syslog over TLS ----------------------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (openssl CLI), and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsSyslogReceiver:
    """A syslog-over-TLS (RFC 5425) listener: reads octet-counted frames into ``messages``."""

    def __init__(self, cert: Path, key: Path) -> None:
        import ssl

        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.messages: list[str] = []
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                with self.lock:
                    self.connections += 1
                buffer = b""
                while True:
                    chunk = tls.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    while b" " in buffer:
                        length, _, rest = buffer.partition(b" ")
                        if len(rest) < int(length):
                            break
                        with self.lock:
                            self.messages.append(rest[: int(length)].decode("utf-8"))
                        buffer = rest[int(length) :]
        except OSError:
            return

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = list(self.messages)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def close(self) -> None:
        self.listener.close()


class SyslogReceiver(socketserver.ThreadingTCPServer):
    """A loopback TCP syslog collector that keeps every byte of every connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = 0  # connections read to their end
        self.lock = threading.Lock()
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while chunk := self.request.recv(65536):
                    with receiver.lock:
                        receiver.data.extend(chunk)
                with receiver.lock:
                    receiver.closed += 1

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    def messages(self) -> list[str]:
        """The octet-counted frames (RFC 6587) received, decoded."""
        with self.lock:
            rest = bytes(self.data)
        out = []
        while rest:
            length, _, rest = rest.partition(b" ")
            out.append(rest[: int(length)].decode("utf-8"))
            rest = rest[int(length) :]
        return out

    def text(self) -> str:
        """Every byte received, decoded."""
        with self.lock:
            return self.data.decode("utf-8", "replace")

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
