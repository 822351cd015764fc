"""A real HTTP receiver for ``POST /cgi-local/oapi_receive.cgi``, on a background thread.

Standard library only, so the TUI's ``--demo`` can embed it on an ephemeral port and the
``sandbox`` subcommand can serve it to any client. Requests run on their own (daemon)
threads; the order book serialises them behind its lock. Answers are streamed: a
stress-size pending list (docs/scale.md) goes out in ~64 KiB chunks as it is generated, outside the
lock, so a slow reader never holds up other requests.
"""

from __future__ import annotations

import gzip
import hmac
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from ..protocol import decode_request, redact
from ..protocol.form import DecodedRequest
from ..protocol.redact import escape_controls
from ..words import counted
from .address import BACKLOG, RECEIVER_PATH, receiver_url
from .faults import Fault, FaultKind, FaultPlan, draw_faults
from .orders import SandboxBook

CHUNK_BYTES = 64 * 1024
MAX_BODY = 16 * 1024 * 1024  # default --max-body; a stress-size batch (docs/scale.md) is ~5 MB
MAX_FIELDS = 2_000_000  # more: 413 (parse_qsl would raise; each field costs ~120 bytes decoded)
READ_CHUNK = 64 * 1024  # a body is read this much at a time, never allocated whole up front
LARGE_BODY = 1024 * 1024  # bodies above this are decoded and answered one at a time
LINGER_BYTES = 64 * 1024 * 1024  # after a 413, at most this much of the body is read and dropped
LINGER_SECONDS = 5.0  # ... for at most this long
IDLE_TIMEOUT = 60.0  # seconds a kept-alive connection may sit idle
STOP_GRACE = 5.0  # seconds stop() waits for running handlers after cutting their connections

MAINTENANCE_LINE = "error_message system down for maintenance"
INVALID_LOGIN_LINE = "error_message invalid login"
HTTP500_BODY = b"500 Internal Server Error: the order receiver script failed\n"
PROXY_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Web filter notice</title></head>\n"
    b"<body><h1>This page is temporarily unavailable</h1>\n"
    b"<p>Your request was intercepted by the network proxy. Please try again later.</p>\n"
    b"</body></html>\n"
)
# What a CGI script that printed its header twice and then its own words might send.
# After the batch was applied: the receiver's words, but not the protocol's answer to it.
LATE_ERROR_BODY = b"message processing\nerror_message request timed out\n"
TWO_ERRORS_BODY = b"error_message database busy\nerror_message request timed out\n"
GARBAGE_BODY = b"Content-type: text/plain\n\nStatus: OK\nyour request was processed\n"


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8642  # 0: an ephemeral port (see SandboxServer.url)
    client_id: str = "demo"
    password: str = "demo"
    store_id: str = ""  # a linked store account; x_storeid must then name it (or be omitted)
    orders: int = 40
    seed: int | None = None
    settle: float | None = None
    arrivals: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    # Request bodies over this many bytes get 413 (by Content-Length, before reading).
    max_body: int = MAX_BODY
    clock: Callable[[], float] = time.monotonic
    # Looked up when the config is made, so a redirected sys.stderr is honoured.
    log: TextIO | None = field(default_factory=lambda: sys.stderr)


class SandboxServer:
    """``SandboxServer(config).start()`` serves until ``stop()``; also a context manager."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        if self.config.max_body < 1:
            raise ValueError(f"max_body must be at least 1 byte, not {self.config.max_body}")
        self.book = SandboxBook(
            orders=self.config.orders,
            seed=self.config.seed,
            settle=self.config.settle,
            arrivals=self.config.arrivals,
            clock=self.config.clock,
        )
        self._lock = threading.Lock()  # the faults and the request counter (the book has its own)
        self._log_lock = threading.Lock()
        self._faults = [replace(f) for f in self.config.faults]
        self._requests_seen = 0
        self._stopping = threading.Event()
        self._large_bodies = _Gate()  # see _decoding()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, listener: socket.socket | None = None) -> SandboxServer:
        """Bind (OSError if the port is taken) and serve on a daemon thread; or serve on
        ``listener``, a socket already bound and listening (address.listen), whose
        address then overrides the config's host and port."""
        if self._httpd is not None:
            return self
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        httpd = _HTTPServer((self.config.host, self.config.port), _Handler, family, self, listener)
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="ccnow-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake slowed answers and cut open connections. Idempotent."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        # Cut connections before waking slowed answers, so none of them gets out.
        httpd.close_connections()
        self._stopping.set()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        # Handlers now only finish what they were doing (a big batch, a log line); bounded,
        # because a daemon thread stuck elsewhere must not hold up the process exit.
        httpd.join_handlers(timeout=STOP_GRACE)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return receiver_url(self.config.host, self.port)

    # -- faults and counters --------------------------------------------------------------

    def set_faults(self, faults: Iterable[Fault]) -> None:
        """Replace the active faults (copies: the counts used up are the server's own)."""
        with self._lock:
            self._faults = [replace(f) for f in faults]

    @property
    def faults(self) -> list[Fault]:
        """The faults still active, with their remaining counts."""
        with self._lock:
            return [replace(f) for f in self._faults]

    @property
    def requests_seen(self) -> int:
        """POSTs to the receiver path so far, faulted ones included."""
        with self._lock:
            return self._requests_seen

    def _begin_request(self, updating: bool) -> FaultPlan:
        with self._lock:
            self._requests_seen += 1
            return draw_faults(self._faults, updating)

    def _decoding(self, size: int) -> AbstractContextManager[object]:
        """Held while a body of ``size`` bytes is decoded and answered.

        Decoding takes about fifteen times the body's size (a 16 MiB form of tiny fields
        is some 250 MB of Python objects), so large bodies take turns: memory then stays
        near one large decode however many arrive at once. Reading a body (a byte of
        memory per byte) is not held up, and small requests never wait.
        """
        return self._large_bodies if size > LARGE_BODY else nullcontext()

    # -- the receiver ---------------------------------------------------------------------

    def answer(self, request: DecodedRequest, shapes: frozenset[FaultKind] = frozenset()) -> list[str]:
        """Answer lines for a decoded request: the login check, then the order book
        (``shapes``: the faults that change how a batch is applied and answered)."""
        if not self._logged_in(request):
            return [INVALID_LOGIN_LINE]
        return self.book.handle(
            request,
            first_error=FaultKind.FIRST_ERROR in shapes,
            per_entry_reversed=FaultKind.PER_ENTRY_REVERSED in shapes,
        )

    def _logged_in(self, request: DecodedRequest) -> bool:
        cfg = self.config
        # Both compared every time (no short-circuit), in constant time.
        ok = _same(request.client_id, cfg.client_id) & _same(request.password, cfg.password)
        # x_storeid is optional; when given it must be the store linked to this client.
        return ok and (not request.store_id or (bool(cfg.store_id) and _same(request.store_id, cfg.store_id)))

    def log(self, text: str, *also_secret: str) -> None:
        """One line to the configured log, with the password (and ``also_secret``) masked.

        The configured client id is printed at startup, so it is never masked, not even
        when it equals the password (as in the demo/demo default): that password is
        public already, and masking it would hide whose request a line is about.
        """
        out = self.config.log
        if out is None:
            return
        secrets = [s for s in (self.config.password, *also_secret) if s and s != self.config.client_id]
        line = redact(text, *secrets)
        with self._log_lock:
            try:
                out.write(line + "\n")
                out.flush()
            except (OSError, ValueError):  # a closed stream must not break serving
                pass


class _HTTPServer(ThreadingHTTPServer):
    """Keeps the open connections and their handler threads, so that stop() can cut
    keep-alive clients loose and then wait for the handlers to finish (and log)."""

    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(
        self,
        address: tuple[str, int],
        handler: type,
        family: int,
        sandbox: SandboxServer,
        listener: socket.socket | None = None,
    ) -> None:
        self.address_family = listener.family if listener is not None else family
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        self._connections_lock = threading.Lock()
        if listener is None:
            super().__init__(address, handler)
            return
        # Serve the socket bound ahead: socketserver makes one of its own, unbound, here.
        super().__init__(listener.getsockname()[:2], handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listener
        self.server_address = listener.getsockname()
        # What HTTPServer.server_bind would have set (without its name lookup).
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    # socketserver's own types: request is a socket, or (data, socket) for a datagram
    # server (never here); typeshed types the client address as Any.
    def process_request(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn's, but the thread is registered before it starts, so stop() never
        # misses one.
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        with self._connections_lock:
            self._connections.add(request)
            self._handlers.add(thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._handlers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def join_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._connections_lock:
            running = list(self._handlers)
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # the client went away; nothing to report
        self.sandbox.log(f"sandbox: error while serving {client_address[0]}: {exc!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ccnow-sandbox"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # header and body go out as separate small writes

    @property
    def sandbox(self) -> SandboxServer:
        server = self.server
        assert isinstance(server, _HTTPServer)  # the only server this handler is given
        return server.sandbox

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._read_body(path)
        if body is None:
            return
        if path != RECEIVER_PATH:
            return self._simple(404, f"not found: the receiver is POST {RECEIVER_PATH}\n", path)
        fields = _field_count(body)
        if fields > MAX_FIELDS:
            return self._simple(413, f"too many fields: {fields}; this receiver takes at most {MAX_FIELDS}\n", path)
        with self.sandbox._decoding(len(body)):
            request = _decode(body)
            del body
            plan = self.sandbox._begin_request(updating=_updating(request))
            what = f"POST {RECEIVER_PATH} client={_printable(request.client_id)} entries={len(request.entries)}"
            lines: list[str] | None = None
            if plan.refuse is None:
                try:
                    lines = self.sandbox.answer(request, plan.shapes)
                except Exception as exc:  # a sandbox bug: say so rather than leave the client hanging
                    self.sandbox.log(f"sandbox: internal error: {exc!r}", request.password)
            request = replace(request, entries=())  # from here on only the login is needed
        if plan.refuse is not None:
            code = self._refuse(plan.refuse)
            return self.sandbox.log(f"{what} -> {code} (fault {plan.refuse.value}, nothing applied)", request.password)
        if lines is None:
            return self._simple(500, "internal error in the sandbox receiver\n", path)
        if plan.delay:
            self.sandbox._stopping.wait(plan.delay)  # stop() must not wait for a slowed answer
        if plan.cut is FaultKind.DROP_AFTER_APPLY:
            self.close_connection = True
            return self.sandbox.log(f"{what} -> dropped without an answer (fault drop-after-apply)", request.password)
        if plan.cut is FaultKind.TRUNCATE:
            sent = self._send_lines(_cut_mid_line(lines), complete=False)
            return self.sandbox.log(f"{what} -> 200 cut after {sent} bytes (fault truncate)", request.password)
        if plan.cut is not None:
            done = self._send_damaged(plan, lines)
            return self.sandbox.log(f"{what} -> {done} (fault {plan.fired[0]}, applied)", request.password)
        self._send_lines(lines, complete=True)
        if self._lost:
            return self.sandbox.log(f"{what} -> answer not delivered (connection closed)", request.password)
        n = len(lines)
        slow = f" (fault slow={plan.delay:g})" if plan.delay else ""
        self.sandbox.log(f"{what} -> 200 {counted(n, 'line', 'lines')}{slow}", request.password)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path != RECEIVER_PATH:
            return self._simple(404, f"not found: the receiver is POST {RECEIVER_PATH}\n", path)
        self._simple(405, "method not allowed: POST the x_clientid/x_password form to this URL\n", path, allow="POST")

    do_HEAD = do_GET

    # -- reading and writing --------------------------------------------------------------

    def _read_body(self, path: str) -> bytes | bytearray | None:
        """The form body, or None after answering a request we will not read (nothing of it
        is applied): a body over ``max_body`` (413, judged by Content-Length before any of
        it is read), a bad Content-Length, or a body that ends before its Content-Length.
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._simple(411, "send the form with a Content-Length\n", path)
            return None
        lengths = {value.strip() for value in self.headers.get_all("Content-Length", [])}
        text = lengths.pop() if len(lengths) == 1 else "" if lengths else "0"  # two that differ: bad
        # Plain ASCII digits only: int() would also take "+5", "5_000" or "٥".
        if not (text.isascii() and text.isdigit()):
            self._simple(400, "bad Content-Length\n", path)
            return None
        limit = self.sandbox.config.max_body
        length = int(text) if len(text) <= 20 else limit + 1  # (int() of 5,000 digits raises)
        if length > limit:
            shown = text if len(text) <= 20 else text[:20] + "..."
            why = f"request body too large: Content-Length {shown} is over this receiver's limit of {limit} bytes\n"
            self._simple(413, why, path)
            self._linger(length)
            return None
        # Read in pieces, so a length the client does not follow with a body costs nothing.
        body = bytearray()
        while len(body) < length:
            piece = self.rfile.read(min(READ_CHUNK, length - len(body)))
            if not piece:
                why = f"request body ended after {len(body)} of {length} bytes (Content-Length); nothing applied\n"
                self._simple(400, why, path)
                return None
            body += piece
        return body

    def _linger(self, length: int) -> None:
        """After an answer sent before the body was read: say we are done (FIN), then read
        and drop what the client is still sending, a bounded amount for a bounded time.
        Closing with its body unread would reset the connection, and the client could
        lose the answer it has not read yet (Apache's "lingering close")."""
        deadline = time.monotonic() + LINGER_SECONDS
        left = min(length, LINGER_BYTES)
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while left > 0 and (wait := deadline - time.monotonic()) > 0:
                self.connection.settimeout(wait)
                piece = self.rfile.read1(min(left, READ_CHUNK))
                if not piece:
                    break
                left -= len(piece)
        except OSError:  # the client went away, or stop() cut the connection
            pass

    def _simple(self, code: int, text: str, path: str, **headers: str) -> None:
        """A short plain-text answer, connection closed (used for non-protocol answers)."""
        body = b"" if self.command == "HEAD" else text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text.encode())))
        for name, value in headers.items():
            self.send_header(name.title(), value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self._write(body)
        self.sandbox.log(f"{self.command} {_printable(path)} -> {code}")

    def _refuse(self, kind: FaultKind) -> int:
        """Answer for a refusing fault instead of the receiver; returns the HTTP status."""
        if kind is FaultKind.HTTP500:
            code, ctype, body = 500, "text/plain; charset=utf-8", HTTP500_BODY
        elif kind is FaultKind.HTML:
            code, ctype, body = 200, "text/html; charset=utf-8", PROXY_PAGE
        elif kind is FaultKind.PENDING_LIST:
            code, ctype, body = (
                200,
                "text/plain; charset=utf-8",
                "".join(f"{line}\n" for line in self.sandbox.book.pending_lines()).encode(),
            )
        else:
            code, ctype, body = 200, "text/plain; charset=utf-8", (MAINTENANCE_LINE + "\n").encode()
        self._send_whole(code, body, ctype)
        return code

    def _send_damaged(self, plan: FaultPlan, lines: list[str]) -> str:
        """The applied batch's answer, damaged as a post-apply fault says (not truncate or
        drop-after-apply); returns what was sent, for the log."""
        body = b"".join(_pieces(lines, complete=True))
        kind = plan.cut
        if kind is FaultKind.HTTP:
            # 204 and 304 have no body; any other status carries the real answer lines,
            # which a client must not trust under a status other than 200.
            bodiless = plan.status in (204, 304)
            self._send_whole(plan.status, b"" if bodiless else body, length=not bodiless)
            return f"{plan.status}" + ("" if bodiless else f" with the {len(lines)}-line answer")
        if kind is FaultKind.DRIP:
            return self._drip(body, plan.drip)
        headers: dict[str, str] = {}
        if kind is FaultKind.GARBAGE:
            body = GARBAGE_BODY
        elif kind is FaultKind.UPPER:
            body = body.upper()
        elif kind is FaultKind.EMPTY:
            body = b""
        elif kind is FaultKind.LATE_ERROR:
            body = LATE_ERROR_BODY
        elif kind is FaultKind.TWO_ERRORS:
            body = TWO_ERRORS_BODY
        elif kind is FaultKind.GZIP:
            body, headers = gzip.compress(body), {"Content-Encoding": "gzip"}
        elif kind is FaultKind.GZIP_BAD:
            headers = {"Content-Encoding": "gzip"}  # the plain answer, labelled gzip
        self._send_whole(200, body, headers=headers)
        return f"200 {len(body)} bytes"

    def _drip(self, body: bytes, seconds: float) -> str:
        """The answer one byte at a time, ``seconds`` apart; stop() cuts it short."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent = 0
        for i in range(len(body)):
            if (sent and self.sandbox._stopping.wait(seconds)) or not self._write(body[i : i + 1]):
                break
            sent += 1
        return f"200 dripped {sent} of {len(body)} bytes"

    def _send_whole(
        self,
        code: int,
        body: bytes,
        ctype: str = "text/plain; charset=utf-8",
        *,
        length: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        """A whole answer in one write, connection closed (fault answers)."""
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self._write(body)

    def _send_lines(self, lines: list[str], *, complete: bool) -> int:
        """Send answer lines; an incomplete answer is cut without the terminating chunk.

        A short complete answer gets a Content-Length; anything longer is streamed
        chunked as it is generated. Returns the body bytes sent.
        """
        pieces = _pieces(lines, complete)
        first = next(pieces, b"")
        # Peek one piece ahead: a complete answer that fits in one goes out with a length.
        second = next(pieces, None) if complete else None
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        if second is None and complete:
            self.send_header("Content-Length", str(len(first)))
            self.end_headers()
            self._write(first)
            return len(first)
        chunked = self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if not chunked or not complete:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        sent = 0
        for piece in _chain(first, second, pieces):
            if piece and self._write(b"%X\r\n%s\r\n" % (len(piece), piece) if chunked else piece):
                sent += len(piece)
            elif piece:
                return sent  # the client is gone
        if complete and chunked:
            self._write(b"0\r\n\r\n")
        return sent

    _lost = False  # set once a write fails: the client went away or stop() cut it off

    def flush_headers(self) -> None:
        try:
            super().flush_headers()
        except OSError:
            self._lost = self.close_connection = True

    def _write(self, data: bytes) -> bool:
        if self._lost:
            return False
        try:
            self.wfile.write(data)
            return True
        except OSError:
            self._lost = self.close_connection = True
            return False

    def log_message(self, format: str, *args: object) -> None:
        # The standard per-request line is replaced by our own; keep only its errors.
        pass

    def log_error(self, format: str, *args: object) -> None:
        if self.sandbox._stopping.is_set() or format.startswith("Request timed out"):
            return  # an idle keep-alive connection closing is not news
        self.sandbox.log("sandbox: " + _printable(format % args, 200))


def _pieces(lines: list[str], complete: bool) -> Iterator[bytes]:
    """The answer body in ~CHUNK_BYTES pieces, each made only when it is about to be sent.

    Incomplete (truncated) answers have no final newline after the cut line.
    """
    batch: list[str] = []
    size = 0
    last = len(lines) - 1
    for i, line in enumerate(lines):
        batch.append(line)
        size += len(line) + 1
        if size >= CHUNK_BYTES or i == last:
            end = "\n" if complete or i != last else ""
            yield ("\n".join(batch) + end).encode()
            batch, size = [], 0


def _chain(first: bytes, second: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    if second is not None:
        yield second
    yield from rest


def _cut_mid_line(lines: list[str]) -> list[str]:
    """The answer up to the middle of its middle line (at least one character is kept, at
    least one lost), so the client is left with an incomplete last line."""
    i = len(lines) // 2
    line = lines[i]
    return [*lines[:i], line[: max(1, len(line) // 2)]]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _printable(text: str, limit: int = 60) -> str:
    """Text from the wire made safe for a one-line log entry (:func:`escape_controls`)."""
    return escape_controls(text[:limit], tabs=False) + ("…" if len(text) > limit else "")


def _updating(request: DecodedRequest) -> bool:
    """Does the request ask for anything but a query? (What a fault's scope looks at.)"""
    return any(entry.get("action").strip().lower() != "query" for entry in request.entries)


def _field_count(body: bytes | bytearray) -> int:
    """The fields parse_qsl would count (it raises over ``max_num_fields``)."""
    return body.count(b"&") + 1 if body else 0


_CREDENTIAL_FIELDS = frozenset({"x_clientid", "x_storeid", "x_password"})
# An entry number longer than MAX_FIELDS has digits cannot be part of 1..N without gaps
# (nor is a zero-padded one valid). Caught before decode_request calls int() on it, which
# raises beyond 4,300 digits (and is slow below that).
_OVERLONG_NUMBER = re.compile(
    rf"x_(?:orderid|action|notes|amount|trackname|tracknumber)_(\d{{{len(str(MAX_FIELDS)) + 1},}})", re.ASCII
)
_SHORTEST_OVERLONG = len("x_notes_") + len(str(MAX_FIELDS)) + 1
SHOWN_NAME = 40  # characters of an overlong field name quoted back


def _decode(body: bytes | bytearray) -> DecodedRequest:
    """The received form as a request. A field name whose entry number is absurdly long is
    the whole request's error (a numbering error, as the notes say), naming the field cut
    to SHOWN_NAME characters; its credentials are still checked first."""
    pairs = parse_qsl(
        body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace", max_num_fields=MAX_FIELDS
    )
    for name, _ in pairs:
        if len(name) >= _SHORTEST_OVERLONG and (m := _OVERLONG_NUMBER.fullmatch(name)):
            shown = name if len(name) <= SHOWN_NAME else name[:SHOWN_NAME] + "..."
            login = decode_request([pair for pair in pairs if pair[0] in _CREDENTIAL_FIELDS])
            return replace(
                login,
                error=login.error
                or (
                    f"invalid request: {shown} (an entry number of {len(m.group(1))} digits; "
                    "numbering runs 1..N without gaps or leading zeros)"
                ),
            )
    return decode_request(pairs)


class _Gate:
    """A lock for one holder that counts who is waiting for it (tests watch ``waiting``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self.waiting = 0

    def __enter__(self) -> _Gate:
        with self._cond:
            self.waiting += 1
            try:
                while self._held:
                    self._cond.wait()
            finally:
                self.waiting -= 1
            self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._held = False
            self._cond.notify()
