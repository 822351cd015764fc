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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..words import counted
from .actions import ActionKind, StagedAction
from .answer import ErrorMessage, MessageLine, OrderError, OrderLine, Record, Unparsed
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

    @property
    def label(self) -> str:
        """What the outcome is called, in front of the answer's summary ("refused: ...").
        A caller that must say more (the TUI's batch log) changes only the words it must."""
        return _LABEL[self]


_EXIT = {Outcome.OK: 0, Outcome.SOME_REFUSED: 1, Outcome.REFUSED: 3, Outcome.UNREACHABLE: 3, Outcome.UNKNOWN: 4}
_LABEL = {
    Outcome.OK: "done", Outcome.SOME_REFUSED: "some entries refused", Outcome.REFUSED: "refused",
    Outcome.UNREACHABLE: "not sent", Outcome.UNKNOWN: "OUTCOME UNKNOWN",
}


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


@dataclass(slots=True)
class _Sorted:
    """An answer's records, by kind: lines for orders (in order, per order) and the rest."""

    lines: dict[OrderId, list[Record]]
    whole_errors: list[ErrorMessage]
    unparsed: list[Unparsed]
    messages: list[MessageLine]


def _sort_records(records: Iterable[Record]) -> _Sorted:
    sorted_ = _Sorted({}, [], [], [])
    for r in records:
        if isinstance(r, (OrderLine, OrderError)):
            sorted_.lines.setdefault(r.order_id, []).append(r)
        elif isinstance(r, ErrorMessage):
            sorted_.whole_errors.append(r)
        elif isinstance(r, Unparsed):
            sorted_.unparsed.append(r)
        elif isinstance(r, MessageLine):
            sorted_.messages.append(r)
    return sorted_


def _without_order_lines(
    numbered: Sequence[tuple[int, StagedAction]], got: _Sorted, *, non_protocol: bool, complete: bool
) -> tuple[Outcome, tuple[EntryResult, ...], str] | None:
    """The answer when it holds no line for any order; None when the lines decide."""

    def everything(outcome: EntryOutcome, why: str) -> tuple[EntryResult, ...]:
        return tuple(EntryResult(n, e, outcome, "", why) for n, e in numbered)

    # The whole-request refusal: error_message line(s) and no other kind of line, read
    # to the end of the answer. Anything beside it, and it is not that shape.
    if got.whole_errors and not got.lines and not got.unparsed and not non_protocol and complete:
        why = got.whole_errors[0].text or "error_message without text"
        return Outcome.REFUSED, everything(EntryOutcome.REFUSED, why), why
    if got.lines:
        return None
    if non_protocol or got.unparsed:
        why = "the receiver answered something that is not the protocol (shown raw)"
    elif got.whole_errors:
        why = f"receiver said: {got.whole_errors[0].text}, then the answer was cut off"
    elif got.messages:
        why = f"no line for any order (receiver said: message {got.messages[0].text})"
    elif complete:
        why = "the receiver sent an empty answer"
    else:
        why = "the answer was cut off before its first line"
    if any(e.kind.changes_orders for _, e in numbered):
        # Some of it may have been applied, and only a line for an order could say.
        return Outcome.UNKNOWN, everything(EntryOutcome.UNKNOWN, why), f"{why}; outcome unknown"
    if complete or non_protocol or got.unparsed:
        return Outcome.REFUSED, everything(EntryOutcome.REFUSED, why), why  # a read: an error
    return None  # a read cut off before any line: each entry is unknown, below


def _match_order(group: Sequence[tuple[int, StagedAction]], got: Sequence[Record], complete: bool) -> list[EntryResult]:
    """One order's entries ``(N, entry)`` judged by the answer lines about that order."""
    if not got:
        why = "no answer line for this order" + ("" if complete else " (answer cut off)")
        return [EntryResult(n, e, EntryOutcome.UNKNOWN, "", why) for n, e in group]
    if len(got) == len(group):
        return [EntryResult(n, e, *_judge(e, rec, None)) for (n, e), rec in zip(group, got, strict=True)]
    if len(got) == 1:
        return judge_line(group, got[0])
    why = f"{len(got)} answer lines for {len(group)} entries of this order"
    return [EntryResult(n, e, EntryOutcome.UNKNOWN, "", why) for n, e in group]


def _summarize(
    numbered: Sequence[tuple[int, StagedAction]], ordered: tuple[EntryResult, ...], got: _Sorted, extra: int
) -> tuple[Outcome, str]:
    """The batch's outcome and its one-line summary, with notes on what did not fit."""
    notes: list[str] = []
    if extra:
        notes.append(f"{counted(extra, 'answer line', 'answer lines')} for orders not in the batch")
    if got.unparsed:
        notes.append(f"{counted(len(got.unparsed), 'line', 'lines')} not understood (shown raw)")
    if got.whole_errors:
        notes.append(f"receiver said: {got.whole_errors[0].text}")
    counts = Counter(r.outcome for r in ordered)  # one pass: batches run to 100k entries
    # A query changes nothing: its entries are answered, not applied.
    done = "applied" if any(e.kind.changes_orders for _, e in numbered) else "answered"
    applied, refused, unknown = (counts[o] for o in (EntryOutcome.APPLIED, EntryOutcome.REFUSED, EntryOutcome.UNKNOWN))
    summary = f"{applied} {done}, {refused} refused, {unknown} unknown"
    if counts[EntryOutcome.UNKNOWN]:
        outcome = Outcome.UNKNOWN
    elif counts[EntryOutcome.REFUSED]:
        outcome = Outcome.SOME_REFUSED
    else:
        outcome = Outcome.OK
    return outcome, "; ".join([summary, *notes])


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
    got = _sort_records(records)
    decided = _without_order_lines(numbered, got, non_protocol=non_protocol, complete=complete)
    if decided is not None:
        return decided
    by_order: dict[OrderId, list[tuple[int, StagedAction]]] = {}
    for n, e in numbered:
        by_order.setdefault(e.order_id, []).append((n, e))
    results: dict[int, EntryResult] = {}
    for oid, group in by_order.items():
        for r in _match_order(group, got.lines.get(oid, []), complete):
            results[r.n] = r
    ordered = tuple(results[n] for n, _ in numbered)
    extra = sum(1 for oid in got.lines if oid not in by_order)
    outcome, summary = _summarize(numbered, ordered, got, extra)
    return outcome, ordered, summary


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
    messages = [r for r in records if type(r) is MessageLine] if kinds[MessageLine] else []
    unparsed = kinds[Unparsed]
    if non_protocol:
        return Outcome.REFUSED, "the receiver answered an HTML page, not the protocol (shown raw)"
    if errors and not orders:
        return Outcome.REFUSED, errors[0].text or "error_message without text"
    if not records and not orders:
        return Outcome.REFUSED, "the receiver sent an empty answer"
    if not orders and not messages:
        return Outcome.REFUSED, "the receiver answered something that is not the protocol (shown raw)"
    notes = [counted(orders, "pending order", "pending orders") if orders or not messages else messages[0].text]
    if unparsed:
        notes.append(f"{counted(unparsed, 'line', 'lines')} not understood (shown raw)")
    return Outcome.OK, "; ".join(notes)
