"""The JSON files of earlier versions (``draft.json``, ``journal.jsonl``), imported once.

On the first open of a profile's store they are read, written to the store in one
transaction, and renamed ``*.imported`` (never deleted). A batch the old journal shows
as sent with no outcome (a crash in flight) becomes an unknown batch, and the staged
copies the old draft kept of its entries are taken out: sending them again could ship,
cancel or refund twice.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..protocol.actions import ActionError, StagedAction
from ..protocol.orderid import InvalidOrderId, OrderId
from ..protocol.redact import redact
from .paths import read_regular

MAX_DRAFT_BYTES = 1 << 30  # an old draft of 100,000 entries is a few MB

if TYPE_CHECKING:
    from .store import Store

DRAFT_NAME = "draft.json"
JOURNAL_NAME = "journal.jsonl"
NO_OUTCOME = "the old journal has no outcome for this batch (a crash or a lost answer)"


def _action(row: object) -> StagedAction | None:
    if not isinstance(row, dict):
        return None
    try:
        return StagedAction.from_dict(row)
    except (ActionError, TypeError, ValueError):
        return None


def _order(value: object) -> str | None:
    try:
        return str(OrderId.parse(value))
    except InvalidOrderId:
        return None


def _fields(row: dict[str, Any]) -> str:
    d = {k: str(row[k]) for k in ("amount", "trackname", "tracknumber", "notes") if row.get(k)}
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")) if d else ""


def read_draft(path: Path) -> tuple[list[StagedAction], list[tuple[str, str, str, str, list[StagedAction]]], str]:
    """Staged entries and unknown batches of an old draft, and a problem to report."""
    try:
        data = json.loads(read_regular(path, MAX_DRAFT_BYTES))  # a FIFO there must not block the start
    except FileNotFoundError:
        return [], [], ""
    except (OSError, ValueError) as exc:
        return [], [], f"the old draft {path} could not be read ({exc}); it was left as it is"
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return [], [], f"the old draft {path} is not a draft; it was left as it is"
    staged = [a for a in map(_action, data["entries"]) if a is not None]
    skipped = len(data["entries"]) - len(staged)
    unknown = []
    for b in data.get("unknown_batches") or []:
        if not isinstance(b, dict) or not isinstance(b.get("entries"), list):
            skipped += 1
            continue
        entries = [a for a in map(_action, b["entries"]) if a is not None]
        unknown.append((str(b.get("batch_id") or ""), str(b.get("sent_at") or ""), str(b.get("host") or ""),
                        str(b.get("note") or ""), entries))
    problem = (f"{skipped} unreadable item(s) of the old draft were not imported (the file keeps them)"
               if skipped else "")
    return staged, unknown, problem


def read_journal(path: Path) -> tuple[list[tuple[Any, ...]], dict[str, dict[str, Any]]]:
    """Journal lines as store events, and per batch: time, host, latest outcome, entries."""
    events: list[tuple[Any, ...]] = []
    batches: dict[str, dict[str, Any]] = {}
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return events, batches
    with handle:
        for raw in handle:
            try:
                event = json.loads(raw)
            except ValueError:
                continue  # a line cut short by a crash: the rest still counts
            if not isinstance(event, dict):
                continue
            kind, batch_id, when = event.get("event"), str(event.get("batch_id") or ""), str(event.get("time") or "")
            if kind == "submit" and batch_id:
                rows = [r for r in event.get("entries") or [] if isinstance(r, dict)]
                batches[batch_id] = {"time": when, "host": str(event.get("host") or ""), "outcome": "",
                                     "message": "", "entries": [a for a in map(_action, rows) if a is not None]}
                for i, r in enumerate(rows, 1):
                    events.append((when, "submit", batch_id, _order(r.get("order_id")), r.get("n", i),
                                   str(r.get("action", "")), _fields(r), "", "", "", ""))
            elif kind == "outcome" and batch_id:
                outcome = str(event.get("outcome") or "")
                if batch_id in batches:
                    batches[batch_id].update(outcome=outcome, message=str(event.get("message") or ""))
                lines = [str(x) for x in event.get("answer_lines") or []]
                for r in event.get("results") or []:
                    if not isinstance(r, dict):
                        continue
                    order = _order(r.get("order_id"))
                    raw_line = next((x for x in lines if order and (order in x or order.replace("-", "") in x)), "")
                    events.append((when, "reconciled" if outcome == "reconciled" else "outcome", batch_id, order,
                                   r.get("n"), str(r.get("action", "")), "",
                                   str(r.get("verdict") or r.get("outcome") or ""), str(r.get("status") or ""),
                                   redact(str(r.get("message") or r.get("why") or "")), redact(raw_line)))
                events.append((when, "reconciled" if outcome == "reconciled" else "outcome", batch_id, None, None,
                                None, "", outcome, "", redact(str(event.get("message") or "")), ""))
    return events, batches


def import_legacy(store: Store) -> list[str]:
    """Import the profile's old files into ``store`` once; lines for the operator."""
    folder = store.path.parent
    draft, journal = folder / DRAFT_NAME, folder / JOURNAL_NAME
    if (not draft.exists() and not journal.exists()) or store.legacy_imported():
        return []
    staged, unknown, problem = read_draft(draft)
    events, batches = read_journal(journal)
    known_unknown = {b[0] for b in unknown}
    # A submit with no outcome was in flight when the old version stopped; the old draft
    # still had its entries staged. Hold them as unknown instead.
    left = Counter(staged)
    for batch_id, b in batches.items():
        if b["outcome"] or batch_id in known_unknown:
            continue
        taken = []
        for a in b["entries"]:
            if left[a] > 0:
                left[a] -= 1
                taken.append(a)
        unknown.append((batch_id, b["time"], b["host"], NO_OUTCOME, b["entries"]))
        for a in taken:
            staged.remove(a)
    state = {"ok": "answered", "some_refused": "answered", "refused": "answered", "unreachable": "answered",
             "reconciled": "reconciled", "unknown": "reconciled"}
    rows = [(batch_id, b["time"], state.get(b["outcome"], "reconciled"), b["outcome"], redact(b["message"]), b["host"])
            for batch_id, b in batches.items() if b["outcome"] and batch_id not in known_unknown]
    store._import(staged, unknown, events, rows)
    notes = []
    for path in (draft, journal):
        if path.exists() and not (path is draft and problem):
            path.rename(path.with_name(path.name + ".imported"))
    held = sum(len(u[4]) for u in unknown)
    notes.append(f"imported the old draft and journal of this profile ({len(staged)} staged, {held} held as "
                 f"OUTCOME UNKNOWN, {len(events)} journal lines); the files were renamed *.imported")
    if problem:
        notes.append(problem)
    return notes
