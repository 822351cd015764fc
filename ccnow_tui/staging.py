"""The operator's staging area: what will be sent, what came back, and nothing lost.

Textual-free, so the rules that move entries after a submit are unit-tested without a
screen. Every change is written through :class:`~ccnow_tui.storage.drafts.DraftStore`
at once (atomically), so a crash never loses staged work.

After a submit, applied entries leave the draft, refused ones stay staged with the
receiver's words, and entries whose outcome is unknown move to an
:class:`~ccnow_tui.storage.drafts.UnknownBatch`: they are never re-sent by themselves,
only re-staged by :meth:`StagingArea.reconcile` once a query shows they did not happen.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping, Sequence

from .client import ReceiverAnswer
from .protocol.actions import ActionKind, StagedAction
from .protocol.batch import Batch, Lint
from .protocol.orderid import OrderId
from .protocol.outcome import CONFIRMS, EntryOutcome, EntryResult, Outcome
from .protocol.status import PENDING
from .storage.drafts import Draft, DraftStore, UnknownBatch

UNDO_LIMIT = 200


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class SubmitReport:
    """What :meth:`StagingArea.apply_results` did with one answer."""

    applied: list[StagedAction] = field(default_factory=list)
    refused: list[tuple[StagedAction, str]] = field(default_factory=list)
    unknown_batch: UnknownBatch | None = None


@dataclass
class Reconciliation:
    """What a query showed about an unknown batch, entry by entry."""

    batch_id: str
    took_effect: list[tuple[StagedAction, str]] = field(default_factory=list)  # (entry, status)
    restaged: list[tuple[StagedAction, str]] = field(default_factory=list)  # (entry, why)
    dropped: list[tuple[StagedAction, str]] = field(default_factory=list)  # (entry, why)

    def results(self) -> list[dict]:
        """Rows for the journal's ``reconciled`` outcome record."""
        rows = [dict(e.to_dict(), verdict="took effect", status=s) for e, s in self.took_effect]
        rows += [dict(e.to_dict(), verdict="re-staged", why=w) for e, w in self.restaged]
        rows += [dict(e.to_dict(), verdict="not re-staged", why=w) for e, w in self.dropped]
        return rows

    def summary(self) -> str:
        return (f"{len(self.took_effect)} took effect, {len(self.restaged)} re-staged, "
                f"{len(self.dropped)} not re-staged")


class StagingArea:
    """Staged entries (in the order the operator staged them), unknown batches, undo.

    ``remarks`` holds what the operator should read next to an entry: the receiver's
    words for a refusal, or why reconciliation re-staged it. Kept in memory only; the
    journal has the full history.
    """

    def __init__(self, store: DraftStore | None = None, draft: Draft | None = None) -> None:
        self.store = store
        draft = draft or Draft()
        self._entries: list[StagedAction] = list(draft.entries)
        self._unknown: list[UnknownBatch] = list(draft.unknown_batches)
        self._undo: list[tuple[list[StagedAction], list[UnknownBatch]]] = []
        self.remarks: dict[StagedAction, str] = {}
        self.version = 0  # bumped on every change, for cheap caching by views
        self.save_error: str | None = None
        self.listener: Callable[["StagingArea"], None] | None = None
        self._by_order: dict[OrderId, list[int]] | None = None
        self._entries_view: tuple[StagedAction, ...] | None = None
        self._batch: Batch | None = None

    # -- reading ---------------------------------------------------------------------------

    @property
    def entries(self) -> tuple[StagedAction, ...]:
        # Cached until the next change: views read it per row, and 100,000 entries
        # copied per call would make every redraw crawl.
        if self._entries_view is None:
            self._entries_view = tuple(self._entries)
        return self._entries_view

    @property
    def unknown_batches(self) -> tuple[UnknownBatch, ...]:
        return tuple(self._unknown)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def is_empty(self) -> bool:
        return not self._entries and not self._unknown

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def batch(self) -> Batch:
        """The staged entries as a batch (the same object until the next change)."""
        if self._batch is None:
            self._batch = Batch(self._entries)
        return self._batch

    def lint(self, known_status: Mapping[OrderId, str] | None = None) -> list[Lint]:
        return self.batch().lint(known_status) if self._entries else []

    def indexes_for(self, order_id: OrderId) -> list[int]:
        """Staged positions of one order's entries (cached until the next change)."""
        if self._by_order is None:
            by_order: dict[OrderId, list[int]] = defaultdict(list)
            for i, e in enumerate(self._entries):
                by_order[e.order_id].append(i)
            self._by_order = dict(by_order)
        return self._by_order.get(order_id, [])

    def summary_for(self, order_id: OrderId) -> str:
        """``ship+track`` style: what is staged for one order, for a table cell."""
        kinds = Counter(self._entries[i].kind.value for i in self.indexes_for(order_id))
        return "+".join(k if n == 1 else f"{k}×{n}" for k, n in kinds.items())

    def unknown_orders(self) -> set[OrderId]:
        return {e.order_id for b in self._unknown for e in b.entries}

    # -- operator changes (undoable) -------------------------------------------------------

    def add(self, actions: Iterable[StagedAction]) -> int:
        new = list(actions)
        if not new:
            return 0
        self._checkpoint()
        self._entries.extend(new)
        self._changed()
        return len(new)

    def remove(self, indexes: Iterable[int]) -> list[StagedAction]:
        drop = sorted({i for i in indexes if 0 <= i < len(self._entries)})
        if not drop:
            return []
        self._checkpoint()
        removed = [self._entries[i] for i in drop]
        for i in reversed(drop):
            del self._entries[i]
        self._changed()
        return removed

    def replace(self, index: int, action: StagedAction) -> None:
        if not 0 <= index < len(self._entries):
            raise IndexError(index)
        if self._entries[index] == action:
            return
        self._checkpoint()
        self.remarks.pop(self._entries[index], None)
        self._entries[index] = action
        self._changed()

    def forget_unknown(self, batch_id: str) -> UnknownBatch | None:
        """Drop an unknown batch the operator has checked by other means (undoable)."""
        for b in self._unknown:
            if b.batch_id == batch_id:
                self._checkpoint()
                self._unknown.remove(b)
                self._changed()
                return b
        return None

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._entries, self._unknown = self._undo.pop()
        self._changed()
        return True

    # -- what the receiver said (not undoable) ---------------------------------------------

    def apply_results(
        self, answer: ReceiverAnswer, sent: Sequence[StagedAction] | Batch, host: str = ""
    ) -> SubmitReport:
        """Move entries according to the answer to the batch ``sent``.

        Matching is by value, one staged occurrence per result, so entries staged (or
        removed) while the batch was in flight are left as the operator made them. The
        undo history is cleared: undo must never bring back an entry that was applied.
        """
        sent_entries = list(sent.entries if isinstance(sent, Batch) else sent)
        results: Sequence[EntryResult] = answer.entries
        report = SubmitReport()
        unknown: list[StagedAction] = []
        if not results:
            if answer.outcome is Outcome.UNKNOWN:
                unknown = sent_entries
            else:  # unreachable or refused as a whole: nothing happened, all stay staged
                for e in sent_entries:
                    self.remarks[e] = answer.message
                    report.refused.append((e, answer.message))
        for r in results:
            if r.outcome is EntryOutcome.APPLIED:
                self.remarks.pop(r.entry, None)
                report.applied.append(r.entry)
            elif r.outcome is EntryOutcome.REFUSED:
                self.remarks[r.entry] = r.message
                report.refused.append((r.entry, r.message))
            else:
                unknown.append(r.entry)
        self._take(report.applied + unknown)
        if unknown:
            report.unknown_batch = self._keep_unknown(unknown, answer.batch_id, host, answer.message)
        self._undo.clear()
        self._changed()
        return report

    def keep_unknown(
        self, entries: Sequence[StagedAction], note: str, *, batch_id: str = "", host: str = ""
    ) -> UnknownBatch:
        """Move entries whose fate cannot be known (quit while in flight) out of staging."""
        self._take(entries)
        batch = self._keep_unknown(list(entries), batch_id, host, note)
        self._undo.clear()
        self._changed()
        return batch

    def reconcile(self, batch_id: str, statuses: Mapping[OrderId, str]) -> Reconciliation | None:
        """Judge an unknown batch by the orders' statuses now, and settle it.

        An order whose ship or cancel evidently happened takes its whole batch share
        with it (adjust and track go first, so they happened too). An order still
        pending did not get its ship or cancel: its entries are staged again. An adjust
        or track alone on a still-pending order cannot be judged from a status: it is
        re-staged with a remark, for the operator to decide. Entries on orders that are
        now in another state cannot be applied any more and are dropped (the journal
        keeps them). None, and nothing changes, when a status is missing.
        """
        batch = next((b for b in self._unknown if b.batch_id == batch_id), None)
        if batch is None or any(e.order_id not in statuses for e in batch.entries):
            return None
        rec = Reconciliation(batch_id)
        groups: dict[OrderId, list[StagedAction]] = defaultdict(list)
        for e in batch.entries:
            groups[e.order_id].append(e)
        for oid, group in groups.items():
            status = statuses[oid]
            terminal = next((e.kind for e in group if e.kind in (ActionKind.SHIP, ActionKind.CANCEL)), None)
            for e in group:
                if e.kind is ActionKind.QUERY:
                    rec.took_effect.append((e, status))
                elif terminal is not None and status in CONFIRMS[terminal]:
                    rec.took_effect.append((e, status))
                elif status == PENDING and terminal is not None:
                    rec.restaged.append((e, f"reconciled: still pending, so the {terminal.value} did not happen"))
                elif status == PENDING:
                    rec.restaged.append((e, f"reconciled: still pending; a status cannot show whether this "
                                            f"{e.kind.value} took effect: check before sending it again"))
                else:
                    rec.dropped.append((e, f"order is now {status}; it cannot be applied any more"))
        self._unknown.remove(batch)
        for e, why in rec.restaged:
            self._entries.append(e)
            self.remarks[e] = why
        self._undo.clear()
        self._changed()
        return rec

    # -- internals -------------------------------------------------------------------------

    def _take(self, entries: Iterable[StagedAction]) -> None:
        """Remove one staged occurrence (the first) per entry, in one pass.

        An entry no longer staged was removed by the operator while in flight.
        """
        wanted = Counter(entries)
        if not wanted:
            return
        kept = []
        for e in self._entries:
            if wanted[e] > 0:
                wanted[e] -= 1
            else:
                kept.append(e)
        self._entries = kept

    def _keep_unknown(self, entries: list[StagedAction], batch_id: str, host: str, note: str) -> UnknownBatch:
        batch_id = batch_id or f"local-{secrets.token_hex(6)}"
        batch = UnknownBatch(batch_id, utc_now(), host, entries, note)
        self._unknown.append(batch)
        return batch

    def _checkpoint(self) -> None:
        self._undo.append((list(self._entries), list(self._unknown)))
        del self._undo[:-UNDO_LIMIT]

    def _changed(self) -> None:
        self.version += 1
        self._by_order = None
        self._entries_view = None
        self._batch = None
        self.save()
        if self.listener is not None:
            self.listener(self)

    def save(self) -> None:
        """Write the draft now. A failure is kept in ``save_error`` (the work stays in memory)."""
        if self.store is None:
            return
        try:
            self.store.save(Draft(list(self._entries), list(self._unknown)))
            self.save_error = None
        except OSError as exc:
            self.save_error = f"the draft could not be saved to {self.store.path}: {exc.strerror or exc}"
