"""Turning the client's event stream into app messages, at the pace the UI takes them.

The client is asked for ``chunked=True`` streams: one RecordChunk per network read. A
stress-size answer (docs/scale.md) is then a few dozen chunks, and a slow trickle of lines still
reaches the screen read by read, as it is parsed.

A fast receiver answers faster than the UI can show it. Posting every chunk at once
would queue a second of work ahead of every key and every redraw, so records go to the
app one message at a time, each posted once the one before it was handled (the app sets
:attr:`Delivered.delivered`): a list's rows, cheap each, with every read that came
meanwhile; a batch's answer lines, each judged and logged, in slices of at most
:data:`SLICE`. The network is read meanwhile, ahead of the
UI, by a task of its own: a slow screen never slows the reading into a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import cast

from textual.message import Message

from ..client import ClientEvent, RecordChunk, Retrying
from ..domain.answers import ReceiverAnswer
from ..gcpause import collector_paused
from ..protocol.answer import OrderError, OrderLine, Record
from .messages import AnswerRecords, BatchProgress, Delivered, PendingRecords, Request, RequestFinished, RetryNotice

SLICE = 250  # records per message: a few ms of the UI's time, then keys and redraws get their turn
DELIVERY_PATIENCE = 5.0  # seconds to wait for the app to take a slice before posting the next anyway


async def pump(
    request: Request,
    events: AsyncIterator[ClientEvent],
    post: Callable[[Message], object],
) -> ReceiverAnswer | None:
    """Consume one request's events, posting records, retries, progress and the answer."""
    total = len(request.batch.order_ids) if request.batch is not None else 0
    answered: set[str] = set()
    arrived: deque[ClientEvent] = deque()
    wake = asyncio.Event()

    async def read() -> None:
        # The collector is paused while an answer streams in: its records (a pending list
        # at the stress size, see docs/scale.md) live long, and a collection scanning them
        # as they come is a stall of the UI. The core never pauses it (the CLI pays none).
        try:
            with collector_paused():
                async for event in events:
                    arrived.append(event)
                    wake.set()
        finally:
            wake.set()

    async def deliver(message: Delivered) -> None:
        if post(message):
            # Not handled in time (the app is closing, or very busy): go on, in order anyway.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(message.delivered.wait(), DELIVERY_PATIENCE)

    async def emit(records: list[Record]) -> None:
        if request.batch is None:  # list rows cost little each: a read's worth at a time
            orders = [(r.order_id, r.status) for r in records if type(r) is OrderLine]
            other = [r for r in records if type(r) is not OrderLine]
            await deliver(PendingRecords(request, orders, other))
            return
        for start in range(0, len(records), SLICE):  # each answer line is judged and logged
            part = records[start : start + SLICE]
            await deliver(AnswerRecords(request, part))
            answered.update(r.order_id for r in part if isinstance(r, (OrderLine, OrderError)))
            post(BatchProgress(request, len(answered), total))

    answer: ReceiverAnswer | None = None
    reader = asyncio.create_task(read())
    try:
        while arrived or not reader.done():
            if not arrived:
                wake.clear()
                if not reader.done():
                    await wake.wait()
                continue
            event = arrived.popleft()
            if type(event) is RecordChunk:
                records = list(event)
                if request.batch is None:  # list rows: all the reads that came meanwhile, in one go
                    while arrived and type(arrived[0]) is RecordChunk:
                        records.extend(cast(RecordChunk, arrived.popleft()))
                await emit(records)
            elif isinstance(event, ReceiverAnswer):
                answer = event
            elif isinstance(event, Retrying):
                answered.clear()  # the next attempt answers everything again
                post(RetryNotice(request, event))
            else:
                await emit([cast(Record, event)])
        reader.result()  # the client's failure, if it failed, is the worker's
    finally:
        if not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    if answer is not None:
        post(RequestFinished(request, answer))
    return answer
