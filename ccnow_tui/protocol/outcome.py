"""What an answer means for each staged entry: applied, refused or unknown.

Pure functions over parsed records, so the rules that decide "did the ship happen?" can
be tested without a network. The rule of thumb: only an answer that positively confirms
an action counts as applied; anything missing, odd or cut off is *unknown*, never success.

For a batch that changes orders, applied or refused comes only from protocol lines: an
order's line (``ORDER STATUS``, ``ORDER error_message ...``) or a whole-request
``error_message ...`` that is the entire answer. Anything else in the answer (an HTML
page, garbage, an empty body) says nothing about what was applied, so it never makes an
entry refused: entries without a readable line for their order are unknown. A read
(a query-only batch) is different only in that a body with no protocol line at all is an
error (refused) rather than unknown: nothing could have changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Sequence

from .actions import ActionKind, StagedAction
from .answer import ErrorMessage, Message, OrderError, OrderLine, Record, Unparsed
from .orderid import OrderId
from .status import STATUS_CODES


class Outcome(StrEnum):
    OK = "ok"  # every entry applied (or every order answered, for reads)
    SOME_REFUSED = "some_refused"  # the receiver refused some entries, with its words
    REFUSED = "refused"  # the whole request was refused: nothing applied
    UNREACHABLE = "unreachable"  # the request never reached the receiver: nothing applied
    UNKNOWN = "unknown"  # sent, but the answer was lost or does not say: query to find out

    @property
    def exit_code(self) -> int:
        return _EXIT[self]


_EXIT = {Outcome.OK: 0, Outcome.SOME_REFUSED: 1, Outcome.REFUSED: 3, Outcome.UNREACHABLE: 3, Outcome.UNKNOWN: 4}


class EntryOutcome(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class EntryResult:
    n: int  # the entry's x_*_N number as sent
    entry: StagedAction
    outcome: EntryOutcome
    status: str = ""  # the status the receiver reported, when it reported one
    message: str = ""  # the receiver's words (refusal) or why the outcome is unknown

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "order_id": str(self.entry.order_id),
            "action": self.entry.kind.value,
            "outcome": self.outcome.value,
            "status": self.status,
            "message": self.message,
        }


# Status that confirms an action took effect. Settling may already have moved a shipped
# order on to completed (or refunded, when a discount was recorded).
CONFIRMS: dict[ActionKind, frozenset[str]] = {
    ActionKind.SHIP: frozenset({"mark_shipped", "completed", "refunded"}),
    ActionKind.CANCEL: frozenset({"mark_canceled", "canceled"}),
    ActionKind.ADJUST: frozenset({"pending"}),
    ActionKind.TRACK: frozenset({"pending"}),
}


def _terminal(entries: Sequence[StagedAction]) -> ActionKind | None:
    for e in entries:
        if e.kind in (ActionKind.SHIP, ActionKind.CANCEL):
            return e.kind
    return None


def _judge(entry: StagedAction, rec: Record, expect_kind: ActionKind | None) -> tuple[EntryOutcome, str, str]:
    if isinstance(rec, OrderError):
        return EntryOutcome.REFUSED, "", rec.message or "refused (no reason given)"
    assert isinstance(rec, OrderLine)
    status = rec.status
    if status not in STATUS_CODES:
        return EntryOutcome.UNKNOWN, status, f"unknown status code {status!r}"
    if entry.kind is ActionKind.QUERY:
        return EntryOutcome.APPLIED, status, ""
    kind = expect_kind or entry.kind
    if status in CONFIRMS[kind]:
        return EntryOutcome.APPLIED, status, ""
    return EntryOutcome.UNKNOWN, status, f"answer {status!r} does not confirm {entry.kind.value}"


def judge_line(group: Sequence[tuple[int, StagedAction]], rec: Record) -> list[EntryResult]:
    """The entries ``(N, entry)`` of one order, judged by the one answer line about it."""
    if len(group) == 1:
        n, e = group[0]
        return [EntryResult(n, e, *_judge(e, rec, None))]
    terminal = _terminal([e for _, e in group])
    return [EntryResult(n, e, *_judge(e, rec, terminal)) for n, e in group]


def resolve_batch(
    numbered: Sequence[tuple[int, StagedAction]],
    records: Iterable[Record],
    *,
    non_protocol: bool = False,
    complete: bool = True,
) -> tuple[Outcome, tuple[EntryResult, ...], str]:
    """Match answer lines to staged entries by order number, in order.

    The receiver may answer one line per distinct order (status after the whole batch,
    or its first error) or one line per entry; both are understood. ``complete`` is False
    when the body was cut off: entries with no line are then unknown, not refused.
    ``non_protocol``: the body was seen to be something else (an HTML page).

    Only lines for an order, or an answer that is a whole-request ``error_message`` and
    nothing else, make an entry applied or refused. For a batch that changes orders every
    other entry is unknown; for a read, an answer with no line for any order is an error.
    """
    whole_errors: list[ErrorMessage] = []
    unparsed: list[Unparsed] = []
    messages: list[Message] = []
    lines: dict[OrderId, list[Record]] = {}
    for r in records:
        if isinstance(r, (OrderLine, OrderError)):
            lines.setdefault(r.order_id, []).append(r)
        elif isinstance(r, ErrorMessage):
            whole_errors.append(r)
        elif isinstance(r, Unparsed):
            unparsed.append(r)
        elif isinstance(r, Message):
            messages.append(r)
    changes = any(e.kind.changes_orders for _, e in numbered)

    def everything(outcome: EntryOutcome, why: str) -> tuple[EntryResult, ...]:
        return tuple(EntryResult(n, e, outcome, "", why) for n, e in numbered)

    # The whole-request refusal: error_message line(s) and no other kind of line, read
    # to the end of the answer. Anything beside it, and it is not that shape.
    if whole_errors and not lines and not unparsed and not non_protocol and complete:
        why = whole_errors[0].text or "error_message without text"
        return Outcome.REFUSED, everything(EntryOutcome.REFUSED, why), why
    if not lines:
        if non_protocol or unparsed:
            why = "the receiver answered something that is not the protocol (shown raw)"
        elif whole_errors:
            why = f"receiver said: {whole_errors[0].text}, then the answer was cut off"
        elif messages:
            why = f"no line for any order (receiver said: message {messages[0].text})"
        elif complete:
            why = "the receiver sent an empty answer"
        else:
            why = "the answer was cut off before its first line"
        if changes:
            # Some of it may have been applied, and only a line for an order could say.
            return Outcome.UNKNOWN, everything(EntryOutcome.UNKNOWN, why), f"{why}; outcome unknown"
        if complete or non_protocol or unparsed:
            return Outcome.REFUSED, everything(EntryOutcome.REFUSED, why), why  # a read: an error

    by_order: dict[OrderId, list[tuple[int, StagedAction]]] = {}
    for n, e in numbered:
        by_order.setdefault(e.order_id, []).append((n, e))
    results: dict[int, EntryResult] = {}
    for oid, group in by_order.items():
        got = lines.get(oid, [])
        if not got:
            why = "no answer line for this order" + ("" if complete else " (answer cut off)")
            for n, e in group:
                results[n] = EntryResult(n, e, EntryOutcome.UNKNOWN, "", why)
        elif len(got) == len(group):
            for (n, e), rec in zip(group, got):
                results[n] = EntryResult(n, e, *_judge(e, rec, None))
        elif len(got) == 1:
            for r in judge_line(group, got[0]):
                results[r.n] = r
        else:
            why = f"{len(got)} answer lines for {len(group)} entries of this order"
            for n, e in group:
                results[n] = EntryResult(n, e, EntryOutcome.UNKNOWN, "", why)

    ordered = tuple(results[n] for n, _ in numbered)
    outcomes = {r.outcome for r in ordered}
    notes: list[str] = []
    extra = [oid for oid in lines if oid not in by_order]
    if extra:
        notes.append(f"{len(extra)} answer line(s) for orders not in the batch")
    if unparsed:
        notes.append(f"{len(unparsed)} line(s) not understood (shown raw)")
    if whole_errors:
        notes.append(f"receiver said: {whole_errors[0].text}")
    counts = Counter(r.outcome for r in ordered)  # one pass: batches run to 100k entries
    # A query changes nothing: its entries are answered, not applied.
    done = "applied" if any(e.kind.changes_orders for _, e in numbered) else "answered"
    summary = f"{counts[EntryOutcome.APPLIED]} {done}, {counts[EntryOutcome.REFUSED]} refused, {counts[EntryOutcome.UNKNOWN]} unknown"
    if EntryOutcome.UNKNOWN in outcomes:
        outcome = Outcome.UNKNOWN
    elif EntryOutcome.REFUSED in outcomes:
        outcome = Outcome.SOME_REFUSED
    else:
        outcome = Outcome.OK
    return outcome, ordered, "; ".join([summary, *notes])


def resolve_pending(
    records: Sequence[Record], *, non_protocol: bool = False, order_count: int | None = None
) -> tuple[Outcome, str]:
    """Whether a pending-list answer can be trusted as the list.

    ``order_count`` is given when the caller streamed the order lines on instead of
    keeping them; ``records`` then holds only the other records.
    """
    kinds = Counter(map(type, records))  # one C-level pass: lists run to 100k lines
    orders = kinds[OrderLine] if order_count is None else order_count
    errors = [r for r in records if type(r) is ErrorMessage] if kinds[ErrorMessage] else []
    messages = [r for r in records if type(r) is Message] if kinds[Message] else []
    unparsed = kinds[Unparsed]
    if non_protocol:
        return Outcome.REFUSED, "the receiver answered an HTML page, not the protocol (shown raw)"
    if errors and not orders:
        return Outcome.REFUSED, errors[0].text or "error_message without text"
    if not records and not orders:
        return Outcome.REFUSED, "the receiver sent an empty answer"
    if not orders and not messages:
        return Outcome.REFUSED, "the receiver answered something that is not the protocol (shown raw)"
    notes = [f"{orders} pending order(s)" if orders or not messages else messages[0].text]
    if unparsed:
        notes.append(f"{unparsed} line(s) not understood (shown raw)")
    return Outcome.OK, "; ".join(notes)
