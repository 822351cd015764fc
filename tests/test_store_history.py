"""The history of batches (Store.batches, Store.batch_detail): newest first, entries counted
per action, one outcome word per batch whatever became of it."""

from __future__ import annotations

from sent_batches import send

from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.protocol.redact import MASK, Secret
from ccnow_tui.storage.store import Judged, Settled, Verdict, batch_word

A, B, C, D, E, F = (
    OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001", "399-12-0002", "400-13-0003", "401-14-0004")
)


def test_an_empty_store_has_no_batches(store):
    assert store.batches() == []
    assert store.batch_detail("nope") is None


def test_batches_newest_first_with_counts_and_outcome_words(store):
    applied, ids1 = send(
        store,
        StagedAction.make(A, "ship"),
        StagedAction.make(B, "ship"),
        StagedAction.make(B, "adjust", amount="2.50", notes="late"),
    )
    store.settle(applied, [Settled(i, "applied", "shipped") for i in ids1.values()], outcome="ok", message="3 applied")
    some, ids2 = send(store, StagedAction.make(C, "cancel", notes="no stock"), StagedAction.make(D, "ship"))
    store.settle(
        some,
        [
            Settled(ids2[1], "refused", message="order_not_found", raw=f"{C} order_not_found"),
            Settled(ids2[2], "applied", "shipped", raw=f"{D} mark_shipped"),
        ],
        outcome="some_refused",
        message="1 refused",
    )
    refused, ids3 = send(store, StagedAction.make(C, "ship"))
    store.settle(refused, [Settled(ids3[1], "refused", message="bad")], outcome="refused", message="refused")
    sending, _ = send(store, StagedAction.make(E, "track", trackname="UPS", tracknumber="1Z9"))
    listed = store.batches()
    assert [b.batch_id for b in listed] == [sending, refused, some, applied]
    assert [b.outcome for b in listed] == ["sending", "refused", "some refused", "applied"]
    assert [b.counts_text for b in listed] == ["track 1", "ship 1", "cancel 1, ship 1", "ship 2, adjust 1"]
    assert listed[-1].host == "127.0.0.1:1" and listed[-1].client_id == "shop" and listed[-1].entry_count == 3
    # Paging.
    assert [b.batch_id for b in store.batches(limit=2, offset=1)] == [refused, some]
    # The detail: entries as sent, results, the receiver's raw lines.
    detail = store.batch_detail(some)
    assert detail is not None and detail.summary == listed[2]
    assert [(e.n, e.order_id, e.action, e.fields) for e in detail.entries] == [
        (1, C, "cancel", {"notes": "no stock"}),
        (2, D, "ship", {}),
    ]
    per_entry = [(r.order_id, r.outcome, r.message) for r in detail.results if r.order_id]
    assert per_entry == [(C, "refused", "order_not_found"), (D, "applied", "")]
    assert detail.raw_lines == (f"{C} order_not_found", f"{D} mark_shipped")


def test_unknown_reconciled_and_forgotten(store):
    lost, ids = send(store, StagedAction.make(A, "ship"), StagedAction.make(B, "adjust", amount="1.00"))
    assert store.mark_unknown(lost, "the answer was cut off")
    assert store.batches()[0].outcome == "unknown"
    assert store.batch_ids_with_order("10-11") == {lost} and store.batch_ids_with_order("999") == set()
    assert store.reconcile(
        lost,
        [
            Judged(ids[1], Verdict.TOOK_EFFECT, "shipped", "shipped"),
            Judged(ids[2], Verdict.UNVERIFIED, "pending", "a status cannot prove it"),
        ],
        summary="1 took effect, 1 unverified",
        answer_lines=[f"{A} shipped", f"{B} pending"],
    )
    [summary] = store.batches()
    assert summary.outcome == "reconciled" and summary.counts_text == "ship 1, adjust 1"
    detail = store.batch_detail(lost)
    assert detail is not None and f"{A} shipped" in detail.raw_lines
    assert {r.outcome for r in detail.results if r.kind == "reconciled" and r.order_id} == {"took effect", "unverified"}
    gone, _ = send(store, StagedAction.make(F, "cancel", notes="x"))
    store.mark_unknown(gone, "reset")
    assert store.forget(batch_id=gone)
    assert [(b.batch_id, b.outcome) for b in store.batches()] == [(gone, "forgotten"), (lost, "reconciled")]


def test_the_receivers_lines_are_stored_masked(store):
    secret = Secret("hunter2-very-secret")
    batch, ids = send(store, StagedAction.make(A, "ship"))
    store.settle(
        batch,
        [Settled(ids[1], "refused", message=f"bad {secret.reveal()}", raw=f"{A} bad {secret.reveal()}")],
        outcome="refused",
        message="refused",
    )
    detail = store.batch_detail(batch)
    assert detail is not None and all(secret.reveal() not in line for line in detail.raw_lines)
    assert any(MASK in line for line in detail.raw_lines)


def test_batch_words():
    assert [batch_word("answered", o) for o in ("ok", "some_refused", "refused", "unreachable")] == [
        "applied",
        "some refused",
        "refused",
        "not sent",
    ]
    assert [batch_word(s, "ok") for s in ("sending", "unknown", "reconciled", "forgotten")] == [
        "sending",
        "unknown",
        "reconciled",
        "forgotten",
    ]
