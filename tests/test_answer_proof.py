"""The rule, not the cases: whatever shape a truthful receiver gives its answer, a verdict
is never wrong. An entry judged applied was applied; one judged refused was not.

The receivers here tell the truth in each line they write but choose the answer's shape
freely (protocol-notes: "What one line for an order can prove"): one line per order (its
status after the batch, or its first error), one line per entry (stopping at the first
error or refusing every entry after it), those lines in any order, and lines that make
the answer something other than the protocol's answer to this batch (a pending list, a
message, a late whole-request error). Each order's entries are applied one by one and
may stop at any of them.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol import Batch, StagedAction, parse_answer
from ccnow_tui.protocol.outcome import EntryOutcome, Outcome, resolve_batch

ORDERS = ["396-10-1142", "397-10-1159", "398-10-1166"]
STRANGER = "399-10-1173"  # an order that is not in the batch
AFTER = {"ship": "mark_shipped", "cancel": "mark_canceled"}


@st.composite
def batches(draw):
    """Entries for 1-3 orders, each order's kinds in the composer's order, with how far the
    receiver got through each order before it refused an entry (len: it refused none)."""
    entries, reached = [], {}
    for oid in draw(st.lists(st.sampled_from(ORDERS), min_size=1, max_size=3, unique=True)):
        kinds = [k for k in ("adjust", "track") if draw(st.booleans())]
        terminal = draw(st.sampled_from([None, "ship", "cancel"]))
        kinds += [terminal] if terminal else []
        kinds = kinds or ["ship"]
        for k in kinds:
            kw = {"adjust": {"amount": "5.00"}, "track": {"trackname": "UPS", "tracknumber": "1Z9"}}.get(k, {})
            entries.append(StagedAction.make(oid, k, **kw))
        reached[oid] = draw(st.integers(0, len(kinds)))
    return Batch(entries), reached


def truthful_answer(draw, numbered, reached):
    """Lines each true of what the receiver did; the shape drawn. Returns the body and
    which entries (by N) the receiver applied."""
    applied: set[int] = set()
    lines: list[str] = []
    by_order: dict[str, list[tuple[int, StagedAction]]] = {}
    for n, e in numbered:
        by_order.setdefault(str(e.order_id), []).append((n, e))
    shape = draw(st.sampled_from(["per order", "per entry, stop", "per entry, refuse the rest"]))
    for oid, group in by_order.items():
        stop = reached[oid]
        status, statuses = "pending", []
        for n, e in group[:stop]:
            applied.add(n)
            status = AFTER.get(e.kind.value, status)
            statuses.append(status)
        refusal = f"{oid} error_message refused entry {stop + 1}"
        if shape == "per order":
            mine = [f"{oid} {status}"] if stop == len(group) else [refusal]
        else:
            mine = [f"{oid} {s}" for s in statuses]
            if stop < len(group):
                mine.append(refusal)
                if shape == "per entry, refuse the rest":
                    mine += [f"{oid} error_message not tried"] * (len(group) - stop - 1)
        if draw(st.booleans()):
            mine = draw(st.permutations(mine))
        lines += mine
    if draw(st.booleans()):  # order lines of different orders interleaved
        lines = draw(st.permutations(lines))
    extra = draw(st.sampled_from([None, "stranger", "message", "late error", "two errors"]))
    if extra == "stranger":
        lines.insert(draw(st.integers(0, len(lines))), f"{STRANGER} pending")
    elif extra == "message":
        lines.insert(0, "message processing")
    elif extra == "late error":
        lines = ["message processing", "error_message request timed out"]  # after it applied
    elif extra == "two errors":
        lines = ["error_message busy", "error_message request timed out"]
    return ("\n".join(lines) + "\n").encode(), applied


@settings(max_examples=250, deadline=None)
@given(st.data(), batches())
def test_no_verdict_is_wrong_whatever_shape_a_truthful_receiver_answers_in(data, drawn):
    batch, reached = drawn
    numbered = batch.numbered()
    body, applied = truthful_answer(data.draw, numbered, reached)
    outcome, results, summary = resolve_batch(numbered, parse_answer(body))
    for r in results:
        if r.outcome is EntryOutcome.APPLIED:
            assert r.n in applied, (body, r, summary)
        elif r.outcome is EntryOutcome.REFUSED:
            assert r.n not in applied, (body, r, summary)
    if any(r.outcome is EntryOutcome.UNKNOWN for r in results):
        assert outcome is Outcome.UNKNOWN  # a batch with any unknown entry is never "done"


@settings(max_examples=100, deadline=None)
@given(st.data(), batches())
def test_a_nothing_applied_whole_request_refusal_alone_refuses_all_and_nothing_else_does(data, drawn):
    batch, _ = drawn
    numbered = batch.numbered()
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"error_message system down for maintenance\n"))
    assert outcome is Outcome.REFUSED and {r.outcome for r in results} == {EntryOutcome.REFUSED}
    noise = data.draw(st.sampled_from([b"message processing\n", b"error_message again\n", b"<html>\n"]))
    for body in (noise + b"error_message system down\n", b"error_message system down\n" + noise):
        outcome, results, _ = resolve_batch(numbered, parse_answer(body))
        assert outcome is Outcome.UNKNOWN and {r.outcome for r in results} == {EntryOutcome.UNKNOWN}
