"""Live entries: reading them, the operator's changes to staged ones, and undo.

Each change is one write transaction and one undo step of the process that made it
(``owner``, the store's token): undo takes back only what is still as that change left
it, and never brings back, or takes away, what was sent since. Entry ids are never used
twice: undo steps and journal lines name entries by id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from itertools import count, repeat
from typing import Any, NamedTuple

from ..protocol.actions import StagedAction
from ..protocol.redact import redact
from .records import BatchState, EntryState, HeldBatch, Snapshot, StoredEntry, StoreError, UndoResult
from .rows import (
    ACTION_COLS,
    BATCH_AT,
    ENTRY_COLS,
    ORDER_OF,
    RESTORED_COLS,
    ROW_COLS,
    STATE_AT,
    EntryRow,
    alike,
    column_values,
    columns,
    entry,
    fields_json,
    utc_now,
)
from .schema import Write

UNDO_LIMIT = 200  # changes per process that u can take back
BULK_ADD = 1000  # entries from which alike ones are inserted in one statement (add)


_ACTION = ", ".join(ACTION_COLS)
_ACTION_SET = ", ".join(f"{c}=?" for c in ACTION_COLS)
_RESTORE_SET = ", ".join(f"{c}=?" for c in RESTORED_COLS)
_REINSERT = (
    f"INSERT OR IGNORE INTO entries ({ROW_COLS}, changed_by) VALUES ({','.join('?' * (len(EntryRow._fields) + 1))})"
)


_new = tuple.__new__  # only in add: see there


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# -- reading ---------------------------------------------------------------------------------


class _HeldRow(NamedTuple):
    """A batch that holds entries, as the snapshot reads it."""

    batch_id: str
    state: str
    created_at: str
    host: str
    client_id: str
    message: str
    pid: int
    hostname: str
    owner: str


def snapshot(conn: sqlite3.Connection, owner: str) -> Snapshot:
    """Every live entry: staged, held by a batch (``mine`` when ``owner`` sent it), unverified."""
    snap = Snapshot()
    held: dict[str, list[StoredEntry]] = {}
    rows = conn.execute(f"SELECT {ENTRY_COLS} FROM entries ORDER BY pos, id").fetchall()
    for row in rows:  # by position: the hot loop store_bench.py times (store_open_100k_s)
        state = row[STATE_AT]
        if state == "staged":
            snap.staged.append(entry(row))
        elif state == "unverified":
            snap.unverified.append(entry(row))
        else:
            held.setdefault(row[BATCH_AT] or "", []).append(entry(row))
    if held:
        marks = ",".join("?" * len(held))
        meta = {
            r.batch_id: r
            for r in map(
                _HeldRow._make,
                conn.execute(
                    f"SELECT batch_id, state, created_at, host, client_id, message, pid, hostname, owner "
                    f"FROM batches WHERE batch_id IN ({marks}) ORDER BY created_at",
                    list(held),
                ),
            )
        }
        for batch_id in sorted(held, key=lambda b: (meta[b].created_at if b in meta else "", b)):
            m = meta.get(batch_id)
            entries = tuple(held[batch_id])
            if m is None:  # pragma: no cover - entries always name a recorded batch
                snap.held.append(HeldBatch(batch_id, BatchState.UNKNOWN, "", "", "", "", 0, "", False, entries))
                continue
            state = BatchState(m.state) if m.state in ("sending", "unknown") else BatchState.UNKNOWN
            snap.held.append(
                HeldBatch(
                    batch_id,
                    state,
                    m.created_at,
                    m.host,
                    m.client_id,
                    m.message,
                    m.pid,
                    m.hostname,
                    m.owner == owner,
                    entries,
                )
            )
    return snap


def entries_by_id(conn: sqlite3.Connection, ids: Sequence[int]) -> list[StoredEntry]:
    """The live entries among ``ids`` (any state), as stored now."""
    out = []
    ids = list(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out += [
            entry(r)
            for r in conn.execute(f"SELECT {ENTRY_COLS} FROM entries WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        ]
    return out


def rows(c: sqlite3.Connection, ids: list[int], state: str) -> list[EntryRow]:
    """The full rows of those of ``ids`` in ``state``, in the order of ``ids``."""
    out: list[EntryRow] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        out += map(
            EntryRow._make,
            c.execute(
                f"SELECT {ROW_COLS} FROM entries WHERE state = ? AND id IN ({','.join('?' * len(chunk))})",
                (state, *chunk),
            ),
        )
    order = {entry_id: i for i, entry_id in enumerate(ids)}
    out.sort(key=lambda r: order[r.id])
    return out


def rows_of_batch(c: sqlite3.Connection, batch_id: str) -> list[EntryRow]:
    return list(
        map(
            EntryRow._make,
            c.execute(f"SELECT {ROW_COLS} FROM entries WHERE batch_id = ? ORDER BY pos, id", (batch_id,)),
        )
    )


def next_pos(c: sqlite3.Connection) -> int:
    """The place after the last entry's."""
    return int(c.execute("SELECT MAX(pos) FROM entries").fetchone()[0] or 0) + 1


def new_ids(c: sqlite3.Connection, count: int) -> int:
    """The first of ``count`` fresh entry ids. An id is never used twice: undo steps and
    journal lines name entries by id, so a reused id would let an undo of one entry
    overwrite or remove another (even put back one that was applied)."""
    row = c.execute("SELECT value FROM meta WHERE key = 'next_entry_id'").fetchone()
    first = (c.execute("SELECT MAX(id) FROM entries").fetchone()[0] or 0) + 1
    if row is not None:
        first = max(first, int(row[0]))
    else:  # a store written before the counter: skip every id the journal names
        first = max(first, (c.execute("SELECT MAX(entry_id) FROM events").fetchone()[0] or 0) + 1)
    c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_entry_id', ?)", (str(first + count),))
    return int(first)


# -- operator changes (undoable, per process) ------------------------------------------------


def _push_undo(c: sqlite3.Connection, owner: str, op: str, data: Any) -> None:
    row = c.execute("SELECT MAX(grp) FROM undo WHERE owner = ?", (owner,)).fetchone()
    grp = (row[0] or 0) + 1
    c.execute("INSERT INTO undo (owner, grp, op, data) VALUES (?, ?, ?, ?)", (owner, grp, op, _dumps(data)))
    c.execute("DELETE FROM undo WHERE owner = ? AND grp <= ?", (owner, grp - UNDO_LIMIT))


def can_undo(conn: sqlite3.Connection, owner: str) -> bool:
    return conn.execute("SELECT 1 FROM undo WHERE owner = ? LIMIT 1", (owner,)).fetchone() is not None


def add(conn: sqlite3.Connection, owner: str, actions: Sequence[StagedAction], remark: str) -> list[StoredEntry]:
    """Stage ``actions`` at the end, in order; one undoable change."""
    if not actions:
        return []
    with Write(conn) as c:
        pos = next_pos(c)
        first = new_ids(c, len(actions))
        # Explicit ids: one range per change, so undo records two numbers, not a list.
        if len(actions) >= BULK_ADD and alike(actions):
            # Many entries that differ only in their order (ship for a whole list): the
            # order numbers go as one JSON array that SQLite walks itself, about three
            # times faster than binding a stress-size batch's rows from Python.
            a = actions[0]
            c.execute(
                f"INSERT INTO entries (id, pos, {_ACTION}, state, remark, changed_by) "
                f"SELECT ? + key, ? + key, value, {', '.join('?' * (len(ACTION_COLS) - 1))}, 'staged', ?, ? "
                "FROM json_each(?)",  # value: the order number, ACTION_COLS[0]
                (first, pos, *columns(a)[1:], remark, owner, json.dumps(list(map(ORDER_OF, actions)))),
            )
        else:  # zipped column by column, at C speed
            c.executemany(
                f"INSERT INTO entries (id, pos, {_ACTION}, state, remark, changed_by) "
                f"VALUES (?, ?, {', '.join('?' * len(ACTION_COLS))}, 'staged', ?, ?)",
                zip(count(first), count(pos), *column_values(actions), repeat(remark), repeat(owner)),
            )
        last = first + len(actions) - 1
        _push_undo(c, owner, "delete_range", [first, last])
    # The entries as stored, each made from a tuple zipped at C speed, without the named
    # tuple's Python-level constructor (which checks nothing): one per staged order when
    # a whole list is staged, timed as tui_scale.py's stage_ship_100k_s (docs/scale.md).
    return list(
        map(
            _new,
            repeat(StoredEntry),
            zip(
                count(first),
                actions,
                repeat(EntryState.STAGED),
                repeat(None),
                repeat(remark),
                repeat(0),
                count(pos),
            ),
        )
    )


def remove(conn: sqlite3.Connection, owner: str, ids: Iterable[int]) -> list[StoredEntry]:
    """Remove staged entries (others are left alone); one undoable change."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    with Write(conn) as c:
        found = rows(c, wanted, "staged")
        if not found:
            return []
        c.executemany("DELETE FROM entries WHERE id = ?", [(r.id,) for r in found])
        _push_undo(c, owner, "insert", found)
    return [r.entry() for r in found]


def replace(conn: sqlite3.Connection, owner: str, entry_id: int, action: StagedAction) -> StoredEntry | None:
    """Change a staged entry's fields; None when it is no longer staged."""
    with Write(conn) as c:
        found = rows(c, [entry_id], "staged")
        if not found:
            return None
        old = found[0]
        c.execute(
            f"UPDATE entries SET {_ACTION_SET}, remark='', rev=rev+1, changed_by=? WHERE id=?",
            (*columns(action), owner, entry_id),
        )
        _push_undo(c, owner, "restore", [old])
    return StoredEntry(entry_id, action, EntryState.STAGED, None, "", old.rev + 1, old.pos)


def restage(conn: sqlite3.Connection, owner: str, ids: Iterable[int], remark: str) -> list[StoredEntry]:
    """Unverified entries the operator chose to stage again (told what may have happened)."""
    wanted = list(dict.fromkeys(ids))
    with Write(conn) as c:
        found = rows(c, wanted, "unverified")
        if not found:
            return []
        pos = next_pos(c)
        c.executemany(
            "UPDATE entries SET state='staged', batch_id=NULL, remark=?, rev=rev+1, pos=?, changed_by=? WHERE id=?",
            [(redact(remark), pos + i, owner, r.id) for i, r in enumerate(found)],
        )
        _push_undo(c, owner, "restore", found)
        now = utc_now()
        c.executemany(
            "INSERT INTO events (time, kind, batch_id, order_id, entry_id, action, fields, outcome, "
            "message) VALUES (?, 'restaged', ?, ?, ?, ?, ?, 'staged again by the operator', ?)",
            [(now, r.batch_id, r.order_id, r.id, r.action, fields_json(r.staged()), redact(remark)) for r in found],
        )
    return [
        StoredEntry(r.id, r.staged(), EntryState.STAGED, None, remark, r.rev + 1, pos + i) for i, r in enumerate(found)
    ]


def forget(
    conn: sqlite3.Connection, owner: str, *, batch_id: str | None = None, ids: Iterable[int] = ()
) -> list[StoredEntry]:
    """Forget an unknown batch, or unverified entries, that the operator checked another way.

    The journal keeps them; one undoable change.
    """
    with Write(conn) as c:
        if batch_id is not None:
            found = [r for r in rows_of_batch(c, batch_id) if r.state == "unknown"]
        else:
            found = rows(c, list(dict.fromkeys(ids)), "unverified")
        if not found:
            return []
        c.executemany("DELETE FROM entries WHERE id = ?", [(r.id,) for r in found])
        undo_data: dict[str, Any] = {"rows": found}
        now = utc_now()
        if batch_id is not None:
            old = c.execute("SELECT state FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
            c.execute("UPDATE batches SET state='forgotten' WHERE batch_id=?", (batch_id,))
            undo_data["batch"] = [batch_id, old[0] if old else "unknown"]
        c.executemany(
            "INSERT INTO events (time, kind, batch_id, order_id, entry_id, action, fields, outcome, "
            "message) VALUES (?, 'forgotten', ?, ?, ?, ?, ?, 'forgotten', "
            "'forgotten by the operator (checked another way)')",
            [(now, r.batch_id, r.order_id, r.id, r.action, fields_json(r.staged())) for r in found],
        )
        _push_undo(c, owner, "unforget", undo_data)
    return [r.entry() for r in found]


# -- undo ------------------------------------------------------------------------------------


def undo(conn: sqlite3.Connection, owner: str) -> UndoResult | None:
    """Take back ``owner``'s last change; None when there is nothing to undo.

    Entries sent, or changed by someone else, since are left as they are (counted in
    ``skipped``): undo never brings back, or takes away, what was sent.
    """
    with Write(conn) as c:
        row = c.execute("SELECT MAX(grp) FROM undo WHERE owner = ?", (owner,)).fetchone()
        if row[0] is None:
            return None
        grp = row[0]
        ops = c.execute(
            "SELECT op, data FROM undo WHERE owner = ? AND grp = ? ORDER BY id DESC", (owner, grp)
        ).fetchall()
        c.execute("DELETE FROM undo WHERE owner = ? AND grp = ?", (owner, grp))
        result = UndoResult()
        for op, data in ops:
            _apply_undo(c, owner, op, json.loads(data), result)
    return result


def _apply_undo(c: sqlite3.Connection, owner: str, op: str, data: Any, result: UndoResult) -> None:
    if op == "delete_range":
        first, last = data
        total = c.execute("SELECT COUNT(*) FROM entries WHERE id BETWEEN ? AND ?", (first, last)).fetchone()[0]
        # An entry that was claimed since (refused, or re-staged by a reconcile, it is
        # staged again) was sent: it stays. Ids are never reused, so its submit line names it.
        # One another window (or script) changed since is its work now: it stays too.
        done = c.execute(
            "DELETE FROM entries WHERE id BETWEEN ? AND ? AND state = 'staged' AND changed_by = ? "
            "AND id NOT IN (SELECT entry_id FROM events WHERE kind = 'submit' "
            "AND entry_id BETWEEN ? AND ?)",
            (first, last, owner, first, last),
        ).rowcount
        result.skipped += total - done
        result.removed = range(first, last + 1)
        # The view drops ``removed``; those that stayed staged are read back through ``touched``.
        result.touched += [
            i
            for (i,) in c.execute("SELECT id FROM entries WHERE id BETWEEN ? AND ? AND state = 'staged'", (first, last))
        ]
    elif op == "insert":
        put_back = list(map(EntryRow._make, data))
        result.skipped += _reinsert(c, owner, put_back)
        result.touched += [r.id for r in put_back]
    elif op == "restore":
        restored: dict[int, int] = {}
        for r in map(EntryRow._make, data):
            # Only if nobody touched it since (the rev our change left, still staged).
            done = c.execute(
                f"UPDATE entries SET {_RESTORE_SET}, rev=rev+1, changed_by=? WHERE id=? AND rev=? AND state = 'staged'",
                (*r.restored(), owner, r.id, r.rev + 1),
            ).rowcount
            result.skipped += 1 - done
            result.touched.append(r.id)
            if done:
                restored[r.id] = r.rev + 2  # the rev this undo left
        if restored:
            _rebase_undo(c, owner, restored)
    elif op == "unforget":
        if "batch" in data:
            batch_id, state = data["batch"]
            c.execute("UPDATE batches SET state=? WHERE batch_id=? AND state='forgotten'", (state, batch_id))
            result.held_changed = True
        put_back = list(map(EntryRow._make, data["rows"]))
        result.skipped += _reinsert(c, owner, put_back)
        result.touched += [r.id for r in put_back]
    else:  # pragma: no cover
        raise StoreError(f"unknown undo step {op!r}")


def _rebase_undo(c: sqlite3.Connection, owner: str, revs: dict[int, int]) -> None:
    """Our earlier changes to entries an undo just restored now expect the rev that undo
    left (not the one they left themselves), or a second ``u`` would skip them."""
    for undo_id, data in c.execute("SELECT id, data FROM undo WHERE owner = ? AND op = 'restore'", (owner,)).fetchall():
        kept = list(map(EntryRow._make, json.loads(data)))
        if any(r.id in revs for r in kept):
            kept = [r._replace(rev=revs[r.id] - 1) if r.id in revs else r for r in kept]
            c.execute("UPDATE undo SET data = ? WHERE id = ?", (_dumps(kept), undo_id))


def _reinsert(c: sqlite3.Connection, owner: str, put_back: list[EntryRow]) -> int:
    """Put rows back (those whose id is taken meanwhile are not); returns how many were not."""
    done = 0
    for r in put_back:
        done += c.execute(
            _REINSERT,
            (*r, owner),
        ).rowcount
    return len(put_back) - done
