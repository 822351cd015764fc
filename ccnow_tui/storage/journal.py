"""The journal: an append-only JSON Lines record of every request that changes orders.

cancel, ship and adjust move money and goods and carry no idempotency key, so the
operator must be able to tell, after a crash or a lost answer, what was sent. Hence a
``submit`` record is written and fsync'ed *before* the request leaves, and an
``outcome`` record after the answer; a submit without an outcome is the evidence of a
request whose fate is unknown. Reading never fails on a damaged line: a crash can cut
the last line short, and the rest of the history still matters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..protocol.orderid import InvalidOrderId, OrderId
from .atomic import fsync_dir, redacted_json, write_all
from .paths import PRIVATE_FILE_MODE, ensure_private_dir, profile_dir

JOURNAL_NAME = "journal.jsonl"
NO_OUTCOME = "no outcome recorded (crash or lost answer)"


def journal_path(profile: str) -> Path:
    return profile_dir(profile) / JOURNAL_NAME


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def canonical_order(value: object) -> str:
    """The ``DDD-DD-DDDD`` form when ``value`` is an order number, else ``value`` as text."""
    try:
        return str(OrderId.parse(value))
    except InvalidOrderId:
        return str(value)


def _with_canonical_orders(rows: Iterable[Any]) -> list[Any]:
    out = []
    for row in rows:
        if hasattr(row, "to_dict"):
            row = row.to_dict()
        if isinstance(row, dict) and "order_id" in row:
            row = {**row, "order_id": canonical_order(row["order_id"])}
        out.append(row)
    return out


def _orders_in(event: dict[str, Any]) -> list[str]:
    """Canonical order numbers an event mentions, in first-mention order."""
    seen: dict[str, None] = {}
    for key in ("entries", "results"):
        rows = event.get(key)
        if isinstance(rows, list):
            for row in rows:
                if isinstance(row, dict) and "order_id" in row:
                    seen.setdefault(canonical_order(row["order_id"]), None)
    return list(seen)


@dataclass
class JournalRead:
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Journal:
    """One profile's journal file. Cheap to construct; every call opens the file anew."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_profile(cls, profile: str) -> "Journal":
        return cls(journal_path(profile))

    # -- writing -----------------------------------------------------------------

    def append(self, event: dict[str, Any]) -> None:
        """Write ``event`` as one line and make it durable before returning."""
        self.append_encoded(self.encode(event))

    @staticmethod
    def encode(event: dict[str, Any]) -> bytes:
        """The journal line for ``event`` (no I/O: a caller may build a big one off its loop)."""
        record = dict(event)
        record.setdefault("time", utc_now())
        return redacted_json(record).encode("utf-8") + b"\n"

    def append_encoded(self, line: bytes) -> None:
        """Write a line made by :meth:`encode` and make it durable before returning."""
        ensure_private_dir(self.path.parent)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE_MODE)
        try:
            if created:
                os.fchmod(fd, PRIVATE_FILE_MODE)
            size = os.fstat(fd).st_size
            # A crash may have cut the last line short; start on a fresh line so that
            # this record does not get glued to (and lost with) the broken one.
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            write_all(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)

    @staticmethod
    def submit_event(batch_id: str, profile: str, host: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "event": "submit",
            "batch_id": batch_id,
            "profile": profile,
            "host": host,
            "entries": _with_canonical_orders(entries),
        }

    def record_submit(self, batch_id: str, profile: str, host: str, entries: list[dict[str, Any]]) -> None:
        """Call *before* sending: a crash in flight then leaves a submit with no outcome."""
        self.append(self.submit_event(batch_id, profile, host, entries))

    def record_outcome(
        self,
        batch_id: str,
        profile: str,
        host: str,
        outcome: str,
        answer_lines: list[str],
        results: list[dict[str, Any]],
        message: str = "",
    ) -> None:
        self.append({
            "event": "outcome",
            "batch_id": batch_id,
            "profile": profile,
            "host": host,
            "outcome": outcome,
            "message": message,
            "answer_lines": list(answer_lines),
            "results": _with_canonical_orders(results),
        })

    # -- reading -----------------------------------------------------------------

    def _scan(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        """Yield ``(event, None)`` per good line and ``(None, problem)`` per bad one."""
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return
        with handle:
            lineno = 0
            for raw in handle:
                lineno += 1
                if not raw.strip():
                    continue
                complete = raw.endswith(b"\n")
                try:
                    event = json.loads(raw)
                except ValueError as exc:  # also UnicodeDecodeError
                    why = ("cut short (a crash while writing?)" if not complete
                           else f"not valid JSON ({getattr(exc, 'msg', exc)})")
                    yield None, f"{self.path}: line {lineno}: {why}; skipped"
                    continue
                if not isinstance(event, dict):
                    yield None, f"{self.path}: line {lineno}: not a JSON object; skipped"
                    continue
                yield event, None

    def read(self) -> JournalRead:
        result = JournalRead()
        for event, problem in self._scan():
            if event is not None:
                result.events.append(event)
            else:
                result.problems.append(problem or "")
        return result

    def history(self, order_id: object) -> list[dict[str, Any]]:
        """Everything the journal knows about one order, oldest first.

        Each submit that names the order becomes one item: the submit record with only
        this order's entries, plus ``outcome`` (the outcome word, or :data:`NO_OUTCOME`),
        ``outcome_time``, ``message``, this order's ``results`` and the ``answer_lines``
        that mention it. When a batch has several outcome records (say, ``unknown`` and
        later ``reconciled``), the latest one is joined. Other events that mention the
        order (an outcome whose submit is missing, reconciliation notes) are listed as
        they are.
        """
        wanted = canonical_order(order_id)
        spellings = (wanted, wanted.replace("-", ""))
        items: list[dict[str, Any]] = []
        submits: dict[str, dict[str, Any]] = {}
        for event, _ in self._scan():
            if event is None:
                continue
            kind = event.get("event")
            batch = event.get("batch_id")
            if kind == "outcome" and isinstance(batch, str) and batch in submits:
                item = submits[batch]
                item["outcome"] = event.get("outcome", "")
                item["outcome_time"] = event.get("time")
                item["message"] = event.get("message", "")
                item["results"] = _rows_for(event.get("results"), wanted)
                lines = event.get("answer_lines")
                item["answer_lines"] = [
                    line for line in (lines if isinstance(lines, list) else [])
                    if isinstance(line, str) and any(s in line for s in spellings)
                ]
                continue
            if wanted not in _orders_in(event):
                continue
            if kind == "submit":
                item = {
                    **event,
                    "entries": _rows_for(event.get("entries"), wanted),
                    "outcome": NO_OUTCOME,
                    "outcome_time": None,
                    "message": "",
                    "results": [],
                    "answer_lines": [],
                }
                if isinstance(batch, str):
                    submits[batch] = item
                items.append(item)
            else:
                items.append(dict(event))
        return items

    def last_event_by_order(self) -> dict[str, dict[str, Any]]:
        """The latest event for every order in the journal, in one linear pass.

        An outcome counts for every order of its batch, even when its results name none
        of them (a whole-request ``error_message`` answer), so an order's last event is a
        bare submit only when that batch's outcome is really missing.
        """
        latest: dict[str, dict[str, Any]] = {}
        batch_orders: dict[str, list[str]] = {}
        for event, _ in self._scan():
            if event is None:
                continue
            orders = _orders_in(event)
            batch = event.get("batch_id")
            if isinstance(batch, str):
                if event.get("event") == "submit":
                    batch_orders[batch] = orders
                elif event.get("event") == "outcome":
                    orders = list(dict.fromkeys(batch_orders.get(batch, []) + orders))
            for order in orders:
                latest[order] = event
        return latest


def _rows_for(rows: object, order: str) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        return []
    return [row for row in rows
            if isinstance(row, dict) and "order_id" in row and canonical_order(row["order_id"]) == order]
