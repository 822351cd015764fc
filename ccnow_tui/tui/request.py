"""One request the TUI makes, and for what: plain data, no textual (the controller reads it)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from enum import StrEnum

from ..domain.staging import Claim
from ..protocol.actions import StagedAction
from ..protocol.batch import Batch
from ..protocol.orderid import OrderId

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
    _by_order: dict[OrderId, list[tuple[int, StagedAction]]] | None = field(default=None, repr=False)

    def numbered_for(self, order_id: OrderId) -> list[tuple[int, StagedAction]]:
        """The batch's ``(N, entry)`` pairs for one order (indexed once, not per answer line)."""
        return self.index_orders().get(order_id, [])

    def index_orders(self) -> dict[OrderId, list[tuple[int, StagedAction]]]:
        """Order → its ``(N, entry)`` pairs. Built once; a worker thread may build it ahead
        of the answer (~0.1 s at the stress size, see docs/scale.md: a stall at the first line otherwise)."""
        if self._by_order is None:
            by_order: dict[OrderId, list[tuple[int, StagedAction]]] = {}
            for n, entry in self.batch.numbered() if self.batch is not None else []:
                by_order.setdefault(entry.order_id, []).append((n, entry))
            self._by_order = by_order
        return self._by_order
