"""How answers map to entry outcomes: only a confirming answer counts as applied."""

import pytest

from ccnow_tui.protocol import AnswerParser, Batch, StagedAction, parse_answer
from ccnow_tui.protocol.actions import ActionKind
from ccnow_tui.protocol.orderid import OrderId
from ccnow_tui.protocol.outcome import CONFIRMS, MOVES_ON, EntryOutcome, Outcome, resolve_batch, resolve_pending
from ccnow_tui.protocol.status import PENDING

A, B = "396-10-1142", "397-10-1159"


def _batch(*entries):
    return Batch(StagedAction.make(o, k, **kw) for o, k, kw in entries).numbered()


def test_vendor_example_cancel_and_ship_applied():
    numbered = _batch((A, "cancel", {"notes": "Test order"}), (B, "ship", {}))
    outcome, results, summary = resolve_batch(
        numbered, parse_answer(b"396-10-1142 mark_canceled\n397-10-1159 mark_shipped\n")
    )
    assert outcome is Outcome.OK
    assert [r.outcome for r in results] == [EntryOutcome.APPLIED] * 2
    assert summary.startswith("2 applied, 0 refused, 0 unknown")


def test_one_line_per_order_covers_adjust_track_ship():
    numbered = _batch(
        (A, "ship", {}), (A, "adjust", {"amount": "5"}), (A, "track", {"trackname": "UPS", "tracknumber": "1Z"})
    )
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 mark_shipped"))
    assert outcome is Outcome.OK
    assert [r.entry.kind.value for r in results] == ["adjust", "track", "ship"]
    assert {r.status for r in results} == {"mark_shipped"}


def test_every_kind_but_query_says_which_statuses_prove_it():
    """A kind missing from CONFIRMS could be judged by nothing; MOVES_ON is read from it."""
    assert set(CONFIRMS) == set(ActionKind) - {ActionKind.QUERY}
    assert MOVES_ON == {k for k in CONFIRMS if PENDING not in CONFIRMS[k]}
    assert MOVES_ON == {ActionKind.SHIP, ActionKind.CANCEL}  # today's; a new kind proven by a status joins them


@pytest.mark.parametrize("kind", sorted(MOVES_ON))
def test_one_line_for_an_order_judges_its_other_entries_by_the_kind_that_moves_it_on(kind):
    """An adjust and a track beside a kind that moves the order on are applied by that
    kind's status (one line per order), not judged against pending."""
    numbered = _batch(
        (A, kind.value, {"notes": "n"} if kind is ActionKind.CANCEL else {}),
        (A, "adjust", {"amount": "5"}),
        (A, "track", {"trackname": "UPS", "tracknumber": "1Z"}),
    )
    for status in sorted(CONFIRMS[kind]):
        outcome, results, _ = resolve_batch(numbered, parse_answer(f"{A} {status}\n".encode()))
        assert outcome is Outcome.OK, status
        assert [r.outcome for r in results] == [EntryOutcome.APPLIED] * 3, status


def test_one_line_per_entry_is_tolerated():
    numbered = _batch((A, "adjust", {"amount": "5"}), (A, "ship", {}))
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 pending\n396-10-1142 mark_shipped\n"))
    assert outcome is Outcome.OK
    assert [r.status for r in results] == ["pending", "mark_shipped"]


def test_per_order_refusal_keeps_receivers_words():
    numbered = _batch((A, "ship", {}), (B, "ship", {}))
    outcome, results, _ = resolve_batch(
        numbered, parse_answer(b"396-10-1142 mark_shipped\n397-10-1159 error_message order_not_pending\n")
    )
    assert outcome is Outcome.SOME_REFUSED
    assert results[1].outcome is EntryOutcome.REFUSED and results[1].message == "order_not_pending"


def test_missing_line_is_unknown_not_success():
    numbered = _batch((A, "ship", {}), (B, "ship", {}))
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 mark_shipped\n"))
    assert outcome is Outcome.UNKNOWN
    assert results[1].outcome is EntryOutcome.UNKNOWN


def test_status_that_does_not_confirm_is_unknown():
    numbered = _batch((A, "ship", {}))
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 pending\n"))
    assert outcome is Outcome.UNKNOWN and "does not confirm" in results[0].message


def test_unknown_status_word_is_unknown():
    numbered = _batch((A, "query", {}))
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 teleported\n"))
    assert outcome is Outcome.UNKNOWN and results[0].status == "teleported"


def test_whole_request_error_refuses_everything():
    numbered = _batch((A, "ship", {}), (B, "cancel", {}))
    outcome, results, msg = resolve_batch(numbered, parse_answer(b"error_message system down for maintenance\n"))
    assert outcome is Outcome.REFUSED and msg == "system down for maintenance"
    assert all(r.outcome is EntryOutcome.REFUSED for r in results)


def test_html_body_is_never_success_and_never_nothing_applied():
    records = parse_answer(b"<html><body>502 Bad Gateway</body></html>")
    outcome, results, _ = resolve_batch(_batch((A, "ship", {})), records, non_protocol=True)
    assert outcome is Outcome.UNKNOWN and results[0].outcome is EntryOutcome.UNKNOWN
    outcome, results, _ = resolve_batch(_batch((A, "query", {})), records, non_protocol=True)
    assert outcome is Outcome.REFUSED  # a read changed nothing: simply an error


def test_cut_off_answer_leaves_unanswered_entries_unknown():
    numbered = _batch((A, "ship", {}), (B, "ship", {}))
    outcome, results, _msg = resolve_batch(numbered, parse_answer(b"396-10-1142 mark_shipped\n"), complete=False)
    assert outcome is Outcome.UNKNOWN
    assert results[0].outcome is EntryOutcome.APPLIED and results[1].outcome is EntryOutcome.UNKNOWN
    assert "cut off" in results[1].message


def test_settled_statuses_still_confirm():
    numbered = _batch((A, "ship", {}), (B, "cancel", {}))
    outcome, _, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 completed\n397-10-1159 canceled\n"))
    assert outcome is Outcome.OK


def test_pending_list_shapes():
    assert resolve_pending(parse_answer(b"396-10-1142 pending\n397-10-1159 pending\n"))[0] is Outcome.OK
    assert resolve_pending(parse_answer(b"message no_pending_orders\n")) == (Outcome.OK, "no_pending_orders")
    assert resolve_pending(parse_answer(b"error_message system down for maintenance")) == (
        Outcome.REFUSED,
        "system down for maintenance",
    )
    assert resolve_pending(parse_answer(b""))[0] is Outcome.REFUSED
    assert resolve_pending(parse_answer(b"hello world\n"))[0] is Outcome.REFUSED
    assert resolve_pending(parse_answer(b"<html>x</html>"), non_protocol=True)[0] is Outcome.REFUSED


def test_exit_codes():
    assert [o.exit_code for o in Outcome] == [0, 1, 3, 3, 4]


def test_a_query_is_answered_not_applied():
    from ccnow_tui.protocol.answer import OrderError, OrderLine

    a, b = OrderId.parse("396101142"), OrderId.parse("396101143")
    numbered = [(1, StagedAction.make(a, "query")), (2, StagedAction.make(b, "query"))]
    outcome, _, summary = resolve_batch(
        numbered,
        [
            OrderLine(a, "pending", f"{a} pending"),
            OrderError(b, "order_not_found", f"{b} error_message order_not_found"),
        ],
    )
    assert outcome is Outcome.SOME_REFUSED and summary.startswith("1 answered, 1 refused, 0 unknown")


NOT_THE_PROTOCOL = {
    "html": b"<!DOCTYPE html><html><body>Internal Server Error</body></html>\n",
    "capitals": b"396-10-1142 MARK_SHIPPED\n",
    "two words": b"396-10-1142 mark_shipped ok\n",
    "nul after the order": b"396-10-1142\x00 mark_shipped\n",
    "utf-16": "396-10-1142 mark_shipped\n".encode("utf-16"),
    "long line": b"396-10-1142 mark_shipped" + b" " * (64 * 1024) + b"ok\n",
    "garbage": b"OK\nprocessed 1 entry\n",
    "empty": b"",
    "message": b"message done\n",
    "error among garbage": b"error_message system down\nStatus: 500\n",
}


@pytest.mark.parametrize("body", NOT_THE_PROTOCOL.values(), ids=NOT_THE_PROTOCOL.keys())
def test_no_protocol_line_leaves_a_change_unknown_and_fails_a_read(body):
    parser = AnswerParser()
    records = parser.feed(body) + parser.close()
    outcome, results, msg = resolve_batch(_batch((A, "ship", {})), records, non_protocol=parser.non_protocol)
    assert (outcome, results[0].outcome) == (Outcome.UNKNOWN, EntryOutcome.UNKNOWN), msg
    outcome, results, msg = resolve_batch(_batch((A, "query", {})), records, non_protocol=parser.non_protocol)
    assert (outcome, results[0].outcome) == (Outcome.REFUSED, EntryOutcome.REFUSED), msg


def test_lines_for_orders_among_garbage_prove_nothing():
    # The answer is not the protocol: the lines that look like verdicts may be anything.
    numbered = _batch((A, "ship", {}), (B, "ship", {}), ("398-10-1166", "cancel", {}))
    body = b"hello\n396-10-1142 mark_shipped\nGARBAGE\n397-10-1159 error_message order_not_pending\n"
    outcome, results, msg = resolve_batch(numbered, parse_answer(body))
    assert outcome is Outcome.UNKNOWN
    assert [r.outcome for r in results] == [EntryOutcome.UNKNOWN] * 3
    assert "not the protocol" in msg


def test_a_whole_request_error_refuses_only_when_it_is_the_whole_answer():
    numbered = _batch((A, "ship", {}))
    body = b"error_message system down\n"
    assert resolve_batch(numbered, parse_answer(body))[0] is Outcome.REFUSED
    assert resolve_batch(numbered, parse_answer(body + b"\r\n\n"))[0] is Outcome.REFUSED
    # Read to its end: a cut-off answer may have had order lines after it.
    outcome, results, _ = resolve_batch(numbered, parse_answer(body), complete=False)
    assert outcome is Outcome.UNKNOWN and results[0].outcome is EntryOutcome.UNKNOWN


# -- what one line for an order can prove ------------------------------------------------------

ADJUST = (A, "adjust", {"amount": "5.00"})
TRACK = (A, "track", {"trackname": "UPS", "tracknumber": "1Z999AA10123456784"})


def test_an_error_line_for_an_order_with_several_entries_leaves_them_unknown():
    # A receiver that applies one by one and stops at the first error: the adjust may have
    # been given before the tracking was refused. Refusing both would re-stage the adjust.
    numbered = _batch(ADJUST, TRACK)
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 error_message invalid trackname\n"))
    assert outcome is Outcome.UNKNOWN
    assert [r.outcome for r in results] == [EntryOutcome.UNKNOWN] * 2
    assert all("invalid trackname" in r.message and "before the error" in r.message for r in results)


def test_an_error_line_still_refuses_an_orders_only_entry():
    outcome, results, _ = resolve_batch(_batch(ADJUST), parse_answer(b"396-10-1142 error_message invalid amount\n"))
    assert (outcome, results[0].outcome, results[0].message) == (
        Outcome.SOME_REFUSED,
        EntryOutcome.REFUSED,
        "invalid amount",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"396-10-1142 pending\n396-10-1142 error_message invalid trackname\n",
        b"396-10-1142 error_message invalid trackname\n396-10-1142 pending\n",  # the same, in another order
    ],
)
def test_lines_per_entry_that_disagree_leave_the_orders_entries_unknown(body):
    outcome, results, _ = resolve_batch(_batch(ADJUST, TRACK), parse_answer(body))
    assert outcome is Outcome.UNKNOWN and [r.outcome for r in results] == [EntryOutcome.UNKNOWN] * 2


def test_lines_per_entry_that_all_refuse_refuse_every_entry():
    body = b"396-10-1142 error_message invalid amount\n396-10-1142 error_message invalid trackname\n"
    outcome, results, _ = resolve_batch(_batch(ADJUST, TRACK), parse_answer(body))
    assert outcome is Outcome.SOME_REFUSED and [r.outcome for r in results] == [EntryOutcome.REFUSED] * 2
    # Which words were whose is not known: each entry shows both.
    assert all("invalid amount" in r.message and "invalid trackname" in r.message for r in results)


def test_status_lines_per_entry_in_another_order_confirm_nothing_they_do_not_prove():
    numbered = _batch(ADJUST, (A, "ship", {}))
    outcome, results, _ = resolve_batch(numbered, parse_answer(b"396-10-1142 mark_shipped\n396-10-1142 pending\n"))
    assert outcome is Outcome.UNKNOWN and EntryOutcome.APPLIED not in {r.outcome for r in results}


# -- an answer to a change batch is the protocol only if ... -----------------------------------

PENDING_LIST = b"".join(f"{n:03d}-10-{n:04d} pending\n".encode() for n in range(100, 140))

NOT_AN_ANSWER_TO_THE_BATCH = {
    "a late error after a message": b"message processing\nerror_message request timed out\n",
    "two whole-request errors": b"error_message database busy\nerror_message request timed out\n",
    "the pending list instead of results": b"396-10-1142 pending\n" + PENDING_LIST,
    "a line for another order beside ours": b"396-10-1142 pending\n397-10-1159 mark_shipped\n",
    "order lines and a whole-request error": b"396-10-1142 pending\nerror_message request timed out\n",
    "a message beside the order line": b"396-10-1142 pending\nmessage done\n",
}


@pytest.mark.parametrize("body", NOT_AN_ANSWER_TO_THE_BATCH.values(), ids=NOT_AN_ANSWER_TO_THE_BATCH.keys())
def test_an_answer_that_is_not_the_protocol_for_the_batch_leaves_every_change_unknown(body):
    numbered = _batch(ADJUST, TRACK)
    outcome, results, msg = resolve_batch(numbered, parse_answer(body))
    assert outcome is Outcome.UNKNOWN, msg
    assert [r.outcome for r in results] == [EntryOutcome.UNKNOWN] * 2
    # A read of the same answer is an error, not an answer.
    outcome, results, msg = resolve_batch(_batch((A, "query", {})), parse_answer(body))
    assert outcome is Outcome.REFUSED, msg


def test_one_whole_request_error_alone_refuses_and_a_read_of_the_pending_orders_is_still_a_read():
    assert resolve_batch(_batch(ADJUST, TRACK), parse_answer(b"error_message invalid login\n"))[0] is Outcome.REFUSED
    outcome, results, _ = resolve_batch(_batch((A, "query", {})), parse_answer(b"396-10-1142 pending\n"))
    assert outcome is Outcome.OK and results[0].status == "pending"


def test_a_batchs_outcome_has_its_words_in_one_place_that_the_history_and_the_log_read():
    from ccnow_tui.storage.store import batch_word
    from ccnow_tui.tui.controller import batch_label

    for outcome in Outcome:
        assert outcome.batch_word and outcome.batch_sentence
        assert batch_word("answered", outcome.value) == outcome.batch_word
        assert batch_label(outcome) == f"batch {outcome.batch_sentence}"
    # Only a refusal says refused; what never left says so in both places.
    assert [o for o in Outcome if "refused" in o.batch_word] == [Outcome.SOME_REFUSED, Outcome.REFUSED]
    assert Outcome.UNREACHABLE.batch_word == Outcome.UNREACHABLE.batch_sentence == "not sent"
    assert "nothing applied" in Outcome.REFUSED.batch_sentence
