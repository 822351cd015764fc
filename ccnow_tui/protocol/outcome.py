"""What an answer proves for each staged entry: applied, refused or unknown.

Pure functions over parsed records, so the rules that decide "did the ship happen?" can
be tested without a network. The rule: an entry is applied or refused only when the answer
proves it for that entry; everything else in a sent batch that changes orders is unknown,
and goes to reconcile (query the orders), never re-sent by itself.

What proves something, for a batch that changes orders:

* only the protocol's answer to the batch: lines that are each about an order of the
  batch, or one whole-request ``error_message`` line and nothing else. Anything else (an
  HTML page, garbage, an empty body, a pending list sent back instead of results, a
  ``message`` beside an ``error_message``, two error lines) says nothing about what was
  applied, so every entry is unknown;
* an order's status line is the receiver's word that it processed that order's entries,
  judged against what each entry should have done (:data:`CONFIRMS`);
* an order's error line refuses that order's entry only when it had one: a receiver may
  apply an order's entries one by one and stop at the first error;
* one line per entry is paired in order only while the pairing cannot change a verdict.

A read (a query-only batch) changes nothing: an answer that is not the protocol is an
error for it (refused) rather than unknown.
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
from .status import PENDING, STATUS_CODES


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

    @property
    def batch_word(self) -> str:
        """A sent batch's outcome in a word or two, where batches are listed (the history)."""
        return _BATCH_WORDS[self][0]

    @property
    def batch_sentence(self) -> str:
        """A sent batch's outcome where it is reported (the TUI's log: "batch refused,
        nothing applied"): it says whether anything was applied."""
        return _BATCH_WORDS[self][1]


_EXIT = {Outcome.OK: 0, Outcome.SOME_REFUSED: 1, Outcome.REFUSED: 3, Outcome.UNREACHABLE: 3, Outcome.UNKNOWN: 4}
_LABEL = {
    Outcome.OK: "done",
    Outcome.SOME_REFUSED: "some entries refused",
    Outcome.REFUSED: "refused",
    Outcome.UNREACHABLE: "not sent",
    Outcome.UNKNOWN: "OUTCOME UNKNOWN",
}
# The one home of what a batch's outcome is called: (in a list, in a report).
_BATCH_WORDS = {
    Outcome.OK: ("applied", "applied"),
    Outcome.SOME_REFUSED: ("some refused", "done, some entries refused"),
    Outcome.REFUSED: ("refused", "refused, nothing applied"),
    Outcome.UNREACHABLE: (_LABEL[Outcome.UNREACHABLE], _LABEL[Outcome.UNREACHABLE]),
    Outcome.UNKNOWN: ("unknown", _LABEL[Outcome.UNKNOWN]),
}


class EntryOutcome(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"  # the receiver answered and refused it (error_message, a refusing status)
    UNKNOWN = "unknown"
    # The request never reached the receiver (connection refused, no such host, TLS failed,
    # timed out while connecting): nothing happened, and the receiver said nothing.
    NOT_SENT = "not sent"


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
# The kinds that move an order on from pending (ship, cancel): a status proves each of
# them, and a status still pending proves it did not happen. The others leave the order
# pending either way, so no status can tell. Read from CONFIRMS, so a new kind is
# judged (here and by reconciling) as its statuses there say.
MOVES_ON: frozenset[ActionKind] = frozenset(k for k, proven_by in CONFIRMS.items() if PENDING not in proven_by)


def _terminal(entries: Sequence[StagedAction]) -> ActionKind | None:
    for e in entries:
        if e.kind in MOVES_ON:
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


def _all_unknown(group: Sequence[tuple[int, StagedAction]], why: str, status: str = "") -> list[EntryResult]:
    return [EntryResult(n, e, EntryOutcome.UNKNOWN, status, why) for n, e in group]


def judge_line(group: Sequence[tuple[int, StagedAction]], rec: Record) -> list[EntryResult]:
    """The entries ``(N, entry)`` of one order, judged by the one answer line about it.

    An error line refuses an order's only entry. For an order with several entries it
    proves nothing about each: a receiver may apply them one by one and stop at the first
    error, so the ones before it may have taken effect (a discount given, then the
    tracking refused). They are unknown, for reconcile, never refused and re-staged.
    """
    if len(group) == 1:
        n, e = group[0]
        return [EntryResult(n, e, *_judge(e, rec, None))]
    if isinstance(rec, OrderError):
        said = rec.message or "error_message without text"
        return _all_unknown(
            group,
            f"receiver said: {said}; with {len(group)} entries for this order, "
            "which took effect before the error is unknown",
        )
    terminal = _terminal([e for _, e in group])
    return [EntryResult(n, e, *_judge(e, rec, terminal)) for n, e in group]


def _judge_lines(group: Sequence[tuple[int, StagedAction]], got: Sequence[OrderLine | OrderError]) -> list[EntryResult]:
    """One order's entries, answered one line per entry (a tolerated shape).

    The lines do not name their entry, so pairing them in order is only safe while the
    pairing cannot change a verdict: every line a status (each entry is then judged by
    its own line, and a swapped pair leaves a status that does not confirm: unknown), or
    every line a refusal (each entry refused, whichever line was whose). Lines that
    disagree, one refusing and one reporting a status, may belong either way round.
    """
    errors = [r for r in got if isinstance(r, OrderError)]
    if not errors:
        return [EntryResult(n, e, *_judge(e, rec, None)) for (n, e), rec in zip(group, got, strict=True)]
    if len(errors) < len(got):
        return _all_unknown(
            group,
            "the answer lines for this order disagree (a refusal beside a status) and do "
            "not say which entry each is about",
        )
    words = list(dict.fromkeys(r.message or "refused (no reason given)" for r in errors))
    why = words[0] if len(words) == 1 else "refused, with: " + "; ".join(words)
    return [EntryResult(n, e, EntryOutcome.REFUSED, "", why) for n, e in group]


@dataclass(slots=True)
class _Sorted:
    """An answer's records, by kind: lines for orders (in order, per order) and the rest."""

    lines: dict[OrderId, list[OrderLine | OrderError]]
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


PROVES_NOTHING = "; the answer proves nothing about this batch"


def proves_nothing(result: EntryResult) -> bool:
    """The entry is unknown because the answer was not the protocol's answer to its batch
    (its lines, whatever they said one by one, prove nothing)."""
    return result.message.endswith(PROVES_NOTHING)


def _not_the_protocol(got: _Sorted, extra: int, *, non_protocol: bool, complete: bool) -> str | None:
    """Why the answer is not the protocol's answer to this batch; None when it is.

    It is only when every line is about an order of the batch, or when it is one
    whole-request ``error_message`` line and nothing else, read to its end. A pending
    list sent back instead of results, a ``message`` beside an ``error_message``, two
    error lines, order lines mixed with a whole-request error, lines not understood: none
    of these says what the receiver did with the batch.
    """
    if non_protocol or got.unparsed:
        return "the receiver answered something that is not the protocol (shown raw)"
    if extra:
        return (
            f"the answer has {counted(extra, 'line', 'lines')} for orders not in the batch, "
            "so it is not an answer to this batch"
        )
    if got.whole_errors:
        said = got.whole_errors[0].text or "error_message without text"
        if len(got.whole_errors) > 1 or got.messages or got.lines:
            return f"receiver said: {said}, beside other lines: not the protocol's refusal"
        if not complete:
            return f"receiver said: {said}, then the answer was cut off"
        return None  # the whole-request refusal
    if got.messages:
        beside = " beside the order lines" if got.lines else ", and no line for any order"
        return f"receiver said: message {got.messages[0].text}{beside}"
    if not got.lines and complete:
        return "the receiver sent an empty answer"
    return None


def _summarize(numbered: Sequence[tuple[int, StagedAction]], ordered: tuple[EntryResult, ...]) -> tuple[Outcome, str]:
    """The batch's outcome and its one-line summary."""
    counts = Counter(r.outcome for r in ordered)  # one pass: batches run to the stress size (docs/scale.md)
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
    return outcome, summary


def resolve_batch(
    numbered: Sequence[tuple[int, StagedAction]],
    records: Iterable[Record],
    *,
    non_protocol: bool = False,
    complete: bool = True,
) -> tuple[Outcome, tuple[EntryResult, ...], str]:
    """Each entry applied, refused or unknown, by what the answer proves about it.

    An entry is applied or refused only when the answer proves it for that entry:

    * the answer must be the protocol's answer to this batch (:func:`_not_the_protocol`);
      if it is not, every entry of a batch that changes orders is unknown (some of it may
      have been applied, and nothing in the answer says what), and a read is an error;
    * a whole-request ``error_message`` line alone refuses every entry;
    * otherwise lines are matched to entries by order number, in order: an order's
      single line judges its entries (:func:`judge_line`), one line per entry is paired
      in order only while the pairing cannot change a verdict (:func:`_judge_lines`),
      any other count of lines leaves the order's entries unknown, and so does no line.

    ``complete`` is False when the body was cut off: entries with no line are then
    unknown. ``non_protocol``: the body was seen to be something else (an HTML page).
    """
    got = _sort_records(records)
    by_order: dict[OrderId, list[tuple[int, StagedAction]]] = {}
    for n, e in numbered:
        by_order.setdefault(e.order_id, []).append((n, e))
    extra = sum(1 for oid in got.lines if oid not in by_order)
    why = _not_the_protocol(got, extra, non_protocol=non_protocol, complete=complete)
    if why is not None:
        if any(e.kind.changes_orders for _, e in numbered):
            # Some of it may have been applied, and only the protocol's lines could say.
            return Outcome.UNKNOWN, tuple(_all_unknown(numbered, why + PROVES_NOTHING)), f"{why}; outcome unknown"
        return Outcome.REFUSED, tuple(EntryResult(n, e, EntryOutcome.REFUSED, "", why) for n, e in numbered), why
    if got.whole_errors:  # the protocol's whole-request refusal: nothing applied
        said = got.whole_errors[0].text or "error_message without text"
        return Outcome.REFUSED, tuple(EntryResult(n, e, EntryOutcome.REFUSED, "", said) for n, e in numbered), said
    results: dict[int, EntryResult] = {}
    for oid, group in by_order.items():
        lines = got.lines.get(oid, [])
        if not lines:
            judged = _all_unknown(group, "no answer line for this order" + ("" if complete else " (answer cut off)"))
        elif len(lines) == 1:
            judged = judge_line(group, lines[0])
        elif len(lines) == len(group):
            judged = _judge_lines(group, lines)
        else:
            judged = _all_unknown(group, f"{len(lines)} answer lines for {len(group)} entries of this order")
        for r in judged:
            results[r.n] = r
    ordered = tuple(results[n] for n, _ in numbered)
    outcome, summary = _summarize(numbered, ordered)
    return outcome, ordered, summary


def resolve_pending(
    records: Sequence[Record], *, non_protocol: bool = False, order_count: int | None = None
) -> tuple[Outcome, str]:
    """Whether a pending-list answer can be trusted as the list.

    ``order_count`` is given when the caller streamed the order lines on instead of
    keeping them; ``records`` then holds only the other records.
    """
    kinds = Counter(map(type, records))  # one C-level pass: lists run to the stress size
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
