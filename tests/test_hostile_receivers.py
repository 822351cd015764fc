"""Receivers that answer anything but the protocol, written by hand on raw sockets.

The rule under test (docs/protocol.md, "Failures"): once any of a batch that
changes orders may have been sent, only protocol lines say what was applied or refused.
Everything else (a status other than 200, an HTML page, capitals, an empty body, bytes
that do not decode, an answer past a limit, a drip past the deadline, a reset) leaves the
batch's outcome unknown (exit 4), and never raises. For a read the same answers are an
error, never success. Loopback only; no test sleeps, and none asserts on timing.
"""

from __future__ import annotations

import asyncio
import re
import socket
import socketserver
import struct
import threading
import zlib
from contextlib import contextmanager

import httpx
import pytest

from ccnow_tui.cli import main
from ccnow_tui.client import ReceiverClient
from ccnow_tui.domain.answers import ReceiverAnswer
from ccnow_tui.protocol import Batch, Credentials, OrderLine, Secret, StagedAction
from ccnow_tui.protocol.outcome import EntryOutcome, Outcome

ORDER = "396-10-1142"
PASSWORD = "hostile-Pw-42"
SMALL_LIMIT = 256 * 1024  # max_answer_bytes for the client-level tests
DEFAULT_LIMIT = 64 * 1024 * 1024
DRIP_EVERY = 0.1  # seconds between bytes: each read is quick, the whole answer is not
DEADLINE = 0.5  # the client's timeout: the dripped answer would take 2.5 s
# For answers that must be read to a limit, not cut by the clock: a busy machine reads
# 64 MiB in more than DEADLINE, and a deadline met first would answer another question.
ROOMY = 30.0


# -- answers ----------------------------------------------------------------------------------


def _head(sock: socket.socket, status: str, *headers: str) -> None:
    sock.sendall(("\r\n".join([f"HTTP/1.1 {status}", *headers, "Connection: close"]) + "\r\n\r\n").encode())


def whole(status: str, body: bytes, *headers: str, length: bool = True):
    def answer(sock: socket.socket, server: Hostile) -> None:
        _head(sock, status, *headers, *([f"Content-Length: {len(body)}"] if length else []))
        sock.sendall(body)

    return answer


def streamed(pieces, *headers: str):
    """A body sent piece by piece as it is made, ended by closing the connection."""

    def answer(sock: socket.socket, server: Hostile) -> None:
        _head(sock, "200 OK", "Content-Type: text/plain", *headers)
        for piece in pieces():
            sock.sendall(piece)

    return answer


def gzip_bomb(mib: int = 1024):
    """A valid gzip of ``mib`` MiB of zeros, about 1 KB per MiB, made as it is sent: after
    a full flush the compressor emits the same bytes for every further MiB of zeros."""
    zeros = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    yield c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    for _ in range(mib - 1):
        yield block
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    yield b"\x03\x00" + struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)  # empty final block, trailer


def blank_lines_then_the_answer(size: int):
    """``size`` bytes of blank lines (allowed by the protocol), then the order's line."""
    line = b" " * 1023 + b"\n"

    def pieces():
        for _ in range(size // (64 * 1024) + 1):
            yield line * 64
        yield f"{ORDER} mark_shipped\n".encode()

    return pieces


def drip(sock: socket.socket, server: Hostile) -> None:
    body = f"{ORDER} mark_shipped\n".encode()
    _head(sock, "200 OK", "Content-Type: text/plain", f"Content-Length: {len(body)}")
    for i in range(len(body)):
        if i and server.stopping.wait(DRIP_EVERY):
            return
        sock.sendall(body[i : i + 1])


def reset_mid_answer(sock: socket.socket, server: Hostile) -> None:
    _head(sock, "200 OK", "Content-Type: text/plain", "Content-Length: 200")
    sock.sendall(f"{ORDER} mark_sh".encode())
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()  # with linger 0: a reset, not an orderly end


SHIPPED = f"{ORDER} mark_shipped\n".encode()
HOSTILE = {
    "html": whole(
        "200 OK", b"<!DOCTYPE html>\n<html><body><h1>Bad Gateway</h1></body></html>\n", "Content-Type: text/html"
    ),
    "capitals": whole("200 OK", f"{ORDER} MARK_SHIPPED\n".encode()),
    "two words": whole("200 OK", f"{ORDER} mark_shipped ok\n".encode()),
    "nul after the order": whole("200 OK", f"{ORDER}\x00 mark_shipped\n".encode()),
    "utf-16": whole("200 OK", f"{ORDER} mark_shipped\n".encode("utf-16")),
    "64 KiB line": whole("200 OK", f"{ORDER} mark_shipped".encode() + b" " * (64 * 1024) + b"ok\n"),
    "garbage": whole("200 OK", b"Status: OK\n\x01\x02\x03 done\n"),
    "http 500": whole("500 Internal Server Error", SHIPPED),  # protocol lines under a bad status
    "http 201": whole("201 Created", SHIPPED),
    "http 204": whole("204 No Content", b"", length=False),
    "empty 200": whole("200 OK", b""),
    "gzip that fails": whole("200 OK", SHIPPED, "Content-Encoding: gzip"),
    "gzip bomb": streamed(gzip_bomb, "Content-Encoding: gzip"),
    "over the limit": streamed(blank_lines_then_the_answer(SMALL_LIMIT)),
    "drip past the deadline": drip,
    "reset mid-answer": reset_mid_answer,
}
CUT_SHORT = {"drip past the deadline", "reset mid-answer"}  # lost rather than unreadable
# For the CLI, which uses the default limit.
CLI_HOSTILE = {**HOSTILE, "over the limit": streamed(blank_lines_then_the_answer(DEFAULT_LIMIT))}


# -- the servers ------------------------------------------------------------------------------


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                return
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(body) < length:
            piece = sock.recv(65536)
            if not piece:
                return
            body += piece
        hostile = self.server.hostile
        with hostile.lock:
            hostile.requests += 1
        try:
            hostile.answer(sock, hostile)
        except OSError:  # the client went away (as it should, past a limit)
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = True
    hostile: Hostile


class Hostile:
    def __init__(self, answer) -> None:
        self.answer = answer
        self.requests = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.hostile = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-local/oapi_receive.cgi"


@contextmanager
def serving(answer):
    hostile = Hostile(answer)
    thread = threading.Thread(target=hostile.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        hostile.stopping.set()  # a drip still going ends now
        hostile.server.shutdown()
        hostile.server.server_close()  # joins the handler threads
        thread.join()


def client(url: str, **kw) -> ReceiverClient:
    options = dict(timeout=DEADLINE, retries=0, backoff=0.01, max_answer_bytes=SMALL_LIMIT)
    options.update(kw)
    return ReceiverClient(url, Credentials("demo", Secret(PASSWORD)), **options)


async def final(events) -> tuple[list, ReceiverAnswer]:
    out = [ev async for ev in events]
    assert isinstance(out[-1], ReceiverAnswer) and sum(isinstance(e, ReceiverAnswer) for e in out) == 1
    return out[:-1], out[-1]


def ship_batch() -> Batch:
    return Batch([StagedAction.make(ORDER, "ship")])


# -- the client -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", HOSTILE)
async def test_a_ship_batch_answered_so_has_an_unknown_outcome(case):
    with serving(HOSTILE[case]) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNKNOWN, answer.message
    assert [e.outcome for e in answer.entries] == [EntryOutcome.UNKNOWN]
    assert server.requests == 1, "a batch that changes orders is never re-sent"


@pytest.mark.parametrize("case", HOSTILE)
async def test_a_read_answered_so_is_an_error(case):
    with serving(HOSTILE[case]) as server:
        async with client(server.url) as c:
            events, answer = await final(c.pending())
            _, query = await final(c.query([ORDER]))
    expected = Outcome.UNKNOWN if case in CUT_SHORT else Outcome.REFUSED  # cut short: retried, then incomplete
    assert (answer.outcome, query.outcome) == (expected, expected), (answer.message, query.message)
    assert not [e for e in events if isinstance(e, OrderLine)] and answer.order_count == 0


async def test_the_deadline_bounds_the_whole_answer_not_each_read():
    with serving(drip) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert f"within {DEADLINE:g} s" in answer.message and "query the orders" in answer.message


async def test_a_bomb_is_read_only_up_to_the_default_limit():
    with serving(HOSTILE["gzip bomb"]) as server:
        async with client(server.url, max_answer_bytes=DEFAULT_LIMIT) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNKNOWN
    assert "larger than the limit of 67,108,864 bytes" in answer.message


@pytest.mark.slow
async def test_lines_past_what_the_request_explains_are_counted_not_kept():
    # 100,000 short lines: memory must not grow with them (the byte limit alone would
    # allow millions of records).
    with serving(whole("200 OK", b"x\n" * 100_000)) as server:
        async with client(server.url, timeout=ROOMY) as c:
            events, answer = await final(c.submit(ship_batch()))
            read_events, read = await final(c.pending())
    assert answer.outcome is Outcome.UNKNOWN and len(events) == len(answer.records) == 1 + 1000
    assert "98999 more lines not kept" in answer.message
    assert read.outcome is Outcome.REFUSED and len(read_events) == len(read.records) == 1000


async def test_a_protocol_error_message_refuses_the_whole_batch():
    with serving(whole("200 OK", b"error_message system down\n")) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.REFUSED and answer.message == "system down"
    assert [e.outcome for e in answer.entries] == [EntryOutcome.REFUSED]


async def test_a_refused_connection_is_unreachable_and_nothing_was_sent():
    with socket.socket() as s:  # a port with nothing listening on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with client(f"http://127.0.0.1:{port}/x") as c:
        _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNREACHABLE and "nothing was sent" in answer.message


class _Stalls(httpx.AsyncBaseTransport):
    """Reports (through httpcore's trace hook) how far the exchange got, then hangs."""

    def __init__(self, *events: str) -> None:
        self.events = events

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for event in self.events:
            await request.extensions["trace"](event, {})
        await asyncio.Event().wait()  # only the client's deadline ends this
        raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "events, outcome",
    [
        (["connection.connect_tcp.started"], Outcome.UNREACHABLE),
        (
            ["connection.connect_tcp.started", "connection.connect_tcp.complete", "connection.start_tls.started"],
            Outcome.UNREACHABLE,
        ),
        (
            [
                "connection.connect_tcp.started",
                "connection.connect_tcp.complete",
                "http11.send_request_headers.started",
            ],
            Outcome.UNKNOWN,
        ),
        (["http11.send_request_headers.started"], Outcome.UNKNOWN),  # a kept-alive connection
        ([], Outcome.UNKNOWN),  # no trace: nothing is proved
    ],
)
async def test_the_deadline_while_connecting_proves_nothing_was_sent(events, outcome):
    async with client("http://127.0.0.1:9/x", transport=_Stalls(*events), timeout=0.05) as c:
        _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is outcome, answer.message


# -- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(isolated_dirs, monkeypatch, tmp_path):
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", PASSWORD)
    path = tmp_path / "batch.csv"
    path.write_text(f"order_id,action\n{ORDER},ship\n")
    return str(path)


def submit(path: str, url: str) -> int:
    return main(["submit", path, "--yes", "--url", url, "--timeout", str(DEADLINE)])


@pytest.mark.parametrize("case", CLI_HOSTILE)
def test_the_cli_exits_4_for_a_ship_batch_answered_so(cli_env, capsys, case):
    with serving(CLI_HOSTILE[case]) as server:
        code = submit(cli_env, server.url)
    err = capsys.readouterr().err
    assert code == 4, err
    assert "OUTCOME UNKNOWN" in err and "internal error" not in err and "Traceback" not in err
    assert server.requests == 1
    # Recorded as such in the profile's store (what the TUI shows and reconcile reads).
    [held] = stored_snapshot().held
    assert held.state == "unknown" and [e.action.kind.value for e in held.entries] == ["ship"]


def stored_snapshot():
    from ccnow_tui.config.load import ENV_PROFILE
    from ccnow_tui.storage.store import Store

    with Store.for_profile(ENV_PROFILE) as store:
        return store.snapshot()


# Cut short and 5xx answers to a read are retried with back-off (tested on the client).
@pytest.mark.parametrize("case", sorted(set(CLI_HOSTILE) - CUT_SHORT - {"http 500"}))
def test_the_cli_pending_list_answered_so_is_an_error(cli_env, capsys, case):
    with serving(CLI_HOSTILE[case]) as server:
        code = main(["pending", "--url", server.url, "--timeout", str(ROOMY)])
    out = capsys.readouterr()
    assert code == 3, out.err
    assert out.out == "" and "Traceback" not in out.err


def test_the_cli_exits_3_for_a_protocol_error_message(cli_env, capsys):
    with serving(whole("200 OK", b"error_message system down\n")) as server:
        assert submit(cli_env, server.url) == 3
    assert "refused: system down" in capsys.readouterr().err
    assert stored_snapshot().held == []  # nothing applied, nothing held


def test_the_cli_exits_3_when_the_connection_is_refused(cli_env, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert submit(cli_env, f"http://127.0.0.1:{port}/x") == 3
    assert "not sent:" in capsys.readouterr().err


# -- answers in the protocol's words that still cannot prove what happened --------------------

OTHERS = b"".join(f"{n}-10-1{n} pending\n".encode() for n in range(400, 440))
CANNOT_PROVE = {
    # It gave the discount, then refused the tracking, and answered the order with the error.
    "first error of several": whole("200 OK", f"{ORDER} error_message invalid trackname\n".encode()),
    "a late whole-request error": whole("200 OK", b"message processing\nerror_message request timed out\n"),
    "two whole-request errors": whole("200 OK", b"error_message database busy\nerror_message request timed out\n"),
    "its pending list instead": whole("200 OK", f"{ORDER} pending\n".encode() + OTHERS),
    "a line per entry, reversed": whole(
        "200 OK", f"{ORDER} error_message invalid trackname\n{ORDER} pending\n".encode()
    ),
}


def adjust_and_track() -> Batch:
    return Batch(
        [
            StagedAction.make(ORDER, "adjust", amount="5.00"),
            StagedAction.make(ORDER, "track", trackname="UPS", tracknumber="1Z999AA10123456784"),
        ]
    )


@pytest.mark.parametrize("case", CANNOT_PROVE)
async def test_an_answer_that_cannot_prove_which_entries_took_effect_leaves_them_unknown(case):
    with serving(CANNOT_PROVE[case]) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(adjust_and_track()))
    assert answer.outcome is Outcome.UNKNOWN, answer.message
    assert [e.outcome for e in answer.entries] == [EntryOutcome.UNKNOWN] * 2
    assert server.requests == 1


@pytest.mark.parametrize("case", CANNOT_PROVE)
def test_the_cli_exits_4_and_keeps_the_discount_unknown(cli_env, capsys, tmp_path, case):
    path = tmp_path / "adjust.csv"
    path.write_text(
        f"order_id,action,amount,trackname,tracknumber\n{ORDER},adjust,5.00,,\n{ORDER},track,,UPS,1Z999AA10123456784\n"
    )
    with serving(CANNOT_PROVE[case]) as server:
        code = submit(str(path), server.url)
    err = capsys.readouterr().err
    assert code == 4 and "OUTCOME UNKNOWN" in err, err
    [held] = stored_snapshot().held
    assert held.state == "unknown" and [e.action.kind.value for e in held.entries] == ["adjust", "track"]


# -- the password as a status word: masked before it is stored (issue 17 §3) -----------------

STATUS_PASSWORD = "mark_sh1pped_pw"  # an account whose password looks like a status word


def journal_of_a_process_without_the_password(isolated_dirs) -> str:
    """``ccnow-tui journal`` as a later run prints it: no password known to mask with."""
    import os
    import subprocess
    import sys

    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    done = subprocess.run(
        [sys.executable, "-m", "ccnow_tui", "journal", "--profile", "env"],
        capture_output=True,
        text=True,
        env=variables,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def store_bytes(isolated_dirs) -> bytes:
    """Every file of the profile's store (the database and its write-ahead log)."""
    folder = isolated_dirs.data_home / "ccnow-tui" / "profiles" / "env"
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_a_status_word_that_is_the_password_is_stored_masked(cli_env, capsys, monkeypatch, isolated_dirs):
    monkeypatch.setenv("CCNOW_PASSWORD", STATUS_PASSWORD)
    with serving(whole("200 OK", f"{ORDER} {STATUS_PASSWORD}\n".encode())) as server:
        submit(cli_env, server.url)
    out = capsys.readouterr()
    assert STATUS_PASSWORD not in out.out + out.err
    assert STATUS_PASSWORD.encode() not in store_bytes(isolated_dirs)
    journal = journal_of_a_process_without_the_password(isolated_dirs)
    assert f"{ORDER}" in journal and STATUS_PASSWORD not in journal, journal
    assert "status=••••••" in journal or " •••••• " in journal, journal  # the status is there, masked
