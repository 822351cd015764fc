"""The profile's SQLite store: private files and a schema it will not touch when newer;
liveness of the process that claimed a batch (real processes, kill -9); two windows on
one file; undo per process that never touches what was sent; the password masked in free
text only; the old JSON files imported once; the journal as the order detail reads it."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.protocol.actions import ActionKind, format_amount
from ccnow_tui.protocol.batch import Severity
from ccnow_tui.protocol.redact import MASK, Secret
from ccnow_tui.storage.store import (
    GONE_REASON,
    RECONCILE_IT,
    SCHEMA_VERSION,
    UNDO_LIMIT,
    BatchMeta,
    BatchState,
    ClaimConflict,
    Judged,
    Settled,
    Store,
    StoreError,
    Verdict,
)

REPO = Path(__file__).resolve().parents[1]
META = BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop", "store-7", "test")
A, B, C, D, E, F = (
    OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001", "399-12-0002", "400-13-0003", "401-14-0004")
)


def ship(o):
    return StagedAction.make(o, "ship")


def cancel(o, notes="out of stock"):
    return StagedAction.make(o, "cancel", notes=notes)


def adjust(o, amount="5.00"):
    return StagedAction.make(o, "adjust", amount=amount)


def track(o, n="1Z999"):
    return StagedAction.make(o, "track", trackname="UPS", tracknumber=n)


def numbered(entries):
    return [(n, e.id, e.rev, e.action) for n, e in enumerate(entries, 1)]


def actions(entries):
    return [e.action for e in entries]


def raw_db(path: Path) -> sqlite3.Connection:
    """A plain connection, as a forensic look at the file (no store logic)."""
    return sqlite3.connect(path)


def undo_rows(path: Path, owner: str) -> list[tuple[int, str, str]]:
    with raw_db(path) as c:
        return c.execute("SELECT grp, op, data FROM undo WHERE owner = ? ORDER BY id", (owner,)).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "profile" / "store.sqlite3"


@pytest.fixture
def store(path):
    with Store.open(path) as store:
        yield store


# -- the file ------------------------------------------------------------------------------


def test_files_are_private_even_with_an_open_umask(tmp_path):
    path = tmp_path / "new" / "deeper" / "store.sqlite3"
    old = os.umask(0)  # whatever is not made private on purpose would be world-readable
    try:
        with Store.open(path) as store:
            store.add([ship(A)])
            for name in ("store.sqlite3", "store.sqlite3-wal", "store.sqlite3-shm"):
                f = path.parent / name
                assert f.exists(), f"{name} was not written"
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, name
            for folder in (path.parent, path.parent.parent, path.parent / "owners"):
                assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            for lock in (path.parent / "owners").iterdir():
                assert stat.S_IMODE(lock.stat().st_mode) == 0o600, lock
    finally:
        os.umask(old)


def test_schema_version_and_wal(store, path):
    with raw_db(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _indexes(path: Path) -> set[str]:
    with raw_db(path) as c:
        return {n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def test_a_store_made_with_the_retired_order_index_loses_it_and_keeps_its_entries(path):
    """The first stores indexed entries by order number, which no query reads (every row
    staged, claimed or settled updated it for nothing): a new store has no such index, and
    one that has it loses it when opened, its entries and schema version as they were."""
    with Store.open(path) as store:
        store.add([ship(A), cancel(B)])
    assert "entries_order" not in _indexes(path) and "entries_batch" in _indexes(path)
    with raw_db(path) as c:  # as the first stores were made
        c.execute("CREATE INDEX entries_order ON entries(order_id)")
    assert "entries_order" in _indexes(path)
    with Store.open(path) as store:
        assert actions(store.snapshot().staged) == [ship(A), cancel(B)]
        assert "entries_order" not in _indexes(path)
        store.add([ship(C)])
    with raw_db(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store.open(path) as store:
        assert actions(store.snapshot().staged) == [ship(A), cancel(B), ship(C)]


def _newer_file(path: Path) -> None:
    """A store as a newer version might leave it: another schema, rollback journal."""
    path.parent.mkdir(mode=0o700, parents=True)
    c = sqlite3.connect(path)
    c.execute("CREATE TABLE entries_v9 (id INTEGER PRIMARY KEY, what TEXT)")
    c.execute("INSERT INTO entries_v9 (what) VALUES ('ship 396-10-1142')")
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    os.chmod(path, 0o600)


def test_a_newer_store_is_refused_and_left_exactly_as_it_is(path):
    _newer_file(path)
    before = digest(path)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(path) in str(info.value) and "newer" in str(info.value)
    assert digest(path) == before  # not even the journal mode (a header byte) changed
    # Nothing left beside it either: no WAL, no lock of a process that is not using it.
    assert sorted(p.name for p in path.parent.iterdir() if p.name != "owners") == ["store.sqlite3"]
    owners = path.parent / "owners"
    assert not owners.exists() or not any(owners.iterdir())
    with raw_db(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert c.execute("SELECT what FROM entries_v9").fetchall() == [("ship 396-10-1142",)]


def test_a_newer_wal_store_is_refused_and_its_content_unchanged(path):
    with Store.open(path) as store:
        store.add([ship(A)])
    with raw_db(path) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = digest(path)
    with pytest.raises(StoreError, match="newer"):
        Store.open(path)
    assert digest(path) == before
    with raw_db(path) as c:
        assert c.execute("SELECT order_id, action, state FROM entries").fetchall() == [(A, "ship", "staged")]


def test_an_empty_existing_file_is_migrated_forward(path):
    path.parent.mkdir(mode=0o700, parents=True)
    path.touch(mode=0o600)
    with Store.open(path) as store:
        assert store.add([ship(A)])
    with raw_db(path) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    with Store.open(path) as store:
        assert actions(store.snapshot().staged) == [ship(A)]


def test_a_file_that_is_not_a_database_is_refused_and_untouched(path):
    path.parent.mkdir(mode=0o700, parents=True)
    junk = b"ship 396-10-1142\n" * 300
    path.write_bytes(junk)
    with pytest.raises(StoreError) as info:
        Store.open(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == junk


# -- liveness with real processes -------------------------------------------------------------

CLAIMER = """
import sys
from pathlib import Path
from ccnow_tui.storage.store import BatchMeta, Store
store = Store.open(Path(sys.argv[1]))
staged = store.snapshot().staged
batch_id = store.claim([(n, e.id, e.rev, e.action) for n, e in enumerate(staged, 1)],
                       BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop"))
print("claimed", batch_id, flush=True)
sys.stdin.readline()  # in flight until the test lets go (or kills it)
"""


@pytest.fixture
def claimer(path):
    """A real process that claims every staged entry and then waits, the batch in flight."""
    procs: list[subprocess.Popen] = []

    def start() -> tuple[subprocess.Popen, str]:
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(
            [sys.executable, "-c", CLAIMER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        procs.append(proc)
        line = proc.stdout.readline()  # waits for the claim, however long the start takes
        if not line.startswith("claimed "):
            proc.kill()
            raise AssertionError(f"the claimer did not claim: {line!r} {proc.stderr.read()}")
        return proc, line.split()[1]

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            pipe.close()


def test_a_batch_in_flight_in_a_live_process_is_not_taken_for_dead_then_is_after_kill_9(path, claimer):
    with Store.open(path) as store:
        store.add([ship(A), track(B)])
    proc, batch_id = claimer()

    with Store.open(path) as window:
        assert window.notices == []
        assert window.batch_state(batch_id) == "sending"
        [held] = window.snapshot().held
        assert (held.batch_id, held.state, held.mine, held.pid) == (batch_id, BatchState.SENDING, False, proc.pid)
        area = StagingArea(window)
        area.add([adjust(A)])  # another entry for an order in flight
        errors = [lint for lint in area.lint() if lint.severity is Severity.ERROR]
        assert len(errors) == 1 and "being sent right now" in errors[0].message
        with pytest.raises(ClaimConflict, match="being sent right now"):
            window.claim(numbered(area.staged), META)
        assert window.batch_state(batch_id) == "sending" and actions(window.snapshot().staged) == [adjust(A)]

    proc.kill()  # SIGKILL: no close, no cleanup; the OS lets go of its lock
    proc.wait()

    with Store.open(path) as after:
        assert len(after.notices) == 1
        assert batch_id in after.notices[0] and GONE_REASON in after.notices[0] and str(proc.pid) in after.notices[0]
        assert after.notices[0].endswith(RECONCILE_IT)  # where the TUI adds its keys (test_controller.py)
        assert after.batch_state(batch_id) == "unknown"
        snap = after.snapshot()
        assert actions(snap.staged) == [adjust(A)]  # the two in flight are never staged again
        [held] = snap.held
        assert held.state is BatchState.UNKNOWN and actions(held.entries) == [ship(A), track(B)]
        assert held.message == GONE_REASON
        last = list(after.journal())[-1]
        assert (last["event"], last["batch_id"], last["outcome"], last["message"]) == (
            "outcome",
            batch_id,
            "unknown",
            GONE_REASON,
        )
        with pytest.raises(ClaimConflict, match="OUTCOME UNKNOWN"):
            after.claim(numbered(snap.staged), META)
    with Store.open(path) as again:  # recovered once: no second notice, still held
        assert again.notices == [] and again.batch_state(batch_id) == "unknown"
        assert actions(again.snapshot().staged) == [adjust(A)]


def test_the_dead_owners_lock_file_is_cleared_and_a_live_one_kept(path, claimer):
    with Store.open(path) as store:
        store.add([ship(A)])
    proc, batch_id = claimer()
    owners = path.parent / "owners"
    with Store.open(path) as window:
        theirs = {p.name for p in owners.iterdir()} - {f"{window.owner}.lock"}
        assert len(theirs) == 1  # the claimer's, kept while it runs
        assert window.owner_alive(next(iter(theirs)).removesuffix(".lock"))
    proc.kill()
    proc.wait()
    with Store.open(path) as after:
        assert after.batch_state(batch_id) == "unknown"
        assert {p.name for p in owners.iterdir()} == {f"{after.owner}.lock"}
        assert not after.owner_alive(next(iter(theirs)).removesuffix(".lock"))


def test_a_window_left_open_notices_the_sender_died_on_poll(path, claimer):
    with Store.open(path) as store:
        store.add([cancel(A)])
    proc, batch_id = claimer()
    with Store.open(path) as window:
        area = StagingArea(window)
        assert [b.state for b in area.held] == [BatchState.SENDING]
        assert not area.poll()  # alive: nothing to do
        proc.kill()
        proc.wait()
        assert area.poll()
        assert any(batch_id in n and GONE_REASON in n for n in area.notices)
        assert [b.state for b in area.held] == [BatchState.UNKNOWN] and area.entries == ()


def test_a_clean_exit_leaves_its_batch_in_flight_for_nobody_to_resend(path, claimer):
    """A process that exits after claiming, without an answer, is gone too: unknown, not staged."""
    with Store.open(path) as store:
        store.add([ship(A)])
    proc, batch_id = claimer()
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.wait() == 0
    with Store.open(path) as after:
        assert after.batch_state(batch_id) == "unknown" and after.snapshot().staged == []


# -- two windows on one file ------------------------------------------------------------------


def test_changes_of_one_window_are_seen_by_the_other(path):
    with Store.open(path) as one, Store.open(path) as two:
        assert not two.changed_elsewhere()
        one.add([ship(A), track(B)])
        assert two.changed_elsewhere()
        assert actions(two.snapshot().staged) == [ship(A), track(B)]
        assert not two.changed_elsewhere()
        two.remove([two.snapshot().staged[0].id])
        assert not two.changed_elsewhere()  # its own change
        assert one.changed_elsewhere() and actions(one.snapshot().staged) == [track(B)]
        bid = two.claim(numbered(two.snapshot().staged), META)
        assert one.changed_elsewhere() and one.snapshot().held[0].batch_id == bid


def test_concurrent_claims_from_two_threads_one_wins(path):
    rounds = [(OrderId.from_digits(f"5{i:02d}000001"), OrderId.from_digits(f"6{i:02d}000002")) for i in range(12)]
    for x, y in rounds:
        with Store.open(path) as setup:
            setup.add([adjust(x), ship(x), track(y)])
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def send(i: int, barrier: threading.Barrier = barrier, results: list[object] = results) -> None:
            with Store.open(path) as window:  # each thread a window of its own
                staged = window.snapshot().staged
                barrier.wait()
                try:
                    results[i] = window.claim(numbered(staged), META)
                except ClaimConflict as exc:
                    results[i] = exc

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if isinstance(r, ClaimConflict)]
        assert len(won) == 1 and len(lost) == 1, results
        with Store.open(path) as check:
            [held] = check.snapshot().held
            assert held.batch_id == won[0] and actions(held.entries) == [adjust(x), ship(x), track(y)]
            submits = [e for e in check.journal(orders=[x, y]) if e["event"] == "submit"]
            assert len(submits) == 3  # every entry claimed once
            check.settle(
                won[0],
                [Settled(i, "applied", "pending") for i in check.entry_ids(won[0]).values()],
                outcome="ok",
                message="",
            )


# -- undo -------------------------------------------------------------------------------------


def test_undo_is_per_process(path):
    with Store.open(path) as a, Store.open(path) as b:
        [ea] = a.add([ship(A)])
        [eb] = b.add([ship(B)])
        b.replace(eb.id, cancel(B))
        a.replace(ea.id, track(A))
        assert b.undo() is not None  # b's replace, not a's
        assert actions(a.snapshot().staged) == [track(A), ship(B)]
        assert b.undo() is not None and b.undo() is None
        assert actions(a.snapshot().staged) == [track(A)]
        assert a.undo() is not None and a.undo() is not None and a.undo() is None
        assert a.snapshot().staged == []


def test_undo_never_touches_an_entry_while_it_is_in_flight(path):
    with Store.open(path) as a, Store.open(path) as b:
        a.add([ship(A), ship(B)])
        bid = b.claim(numbered(b.snapshot().staged), META)
        result = a.undo()
        assert result is not None and result.skipped == 2
        [held] = a.snapshot().held
        assert held.batch_id == bid and actions(held.entries) == [ship(A), ship(B)]
        assert a.snapshot().staged == []


def test_undo_never_removes_an_entry_that_was_sent_and_came_back(path):
    with Store.open(path) as a, Store.open(path) as b:
        area = StagingArea(a)
        area.add([ship(A), ship(B)])
        bid = b.claim(numbered(b.snapshot().staged), META)
        ids = b.entry_ids(bid)
        b.settle(
            bid,
            [Settled(ids[1], "refused", "", "order_not_pending"), Settled(ids[2], "applied", "mark_shipped")],
            outcome="some_refused",
            message="",
        )
        area.poll()
        assert area.entries == (ship(A),)
        assert area.undo()
        assert area.last_undo_skipped == 1
        assert area.entries == (ship(A),) and area.remark_at(0) == "order_not_pending"  # the view agrees
        assert actions(b.snapshot().staged) == [ship(A)]  # and so does the file


def test_undo_never_brings_back_an_entry_that_was_applied(path):
    with Store.open(path) as a, Store.open(path) as b:
        [e] = a.add([ship(A)])
        a.replace(e.id, ship(B))  # a's last change: ship A -> ship B
        bid = b.claim(numbered(b.snapshot().staged), META)
        b.settle(
            bid, [Settled(i, "applied", "mark_shipped") for i in b.entry_ids(bid).values()], outcome="ok", message=""
        )
        # Window b stages and edits something new meanwhile.
        [n] = b.add([cancel(C, "first")])
        b.replace(n.id, cancel(C, "second"))
        assert n.id != e.id  # an id is never used twice
        result = a.undo()
        assert result is not None and result.skipped == 1
        assert actions(b.snapshot().staged) == [cancel(C, "second")]  # nothing shipped comes back
        result = a.undo()  # a's add: the entry is gone (applied), b's is not a's to take
        assert result is not None and actions(b.snapshot().staged) == [cancel(C, "second")]


def test_undo_takes_back_successive_changes_to_one_entry(path):
    with Store.open(path) as a, Store.open(path) as b:
        [e] = a.add([ship(A)])
        a.replace(e.id, ship(B))
        a.replace(e.id, ship(C))
        for want in ([ship(B)], [ship(A)], []):
            result = a.undo()
            assert result is not None and result.skipped == 0
            assert actions(b.snapshot().staged) == want
        # Re-staged after a reconcile, then edited: both come back in turn too.
        [u] = a.add([adjust(D)])
        bid = a.claim(numbered(a.snapshot().staged), META)
        a.mark_unknown(bid, "lost")
        a.reconcile(bid, [Judged(u.id, Verdict.UNVERIFIED, "pending", "check it")], summary="1 unverified")
        a.restage([u.id], "re-staged by the operator")
        a.replace(u.id, adjust(D, "2.00"))
        assert a.undo().skipped == 0 and actions(a.snapshot().staged) == [adjust(D)]
        assert a.undo().skipped == 0 and actions(a.snapshot().unverified) == [adjust(D)]
        # But a change from another window in between still stops both.
        [x] = a.add([track(E)])
        a.replace(x.id, track(E, "2"))
        a.replace(x.id, track(E, "3"))
        b.replace(x.id, track(E, "b"))
        assert a.undo().skipped == 1 and a.undo().skipped == 1
        assert actions(b.snapshot().staged) == [track(E, "b")]


def test_own_claim_ends_undo(store):
    store.add([ship(A)])
    assert store.can_undo()
    store.claim(numbered(store.snapshot().staged), META)
    assert not store.can_undo() and store.undo() is None


def test_undo_keeps_at_most_the_limit(store, path):
    for i in range(300):
        store.add([ship(OrderId.from_digits(f"{i:09d}"))])
    groups = {g for g, _, _ in undo_rows(path, store.owner)}
    assert len(groups) == UNDO_LIMIT
    for _ in range(UNDO_LIMIT):
        assert store.undo() is not None
    assert store.undo() is None and not store.can_undo()
    assert len(store.snapshot().staged) == 300 - UNDO_LIMIT


@pytest.mark.slow
def test_undo_stores_changes_not_copies(store, path):
    big = [StagedAction(OrderId.from_digits(f"{i:09d}"), ActionKind.SHIP) for i in range(100_000)]
    added = store.add(big)
    rows = undo_rows(path, store.owner)
    assert len(rows) == 1 and len(rows[0][2]) < 100
    store.remove([added[50_000].id])
    rows = undo_rows(path, store.owner)
    assert len(rows) == 2 and len(rows[1][2]) < 500
    assert sum(len(d) for _, _, d in rows) < 1000
    assert store.undo() is not None
    with raw_db(path) as c:
        assert c.execute("SELECT COUNT(*) FROM entries WHERE state = 'staged'").fetchone()[0] == 100_000


def test_closing_a_store_removes_its_undo_rows(path):
    with Store.open(path) as b:
        b.add([ship(B)])
        a = Store.open(path)
        a.add([ship(A)])
        a.replace(a.snapshot().staged[0].id, ship(C))
        assert len(undo_rows(path, a.owner)) == 2
        a.close()
        assert undo_rows(path, a.owner) == []
        assert len(undo_rows(path, b.owner)) == 1  # the other window's are its own


# -- the password in free text, never in typed data -------------------------------------------

PASSWORDS = ("ship", "8199", '",', "pending")


def test_free_text_is_masked_typed_data_never_is(path):
    for pw in PASSWORDS:
        Secret(pw)
    o1, o2, o3 = (OrderId.parse(x) for x in ("186-92-8199", "281-99-0001", "999-81-9900"))
    leaky = 'bad password: ship ",8199 pending'
    with Store.open(path) as store:
        store.add([ship(o1), adjust(o2, "81.99"), adjust(o1, "5.00"), track(o3)])
        bid = store.claim(numbered(store.snapshot().staged), META)
        ids = store.entry_ids(bid)
        store.settle(
            bid,
            [
                Settled(ids[1], "applied", "mark_shipped", "", f"{o1} mark_shipped ({leaky})"),
                Settled(ids[2], "refused", "pending", f"refused: {leaky}", f"{o2} error_message {leaky}"),
                Settled(ids[3], "applied", "pending", "", f"{o1} pending"),
                Settled(ids[4], "unknown", "", f"cut off: {leaky}", ""),
            ],
            outcome="unknown",
            message=f"batch: {leaky}",
            other_lines=[f"message {leaky}"],
        )
        store.reconcile(
            bid,
            [Judged(ids[4], Verdict.UNVERIFIED, "pending", f"still pending: {leaky}")],
            summary=f"1 unverified {leaky}",
            answer_lines=[f"{o3} pending"],
        )
        snap = store.snapshot()  # loads: nothing judged corrupt
        assert actions(snap.staged) == [adjust(o2, "81.99")]
        assert MASK in snap.staged[0].remark and not any(pw in snap.staged[0].remark for pw in PASSWORDS)
        assert actions(snap.unverified) == [track(o3)]
        assert not any(pw in snap.unverified[0].remark for pw in PASSWORDS)

        journal = list(store.journal())
        typed = [
            (e["event"], e["order_id"], e["action"], e["fields"], e["outcome"], e["status"])
            for e in journal
            if e["order_id"]
        ]
        assert typed == [
            ("submit", o1, "ship", {}, "", ""),
            ("submit", o2, "adjust", {"amount": "81.99"}, "", ""),
            ("submit", o1, "adjust", {"amount": "5.00"}, "", ""),
            ("submit", o3, "track", {"trackname": "UPS", "tracknumber": "1Z999"}, "", ""),
            ("outcome", o1, "ship", {}, "applied", "mark_shipped"),
            ("outcome", o2, "adjust", {"amount": "81.99"}, "refused", "pending"),
            ("outcome", o1, "adjust", {"amount": "5.00"}, "applied", "pending"),
            ("outcome", o3, "track", {"trackname": "UPS", "tracknumber": "1Z999"}, "unknown", ""),
            ("reconciled", o3, "track", {"trackname": "UPS", "tracknumber": "1Z999"}, "unverified", "pending"),
        ]
        assert [e["n"] for e in journal if e["event"] == "outcome" and e["order_id"]] == [1, 2, 3, 4]
        free = [e[k] for e in journal for k in ("message", "raw") if e[k]]
        assert len(free) >= 8 and sum(MASK in t for t in free) >= 8
        for text in free:
            assert not any(pw in text for pw in PASSWORDS), text
        # The order detail shows the same typed data.
        [item] = store.history(o1)
        assert [(x["action"], x.get("amount")) for x in item.entries] == [("ship", None), ("adjust", "5.00")]
        assert [(r["action"], r["outcome"], r["status"]) for r in item.results] == [
            ("ship", "applied", "mark_shipped"),
            ("adjust", "applied", "pending"),
        ]
        assert item.host == "127.0.0.1:1" and item.state == "reconciled"
        assert not any(pw in line for line in item.answer_lines for pw in PASSWORDS)
    with Store.open(path) as again:  # and it all loads again
        assert actions(again.snapshot().staged) == [adjust(o2, "81.99")]


def test_history_lists_each_batch_and_last_event_the_latest(store):
    store.add([track(A), ship(A), ship(B)])
    first = store.claim(numbered(store.snapshot().staged), META)
    ids = store.entry_ids(first)
    store.settle(
        first,
        [
            Settled(ids[1], "applied", "mark_shipped", "", f"{A} mark_shipped"),
            Settled(ids[2], "applied", "mark_shipped", "", f"{A} mark_shipped"),
            Settled(ids[3], "refused", "", "order_not_pending", f"{B} error_message order_not_pending"),
        ],
        outcome="some_refused",
        message="1 refused",
        other_lines=["message thanks"],
    )
    store.remove([e.id for e in store.snapshot().staged])
    store.add([adjust(A, "3.00")])
    second = store.claim(numbered(store.snapshot().staged), META)
    store.mark_unknown(second, "timed out")

    items = store.history(A)
    assert [i.batch_id for i in items] == [first, second]
    one, two = items
    assert [(e["n"], e["action"], e.get("trackname"), e.get("tracknumber")) for e in one.entries] == [
        (1, "track", "UPS", "1Z999"),
        (2, "ship", None, None),
    ]
    assert [(r["action"], r["outcome"], r["status"]) for r in one.results if r["action"]] == [
        ("track", "applied", "mark_shipped"),
        ("ship", "applied", "mark_shipped"),
    ]
    assert one.answer_lines == [f"{A} mark_shipped"]
    assert (one.outcome, one.host, one.client_id, one.state) == ("some_refused", "127.0.0.1:1", "shop", "answered")
    assert [(e["action"], e["amount"]) for e in two.entries] == [("adjust", "3.00")]
    assert two.state == "unknown" and two.outcome == "unknown" and two.message == "timed out"

    [b] = store.history(B)
    assert b.batch_id == first and [(r["outcome"], r["message"]) for r in b.results] == [
        ("refused", "order_not_pending")
    ]
    assert b.answer_lines == [f"{B} error_message order_not_pending"]

    last = store.last_event(A)
    assert last is not None and last.batch_id == second and [e["action"] for e in last.entries] == ["adjust"]
    assert store.last_event(B).batch_id == first
    assert store.last_event(C) is None


# -- many entries at once ---------------------------------------------------------------------


def _rows(path: Path) -> list[tuple]:
    with raw_db(path) as db:
        return db.execute(
            "SELECT id, pos, order_id, action, notes, amount, trackname, tracknumber, state, batch_id, "
            "remark, rev, changed_by != '' FROM entries ORDER BY id"
        ).fetchall()


@pytest.mark.parametrize(
    "make",
    [
        ship,
        lambda o: cancel(o, notes='out "of" stock, ä\\ n'),
        lambda o: adjust(o, "12.50"),
        lambda o: track(o, "1Z 999"),
    ],
    ids=["ship", "cancel with notes", "adjust", "track"],
)
def test_many_alike_entries_are_stored_as_one_at_a_time_would_be(tmp_path, monkeypatch, make):
    """The one-statement insert for alike entries (Store.add) writes the very rows the
    row-by-row insert writes, and returns the same entries."""
    import ccnow_tui.storage.entries as entries_module

    orders = [OrderId.parse(f"{500000000 + i}") for i in range(entries_module.BULK_ADD + 5)]
    batch = [make(o) for o in orders]
    results = {}
    for way, threshold in (("bulk", entries_module.BULK_ADD), ("rows", 10**9)):
        monkeypatch.setattr(entries_module, "BULK_ADD", threshold)
        path = tmp_path / way / "store.sqlite3"
        with Store.open(path) as s:
            s.add([ship(OrderId.parse("111111111"))])  # ids and places go on from what is there
            returned = s.add(batch, remark="from a script")
            results[way] = (_rows(path), returned, s.snapshot().staged)
    assert results["bulk"][0] == results["rows"][0]
    assert results["bulk"][1] == results["rows"][1] == results["bulk"][2][1:]


@pytest.mark.parametrize(
    "odd",
    [
        lambda o: StagedAction.make(o, "query"),
        lambda o: track(o, "1Z 998"),
        lambda o: StagedAction.make(o, "track", trackname="DHL", tracknumber="1Z 999"),
        lambda o: StagedAction.make(o, "track", trackname="UPS", tracknumber="1Z 999", notes="fragile"),
    ],
    ids=["kind", "tracknumber", "trackname", "notes"],
)
def test_one_entry_that_differs_in_one_field_is_not_stored_as_its_neighbours(tmp_path, monkeypatch, odd):
    """Alike entries but the last, which differs in one field only: the store keeps each
    entry's own fields (the one-statement insert is only for entries alike in every field)."""
    import ccnow_tui.storage.entries as entries_module

    orders = [OrderId.parse(f"{500000000 + i}") for i in range(entries_module.BULK_ADD + 5)]
    batch = [track(o, "1Z 999") for o in orders[:-1]] + [odd(orders[-1])]
    with Store.open(tmp_path / "store.sqlite3") as s:
        returned = s.add(batch)
        assert actions(returned) == batch
        assert actions(s.snapshot().staged) == batch


@pytest.mark.parametrize("amounts", [("12.50", "12.51"), ("12.50", "12.5")], ids=["differ", "same value"])
def test_many_adjusts_keep_each_amount(tmp_path, amounts):
    import ccnow_tui.storage.entries as entries_module

    orders = [OrderId.parse(f"{500000000 + i}") for i in range(entries_module.BULK_ADD + 5)]
    batch = [adjust(o, amounts[0]) for o in orders[:-1]] + [adjust(orders[-1], amounts[1])]
    with Store.open(tmp_path / "store.sqlite3") as s:
        s.add(batch)
        assert actions(s.snapshot().staged) == batch
    with raw_db(tmp_path / "store.sqlite3") as c:
        stored = [a for (a,) in c.execute("SELECT amount FROM entries ORDER BY id")]
    assert stored == [format_amount(a.amount) for a in batch]


def test_many_entries_that_differ_are_stored_row_by_row_and_one_undo_removes_them(tmp_path):
    import ccnow_tui.storage.entries as entries_module

    orders = [OrderId.parse(f"{500000000 + i}") for i in range(entries_module.BULK_ADD + 5)]
    batch = [ship(o) if i % 2 else cancel(o) for i, o in enumerate(orders)]
    with Store.open(tmp_path / "store.sqlite3") as s:
        s.add(batch)
        assert actions(s.snapshot().staged) == batch
        s.undo()
        assert s.snapshot().staged == []


def test_a_status_word_not_of_the_protocol_is_masked_a_status_code_is_data(path):
    """Issue 17 §3: a receiver answering the password as a status; a password that is a
    status code ("pending") does not garble the statuses the protocol defines."""
    Secret("weird_status_pw")
    Secret("pending")
    o1, o2 = (OrderId.parse(x) for x in ("186-92-8199", "281-99-0001"))
    with Store.open(path) as store:
        store.add([ship(o1), adjust(o2, "1.00")])
        bid = store.claim(numbered(store.snapshot().staged), META)
        ids = store.entry_ids(bid)
        store.settle(
            bid,
            [Settled(ids[1], "applied", "weird_status_pw", "", ""), Settled(ids[2], "applied", "pending", "", "")],
            outcome="ok",
            message="",
        )
        statuses = [e["status"] for e in store.journal() if e["event"] == "outcome" and e["order_id"]]
    assert statuses == [MASK, "pending"]
    with raw_db(path) as c:
        assert not c.execute("SELECT COUNT(*) FROM events WHERE status LIKE '%weird_status_pw%'").fetchone()[0]
