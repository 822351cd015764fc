"""Turning the client's event stream into app messages.

The client is asked for ``chunked=True`` streams: one RecordChunk per network read. A
100,000-line pending list is then a few dozen messages (rows are added in batches), and
a slow trickle of lines still reaches the screen read by read, as it is parsed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import cast

from textual.message import Message

from ..client import ClientEvent, ReceiverAnswer, RecordChunk, Retrying
from ..protocol.answer import OrderError, OrderLine, Record
from .messages import AnswerRecords, BatchProgress, PendingRecords, Request, RequestFinished, RetryNotice


async def pump(
    request: Request,
    events: AsyncIterator[ClientEvent],
    post: Callable[[Message], object],
) -> ReceiverAnswer | None:
    """Consume one request's events, posting records, retries, progress and the answer."""
    total = len(request.batch.order_ids) if request.batch is not None else 0
    answered: set[str] = set()

    def emit(records: list[Record]) -> None:
        if request.batch is None:
            orders = [(r.order_id, r.status) for r in records if type(r) is OrderLine]
            other = [r for r in records if type(r) is not OrderLine]
            post(PendingRecords(request, orders, other))
            return
        post(AnswerRecords(request, records))
        answered.update(r.order_id for r in records if isinstance(r, (OrderLine, OrderError)))
        post(BatchProgress(request, len(answered), total))

    answer: ReceiverAnswer | None = None
    async for event in events:
        if type(event) is RecordChunk:
            emit(list(event))
        elif isinstance(event, ReceiverAnswer):
            answer = event
        elif isinstance(event, Retrying):
            answered.clear()  # the next attempt answers everything again
            post(RetryNotice(request, event))
        else:
            emit([cast(Record, event)])
    if answer is not None:
        post(RequestFinished(request, answer))
    return answer
