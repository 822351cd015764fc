"""The operator's staging area: what will be sent, what is held, and nothing lost.

Textual-free, so the rules that move entries after a submit are unit-tested without a
screen. The profile's :class:`~ccnow_tui.storage.store.Store` is the only truth: every
change is written there first, then mirrored here for the views; a change made by
another process (a second window, a cron job) is picked up by :meth:`StagingArea.poll`.

A batch is claimed in the store before it is sent (:meth:`StagingArea.claim`); applied
entries then leave, refused ones are staged again with the receiver's words, and entries
whose outcome is unknown are held: never sent again by themselves, only settled by
:meth:`StagingArea.reconcile` once a query shows what happened.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar

from ..protocol.actions import TEXT_FIELDS, ActionKind, StagedAction
from ..protocol.answer import OrderError, OrderLine
from ..protocol.batch import Batch, Lint, Severity, discount_lint, tracking_lint
from ..protocol.orderid import OrderId
from ..protocol.outcome import CONFIRMS, MOVES_ON, EntryOutcome, Outcome
from ..protocol.redact import contains_secret
from ..protocol.status import PENDING
from ..storage.store import (
    BatchMeta,
    BatchState,
    ClaimConflict,
    HeldBatch,
    Judged,
    Settled,
    Snapshot,
    Store,
    StoredEntry,
    Verdict,
    blocked_reason,
)
from .tally import ActionsView, Tally, has_text, locate, staging_key

if TYPE_CHECKING:  # only named: `stage` and `staged` work offline, without loading httpx
    from .answers import ReceiverAnswer

__all__ = [
    "Claim",
    "ClaimConflict",
    "Reconciliation",
    "StagingArea",
    "SubmitReport",
    "judge_answer",
    "judge_reconciliation",
]

T = TypeVar("T")
_ACTION_OF = attrgetter("action")  # of a StoredEntry, at C speed
_ID_OF, _REV_OF = attrgetter("id"), attrgetter("rev")  # of a StoredEntry
_ORDER_OF = attrgetter("order_id")  # of a StagedAction, at C speed
# A change to more entries than this recounts the tally when next asked instead of
# patching it entry by entry (about as costly, and a big change is rare).
SMALL_CHANGE = 1000
RESTAGE_REMARK = "re-staged by the operator: it may already have been applied once"
NOT_SENT = "not sent: "  # how the remark of an entry whose request never reached the receiver begins


def not_sent_remark(why: str) -> str:
    """The remark of an entry whose request never reached the receiver: ``not sent: why``."""
    return why if why.startswith(NOT_SENT) else NOT_SENT + why


def is_not_sent(remark: str) -> bool:
    return remark.startswith(NOT_SENT)


def secret_fields(action: StagedAction) -> list[str]:
    """The fields of ``action`` that hold the API password (as this process knows it).

    Entries are checked when they are made, but one staged by a process that did not know
    the password (``ccnow-tui stage`` runs without it) reaches the store unchecked: the
    process that sends checks again, so such an entry is never sent to the consumer."""
    return [name for name in TEXT_FIELDS if (text := getattr(action, name)) and contains_secret(text)]


def secret_message(action: StagedAction, names: Sequence[str]) -> str:
    """Why an entry may not be sent; never repeats the text (it holds the password)."""
    return (
        f"{action.order_id}: the {' and '.join(names)} of the {action.kind.value} entry contains the API "
        "password; it would be sent to the consumer: edit (e) or remove (d) it"
    )


@dataclass(frozen=True)
class Claim:
    """A batch claimed in the store: its id, what is sent, and N → entry id."""

    batch_id: str
    batch: Batch
    ids: dict[int, int]


@dataclass
class SubmitReport:
    """What :meth:`StagingArea.settle` did with one answer."""

    batch_id: str = ""
    applied: list[StagedAction] = field(default_factory=list)
    refused: list[tuple[StagedAction, str]] = field(default_factory=list)
    unknown: list[StagedAction] = field(default_factory=list)
    not_sent: list[tuple[StagedAction, str]] = field(default_factory=list)  # never reached the receiver


@dataclass
class Reconciliation:
    """What a query showed about an unknown batch, entry by entry."""

    batch_id: str
    verdicts: list[tuple[StagedAction, Verdict, str, str]] = field(default_factory=list)  # entry, verdict, status, why

    def of(self, verdict: Verdict) -> list[tuple[StagedAction, str, str]]:
        return [(e, s, w) for e, v, s, w in self.verdicts if v is verdict]

    def summary(self) -> str:
        counts = Counter(v for _, v, _, _ in self.verdicts)
        return ", ".join(f"{counts[v]} {v.value}" for v in Verdict)


def judge_reconciliation(
    entries: Sequence[StoredEntry], statuses: Mapping[OrderId, str]
) -> list[tuple[StoredEntry, Verdict, str, str]]:
    """What each entry of an unknown batch evidently did, judged by its order's status now.

    A status proves a ship (``mark_shipped``, later ``completed``/``refunded``) or a cancel
    (``mark_canceled``, ``canceled``), and ``pending`` proves neither happened: the ship
    or cancel is staged again. No status proves or disproves an adjust or a track (the
    order stays pending either way): on a still-pending order they are held as
    unverified, for the operator to decide; on an order that moved on they cannot be
    sent again anyway. Entries on an order that is in any other state are not re-staged.
    """
    groups: dict[OrderId, list[StoredEntry]] = defaultdict(list)
    for e in entries:
        groups[e.order_id].append(e)
    out = []
    for oid, group in groups.items():
        status = statuses[oid]
        for e in group:
            kind = e.action.kind
            if kind is ActionKind.QUERY:
                out.append((e, Verdict.TOOK_EFFECT, status, "answered"))
            elif kind in MOVES_ON:
                if status in CONFIRMS[kind]:
                    out.append((e, Verdict.TOOK_EFFECT, status, f"now {status}"))
                elif status == PENDING:
                    why = f"reconciled: still pending, so the {kind.value} did not happen"
                    out.append((e, Verdict.RESTAGED, status, why))
                else:
                    why = f"the order is now {status}; it cannot be applied any more"
                    out.append((e, Verdict.NOT_RESTAGED, status, why))
            elif status == PENDING:
                out.append(
                    (
                        e,
                        Verdict.UNVERIFIED,
                        status,
                        f"still pending; a status cannot show whether this {kind.value} took effect"
                        + (" (the discount may already have been given)" if kind is ActionKind.ADJUST else "")
                        + ": re-stage it only after checking",
                    )
                )
            else:
                maybe = " (refunded: a discount was recorded, possibly this one)" if status == "refunded" else ""
                out.append(
                    (
                        e,
                        Verdict.NOT_RESTAGED,
                        status,
                        f"unverified: the order is now {status}{maybe}; it cannot be sent again",
                    )
                )
    return out


def judge_answer(claim: Claim, answer: ReceiverAnswer) -> tuple[list[Settled], list[str], SubmitReport]:
    """Each claimed entry's outcome, as the store records it; the answer's other lines."""
    report = SubmitReport(claim.batch_id)
    raw: dict[OrderId, str] = {}
    other: list[str] = []
    for rec in answer.records:
        if isinstance(rec, (OrderLine, OrderError)):
            raw.setdefault(rec.order_id, rec.raw)
        else:
            other.append(rec.raw)
    settled: list[Settled] = []
    if answer.entries:
        for r in answer.entries:
            settled.append(Settled(claim.ids[r.n], r.outcome.value, r.status, r.message, raw.get(r.entry.order_id, "")))
            if r.outcome is EntryOutcome.APPLIED:
                report.applied.append(r.entry)
            elif r.outcome is EntryOutcome.REFUSED:
                report.refused.append((r.entry, r.message))
            elif r.outcome is EntryOutcome.NOT_SENT:
                report.not_sent.append((r.entry, r.message))
            else:
                report.unknown.append(r.entry)
    else:  # nothing judged per entry: unknown stays unknown; unreachable/refused: nothing happened
        verdict = {Outcome.UNKNOWN: EntryOutcome.UNKNOWN, Outcome.UNREACHABLE: EntryOutcome.NOT_SENT}.get(
            answer.outcome, EntryOutcome.REFUSED
        )
        # Not sent: the request never reached the receiver, so it refused nothing; the
        # entry is staged again saying so, with the reason.
        message = not_sent_remark(answer.message) if verdict is EntryOutcome.NOT_SENT else answer.message
        for n, e in claim.batch.numbered():
            settled.append(Settled(claim.ids[n], verdict.value, "", message))
            if verdict is EntryOutcome.UNKNOWN:
                report.unknown.append(e)
            elif verdict is EntryOutcome.NOT_SENT:
                report.not_sent.append((e, message))
            else:
                report.refused.append((e, answer.message))
    return settled, other, report


class StagingArea:
    """The store's live entries, mirrored for the views, and the operator's changes.

    ``entries`` are the staged ones in staging order; ``held`` the batches in flight or
    of unknown outcome (nobody may edit, remove or send their entries); ``unverified``
    the entries a reconcile could not prove or disprove.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.version = 0  # bumped on every change, for cheap caching by views
        self.error: str | None = None  # the last store failure, for the log
        self.listener: Callable[[StagingArea], None] | None = None
        self.notices: list[str] = list(store.notices)  # what opening or polling found, for the log
        # The profile's max_discount: a discount above it is a lint warning (None: no limit).
        self.max_discount: Decimal | None = None
        self.last_undo_skipped = 0  # entries the last undo left alone (sent or changed since)
        self._staged: list[StoredEntry] = []
        self.held: list[HeldBatch] = []
        self.unverified: list[StoredEntry] = []
        self._reset_caches()
        self._load(self.store.snapshot())

    # -- reading ---------------------------------------------------------------------------

    @property
    def staged(self) -> list[StoredEntry]:
        return self._staged

    @property
    def entries(self) -> tuple[StagedAction, ...]:
        # Cached until the next change: views read it per row.
        if self._entries_view is None:
            self._entries_view = tuple(map(_ACTION_OF, self._staged))
        return self._entries_view

    @property
    def actions(self) -> ActionsView:
        """The staged actions by position, read live (no copy)."""
        return ActionsView(self._staged)

    @property
    def tally(self) -> Tally:
        """Counts, totals and findings of the staged entries, patched by small changes."""
        if self._tally is None:
            self._tally = Tally(self._staged)
        return self._tally

    def send_order(self) -> Sequence[int]:
        """Staged positions in sending order (as the batch numbers them)."""
        return self.tally.send_order()

    def index_of(self, entry: StoredEntry) -> int | None:
        """Where ``entry`` stands now, if it is still staged as it was (same revision)."""
        i = locate(self._staged, entry)
        return i if i is not None and self._staged[i].rev == entry.rev else None

    def remark_at(self, index: int) -> str:
        return self._staged[index].remark if 0 <= index < len(self._staged) else ""

    @property
    def unknown_batches(self) -> list[HeldBatch]:
        return [b for b in self.held if b.state is BatchState.UNKNOWN]

    def __len__(self) -> int:
        return len(self._staged)

    @property
    def is_empty(self) -> bool:
        return not self._staged and not self.held and not self.unverified

    @property
    def can_undo(self) -> bool:
        return self.store.can_undo()

    def batch(self) -> Batch:
        """The staged entries as a batch (the same object until the next change)."""
        if self._batch is None:
            self._batch = Batch(self.entries)
        return self._batch

    def blocked(self) -> dict[OrderId, str]:
        """Orders that may not be sent now, and why (held by a batch, or unverified)."""
        return {oid: self._blocked_reason(oid) for oid in self._blocking()}

    def _blocking(self) -> dict[OrderId, tuple[str, str, str, int | None, str]]:
        """Per blocked order, what its reason is made of. Worded only when asked: a batch in
        flight may be of the stress size (docs/scale.md), and the lint needs the words for a few."""
        if self._blocked is None:
            out: dict[OrderId, tuple[str, str, str, int | None, str]] = {}
            for b in self.held:
                pid = b.pid if not b.mine else None
                for e in b.entries:
                    if e.order_id not in out:
                        out[e.order_id] = (e.state.value, b.batch_id, e.action.kind.value, pid, b.hostname)
            for e in self.unverified:
                out.setdefault(e.order_id, ("unverified", e.batch_id or "?", e.action.kind.value, None, ""))
            self._blocked = out
        return self._blocked

    def _blocked_reason(self, oid: OrderId) -> str:
        state, batch_id, action, pid, hostname = self._blocking()[oid]
        return blocked_reason(oid, state, batch_id, action, pid, hostname)

    def lint(
        self,
        known_status: Mapping[OrderId, str] | None = None,
        status_version: int | None = None,
        learnt: Mapping[OrderId, str] | None = None,
    ) -> list[Lint]:
        """The batch's own findings, plus the store's: staged entries on orders that are
        held or unverified cannot be sent, and every unverified entry is named.

        ``status_version`` names the state of ``known_status`` (the order book bumps it
        with every status): with it, a small change is linted for what it touched."""
        tally = self.tally
        out = tally.lint(known_status, status_version, learnt) if self._staged else []
        out.extend(self._value_lint())
        for e in sorted(tally.texted.values(), key=staging_key):
            action = e.action
            names = secret_fields(action)
            if names:
                out.append(Lint(Severity.ERROR, secret_message(action, names), action.order_id, (tally.position(e),)))
        blocking = self._blocking() if self._staged else {}
        if blocking:
            for oid in sorted((oid for oid in blocking if oid in tally.count), key=tally.first_key):
                out.append(Lint(Severity.ERROR, self._blocked_reason(oid), oid, tuple(tally.positions(oid))))
        for e in self.unverified:
            out.append(
                Lint(
                    Severity.WARNING,
                    f"unverified: {e.action.describe()} (batch {e.batch_id}) may already "
                    "have been applied; it is not sent unless you re-stage it",
                    e.order_id,
                )
            )
        return out

    def split_repeats(self, actions: Sequence[StagedAction]) -> tuple[list[StagedAction], list[StagedAction]]:
        """``actions`` as ``(new, repeats)``: a repeat is identical (order, action and every
        field) to an entry staged already, or to one earlier in ``actions``; staging it
        again would send the same thing twice. Two different adjusts are not repeats."""
        count = self.tally.count if self._staged else {}
        distinct = len(set(map(_ORDER_OF, actions))) == len(actions)  # at C speed: staging a whole list
        if distinct and not any(map(count.__contains__, map(_ORDER_OF, actions))):
            return list(actions), []
        new: list[StagedAction] = []
        repeats: list[StagedAction] = []
        seen: set[StagedAction] = set()
        for a in actions:
            if a in seen or (a.order_id in count and any(e.action == a for e in self.tally.entries_of(a.order_id))):
                repeats.append(a)
            else:
                seen.add(a)
                new.append(a)
        return new, repeats

    def _value_lint(self) -> list[Lint]:
        """Values worth a second look: one tracking number on several orders, a discount
        above max_discount. Counted once per change (only kinds that are staged at all)."""
        key = (self.version, self.max_discount)
        if self._values is not None and self._values[0] == key:
            return self._values[1]
        kinds = self.tally.kinds if self._staged else {}
        out: list[Lint] = []
        if ActionKind.TRACK.value in kinds:
            out += tracking_lint(self.actions)
        if self.max_discount is not None and ActionKind.ADJUST.value in kinds:
            out += discount_lint(self.actions, self.max_discount)
        self._values = (key, out)
        return out

    def indexes_for(self, order_id: OrderId) -> list[int]:
        """Staged positions of one order's entries."""
        return self.tally.positions(order_id)

    def summary_for(self, order_id: OrderId) -> str:
        """``ship+track`` style: what is staged for one order, for a table cell."""
        kinds = Counter(e.action.kind.value for e in self.tally.entries_of(order_id))
        return "+".join(k if n == 1 else f"{k}×{n}" for k, n in kinds.items())

    def held_orders(self) -> dict[OrderId, str]:
        """Orders with entries in flight, of unknown outcome, or unverified: a word for each."""
        if self._held_words is None:
            words: dict[OrderId, str] = {}
            for b in self.held:
                word = "SENDING" if b.state is BatchState.SENDING else "UNKNOWN"
                for e in b.entries:
                    words.setdefault(e.order_id, word)
            for e in self.unverified:
                words.setdefault(e.order_id, "UNVERIFIED")
            self._held_words = words
        return self._held_words

    # -- operator changes (undoable) -------------------------------------------------------

    def add(self, actions: Iterable[StagedAction], *, remark: str = "") -> int:
        new = list(actions)
        if not new:
            return 0
        added = self._guard(lambda: self.store.add(new, remark=remark))
        if not added:
            return 0
        staged = self._staged
        if not staged or staging_key(staged[-1]) < staging_key(added[0]):
            staged.extend(added)  # at the end, in order, all staged: as the store adds them
            self._changed(removed=(), added=added)
        else:
            self._patch(add=added)
        return len(added)

    def remove(self, indexes: Iterable[int]) -> list[StagedAction]:
        ids = [self._staged[i].id for i in sorted(set(indexes)) if 0 <= i < len(self._staged)]
        if not ids:
            return []
        removed = self._guard(lambda: self.store.remove(ids)) or []
        self._patch(remove=removed)
        return [e.action for e in removed]

    def replace(self, index: int, action: StagedAction) -> bool:
        if not 0 <= index < len(self._staged):
            raise IndexError(index)
        old = self._staged[index]
        if old.action == action:
            return True
        new = self._guard(lambda: self.store.replace(old.id, action))
        if new is None:
            self.sync()  # sent or removed by another process meanwhile
            return False
        self._staged[index] = new
        self._changed(removed=[old], added=[new])
        return True

    def restage(self, entry_ids: Iterable[int]) -> list[StagedAction]:
        """Unverified entries the operator chose to send again, told they may have happened."""
        restaged = self._guard(lambda: self.store.restage(list(entry_ids), RESTAGE_REMARK)) or []
        self._patch(remove=restaged, add=restaged)
        return [e.action for e in restaged]

    def forget_unknown(self, batch_id: str) -> HeldBatch | None:
        """Forget an unknown batch the operator has checked by other means (undoable)."""
        batch = next((b for b in self.held if b.batch_id == batch_id and b.state is BatchState.UNKNOWN), None)
        if batch is None or not self._guard(lambda: self.store.forget(batch_id=batch_id)):
            return None
        self.sync(force=True)
        return batch

    def forget_unverified(self, entry_ids: Iterable[int]) -> list[StagedAction]:
        forgotten = self._guard(lambda: self.store.forget(ids=list(entry_ids))) or []
        self._patch(remove=forgotten)
        return [e.action for e in forgotten]

    def undo(self) -> bool:
        result = self._guard(self.store.undo)
        if result is None:
            return False
        if result.held_changed:
            self.sync(force=True)
        else:
            touched = self.store.entries_by_id(result.touched) if result.touched else []
            ids = set(result.touched) | set(result.removed or ())
            # Undo names entries by id; find the ones this view holds (one pass, no copy).
            mine = [e for e in self._staged if e.id in ids] + [e for e in self.unverified if e.id in ids]
            self._patch(remove=mine, add=touched)
        self.last_undo_skipped = result.skipped
        return True

    # -- sending ---------------------------------------------------------------------------

    def claim(self, batch: Batch, meta: BatchMeta) -> Claim:
        """Claim the staged ``batch`` in the store before sending it (raises ClaimConflict).

        ``batch`` must be this area's current batch: its entries are sent as the operator
        saw them, or not at all.
        """
        numbered = self.numbered_for(batch)
        try:
            return self.claim_numbered(batch, numbered, meta)
        finally:
            self.sync(force=True)

    def numbered_for(self, batch: Batch) -> list[tuple[int, int, int, StagedAction]]:
        """``(N, entry id, rev, action)`` of the staged ``batch``, as the store claims it."""
        if batch is not self._batch and batch != self.batch():
            raise ClaimConflict("the staged entries changed meanwhile; nothing was sent: review and send again")
        # Zipped at C speed: at the stress size (docs/scale.md) this runs on the UI's loop
        # when y sends, before the claim goes to a worker thread.
        entries = list(map(self._staged.__getitem__, batch.send_order))
        numbers = range(1, len(entries) + 1)
        return list(zip(numbers, map(_ID_OF, entries), map(_REV_OF, entries), map(_ACTION_OF, entries), strict=True))

    def claim_numbered(
        self, batch: Batch, numbered: list[tuple[int, int, int, StagedAction]], meta: BatchMeta
    ) -> Claim:
        """The store part of :meth:`claim`; touches nothing of this view, so a worker thread
        may run it for a big batch (call :meth:`show` with a snapshot afterwards).

        Raises ClaimConflict, nothing claimed, if an entry holds the API password (staged
        by a process that did not know it): the last check before it would be sent."""
        leaks = [secret_message(a, names) for _, _, _, a in numbered if has_text(a) and (names := secret_fields(a))]
        if leaks:
            raise ClaimConflict("nothing was sent: " + "; ".join(leaks))
        batch_id = self.store.claim(numbered, meta)
        return Claim(batch_id, batch, {n: entry_id for n, entry_id, _, _ in numbered})

    def settle(self, claim: Claim, answer: ReceiverAnswer, *, reload: bool = True) -> SubmitReport:
        """Record the answer to a claimed batch and move its entries on.

        With ``reload=False`` this view is left alone and a store failure raises, so a
        worker thread may run it for a big batch (then :meth:`show` a snapshot).
        """
        settled, other, report = judge_answer(claim, answer)

        def record() -> None:
            self.store.settle(
                claim.batch_id,
                settled,
                outcome=answer.outcome.value,
                message=answer.message,
                other_lines=other,
                detail=answer.detail,
            )

        if not reload:
            record()
            return report
        self._guard(record)
        self.sync(force=True)
        return report

    def show(self, snapshot: Snapshot) -> None:
        """Mirror a snapshot read elsewhere (a worker thread, for a big batch)."""
        self._load(snapshot)
        self._changed()

    def mark_unknown(self, batch_id: str, reason: str) -> bool:
        """A claimed batch whose answer will never be read (quit, interrupted)."""
        done = bool(self._guard(lambda: self.store.mark_unknown(batch_id, reason)))
        self.sync(force=True)
        return done

    def reconcile(
        self, batch_id: str, statuses: Mapping[OrderId, str], answer_lines: Sequence[str] = ()
    ) -> Reconciliation | None:
        """Settle an unknown batch by its orders' statuses now. None, and nothing changes,
        when a status is missing or the batch was settled meanwhile."""
        batch = next((b for b in self.held if b.batch_id == batch_id and b.state is BatchState.UNKNOWN), None)
        if batch is None or any(e.order_id not in statuses for e in batch.entries):
            return None
        judged = judge_reconciliation(batch.entries, statuses)
        rec = Reconciliation(batch_id, [(e.action, v, s, w) for e, v, s, w in judged])
        done = self._guard(
            lambda: self.store.reconcile(
                batch_id,
                [Judged(e.id, v, s, w) for e, v, s, w in judged],
                summary=rec.summary(),
                answer_lines=answer_lines,
            )
        )
        self.sync(force=True)
        return rec if done else None

    # -- keeping up with the store ---------------------------------------------------------

    def poll(self) -> bool:
        """Pick up what other processes changed (and batches whose sender is gone).

        Cheap when nothing changed: one pragma read. True when the view changed.
        """
        try:
            changed = self.store.changed_elsewhere()
            if any(b.state is BatchState.SENDING and not b.mine for b in self.held):
                notes = self.store.recover()
                if notes:
                    self.notices.extend(notes)
                    changed = True
        except Exception as exc:  # sqlite3.Error, OSError: keep the view, say why
            self.error = f"the store {self.store.path} could not be read: {exc}"
            if self.listener is not None:
                self.listener(self)
            return False
        if changed:
            self.sync(force=True)
        return changed

    def sync(self, force: bool = False) -> None:
        """Reload the whole view from the store."""
        try:
            snap = self.store.snapshot()
        except Exception as exc:  # sqlite3.Error, OSError
            self.error = f"the store {self.store.path} could not be read: {exc}"
            return
        self._load(snap)
        self._changed()

    # -- internals -------------------------------------------------------------------------

    def _load(self, snap: Snapshot) -> None:
        self._staged = snap.staged
        self._tally = None  # a new list: counted anew when asked
        self.held = snap.held
        self.unverified = snap.unverified

    def _patch(self, *, remove: Sequence[StoredEntry] = (), add: Sequence[StoredEntry] = ()) -> None:
        """Mirror a change to a few entries without reloading all of them.

        ``remove``: entries as the store had them before the change (found here by their
        place in the staging order); ``add``: as it has them now. The staged list is
        changed in place: the tally reads it."""
        if any(e.state.value in ("sending", "unknown") for e in add):
            self.sync(force=True)
            return
        staged = self._staged
        gone: list[StoredEntry] = []
        if remove:
            ids = {e.id for e in remove}
            if len(remove) <= SMALL_CHANGE:
                for e in remove:
                    i = locate(staged, e)
                    if i is not None:
                        gone.append(staged.pop(i))
            else:
                gone = [e for e in staged if e.id in ids]
                staged[:] = [e for e in staged if e.id not in ids]
            if self.unverified:
                self.unverified = [e for e in self.unverified if e.id not in ids]
        new = [e for e in add if e.state.value == "staged"]
        if new:
            new.sort(key=staging_key)
            if not staged or staging_key(staged[-1]) < staging_key(new[0]):
                staged.extend(new)  # staged at the end: the usual case
            elif len(new) <= SMALL_CHANGE:
                for e in new:
                    staged.insert(bisect_left(staged, staging_key(e), key=staging_key), e)
            else:
                staged.extend(new)
                staged.sort(key=staging_key)
        unverified = [e for e in add if e.state.value == "unverified"]
        if unverified:
            self.unverified = sorted([*self.unverified, *unverified], key=staging_key)
        self._changed(removed=gone, added=new)

    def _guard(self, op: Callable[[], T]) -> T | None:
        """Run a store operation; a failure is kept in ``error`` (nothing half-done: each
        operation is one transaction) and the view is reloaded."""
        try:
            result = op()
        except ClaimConflict:
            raise
        except Exception as exc:  # sqlite3.Error, OSError: the store says why
            self.error = f"the change was not saved in {self.store.path}: {exc}"
            if self.listener is not None:
                self.listener(self)
            return None
        self.error = None
        return result

    # Views of the staged entries, each built when first asked for after a change.
    _entries_view: tuple[StagedAction, ...] | None
    _batch: Batch | None
    _blocked: dict[OrderId, tuple[str, str, str, int | None, str]] | None
    _held_words: dict[OrderId, str] | None
    _tally: Tally | None = None
    _values: tuple[tuple[int, Decimal | None], list[Lint]] | None = None

    def _reset_caches(self) -> None:
        self._entries_view = None
        self._batch = None
        self._blocked = None
        self._held_words = None

    def _changed(
        self, *, removed: Sequence[StoredEntry] | None = None, added: Sequence[StoredEntry] | None = None
    ) -> None:
        """After any change: views are built again when asked; the tally follows a small
        change of the staged list, named by ``removed`` and ``added``, or is counted anew."""
        self.version += 1
        self._reset_caches()
        tally = self._tally
        small = removed is not None and added is not None and len(removed) + len(added) <= SMALL_CHANGE
        if tally is not None and small and tally.staged is self._staged:
            tally.patch(removed or (), added or ())
        else:
            self._tally = None
        if self.listener is not None:
            self.listener(self)
