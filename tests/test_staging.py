"""The staging area over the profile's store: undoable edits written at once, a batch
claimed before it is sent, what an answer does to each entry (applied leave, refused stay
with the receiver's words, unknown are held and never staged again by themselves), and
reconciling (a status proves ship and cancel; discounts and tracking come back unverified)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccnow_tui.domain.answers import ReceiverAnswer, RequestShape
from ccnow_tui.domain.staging import ClaimConflict, StagingArea
from ccnow_tui.protocol import AnswerParser, Batch, OrderId, Severity, StagedAction
from ccnow_tui.protocol.actions import ActionKind
from ccnow_tui.protocol.outcome import CONFIRMS, MOVES_ON, Outcome, resolve_batch
from ccnow_tui.protocol.status import PENDING
from ccnow_tui.storage.store import BatchMeta, BatchState, Store, Verdict

A, B, C = (OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001"))
D = OrderId.parse("111111111")
META = BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop")


def ship(o):
    return StagedAction.make(o, "ship")


def track(o, n="1Z999"):
    return StagedAction.make(o, "track", trackname="UPS", tracknumber=n)


def cancel(o):
    return StagedAction.make(o, "cancel", notes="out of stock")


def adjust(o, amount="5.00"):
    return StagedAction.make(o, "adjust", amount=amount)


def answer_for(batch: Batch, body: bytes, *, complete: bool = True) -> ReceiverAnswer:
    """The answer the client builds for ``body``, via the core's own matching rules. Cut
    off (``complete`` False), the unfinished last line is no record, as in the client."""
    parser = AnswerParser()
    records = parser.feed(body) + (parser.close() if complete else [])
    outcome, results, message = resolve_batch(batch.numbered(), records, complete=complete)
    return ReceiverAnswer(RequestShape.BATCH, outcome, message, tuple(records), results)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "profile" / "store.sqlite3"


@pytest.fixture
def store(path):
    with Store.open(path) as store:
        yield store


def on_disk(path: Path):
    """What another process opening the store would see."""
    with Store.open(path) as other:
        return other.snapshot()


def actions(entries):
    return [e.action for e in entries]


def test_every_change_is_written_and_undo_restores(store, path):
    area = StagingArea(store)
    area.add([ship(A), track(B)])
    assert actions(on_disk(path).staged) == [ship(A), track(B)]
    area.replace(1, track(B, "2Z"))
    assert actions(on_disk(path).staged) == [ship(A), track(B, "2Z")]
    area.remove([0])
    assert actions(on_disk(path).staged) == [track(B, "2Z")]
    assert area.undo() and area.undo()
    assert actions(on_disk(path).staged) == [ship(A), track(B)] and area.entries == (ship(A), track(B))
    assert area.undo() and not area.undo()
    assert on_disk(path).staged == [] and area.entries == ()


def test_a_new_area_restores_what_is_stored(store, path):
    StagingArea(store).add([cancel(A), adjust(B)])
    with Store.open(path) as again:
        assert StagingArea(again).entries == (cancel(A), adjust(B))


def test_summary_and_indexes_per_order(store):
    area = StagingArea(store)
    area.add([ship(A), track(B), track(A), track(A, "X")])
    assert area.indexes_for(A) == [0, 2, 3]
    assert area.summary_for(A) == "ship+track×2"
    assert area.summary_for(C) == ""
    area.remove([0])
    assert area.summary_for(A) == "track×2"


def test_lint_uses_known_status(store):
    area = StagingArea(store)
    area.add([ship(A), cancel(A), ship(B)])
    messages = [lint.message for lint in area.lint({A: "pending", B: "completed"})]
    assert any("ship and cancel" in m for m in messages)
    assert any("not pending" in m and str(B) in m for m in messages)


def test_applied_leave_refused_stay_unknown_are_held(store, path):
    area = StagingArea(store)
    area.add([ship(A), track(B), cancel(C)])
    sent = area.batch()
    claim = area.claim(sent, META)
    assert [b.state for b in area.held] == [BatchState.SENDING] and area.entries == ()
    assert [e.state for e in on_disk(path).held[0].entries] == ["sending"] * 3  # before a byte is sent
    # A is answered, B refused, and the answer is cut off before C's line.
    body = b"396-10-1142 mark_shipped\n397-10-1159 error_message order_not_pending\n398-11"
    report = area.settle(claim, answer_for(sent, body, complete=False))
    assert report.applied == [ship(A)]
    assert report.refused == [(track(B), "order_not_pending")]
    assert report.unknown == [cancel(C)]
    assert area.entries == (track(B),) and area.remark_at(0) == "order_not_pending"
    [held] = area.unknown_batches
    assert (held.batch_id, held.host, actions(held.entries)) == (claim.batch_id, "127.0.0.1:1", [cancel(C)])
    assert not area.can_undo  # undo must not bring the shipped entry back
    snap = on_disk(path)
    assert actions(snap.staged) == [track(B)] and [actions(b.entries) for b in snap.held] == [[cancel(C)]]


def test_whole_request_refused_keeps_everything_with_the_words(store):
    area = StagingArea(store)
    area.add([ship(A), ship(B)])
    sent = area.batch()
    report = area.settle(area.claim(sent, META), answer_for(sent, b"error_message system down for maintenance\n"))
    assert area.entries == (ship(A), ship(B))
    assert area.remark_at(0) == "system down for maintenance"
    assert len(report.refused) == 2 and not area.held


def test_unreachable_without_entries_keeps_everything(store):
    area = StagingArea(store)
    area.add([ship(A)])
    answer = ReceiverAnswer(RequestShape.BATCH, Outcome.UNREACHABLE, "cannot reach host; nothing was sent")
    area.settle(area.claim(area.batch(), META), answer)
    assert area.entries == (ship(A),) and not area.held
    assert "nothing was sent" in area.remark_at(0)


def test_unknown_without_entries_holds_the_whole_batch(store):
    area = StagingArea(store)
    area.add([ship(A), track(B)])
    sent = area.batch()
    area.settle(area.claim(sent, META), ReceiverAnswer(RequestShape.BATCH, Outcome.UNKNOWN, "cancelled in flight"))
    assert area.entries == ()
    assert actions(area.unknown_batches[0].entries) == sent.entries


def test_staging_goes_on_while_a_batch_is_in_flight_but_its_entries_are_out_of_reach(store):
    area = StagingArea(store)
    area.add([ship(A), ship(B)])
    sent = area.batch()
    claim = area.claim(sent, META)
    area.add([track(C)])  # staged while the batch is in flight
    assert area.entries == (track(C),)  # the two in flight cannot be edited or removed
    area.settle(claim, answer_for(sent, b"396-10-1142 mark_shipped\n397-10-1159 mark_shipped\n"))
    assert area.entries == (track(C),) and not area.held


def test_a_claim_sends_what_the_operator_saw_or_nothing(store, path):
    area = StagingArea(store)
    area.add([adjust(A)])
    seen = area.batch()
    with Store.open(path) as other_window:
        other = StagingArea(other_window)
        other.replace(0, adjust(A, "9.00"))  # changed in another window after the review
        with pytest.raises(ClaimConflict, match="changed meanwhile"):
            area.claim(seen, META)
        assert not area.held and area.entries == (adjust(A, "9.00"),)  # and the view caught up
        # Claimed by the other window first: this one cannot claim it again.
        other.claim(other.batch(), META)
    with pytest.raises(ClaimConflict):
        area.claim(area.batch(), META)
    assert on_disk(path).staged == []


def test_orders_held_elsewhere_cannot_be_sent_and_the_lint_says_why(store):
    area = StagingArea(store)
    area.add([ship(A)])
    sent = area.batch()
    area.settle(area.claim(sent, META), ReceiverAnswer(RequestShape.BATCH, Outcome.UNKNOWN, "lost"))
    area.add([adjust(A)])
    errors = [lint for lint in area.lint() if lint.severity is Severity.ERROR]
    assert len(errors) == 1 and "OUTCOME UNKNOWN" in errors[0].message and "reconcile" in errors[0].message
    with pytest.raises(ClaimConflict, match="reconcile it first"):
        area.claim(area.batch(), META)


def _unknown_area(store, entries):
    area = StagingArea(store)
    area.add(entries)
    sent = area.batch()
    claim = area.claim(sent, META)
    area.mark_unknown(claim.batch_id, "lost")
    return area, claim.batch_id


def test_reconcile_proves_ship_and_cancel_but_never_a_discount_or_tracking(store):
    area, batch_id = _unknown_area(store, [track(A), ship(A), ship(B), adjust(C), cancel(D)])
    rec = area.reconcile(batch_id, {A: "completed", B: "pending", C: "pending", D: "mark_shipped"})
    assert rec is not None
    assert [e for e, _, _ in rec.of(Verdict.TOOK_EFFECT)] == [ship(A)]
    assert [e for e, _, _ in rec.of(Verdict.RESTAGED)] == [ship(B)]
    assert [e for e, _, _ in rec.of(Verdict.UNVERIFIED)] == [adjust(C)]
    # The order moved on: the tracking cannot be proved, and cannot be sent again either.
    assert [e for e, _, _ in rec.of(Verdict.NOT_RESTAGED)] == [track(A), cancel(D)]
    assert area.entries == (ship(B),)
    assert actions(area.unverified) == [adjust(C)] and "may already have been given" in area.unverified[0].remark
    assert not area.held
    # An unverified discount is named by the lint and blocks its order until the operator decides.
    assert any(lint.message.startswith("unverified: adjust 398-11-0001") for lint in area.lint())
    area.add([ship(C)])
    assert any(lint.severity is Severity.ERROR and "unverified" in lint.message for lint in area.lint())


@pytest.mark.parametrize("kind", sorted(MOVES_ON))
def test_reconcile_judges_a_kind_that_moves_the_order_on_by_its_status(store, kind):
    """What a status proves is read from CONFIRMS (MOVES_ON): a kind it proves took effect
    under one of its statuses, did not under pending (staged again), and cannot be sent
    again under another kind's status."""
    entry = lambda o: StagedAction.make(o, kind.value, **({"notes": "n"} if kind is ActionKind.CANCEL else {}))  # noqa: E731
    other = next(s for k in MOVES_ON - {kind} for s in sorted(CONFIRMS[k]) if s not in CONFIRMS[kind])
    proving = sorted(CONFIRMS[kind])[0]
    area, batch_id = _unknown_area(store, [entry(A), entry(B), entry(C)])
    rec = area.reconcile(batch_id, {A: proving, B: PENDING, C: other})
    assert rec is not None
    assert [e for e, _, _ in rec.of(Verdict.TOOK_EFFECT)] == [entry(A)]
    assert [e for e, _, _ in rec.of(Verdict.RESTAGED)] == [entry(B)]
    assert [e for e, _, _ in rec.of(Verdict.NOT_RESTAGED)] == [entry(C)]
    assert area.entries == (entry(B),) and not area.unverified


def test_an_unverified_entry_comes_back_only_when_the_operator_says_so(store):
    area, batch_id = _unknown_area(store, [adjust(A)])
    area.reconcile(batch_id, {A: "pending"})
    assert area.entries == ()
    [unverified] = area.unverified
    assert area.restage([unverified.id]) == [adjust(A)]
    assert area.entries == (adjust(A),) and "may already have been applied" in area.remark_at(0)
    assert not area.unverified and not [lint for lint in area.lint() if lint.severity is Severity.ERROR]
    assert area.undo() and area.entries == () and actions(area.unverified) == [adjust(A)]
    assert area.forget_unverified([area.unverified[0].id]) == [adjust(A)] and not area.unverified


def test_reconcile_needs_every_status(store):
    area, batch_id = _unknown_area(store, [ship(A), ship(B)])
    assert area.reconcile(batch_id, {A: "mark_shipped"}) is None
    assert len(area.unknown_batches) == 1 and area.entries == ()
    assert area.reconcile("nope", {A: "pending", B: "pending"}) is None


def test_forget_unknown_is_undoable(store):
    area, batch_id = _unknown_area(store, [ship(A)])
    assert area.forget_unknown(batch_id) is not None and not area.unknown_batches
    assert area.undo() and len(area.unknown_batches) == 1


def test_a_failed_write_is_reported_and_nothing_is_half_done(store, path):
    area = StagingArea(store)
    area.add([ship(A)])
    with Store.open(path) as other:  # another process holds the write lock for a while
        other._conn().execute("PRAGMA busy_timeout = 0")
        store._conn().execute("PRAGMA busy_timeout = 0")
        other._conn().execute("BEGIN IMMEDIATE")
        try:
            assert area.add([ship(B)]) == 0
            assert area.error and "not saved" in area.error
            assert area.entries == (ship(A),)
        finally:
            other._conn().execute("ROLLBACK")
    assert actions(on_disk(path).staged) == [ship(A)]


def test_listener_hears_every_change(store):
    seen = []
    area = StagingArea(store)
    area.listener = lambda a: seen.append(a.version)
    area.add([ship(A)])
    area.undo()
    assert seen == [1, 2]


def test_another_process_change_shows_on_poll(store, path):
    area = StagingArea(store)
    assert not area.poll()
    with Store.open(path) as other:
        StagingArea(other).add([ship(A)])
    assert area.poll() and area.entries == (ship(A),)
    assert not area.poll()


def test_a_process_that_is_gone_leaves_no_lock_file_and_no_undo_behind(path):
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from ccnow_tui.protocol import StagedAction\n"
        "from ccnow_tui.domain.staging import StagingArea\n"
        "from ccnow_tui.storage.store import Store\n"
        f"area = StagingArea(Store.open({str(path)!r}))\n"
        f"area.add([StagedAction.make({str(A)!r}, 'ship')])\n"
        "print('staged', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "staged"
        with Store.open(path) as alive_now:  # still running: its lock and its undo stay
            assert len(list(path.parent.glob("owners/*.lock"))) == 2
            assert alive_now._conn().execute("SELECT COUNT(*) FROM undo").fetchone()[0] == 1
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps it and closes its pipes (an open one is a ResourceWarning)
    with Store.open(path) as store:
        assert [p.stem for p in path.parent.glob("owners/*.lock")] == [store.owner]
        assert store._conn().execute("SELECT COUNT(*) FROM undo").fetchone()[0] == 0
        assert actions(store.snapshot().staged) == [ship(A)]  # the staged work itself stays


def test_undo_of_an_add_leaves_what_another_window_changed_since(store, path):
    area = StagingArea(store)
    area.add([adjust(A), ship(B)])
    with Store.open(path) as other_window:
        other = StagingArea(other_window)
        other.replace(0, adjust(A, "9.00"))  # the other window's work now
    area.poll()
    assert area.undo() and area.last_undo_skipped == 1
    assert area.entries == (adjust(A, "9.00"),) and actions(on_disk(path).staged) == [adjust(A, "9.00")]
