"""Messages the network workers post to the app; the app updates the model and the screens.

Workers never touch widgets: they turn the client's event stream into these messages,
records in small batches (a 100,000-line answer must not become 100,000 messages).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from enum import StrEnum

from textual.message import Message

from ..client import ReceiverAnswer, Retrying
from ..protocol.answer import Record
from ..protocol.batch import Batch
from ..protocol.orderid import OrderId
from ..staging import Claim

_ids = itertools.count(1)


class RequestKind(StrEnum):
    PENDING = "pending list"
    QUERY = "query"
    SUBMIT = "batch"
    RECONCILE = "reconcile"


@dataclass(eq=False)
class Request:
    """One request the TUI made: what for, and (for batches) exactly what was sent."""

    kind: RequestKind
    batch: Batch | None = None
    order_ids: tuple[OrderId, ...] = ()
    unknown_batch_id: str = ""  # for RECONCILE: the unknown batch being settled
    claim: Claim | None = None  # for SUBMIT: the batch as claimed in the store before sending
    automatic: bool = False  # a timed refresh, not one the operator asked for
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.monotonic)
    _by_order: dict | None = field(default=None, repr=False)

    def numbered_for(self, order_id: OrderId) -> list:
        """The batch's ``(N, entry)`` pairs for one order (indexed once, not per answer line)."""
        if self._by_order is None:
            by_order: dict = {}
            for n, entry in (self.batch.numbered() if self.batch is not None else []):
                by_order.setdefault(entry.order_id, []).append((n, entry))
            self._by_order = by_order
        return self._by_order.get(order_id, [])


class PendingRecords(Message):
    """Orders from the pending list, as a chunk of the streaming answer arrives."""

    def __init__(self, request: Request, orders: list[tuple[OrderId, str]], other: list[Record]) -> None:
        super().__init__()
        self.request = request
        self.orders = orders
        self.other = other  # messages, errors and unparsed lines, for the log


class AnswerRecords(Message):
    """Records of a query or batch answer, as they are parsed."""

    def __init__(self, request: Request, records: list[Record]) -> None:
        super().__init__()
        self.request = request
        self.records = records


class BatchProgress(Message):
    """How many of a batch's orders have been answered so far."""

    def __init__(self, request: Request, answered: int, total: int) -> None:
        super().__init__()
        self.request = request
        self.answered = answered
        self.total = total


class RetryNotice(Message):
    def __init__(self, request: Request, retrying: Retrying) -> None:
        super().__init__()
        self.request = request
        self.retrying = retrying


class RequestFinished(Message):
    """The client's one final answer for a request."""

    def __init__(self, request: Request, answer: ReceiverAnswer) -> None:
        super().__init__()
        self.request = request
        self.answer = answer
