"""The session controller without a running app: answers in, model changes and log lines out.

No pilot and no textual: a real store in a temporary directory, the core's own answer
parsing and matching, and the controller in between (``ccnow_tui.tui.controller``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from ccnow_tui.domain.answers import ReceiverAnswer, RequestShape
from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import Batch, OrderId, StagedAction, parse_answer
from ccnow_tui.protocol.actions import ActionKind
from ccnow_tui.protocol.outcome import Outcome, resolve_batch
from ccnow_tui.storage.store import GONE_REASON, RECONCILE_IT, BatchMeta, BatchState
from ccnow_tui.tui.controller import SessionController
from ccnow_tui.tui.model import LogBuffer, LogKind, OrderBook, Topic
from ccnow_tui.tui.request import Request, RequestKind

A, B, C = (OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001"))
META = BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop")


@pytest.fixture
def controller(store) -> SessionController:
    return SessionController(OrderBook(), StagingArea(store), LogBuffer())


def lines(controller: SessionController) -> list[tuple[LogKind, str]]:
    return [(line.kind, line.text) for line in controller.log.lines]


def batch_answer(batch: Batch, body: bytes) -> ReceiverAnswer:
    records = parse_answer(body)
    outcome, results, message = resolve_batch(batch.numbered(), records)
    return ReceiverAnswer(RequestShape.BATCH, outcome, message, tuple(records), results, elapsed=0.25)


def sent(controller: SessionController) -> Request:
    """The staged batch, claimed in the store as the app does before sending it."""
    staging = controller.staging
    batch = staging.batch()
    request = Request(RequestKind.SUBMIT, batch, tuple(batch.order_ids))
    request.claim = staging.claim_numbered(batch, staging.numbered_for(batch), META)
    return request


def test_the_controller_imports_no_textual():
    code = (
        "import sys\nimport ccnow_tui.tui.controller, ccnow_tui.tui.launch, ccnow_tui.tui.session\n"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_staging_logs_what_was_staged(controller):
    update = controller.stage([StagedAction.make(A, "ship"), StagedAction.make(B, "ship")])
    assert update.topics == [Topic.LOG]
    assert lines(controller) == [
        (LogKind.INFO, "staged ship for 2 orders: 396-10-1142 and 397-10-1159 (2 staged; b to review)")
    ]
    assert len(controller.staging) == 2


def test_a_big_change_is_staged_with_the_collector_paused(controller):
    """The TUI pauses the collector around a big change (the core never does): none of its
    collections runs while the entries are made and stored."""
    import gc

    from ccnow_tui.domain.staging import SMALL_CHANGE

    collections: list[int] = []

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            collections.append(info["generation"])

    many = [StagedAction.make(f"{400000000 + i}", "ship") for i in range(6 * SMALL_CHANGE)]
    # From a known state: else a collection the tests before left due can run before
    # the pause begins, as well as the one after it.
    gc.collect()
    gc.callbacks.append(seen)
    try:
        controller.stage(many)  # thousands of long-lived records: many collections otherwise
    finally:
        gc.callbacks.remove(seen)
    assert len(controller.staging) == len(many)
    # At most the one collection the first allocation after the pause runs, over what the
    # pause made (without the pause: one every few hundred entries).
    assert len(collections) <= 1 and gc.isenabled(), collections


def test_a_big_change_leaves_its_tally_counted_and_frozen_with_the_entries(controller):
    """The tally the queue reads next is counted inside the pause, so what it holds (a few
    containers as big as the change) is frozen with the entries: no collection walks it."""
    import gc

    from ccnow_tui.domain.staging import SMALL_CHANGE
    from ccnow_tui.gcpause import FREEZE_FROM

    # Enough entries that the pause freezes what it made (one StoredEntry each).
    many = [StagedAction.make(f"{400000000 + i}", "ship") for i in range(FREEZE_FROM + SMALL_CHANGE)]
    controller.stage(many)
    tally = controller.staging._tally
    assert tally is not None and len(tally.count) == len(many)
    young = {id(o) for generation in (0, 1, 2) for o in gc.get_objects(generation=generation)}
    assert id(tally.count) not in young and id(tally.one) not in young and id(controller.staging.staged) not in young
    controller.stage([StagedAction.make(A, "ship")])  # a small change patches the tally
    assert controller.staging._tally is tally and len(tally.count) == len(many) + 1


def test_undo_with_nothing_to_undo_says_so(controller):
    update = controller.undo()
    assert [n.text for n in update.notices] == ["Nothing to undo."] and not update.topics
    controller.stage([StagedAction.make(A, "ship")])
    assert controller.undo().topics == [Topic.LOG]
    assert lines(controller)[-1] == (LogKind.INFO, "undone (0 staged)")


def test_a_batch_answer_with_applied_refused_and_unknown_entries(controller, store):
    controller.stage([StagedAction.make(A, "ship"), StagedAction.make(B, "ship"), StagedAction.make(C, "ship")])
    request = sent(controller)
    body = b"396-10-1142 mark_shipped\n397-10-1159 error_message order_not_pending\n"
    answer = batch_answer(request.batch, body)
    # The records as they stream in: statuses learnt, each line logged by what it means.
    update = controller.answer_records(request, list(answer.records))
    assert update.topics == [Topic.STATUS, Topic.LOG]
    assert controller.book.status == {A: "mark_shipped"}
    assert controller.book.refusals[B][0] == "order_not_pending"
    # The final answer: recorded in the store, and said.
    update = controller.batch_finished(request, answer)
    assert update is not None
    assert update.topics == [Topic.LOG, Topic.FLIGHT, Topic.EVENTS]
    assert [(n.severity, n.text) for n in update.notices] == [
        ("error", "batch OUTCOME UNKNOWN (kept, not re-sent: b, then R)"),
    ]
    assert lines(controller)[-7:] == [
        (LogKind.INFO, "staged ship for 3 orders: 396-10-1142, 397-10-1159 and 398-11-0001 (3 staged; b to review)"),
        (LogKind.APPLIED, "396-10-1142 ship → mark_shipped"),
        (LogKind.REFUSED, "397-10-1159 refused by the receiver: order_not_pending"),
        (LogKind.UNKNOWN, "398-11-0001 ship: no answer line for this order"),
        (LogKind.UNKNOWN, f"batch OUTCOME UNKNOWN: {answer.message} (0.2 s)"),
        (
            LogKind.UNKNOWN,
            f"1 entry kept as unknown batch {request.claim.batch_id}: nothing is re-sent; "
            "reconcile it in the composer (b, then R)",
        ),
        (LogKind.INFO, "1 refused entry stays staged with the receiver's words"),
    ]
    # The store: the applied entry left, the refused one stays staged with the receiver's
    # words, the unknown one is held as an unknown batch (never re-sent).
    snap = store.snapshot()
    assert [e.action for e in snap.staged] == [StagedAction.make(B, "ship")]
    assert controller.staging.remark_at(0) == "order_not_pending"
    [held] = snap.held
    assert held.state is BatchState.UNKNOWN and [e.order_id for e in held.entries] == [C]


def test_a_big_batch_is_left_to_be_recorded_off_the_loop(controller, monkeypatch):
    import ccnow_tui.tui.controller as module

    monkeypatch.setattr(module, "OFF_LOOP_ENTRIES", 1)
    controller.stage([StagedAction.make(A, "ship")])
    request = sent(controller)
    answer = batch_answer(request.batch, b"396-10-1142 mark_shipped\n")
    assert controller.batch_finished(request, answer) is None
    report, snapshot = controller.settle_in_thread(request, answer)
    controller.staging.show(snapshot)
    update = controller.batch_settled(request, answer, report)
    assert (LogKind.APPLIED, "batch applied: 1 applied, 0 refused, 0 unknown (0.2 s)") in lines(controller)
    assert [n.severity for n in update.notices] == ["information"] and not controller.staging.entries


def test_a_reconcile_answer_settles_the_unknown_batch(controller, store):
    controller.stage([StagedAction.make(A, "ship"), StagedAction.make(B, "adjust", amount="5")])
    request = sent(controller)
    controller.batch_finished(request, batch_answer(request.batch, b""))  # lost: all unknown
    batch_id = request.claim.batch_id
    assert sorted(controller.unknown_batch(batch_id)) == [A, B]
    ids = tuple(dict.fromkeys(controller.unknown_batch(batch_id)))
    query = Request(RequestKind.RECONCILE, Batch(StagedAction(o, ActionKind.QUERY) for o in ids), ids, batch_id)
    records = parse_answer(b"396-10-1142 mark_shipped\n397-10-1159 pending\n")
    answer = ReceiverAnswer(RequestShape.QUERY, Outcome.OK, "2 answered", tuple(records))
    update = controller.reconciled(query, answer)
    assert update.topics == [Topic.LOG, Topic.EVENTS]
    assert [n.title for n in update.notices] == ["Unverified"]  # a discount cannot be proven by a status
    texts = [t for _, t in lines(controller)]
    assert any(t.startswith("396-10-1142 ship: took effect") for t in texts)
    assert any(t.startswith(f"reconciled {batch_id}: ") for t in texts)
    assert controller.unknown_batch(batch_id) is None
    assert [e.order_id for e in controller.staging.unverified] == [B]


def test_a_failed_reconcile_leaves_the_batch_unknown(controller):
    controller.stage([StagedAction.make(A, "ship")])
    request = sent(controller)
    controller.batch_finished(request, batch_answer(request.batch, b""))
    batch_id = request.claim.batch_id
    query = Request(RequestKind.RECONCILE, None, (A,), batch_id)
    answer = ReceiverAnswer(RequestShape.QUERY, Outcome.UNREACHABLE, "cannot reach host")
    assert controller.reconciled(query, answer).topics == [Topic.LOG]
    assert lines(controller)[-1] == (
        LogKind.ERROR,
        f"reconcile {batch_id}: cannot reach host; the batch stays unknown (nothing re-sent)",
    )
    assert controller.unknown_batch(batch_id) == [A]


def test_a_pending_list_finishing(controller):
    request = Request(RequestKind.PENDING)
    assert controller.pending_started(request).topics == [Topic.ROWS]
    records = parse_answer(b"396-10-1142 pending\n397-10-1159 pending\nmessage hello\n")
    orders = [(r.order_id, r.status) for r in records if hasattr(r, "order_id")]
    other = [r for r in records if not hasattr(r, "order_id")]
    assert controller.pending_records(request, orders, other).topics == [Topic.ROWS, Topic.LOG]
    answer = ReceiverAnswer(RequestShape.PENDING, Outcome.OK, "2 pending orders", elapsed=0.5)
    update = controller.pending_finished(request, answer)
    assert update.topics == [Topic.LOG, Topic.ROWS] and not update.ask_password
    assert controller.book.rows == [A, B] and not controller.book.loading
    assert lines(controller) == [
        (LogKind.INFO, "receiver: message hello"),
        (LogKind.INFO, "pending list: 2 pending orders (0.5 s)"),
    ]
    # A timed refresh that finds the same is not logged again; a superseded one is ignored.
    again = Request(RequestKind.PENDING, automatic=True)
    controller.pending_started(again)
    controller.pending_records(again, orders, [])
    assert controller.pending_finished(again, answer).topics == [Topic.ROWS]
    assert len(controller.log) == 2
    assert controller.pending_records(request, orders, []).topics == []  # stale: a newer list came


def test_an_invalid_login_on_a_typed_password_asks_again(store):
    refused = ReceiverAnswer(RequestShape.PENDING, Outcome.REFUSED, "invalid login")
    typed = SessionController(OrderBook(), StagingArea(store), LogBuffer(), password_typed=True)
    request = Request(RequestKind.PENDING)
    typed.pending_started(request)
    assert typed.pending_finished(request, refused).ask_password == "invalid login"
    assert typed.log.lines[-1].kind is LogKind.REFUSED
    # A password from the configuration is not asked for: the setup is what needs fixing.
    configured = SessionController(OrderBook(), StagingArea(store), LogBuffer())
    request = Request(RequestKind.PENDING)
    configured.pending_started(request)
    assert configured.pending_finished(request, refused).ask_password == ""


def test_an_interrupted_batch_is_kept_unknown(controller, store):
    controller.stage([StagedAction.make(A, "ship")])
    request = sent(controller)
    update = controller.interrupted(request.claim)
    assert update.topics == [Topic.LOG, Topic.FLIGHT]
    assert lines(controller)[-1] == (
        LogKind.UNKNOWN,
        f"batch interrupted: kept as unknown batch {request.claim.batch_id}; nothing re-sent",
    )
    [held] = store.snapshot().held
    assert held.state is BatchState.UNKNOWN
    assert controller.exit_message().endswith(
        "1 batch with unknown outcome (reconcile: b, then R). It is restored next time."
    )


def test_a_lost_read_is_an_error_not_unknown(controller):
    answer = ReceiverAnswer(RequestShape.QUERY, Outcome.UNKNOWN, "cut off", elapsed=1.0)
    assert controller.query_finished(answer).topics == [Topic.LOG, Topic.STATUS]
    assert lines(controller) == [(LogKind.ERROR, "query: cut off (1.0 s)")]


def test_a_line_not_understood_is_masked_before_it_is_cut(controller):
    # A 190-character line, then the password: cut first, the mask could not see it.
    from ccnow_tui.protocol.redact import Secret

    password = "Pw-190-cut-Secret"
    Secret(password)
    request = Request(RequestKind.QUERY, None, (A,))
    controller.answer_records(request, list(parse_answer(("x" * 190 + password + "\n").encode())))
    text = "\n".join(t for _, t in lines(controller))
    assert "not understood" in text
    assert not any(password[i : i + 6] in text for i in range(len(password) - 5))


def test_the_hints_name_the_keys_in_effect(store):
    """[keys] may remap b, R and u: the log's hints name the keys the operator has."""
    keys = {"nav.composer": "B", "composer.reconcile": "ctrl+r", "staging.undo": "z"}
    controller = SessionController(OrderBook(), StagingArea(store), LogBuffer(), keys=keys)
    controller.stage([StagedAction.make(A, "ship")])
    assert lines(controller)[-1] == (LogKind.INFO, "staged ship for 396-10-1142 (1 staged; B to review)")
    controller.imported([StagedAction.make(B, "ship")], "labels.csv", 1, 0)
    assert lines(controller)[-1][1].endswith("(2 staged; B to review, z undoes)")
    request = sent(controller)
    controller.interrupted(request.claim)
    assert "(reconcile: B, then ctrl+r)" in controller.exit_message()
    # What the store found on opening (a batch its sender left in flight) says what to do;
    # the keys are the controller's to name.
    controller.staging.notices.append(
        f"batch {request.claim.batch_id} is OUTCOME UNKNOWN: {GONE_REASON}; {RECONCILE_IT}"
    )
    update = controller.started()
    assert lines(controller)[-2][1].endswith("nothing is re-sent, reconcile it (B, then ctrl+r)")
    assert update.notices[0].text.endswith("(B, then ctrl+r)")
