"""The client against the real sandbox over loopback: every request shape and fault."""

from __future__ import annotations

import pytest

from ccnow_tui.client import (
    USER_AGENT,
    ClientConfigError,
    ReceiverClient,
    Retrying,
    check_url,
)
from ccnow_tui.domain.answers import ReceiverAnswer, RequestShape
from ccnow_tui.protocol import Batch, Credentials, OrderLine, Secret, StagedAction
from ccnow_tui.protocol.answer import ErrorMessage, OrderError, Unparsed
from ccnow_tui.protocol.outcome import EntryOutcome, Outcome
from ccnow_tui.sandbox.faults import parse_fault

PASSWORD = "s3cret-Pa55/word&x"


def client_for(server, *, password=None, timeout=5.0, retries=2):
    return ReceiverClient(
        server.url,
        Credentials("demo", Secret(password or server.config.password)),
        timeout=timeout,
        profile="test",
        retries=retries,
        backoff=0.01,
    )


async def collect(events):
    out = []
    async for ev in events:
        out.append(ev)
    assert isinstance(out[-1], ReceiverAnswer), "every request ends with one ReceiverAnswer"
    assert sum(isinstance(e, ReceiverAnswer) for e in out) == 1
    return out[:-1], out[-1]


def ship(oid):
    return StagedAction.make(oid, "ship")


async def test_pending_list_streams_order_lines(sandbox):
    async with client_for(sandbox) as c:
        records, answer = await collect(c.pending())
    ids = [r.order_id for r in records if isinstance(r, OrderLine)]
    assert ids == sandbox.book.pending()
    assert answer.outcome is Outcome.OK and answer.request is RequestShape.PENDING
    assert all(r.status == "pending" for r in records)
    # Streamed on, not kept: a 100k list must not be held twice.
    assert answer.order_count == len(ids) and answer.records == ()


async def test_truncated_read_is_retried_and_discards_the_partial_records(sandbox):
    sandbox.set_faults([parse_fault("truncate:1")])
    async with client_for(sandbox) as c:
        events, answer = await collect(c.pending())
    cut = next(i for i, e in enumerate(events) if isinstance(e, Retrying))
    assert events[cut].discarded == cut > 0, "the partial records before the retry are void"
    assert [r.order_id for r in events[cut + 1 :]] == sandbox.book.pending()
    assert answer.outcome is Outcome.OK


async def test_query_several_orders(sandbox):
    first, second = sandbox.book.pending()[:2]
    async with client_for(sandbox) as c:
        _, answer = await collect(c.query([first, second.digits]))
    assert answer.outcome is Outcome.OK
    assert answer.statuses() == {first: "pending", second: "pending"}


async def test_query_unknown_order_is_refused_with_receivers_words(sandbox):
    async with client_for(sandbox) as c:
        _, answer = await collect(c.query(["999-99-9999"]))
    assert answer.outcome is Outcome.SOME_REFUSED
    assert answer.entries[0].message == "order_not_found"


async def test_batch_applies_and_carries_the_stores_batch_id(sandbox):
    a, b = sandbox.book.pending()[:2]
    batch = Batch(
        [
            ship(a),
            StagedAction.make(a, "adjust", amount="5", notes="dented"),
            StagedAction.make(a, "track", trackname="UPS", tracknumber="1Z99"),
            StagedAction.make(b, "cancel", notes="asked to"),
        ]
    )
    async with client_for(sandbox) as c:
        records, answer = await collect(c.submit(batch, batch_id="b-0001"))
    assert answer.outcome is Outcome.OK, answer.message
    assert [r.raw for r in records] == [f"{a} mark_shipped", f"{b} mark_canceled"]
    assert [e.entry.kind.value for e in answer.entries] == ["adjust", "track", "ship", "cancel"]
    assert sandbox.book.status(a) == "mark_shipped" and sandbox.book.status(b) == "mark_canceled"
    assert answer.batch_id == "b-0001"


@pytest.mark.parametrize("fault", [None, "drop-after-apply"])
async def test_a_big_batch_is_judged_off_the_event_loop_alike(tmp_path, fault):
    # From OFF_LOOP_ENTRIES entries on, the body is built and the answer judged on a
    # worker thread: the results must be the same as on the loop, lost answer included.
    from ccnow_tui.client import OFF_LOOP_ENTRIES
    from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer

    server = SandboxServer(SandboxConfig(port=0, seed=3, orders=OFF_LOOP_ENTRIES, password=PASSWORD, log=None)).start()
    try:
        if fault:
            server.set_faults([parse_fault(fault)])
        pending = server.book.pending()
        async with client_for(server, timeout=60) as c:
            _, answer = await collect(c.submit(Batch(ship(o) for o in pending)))
        expected = Outcome.UNKNOWN if fault else Outcome.OK
        assert answer.outcome is expected and len(answer.entries) == len(pending) == OFF_LOOP_ENTRIES
        assert all(server.book.status(o) == "mark_shipped" for o in pending)
        assert [e.entry for e in answer.entries] == Batch(ship(o) for o in pending).entries
        assert {e.outcome for e in answer.entries} == {EntryOutcome.UNKNOWN if fault else EntryOutcome.APPLIED}
    finally:
        server.stop()


async def test_refused_entries_keep_the_receivers_words(sandbox):
    a = sandbox.book.pending()[0]
    async with client_for(sandbox) as c:
        await collect(c.submit(Batch([ship(a)])))
        records, answer = await collect(c.submit(Batch([ship(a)])))
    assert isinstance(records[0], OrderError)
    assert answer.outcome is Outcome.SOME_REFUSED
    assert answer.entries[0].outcome is EntryOutcome.REFUSED
    assert answer.entries[0].message == "order_not_pending"


async def test_bad_login_refuses_whole_request(sandbox):
    async with client_for(sandbox, password="wrong") as c:
        records, answer = await collect(c.pending())
    assert isinstance(records[0], ErrorMessage) and records[0].text == "invalid login"
    assert answer.outcome is Outcome.REFUSED


async def test_maintenance_fault_refuses_and_applies_nothing(sandbox):
    a = sandbox.book.pending()[0]
    sandbox.set_faults([parse_fault("maintenance")])
    async with client_for(sandbox) as c:
        _, answer = await collect(c.submit(Batch([ship(a)])))
    assert answer.outcome is Outcome.REFUSED
    assert answer.message == "system down for maintenance"
    assert sandbox.book.status(a) == "pending"


@pytest.mark.parametrize("fault", ["http500", "html"])
async def test_error_pages_leave_a_batch_unknown_and_fail_a_query(sandbox, fault):
    # The sandbox answers these before applying anything, but a client cannot tell them
    # from a receiver that died half-way through the batch: only protocol lines decide.
    a = sandbox.book.pending()[0]
    sandbox.set_faults([parse_fault(fault)])
    async with client_for(sandbox, retries=0) as c:
        records, answer = await collect(c.submit(Batch([ship(a)])))
        _, read = await collect(c.query([a]))
    assert answer.outcome is Outcome.UNKNOWN, answer.message
    assert all(e.outcome is EntryOutcome.UNKNOWN for e in answer.entries)
    assert sandbox.book.status(a) == "pending"
    assert read.outcome is Outcome.REFUSED, read.message  # a read is simply an error
    if fault == "html":
        assert records and all(isinstance(r, Unparsed) for r in records)
    else:
        assert answer.http_status == read.http_status == 500


# Post-apply faults: the batch is applied, then its answer is lost, cut or not the
# protocol. drip=0.2 sends each byte well inside the per-read timeout: only a deadline on
# the whole exchange ends it (the 6-line answer would take about 30 s).
LOST_OR_NOT_THE_PROTOCOL = [
    "drop-after-apply",
    "truncate",
    "slow=3",
    "http=500",
    "http=201",
    "http=204",
    "http=502",
    "garbage",
    "upper",
    "empty",
    "gzip-bad",
    "drip=0.2",
]


@pytest.mark.parametrize("fault", LOST_OR_NOT_THE_PROTOCOL)
async def test_lost_answer_is_unknown_and_never_resent(sandbox, fault):
    pending = sandbox.book.pending()
    batch = Batch([ship(o) for o in pending[:6]])
    sandbox.set_faults([parse_fault(fault)])
    before = sandbox.requests_seen
    async with client_for(sandbox, timeout=1.0 if fault.startswith("drip") else 0.5) as c:
        _, answer = await collect(c.submit(batch))
    assert answer.outcome is Outcome.UNKNOWN, answer.message
    assert "query" in answer.message
    assert sandbox.requests_seen - before == 1, "a batch that changes orders is never re-sent"
    # It was in fact applied: exactly the case where re-sending would double-ship.
    assert all(sandbox.book.status(o) == "mark_shipped" for o in pending[:6])
    assert any(e.outcome is EntryOutcome.UNKNOWN for e in answer.entries)


async def test_a_gzipped_answer_is_decoded_and_judged(sandbox):
    # Asked for identity, a receiver (or proxy) gzips anyway: the answer is still read.
    pending = sandbox.book.pending()[:3]
    sandbox.set_faults([parse_fault("gzip")])
    async with client_for(sandbox) as c:
        records, answer = await collect(c.submit(Batch(ship(o) for o in pending)))
    assert answer.outcome is Outcome.OK, answer.message
    assert [r.raw for r in records] == [f"{o} mark_shipped" for o in pending]


@pytest.mark.parametrize("fault", ["http=500", "http=201", "http=204", "garbage", "upper", "empty", "gzip-bad", "html"])
async def test_reads_that_get_no_protocol_answer_are_an_error(sandbox, fault):
    sandbox.set_faults([parse_fault(fault)])
    async with client_for(sandbox, retries=0) as c:
        _, answer = await collect(c.pending())
        _, query = await collect(c.query(sandbox.book.pending()[:1]))
    assert answer.outcome is Outcome.REFUSED and answer.order_count == 0, answer.message
    assert query.outcome is Outcome.REFUSED, query.message


async def test_a_read_that_drips_ends_at_the_deadline_and_is_not_success(sandbox):
    sandbox.set_faults([parse_fault("drip=0.2")])
    async with client_for(sandbox, timeout=1.0, retries=0) as c:
        _, answer = await collect(c.pending())
    assert answer.outcome is Outcome.UNKNOWN and "within 1 s" in answer.message


@pytest.mark.parametrize("fault", ["http500:1", "drop-after-apply:2", "truncate:1"])
async def test_reads_retry_with_backoff_and_recover(sandbox, fault):
    sandbox.set_faults([parse_fault(fault)])
    before = sandbox.requests_seen
    async with client_for(sandbox) as c:
        events, answer = await collect(c.pending())
    retries = [e for e in events if isinstance(e, Retrying)]
    assert retries and answer.outcome is Outcome.OK
    assert answer.attempts == len(retries) + 1 == sandbox.requests_seen - before
    assert answer.order_count == len(sandbox.book.pending())


async def test_reads_give_up_after_bounded_retries(sandbox):
    sandbox.set_faults([parse_fault("http500")])
    before = sandbox.requests_seen
    async with client_for(sandbox, retries=2) as c:
        _, answer = await collect(c.pending())
    assert answer.outcome is Outcome.REFUSED and answer.http_status == 500
    assert sandbox.requests_seen - before == 3


async def test_unreachable_receiver_sends_nothing(sandbox):
    url = sandbox.url
    sandbox.stop()
    c = ReceiverClient(url, Credentials("demo", Secret("demo")), retries=0, backoff=0.01)
    async with c:
        _, answer = await collect(c.submit(Batch([ship("396-10-1142")])))
    assert answer.outcome is Outcome.UNREACHABLE
    assert "nothing applied" in answer.message


async def test_user_agent_and_no_password_in_server_log(sandbox):
    async with client_for(sandbox, password=PASSWORD) as c:
        await collect(c.pending())
    log = sandbox.log_text.getvalue()
    assert PASSWORD not in log and "s3cret" not in log
    assert USER_AGENT.startswith("ccnow-tui/")


def test_plain_http_refused_except_loopback():
    assert check_url("http://127.0.0.1:8642/x")
    assert check_url("http://localhost/x")
    assert check_url("http://[::1]:8/x")
    assert check_url("https://www.ccnow.com/cgi-local/oapi_receive.cgi")
    with pytest.raises(ClientConfigError, match=r"plain http to example\.com"):
        check_url("http://example.com/cgi-local/oapi_receive.cgi")
    with pytest.raises(ClientConfigError):
        check_url("ftp://127.0.0.1/x")


def test_client_needs_a_password():
    with pytest.raises(ClientConfigError, match="no API password"):
        ReceiverClient("https://example.com/x", Credentials("demo", Secret("")))


async def test_the_client_leaves_the_collector_alone_the_command_line_pauses_it(sandbox):
    """The core never touches the collector (docs/scale.md): while the client's answer
    streams in it stays on; the command line's drive, its boundary, pauses it for the
    answer and turns it back on after, and leaves alone a pause it did not start."""
    import gc
    import io

    from ccnow_tui.cli.output import Printer, drive

    seen: list[bool] = []

    async def watched(events):
        async for event in events:
            seen.append(gc.isenabled())
            yield event

    assert gc.isenabled()
    async with client_for(sandbox) as c:
        for chunked in (True, False):
            seen.clear()
            async for _event in c.pending(chunked=chunked):
                seen.append(gc.isenabled())
            assert len(seen) > 1 and all(seen), "the client paused the collector"
        seen.clear()
        answer = await drive(watched(c.pending()), Printer(False, io.StringIO()), read_only=True)
        assert answer.outcome is Outcome.OK
        assert len(seen) > 1 and not any(seen), "the command line reads the answer paused"
        assert gc.isenabled()
        gc.disable()
        try:
            await drive(c.pending(), Printer(False, io.StringIO()), read_only=True)
            assert not gc.isenabled(), "a pause the command line did not start is not ended by it"
        finally:
            gc.enable()


async def test_the_profiles_answer_size_limit_reaches_the_client(sandbox, tmp_path):
    from ccnow_tui import client as client_module
    from ccnow_tui.config.load import DEFAULT_MAX_ANSWER_BYTES, ConfigError, load_config, resolve_connection

    assert DEFAULT_MAX_ANSWER_BYTES == client_module.DEFAULT_MAX_ANSWER_BYTES
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.p]\nclient_id = "demo"\nurl = "{sandbox.url}"\nmax_answer_bytes = 100\n')
    settings = resolve_connection(load_config(path), None, {"CCNOW_PASSWORD": sandbox.config.password})
    assert settings.max_answer_bytes == 100
    c = ReceiverClient(
        settings.url, Credentials("demo", settings.password), max_answer_bytes=settings.max_answer_bytes, retries=0
    )
    async with c:
        _, answer = await collect(c.pending())
    assert answer.outcome is Outcome.REFUSED and "larger than the limit of 100 bytes" in answer.message
    for bad in ("0", "true", '"64M"', "1.5"):
        path.write_text(f'[profiles.p]\nclient_id = "demo"\nmax_answer_bytes = {bad}\n')
        with pytest.raises(ConfigError, match=r"line 3: \[profiles.p\] 'max_answer_bytes' must be a whole number"):
            load_config(path)
    with pytest.raises(ClientConfigError, match="max_answer_bytes"):
        ReceiverClient(sandbox.url, Credentials("demo", Secret("x")), max_answer_bytes=0)
