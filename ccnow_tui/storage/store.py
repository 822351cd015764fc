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

This module is the facade: :class:`Store` owns the connections (one per thread) and this
process's place among the owners, and hands each call to the module of its concern,
as functions taking the connection: ``schema`` (tables, migrations, connection settings,
the write transaction), ``owners`` (which processes still run), ``entries`` (live
entries, the operator's changes, undo), ``sending`` (claim, settle, reconcile),
``history`` (history and journal reads), with ``rows`` (an entry's row read and
written) and ``records`` (what the store hands out) under them. Import the store's
names from here.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

# By full name: "from . import" would name the package, a cycle (tests/test_import_graph.py).
import ccnow_tui.storage.entries as entries
import ccnow_tui.storage.history as history
import ccnow_tui.storage.sending as sending

from ..protocol.actions import StagedAction
from .history import BatchDetail, BatchEntry, BatchResult, BatchSummary, HistoryItem, batch_word
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
from .schema import SCHEMA_VERSION, check_tables, connect, damaged, file_version, migrate, newer
from .sending import blocked_reason

STORE_NAME = "store.sqlite3"
UNDO_LIMIT = entries.UNDO_LIMIT

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
        dead = [b for b in sending.in_flight(conn) if not self.owner_alive(b.owner, b.pid, b.hostname)]
        notes = []
        for b in dead:
            if self.mark_unknown(b.batch_id, GONE_REASON, only_from_owner=b.owner):
                notes.append(
                    f"batch {b.batch_id} (sent by process {b.pid} on {b.hostname}) is OUTCOME UNKNOWN: "
                    f"{GONE_REASON}; {RECONCILE_IT}"
                )
        if dead:
            self.owners.sweep(conn)
        return notes

    # -- what other connections did --------------------------------------------------------

    def _read_data_version(self) -> int:
        return int(self._conn().execute("PRAGMA data_version").fetchone()[0])

    def changed_elsewhere(self) -> bool:
        """Whether another connection committed since the last call (cheap: no I/O)."""
        version = self._read_data_version()
        changed = version != self._data_version
        self._data_version = version
        return changed

    # -- reading (entries.py) ------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Every live entry: staged, held by a batch in flight or of unknown outcome, unverified."""
        return entries.snapshot(self._conn(), self.owner)

    def entries_by_id(self, ids: Sequence[int]) -> list[StoredEntry]:
        """The live entries among ``ids`` (any state), as stored now."""
        return entries.entries_by_id(self._conn(), ids)

    def batch_state(self, batch_id: str) -> str | None:
        return history.batch_state(self._conn(), batch_id)

    # -- operator changes (undoable, per process: entries.py) ------------------------------------

    def can_undo(self) -> bool:
        return entries.can_undo(self._conn(), self.owner)

    def add(self, actions: Sequence[StagedAction], *, remark: str = "") -> list[StoredEntry]:
        """Stage ``actions`` at the end, in order; one undoable change."""
        return entries.add(self._conn(), self.owner, actions, remark)

    def remove(self, ids: Iterable[int]) -> list[StoredEntry]:
        """Remove staged entries (others are left alone); one undoable change."""
        return entries.remove(self._conn(), self.owner, ids)

    def replace(self, entry_id: int, action: StagedAction) -> StoredEntry | None:
        """Change a staged entry's fields; None when it is no longer staged."""
        return entries.replace(self._conn(), self.owner, entry_id, action)

    def restage(self, ids: Iterable[int], remark: str) -> list[StoredEntry]:
        """Unverified entries the operator chose to stage again (told what may have happened)."""
        return entries.restage(self._conn(), self.owner, ids, remark)

    def forget(self, *, batch_id: str | None = None, ids: Iterable[int] = ()) -> list[StoredEntry]:
        """Forget an unknown batch, or unverified entries, that the operator checked another way.

        The journal keeps them; one undoable change.
        """
        return entries.forget(self._conn(), self.owner, batch_id=batch_id, ids=ids)

    def undo(self) -> UndoResult | None:
        """Take back this process's last change; None when there is nothing to undo.

        Entries sent, or changed by someone else, since are left as they are (counted in
        ``skipped``): undo never brings back, or takes away, what was sent.
        """
        return entries.undo(self._conn(), self.owner)

    # -- sending (sending.py) --------------------------------------------------------------------

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
            return sending.claim(self._conn(), numbered, meta, owner=self.owner, pid=self.pid, hostname=self.hostname)
        except sqlite3.Error as exc:
            raise StoreError(f"the batch was not recorded in {self.path}, so it was not sent: {exc}") from None

    def blocked(self, orders: Sequence[str]) -> list[str]:
        """Why each of ``orders`` may not be sent now (in flight, unknown or unverified)."""
        return sending.blocking(self._conn(), sorted(set(orders)), own_ids=set())

    def entry_ids(self, batch_id: str) -> dict[int, int]:
        """N → entry id for a batch, from its submit lines."""
        return sending.entry_ids(self._conn(), batch_id)

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
        """Record the receiver's answer and move each entry on (see :func:`sending.settle`)."""
        sending.settle(
            self._conn(), batch_id, results, outcome=outcome, message=message, other_lines=other_lines, detail=detail
        )

    def mark_unknown(self, batch_id: str, reason: str, *, only_from_owner: str | None = None) -> bool:
        """A batch in flight whose answer will never come: its entries are held as unknown."""
        return sending.mark_unknown(self._conn(), batch_id, reason, only_from_owner=only_from_owner)

    def reconcile(
        self, batch_id: str, verdicts: Sequence[Judged], *, summary: str, answer_lines: Sequence[str] = ()
    ) -> bool:
        """Settle an unknown batch from what a query showed. False if it was settled meanwhile."""
        return sending.reconcile(self._conn(), batch_id, verdicts, summary=summary, answer_lines=answer_lines)

    # -- the journal and the history of batches (history.py, read only) ---------------------------

    def history(self, order_id: str) -> list[HistoryItem]:
        """Every batch that named ``order_id``, oldest first (an indexed query, no scan)."""
        return history.history(self._conn(), order_id)

    def last_event(self, order_id: str) -> HistoryItem | None:
        """The latest batch that named ``order_id`` (for the queue's "last sent" column)."""
        return history.last_event(self._conn(), order_id)

    def last_events(self, order_ids: Iterable[str] | None = None) -> dict[str, HistoryItem]:
        """What ``last_event`` answers for each of ``order_ids`` (None: every order the
        journal names), for the orders that have one, in three statements."""
        return history.last_events(self._conn(), order_ids)

    def journal(self, orders: Sequence[str] = (), since: str = "") -> Iterator[dict[str, Any]]:
        """The audit trail, one dict per journal line, oldest first."""
        return history.journal(self._conn(), orders, since)

    def batches(self, limit: int = 1000, offset: int = 0) -> list[BatchSummary]:
        """Every batch sent from this profile, newest (last recorded) first, with its entries
        counted per action."""
        return history.batches(self._conn(), limit, offset)

    def batch_ids_with_order(self, text: str) -> set[str]:
        """The batches that named an order whose number holds ``text`` (the history's filter)."""
        return history.batch_ids_with_order(self._conn(), text)

    def batch_detail(self, batch_id: str) -> BatchDetail | None:
        """One batch: its entries as sent, every result line, and the receiver's raw lines;
        None when no such batch was recorded."""
        return history.batch_detail(self._conn(), batch_id)
