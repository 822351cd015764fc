"""The store's file: its schema, the migrations to it, connections and transactions.

One SQLite database per profile, in WAL mode with ``synchronous = FULL`` (a staged or
claimed entry survives a power cut). Each thread has a connection of its own (the
:class:`~ccnow_tui.storage.store.Store` keeps them); every write is one :class:`Write`
(``BEGIN IMMEDIATE``: the database's write lock first, so a claim sees every other
change or waits for it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .records import StoreError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    pos INTEGER NOT NULL,
    order_id TEXT NOT NULL,
    action TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    amount TEXT NOT NULL DEFAULT '',
    trackname TEXT NOT NULL DEFAULT '',
    tracknumber TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    batch_id TEXT,
    remark TEXT NOT NULL DEFAULT '',
    rev INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'staged',
    changed_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS entries_batch ON entries(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_held ON entries(state) WHERE state != 'staged';
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    host TEXT NOT NULL DEFAULT '',
    client_id TEXT NOT NULL DEFAULT '',
    store_id TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0,
    hostname TEXT NOT NULL DEFAULT '',
    entry_count INTEGER NOT NULL DEFAULT 0,
    settled_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS batches_state ON batches(state);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    batch_id TEXT,
    order_id TEXT,
    entry_id INTEGER,
    n INTEGER,
    action TEXT,
    fields TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_order ON events(order_id, id) WHERE order_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_batch ON events(batch_id, id);
CREATE TABLE IF NOT EXISTS undo (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    grp INTEGER NOT NULL,
    op TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS undo_owner ON undo(owner, grp);
"""

# Each step takes the schema from version N-1 to N; version 1 is SCHEMA itself. A column
# added later is a step of its own (``ALTER TABLE entries ADD COLUMN ...``), never written
# into SCHEMA: a new store runs SCHEMA and then every later step. ``_schema_columns``
# (what ``check_tables`` holds a file to) runs SCHEMA alone: with a second step, have it
# run them all, or the new column is never checked.
MIGRATIONS: dict[int, str] = {1: SCHEMA}

# Indexes the first stores were made with that no query reads: every row written (staging
# a whole list, claiming it, settling it) updated them for nothing. Dropped where found;
# the schema's version stays, as no reader needs them (an older ccnow-tui reads a store
# without them as it is). entries_order (order_id) cost staging ship at the stress size
# about a fifth of its insert (tests/benchmarks/tui_scale.py's stage_ship_100k_s, docs/scale.md).
RETIRED_INDEXES = ("entries_order",)

_SCHEMA_COLUMNS: dict[str, list[str]] = {}


def _schema_columns() -> dict[str, list[str]]:
    """Each table of SCHEMA and its columns, as SQLite reads SCHEMA (once)."""
    if not _SCHEMA_COLUMNS:
        conn = sqlite3.connect(":memory:")
        try:
            conn.executescript(SCHEMA)
            tables = [
                name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            ]
            for table in tables:
                _SCHEMA_COLUMNS[table] = [name for _cid, name, *_ in conn.execute(f"PRAGMA table_info({table})")]
        finally:
            conn.close()
    return _SCHEMA_COLUMNS


def damaged(path: Path | str, what: str) -> str:
    """The message for a store that holds what no ccnow-tui writes."""
    return (
        f"the store {path} is damaged: {what}. Nothing was sent or changed. Restore the file from a backup, "
        "or move it away to start afresh (what it holds, staged entries and batches of unknown outcome, "
        "would then be left behind)"
    )


def newer(path: Path, version: int) -> StoreError:
    """The error for a store of a schema newer than this ccnow-tui reads."""
    return StoreError(
        f"the store {path} was written by a newer ccnow-tui (schema {version}; "
        f"this one reads up to {SCHEMA_VERSION}); nothing was changed"
    )


def file_version(path: Path) -> int:
    """The schema version the file records, read before any connection sets WAL (that
    rewrites the file's header): a store of a newer version is left exactly as it is."""
    probe = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        return int(probe.execute("PRAGMA user_version").fetchone()[0])
    finally:
        probe.close()


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the store's settings (autocommit: every write is a :class:`Write`)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # a staged or claimed entry survives a power cut
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the store to SCHEMA_VERSION (StoreError, nothing changed, if it is newer), and
    drop the :data:`RETIRED_INDEXES` it still has."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise newer(path, version)
    if version < SCHEMA_VERSION:
        with Write(conn) as c:
            # Another process may have migrated while we waited for the lock.
            current = c.execute("PRAGMA user_version").fetchone()[0]
            for step in range(current + 1, SCHEMA_VERSION + 1):
                # Statement by statement: executescript would commit the open transaction.
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(f"PRAGMA user_version = {step}")
    marks = ",".join("?" * len(RETIRED_INDEXES))
    retired = f"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ({marks})"
    if conn.execute(retired, RETIRED_INDEXES).fetchone() is not None:
        with Write(conn) as c:
            for (name,) in c.execute(retired, RETIRED_INDEXES).fetchall():  # again, under the lock
                c.execute(f"DROP INDEX IF EXISTS {name}")


def check_tables(conn: sqlite3.Connection, path: Path) -> None:
    """Every table and column of the schema is there (a table dropped or a column lost
    by hand or by a tool): StoreError naming the first one missing, nothing changed."""
    for table, columns in _schema_columns().items():
        have = {name for _cid, name, *_ in conn.execute(f"PRAGMA table_info({table})")}
        if not have:
            raise StoreError(damaged(path, f"table {table!r} is missing"))
        lost = [c for c in columns if c not in have]
        if lost:
            raise StoreError(damaged(path, f"table {table!r} has no column {lost[0]!r}"))


class Write:
    """One write transaction: ``with Write(conn) as c:`` commits, or rolls back on an error."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock now: no lost updates
        return self.conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")
