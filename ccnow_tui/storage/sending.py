"""Sending: the claim before a batch leaves, the answer it got, and reconciling.

Ship, cancel and adjust carry no idempotency key, so an entry is claimed (``sending``, in
the same transaction that records the batch and its ``submit`` journal lines) before a
byte is sent; then the receiver's answer settles it: applied (the row leaves; the
journal keeps it), refused (staged again with the receiver's words) or ``unknown`` (held
until reconciled, never sent again by itself).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

import ccnow_tui.storage.entries as entries

from ..protocol.actions import StagedAction
from ..protocol.redact import redact
from .records import BatchMeta, ClaimConflict, Judged, Settled, Verdict
from .rows import ACTION_COLS, columns, fields_json, mask, status_word, utc_now
from .schema import Write


class InFlight(NamedTuple):
    """A batch recorded ``sending``, and the process that sends it."""

    batch_id: str
    owner: str
    pid: int
    hostname: str


def in_flight(conn: sqlite3.Connection) -> list[InFlight]:
    return list(
        map(InFlight._make, conn.execute("SELECT batch_id, owner, pid, hostname FROM batches WHERE state = 'sending'"))
    )


def claim(
    conn: sqlite3.Connection,
    numbered: Sequence[tuple[int, int | None, int, StagedAction]],
    meta: BatchMeta,
    *,
    owner: str,
    pid: int,
    hostname: str,
) -> str:
    """Claim a batch for ``owner`` (see ``Store.claim``); returns its id, or raises
    :class:`ClaimConflict` with nothing claimed."""
    batch_id = secrets.token_hex(6)
    now = utc_now()
    with Write(conn) as c:
        existing = [(entry_id, rev) for _, entry_id, rev, _ in numbered if entry_id is not None]
        if existing:
            if len(existing) > 2000:  # one pass over the staged entries beats thousands of look-ups
                have = dict(c.execute("SELECT id, rev FROM entries WHERE state = 'staged'").fetchall())
            else:
                have = {r.id: r.rev for r in entries.rows(c, [e for e, _ in existing], "staged")}
            gone = [e for e, _ in existing if e not in have]
            changed = [e for e, rev in existing if e in have and have[e] != rev]
            if gone or changed:
                raise ClaimConflict(
                    f"{len(gone) + len(changed)} of the entries were sent, removed or changed meanwhile "
                    "(another window or process?); nothing was sent: review the batch and send again"
                )
        orders = sorted({a.order_id for _, _, _, a in numbered})
        blocked = blocking(c, orders, own_ids={e for e, _ in existing})
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
                owner,
                pid,
                hostname,
                len(numbered),
            ),
        )
        new = [(n, a) for n, entry_id, _, a in numbered if entry_id is None]
        ids: dict[int, int] = {n: entry_id for n, entry_id, _, _ in numbered if entry_id is not None}
        if new:
            pos = entries.next_pos(c)
            first = entries.new_ids(c, len(new))
            c.executemany(
                f"INSERT INTO entries (id, pos, {', '.join(ACTION_COLS)}, state, batch_id, origin) "
                f"VALUES (?, ?, {', '.join('?' * len(ACTION_COLS))}, 'sending', ?, 'cli')",
                ((first + i, pos + i, *columns(a), batch_id) for i, (_, a) in enumerate(new)),
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
            ((now, batch_id, a.order_id, ids[n], n, a.kind.value, fields_json(a)) for n, _, _, a in numbered),
        )
        # Undo must never bring back (or take away) what was sent.
        c.execute("DELETE FROM undo WHERE owner = ?", (owner,))
    return batch_id


def entry_ids(conn: sqlite3.Connection, batch_id: str) -> dict[int, int]:
    """N → entry id for a batch, from its submit lines."""
    return dict(conn.execute("SELECT n, entry_id FROM events WHERE batch_id = ? AND kind = 'submit'", (batch_id,)))


def blocking(c: sqlite3.Connection, orders: Sequence[str], own_ids: set[int]) -> list[str]:
    """Why each of ``orders`` may not be sent now (held by another batch or unverified)."""
    wanted = set(orders)
    out: dict[str, str] = {}
    # Held entries are few (a batch or two) whatever the size of the batch: read them all.
    held = c.execute(
        "SELECT e.order_id, e.state, e.batch_id, e.action, e.id, b.pid, b.hostname FROM entries e "
        "LEFT JOIN batches b ON b.batch_id = e.batch_id WHERE e.state != 'staged'"
    )
    for order_id, state, batch_id, action, entry_id, pid, hostname in held:
        if order_id in wanted and entry_id not in own_ids and order_id not in out:
            out[order_id] = blocked_reason(order_id, state, batch_id or "?", action, pid, hostname)
    return [out[o] for o in orders if o in out]


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


def settle(
    conn: sqlite3.Connection,
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
    with Write(conn) as c:
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
                    refused_staged.append((mask(r.message), r.entry_id))
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
                status_word(r.status),
                mask(r.message),
                mask(r.raw),
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


def mark_unknown(conn: sqlite3.Connection, batch_id: str, reason: str, *, only_from_owner: str | None = None) -> bool:
    """A batch in flight whose answer will never come: its entries are held as unknown."""
    now = utc_now()
    with Write(conn) as c:
        row = c.execute("SELECT state, owner FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        state, sender = row if row is not None else (None, None)
        if state != "sending" or (only_from_owner is not None and sender != only_from_owner):
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
    conn: sqlite3.Connection,
    batch_id: str,
    verdicts: Sequence[Judged],
    *,
    summary: str,
    answer_lines: Sequence[str] = (),
) -> bool:
    """Settle an unknown batch from what a query showed. False if it was settled meanwhile."""
    now = utc_now()
    with Write(conn) as c:
        live = {r.id: r for r in entries.rows_of_batch(c, batch_id) if r.state == "unknown"}
        if not live or any(v.entry_id not in live for v in verdicts):
            return False
        pos = entries.next_pos(c)
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
                    live[v.entry_id].order_id,
                    v.entry_id,
                    live[v.entry_id].action,
                    fields_json(live[v.entry_id].staged()),
                    v.verdict.value,
                    status_word(v.status),
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
