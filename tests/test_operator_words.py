"""Failures of the network libraries (httpx, httpcore, ssl, the socket layer) said in the
operator's words, with the library's own words kept for the journal (issue 14 §3).
Loopback only: a closed port, a server that hangs up, plain HTTP where https is asked."""

from __future__ import annotations

import socket
import threading

from sent_batches import META
from test_hostile_receivers import ORDER, client, drip, final, serving, ship_batch

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import Batch, StagedAction
from ccnow_tui.protocol.outcome import EntryOutcome, Outcome

LIBRARY_WORDS = (
    "Errno",
    "All connection attempts failed",
    "Server disconnected",
    "TimeoutError",
    "SSL:",
    "Name or service not known",
    "ConnectError",
    "RemoteProtocolError",
    "[SSL",
)


def closed_port() -> int:
    with socket.socket() as s:  # a port with nothing listening on it
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plain(text: str) -> None:
    for words in LIBRARY_WORDS:
        assert words not in text, f"{words!r} leaked into {text!r}"


async def test_a_refused_connection_is_said_plainly_and_the_original_is_kept():
    port = closed_port()
    async with client(f"http://127.0.0.1:{port}/x") as c:
        _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNREACHABLE
    assert f"127.0.0.1:{port} refused the connection" in answer.message and "nothing was sent" in answer.message
    plain(answer.message)
    assert "ConnectionRefusedError" in answer.detail  # the library's words, for the journal


async def test_an_unknown_host_name_is_said_plainly():
    async with client("https://no-such-receiver.invalid/x") as c:
        _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNREACHABLE
    assert "no-such-receiver.invalid" in answer.message and "host name was not found" in answer.message
    plain(answer.message)
    assert answer.detail


async def test_a_failed_tls_handshake_is_said_plainly():
    # A receiver that speaks plain HTTP on the port the URL says is https: the client's
    # TLS hello is answered with a plain HTTP error, and the handshake fails.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_plainly() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=answer_plainly, daemon=True)
    thread.start()
    try:
        async with client(f"https://127.0.0.1:{port}/x", timeout=5.0) as c:
            _, answer = await final(c.submit(ship_batch()))
    finally:
        thread.join()
        listener.close()
    assert answer.outcome is Outcome.UNREACHABLE, answer.message
    assert "secure (TLS) connection could not be set up" in answer.message
    plain(answer.message)
    assert "SSL" in answer.detail


async def test_a_receiver_that_hangs_up_without_answering_is_said_plainly():
    def hang_up(sock, server):
        sock.close()

    with serving(hang_up) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNKNOWN  # it may have been applied: only a query can say
    assert "closed the connection without answering" in answer.message
    plain(answer.message)
    assert "Server disconnected without sending a response" in answer.detail


async def test_a_deadline_is_said_without_the_exception_name():
    with serving(drip) as server:
        async with client(server.url) as c:
            _, answer = await final(c.submit(ship_batch()))
    assert answer.outcome is Outcome.UNKNOWN and "within 0.5 s" in answer.message
    plain(answer.message)


async def test_the_journal_keeps_the_librarys_words_and_the_entry_says_not_sent(store):
    area = StagingArea(store)
    area.add([StagedAction.make(ORDER, "ship")])
    claim = area.claim(area.batch(), META)
    async with client(f"http://127.0.0.1:{closed_port()}/x") as c:
        _, answer = await final(c.submit(Batch(claim.batch.entries)))
    report = area.settle(claim, answer)
    assert [e.kind.value for e, _ in report.not_sent] == ["ship"] and not report.refused
    [line] = [e for e in store.journal() if e["event"] == "outcome" and not e["order_id"]]
    assert "refused the connection" in line["message"] and "ConnectionRefusedError" in line["message"]
    [entry_line] = [e for e in store.journal() if e["event"] == "outcome" and e["order_id"]]
    assert entry_line["outcome"] == EntryOutcome.NOT_SENT.value
    assert area.remark_at(0).startswith("not sent: ") and "ConnectionRefusedError" not in area.remark_at(0)
