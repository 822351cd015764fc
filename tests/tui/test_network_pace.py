"""The network worker hands records to the app at the pace the app takes them: one
message at a time, each posted once the one before it was handled, a batch's answer in
slices of at most SLICE records, while the reading itself goes on ahead of the UI (a
slow screen must never turn into a network timeout). Order is kept; a client failure is
the worker's; the final answer comes after every record."""

from __future__ import annotations

import asyncio

import pytest

from ccnow_tui.client import RecordChunk
from ccnow_tui.domain.answers import ReceiverAnswer, RequestShape
from ccnow_tui.protocol import Batch, OrderId, StagedAction
from ccnow_tui.protocol.answer import OrderLine
from ccnow_tui.protocol.outcome import Outcome
from ccnow_tui.tui import network
from ccnow_tui.tui.messages import AnswerRecords, BatchProgress, PendingRecords, RequestFinished
from ccnow_tui.tui.request import Request, RequestKind

ORDERS = [OrderId.parse(f"{396100000 + i}") for i in range(1200)]


def lines(ids):
    return [OrderLine(o, "mark_shipped", f"{o}:mark_shipped") for o in ids]


def submit_request() -> Request:
    return Request(RequestKind.SUBMIT, Batch(StagedAction.make(o, "ship") for o in ORDERS), tuple(ORDERS))


async def test_slices_wait_for_the_app_while_the_reading_goes_on():
    read_all = asyncio.Event()

    async def events():
        yield RecordChunk(lines(ORDERS[:700]))
        yield RecordChunk(lines(ORDERS[700:]))
        read_all.set()
        yield ReceiverAnswer(RequestShape.BATCH, Outcome.OK, "ok")

    posted: list = []
    worker = asyncio.create_task(network.pump(submit_request(), events(), lambda m: posted.append(m) or True))
    await asyncio.wait_for(read_all.wait(), 5)  # everything read, though the app took nothing yet
    await asyncio.sleep(0)
    assert [type(m) for m in posted] == [AnswerRecords]  # one slice out, waiting for the app
    sizes = []
    while not worker.done():
        handed = [m for m in posted if isinstance(m, AnswerRecords) and not m.delivered.is_set()]
        for m in handed:
            sizes.append(len(m.records))
            m.delivered.set()
        await asyncio.sleep(0)
    answer = await worker
    assert answer is not None and isinstance(posted[-1], RequestFinished)
    assert all(0 < n <= network.SLICE for n in sizes) and sum(sizes) == len(ORDERS)
    got = [r.order_id for m in posted if isinstance(m, AnswerRecords) for r in m.records]
    assert got == ORDERS  # in answer order
    progress = [m.answered for m in posted if isinstance(m, BatchProgress)]
    assert progress == sorted(progress) and progress[-1] == len(ORDERS)


async def test_a_pending_list_goes_with_every_read_that_came_while_the_app_was_busy():
    more, all_read = asyncio.Event(), asyncio.Event()

    async def events():
        yield RecordChunk(lines(ORDERS[:500]))
        await more.wait()  # the receiver's next reads come while the app adds the first
        yield RecordChunk(lines(ORDERS[500:900]))
        yield RecordChunk(lines(ORDERS[900:]))
        all_read.set()
        yield ReceiverAnswer(RequestShape.PENDING, Outcome.OK, "ok")

    posted: list = []

    def post(message) -> bool:
        posted.append(message)
        more.set()
        return True

    worker = asyncio.create_task(network.pump(Request(RequestKind.PENDING), events(), post))
    await asyncio.wait_for(all_read.wait(), 5)
    while not worker.done():
        for m in posted:
            if isinstance(m, PendingRecords):
                m.delivered.set()  # as the app does once it has added the rows
        await asyncio.sleep(0)
    await worker
    rows = [[o for o, _ in m.orders] for m in posted if isinstance(m, PendingRecords)]
    assert [len(r) for r in rows] == [500, 700]  # the first read at once; the two that came meanwhile together
    assert [o for r in rows for o in r] == ORDERS


async def test_an_app_that_never_takes_a_slice_delays_but_does_not_stop_the_answer(monkeypatch):
    monkeypatch.setattr(network, "DELIVERY_PATIENCE", 0.01)

    async def events():
        yield RecordChunk(lines(ORDERS[:600]))
        yield ReceiverAnswer(RequestShape.BATCH, Outcome.OK, "ok")

    posted: list = []
    answer = await asyncio.wait_for(network.pump(submit_request(), events(), lambda m: posted.append(m) or True), 5)
    assert answer is not None and isinstance(posted[-1], RequestFinished)
    assert sum(len(m.records) for m in posted if isinstance(m, AnswerRecords)) == 600


async def test_a_client_failure_is_the_workers_and_stops_the_reading():
    async def events():
        yield RecordChunk(lines(ORDERS[:10]))
        raise OSError("the client broke")

    def post(message) -> bool:
        if isinstance(message, AnswerRecords):
            message.delivered.set()
        return True

    with pytest.raises(OSError, match="the client broke"):
        await network.pump(submit_request(), events(), post)


async def test_a_cancelled_worker_cancels_its_reading():
    stopped = asyncio.Event()

    async def events():
        try:
            yield RecordChunk(lines(ORDERS[:10]))
            await asyncio.Event().wait()  # the receiver goes quiet
        finally:
            stopped.set()

    worker = asyncio.create_task(network.pump(submit_request(), events(), lambda m: True))
    await asyncio.sleep(0.01)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert stopped.is_set()


async def test_the_collector_is_paused_while_an_answer_streams_in_and_back_on_after():
    """The TUI's boundary pauses the collector while records arrive (the core never does):
    back on once the answer is in, after a failure, and when the worker is cancelled."""
    import gc

    seen: list[bool] = []

    async def events():
        seen.append(gc.isenabled())
        yield RecordChunk(lines(ORDERS[:10]))
        seen.append(gc.isenabled())
        yield ReceiverAnswer(RequestShape.BATCH, Outcome.OK, "ok")

    assert gc.isenabled()
    await network.pump(submit_request(), events(), lambda m: m.delivered.set() if hasattr(m, "delivered") else None)
    assert seen == [False, False] and gc.isenabled()

    async def failing():
        yield RecordChunk(lines(ORDERS[:10]))
        raise OSError("the line dropped")

    with pytest.raises(OSError):
        await network.pump(submit_request(), failing(), lambda m: None)
    assert gc.isenabled()

    stuck = asyncio.Event()

    async def never_ends():
        yield RecordChunk(lines(ORDERS[:10]))
        await asyncio.Event().wait()
        yield ReceiverAnswer(RequestShape.BATCH, Outcome.OK, "ok")

    def post(m):
        stuck.set()
        return False

    worker = asyncio.create_task(network.pump(submit_request(), never_ends(), post))
    await asyncio.wait_for(stuck.wait(), 5)
    assert not gc.isenabled()
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert gc.isenabled()
