"""The last event of many orders at once (Store.last_events, LastEvents.fill): the same
answer as ``last_event`` per order, and the queue's sort by "last sent" built on it
without a query per order."""

from __future__ import annotations

from sent_batches import send

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.storage.store import Judged, Settled, Store, Verdict
from ccnow_tui.tui.model import BULK_FROM, LastEvents, OrderBook, describe_event


def oid(i: int) -> OrderId:
    return OrderId.from_digits(f"{500_000_000 + i:09d}")


def journal(store: Store) -> list[OrderId]:
    """Batches of every fate over orders 0..9 (10 and 11 never sent); returns 0..11."""
    orders = [oid(i) for i in range(12)]
    a, ids = send(
        store,
        StagedAction.make(orders[0], "ship"),
        StagedAction.make(orders[1], "adjust", amount="2.50"),
        StagedAction.make(orders[1], "track", trackname="UPS", tracknumber="1Z9"),
    )
    store.settle(
        a,
        [
            Settled(ids[1], "applied", "mark_shipped", raw=f"{orders[0]} mark_shipped"),
            Settled(ids[2], "applied", "pending", raw=f"{orders[1]} pending"),
            Settled(ids[3], "applied", "pending", raw=f"{orders[1]} pending"),
        ],
        outcome="ok",
        message="ok",
    )
    # Order 1 again (its last batch is this one), order 2 refused.
    b, ids = send(store, StagedAction.make(orders[1], "ship"), StagedAction.make(orders[2], "cancel", notes="x"))
    store.settle(
        b,
        [
            Settled(ids[1], "applied", "mark_shipped"),
            Settled(ids[2], "refused", message="order_not_found", raw=f"{orders[2]} order_not_found"),
        ],
        outcome="some_refused",
        message="1 refused",
    )
    send(store, StagedAction.make(orders[3], "ship"))  # still sending
    lost, ids = send(store, StagedAction.make(orders[4], "ship"), StagedAction.make(orders[5], "adjust", amount="1"))
    store.mark_unknown(lost, "cut off")
    store.reconcile(
        lost,
        [
            Judged(ids[1], Verdict.TOOK_EFFECT, "shipped", "shipped"),
            Judged(ids[2], Verdict.UNVERIFIED, "pending", "a status cannot prove it"),
        ],
        summary="1 took effect, 1 unverified",
        answer_lines=[f"{orders[4]} shipped"],
    )
    gone, _ = send(store, StagedAction.make(orders[6], "cancel", notes="y"))
    store.mark_unknown(gone, "reset")
    store.forget(batch_id=gone)
    unknown, _ = send(store, StagedAction.make(orders[7], "ship"))
    store.mark_unknown(unknown, "timed out")
    # Lines with no batch (as an imported journal has them), at two times, for order 8;
    # order 9 has one batch line and then a line of no batch.
    c, ids = send(store, StagedAction.make(orders[9], "ship"))
    store.settle(c, [Settled(ids[1], "applied", "mark_shipped")], outcome="ok", message="ok")
    conn = store._conn()
    with conn:
        conn.executemany(
            "INSERT INTO events (time, kind, batch_id, order_id, n, action, fields, outcome) "
            "VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
            [
                ("2026-01-01T10:00:00.000+00:00", "submit", str(orders[8]), 1, "ship", "", ""),
                ("2026-01-02T10:00:00.000+00:00", "submit", str(orders[8]), 1, "adjust", '{"amount":"3.00"}', ""),
                ("2026-01-02T10:00:00.000+00:00", "outcome", str(orders[8]), None, "adjust", "", "applied"),
                ("2026-01-03T10:00:00.000+00:00", "submit", str(orders[9]), 1, "track", '{"trackname":"DHL"}', ""),
            ],
        )
    return orders


def test_the_bulk_answer_is_last_event_for_every_order(store):
    orders = journal(store)
    one_by_one = {str(o): store.last_event(o) for o in orders}
    assert one_by_one[str(orders[10])] is None and one_by_one[str(orders[11])] is None
    assert sum(v is not None for v in one_by_one.values()) == 10
    expected = {k: v for k, v in one_by_one.items() if v is not None}
    asked = store.last_events(orders + orders[:3])  # repeated orders too
    assert asked == expected  # the same items, field for field; none for orders never sent
    assert store.last_events() == expected  # every order the journal names
    assert store.last_events([]) == {}
    assert store.last_events([orders[10], oid(999)]) == {}
    assert store.last_events([orders[1]]) == {str(orders[1]): one_by_one[str(orders[1])]}
    # Each its own object: a batch's columns filled on every order's item.
    assert store.last_events()[str(orders[0])] is not store.last_events()[str(orders[0])]
    assert [describe_event(asked.get(str(o))) for o in orders] == [describe_event(one_by_one[str(o)]) for o in orders]


class Counting(Store):
    """The store, counting the per-order and the bulk queries."""

    per_order = 0
    bulk = 0

    def last_event(self, order_id):
        Counting.per_order += 1
        return super().last_event(order_id)

    def last_events(self, order_ids=None):
        Counting.bulk += 1
        return super().last_events(order_ids)


def test_fill_asks_once_for_many_and_one_by_one_for_a_few(tmp_path):
    Counting.per_order = Counting.bulk = 0
    with Counting.open(tmp_path / "profile" / "store.sqlite3") as store:
        orders = journal(store) + [oid(100 + i) for i in range(BULK_FROM)]
        events = LastEvents(store)
        events.fill(orders)
        assert (Counting.bulk, Counting.per_order) == (1, 0)
        assert [events.get(o) for o in orders] == [store.last_event(o) for o in orders]
        assert Counting.bulk == 1  # every get answered from the cache
        events.fill(orders)  # nothing missing: nothing asked
        assert Counting.bulk == 1
        Counting.per_order = 0
        events.invalidate()
        events.fill(orders[:3])  # a few: a query each, as drawing them would
        assert (Counting.bulk, Counting.per_order) == (1, 3)


def test_the_sort_by_last_sent_uses_one_bulk_query_and_orders_newest_first(tmp_path):
    from ccnow_tui.tui.widgets.order_table import OrderTable, Sort

    Counting.per_order = Counting.bulk = 0
    with Counting.open(tmp_path / "profile" / "store.sqlite3") as store:
        orders = journal(store)
        extra = [oid(200 + i) for i in range(BULK_FROM * 2)]  # never sent
        conn = store._conn()
        # Every batch its own minute, the order they were sent in (utc_now is per millisecond).
        with conn:
            for k, (batch_id,) in enumerate(conn.execute("SELECT batch_id FROM batches ORDER BY rowid").fetchall()):
                conn.execute(
                    "UPDATE batches SET created_at = ? WHERE batch_id = ?",
                    (f"2026-11-27T10:{k:02d}:00.000+00:00", batch_id),
                )
        book = OrderBook()
        book.rows = [*extra[::2], *reversed(orders), *extra[1::2]]
        book.events = LastEvents(store)
        table = OrderTable(book, StagingArea(store))
        table.sort = Sort.LAST_SENT
        Counting.per_order = 0
        shown = table._source()
        assert (Counting.bulk, Counting.per_order) == (1, 0)
        times = {o: item.time if (item := store.last_event(o)) else "" for o in book.rows}
        # Newest first; ties and never-sent orders by number.
        assert shown == sorted(sorted(book.rows), key=times.__getitem__, reverse=True)
        sent = [o for o in shown if times[o]]
        assert sent[:2] == [orders[7], orders[6]]  # the last batches sent
        assert sent[-2:] == [orders[9], orders[8]]  # their last lines have no batch, and are older
        assert shown[len(sent) :] == sorted([orders[10], orders[11], *extra])
        assert {o for o in orders[:10]} == set(sent)


def test_a_failing_bulk_query_leaves_blank_cells_not_a_crash(store, monkeypatch):
    orders = journal(store) + [oid(300 + i) for i in range(BULK_FROM)]
    events = LastEvents(store)

    def broken(order_ids=None):
        import sqlite3

        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "last_events", broken)
    events.fill(orders)
    assert all(events.get(o) is None for o in orders)


def test_a_batch_answered_forgets_only_its_own_orders_last_events(tmp_path):
    """After a batch the controller names its orders: a queue sorted by last sent looks up
    those again, not every order (another process's change: all of them)."""
    from ccnow_tui.tui.controller import SessionController
    from ccnow_tui.tui.model import LogBuffer

    Counting.per_order = Counting.bulk = 0
    with Counting.open(tmp_path / "profile" / "store.sqlite3") as store:
        orders = journal(store) + [oid(100 + i) for i in range(BULK_FROM)]
        book = OrderBook()
        book.events = LastEvents(store)
        book.events.fill(orders)
        controller = SessionController(book, StagingArea(store), LogBuffer())
        Counting.per_order = 0
        controller.journal_changed(orders[:2])
        book.events.fill(orders)
        assert (Counting.bulk, Counting.per_order) == (1, 2)  # the two named, one query each
        controller.journal_changed()
        book.events.fill(orders)
        assert Counting.bulk == 2  # all of them again, in one bulk query
