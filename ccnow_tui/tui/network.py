"""Turning the client's event stream into app messages, in small timely batches.

A record reaches the screen at most ``FLUSH_DELAY`` after it was parsed, or at once when
``FLUSH_SIZE`` have piled up: a streaming 100,000-line answer then costs a few hundred
messages, not 100,000, and a slow trickle of lines still shows line by line.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Callable

from textual.message import Message

from ..client import ClientEvent, ReceiverAnswer, Retrying
from ..protocol.answer import OrderError, OrderLine, Record
from .messages import AnswerRecords, BatchProgress, PendingRecords, Request, RequestFinished, RetryNotice

FLUSH_DELAY = 0.03  # seconds
FLUSH_SIZE = 1000


class _Batcher:
    def __init__(self, emit: Callable[[list[Record]], None]) -> None:
        self._emit = emit
        self._buffer: list[Record] = []
        self._timer: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def add(self, record: Record) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= FLUSH_SIZE:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_later(FLUSH_DELAY, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buffer:
            records, self._buffer = self._buffer, []
            self._emit(records)


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

    batcher = _Batcher(emit)
    answer: ReceiverAnswer | None = None
    try:
        async for event in events:
            if isinstance(event, ReceiverAnswer):
                answer = event
            elif isinstance(event, Retrying):
                batcher.flush()
                post(RetryNotice(request, event))
            else:
                batcher.add(event)
    finally:
        batcher.flush()
    if answer is not None:
        post(RequestFinished(request, answer))
    return answer
