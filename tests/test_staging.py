"""The staging area: undoable edits, a draft written on every change, and what a submit's
answer does to the entries (applied leave, refused stay with the receiver's words,
unknown move to an unknown batch and are never staged again until reconciled)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccnow_tui.client import ReceiverAnswer, RequestKind
from ccnow_tui.protocol import Batch, OrderId, StagedAction, parse_answer
from ccnow_tui.protocol.outcome import Outcome, resolve_batch
from ccnow_tui.staging import StagingArea
from ccnow_tui.storage.drafts import DraftStore

A, B, C = (OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001"))


def ship(o):
    return StagedAction.make(o, "ship")


def track(o, n="1Z999"):
    return StagedAction.make(o, "track", trackname="UPS", tracknumber=n)


def cancel(o):
    return StagedAction.make(o, "cancel", notes="out of stock")


def adjust(o, amount="5.00"):
    return StagedAction.make(o, "adjust", amount=amount)


def on_disk(store: DraftStore):
    loaded = store.load()
    assert loaded.message is None
    return loaded.draft


def answer_for(batch: Batch, body: bytes, *, complete: bool = True, batch_id: str = "b1") -> ReceiverAnswer:
    """The answer the client builds for ``body``, via the core's own matching rules."""
    records = parse_answer(body)
    outcome, results, message = resolve_batch(batch.numbered(), records, complete=complete)
    return ReceiverAnswer(RequestKind.BATCH, outcome, message, tuple(records), results, batch_id=batch_id)


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "profile" / "draft.json")


def test_every_change_is_written_and_undo_restores(store):
    area = StagingArea(store)
    area.add([ship(A), track(B)])
    assert on_disk(store).entries == [ship(A), track(B)]
    area.replace(1, track(B, "2Z"))
    assert on_disk(store).entries == [ship(A), track(B, "2Z")]
    area.remove([0])
    assert on_disk(store).entries == [track(B, "2Z")]
    assert area.undo() and area.undo()
    assert on_disk(store).entries == [ship(A), track(B)]
    assert area.undo() and not area.undo()
    assert on_disk(store).entries == []


def test_a_new_area_restores_the_draft(store):
    StagingArea(store).add([cancel(A), adjust(B)])
    restored = StagingArea(store, store.load().draft)
    assert restored.entries == (cancel(A), adjust(B))


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
    messages = [l.message for l in area.lint({A: "pending", B: "completed"})]
    assert any("ship and cancel" in m for m in messages)
    assert any("not pending" in m and str(B) in m for m in messages)


def test_applied_leave_refused_stay_unknown_move_aside(store):
    area = StagingArea(store)
    area.add([ship(A), track(B), cancel(C)])
    sent = area.batch()
    # A is answered, B refused, and the answer is cut off before C's line.
    body = b"396-10-1142 mark_shipped\n397-10-1159 error_message order_not_pending\n398-11"
    answer = answer_for(sent, body, complete=False, batch_id="feed01")
    report = area.apply_results(answer, sent, host="127.0.0.1")
    assert report.applied == [ship(A)]
    assert report.refused == [(track(B), "order_not_pending")]
    assert area.entries == (track(B),)
    assert area.remarks[track(B)] == "order_not_pending"
    [unknown] = area.unknown_batches
    assert (unknown.batch_id, unknown.host, unknown.entries) == ("feed01", "127.0.0.1", [cancel(C)])
    assert not area.can_undo  # undo must not bring the shipped entry back
    draft = on_disk(store)
    assert draft.entries == [track(B)]
    assert [b.entries for b in draft.unknown_batches] == [[cancel(C)]]


def test_whole_request_refused_keeps_everything_with_the_words(store):
    area = StagingArea(store)
    area.add([ship(A), ship(B)])
    sent = area.batch()
    report = area.apply_results(answer_for(sent, b"error_message system down for maintenance\n"), sent)
    assert area.entries == (ship(A), ship(B))
    assert area.remarks[ship(A)] == "system down for maintenance"
    assert len(report.refused) == 2 and not area.unknown_batches


def test_unreachable_without_entries_keeps_everything(store):
    area = StagingArea(store)
    area.add([ship(A)])
    answer = ReceiverAnswer(RequestKind.BATCH, Outcome.UNREACHABLE, "cannot reach host; nothing was sent")
    area.apply_results(answer, area.batch())
    assert area.entries == (ship(A),) and not area.unknown_batches
    assert "nothing was sent" in area.remarks[ship(A)]


def test_unknown_without_entries_moves_the_whole_batch(store):
    area = StagingArea(store)
    area.add([ship(A), track(B)])
    sent = area.batch()
    answer = ReceiverAnswer(RequestKind.BATCH, Outcome.UNKNOWN, "cancelled in flight", batch_id="x1")
    area.apply_results(answer, sent)
    assert area.entries == ()
    assert area.unknown_batches[0].entries == sent.entries


def test_changes_made_while_in_flight_survive(store):
    area = StagingArea(store)
    area.add([ship(A), ship(B)])
    sent = area.batch()
    area.add([track(C)])  # staged while the batch was in flight
    area.remove([1])  # ship B removed while in flight (it was sent anyway)
    answer = answer_for(sent, b"396-10-1142 mark_shipped\n397-10-1159 mark_shipped\n")
    area.apply_results(answer, sent)
    assert area.entries == (track(C),)


def test_keep_unknown_for_quit_in_flight(store):
    area = StagingArea(store)
    area.add([ship(A)])
    batch = area.keep_unknown([ship(A)], "quit while the batch was in flight", host="h")
    assert batch.batch_id.startswith("local-") and area.entries == ()
    assert on_disk(store).unknown_batches[0].note == "quit while the batch was in flight"


def _unknown_area(store, entries):
    area = StagingArea(store)
    area.add(entries)
    sent = area.batch()
    area.apply_results(ReceiverAnswer(RequestKind.BATCH, Outcome.UNKNOWN, "lost", batch_id="u1"), sent)
    return area


def test_reconcile_sorts_took_effect_restaged_and_dropped(store):
    area = _unknown_area(store, [track(A), ship(A), ship(B), adjust(C), cancel(OrderId.parse("111111111"))])
    rec = area.reconcile("u1", {A: "completed", B: "pending", C: "pending", OrderId.parse("111111111"): "mark_shipped"})
    assert rec is not None
    assert [e for e, _ in rec.took_effect] == [track(A), ship(A)]
    assert [e for e, _ in rec.restaged] == [ship(B), adjust(C)]
    assert [e for e, _ in rec.dropped] == [cancel(OrderId.parse("111111111"))]
    assert area.entries == (ship(B), adjust(C))
    assert "cannot show" in area.remarks[adjust(C)]
    assert not area.unknown_batches and not on_disk(store).unknown_batches
    assert {row["verdict"] for row in rec.results()} == {"took effect", "re-staged", "not re-staged"}


def test_reconcile_needs_every_status(store):
    area = _unknown_area(store, [ship(A), ship(B)])
    assert area.reconcile("u1", {A: "mark_shipped"}) is None
    assert len(area.unknown_batches) == 1 and area.entries == ()
    assert area.reconcile("nope", {A: "pending", B: "pending"}) is None


def test_forget_unknown_is_undoable(store):
    area = _unknown_area(store, [ship(A)])
    assert area.forget_unknown("u1") is not None and not area.unknown_batches
    assert area.undo() and len(area.unknown_batches) == 1


def test_a_failed_save_keeps_the_work_in_memory(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    area = StagingArea(DraftStore(blocker / "draft.json"))
    area.add([ship(A)])
    assert area.entries == (ship(A),)
    assert area.save_error and "could not be saved" in area.save_error


def test_listener_hears_every_change(store):
    seen = []
    area = StagingArea(store)
    area.listener = lambda a: seen.append(a.version)
    area.add([ship(A)])
    area.undo()
    assert seen == [1, 2]
