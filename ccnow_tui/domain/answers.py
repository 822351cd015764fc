"""The receiver's answer to one request, as the domain reads it: plain data.

The client makes these (:mod:`ccnow_tui.client`); the staging area judges a batch's answer
against what was claimed; the CLI and the TUI show them. Here, below the client, so the
domain never imports the network stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..protocol.answer import OrderLine, Record
from ..protocol.orderid import OrderId
from ..protocol.outcome import EntryResult, Outcome


class RequestShape(StrEnum):
    """Which of the three request shapes was sent (what the TUI asked for and why is its
    own tui.request.RequestKind)."""

    PENDING = "pending"
    QUERY = "query"
    BATCH = "batch"


@dataclass(frozen=True)
class ReceiverAnswer:
    """The end of one request: what happened, in the receiver's words where it gave some."""

    request: RequestShape
    outcome: Outcome
    message: str
    records: tuple[Record, ...] = ()
    entries: tuple[EntryResult, ...] = ()
    http_status: int | None = None
    batch_id: str = ""
    elapsed: float = 0.0
    attempts: int = 1
    # Order lines answered. A pending list's order lines are streamed to the consumer,
    # not kept here (at the stress size they would only weigh on memory and the garbage collector),
    # so for PENDING ``records`` holds only the other records.
    order_count: int = 0
    # The network library's own words for a failure (``message`` says it in the
    # operator's): kept in the journal, never shown in place of the message.
    detail: str = ""

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    @property
    def raw_lines(self) -> list[str]:
        return [r.raw for r in self.records]

    def statuses(self) -> dict[OrderId, str]:
        """Each order the answer reported a status for (last line wins)."""
        return {r.order_id: r.status for r in self.records if isinstance(r, OrderLine)}
