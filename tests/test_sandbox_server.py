"""The sandbox receiver over real HTTP on loopback: request shapes, login, faults,
concurrency, logging, streaming and the ``sandbox`` command."""

from __future__ import annotations

import argparse
import io
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import httpx
import pytest

from ccnow_tui.protocol import AnswerParser, OrderLine, Unparsed, parse_answer
from ccnow_tui.protocol.answer import HTML_REASON
from ccnow_tui.sandbox import (
    Fault,
    FaultKind,
    SandboxConfig,
    SandboxServer,
    add_sandbox_arguments,
    parse_fault,
    run_sandbox,
)
from ccnow_tui.sandbox import server as server_module
from ccnow_tui.sandbox.address import listen, receiver_url
from ccnow_tui.sandbox.command import PASSWORD_ENV, sandbox_password
from ccnow_tui.sandbox.server import CHUNK_BYTES, RECEIVER_PATH

PASSWORD = "pw-Zq8#x&y+1"  # characters that change when form-encoded
CREDS = {"x_clientid": "acme", "x_password": PASSWORD}
REPO = Path(__file__).resolve().parents[1]
# One pooled client for the module: requests reuse kept-alive connections, as a real client's do.
CLIENT = httpx.Client(timeout=30)


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def start():
    """Start sandbox servers on ephemeral ports; all are stopped after the test."""
    servers: list[SandboxServer] = []

    def _start(**overrides) -> SandboxServer:
        options = dict(port=0, seed=11, orders=12, client_id="acme", password=PASSWORD, log=io.StringIO())
        options.update(overrides)
        server = SandboxServer(SandboxConfig(**options)).start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture
def receiver(start) -> SandboxServer:
    return start()


def entries(*items: tuple) -> dict[str, str]:
    """``(order, action, {extra})`` items as x_*_N fields numbered from 1."""
    fields: dict[str, str] = {}
    for n, (order, action, *extra) in enumerate(items, start=1):
        fields[f"x_orderid_{n}"] = str(order)
        fields[f"x_action_{n}"] = action
        for name, value in (extra[0] if extra else {}).items():
            fields[f"x_{name}_{n}"] = value
    return fields


def post(server: SandboxServer, *items: tuple, creds: dict[str, str] = CREDS, **kw) -> httpx.Response:
    return CLIENT.post(server.url, data={**creds, **entries(*items)}, **kw)


def lines(response: httpx.Response) -> list[str]:
    assert response.status_code == 200
    return response.text.splitlines()


def log_lines(server: SandboxServer, expect: int = 0) -> list[str]:
    """The log so far, after waiting for at least ``expect`` lines: a handler logs only
    once its answer is out, so the client can get the answer first."""
    read = lambda: server.config.log.getvalue().splitlines()  # noqa: E731
    wait_for(lambda: len(read()) >= expect, f"{expect} log lines")
    return read()


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    """Poll a condition another thread will make true (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- request shapes ------------------------------------------------------------------------


def test_url_and_the_pending_list(receiver):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/cgi-local/oapi_receive\.cgi", receiver.url)
    response = post(receiver)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "".join(f"{oid} pending\n" for oid in receiver.book.pending())
    assert len(lines(response)) == 12


def test_a_request_sent_before_the_server_starts_waits_for_it_on_a_socket_bound_ahead():
    """``--demo`` binds the receiver's socket before its first frame and starts the server
    after it: a request made in between waits in the socket's backlog and is answered."""
    listener = listen("127.0.0.1")
    url = receiver_url("127.0.0.1", listener.getsockname()[1])
    answers: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: answers.append(httpx.post(url, data=CREDS, timeout=30)))
    sender.start()
    server = SandboxServer(SandboxConfig(port=0, seed=11, orders=12, client_id="acme", password=PASSWORD))
    try:
        assert not answers  # nothing answers before the server starts
        server.start(listener)
        sender.join(timeout=30)
        assert server.url == url and server.port == listener.getsockname()[1]
        assert answers and answers[0].text == "".join(f"{oid} pending\n" for oid in server.book.pending())
    finally:
        server.stop()
    assert listener.fileno() == -1  # stopping closes the socket it was given


def test_no_pending_orders(start):
    assert post(start(orders=0)).text == "message no_pending_orders\n"


def test_query_one_and_several(receiver):
    a, b = receiver.book.pending()[:2]
    held = receiver.book.with_status("getman_hold")[0]
    assert lines(post(receiver, (a.digits, "query"))) == [f"{a} pending"]
    assert lines(post(receiver, (a, "query"), (held, "query"), (b, "query"))) == [
        f"{a} pending",
        f"{held} getman_hold",
        f"{b} pending",
    ]


def test_vendor_examples(receiver):
    a, b, c = receiver.book.pending()[:3]
    assert lines(post(receiver, (a, "cancel", {"notes": "Test order"}), (b, "ship"))) == [
        f"{a} mark_canceled",
        f"{b} mark_shipped",
    ]
    answer = post(
        receiver,
        (c, "adjust", {"amount": "5.00", "notes": "Sorry"}),
        (
            c,
            "track",
            {
                "trackname": "FedEx",
                "tracknumber": "7946",
                "notes": "Package should arrive in a week. Thankyou for your order.",
            },
        ),
        (c.digits, "ship"),
    )
    assert lines(answer) == [f"{c} mark_shipped"]
    assert receiver.book.record(c).applied == ("adjust", "track", "ship")


def test_mixed_batch_with_refusals_applies_the_rest(receiver):
    a, b, c = receiver.book.pending()[:3]
    done = receiver.book.with_status("completed")[0]
    answer = lines(
        post(
            receiver,
            (a, "query"),
            (b, "adjust", {"amount": "2.50"}),
            (done, "ship"),
            ("000000001", "ship"),
            (c, "track", {"trackname": "DHL", "tracknumber": "1"}),
            (b, "ship"),
        )
    )
    assert answer == [  # the sandbox numbers its orders from 100-00-0000 up: 000-00-0001 is unknown
        f"{a} pending",
        f"{b} mark_shipped",
        f"{done} error_message order_not_pending",
        "000-00-0001 error_message order_not_found",
        f"{c} pending",
    ]


@pytest.mark.parametrize(
    "item, field",
    [
        (("{a}", "refund"), "action"),
        (("{a}", "adjust"), "amount"),
        (("{a}", "adjust", {"amount": "$5"}), "amount"),
        (("{a}", "adjust", {"amount": "5.5.5"}), "amount"),
        (("{a}", "track", {"tracknumber": "1"}), "trackname"),
        (("{a}", "track", {"trackname": "UPS"}), "tracknumber"),
        (("39610114", "ship"), "order_id"),
    ],
)
def test_malformed_entries_fail_their_order_only(receiver, item, field):
    a, b = receiver.book.pending()[:2]
    item = (item[0].format(a=a), *item[1:])
    answer = lines(post(receiver, item, (b, "ship")))
    assert re.match(rf"\S+ error_message invalid {field}: ", answer[0]), answer[0]
    assert answer[1] == f"{b} mark_shipped"
    assert receiver.book.status(a) == "pending"


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"x_orderid_1": "{a}", "x_action_1": "ship", "x_orderid_3": "{b}", "x_action_3": "ship"}, "x_orderid_2"),
        ({"x_orderid_1": "{a}", "x_action_1": "ship", "x_action_2": "ship"}, "x_action_2"),
    ],
)
def test_broken_numbering_fails_the_whole_request(receiver, fields, named):
    a, b = receiver.book.pending()[:2]
    data = {**CREDS, **{k: v.format(a=a, b=b) for k, v in fields.items()}}
    answer = lines(CLIENT.post(receiver.url, data=data))
    assert len(answer) == 1 and answer[0].startswith("error_message invalid request: ") and named in answer[0]
    assert receiver.book.status(a) == receiver.book.status(b) == "pending"


# -- login ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "creds",
    [
        {"x_clientid": "acme", "x_password": "wrong"},
        {"x_clientid": "acme", "x_password": PASSWORD + " "},
        {"x_clientid": "other", "x_password": PASSWORD},
        {"x_clientid": "acme"},
        {"x_password": PASSWORD},
        {"x_clientid": "acme", "x_password": PASSWORD, "x_storeid": "acme"},  # no linked store configured
    ],
    ids=["password", "password-blank", "client", "no-password", "no-client", "unlinked-store"],
)
def test_bad_login_applies_nothing(receiver, creds):
    oid = receiver.book.pending()[0]
    assert lines(post(receiver, (oid, "ship"), creds=creds)) == ["error_message invalid login"]
    assert lines(post(receiver, creds=creds)) == ["error_message invalid login"]
    assert receiver.book.status(oid) == "pending"


def test_a_linked_store_id_may_be_given_or_omitted(start):
    server = start(store_id="acme-store")
    a, b, c = server.book.pending()[:3]
    assert lines(post(server, (a, "ship"), creds={**CREDS, "x_storeid": "acme-store"})) == [f"{a} mark_shipped"]
    assert lines(post(server, (b, "ship"))) == [f"{b} mark_shipped"]
    assert lines(post(server, (c, "ship"), creds={**CREDS, "x_storeid": "other-store"})) == [
        "error_message invalid login"
    ]
    assert server.book.status(c) == "pending"


# -- other paths and methods -----------------------------------------------------------------


def test_other_paths_are_not_found_and_get_is_not_allowed(receiver):
    base = receiver.url.removesuffix(RECEIVER_PATH)
    assert httpx.post(base + "/cgi-bin/other.cgi", data=CREDS).status_code == 404
    assert httpx.get(base + "/").status_code == 404
    response = httpx.get(receiver.url)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert "POST" in response.text and response.text.count("\n") == 1
    assert receiver.requests_seen == 0  # only POSTs to the receiver count


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["maintenance", "http500", "html"])
def test_refusing_faults_apply_nothing(start, kind):
    server = start(faults=[parse_fault(kind)])
    oid = server.book.pending()[0]
    for response in (post(server, (oid, "ship")), post(server)):  # batches and the pending list alike
        if kind == "maintenance":
            assert response.status_code == 200 and response.text == "error_message system down for maintenance\n"
        elif kind == "http500":
            assert response.status_code == 500 and response.text.strip()
        else:
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
            records = parse_answer(response.content)
            assert records and all(isinstance(r, Unparsed) and r.reason == HTML_REASON for r in records)
    assert server.book.status(oid) == "pending" and server.book.record(oid).applied == ()
    assert server.requests_seen == 2


def test_drop_after_apply_applies_then_sends_nothing(start):
    server = start(faults=[parse_fault("drop-after-apply")])
    a, b = server.book.pending()[:2]
    with pytest.raises(httpx.RemoteProtocolError):
        post(server, (a, "ship"), (b, "cancel"))
    assert (server.book.status(a), server.book.status(b)) == ("mark_shipped", "mark_canceled")


def read_cut_answer(server: SandboxServer, *items: tuple) -> bytes:
    """The body a client gets before the connection breaks (the break must happen)."""
    received = b""
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|closed"):
        with CLIENT.stream("POST", server.url, data={**CREDS, **entries(*items)}) as response:
            assert response.status_code == 200 and response.headers["transfer-encoding"] == "chunked"
            for piece in response.iter_bytes():
                received += piece
    return received


def test_truncate_applies_then_cuts_the_answer_mid_line(start):
    server = start(faults=[parse_fault("truncate")])
    shipped = server.book.pending()[:3]
    body = read_cut_answer(server, *[(oid, "ship") for oid in shipped])
    assert body and not body.endswith(b"\n")
    parser = AnswerParser()
    complete = parser.feed(body)
    assert parser.pending_bytes > 0  # an incomplete last line is left over
    assert all(isinstance(r, OrderLine) and r.status == "mark_shipped" for r in complete)
    assert [server.book.status(oid) for oid in shipped] == ["mark_shipped"] * 3


def test_truncate_cuts_a_long_pending_list_too(start):
    server = start(orders=20_000, faults=[parse_fault("truncate")])
    body = read_cut_answer(server)
    assert 0 < body.count(b"\n") < 20_000 and not body.endswith(b"\n")


def test_slow_applies_then_answers_late(start):
    server = start(faults=[parse_fault("slow=0.05")])
    oid = server.book.pending()[0]
    assert lines(post(server, (oid, "ship"))) == [f"{oid} mark_shipped"]
    assert log_lines(server, expect=1)[-1].endswith("-> 200 1 line (fault slow=0.05)")


def test_a_client_that_gives_up_on_a_slow_answer_finds_the_batch_applied(start):
    server = start(faults=[parse_fault("slow=60")])
    oid = server.book.pending()[0]
    with pytest.raises(httpx.ReadTimeout):
        post(server, (oid, "ship"), timeout=httpx.Timeout(10.0, read=1.0))
    assert server.book.status(oid) == "mark_shipped"


def test_stop_interrupts_a_slow_answer_and_cuts_its_connection(start):
    server = start(faults=[parse_fault("slow=600")])
    oid = server.book.pending()[0]
    outcome: list[object] = []

    def client() -> None:
        try:
            outcome.append(post(server, (oid, "ship"), timeout=60))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    wait_for(lambda: server.book.status(oid) == "mark_shipped", "the batch to be applied")
    server.stop()  # wakes the slow wait (an Event, not a sleep) and waits for the handler
    # The handler has finished, long before the 600 s delay, and knows its answer never got out.
    assert log_lines(server)[-1].endswith("-> answer not delivered (connection closed)")
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.TransportError)


def test_counted_faults_fire_on_that_many_requests(start):
    server = start(faults=[parse_fault("http500:2"), parse_fault("truncate:1")])
    oid = server.book.pending()[0]
    assert post(server).status_code == 500
    assert post(server).status_code == 500
    assert [str(f) for f in server.faults] == ["truncate:1"]  # truncate did not fire behind a refusal
    read_cut_answer(server, (oid, "query"))
    assert server.faults == []
    assert lines(post(server, (oid, "query"))) == [f"{oid} pending"]
    assert server.requests_seen == 4


def test_drop_wins_over_truncate_and_slow_combines(start):
    server = start(faults=[parse_fault("slow=0:1"), parse_fault("truncate:1"), parse_fault("drop-after-apply:1")])
    with pytest.raises(httpx.RemoteProtocolError):
        post(server)
    assert [str(f) for f in server.faults] == ["truncate:1"]


def test_scoped_faults_fire_only_on_their_kind_of_request(start):
    server = start(faults=[parse_fault("drop-after-apply:1@updates"), parse_fault("http500:1@reads")])
    a, b = server.book.pending()[:2]
    # A query-only batch is a read: the read-scoped fault fires, the update one waits.
    assert post(server, (a, "query")).status_code == 500
    assert [str(f) for f in server.faults] == ["drop-after-apply:1@updates"]
    assert len(lines(post(server))) == 12  # the pending list: no read fault left
    with pytest.raises(httpx.RemoteProtocolError):  # a batch that changes orders: dropped
        post(server, (a, "query"), (b, "ship"))
    assert server.book.status(b) == "mark_shipped" and server.faults == []


def test_faults_can_be_replaced_at_runtime_and_the_callers_faults_are_not_used_up(receiver):
    mine = [Fault(FaultKind.MAINTENANCE, remaining=1)]
    receiver.set_faults(mine)
    assert lines(post(receiver)) == ["error_message system down for maintenance"]
    assert len(lines(post(receiver))) == 12
    assert mine[0].remaining == 1
    receiver.set_faults([parse_fault("http500")])
    assert post(receiver).status_code == 500
    receiver.set_faults([])
    assert post(receiver).status_code == 200


@pytest.mark.parametrize(
    "text, kind, seconds, remaining",
    [
        ("maintenance", "maintenance", 0.0, None),
        ("slow=2.5", "slow", 2.5, None),
        ("slow=0:3", "slow", 0.0, 3),
        ("drop-after-apply", "drop-after-apply", 0.0, None),
        ("HTTP500:1", "http500", 0.0, 1),
        (" html ", "html", 0.0, None),
        ("truncate:1", "truncate", 0.0, 1),
        ("drop-after-apply@updates", "drop-after-apply", 0.0, None),
        ("slow=1.5:2@READS", "slow", 1.5, 2),
        ("html@all", "html", 0.0, None),
        ("http=500", "http", 0.0, None),
        ("HTTP=204:1@updates", "http", 0.0, 1),
        ("garbage", "garbage", 0.0, None),
        ("upper:2", "upper", 0.0, 2),
        ("empty@reads", "empty", 0.0, None),
        ("gzip", "gzip", 0.0, None),
        ("gzip-bad@updates", "gzip-bad", 0.0, None),
        ("drip=0.5", "drip", 0.5, None),
    ],
)
def test_parse_fault(text, kind, seconds, remaining):
    fault = parse_fault(text)
    assert (fault.kind, fault.seconds, fault.remaining) == (kind, seconds, remaining)
    scope = text.partition("@")[2].lower() or "all"
    assert fault.scope == scope
    assert parse_fault(str(fault)) == fault


@pytest.mark.parametrize(
    "text",
    [
        "explode",
        "slow",
        "slow=",
        "slow=fast",
        "slow=-1",
        "slow=nan",
        "slow=inf",
        "http500=2",
        "truncate:0",
        "truncate:x",
        "truncate:-1",
        "",
        "html@writes",
        "html@",
        "http",
        "http=",
        "http=200",
        "http=600",
        "http=99",
        "http=5e2",
        "http=abc",
        "drip",
        "drip=-1",
        "garbage=1",
        "gzip-bad=2",
    ],
)
def test_parse_fault_refuses_naming_the_bad_text(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        parse_fault(text)


def test_the_http_fault_keeps_its_status():
    fault = parse_fault("http=503:2@updates")
    assert (fault.kind, fault.status, str(fault)) == (FaultKind.HTTP, 503, "http=503:2@updates")


# What each post-apply fault does to the answer of an applied batch: (status, headers, body).
DAMAGED = {
    "http=500": lambda ok: (500, {}, ok),
    "http=201": lambda ok: (201, {}, ok),
    "http=204": lambda ok: (204, {}, b""),
    "garbage": lambda ok: (200, {}, b"Content-type: text/plain\n\nStatus: OK\nyour request was processed\n"),
    "upper": lambda ok: (200, {}, ok.upper()),
    "empty": lambda ok: (200, {}, b""),
    "gzip": lambda ok: (200, {"content-encoding": "gzip"}, ok),  # compared once decoded
    "gzip-bad": lambda ok: (200, {"content-encoding": "gzip"}, ok),  # the plain answer, labelled gzip
    "drip=0": lambda ok: (200, {}, ok),
    "late-error": lambda ok: (200, {}, b"message processing\nerror_message request timed out\n"),
    "two-errors": lambda ok: (200, {}, b"error_message database busy\nerror_message request timed out\n"),
}


@pytest.mark.parametrize("fault", DAMAGED)
def test_post_apply_faults_apply_then_damage_the_answer(start, fault):
    import gzip

    server = start(faults=[parse_fault(fault)])
    a, b = server.book.pending()[:2]
    answer = f"{a} mark_shipped\n{b} mark_canceled\n".encode()
    status, headers, expected = DAMAGED[fault](answer)
    with CLIENT.stream(
        "POST",
        server.url,
        data={**CREDS, **entries((a, "ship"), (b, "cancel"))},
        headers={"Accept-Encoding": "identity"},
    ) as response:
        raw = b"".join(response.iter_raw())  # as sent: httpx decodes nothing
    got = gzip.decompress(raw) if fault == "gzip" else raw
    assert (response.status_code, got) == (status, expected)
    assert {k: response.headers.get(k) for k in headers} == headers
    assert (server.book.status(a), server.book.status(b)) == ("mark_shipped", "mark_canceled")
    assert log_lines(server, expect=1)[-1].endswith(f"(fault {fault}, applied)")


def test_drip_sends_a_byte_at_a_time_and_stop_cuts_it_short(start):
    server = start(faults=[parse_fault("drip=600")])
    oid = server.book.pending()[0]
    with CLIENT.stream("POST", server.url, data={**CREDS, **entries((oid, "ship"))}) as response:
        pieces = response.iter_raw()
        assert next(pieces) == str(oid).encode()[:1]  # the first byte comes at once, then one each 600 s
        assert server.book.status(oid) == "mark_shipped"
        server.stop()
        with pytest.raises(httpx.RemoteProtocolError):
            b"".join(pieces)
    assert log_lines(server)[-1].endswith(f"-> 200 dripped 1 of {len(str(oid)) + 14} bytes (fault drip=600, applied)")


def test_the_pending_list_fault_answers_the_list_and_applies_nothing(start):
    server = start(faults=[parse_fault("pending-list")])
    a, b = server.book.pending()[:2]
    answer = lines(post(server, (a, "adjust", {"amount": "5.00"}), (b, "ship")))
    assert answer == [f"{oid} pending" for oid in server.book.pending()] and len(answer) > 2
    assert server.book.record(a).applied == () and server.book.record(b).applied == () and not server.book.applied()


def _adjust_and_track(oid) -> tuple[tuple, tuple]:
    return (oid, "adjust", {"amount": "5.00"}), (oid, "track", {"trackname": "UPS", "tracknumber": "1Z999AA1"})


def test_first_error_applies_an_orders_entries_one_by_one_and_refuses_the_last_of_several(start):
    server = start(faults=[parse_fault("first-error")])
    a, b = server.book.pending()[:2]
    answer = lines(post(server, *_adjust_and_track(a), (b, "ship")))
    assert answer == [f"{a} error_message entry 2 refused (fault first-error)", f"{b} mark_shipped"]
    # The discount was given before the refusal: the answer does not say so.
    assert server.book.record(a).discount == Decimal("5.00") and server.book.record(a).tracking == ()
    assert [(o, k) for o, k, _ in server.book.applied()] == [(str(a), "adjust"), (str(b), "ship")]


def test_per_entry_reversed_answers_a_line_per_entry_last_first(start):
    server = start(faults=[parse_fault("per-entry-reversed")])
    a, b = server.book.pending()[:2]
    assert lines(post(server, *_adjust_and_track(a), (a, "ship"), (b, "cancel"))) == [
        f"{a} mark_shipped",
        f"{a} pending",
        f"{a} pending",
        f"{b} mark_canceled",
    ]
    # With first-error: the lines disagree, the refusal first.
    server.set_faults([parse_fault("per-entry-reversed"), parse_fault("first-error")])
    c = server.book.pending()[0]
    assert lines(post(server, *_adjust_and_track(c))) == [
        f"{c} error_message entry 2 refused (fault first-error)",
        f"{c} pending",
    ]
    assert server.book.record(c).discount == Decimal("5.00")


def test_truncate_comes_before_other_damage_and_refusals_before_both(start):
    server = start(faults=[parse_fault("upper:1"), parse_fault("truncate:1"), parse_fault("http500:1")])
    assert post(server).status_code == 500
    read_cut_answer(server)
    assert [str(f) for f in server.faults] == ["upper:1"]
    assert post(server).text.splitlines()[0].endswith(" PENDING")


# -- concurrency ---------------------------------------------------------------------------------


def run_together(calls) -> list[object]:
    """Run the calls on their own threads, released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # reported by the assertions below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_batches_on_distinct_orders_all_apply_once(receiver):
    orders = receiver.book.pending()[:8]
    results = run_together([lambda oid=oid: lines(post(receiver, (oid, "ship"))) for oid in orders])
    assert results == [[f"{oid} mark_shipped"] for oid in orders]
    assert all(receiver.book.record(oid).applied == ("ship",) for oid in orders)
    assert receiver.requests_seen == 8


@pytest.fixture
def eager_thread_switching():
    """Switch threads far more often than the default 5 ms, so a missing lock shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_concurrent_ships_of_one_order_apply_exactly_once(receiver, eager_thread_switching):
    contested = receiver.book.pending()[:4]
    calls = [lambda oid=oid: lines(post(receiver, (oid, "ship"))) for oid in contested for _ in range(4)]
    results = run_together(calls + [lambda: lines(post(receiver))] * 2)
    for i, oid in enumerate(contested):
        ships = sorted(r[0] for r in results[4 * i : 4 * i + 4])
        assert ships == [f"{oid} error_message order_not_pending"] * 3 + [f"{oid} mark_shipped"]
        assert receiver.book.record(oid).applied == ("ship",)
    for pending_list in results[16:]:
        assert 8 <= len(pending_list) <= 12 and all(line.endswith(" pending") for line in pending_list)


# -- logging --------------------------------------------------------------------------------------


def test_one_log_line_per_request_and_never_the_password(start):
    server = start(faults=[parse_fault("maintenance:1")])
    a, b, c = server.book.pending()[:3]
    post(server)  # maintenance
    post(server)
    post(server, (a, "ship"), (b, "query"), (c, "adjust", {"amount": "1.00"}))
    post(server, creds={"x_clientid": "acme", "x_password": "wrong-Secret-1"})
    post(server, creds={"x_clientid": PASSWORD, "x_password": PASSWORD})  # password typed as client id
    httpx.post(server.url + "?x_password=" + quote_plus(PASSWORD), data=CREDS)
    httpx.get(server.url)
    logged = log_lines(server, expect=7)
    log = "\n".join(logged)
    for secret in (PASSWORD, quote_plus(PASSWORD), urlencode({"p": PASSWORD})[2:], "wrong-Secret-1"):
        assert secret not in log
    assert len(logged) == 7
    # Requests on different connections may log in either order.
    assert f"POST {RECEIVER_PATH} client=acme entries=3 -> 200 3 lines" in logged
    assert sum(line.endswith("(fault maintenance, nothing applied)") for line in logged) == 1


def test_the_default_demo_login_logs_its_client_id(start):
    server = start(client_id="demo", password="demo")
    assert lines(post(server, creds={"x_clientid": "demo", "x_password": "demo"}))
    assert log_lines(server, expect=1) == [f"POST {RECEIVER_PATH} client=demo entries=0 -> 200 12 lines"]


def test_control_characters_from_the_wire_are_written_out_in_the_log(start):
    server = start()
    post(server, creds={"x_clientid": "ac\x1b[2J\tme", "x_password": "wrong-Pw-1"})
    assert log_lines(server, expect=1)[-1].startswith(f"POST {RECEIVER_PATH} client=ac\\x1b[2J\\x09me ")


# -- streaming and scale -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_100k_pending_list_streams_in_chunks_and_parses_to_100k_order_lines(start):
    server = start(orders=100_000)
    parser = AnswerParser()
    records = []
    with CLIENT.stream("POST", server.url, data=CREDS, timeout=60) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        for piece in response.iter_bytes():
            records += parser.feed(piece)
    records += parser.close()
    assert len(records) == 100_000 and all(isinstance(r, OrderLine) and r.status == "pending" for r in records)
    assert [r.order_id for r in records] == server.book.pending()


def test_chunks_are_about_64_kib_each(start):
    server = start(orders=20_000)
    body = urlencode(CREDS).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
            % (RECEIVER_PATH.encode(), len(body), body)
        )
        raw = b""
        while chunk := sock.recv(1 << 16):
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    sizes, data = [], b""
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        sizes.append(size)
        data, rest = data + rest[:size], rest[size + 2 :]
    assert len(sizes) > 1 and all(s <= CHUNK_BYTES + 64 for s in sizes) and all(s >= CHUNK_BYTES for s in sizes[:-1])
    assert data.count(b"\n") == 20_000 and data.endswith(b"\n")


# -- time, seeds and lifecycle ------------------------------------------------------------------------


def test_settle_and_arrivals_follow_the_clock(start):
    clock = FakeClock()
    server = start(orders=3, settle=30.0, arrivals=2.0, clock=clock)  # an arrival every 30 s
    shipped, discounted = server.book.pending()[:2]
    post(server, (shipped, "ship"), (discounted, "adjust", {"amount": "3.00"}), (discounted, "ship"))
    clock.now += 30
    assert lines(post(server, (shipped, "query"), (discounted, "query"))) == [
        f"{shipped} completed",
        f"{discounted} refunded",
    ]
    assert len(lines(post(server))) == 1  # the arrival is only received yet
    clock.now += 20
    assert len(lines(post(server))) == 2


def test_the_same_seed_serves_the_same_orders(start):
    assert post(start(seed=5)).text == post(start(seed=5)).text != post(start(seed=6)).text


def test_stop_is_idempotent_and_the_server_is_a_context_manager():
    with SandboxServer(SandboxConfig(port=0, orders=1, log=None)) as server:
        url = server.url
        assert httpx.post(url, data={"x_clientid": "demo", "x_password": "demo"}).status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, data={})


# -- the sandbox command ---------------------------------------------------------------------------------

SCRIPT = """
import argparse, sys
from ccnow_tui.sandbox import add_sandbox_arguments, run_sandbox
parser = argparse.ArgumentParser(prog="ccnow-tui sandbox")
add_sandbox_arguments(parser)
code = run_sandbox(parser.parse_args(sys.argv[1:]))
assert "textual" not in sys.modules and "httpx" not in sys.modules, "the sandbox must not pull these in"
sys.exit(code)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_command_serves_until_a_signal_and_exits_cleanly(signum):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SCRIPT,
            "--port",
            "0",
            "--seed",
            "3",
            "--orders",
            "5",
            "--client-id",
            "cli",
            "--password",
            "pw-cli-9",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell job started with '&' inherits SIGINT ignored; the sandbox is meant to be
        # run from a terminal, so give it the default disposition whatever ran pytest.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        banner = proc.stdout.readline()
        match = re.fullmatch(
            r"ccnow sandbox receiver listening on (http://127\.0\.0\.1:\d+/cgi-local/oapi_receive\.cgi) "
            r"\(client id cli\)\n",
            banner,
        )
        assert match, banner
        answer = httpx.post(match[1], data={"x_clientid": "cli", "x_password": "pw-cli-9"})
        assert len(answer.text.splitlines()) == 5
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "pw-cli-9" not in err
    assert f"POST {RECEIVER_PATH} client=cli entries=0 -> 200 5 lines" in err


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccnow-tui sandbox")
    add_sandbox_arguments(p)
    return p


def test_a_port_in_use_is_a_one_line_error(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run_sandbox(parser().parse_args(["--port", str(port)])) == 2
    err = capsys.readouterr().err
    assert err == f"ccnow sandbox: cannot listen on 127.0.0.1:{port}: the port is already in use\n"


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--fault", "bogus"], "bogus"),
        (["--fault", "slow=soon"], "slow=soon"),
        (["--orders", "-3"], "-3"),
        (["--port", "70000"], "70000"),
    ],
)
def test_bad_options_are_argparse_errors(capsys, argv, named):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "ccnow-tui sandbox: error:" in err and named in err


def test_the_defaults():
    args = parser().parse_args([])
    assert (args.host, args.port, args.client_id, args.store_id) == ("127.0.0.1", 8642, "demo", "")
    assert (args.password, args.password_file, sandbox_password(args, env={})) == (None, None, "demo")
    assert (args.orders, args.seed, args.settle, args.arrivals, args.fault) == (40, None, None, 0.0, [])
    assert args.max_body == SandboxConfig().max_body == 16 * 1024 * 1024
    faults = parser().parse_args(["--fault", "slow=2", "--fault", "truncate:1"]).fault
    assert [str(f) for f in faults] == ["slow=2", "truncate:1"]


# -- request limits and reading ---------------------------------------------------------------------------


def form_body(*items: tuple, creds: dict[str, str] = CREDS) -> bytes:
    return urlencode({**creds, **entries(*items)}).encode()


def raw_exchange(
    server: SandboxServer, headers: list[bytes], body: bytes = b"", *, end_body: bool = False
) -> tuple[int, str]:
    """One POST written byte for byte (headers as given, no Content-Length added); the
    status and body of the answer, read until the server closes. ``end_body``: shut our
    sending side after the body, as a client that stops short does."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST %s HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n%s\r\n%s"
            % (RECEIVER_PATH.encode(), b"".join(h + b"\r\n" for h in headers), body)
        )
        if end_body:
            sock.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := sock.recv(1 << 16):
            raw += chunk
    head, _, text = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), text.decode()


def nothing_applied(server: SandboxServer, *orders) -> bool:
    return (
        server.requests_seen == 0
        and server.book.applied() == []
        and all(server.book.status(o) == "pending" for o in orders)
    )


def test_a_body_over_max_body_gets_413_by_its_content_length_before_any_of_it_is_sent(start):
    server = start(max_body=1000)
    # No body follows: a receiver that waited to read it would never answer.
    status, text = raw_exchange(server, [b"Content-Length: 1001"])
    assert status == 413
    assert text == "request body too large: Content-Length 1001 is over this receiver's limit of 1000 bytes\n"
    assert nothing_applied(server)


def test_a_request_just_over_the_limit_gets_413_and_nothing_is_applied_and_one_at_it_works(start):
    probe = start()
    a = probe.book.pending()[0]  # the same seed gives every server the same orders
    body = form_body((a, "ship"), (a, "query"))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    over = start(max_body=len(body) - 1)
    response = CLIENT.post(over.url, content=body, headers=headers)
    assert response.status_code == 413 and response.text.count("\n") == 1
    assert f"limit of {len(body) - 1} bytes" in response.text
    assert nothing_applied(over, a)
    at = start(max_body=len(body))
    assert lines(CLIENT.post(at.url, content=body, headers=headers)) == [f"{a} mark_shipped"]
    assert at.book.applied() == [(str(a), "ship", {})]


def test_a_body_that_ends_before_its_content_length_applies_nothing(receiver):
    a = receiver.book.pending()[0]
    body = form_body((a, "ship"))
    status, text = raw_exchange(receiver, [b"Content-Length: %d" % (len(body) + 10)], body, end_body=True)
    assert status == 400
    assert text == f"request body ended after {len(body)} of {len(body) + 10} bytes (Content-Length); nothing applied\n"
    assert nothing_applied(receiver, a)


@pytest.mark.parametrize(
    "lengths, status",
    [
        (lambda n: [f"+{n}"], 400),
        (lambda n: [f"{n // 10}_{n % 10}"], 400),  # int() reads "12_3" as 123
        (lambda n: [str(n), str(n - 1)], 400),  # two lengths that disagree
        (lambda n: ["9" * 5000], 413),  # int() would raise on 5,000 digits
    ],
    ids=["plus", "underscore", "conflicting", "5000-digits"],
)
def test_a_content_length_that_is_not_plain_digits_is_refused_and_nothing_applied(receiver, lengths, status):
    a = receiver.book.pending()[0]
    body = form_body((a, "ship"))
    got, text = raw_exchange(receiver, [b"Content-Length: " + v.encode() for v in lengths(len(body))], body)
    assert got == status and text.count("\n") == 1
    assert nothing_applied(receiver, a)


@pytest.mark.parametrize(
    "name",
    [
        "x_action_" + "9" * 5000,  # int() refuses more than 4,300 digits
        "x_orderid_" + "1" * 4300,
        "x_notes_" + "0" * 100_000 + "1",
        "x_amount_12345678",  # more digits than any N a form can reach
    ],
    ids=["action-5000", "orderid-4300", "notes-zero-padded", "amount-8-digits"],
)
def test_an_absurd_entry_number_is_a_request_error_naming_the_field_and_applies_nothing(receiver, name):
    a = receiver.book.pending()[0]
    data = {**CREDS, **entries((a, "ship")), name: "ship"}
    answer = lines(CLIENT.post(receiver.url, data=data))
    assert len(answer) == 1 and answer[0].startswith(f"error_message invalid request: {name[:40]}")
    assert len(answer[0]) < 300 and "without gaps" in answer[0]
    assert receiver.book.status(a) == "pending" and receiver.book.applied() == []
    # The login is still checked first.
    assert lines(CLIENT.post(receiver.url, data={**data, "x_password": "wrong"})) == ["error_message invalid login"]


def test_too_many_fields_is_413_and_nothing_applied(receiver):
    a = receiver.book.pending()[0]
    body = form_body((a, "ship")) + b"&" * server_module.MAX_FIELDS
    response = CLIENT.post(receiver.url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "too many fields" in response.text and response.text.count("\n") == 1
    assert nothing_applied(receiver, a)


def test_max_body_must_be_positive():
    with pytest.raises(ValueError, match="max_body"):
        SandboxServer(SandboxConfig(port=0, max_body=0, log=None))


def test_large_bodies_are_decoded_one_at_a_time_and_small_ones_never_wait(start, monkeypatch):
    """Decoding costs ~15 times a body's size: two large bodies never decode at once."""
    server = start()
    a, b, c = server.book.pending()[:3]
    big = [form_body((oid, "ship"), creds={**CREDS, "pad": "x" * 300}) for oid in (a, b)]
    small = form_body((c, "ship"))
    monkeypatch.setattr(server_module, "LARGE_BODY", len(small) + 100)
    real_decode = server_module._decode
    inside, most, count_lock = [0], [0], threading.Lock()
    release = threading.Event()

    def held_decode(body):
        with count_lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            if len(body) > server_module.LARGE_BODY:
                release.wait(30)  # the first large body holds its turn until told
            return real_decode(body)
        finally:
            with count_lock:
                inside[0] -= 1

    monkeypatch.setattr(server_module, "_decode", held_decode)
    results: list[object] = [None, None]

    def send(i: int) -> None:
        results[i] = CLIENT.post(
            server.url, content=big[i], headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    first = threading.Thread(target=send, args=(0,))
    first.start()
    wait_for(lambda: inside[0] == 1, "the first large body to be decoding")
    second = threading.Thread(target=send, args=(1,))
    second.start()
    wait_for(lambda: server._large_bodies.waiting == 1, "the second large body to wait its turn")
    # A small request goes past the queue while both large ones are held up.
    answer = CLIENT.post(server.url, content=small, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert lines(answer) == [f"{c} mark_shipped"]
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert [lines(r) for r in results] == [[f"{a} mark_shipped"], [f"{b} mark_shipped"]]
    assert most[0] == 2  # one large and the small one; never both large


# -- the password, out of sight of ps -----------------------------------------------------------------------


def test_password_sources_in_order_of_precedence(tmp_path):
    pw_file = tmp_path / "pw"
    pw_file.write_bytes("from-file-pw ünï\r\nsecond line ignored\n".encode())
    env = {PASSWORD_ENV: "from-env-pw"}
    assert sandbox_password(parser().parse_args(["--password", "from-option"]), env=env) == "from-option"
    assert sandbox_password(parser().parse_args(["--password-file", str(pw_file)]), env=env) == "from-file-pw ünï"
    assert sandbox_password(parser().parse_args([]), env=env) == "from-env-pw"
    assert sandbox_password(parser().parse_args([]), env={PASSWORD_ENV: ""}) == "demo"  # empty counts as unset
    pw_file.write_bytes(b"no-newline-at-all")
    assert sandbox_password(parser().parse_args(["--password-file", str(pw_file)]), env={}) == "no-newline-at-all"


def test_password_and_password_file_together_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["--password", "x", "--password-file", str(tmp_path / "pw")])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, why",
    [
        (None, "cannot be read (No such file or directory)"),
        (b"\nsecret-on-line-two\n", "its first line is empty"),
        (b"\xff\xfesecret-in-latin1\n", "its first line is not UTF-8 text"),
        (b"s" * 5000, "its first line is longer than 4096 bytes"),
    ],
    ids=["missing", "empty-first-line", "not-utf8", "too-long"],
)
def test_a_password_file_that_gives_no_password_is_a_one_line_error_without_its_contents(
    capsys, tmp_path, content, why
):
    path = tmp_path / "pw"
    if content is not None:
        path.write_bytes(content)
    args = parser().parse_args(["--port", "0", "--password-file", str(path)])
    assert run_sandbox(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ccnow sandbox: --password-file {path}: {why}") and err.count("\n") == 1
    assert "secret" not in err and "sss" not in err


def test_the_password_help_warns_that_ps_shows_it():
    help_text = " ".join(parser().format_help().split())
    assert "shows in ps" in help_text and "--password-file" in help_text and PASSWORD_ENV in help_text


@pytest.mark.parametrize(
    "argv, value",
    [
        (["--max-body", "1000"], 1000),
        (["--max-body", "512K"], 512 * 1024),
        (["--max-body", "16MiB"], 16 * 1024 * 1024),
        (["--max-body", "1g"], 1024**3),
    ],
)
def test_max_body_option(argv, value):
    assert parser().parse_args(argv).max_body == value


@pytest.mark.parametrize("text", ["0", "-1", "lots", "16X", "1.5M", ""])
def test_max_body_option_refuses_naming_the_bad_text(capsys, text):
    with pytest.raises(SystemExit):
        parser().parse_args(["--max-body", text])
    assert repr(text) in capsys.readouterr().err


@pytest.mark.parametrize("source", ["file", "env"])
def test_the_command_takes_its_password_from_a_file_or_the_environment_never_the_command_line(tmp_path, source):
    import os

    secret = "pw-hidden-from-ps-7"
    argv = [sys.executable, "-c", SCRIPT, "--port", "0", "--orders", "3", "--client-id", "cli", "--max-body", "600"]
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if source == "file":
        (tmp_path / "pw").write_text(secret + "\n")
        argv += ["--password-file", str(tmp_path / "pw")]
    else:
        env[PASSWORD_ENV] = secret
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = re.search(r"(http://\S+) ", proc.stdout.readline())[1]
        # What ps shows: the command line holds no password.
        assert secret.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert len(httpx.post(url, data={"x_clientid": "cli", "x_password": secret}).text.splitlines()) == 3
        assert httpx.post(url, data={"x_clientid": "cli", "x_password": "demo"}).text == "error_message invalid login\n"
        too_big = httpx.post(url, data={"x_clientid": "cli", "x_password": secret, "pad": "x" * 600})
        assert too_big.status_code == 413 and "limit of 600 bytes" in too_big.text
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert secret not in err and "Traceback" not in err
