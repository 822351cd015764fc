"""History and journal reads: what became of an order, of a batch, and the audit trail.

Read only, and indexed: an order's lines through ``events_order``, a batch's through
``events_batch``; no read scans the journal (1,000,000 lines in
tests/benchmarks/store_bench.py). What the receiver said is stored masked but is still
network text: whoever shows it escapes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

from ..protocol.actions import ActionKind
from ..protocol.outcome import Outcome
from .records import CorruptRow


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


def batch_state(conn: sqlite3.Connection, batch_id: str) -> str | None:
    row = conn.execute("SELECT state FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
    return str(row[0]) if row else None


def history(conn: sqlite3.Connection, order_id: str) -> list[HistoryItem]:
    """Every batch that named ``order_id``, oldest first (an indexed query, no scan)."""
    rows = conn.execute(
        "SELECT e.kind, e.batch_id, e.time, e.n, e.action, e.fields, e.outcome, e.status, e.message, e.raw "
        "FROM events e WHERE e.order_id = ? ORDER BY e.id",
        (order_id,),
    ).fetchall()
    return _items(conn, rows)


def last_event(conn: sqlite3.Connection, order_id: str) -> HistoryItem | None:
    """The latest batch that named ``order_id`` (for the queue's "last sent" column)."""
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
    items = _items(conn, rows)
    return items[-1] if items else None


def last_events(conn: sqlite3.Connection, order_ids: Iterable[str] | None = None) -> dict[str, HistoryItem]:
    """What ``last_event`` answers for each of ``order_ids`` (None: every order the
    journal names), for the orders that have one: three statements whatever their
    number (sorting the queue by "last sent" at the stress size), not a query each."""
    if order_ids is None:
        # One pass over the events_order index (it holds (order_id, id): no table read).
        lasts = "SELECT order_id, MAX(id) AS id FROM events WHERE order_id IS NOT NULL GROUP BY order_id"
        args: tuple[Any, ...] = ()
    else:
        # One seek into the events_order index per order asked for, at C speed.
        lasts = "SELECT value AS order_id, (SELECT MAX(id) FROM events WHERE order_id = value) AS id FROM json_each(?)"
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
    per_order: dict[str, list[Sequence[Any]]] = {}
    for order_id, *line in rows:
        per_order.setdefault(order_id, []).append(line)
    out: dict[str, HistoryItem] = {}
    by_batch: dict[str, list[HistoryItem]] = {}
    for order_id, lines in per_order.items():
        items = _grouped(lines)
        if items:
            item = out[order_id] = items[-1]
            if item.batch_id:
                by_batch.setdefault(item.batch_id, []).append(item)
    _fill_batches(conn, by_batch)
    return out


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


def _items(conn: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> list[HistoryItem]:
    items = _grouped(rows)
    by_batch: dict[str, list[HistoryItem]] = {}
    for item in items:
        if item.batch_id:
            by_batch.setdefault(item.batch_id, []).append(item)
    _fill_batches(conn, by_batch)
    return items


def journal(conn: sqlite3.Connection, orders: Sequence[str] = (), since: str = "") -> Iterator[dict[str, Any]]:
    """The audit trail, one dict per journal line, oldest first."""
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
            raise CorruptRow(f"table events, the line of {d['time']!r}: fields {d['fields']!r} is not JSON") from None
        if not isinstance(d["fields"], dict):
            raise CorruptRow(
                f"table events, the line of {d['time']!r}: fields {d['fields']!r} is not a JSON object"
            ) from None
        yield d


# -- the history of batches (read only) -------------------------------------------------


class BatchRow(NamedTuple):
    """A batches row as the history reads it (``_BATCH_COLS``)."""

    batch_id: str
    created_at: str
    state: str
    outcome: str
    message: str
    host: str
    client_id: str
    entry_count: int


_BATCH_COLS = ", ".join(BatchRow._fields)


class _ActionCount(NamedTuple):
    """The two columns :func:`batches`' query adds to a :class:`BatchRow`: one action's
    count of the batch's entries."""

    action: str | None  # None: a batch with no submit line
    entries: int


_BATCH_WIDTH = len(BatchRow._fields)


def batches(conn: sqlite3.Connection, limit: int = 1000, offset: int = 0) -> list[BatchSummary]:
    """Every batch sent from this profile, newest (last recorded) first, with its entries
    counted per action: one query; the page walks the batches' rowids backwards and the
    counts read each batch's lines through ``events_batch`` (no scan of the journal)."""
    lines = conn.execute(
        "SELECT " + ", ".join(f"p.{c}" for c in BatchRow._fields) + ", e.action, COUNT(e.id) "
        "FROM (SELECT rowid AS r, " + _BATCH_COLS + " FROM batches "
        "ORDER BY rowid DESC LIMIT ? OFFSET ?) p "
        "LEFT JOIN events e ON e.batch_id = p.batch_id AND e.kind = 'submit' "
        "GROUP BY p.r, e.action ORDER BY p.r DESC",
        (limit, offset),
    ).fetchall()
    out: list[BatchSummary] = []
    for _, group in groupby(lines, key=itemgetter(0)):  # the batch_id
        per_action = list(group)
        counted = [_ActionCount._make(line[_BATCH_WIDTH:]) for line in per_action]
        counts = [(str(c.action), int(c.entries)) for c in counted if c.action is not None]
        out.append(_summary(BatchRow._make(per_action[0][:_BATCH_WIDTH]), counts))
    return out


def _summary(row: BatchRow, counts: Iterable[tuple[str, int]]) -> BatchSummary:
    return BatchSummary(
        str(row.batch_id),
        str(row.created_at),
        str(row.host),
        str(row.client_id),
        str(row.state),
        batch_word(str(row.state), str(row.outcome)),
        str(row.message),
        int(row.entry_count),
        _counts(counts),
    )


def batch_ids_with_order(conn: sqlite3.Connection, text: str) -> set[str]:
    """The batches that named an order whose number holds ``text`` (the history's filter)."""
    if not text:
        return set()
    return {
        str(batch_id)
        for (batch_id,) in conn.execute(
            "SELECT DISTINCT batch_id FROM events WHERE order_id IS NOT NULL AND instr(order_id, ?) > 0 "
            "AND batch_id IS NOT NULL",
            (text,),
        )
    }


def batch_detail(conn: sqlite3.Connection, batch_id: str) -> BatchDetail | None:
    """One batch: its entries as sent, every result line, and the receiver's raw lines
    (an indexed read of its journal lines); None when no such batch was recorded."""
    found = conn.execute(f"SELECT {_BATCH_COLS} FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
    if found is None:
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
    return BatchDetail(
        _summary(BatchRow._make(found), counts.items()), tuple(entries), tuple(results), tuple(raw_lines)
    )
