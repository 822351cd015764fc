"""Sorting the queue by "last sent" at 100,000 orders (not part of the test run):

    .venv/bin/python tests/benchmarks/last_sent_bench.py

A profile whose pending list holds 100,000 orders and whose journal is what a shop
writes over weeks: 60 batches of 2,000 entries (a submit and an outcome line each, plus
the batch's own line), a quarter of each batch on orders still pending (discounts and
tracking: about 12,000 distinct queue orders have been sent something, several of them
more than once) and the rest on orders that have since left the queue (ship, cancel).
The first batch goes through the store's own ``claim`` and ``settle``; the others copy
its rows with other orders and later times, so every batch has the shape the store writes.

Timed, each with a fresh cache (what ``o`` to "last sent" costs after the journal changed):

- ``per_order``: the baseline, ``LastEvents.get`` for every order (one indexed query each,
  as the sort did before ``fill``);
- ``fill``: ``LastEvents.fill`` (one bulk query for the missing orders), then every ``get``;
- ``sort``: the queue's whole sort (``OrderTable._by_last_sent``) with ``fill``;
- ``bulk_whole_journal``: ``Store.last_events()`` with no orders (the map of every order
  the journal names, one GROUP BY over the ``events_order`` index), for comparison.

Every order's answer from the bulk path is checked equal to ``last_event``'s. Machines
here are noisy, so each figure is also a ratio against the per-order baseline measured in
the same run. Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from store_bench import best, copy_batch, order_ids  # noqa: E402  (this folder: the same orders, timing, copies)

from ccnow_tui.domain.staging import StagingArea  # noqa: E402
from ccnow_tui.protocol import OrderId, StagedAction  # noqa: E402
from ccnow_tui.storage.store import BatchMeta, Settled, Store  # noqa: E402
from ccnow_tui.tui.model import LastEvents, OrderBook  # noqa: E402

N_QUEUE = 100_000
N_PAST = 150_000  # orders that left the queue
N_BATCHES = 60
BATCH = 2_000
ON_QUEUE = BATCH // 4  # entries of a batch on orders still pending
QUEUE_SENT_POOL = 20_000  # the queue orders a batch's pending entries are drawn from
REPEAT = 3
META = BatchMeta("https://receiver.example/cgi-local/oapi_receive.cgi", "receiver.example", "shop")


def action(i: int, oid: OrderId, pending: bool) -> StagedAction:
    if pending:  # what an order still pending has been sent
        if i % 2:
            return StagedAction.make(oid, "adjust", amount=f"{1 + i % 50}.{i % 100:02d}", notes="damaged in transit")
        return StagedAction.make(oid, "track", trackname="UPS", tracknumber=f"1Z{i:010d}")
    if i % 5:
        return StagedAction.make(oid, "ship")
    return StagedAction.make(oid, "cancel", notes="out of stock")


def build(path: Path) -> tuple[list[OrderId], int, int]:
    """The journal; returns the queue's orders, the journal's lines and the queue orders sent something."""
    orders = order_ids(N_QUEUE + N_PAST)
    rng = random.Random(2)
    queue = orders[:N_QUEUE]
    rng.shuffle(queue)  # the receiver's order is not the numbers'
    past = orders[N_QUEUE:]
    sent_pool = rng.sample(queue, QUEUE_SENT_POOL)
    plans = []
    past_at = 0
    for _ in range(N_BATCHES):
        on_queue = rng.sample(sent_pool, ON_QUEUE)
        gone = [past[(past_at + j) % N_PAST] for j in range(BATCH - ON_QUEUE)]
        past_at += BATCH - ON_QUEUE
        plans.append(on_queue + gone)
    with Store.open(path) as store:
        first = [(n, None, 0, action(n, oid, n <= ON_QUEUE)) for n, oid in enumerate(plans[0], 1)]
        batch_id = store.claim(first, META)
        ids = store.entry_ids(batch_id)
        store.settle(
            batch_id,
            [
                Settled(ids[n], "applied", "pending" if n <= ON_QUEUE else "mark_shipped", "", f"{a.order_id} pending")
                for n, _, _, a in first
            ],
            outcome="ok",
            message=f"{BATCH} applied",
        )
        conn = store._conn()
        index = {str(o): i for i, o in enumerate(plans[0])}
        (created,) = conn.execute("SELECT created_at FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        start = datetime.fromisoformat(created)
        copy_batch(
            conn,
            batch_id,
            N_BATCHES - 1,
            order_of=lambda k, oid: str(plans[k][index[oid]]),
            entry_shift=lambda k: k * BATCH,
            when=lambda k: (start + timedelta(minutes=37 * k)).astimezone(UTC).isoformat(timespec="milliseconds"),
        )
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        queue_set = set(map(str, queue))
        sent = sum(
            1
            for (oid,) in conn.execute("SELECT DISTINCT order_id FROM events WHERE order_id IS NOT NULL")
            if oid in queue_set
        )
    return queue, events, sent


def key(item):
    """What the queue shows and sorts by, and every field of the item."""
    if item is None:
        return None
    return (
        item.batch_id,
        item.time,
        item.host,
        item.client_id,
        item.state,
        item.outcome,
        item.message,
        json.dumps(item.entries, sort_keys=True),
        json.dumps(item.results, sort_keys=True),
        item.answer_lines,
    )


def main() -> int:
    from ccnow_tui.tui.widgets.order_table import OrderTable, Sort

    with tempfile.TemporaryDirectory(prefix="ccnow-last-sent-bench-") as tmp:
        path = Path(tmp) / "profile" / "store.sqlite3"
        t = time.perf_counter()
        queue, events, sent = build(path)
        built_s = time.perf_counter() - t
        with Store.open(path) as store:

            def per_order():
                cache = LastEvents(store)
                return [cache.get(oid) for oid in queue]

            def bulk():
                cache = LastEvents(store)
                cache.fill(queue)
                return [cache.get(oid) for oid in queue]

            book = OrderBook()
            book.rows = list(queue)
            table = OrderTable(book, StagingArea(store))
            table.sort = Sort.LAST_SENT

            def sort():
                book.events = LastEvents(store)
                return table._by_last_sent(list(queue))

            def sort_per_order():  # the sort as it was: a get per order, no fill
                events = LastEvents(store)
                times = {oid: item.time if (item := events.get(oid)) is not None else "" for oid in queue}
                return sorted(sorted(queue), key=times.__getitem__, reverse=True)

            per_order_s, slow = best(per_order, REPEAT)
            bulk_s, fast = best(bulk, REPEAT)
            sort_s, ordered = best(sort, REPEAT)
            sort_old_s, ordered_old = best(sort_per_order, REPEAT)
            whole_s, whole = best(lambda: store.last_events(), REPEAT)
            assert [key(i) for i in slow] == [key(i) for i in fast], "bulk and per-order answers differ"
            assert ordered == ordered_old, "the sort changed"
            assert sum(i is not None for i in fast) == sent
            assert all(key(whole.get(str(oid))) == key(i) for oid, i in zip(queue, fast, strict=True))
    results = {
        "queue_orders": N_QUEUE,
        "journal_events": events,
        "queue_orders_sent_something": sent,
        "build_s": built_s,
        "per_order_100k_s": per_order_s,
        "fill_100k_s": bulk_s,
        "sort_per_order_100k_s": sort_old_s,
        "sort_fill_100k_s": sort_s,
        "bulk_whole_journal_s": whole_s,
        "fill_vs_per_order": bulk_s / per_order_s,
        "sort_fill_vs_sort_per_order": sort_s / sort_old_s,
        "whole_journal_vs_per_order": whole_s / per_order_s,
    }
    print(f"{'measure':<30} {'value':>14}")
    for name, value in results.items():
        shown = f"{value:>14.5f}" if isinstance(value, float) else f"{value:>14,}"
        print(f"{name:<30} {shown}")
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
