"""What records and answers mean for the session's model, and how the log words them.

The app's workers fetch; this controller, in the style of a presenter, applies what
they bring to the model objects (the OrderBook, the StagingArea and its store, the
LogBuffer) and says what changed: an :class:`Update` with the topics to publish, the
notices to show and whether to ask for the password again. It imports no textual, so
it is tested without a running app (tests/test_controller.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, is_

from ..client import OFF_LOOP_ENTRIES, Retrying
from ..domain.answers import ReceiverAnswer
from ..domain.staging import SMALL_CHANGE, Claim, StagingArea, SubmitReport, judge_answer
from ..gcpause import collector_paused
from ..protocol.actions import ActionKind, StagedAction
from ..protocol.answer import LONG_REASON, ErrorMessage, MessageLine, OrderError, OrderLine, Record, Unparsed
from ..protocol.batch import Severity
from ..protocol.orderid import OrderId
from ..protocol.outcome import MOVES_ON, EntryOutcome, EntryResult, Outcome, judge_line, proves_nothing
from ..protocol.redact import redact, safe_text
from ..protocol.status import status_info
from ..storage.store import RECONCILE_IT, Snapshot, Verdict
from ..words import counted, named_orders
from .model import OUTCOME_KIND, LogBuffer, LogKind, OrderBook, Topic
from .request import Request, RequestKind

_ORDER_OF, _KIND_OF = attrgetter("order_id"), attrgetter("kind")  # of a StagedAction (or a line), at C speed
_OUTCOME_OF = attrgetter("outcome")  # of an EntryResult


@dataclass(frozen=True, slots=True)
class Notice:
    """A toast: textual's severities (information, warning, error); timeout None: the default."""

    text: str
    title: str = ""
    severity: str = "information"
    timeout: float | None = None
    batch_id: str = ""  # about this unknown batch: withdrawn once it is reconciled or forgotten


@dataclass
class Update:
    """What one step changed: topics to publish (in order), notices, a password to ask again."""

    topics: list[Topic] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ask_password: str = ""  # the receiver refused the typed password: its words

    def touch(self, *topics: Topic) -> Update:
        for topic in topics:
            if topic not in self.topics:
                self.topics.append(topic)
        return self

    def notify(
        self,
        text: str,
        *,
        title: str = "",
        severity: str = "information",
        timeout: float | None = None,
        batch_id: str = "",
    ) -> Update:
        self.notices.append(Notice(text, title, severity, timeout, batch_id))
        return self


UNKNOWN_TOAST_SECONDS = 30.0  # a toast about an unknown batch (withdrawn once it is settled)


def batch_label(outcome: Outcome) -> str:
    return f"batch {outcome.batch_sentence}"


VERDICT_KIND = {
    Verdict.TOOK_EFFECT: LogKind.APPLIED,
    Verdict.RESTAGED: LogKind.INFO,
    Verdict.UNVERIFIED: LogKind.UNVERIFIED,
    Verdict.NOT_RESTAGED: LogKind.ERROR,
}


def verdict_line(entry: StagedAction, verdict: Verdict, why: str) -> tuple[LogKind, str]:
    """How the log says what reconciling decided for one entry. Nothing here was refused by
    the receiver (a reconcile only reads statuses): an adjust or a track that a status
    cannot prove is unverified, whether or not it can still be sent."""
    proves = entry.kind in MOVES_ON or entry.kind is ActionKind.QUERY
    if verdict is Verdict.NOT_RESTAGED and not proves:
        return LogKind.UNVERIFIED, f"{entry.order_id} {entry.kind.value}: unverified, not re-staged ({why})"
    if verdict is Verdict.NOT_RESTAGED:
        return LogKind.ERROR, f"{entry.order_id} {entry.kind.value}: did not happen, not re-staged ({why})"
    return VERDICT_KIND[verdict], f"{entry.order_id} {entry.kind.value}: {verdict.value} ({why})"


# The keys the log's hints name, by binding id, as shipped. The app passes the keys in
# effect ([keys] in config.toml may remap them); tests/tui/test_keymap.py checks these
# against the bindings.
SHIPPED_KEYS: Mapping[str, str] = {"nav.composer": "b", "composer.reconcile": "R", "staging.undo": "u"}


class SessionController:
    """One session's book, staging area and log; ``password_typed``: asked at start-up
    (a refused one is asked for again rather than left to fail every request)."""

    def __init__(
        self,
        book: OrderBook,
        staging: StagingArea,
        log: LogBuffer,
        *,
        password_typed: bool = False,
        keys: Mapping[str, str] = SHIPPED_KEYS,
    ) -> None:
        self.book = book
        self.keys = {**SHIPPED_KEYS, **keys}
        self.staging = staging
        self.log = log
        self.password_typed = password_typed
        self._last_list = ""  # the last pending list's summary, as logged

    @property
    def reconcile_hint(self) -> str:
        """How an unknown batch is reconciled, in the keys in effect: ``b, then R``."""
        return f"{self.keys['nav.composer']}, then {self.keys['composer.reconcile']}"

    def write(self, kind: LogKind, text: str) -> None:
        """One log line; network text may echo anything, so it is redacted."""
        self.log.write(kind, redact(text))

    # -- start-up and the store -----------------------------------------------------------

    def started(self, notice: str = "") -> Update:
        """The session is open: the launch notice, what the store found, what it restored."""
        update, before = Update(), self.log.total
        if notice:
            self.write(LogKind.INFO, notice)
        self._store_notices(update)
        staging = self.staging
        # What other windows and scripts learnt before this window opened the store: a ship
        # staged here for an order shipped elsewhere last night is an error from the start.
        if self.learn_from_journal():
            update.touch(Topic.STATUS)
        if len(staging) or staging.held or staging.unverified:
            self.write(
                LogKind.INFO,
                f"restored from {staging.store.path}: "
                f"{counted(len(staging.entries), 'staged entry', 'staged entries')}, "
                f"{counted(len(staging.unknown_batches), 'batch', 'batches')} with unknown outcome, "
                f"{counted(len(staging.unverified), 'unverified entry', 'unverified entries')}",
            )
        return update.touch(Topic.LOG) if self.log.total != before else update

    def _store_notices(self, update: Update) -> None:
        for note in self.staging.notices:
            kind = LogKind.UNKNOWN if "UNKNOWN" in note else LogKind.INFO
            if note.endswith(RECONCILE_IT):  # the store says what to do; the keys are ours to name
                note = f"{note} ({self.reconcile_hint})"
            self.write(kind, note)
            update.touch(Topic.LOG)
            if kind is LogKind.UNKNOWN:
                about = note.split(" ", 2)[1] if note.startswith("batch ") else ""
                update.notify(
                    note, title="Outcome unknown", severity="error", timeout=UNKNOWN_TOAST_SECONDS, batch_id=about
                )
        self.staging.notices.clear()

    def poll(self) -> Update | None:
        """Another window's or a script's changes to the store, if any."""
        if not self.staging.poll():
            return None
        self.book.events.invalidate()
        update = Update()
        self._store_notices(update)
        if self.learn_from_journal():
            update.touch(Topic.STATUS)
        return update.touch(Topic.EVENTS)

    def learn_from_journal(self, limit: int = OFF_LOOP_ENTRIES) -> bool:
        """Statuses another window or script learnt for the orders staged here (their
        batches' answers, in the shared journal), newer than what this window knows: a
        ship staged here for an order another window shipped is then a lint error. Only
        for up to ``limit`` staged orders (one bulk query); True when one was learnt."""
        staging, book = self.staging, self.book
        if not len(staging):
            return False
        orders = list(staging.tally.count)
        if len(orders) > limit:
            return False
        book.events.fill(orders)
        learnt: dict[tuple[float, str], dict[OrderId, str]] = {}
        for oid in orders:
            item = book.events.get(oid)
            status = next((r["status"] for r in reversed(item.results) if r.get("status")), "") if item else ""
            if not item or not status:
                continue
            when = journal_epoch(item.time)
            if when is None or when <= book.checked.get(oid, 0.0) or book.status.get(oid) == status:
                continue
            learnt.setdefault((when, item.batch_id), {})[oid] = status
        for (when, batch_id), statuses in learnt.items():
            book.learn(statuses, f"batch {batch_id} in the shared store", when)
        return bool(learnt)

    def staging_changed(self) -> Update:
        update = Update()
        if self.staging.error:
            self.write(LogKind.ERROR, self.staging.error)
            self.staging.error = None
            update.touch(Topic.LOG)
        return update.touch(Topic.STAGING)

    def journal_changed(self, order_ids: Iterable[OrderId] | None = None) -> Update:
        """New journal lines (a batch answered, reconciled): the "last sent" cells of
        ``order_ids`` (None: of all) redraw. Naming them keeps a queue sorted by last sent
        from looking up every order again after every batch (at the stress size, see docs/scale.md)."""
        self.book.events.invalidate(order_ids)
        return Update().touch(Topic.EVENTS)

    # -- what the operator does -----------------------------------------------------------

    def _without_repeats(self, actions: list[StagedAction], update: Update) -> list[StagedAction]:
        """``actions`` less those identical to an entry staged already: they are not staged
        again, and the log and a toast say so, naming them."""
        new, repeats = self.staging.split_repeats(actions)
        if repeats:
            named = ", ".join(a.describe() for a in repeats[:3])
            more = f" and {len(repeats) - 3} more" if len(repeats) > 3 else ""
            what = counted(len(repeats), "entry", "entries")
            text = (
                f"not staged again: {what} identical to one already staged ({named}{more}); "
                "edit the staged one (b, e) to change it"
            )
            self.write(LogKind.INFO, text)
            update.touch(Topic.LOG).notify(redact(text), title="Already staged", severity="warning")
        return new

    def _add(self, actions: list[StagedAction]) -> None:
        # A whole list staged makes two long-lived records per entry: with the collector
        # running, each collection would scan them again as they come (staging ship at
        # the stress size in tests/benchmarks/tui_scale.py, docs/scale.md).
        if len(actions) < SMALL_CHANGE:
            self.staging.add(actions)
            return
        with collector_paused():
            self.staging.add(actions)
            # The tally, counted anew after a big change, is read by the queue's next frame
            # anyway: counted here, its few containers as big as the list are frozen with
            # the entries, and no collection walks them again (left to the first frame,
            # each young collection did, ~25 ms at the stress size when the composer opened).
            self.staging.tally.count  # noqa: B018

    def stage(self, actions: list[StagedAction]) -> Update:
        if not actions:
            return Update()
        update = Update()
        actions = self._without_repeats(actions, update)
        if not actions:
            return update
        self._add(actions)
        # Sets made at C speed: staging ship at the stress size (docs/scale.md) is one keystroke.
        kinds = sorted(k.value for k in set(map(_KIND_OF, actions)))
        orders = list(dict.fromkeys(map(_ORDER_OF, actions)))  # as staged, each once
        # Named (all up to a few, then the first ones and a count): the words match the rows.
        named = named_orders(orders) if len(orders) == 1 else f"{len(orders)} orders: {named_orders(orders)}"
        self.write(
            LogKind.INFO,
            f"staged {'/'.join(kinds)} for {named} ({len(self.staging)} staged; {self.keys['nav.composer']} to review)",
        )
        return Update().touch(Topic.LOG)

    def imported(self, actions: list[StagedAction], name: str, accepted: int, rejected: int) -> Update:
        """A label file's accepted rows, staged in one change; the log says what became of the rest."""
        update = Update()
        actions = self._without_repeats(actions, update)
        if actions:
            self._add(actions)
        kinds = "/".join(sorted({a.kind.value for a in actions})) or "nothing"
        orders = len({a.order_id for a in actions})
        self.write(
            LogKind.INFO,
            f"imported {safe_text(name, 80)}: {kinds} staged for "
            f"{counted(orders, 'order', 'orders')} from {counted(accepted, 'row', 'rows')}, "
            f"{counted(rejected, 'row', 'rows')} rejected ({len(self.staging)} staged; "
            f"{self.keys['nav.composer']} to review, {self.keys['staging.undo']} undoes)",
        )
        return update.touch(Topic.LOG)

    def undo(self) -> Update:
        if not self.staging.undo():
            return Update().notify("Nothing to undo.")
        skipped = self.staging.last_undo_skipped
        left = f"; {skipped} left as they are (sent or changed since)" if skipped else ""
        self.write(LogKind.INFO, f"undone ({len(self.staging)} staged{left})")
        return Update().touch(Topic.LOG)

    def cannot_send(self, in_flight: bool) -> Notice | None:
        """Why ``S`` cannot send now, or None: it may ask."""
        if in_flight:
            return Notice("A batch is already in flight; wait for its answer.", severity="warning")
        if not len(self.staging):
            return Notice("Nothing is staged.", severity="warning")
        book = self.book  # an order the session learnt is not pending is an error: not sent
        errors = [
            lint
            for lint in self.staging.lint(book.status, book.status_version, book.learnt_words)
            if lint.severity is Severity.ERROR
        ]
        if errors:
            more = f"; … {len(errors) - 3} more (b)" if len(errors) > 3 else ""
            shown = "; ".join(e.message for e in errors[:3]) + more
            return Notice("Cannot send: " + shown, severity="error", timeout=8)
        return None

    def not_sent(self, why: str) -> Update:
        self.write(LogKind.ERROR, f"not sent: {why}")
        return Update().touch(Topic.LOG).notify(why, title="Not sent", severity="error", timeout=10)

    def sending(self, request: Request, host: str) -> Update:
        batch, claim = request.batch, request.claim
        assert batch is not None and claim is not None
        self.write(
            LogKind.INFO,
            f"sending {counted(len(batch), 'entry', 'entries')} for "
            f"{counted(len(batch.order_ids), 'order', 'orders')} to {host} "
            f"(batch {claim.batch_id})",
        )
        return Update().touch(Topic.LOG)

    def asking(self, request: Request, host: str) -> Update:
        """A query or reconcile is on its way."""
        self.write(
            LogKind.INFO,
            f"{request.kind.value}: asking {host} for {counted(len(request.order_ids), 'order', 'orders')}",
        )
        return Update().touch(Topic.LOG)

    def unknown_batch(self, batch_id: str) -> list[OrderId] | None:
        """The orders of an unknown batch, to query for reconciling; None: no such batch."""
        batch = next((b for b in self.staging.unknown_batches if b.batch_id == batch_id), None)
        return None if batch is None else [e.order_id for e in batch.entries]

    def interrupted(self, claim: Claim | None, reason: str = "the request was interrupted in flight") -> Update:
        """A batch whose answer will never come: kept as unknown, never re-sent."""
        update = Update()
        if claim is not None:
            self.staging.mark_unknown(claim.batch_id, reason)
            self.write(LogKind.UNKNOWN, f"batch interrupted: kept as unknown batch {claim.batch_id}; nothing re-sent")
            update.touch(Topic.LOG)
        return update.touch(Topic.FLIGHT)

    def exit_message(self) -> str:
        """What is kept for next time, said after the screen is restored ("" if nothing)."""
        staging = self.staging
        if staging.is_empty:
            return ""
        n, u, v = len(staging.entries), len(staging.unknown_batches), len(staging.unverified)
        kept = [counted(n, "staged entry", "staged entries")] if n else []
        unknown = f"{counted(u, 'batch', 'batches')} with unknown outcome (reconcile: {self.reconcile_hint})"
        kept += [unknown] if u else []
        kept += [counted(v, "unverified entry", "unverified entries")] if v else []
        return f"Kept in {staging.store.path}: {' and '.join(kept)}. It is restored next time."

    # -- records and answers --------------------------------------------------------------

    def is_stale(self, request: Request) -> bool:
        """A pending list superseded by a newer refresh (its messages may still be queued)."""
        return request.kind is RequestKind.PENDING and request.id != self.book.pending_request

    def pending_started(self, request: Request) -> Update:
        self.book.begin_pending(request.id)
        return Update().touch(Topic.ROWS)

    def pending_records(self, request: Request, orders: list[tuple[OrderId, str]], other: list[Record]) -> Update:
        if self.is_stale(request):
            return Update()
        self.book.add_pending(orders)
        for rec in other:
            self.record(request, rec)
        return Update().touch(Topic.ROWS, Topic.LOG)

    def answer_records(self, request: Request, records: list[Record]) -> Update:
        source = "the batch's answer" if request.kind is RequestKind.SUBMIT else "a query"
        self.book.learn({r.order_id: r.status for r in records if isinstance(r, OrderLine)}, source)
        self.book.learn_refusals({r.order_id: r.message for r in records if isinstance(r, OrderError)})
        for rec in records:
            self.record(request, rec)
        return Update().touch(Topic.STATUS, Topic.LOG)

    def retrying(self, request: Request, r: Retrying) -> Update:
        void = f"; its {counted(r.discarded, 'line is', 'lines are')} void" if r.discarded else ""
        self.write(
            LogKind.INFO,
            f"{request.kind.value}: attempt {r.attempt} failed ({r.reason}){void}; retrying in {r.delay:.1f} s",
        )
        update = Update().touch(Topic.LOG)
        if request.kind is RequestKind.PENDING and not self.is_stale(request):
            self.book.restart_pending()  # the retry sends the whole list again
            update.touch(Topic.ROWS)
        return update

    def pending_finished(self, request: Request, answer: ReceiverAnswer) -> Update:
        if self.is_stale(request):
            return Update()
        update = Update()
        if self.password_typed and answer.outcome is Outcome.REFUSED and "invalid login" in answer.message.lower():
            update.ask_password = answer.message
        self.book.finish_pending(answer.outcome is Outcome.OK, answer.message)
        # A timed refresh that found the same as the last one is not worth a log line.
        if not (request.automatic and answer.outcome is Outcome.OK and answer.message == self._last_list):
            self.write(read_kind(answer.outcome), f"pending list: {answer.message} ({answer.elapsed:.1f} s)")
            update.touch(Topic.LOG)
        self._last_list = answer.message if answer.outcome is Outcome.OK else ""
        return update.touch(Topic.ROWS)

    def query_finished(self, answer: ReceiverAnswer) -> Update:
        self.write(read_kind(answer.outcome), f"query: {answer.message} ({answer.elapsed:.1f} s)")
        return Update().touch(Topic.LOG, Topic.STATUS)

    def batch_finished(self, request: Request, answer: ReceiverAnswer) -> Update | None:
        """The answer to a batch: recorded in the store, and said. None: the batch is big
        (OFF_LOOP_ENTRIES), the caller records it off the loop (:meth:`settle_in_thread`)."""
        assert request.batch is not None and request.claim is not None
        if (
            answer.entries
            and proves_nothing(answer.entries[0])
            and any(isinstance(rec, (OrderLine, OrderError)) for rec in answer.records)
        ):
            # The order lines logged as they came were judged as if this were the protocol's answer.
            self.write(LogKind.UNKNOWN, f"the order lines above prove nothing about this batch: {answer.message}")
        # Entries the answer said nothing about were not logged as lines: log them now.
        answered = orders_answered(answer.records)
        for r in of_unknown_outcome(answer.entries):
            if not r.status and (r.entry.order_id not in answered or proves_nothing(r)):
                self.write(LogKind.UNKNOWN, f"{r.entry.order_id} {r.entry.kind.value}: {r.message}")
        if len(request.batch) >= OFF_LOOP_ENTRIES:
            return None
        return self.batch_settled(request, answer, self.staging.settle(request.claim, answer))

    def settle_in_thread(self, request: Request, answer: ReceiverAnswer) -> tuple[SubmitReport, Snapshot]:
        """Recording a stress-size batch's outcomes (docs/scale.md) takes a second: this runs on
        a worker thread (it writes no log line), and the caller shows the snapshot (``staging.show``) back
        on the loop, or on an exception calls :meth:`settle_failed`."""
        assert request.claim is not None
        with collector_paused():  # every outcome made at once: no collection scans them as they come
            return self.staging.settle(request.claim, answer, reload=False), self.staging.store.snapshot()

    def settle_failed(self, request: Request, answer: ReceiverAnswer, exc: Exception) -> SubmitReport:
        """The store could not record the answer: the batch stays held (never re-sent)."""
        claim = request.claim
        assert claim is not None
        self.write(
            LogKind.ERROR,
            f"the answer to batch {claim.batch_id} could not be recorded: {exc}; "
            "it stays held (never re-sent) and is unknown at the next start",
        )
        return judge_answer(claim, answer)[2]

    def batch_settled(self, request: Request, answer: ReceiverAnswer, report: SubmitReport) -> Update:
        label = batch_label(answer.outcome)
        self.write(OUTCOME_KIND[answer.outcome], f"{label}: {answer.message} ({answer.elapsed:.1f} s)")
        if report.unknown:
            self.write(
                LogKind.UNKNOWN,
                f"{counted(len(report.unknown), 'entry', 'entries')} kept as unknown batch {report.batch_id}: "
                f"nothing is re-sent; reconcile it in the composer ({self.reconcile_hint})",
            )
        if report.refused:
            stay = counted(len(report.refused), "refused entry stays", "refused entries stay")
            self.write(LogKind.INFO, f"{stay} staged with the receiver's words")
        if report.not_sent:
            stay = counted(len(report.not_sent), "entry stays", "entries stay")
            self.write(
                LogKind.INFO,
                f"{stay} staged, marked not sent (the receiver never got them); "
                "S sends them again when it can be reached",
            )
        severity = {"ok": "information", "unknown": "error"}.get(answer.outcome.value, "warning")
        hint = {
            Outcome.UNKNOWN: f" (kept, not re-sent: {self.reconcile_hint})",
            Outcome.SOME_REFUSED: " (refused ones stay staged)",
            Outcome.UNREACHABLE: f": {answer.message} (the entries stay staged)",
        }
        # A batch of unknown outcome: the toast stays up for long (the header keeps saying
        # UNKNOWN), and goes as soon as the batch is reconciled or forgotten.
        about = report.batch_id if answer.outcome is Outcome.UNKNOWN else ""
        update = (
            Update()
            .touch(Topic.LOG)
            .notify(
                label + hint.get(answer.outcome, ""),
                severity=severity,
                timeout=UNKNOWN_TOAST_SECONDS if about else None,
                batch_id=about,
            )
        )
        update.touch(Topic.FLIGHT)
        return update.touch(*self.journal_changed(request.order_ids).topics)

    def reconciled(self, request: Request, answer: ReceiverAnswer) -> Update:
        result = None
        if answer.outcome is Outcome.OK:
            result = self.staging.reconcile(request.unknown_batch_id, answer.statuses(), answer.raw_lines)
        if result is None:
            self.write(
                LogKind.ERROR,
                f"reconcile {request.unknown_batch_id}: {answer.message}; the batch stays unknown (nothing re-sent)",
            )
            return Update().touch(Topic.LOG)
        for entry, verdict, _status, why in result.verdicts:
            self.write(*verdict_line(entry, verdict, why))
        self.write(LogKind.INFO, f"reconciled {request.unknown_batch_id}: {result.summary()}")
        update = Update().touch(Topic.LOG)
        unverified = result.of(Verdict.UNVERIFIED)
        if unverified:
            update.notify(
                f"{counted(len(unverified), 'entry is', 'entries are')} unverified: a status cannot show "
                "whether a discount or tracking took effect. Check, then re-stage (r) or forget (d) "
                "them in the composer.",
                title="Unverified",
                severity="warning",
                timeout=12,
            )
        return update.touch(*self.journal_changed(request.order_ids).topics)

    def record(self, request: Request, rec: Record) -> None:
        """One answer line, as it was parsed, coloured by what it means for the entries.

        A batch's lines are judged as the batch's result judges them if the answer turns
        out to be the protocol's; when it does not, :meth:`batch_finished` says that the
        lines prove nothing and logs every entry as unknown."""
        submit = request.kind is RequestKind.SUBMIT
        if isinstance(rec, (OrderLine, OrderError)):
            mine = request.numbered_for(rec.order_id) if submit else []
            if mine:
                # An error line refuses an order's only entry and leaves several unknown
                # (a receiver may have applied some of them before the error).
                results = judge_line(mine, rec)
                kinds = "+".join(r.entry.kind.value for r in results)
                if isinstance(rec, OrderError):
                    refused = results[0].outcome is EntryOutcome.REFUSED
                    text = f"{rec.order_id} " + ("refused by the receiver: " if refused else f"{kinds} unknown: ")
                    self.write(worst(r.outcome for r in results), text + results[0].message)
                    return
                why = next((r.message for r in results if r.message), "")
                self.write(
                    worst(r.outcome for r in results),
                    f"{rec.order_id} {kinds} → {rec.status}" + (f" ({why})" if why else ""),
                )
                return
        if isinstance(rec, OrderLine):
            info = status_info(rec.status)
            kind = LogKind.INFO if info.known else LogKind.UNKNOWN
            self.write(kind, f"{rec.order_id} {rec.status} ({info.group.value})")
        elif isinstance(rec, OrderError):
            self.write(
                LogKind.UNKNOWN if submit else LogKind.REFUSED,
                f"{rec.order_id} "
                + ("(not in this batch) " if submit else "")
                + f"refused by the receiver: {rec.message}",
            )
        elif isinstance(rec, ErrorMessage):
            # For a batch, a refusal only if it turns out to be the whole answer: said at the end.
            self.write(LogKind.INFO if submit else LogKind.REFUSED, f"receiver: error_message {rec.text}")
        elif isinstance(rec, MessageLine):
            self.write(LogKind.INFO, f"receiver: message {rec.text}")
        elif isinstance(rec, Unparsed):
            # Masked before it is cut (a cut could split the password and hide it from the mask).
            shown = safe_text(rec.raw, 200, cut=rec.reason == LONG_REASON)
            self.write(LogKind.UNKNOWN, f"not understood ({rec.reason}): {shown}")


# The two walks below run on the UI's loop over every line and entry of an answer, at
# C speed: at the stress size (docs/scale.md) 26 ms together against 45 ms as
# comprehensions, in one stall while the send finishes (tui_scale.py's worst stall).


def orders_answered(records: Sequence[Record]) -> set[OrderId]:
    """The orders the answer has a line for (a status or a refusal)."""
    return set(map(_ORDER_OF, compress(records, map(isinstance, records, repeat((OrderLine, OrderError))))))


def of_unknown_outcome(entries: Sequence[EntryResult]) -> Iterator[EntryResult]:
    """The entries whose outcome is unknown, in their order."""
    return compress(entries, map(is_, map(_OUTCOME_OF, entries), repeat(EntryOutcome.UNKNOWN)))


def journal_epoch(value: object) -> float | None:
    """A journal timestamp (UTC ISO) as epoch seconds; None if it is not one."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def worst(outcomes: Iterable[EntryOutcome]) -> LogKind:
    seen = set(outcomes)
    if EntryOutcome.UNKNOWN in seen:
        return LogKind.UNKNOWN
    if EntryOutcome.REFUSED in seen:
        return LogKind.REFUSED
    return LogKind.APPLIED


def read_kind(outcome: Outcome) -> LogKind:
    """How a read-only answer is logged: a lost one changed nothing, so it is an error, not UNKNOWN."""
    if outcome is Outcome.OK:
        return LogKind.INFO
    return LogKind.ERROR if outcome is Outcome.UNKNOWN else OUTCOME_KIND[outcome]
