"""The profile's SQLite store at scale (not part of the test run):

    .venv/bin/python tests/benchmarks/store_bench.py

A profile with 100,000 staged entries and a 1,000,000-line journal: 10 batches of 50,000
entries (a submit and an outcome line each, plus the batch's own outcome line) across
200,000 orders. The first batch goes through the store's own ``claim`` and ``settle``;
the other nine copy its rows (one ``executemany`` in one transaction), so every batch has
the shape the store itself writes.

Timed: one change to the 100,000 staged entries (remove one, edit one, undo), in the
store alone and through the ``StagingArea`` the composer uses; opening the profile
(``Store.open`` + ``StagingArea``, every staged entry loaded); one order's history and
its last event; and the bytes the undo table holds after 200 single removals.

Machines here are noisy, so each figure is also given as a ratio against a baseline
measured in the same run: a bare ``sqlite3`` statement writing one of the same rows (a
DELETE, committed, with the store's WAL and synchronous FULL: what a change costs the
disk at the least), a bare ``sqlite3`` SELECT of the same 100,000 rows (opening), and a
bare indexed SELECT of one order's journal lines (history). Targets are printed, never
asserted. Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ccnow_tui.domain.staging import StagingArea  # noqa: E402
from ccnow_tui.protocol import OrderId, StagedAction  # noqa: E402
from ccnow_tui.storage.store import BatchMeta, Settled, Store  # noqa: E402

N_STAGED = 100_000
N_ORDERS = 200_000
N_BATCHES = 10
BATCH = 50_000  # entries a batch: 2 lines each, so 10 batches make 1,000,000 lines
REPEAT = 7
N_REMOVALS = 200
META = BatchMeta("https://receiver.example/cgi-local/oapi_receive.cgi", "receiver.example", "shop")

TARGETS = {"store_change_100k_s": 0.02, "store_open_100k_s": 0.5, "order_history_s": 0.005}


def best(fn, repeat=REPEAT):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def order_ids(n: int) -> list[OrderId]:
    rng = random.Random(1)
    start = 100_000_000
    out = []
    for _ in range(n):
        start += rng.randint(1, 9)
        out.append(OrderId.from_digits(str(start)))
    return out


def action(i: int, oid: OrderId) -> StagedAction:
    kind = i % 4
    if kind == 0:
        return StagedAction.make(oid, "ship")
    if kind == 1:
        return StagedAction.make(oid, "adjust", amount=f"{1 + i % 50}.{i % 100:02d}", notes="damaged in transit")
    if kind == 2:
        return StagedAction.make(oid, "track", trackname="UPS", tracknumber=f"1Z{i:010d}")
    return StagedAction.make(oid, "cancel", notes="out of stock")


def copy_batch(
    conn: sqlite3.Connection,
    batch_id: str,
    copies: int,
    *,
    order_of: Callable[[int, str], str],
    entry_shift: Callable[[int], int],
    when: Callable[[int], str] | None = None,
) -> None:
    """Insert ``copies`` copies of a sent batch and its journal lines, in one transaction:
    copy ``k`` (1..copies) is batch ``...xKK``, its lines' orders ``order_of(k, order)``,
    their entry ids shifted by ``entry_shift(k)`` past every id in use, and its time
    ``when(k)`` (the original's if None). Filling the journal this way takes seconds
    where claiming and settling each batch would take minutes."""
    rows = conn.execute(
        "SELECT time, kind, order_id, entry_id, n, action, fields, outcome, status, message, raw "
        "FROM events WHERE batch_id = ? ORDER BY id",
        (batch_id,),
    ).fetchall()
    brow = conn.execute(
        "SELECT created_at, state, outcome, message, url, host, client_id, store_id, owner, pid, "
        "hostname, entry_count, settled_at FROM batches WHERE batch_id = ?",
        (batch_id,),
    ).fetchone()
    max_id = conn.execute("SELECT MAX(entry_id) FROM events").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    for k in range(1, copies + 1):
        bid = f"{batch_id[:-3]}x{k:02d}"  # "x": never a hex token, so never the batch copied
        at = when(k) if when is not None else None
        shift = entry_shift(k) + max_id

        def moved(r, bid=bid, k=k, at=at, shift=shift):
            oid = order_of(k, r[2]) if r[2] is not None else None
            eid = r[3] + shift if r[3] is not None else None
            return (at or r[0], r[1], bid, oid, eid, *r[4:])

        conn.execute(
            "INSERT INTO batches (batch_id, created_at, state, outcome, message, url, host, client_id, "
            "store_id, owner, pid, hostname, entry_count, settled_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (bid, at or brow[0], *brow[1:]),
        )
        conn.executemany(
            "INSERT INTO events (time, kind, batch_id, order_id, entry_id, n, action, fields, "
            "outcome, status, message, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            map(moved, rows),
        )
    conn.execute("COMMIT")


def build(path: Path) -> dict:
    """The profile: 100,000 staged entries and the 1,000,000-line journal."""
    orders = order_ids(N_ORDERS)
    staged = [action(i, orders[(i * 7) % N_ORDERS]) for i in range(N_STAGED)]
    t0 = time.perf_counter()
    with Store.open(path) as store:
        StagingArea(store).add(staged)
        t_add = time.perf_counter() - t0
        # Batch 1, as the command line sends one: claimed (new entries), then settled.
        first = [(n, None, 0, action(n, orders[n - 1])) for n in range(1, BATCH + 1)]
        t = time.perf_counter()
        batch_id = store.claim(first, META)
        ids = store.entry_ids(batch_id)
        store.settle(
            batch_id,
            [
                Settled(
                    ids[n],
                    "applied",
                    "mark_shipped" if a.kind.value == "ship" else "pending",
                    "",
                    f"{a.order_id} pending",
                )
                for n, _, _, a in first
            ],
            outcome="ok",
            message=f"{BATCH} applied",
        )
        t_claim_settle = time.perf_counter() - t
        conn = store._conn()
        index = {str(o): i for i, o in enumerate(orders[:BATCH])}
        # Batches 2..10: the same lines for the next orders (wrapping round the 200,000).
        t = time.perf_counter()
        copy_batch(
            conn,
            batch_id,
            N_BATCHES - 1,
            order_of=lambda k, oid: str(orders[(index[oid] + k * BATCH) % N_ORDERS]),
            entry_shift=lambda k: k * BATCH,
        )
        t_copy = time.perf_counter() - t
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    return {
        "orders": orders,
        "staged": staged,
        "events": events,
        "add_100k_s": t_add,
        "claim_settle_50k_s": t_claim_settle,
        "copy_9_batches_s": t_copy,
    }


def bench_open(path: Path) -> dict:
    def open_profile():
        with Store.open(path) as store:
            return len(StagingArea(store))

    def bare():
        conn = sqlite3.connect(path)
        try:
            return len(
                conn.execute(
                    "SELECT id, order_id, action, notes, amount, trackname, tracknumber, state, "
                    "batch_id, remark, rev, pos FROM entries ORDER BY pos, id"
                ).fetchall()
            )
        finally:
            conn.close()

    open_profile()  # the first open after the build writes nothing more: same as every later one
    open_s, n = best(open_profile)
    bare_s, m = best(bare)
    assert n == m == N_STAGED, (n, m)
    return {"store_open_100k_s": open_s, "bare_select_100k_s": bare_s, "store_open_vs_bare_select": open_s / bare_s}


def bench_change(path: Path, staged: list[StagedAction]) -> dict:
    """One change to 100,000 staged entries: remove one, edit one, undo (each its own figure)."""
    out = {"bare_write_row_s": bare_write(path)}
    with Store.open(path) as store:
        ids = [e.id for e in store.snapshot().staged]
        rng = random.Random(2)

        def remove():
            return store.remove([rng.choice(ids)])

        def undo():
            return store.undo()

        def edit():
            i = rng.choice(ids)
            return store.replace(i, StagedAction.make("396101142", "adjust", amount="1.23"))

        times: dict[str, list[float]] = {"remove": [], "edit": [], "undo": []}
        for _ in range(REPEAT):
            for name, fn in (("remove", remove), ("undo", undo), ("edit", edit), ("undo", undo)):
                t = time.perf_counter()
                assert fn() is not None
                times[name].append(time.perf_counter() - t)
        for name, ts in times.items():
            out[f"store_{name}_100k_s"] = min(ts)
        out["store_change_100k_s"] = max(out[f"store_{n}_100k_s"] for n in times)

        area = StagingArea(store)
        times = {"remove": [], "edit": [], "undo": []}
        for _ in range(REPEAT):
            i = rng.randrange(len(area))
            t = time.perf_counter()
            assert area.remove([i])
            times["remove"].append(time.perf_counter() - t)
            t = time.perf_counter()
            assert area.undo()
            times["undo"].append(time.perf_counter() - t)
            t = time.perf_counter()
            assert area.replace(i, StagedAction.make("396101142", "adjust", amount="2.34"))
            times["edit"].append(time.perf_counter() - t)
            t = time.perf_counter()
            assert area.undo()
            times["undo"].append(time.perf_counter() - t)
        assert len(area) == N_STAGED
        for name, ts in times.items():
            out[f"staging_{name}_100k_s"] = min(ts)
        out["staging_change_100k_s"] = max(out[f"staging_{n}_100k_s"] for n in times)

        # Undo memory: 200 single removals (the undo limit), then what the table holds.
        for i in rng.sample(range(len(area)), N_REMOVALS):
            area.remove([min(i, len(area) - 1)])
        conn = store._conn()
        count, size = conn.execute(
            "SELECT COUNT(*), SUM(LENGTH(owner) + LENGTH(op) + LENGTH(data) + 16) FROM undo WHERE owner = ?",
            (store.owner,),
        ).fetchone()
        out["undo_rows_200_removals"] = count
        out["undo_bytes_200_removals"] = size
        try:
            pages = conn.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('undo', 'undo_owner')").fetchone()[0]
        except sqlite3.Error:
            pages = None
        if pages is not None:
            out["undo_pages_bytes"] = pages
        for _ in range(N_REMOVALS):
            area.undo()
        assert len(area) == N_STAGED
    return out


def bare_write(path: Path) -> float:
    """A bare sqlite3 DELETE of one staged row, committed with the store's settings (the
    row put back after, untimed): the least a change to the store costs the disk."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        rows = conn.execute("SELECT * FROM entries WHERE state = 'staged' ORDER BY pos LIMIT ?", (REPEAT,)).fetchall()
        insert = f"INSERT INTO entries VALUES ({', '.join('?' * len(rows[0]))})"
        times = []
        for row in rows:
            t = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM entries WHERE id = ?", (row[0],))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - t)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert, row)
            conn.execute("COMMIT")
    finally:
        conn.close()
    return min(times)


def bench_history(path: Path, orders: list[OrderId]) -> dict:
    rng = random.Random(3)
    sample = [str(o) for o in rng.sample(orders, 200)]
    with Store.open(path) as store:
        hist, last, bare = [], [], []
        conn = sqlite3.connect(path)
        lines = 0
        for oid in sample:
            t = time.perf_counter()
            items = store.history(oid)
            hist.append(time.perf_counter() - t)
            lines += sum(len(i.entries) + len(i.results) for i in items)
            t = time.perf_counter()
            item = store.last_event(oid)
            last.append(time.perf_counter() - t)
            assert item is not None and items
            t = time.perf_counter()
            conn.execute("SELECT * FROM events WHERE order_id = ? ORDER BY id", (oid,)).fetchall()
            bare.append(time.perf_counter() - t)
        conn.close()
    med = statistics.median
    return {
        "order_history_s": med(hist),
        "order_history_max_s": max(hist),
        "last_event_s": med(last),
        "bare_history_select_s": med(bare),
        "order_history_vs_bare_select": med(hist) / med(bare),
        "history_lines_per_order": lines / len(sample),
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ccnow-store-bench-") as tmp:
        path = Path(tmp) / "profile" / "store.sqlite3"
        built = build(path)
        results: dict[str, float] = {
            "journal_events": built["events"],
            "add_100k_s": built["add_100k_s"],
            "claim_settle_50k_s": built["claim_settle_50k_s"],
            "copy_9_batches_s": built["copy_9_batches_s"],
        }
        results.update(bench_open(path))
        results.update(bench_change(path, built["staged"]))
        results["store_change_vs_bare_write"] = results["store_change_100k_s"] / results["bare_write_row_s"]
        results["staging_change_vs_bare_write"] = results["staging_change_100k_s"] / results["bare_write_row_s"]
        results.update(bench_history(path, built["orders"]))
        results["store_file_bytes"] = sum(p.stat().st_size for p in path.parent.glob("store.sqlite3*"))
    print(f"{'measure':<30} {'value':>14}  target")
    for key, value in results.items():
        target = TARGETS.get(key)
        mark = "" if target is None else f"<= {target:g} {'ok' if value <= target else 'MISSED'}"
        shown = f"{value:>14.5f}" if isinstance(value, float) else f"{value:>14,}"
        print(f"{key:<30} {shown}  {mark}")
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
