"""The profile's store: one SQLite database holding every entry's life and the journal.

Ship, cancel and adjust move money and goods and carry no idempotency key, so the store
is the only truth about an entry: ``staged`` → ``sending`` (claimed by one batch, in the
same transaction that records the batch, before a byte is sent) → applied (the row
leaves; the journal keeps it) | refused (back to ``staged`` with the receiver's words) |
``unknown`` → after reconciling: applied, re-staged, or ``unverified`` (a discount or
tracking that a status cannot prove; only the operator can stage it again).

Several processes may open one profile (two TUIs, a TUI and a cron job). Writes take the
database's write lock (``BEGIN IMMEDIATE``), so a claim either sees every other change or
waits for it; each process holds an OS lock on a file of its own for as long as the
store is open, so a batch left ``sending`` by a process that is gone (kill -9, a dropped
SSH session) is told apart from one that is still in flight, and becomes ``unknown``.

Typed data (order numbers, actions, amounts, the protocol's status codes) is stored as
data and never passes through the password mask; every other word from the network
(receiver lines, messages, and a status word that is not one of the protocol's codes,
since a receiver may answer anything as a status) is masked before it is stored, so the
journal of a later run, which may not know the password, cannot show it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from ..protocol.actions import ActionKind, StagedAction, format_amount
from ..protocol.orderid import OrderId
from ..protocol.outcome import Outcome
from ..protocol.redact import redact
from ..protocol.status import STATUS_CODES
from .owners import Owners
from .paths import PRIVATE_FILE_MODE, ensure_private_dir, folder_problem, profile_dir
from .records import (
    GONE_REASON,
    RECONCILE_IT,
    BatchMeta,
    BatchState,
    ClaimConflict,
    CorruptRow,
    EntryState,
    HeldBatch,
    Judged,
    Settled,
    Snapshot,
    StoredEntry,
    StoreError,
    UndoResult,
    Verdict,
)
from .schema import SCHEMA_VERSION, Write, check_tables, connect, damaged, file_version, migrate, newer

STORE_NAME = "store.sqlite3"
UNDO_LIMIT = 200  # changes per process that u can take back

__all__ = [  # the store's names, wherever they live: importers need only this module
    "GONE_REASON",
    "RECONCILE_IT",
    "SCHEMA_VERSION",
    "STORE_NAME",
    "UNDO_LIMIT",
    "BatchDetail",
    "BatchEntry",
    "BatchMeta",
    "BatchResult",
    "BatchState",
    "BatchSummary",
    "ClaimConflict",
    "CorruptRow",
    "EntryState",
    "HeldBatch",
    "HistoryItem",
    "Judged",
    "Settled",
    "Snapshot",
    "Store",
    "StoreError",
    "StoredEntry",
    "UndoResult",
    "Verdict",
    "batch_word",
    "blocked_reason",
    "damaged",
]


@dataclass
class HistoryItem:
    """One batch as it concerns one order (the order detail, ``journal``)."""

    batch_id: str
    time: str
    host: str
    client_id: str
    entries: list[dict[str, Any]] = field(default_factory=list)  # n, action, fields
    outcome: str = ""  # latest outcome word for the batch; "" while none is recorded
    message: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)  # action, outcome/verdict, status, message
    answer_lines: list[str] = field(default_factory=list)
    state: str = ""


def batch_word(state: str, outcome: str) -> str:
    """A batch in one word or two, for the history: its state while it has no answer to go
    by, else its outcome's word (``Outcome.batch_word``: applied, some refused, not sent, ...)."""
    if state in ("sending", "unknown", "reconciled", "forgotten"):
        return state
    try:
        return Outcome(outcome).batch_word
    except ValueError:
        return outcome or "no outcome"


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """One batch as the history lists it (:meth:`Store.batches`)."""

    batch_id: str
    time: str  # created_at, UTC ISO
    host: str  # the receiver
    client_id: str  # the account
    state: str
    outcome: str  # batch_word(): applied, some refused, refused, unknown, reconciled, forgotten, sending
    message: str
    entry_count: int
    counts: tuple[tuple[str, int], ...] = ()  # (action, entries) in ActionKind order

    @property
    def counts_text(self) -> str:
        """``ship 3, adjust 1``."""
        return ", ".join(f"{action} {n}" for action, n in self.counts)


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One entry of a batch, as it was sent (its ``submit`` journal line)."""

    entry_id: int | None
    n: int | None
    order_id: str
    action: str
    fields: dict[str, str]  # amount, trackname, tracknumber, notes: only those set


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of one entry (or, with no order, of the batch): an outcome, a verdict, ..."""

    time: str
    kind: str  # outcome, reconciled, forgotten, restaged
    entry_id: int | None
    order_id: str
    action: str
    outcome: str
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchDetail:
    """One batch in full (:meth:`Store.batch_detail`): its entries, results and the
    receiver's raw lines (masked as stored; still network text, to be shown as such)."""

    summary: BatchSummary
    entries: tuple[BatchEntry, ...]
    results: tuple[BatchResult, ...]
    raw_lines: tuple[str, ...]


def _counts(actions: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    order = {k.value: i for i, k in enumerate(ActionKind)}
    return tuple(sorted(((a, n) for a, n in actions if n), key=lambda c: (order.get(c[0], len(order)), c[0])))


def _mask(text: str) -> str:
    """Free text as stored: with the password masked (most of it is empty)."""
    return redact(text) if text else text


def _status(word: str) -> str:
    """A status word from the network as stored: one of the protocol's codes is typed data,
    stored as it is; any other word is the receiver's free text, masked like the rest (a
    receiver may answer anything as a status, the password included)."""
    return word if word in STATUS_CODES else _mask(word)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_KINDS = {k.value: k for k in ActionKind}
_STATES = {s.value: s for s in EntryState}
_new_id = str.__new__
_new = tuple.__new__


_ORDER_TEXT = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}").fullmatch  # as the store writes order numbers


def _action(
    order_id: str, action: str, notes: str, amount: str, trackname: str, tracknumber: str, *, row: object = None
) -> StagedAction:
    """An entry as the store wrote it: validated when staged, so only checked for values
    no ccnow-tui writes (a few cheap tests: all of them load at every start, docs/scale.md).
    CorruptRow names the value (and ``row``, the entries row id, when given)."""
    kind = _KINDS.get(action) if type(action) is str else None
    if (
        kind is None
        or type(order_id) is not str
        or not _ORDER_TEXT(order_id)
        or type(notes) is not str
        or type(trackname) is not str
        or type(tracknumber) is not str
    ):
        raise CorruptRow(_where(row) + _bad_fields(order_id, action, notes, trackname, tracknumber))
    value = None
    if amount:
        try:
            value = Decimal(amount)
        except (ArithmeticError, TypeError, ValueError):
            value = None
        if value is None or not value.is_finite() or value <= 0:
            raise CorruptRow(f"{_where(row)}amount {amount!r} is not an amount")
    return _new(StagedAction, (_new_id(OrderId, order_id), kind, notes, value, trackname, tracknumber))


def _where(row: object) -> str:
    return f"table entries, row id {row}: " if row is not None else "table entries: "


def _bad_fields(order_id: object, action: object, notes: object, trackname: object, tracknumber: object) -> str:
    if type(order_id) is not str or not _ORDER_TEXT(order_id):
        return f"order_id {order_id!r} is not an order number"
    if type(action) is not str or action not in _KINDS:
        return f"action {action!r} is not an action"
    for name, value in (("notes", notes), ("trackname", trackname), ("tracknumber", tracknumber)):
        if type(value) is not str:
            return f"{name} {value!r} is not text"
    return "a value cannot be read"  # pragma: no cover - one of the tests above failed


# StagedAction's fields by position, at C speed (a NamedTuple).
_ORDER_OF, _NOTES_OF, _AMOUNT_OF = itemgetter(0), itemgetter(2), itemgetter(3)
_TRACKNAME_OF, _TRACKNUMBER_OF = itemgetter(4), itemgetter(5)
_KIND_VALUE_OF = attrgetter("kind._value_")
_KIND_OF, _FIELDS_OF = itemgetter(1), itemgetter(2, 3, 4, 5)


BULK_ADD = 1000  # entries from which alike ones are inserted in one statement (Store.add)


def _alike(actions: Sequence[StagedAction]) -> bool:
    """Every action has the same kind and fields (only the order differs). Compared at C
    speed: by the kind's identity, and the fields as plain tuples."""
    return len(set(map(id, map(_KIND_OF, actions)))) == 1 and len(set(map(_FIELDS_OF, actions))) == 1


def _fields(a: StagedAction) -> tuple[str, str, str, str, str, str]:
    return (
        a.order_id,
        a.kind.value,
        a.notes,
        format_amount(a.amount) if a.amount is not None else "",
        a.trackname,
        a.tracknumber,
    )


def _fields_json(a: StagedAction) -> str:
    d = {
        k: v
        for k, v in (
            ("amount", format_amount(a.amount) if a.amount is not None else ""),
            ("trackname", a.trackname),
            ("tracknumber", a.tracknumber),
            ("notes", a.notes),
        )
        if v
    }
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")) if d else ""


_ENTRY_COLS = "id, order_id, action, notes, amount, trackname, tracknumber, state, batch_id, remark, rev, pos"
_ROW_COLS = "id, pos, order_id, action, notes, amount, trackname, tracknumber, state, batch_id, remark, rev, origin"


def _entry(row: Sequence[Any]) -> StoredEntry:
    staged = _action(*row[1:7], row=row[0])
    state = _STATES.get(row[7]) if type(row[7]) is str else None
    if state is None:
        raise CorruptRow(f"{_where(row[0])}state {row[7]!r} is not an entry's state")
    return _new(StoredEntry, (row[0], staged, state, row[8], row[9], row[10], row[11]))


class Store:
    """One profile's database. Use :meth:`for_profile` or :meth:`open`; close when done."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.owner = secrets.token_hex(8)  # this process's token (a lock file of its own)
        self.pid = os.getpid()
        self.hostname = socket.gethostname()
        self.owners = Owners(self.path.parent / "owners", self.owner, self.pid, self.hostname)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._data_version: int | None = None
        self.notices: list[str] = []  # what opening did that the operator should know

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def for_profile(cls, profile: str) -> Store:
        return cls.open(profile_dir(profile) / STORE_NAME)

    @classmethod
    def open(cls, path: Path) -> Store:
        store = cls(path)
        try:
            store._open()
        except CorruptRow as exc:
            store.close()
            raise StoreError(damaged(path, str(exc))) from None
        except sqlite3.Error as exc:
            store.close()
            raise StoreError(f"the store {path} cannot be opened: {exc}") from None
        except OSError as exc:
            store.close()
            raise StoreError(f"the store {path} cannot be opened: {exc.strerror or exc}") from None
        except BaseException:
            store.close()  # a newer store: let go of the owner lock and the connection
            raise
        return store

    def _open(self) -> None:
        ensure_private_dir(self.path.parent)
        unsafe = folder_problem(self.path.parent)
        if unsafe:
            raise StoreError(f"the store {self.path} is not opened: {unsafe}")
        # Created 0600 before SQLite sees it; SQLite gives its -wal and -shm files the
        # database file's mode.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        os.close(fd)
        version = file_version(self.path)
        if version > SCHEMA_VERSION:
            raise newer(self.path, version)
        self.owners.hold()
        conn = self._conn()
        migrate(conn, self.path)
        check_tables(conn, self.path)
        recovered = self.recover()  # sweeps the owners itself when it found a dead one
        self.notices.extend(recovered)
        if not recovered:
            self.owners.sweep(conn)
        self._data_version = self._read_data_version()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (SQLite connections are not shared between threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # One connection per thread, never shared; closed from any thread at the end.
            conn = connect(self.path)
            self._local.conn = conn
            with self._conn_lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._conn_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            try:
                conn.execute("DELETE FROM undo WHERE owner = ?", (self.owner,))
            except sqlite3.Error:
                pass
            try:
                conn.close()
            except sqlite3.Error:  # pragma: no cover
                pass
        self._local = threading.local()
        self.owners.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- liveness: who is still running (owners.py) ------------------------------------------

    def owner_alive(self, owner: str, pid: int = 0, hostname: str = "") -> bool:
        """Whether the process that opened the store as ``owner`` still runs."""
        return self.owners.alive(owner, pid, hostname)

    def recover(self) -> list[str]:
        """Batches left ``sending`` by a process that is gone become ``unknown``.

        Their entries are never staged again by themselves: the batch may have been
        applied. Returns a line for the operator per batch.
        """
        conn = self._conn()
        rows = conn.execute("SELECT batch_id, owner, pid, hostname FROM batches WHERE state = 'sending'").fetchall()
        dead = [r for r in rows if not self.owner_alive(r[1], r[2], r[3])]
        notes = []
        for batch_id, owner, pid, hostname in dead:
            if self.mark_unknown(batch_id, GONE_REASON, only_from_owner=owner):
                notes.append(
                    f"batch {batch_id} (sent by process {pid} on {hostname}) is OUTCOME UNKNOWN: "
                    f"{GONE_REASON}; {RECONCILE_IT}"
                )
        if dead:
            self.owners.sweep(conn)
        return notes

    # -- transactions (schema.py) -------------------------------------------------------------

    def _write(self) -> Write:
        return Write(self._conn())

    def _read_data_version(self) -> int:
        return int(self._conn().execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection committed since the last call (cheap: no I/O)."""
        version = self._read_data_version()
        changed = version != self._data_version
        self._data_version = version
        return changed

    # -- reading ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        conn = self._conn()
        snap = Snapshot()
        held: dict[str, list[StoredEntry]] = {}
        rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM entries ORDER BY pos, id").fetchall()
        for row in rows:
            state = row[7]
            if state == "staged":
                snap.staged.append(_entry(row))
            elif state == "unverified":
                snap.unverified.append(_entry(row))
            else:
                held.setdefault(row[8] or "", []).append(_entry(row))
        if held:
            marks = ",".join("?" * len(held))
            meta = {
                r[0]: r
                for r in conn.execute(
                    f"SELECT batch_id, state, created_at, host, client_id, message, pid, hostname, owner "
                    f"FROM batches WHERE batch_id IN ({marks}) ORDER BY created_at",
                    list(held),
                )
            }
            for batch_id in sorted(held, key=lambda b: (meta[b][2] if b in meta else "", b)):
                m = meta.get(batch_id)
                entries = tuple(held[batch_id])
                if m is None:  # pragma: no cover - entries always name a recorded batch
                    snap.held.append(HeldBatch(batch_id, BatchState.UNKNOWN, "", "", "", "", 0, "", False, entries))
                    continue
                state = BatchState(m[1]) if m[1] in ("sending", "unknown") else BatchState.UNKNOWN
                snap.held.append(
                    HeldBatch(batch_id, state, m[2], m[3], m[4], m[5], m[6], m[7], m[8] == self.owner, entries)
                )
        return snap

    def entries_by_id(self, ids: Sequence[int]) -> list[StoredEntry]:
        """The live entries among ``ids`` (any state), as stored now."""
        conn, out = self._conn(), []
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            out += [
                _entry(r)
                for r in conn.execute(
                    f"SELECT {_ENTRY_COLS} FROM entries WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            ]
        return out

    def batch_state(self, batch_id: str) -> str | None:
        row = self._conn().execute("SELECT state FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        return row[0] if row else None

    # -- operator changes (undoable, per process) -------------------------------------------

    def _undo_group(self, c: sqlite3.Connection) -> int:
        row = c.execute("SELECT MAX(grp) FROM undo WHERE owner = ?", (self.owner,)).fetchone()
        return (row[0] or 0) + 1

    def _push_undo(self, c: sqlite3.Connection, op: str, data: Any) -> None:
        grp = self._undo_group(c)
        c.execute(
            "INSERT INTO undo (owner, grp, op, data) VALUES (?, ?, ?, ?)",
            (self.owner, grp, op, json.dumps(data, ensure_ascii=False, separators=(",", ":"))),
        )
        c.execute("DELETE FROM undo WHERE owner = ? AND grp <= ?", (self.owner, grp - UNDO_LIMIT))

    def _new_ids(self, c: sqlite3.Connection, count: int) -> int:
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
        return first

    def can_undo(self) -> bool:
        return self._conn().execute("SELECT 1 FROM undo WHERE owner = ? LIMIT 1", (self.owner,)).fetchone() is not None

    def add(self, actions: Sequence[StagedAction], *, remark: str = "") -> list[StoredEntry]:
        """Stage ``actions`` at the end, in order; one undoable change."""
        if not actions:
            return []
        with self._write() as c:
            pos = (c.execute("SELECT MAX(pos) FROM entries").fetchone()[0] or 0) + 1
            first = self._new_ids(c, len(actions))
            # Explicit ids: one range per change, so undo records two numbers, not a list.
            if len(actions) >= BULK_ADD and _alike(actions):
                # Many entries that differ only in their order (ship for a whole list): the
                # order numbers go as one JSON array that SQLite walks itself, about three
                # times faster than binding a stress-size batch's rows from Python.
                a = actions[0]
                c.execute(
                    "INSERT INTO entries (id, pos, order_id, action, notes, amount, trackname, tracknumber, state, "
                    "remark, changed_by) SELECT ? + key, ? + key, value, ?, ?, ?, ?, ?, 'staged', ?, ? "
                    "FROM json_each(?)",
                    (first, pos, *_fields(a)[1:], remark, self.owner, json.dumps(list(map(_ORDER_OF, actions)))),
                )
            else:  # zipped column by column, at C speed
                amounts = [format_amount(x) if x is not None else "" for x in map(_AMOUNT_OF, actions)]
                c.executemany(
                    "INSERT INTO entries (id, pos, order_id, action, notes, amount, trackname, tracknumber, state, "
                    "remark, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'staged', ?, ?)",
                    zip(
                        count(first),
                        count(pos),
                        map(_ORDER_OF, actions),
                        map(_KIND_VALUE_OF, actions),
                        map(_NOTES_OF, actions),
                        amounts,
                        map(_TRACKNAME_OF, actions),
                        map(_TRACKNUMBER_OF, actions),
                        repeat(remark),
                        repeat(self.owner),
                    ),
                )
            last = first + len(actions) - 1
            self._push_undo(c, "delete_range", [first, last])
        return list(
            map(
                StoredEntry,
                count(first),
                actions,
                repeat(EntryState.STAGED),
                repeat(None),
                repeat(remark),
                repeat(0),
                count(pos),
            )
        )

    def remove(self, ids: Iterable[int]) -> list[StoredEntry]:
        """Remove staged entries (others are left alone); one undoable change."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        with self._write() as c:
            rows = self._rows(c, wanted, "staged")
            if not rows:
                return []
            c.executemany("DELETE FROM entries WHERE id = ?", [(r[0],) for r in rows])
            self._push_undo(c, "insert", rows)
        return [_entry(_entry_of_row(r)) for r in rows]

    def replace(self, entry_id: int, action: StagedAction) -> StoredEntry | None:
        """Change a staged entry's fields; None when it is no longer staged."""
        with self._write() as c:
            rows = self._rows(c, [entry_id], "staged")
            if not rows:
                return None
            old = rows[0]
            c.execute(
                "UPDATE entries SET order_id=?, action=?, notes=?, amount=?, trackname=?, tracknumber=?, "
                "remark='', rev=rev+1, changed_by=? WHERE id=?",
                (*_fields(action), self.owner, entry_id),
            )
            self._push_undo(c, "restore", [old])
        return StoredEntry(entry_id, action, EntryState.STAGED, None, "", old[11] + 1, old[1])

    def restage(self, ids: Iterable[int], remark: str) -> list[StoredEntry]:
        """Unverified entries the operator chose to stage again (told what may have happened)."""
        wanted = list(dict.fromkeys(ids))
        with self._write() as c:
            rows = self._rows(c, wanted, "unverified")
            if not rows:
                return []
            pos = (c.execute("SELECT MAX(pos) FROM entries").fetchone()[0] or 0) + 1
            c.executemany(
                "UPDATE entries SET state='staged', batch_id=NULL, remark=?, rev=rev+1, pos=?, changed_by=? WHERE id=?",
                [(redact(remark), pos + i, self.owner, r[0]) for i, r in enumerate(rows)],
            )
            self._push_undo(c, "restore", rows)
            now = utc_now()
            c.executemany(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, action, fields, outcome, "
                "message) VALUES (?, 'restaged', ?, ?, ?, ?, ?, 'staged again by the operator', ?)",
                [(now, r[9], r[2], r[0], r[3], _fields_json(_action(*r[2:8], row=r[0])), redact(remark)) for r in rows],
            )
        return [
            StoredEntry(r[0], _action(*r[2:8], row=r[0]), EntryState.STAGED, None, remark, r[11] + 1, pos + i)
            for i, r in enumerate(rows)
        ]

    def forget(self, *, batch_id: str | None = None, ids: Iterable[int] = ()) -> list[StoredEntry]:
        """Forget an unknown batch, or unverified entries, that the operator checked another way.

        The journal keeps them; one undoable change.
        """
        with self._write() as c:
            if batch_id is not None:
                rows = [r for r in self._rows_of_batch(c, batch_id) if r[8] == "unknown"]
            else:
                rows = self._rows(c, list(dict.fromkeys(ids)), "unverified")
            if not rows:
                return []
            c.executemany("DELETE FROM entries WHERE id = ?", [(r[0],) for r in rows])
            undo: dict[str, Any] = {"rows": rows}
            now = utc_now()
            if batch_id is not None:
                old = c.execute("SELECT state FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
                c.execute("UPDATE batches SET state='forgotten' WHERE batch_id=?", (batch_id,))
                undo["batch"] = [batch_id, old[0] if old else "unknown"]
            c.executemany(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, action, fields, outcome, "
                "message) VALUES (?, 'forgotten', ?, ?, ?, ?, ?, 'forgotten', "
                "'forgotten by the operator (checked another way)')",
                [(now, r[9], r[2], r[0], r[3], _fields_json(_action(*r[2:8], row=r[0]))) for r in rows],
            )
            self._push_undo(c, "unforget", undo)
        return [_entry(_entry_of_row(r)) for r in rows]

    def undo(self) -> UndoResult | None:
        """Take back this process's last change; None when there is nothing to undo.

        Entries sent, or changed by someone else, since are left as they are (counted in
        ``skipped``): undo never brings back, or takes away, what was sent.
        """
        with self._write() as c:
            row = c.execute("SELECT MAX(grp) FROM undo WHERE owner = ?", (self.owner,)).fetchone()
            if row[0] is None:
                return None
            grp = row[0]
            ops = c.execute(
                "SELECT op, data FROM undo WHERE owner = ? AND grp = ? ORDER BY id DESC", (self.owner, grp)
            ).fetchall()
            c.execute("DELETE FROM undo WHERE owner = ? AND grp = ?", (self.owner, grp))
            result = UndoResult()
            for op, data in ops:
                self._apply_undo(c, op, json.loads(data), result)
        return result

    def _apply_undo(self, c: sqlite3.Connection, op: str, data: Any, result: UndoResult) -> None:
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
                (first, last, self.owner, first, last),
            ).rowcount
            result.skipped += total - done
            result.removed = range(first, last + 1)
            # The view drops ``removed``; those that stayed staged are read back through ``touched``.
            result.touched += [
                i
                for (i,) in c.execute(
                    "SELECT id FROM entries WHERE id BETWEEN ? AND ? AND state = 'staged'", (first, last)
                )
            ]
        elif op == "insert":
            result.skipped += self._reinsert(c, data)
            result.touched += [r[0] for r in data]
        elif op == "restore":
            restored: dict[int, int] = {}
            for r in data:
                # Only if nobody touched it since (the rev our change left, still staged).
                done = c.execute(
                    "UPDATE entries SET pos=?, order_id=?, action=?, notes=?, amount=?, trackname=?, tracknumber=?, "
                    "state=?, batch_id=?, remark=?, rev=rev+1, changed_by=? WHERE id=? AND rev=? AND state = 'staged'",
                    (*r[1:11], self.owner, r[0], r[11] + 1),
                ).rowcount
                result.skipped += 1 - done
                result.touched.append(r[0])
                if done:
                    restored[r[0]] = r[11] + 2  # the rev this undo left
            if restored:
                self._rebase_undo(c, restored)
        elif op == "unforget":
            if "batch" in data:
                batch_id, state = data["batch"]
                c.execute("UPDATE batches SET state=? WHERE batch_id=? AND state='forgotten'", (state, batch_id))
                result.held_changed = True
            result.skipped += self._reinsert(c, data["rows"])
            result.touched += [r[0] for r in data["rows"]]
        else:  # pragma: no cover
            raise StoreError(f"unknown undo step {op!r}")

    def _rebase_undo(self, c: sqlite3.Connection, revs: dict[int, int]) -> None:
        """Our earlier changes to entries an undo just restored now expect the rev that undo
        left (not the one they left themselves), or a second ``u`` would skip them."""
        for undo_id, data in c.execute(
            "SELECT id, data FROM undo WHERE owner = ? AND op = 'restore'", (self.owner,)
        ).fetchall():
            rows = json.loads(data)
            hit = [r for r in rows if r[0] in revs]
            for r in hit:
                r[11] = revs[r[0]] - 1
            if hit:
                c.execute(
                    "UPDATE undo SET data = ? WHERE id = ?",
                    (json.dumps(rows, ensure_ascii=False, separators=(",", ":")), undo_id),
                )

    def _reinsert(self, c: sqlite3.Connection, rows: list[list[Any]]) -> int:
        done = 0
        for r in rows:
            done += c.execute(
                f"INSERT OR IGNORE INTO entries ({_ROW_COLS}, changed_by) VALUES ({','.join('?' * 14)})",
                (*r, self.owner),
            ).rowcount
        return len(rows) - done

    def _rows(self, c: sqlite3.Connection, ids: list[int], state: str) -> list[list[Any]]:
        out: list[list[Any]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            out += [
                list(r)
                for r in c.execute(
                    f"SELECT {_ROW_COLS} FROM entries WHERE state = ? AND id IN ({','.join('?' * len(chunk))})",
                    (state, *chunk),
                )
            ]
        order = {entry_id: i for i, entry_id in enumerate(ids)}
        out.sort(key=lambda r: order[r[0]])
        return out

    def _rows_of_batch(self, c: sqlite3.Connection, batch_id: str) -> list[list[Any]]:
        return [
            list(r)
            for r in c.execute(f"SELECT {_ROW_COLS} FROM entries WHERE batch_id = ? ORDER BY pos, id", (batch_id,))
        ]

    # -- sending ---------------------------------------------------------------------------

    def claim(
        self,
        numbered: Sequence[tuple[int, int | None, int, StagedAction]],
        meta: BatchMeta,
    ) -> str:
        """Claim a batch for sending, before the first byte leaves: returns its id.

        ``numbered`` holds ``(N, entry id, rev, action)`` in sending order; an entry id of
        None adds the action as a new entry (the command line's batches, which were never
        staged). In one transaction: every staged entry must still be staged as the
        operator saw it (same rev), no order may have a batch in flight or an unknown or
        unverified outcome, and then the entries become ``sending`` and the batch and its
        ``submit`` journal lines are written. Raises :class:`ClaimConflict` (nothing
        claimed) otherwise.
        """
        if not numbered:
            raise ClaimConflict("the batch is empty")
        try:
            return self._claim(numbered, meta)
        except sqlite3.Error as exc:
            raise StoreError(f"the batch was not recorded in {self.path}, so it was not sent: {exc}") from None

    def _claim(self, numbered: Sequence[tuple[int, int | None, int, StagedAction]], meta: BatchMeta) -> str:
        batch_id = secrets.token_hex(6)
        now = utc_now()
        with self._write() as c:
            existing = [(entry_id, rev) for _, entry_id, rev, _ in numbered if entry_id is not None]
            if existing:
                if len(existing) > 2000:  # one pass over the staged entries beats thousands of look-ups
                    have = dict(c.execute("SELECT id, rev FROM entries WHERE state = 'staged'").fetchall())
                else:
                    have = {r[0]: r[11] for r in self._rows(c, [e for e, _ in existing], "staged")}
                gone = [e for e, _ in existing if e not in have]
                changed = [e for e, rev in existing if e in have and have[e] != rev]
                if gone or changed:
                    raise ClaimConflict(
                        f"{len(gone) + len(changed)} of the entries were sent, removed or changed meanwhile "
                        "(another window or process?); nothing was sent: review the batch and send again"
                    )
            orders = sorted({a.order_id for _, _, _, a in numbered})
            blocked = self._blocking(c, orders, own_ids={e for e, _ in existing})
            if blocked:
                raise ClaimConflict("nothing was sent: " + "; ".join(blocked))
            c.execute(
                "INSERT INTO batches (batch_id, created_at, state, url, host, client_id, store_id, owner, pid, "
                "hostname, entry_count) VALUES (?, ?, 'sending', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch_id,
                    now,
                    meta.url,
                    meta.host,
                    meta.client_id,
                    meta.store_id,
                    self.owner,
                    self.pid,
                    self.hostname,
                    len(numbered),
                ),
            )
            new = [(n, a) for n, entry_id, _, a in numbered if entry_id is None]
            ids: dict[int, int] = {n: entry_id for n, entry_id, _, _ in numbered if entry_id is not None}
            if new:
                pos = (c.execute("SELECT MAX(pos) FROM entries").fetchone()[0] or 0) + 1
                first = self._new_ids(c, len(new))
                c.executemany(
                    "INSERT INTO entries (id, pos, order_id, action, notes, amount, trackname, tracknumber, state, "
                    "batch_id, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sending', ?, 'cli')",
                    ((first + i, pos + i, *_fields(a), batch_id) for i, (_, a) in enumerate(new)),
                )
                ids.update((n, first + i) for i, (n, _) in enumerate(new))
            if existing:
                c.executemany(
                    "UPDATE entries SET state='sending', batch_id=?, remark='' WHERE id=?",
                    [(batch_id, e) for e, _ in existing],
                )
            c.executemany(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, n, action, fields) "
                "VALUES (?, 'submit', ?, ?, ?, ?, ?, ?)",
                ((now, batch_id, a.order_id, ids[n], n, a.kind.value, _fields_json(a)) for n, _, _, a in numbered),
            )
            # Undo must never bring back (or take away) what was sent.
            c.execute("DELETE FROM undo WHERE owner = ?", (self.owner,))
        return batch_id

    def blocked(self, orders: Sequence[str]) -> list[str]:
        """Why each of ``orders`` may not be sent now (in flight, unknown or unverified)."""
        return self._blocking(self._conn(), sorted(set(orders)), own_ids=set())

    def entry_ids(self, batch_id: str) -> dict[int, int]:
        """N → entry id for a batch, from its submit lines."""
        return dict(
            self._conn().execute("SELECT n, entry_id FROM events WHERE batch_id = ? AND kind = 'submit'", (batch_id,))
        )

    def _blocking(self, c: sqlite3.Connection, orders: Sequence[str], own_ids: set[int]) -> list[str]:
        """Why each of ``orders`` may not be sent now (held by another batch or unverified)."""
        wanted = set(orders)
        out: dict[str, str] = {}
        # Held entries are few (a batch or two) whatever the size of the batch: read them all.
        rows = c.execute(
            "SELECT e.order_id, e.state, e.batch_id, e.action, e.id, b.pid, b.hostname FROM entries e "
            "LEFT JOIN batches b ON b.batch_id = e.batch_id WHERE e.state != 'staged'"
        )
        for order_id, state, batch_id, action, entry_id, pid, hostname in rows:
            if order_id in wanted and entry_id not in own_ids and order_id not in out:
                out[order_id] = blocked_reason(order_id, state, batch_id or "?", action, pid, hostname)
        return [out[o] for o in orders if o in out]

    def settle(
        self,
        batch_id: str,
        results: Sequence[Settled],
        *,
        outcome: str,
        message: str,
        other_lines: Sequence[str] = (),
        detail: str = "",
    ) -> None:
        """Record the receiver's answer and move each entry on.

        ``detail``: the network library's own words for a failure (``message`` says it in
        the operator's); the journal's line for the batch keeps them after the message.

        applied: the entry leaves (the journal keeps it); refused: back to staged with the
        receiver's words (a command-line entry, never staged, leaves); unknown: held until
        reconciled, never sent again by itself.
        """
        now = utc_now()
        with self._write() as c:
            origin = dict(
                c.execute(
                    "SELECT id, origin FROM entries WHERE batch_id = ? AND state IN ('sending', 'unknown')", (batch_id,)
                ).fetchall()
            )
            applied, refused_staged, refused_gone, unknown = [], [], [], []
            for r in results:
                if r.entry_id not in origin:
                    continue  # settled already (a second answer cannot undo the first)
                if r.outcome == "applied":
                    applied.append((r.entry_id,))
                elif r.outcome in ("refused", "not sent"):  # nothing happened: staged again, saying why
                    if origin[r.entry_id] == "cli":
                        refused_gone.append((r.entry_id,))
                    else:
                        refused_staged.append((_mask(r.message), r.entry_id))
                else:
                    unknown.append((r.entry_id,))
            c.executemany("DELETE FROM entries WHERE id = ?", applied + refused_gone)
            c.executemany(
                "UPDATE entries SET state='staged', batch_id=NULL, remark=?, rev=rev+1 WHERE id=?", refused_staged
            )
            c.executemany("UPDATE entries SET state='unknown' WHERE id=?", unknown)
            # An entry the answer did not cover (never expected) is held, not left in flight.
            c.execute("UPDATE entries SET state='unknown' WHERE batch_id=? AND state='sending'", (batch_id,))
            info = {
                entry_id: (order_id, n, action, fields)
                for entry_id, order_id, n, action, fields in c.execute(
                    "SELECT entry_id, order_id, n, action, fields FROM events WHERE batch_id = ? AND kind = 'submit'",
                    (batch_id,),
                )
            }

            def line(r: Settled) -> tuple[Any, ...]:
                order_id, n, action, fields = info.get(r.entry_id, (None, None, "", ""))
                # Every word from the network masked, a status that is not one of the
                # protocol's codes too: a receiver may answer the password as one.
                return (
                    now,
                    batch_id,
                    order_id,
                    r.entry_id,
                    n,
                    action,
                    fields,
                    r.outcome,
                    _status(r.status),
                    _mask(r.message),
                    _mask(r.raw),
                )

            c.executemany(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, n, action, fields, outcome, status, "
                "message, raw) VALUES (?, 'outcome', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                map(line, results),
            )
            journal_message = f"{message} [network library: {detail}]" if detail else message
            c.execute(
                "INSERT INTO events (time, kind, batch_id, outcome, message, raw) VALUES (?, 'outcome', ?, ?, ?, ?)",
                (now, batch_id, outcome, redact(journal_message), redact("\n".join(other_lines))),
            )
            still = c.execute(
                "SELECT COUNT(*) FROM entries WHERE batch_id = ? AND state IN ('unknown', 'sending')", (batch_id,)
            ).fetchone()[0]
            c.execute(
                "UPDATE batches SET state=?, outcome=?, message=?, settled_at=? WHERE batch_id=?",
                ("unknown" if still else "answered", outcome, redact(message), now, batch_id),
            )

    def mark_unknown(self, batch_id: str, reason: str, *, only_from_owner: str | None = None) -> bool:
        """A batch in flight whose answer will never come: its entries are held as unknown."""
        now = utc_now()
        with self._write() as c:
            row = c.execute("SELECT state, owner FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
            if row is None or row[0] != "sending" or (only_from_owner is not None and row[1] != only_from_owner):
                return False
            c.execute("UPDATE entries SET state='unknown' WHERE batch_id=? AND state='sending'", (batch_id,))
            c.execute(
                "UPDATE batches SET state='unknown', outcome='unknown', message=?, settled_at=? WHERE batch_id=?",
                (redact(reason), now, batch_id),
            )
            # One line per entry too, so each order's history says what became of it.
            c.execute(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, n, action, fields, outcome, "
                "message) SELECT ?, 'outcome', batch_id, order_id, entry_id, n, action, fields, 'unknown', ? "
                "FROM events WHERE batch_id = ? AND kind = 'submit' ORDER BY id",
                (now, redact(reason), batch_id),
            )
            c.execute(
                "INSERT INTO events (time, kind, batch_id, outcome, message) VALUES (?, 'outcome', ?, 'unknown', ?)",
                (now, batch_id, redact(reason)),
            )
        return True

    def reconcile(
        self, batch_id: str, verdicts: Sequence[Judged], *, summary: str, answer_lines: Sequence[str] = ()
    ) -> bool:
        """Settle an unknown batch from what a query showed. False if it was settled meanwhile."""
        now = utc_now()
        with self._write() as c:
            live = {r[0]: r for r in self._rows_of_batch(c, batch_id) if r[8] == "unknown"}
            if not live or any(v.entry_id not in live for v in verdicts):
                return False
            pos = (c.execute("SELECT MAX(pos) FROM entries").fetchone()[0] or 0) + 1
            for i, v in enumerate(verdicts):
                if v.verdict is Verdict.RESTAGED:
                    c.execute(
                        "UPDATE entries SET state='staged', batch_id=NULL, remark=?, rev=rev+1, pos=? WHERE id=?",
                        (redact(v.why), pos + i, v.entry_id),
                    )
                elif v.verdict is Verdict.UNVERIFIED:
                    c.execute(
                        "UPDATE entries SET state='unverified', remark=?, rev=rev+1 WHERE id=?",
                        (redact(v.why), v.entry_id),
                    )
                else:
                    c.execute("DELETE FROM entries WHERE id=?", (v.entry_id,))
            c.executemany(
                "INSERT INTO events (time, kind, batch_id, order_id, entry_id, action, fields, outcome, status, "
                "message) VALUES (?, 'reconciled', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        now,
                        batch_id,
                        live[v.entry_id][2],
                        v.entry_id,
                        live[v.entry_id][3],
                        _fields_json(_action(*live[v.entry_id][2:8], row=v.entry_id)),
                        v.verdict.value,
                        _status(v.status),
                        redact(v.why),
                    )
                    for v in verdicts
                ),
            )
            c.execute(
                "INSERT INTO events (time, kind, batch_id, outcome, message, raw) VALUES (?, 'reconciled', ?, "
                "'reconciled', ?, ?)",
                (now, batch_id, redact(summary), redact("\n".join(answer_lines))),
            )
            remaining = c.execute(
                "SELECT COUNT(*) FROM entries WHERE batch_id = ? AND state = 'unknown'", (batch_id,)
            ).fetchone()[0]
            if not remaining:
                c.execute("UPDATE batches SET state='reconciled', settled_at=? WHERE batch_id=?", (now, batch_id))
        return True

    # -- the journal -----------------------------------------------------------------------

    def history(self, order_id: str) -> list[HistoryItem]:
        """Every batch that named ``order_id``, oldest first (an indexed query, no scan)."""
        conn = self._conn()
        rows = conn.execute(
            "SELECT e.kind, e.batch_id, e.time, e.n, e.action, e.fields, e.outcome, e.status, e.message, e.raw "
            "FROM events e WHERE e.order_id = ? ORDER BY e.id",
            (order_id,),
        ).fetchall()
        return self._items(conn, rows)

    def last_event(self, order_id: str) -> HistoryItem | None:
        """The latest batch that named ``order_id`` (for the queue's "last sent" column)."""
        conn = self._conn()
        row = conn.execute(
            "SELECT batch_id FROM events WHERE order_id = ? ORDER BY id DESC LIMIT 1", (order_id,)
        ).fetchone()
        if row is None:
            return None
        # "+batch_id": look the lines up by order (a few), never by batch (all of a big one).
        rows = conn.execute(
            "SELECT kind, batch_id, time, n, action, fields, outcome, status, message, raw FROM events "
            "WHERE order_id = ? AND +batch_id IS ? ORDER BY id",
            (order_id, row[0]),
        ).fetchall()
        items = self._items(conn, rows)
        return items[-1] if items else None

    def last_events(self, order_ids: Iterable[str] | None = None) -> dict[str, HistoryItem]:
        """What ``last_event`` answers for each of ``order_ids`` (None: every order the
        journal names), for the orders that have one: three statements whatever their
        number (sorting the queue by "last sent" at the stress size), not a query each."""
        conn = self._conn()
        if order_ids is None:
            # One pass over the events_order index (it holds (order_id, id): no table read).
            lasts = "SELECT order_id, MAX(id) AS id FROM events WHERE order_id IS NOT NULL GROUP BY order_id"
            args: tuple[Any, ...] = ()
        else:
            # One seek into the events_order index per order asked for, at C speed.
            lasts = (
                "SELECT value AS order_id, (SELECT MAX(id) FROM events WHERE order_id = value) AS id FROM json_each(?)"
            )
            args = (json.dumps(list(dict.fromkeys(order_ids))),)
        # The lines of each order's latest batch, looked up by order ("+batch_id", as in
        # last_event), grouped per order in journal order.
        rows = conn.execute(
            f"WITH lasts AS ({lasts}), "
            "picked AS (SELECT l.order_id, e.batch_id FROM lasts l JOIN events e ON e.id = l.id) "
            "SELECT e.order_id, e.kind, e.batch_id, e.time, e.n, e.action, e.fields, e.outcome, e.status, "
            "e.message, e.raw FROM picked p JOIN events e ON e.order_id = p.order_id AND +e.batch_id IS p.batch_id "
            "ORDER BY e.id",
            args,
        ).fetchall()
        per_order: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            per_order.setdefault(row[0], []).append(row[1:])
        out: dict[str, HistoryItem] = {}
        by_batch: dict[str, list[HistoryItem]] = {}
        for order_id, lines in per_order.items():
            items = self._grouped(lines)
            if items:
                item = out[order_id] = items[-1]
                if item.batch_id:
                    by_batch.setdefault(item.batch_id, []).append(item)
        self._fill_batches(conn, by_batch)
        return out

    @staticmethod
    def _grouped(rows: Iterable[Sequence[Any]]) -> list[HistoryItem]:
        """Journal lines (kind, batch_id, time, n, action, fields, outcome, status,
        message, raw), oldest first, as one HistoryItem per batch (batch columns unset)."""
        items: dict[str, HistoryItem] = {}
        for kind, batch_id, when, n, action, fields, outcome, status, message, raw in rows:
            key = batch_id or f"-{when}"
            item = items.get(key)
            if item is None:
                item = items[key] = HistoryItem(batch_id or "", when, "", "")
            fields_d = json.loads(fields) if fields else {}
            if kind == "submit":
                item.entries.append({"n": n, "action": action, **fields_d})
            elif kind in ("outcome", "reconciled", "forgotten", "restaged"):
                item.results.append(
                    {
                        "action": action,
                        "outcome": outcome,
                        "status": status,
                        "message": message,
                        "kind": kind,
                        **fields_d,
                    }
                )
                if raw and raw not in item.answer_lines:
                    item.answer_lines.append(raw)
        return list(items.values())

    @staticmethod
    def _fill_batches(conn: sqlite3.Connection, by_batch: Mapping[str, Sequence[HistoryItem]]) -> None:
        """The batch's own columns (host, account, state, outcome, time) on its items."""
        ids = list(by_batch)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for batch_id, host, client_id, state, outcome, message, created in conn.execute(
                f"SELECT batch_id, host, client_id, state, outcome, message, created_at FROM batches "
                f"WHERE batch_id IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                for item in by_batch[batch_id]:
                    item.host, item.client_id, item.state = host, client_id, state
                    item.outcome = (
                        "reconciled" if state == "reconciled" else ("forgotten" if state == "forgotten" else outcome)
                    )
                    item.message = message
                    item.time = created

    def _items(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[HistoryItem]:
        items = self._grouped(rows)
        by_batch: dict[str, list[HistoryItem]] = {}
        for item in items:
            if item.batch_id:
                by_batch.setdefault(item.batch_id, []).append(item)
        self._fill_batches(conn, by_batch)
        return items

    def journal(self, orders: Sequence[str] = (), since: str = "") -> Iterator[dict[str, Any]]:
        """The audit trail, one dict per journal line, oldest first."""
        conn = self._conn()
        where, params = [], []
        if orders:
            where.append(f"e.order_id IN ({','.join('?' * len(orders))})")
            params += list(orders)
        if since:
            where.append("e.time >= ?")
            params.append(since)
        sql = (
            "SELECT e.time, e.kind, e.batch_id, b.host, b.client_id, b.store_id, e.order_id, e.n, e.action, "
            "e.fields, e.outcome, e.status, e.message, e.raw FROM events e "
            "LEFT JOIN batches b ON b.batch_id = e.batch_id"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY e.id"
        )
        keys = (
            "time",
            "event",
            "batch_id",
            "host",
            "client_id",
            "store_id",
            "order_id",
            "n",
            "action",
            "fields",
            "outcome",
            "status",
            "message",
            "raw",
        )
        for row in conn.execute(sql, params):
            d: dict[str, Any] = dict(zip(keys, row, strict=True))
            try:
                d["fields"] = json.loads(d["fields"]) if d["fields"] else {}
            except (TypeError, ValueError):
                raise CorruptRow(
                    f"table events, the line of {d['time']!r}: fields {d['fields']!r} is not JSON"
                ) from None
            if not isinstance(d["fields"], dict):
                raise CorruptRow(
                    f"table events, the line of {d['time']!r}: fields {d['fields']!r} is not a JSON object"
                ) from None
            yield d

    # -- the history of batches (read only) -------------------------------------------------

    _BATCH_COLS = "batch_id, created_at, state, outcome, message, host, client_id, entry_count"

    def batches(self, limit: int = 1000, offset: int = 0) -> list[BatchSummary]:
        """Every batch sent from this profile, newest (last recorded) first, with its entries
        counted per action: one query; the page walks the batches' rowids backwards and the
        counts read each batch's lines through ``events_batch`` (no scan of the journal)."""
        rows = (
            self._conn()
            .execute(
                "SELECT p.batch_id, p.created_at, p.state, p.outcome, p.message, p.host, p.client_id, p.entry_count, "
                "e.action, COUNT(e.id) FROM (SELECT rowid AS r, " + self._BATCH_COLS + " FROM batches "
                "ORDER BY rowid DESC LIMIT ? OFFSET ?) p "
                "LEFT JOIN events e ON e.batch_id = p.batch_id AND e.kind = 'submit' "
                "GROUP BY p.r, e.action ORDER BY p.r DESC",
                (limit, offset),
            )
            .fetchall()
        )
        out: list[BatchSummary] = []
        counts: list[tuple[str, int]] = []
        for i, row in enumerate(rows):
            if row[8] is not None:
                counts.append((str(row[8]), int(row[9])))
            if i + 1 == len(rows) or rows[i + 1][0] != row[0]:
                out.append(self._summary(row, counts))
                counts = []
        return out

    @staticmethod
    def _summary(row: Sequence[Any], counts: Iterable[tuple[str, int]]) -> BatchSummary:
        batch_id, created, state, outcome, message, host, client_id, entry_count = row[:8]
        return BatchSummary(
            str(batch_id),
            str(created),
            str(host),
            str(client_id),
            str(state),
            batch_word(str(state), str(outcome)),
            str(message),
            int(entry_count),
            _counts(counts),
        )

    def batch_ids_with_order(self, text: str) -> set[str]:
        """The batches that named an order whose number holds ``text`` (the history's filter)."""
        if not text:
            return set()
        return {
            str(r[0])
            for r in self._conn().execute(
                "SELECT DISTINCT batch_id FROM events WHERE order_id IS NOT NULL AND instr(order_id, ?) > 0 "
                "AND batch_id IS NOT NULL",
                (text,),
            )
        }

    def batch_detail(self, batch_id: str) -> BatchDetail | None:
        """One batch: its entries as sent, every result line, and the receiver's raw lines
        (an indexed read of its journal lines); None when no such batch was recorded."""
        conn = self._conn()
        row = conn.execute(f"SELECT {self._BATCH_COLS} FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        if row is None:
            return None
        entries: list[BatchEntry] = []
        results: list[BatchResult] = []
        raw_lines: list[str] = []
        seen: set[str] = set()
        for when, kind, order_id, entry_id, n, action, fields, outcome, status, message, raw in conn.execute(
            "SELECT time, kind, order_id, entry_id, n, action, fields, outcome, status, message, raw "
            "FROM events WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        ):
            if kind == "submit":
                parsed = json.loads(fields) if fields else {}
                entries.append(
                    BatchEntry(
                        entry_id, n, str(order_id or ""), str(action or ""), {str(k): str(v) for k, v in parsed.items()}
                    )
                )
                continue
            results.append(
                BatchResult(
                    str(when),
                    str(kind),
                    entry_id,
                    str(order_id or ""),
                    str(action or ""),
                    str(outcome),
                    str(status),
                    str(message),
                )
            )
            for line in str(raw).split("\n") if raw else ():
                if line and line not in seen:
                    seen.add(line)
                    raw_lines.append(line)
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.action] = counts.get(e.action, 0) + 1
        return BatchDetail(self._summary(row, counts.items()), tuple(entries), tuple(results), tuple(raw_lines))


def _entry_of_row(r: Sequence[Any]) -> tuple[Any, ...]:
    """A full row (``_ROW_COLS``) in the shape ``_entry`` reads (``_ENTRY_COLS``)."""
    return (r[0], *r[2:8], r[8], r[9], r[10], r[11], r[1])


def blocked_reason(
    order_id: str, state: str, batch_id: str, action: str, pid: int | None = None, hostname: str | None = None
) -> str:
    if state == "sending":
        who = f" by process {pid} on {hostname}" if pid else ""
        return f"{order_id} is being sent right now{who} (batch {batch_id})"
    if state == "unverified":
        return (
            f"{order_id} has an unverified {action} from batch {batch_id} (it may already have been "
            "applied): re-stage or forget it first"
        )
    return f"{order_id} has an OUTCOME UNKNOWN {action} in batch {batch_id}: reconcile it first"
