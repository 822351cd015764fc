"""The application: start-up, the session, the network workers, and the key map.

Workers do the network work and post typed messages (``messages.py``); the app applies
them to the model (the book, the staging area, the log) and publishes ``changed`` so the
screens redraw. Nothing sends a batch except :meth:`CcnowApp.send_batch`, reached only
from the confirmation dialog.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from pathlib import Path
from typing import Iterable

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from ..client import OFF_LOOP_ENTRIES, ClientConfigError, ReceiverClient
from ..config import ConnectionSettings
from ..protocol.actions import ActionKind, StagedAction
from ..protocol.answer import ErrorMessage, Message as MessageRecord, OrderError, OrderLine, Unparsed
from ..protocol.batch import Batch, Severity
from ..protocol.form import Credentials
from ..protocol.orderid import OrderId
from ..protocol.outcome import EntryOutcome, Outcome, judge_line
from ..protocol.redact import Secret, redact
from ..protocol.status import status_info
from ..staging import ClaimConflict, StagingArea, judge_answer
from ..storage.prefs import load_prefs, save_pref
from ..storage.store import Store, StoreError, Verdict
from .messages import (
    AnswerRecords, BatchProgress, PendingRecords, Request, RequestFinished, RequestKind, RetryNotice,
)
from .model import OUTCOME_KIND, LastEvents, LogBuffer, LogKind, counted
from .network import pump
from .widgets.field_input import FieldInput
from .session import Session


STORE_POLL_SECONDS = 0.5  # how soon another window's or a script's change shows


class CcnowApp(App[int]):
    """``settings`` None: show ``setup_message`` (how to configure) instead of a session."""

    CSS_PATH = "app.tcss"
    TITLE = "ccnow-tui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
    ]

    def __init__(
        self,
        settings: ConnectionSettings | None = None,
        *,
        setup_message: str = "",
        notice: str = "",
        refresh_every: float = 0.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.refresh_every = refresh_every  # seconds between automatic refreshes; 0: only on r
        self.setup_message = setup_message
        self.notice = notice  # shown in the log at start (e.g. "demo sandbox on ...")
        self.session: Session | None = None
        self.log_buffer = LogBuffer()
        self.changed: Signal[str] = Signal(self, "changed")
        self.log_visible = True  # the l key hides the log pane on every screen
        self.exit_message = ""  # printed by run_tui after the screen is restored
        self._password_typed = False  # asked for at start-up (so it can be asked again)
        self.key_time = 0.0
        self.held_keys: list[events.Key] = []  # read while a form was being built, in order
        self._last_list = ""  # the last pending list's summary, as logged

    # -- keys, in the order typed ----------------------------------------------------------
    #
    # Keys that arrive in one read (fast typing, or SSH delivering several at once) are
    # acted on here, one by one, each to the end before the next: a key that closes a form
    # or the filter has closed it before the key after it is looked at, so that key acts
    # on the screen underneath. Text fields take their keys here too (rather than from
    # their own message queue, later), so enter reads every character typed before it.
    # Keys read while a form is still being built wait for its fields (see typeahead.py).

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            for key in as_typed(event):
                if self.held_keys or _mounting_form(self):
                    self.held_keys.append(key)
                else:
                    await self._take_key(key)
            return
        await super().on_event(event)

    async def _take_key(self, event: events.Key) -> None:
        self.key_time = event.time  # when the key was read: see ConfirmScreen
        if event.key != "q" and self.screen.has_class("-too-small"):
            self.bell()  # nothing is shown to act on (BaseScreen._check_size); q still quits
            return
        focused = self.focused
        if isinstance(focused, FieldInput) and focused.takes(event):
            # Priority bindings first (enter and esc of a form, tab), then the field.
            if not await self._check_bindings(event.key, priority=True):
                await focused.take_key(event)
            return
        await super().on_event(event)

    def release_keys(self) -> None:
        """A form's fields are up: act on the keys held for it, in order (from the app's
        own message loop, so keys still arriving queue up behind them)."""
        self.call_next(self._release_one)

    async def _release_one(self) -> None:
        # One key per turn: a form it closes hands its result to the screen underneath
        # (a callback queued for after this turn) before the next key acts there.
        if self.held_keys and not _mounting_form(self):
            await self._take_key(self.held_keys.pop(0))
            if self.held_keys:
                self.call_next(self._release_one)

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        from .screens.setup import PasswordScreen, SetupScreen

        theme = load_prefs().get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._kept_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        if self.settings is None:
            self.push_screen(SetupScreen(self.setup_message or "No connection settings."))
        elif self.settings.password is None:
            self._password_typed = True
            self.push_screen(PasswordScreen(self.settings), callback=self._password_given)
        else:
            self.start_session(self.settings.password)

    def _theme_changed(self, theme) -> None:
        if theme.name == self._kept_theme:
            return
        self._kept_theme = theme.name
        try:
            save_pref("theme", theme.name)
        except OSError as exc:
            self.notify(f"The theme is not kept for next time: {exc.strerror or exc}", severity="warning", markup=False)

    def _password_given(self, password: Secret | None) -> None:
        if password is None:
            self.exit(0)
        else:
            self.start_session(password)

    def _ask_password_again(self, why: str) -> None:
        """A typed password the receiver refused: ask again rather than leave a dead session."""
        from .screens.setup import PasswordScreen

        session, settings = self.session, self.settings
        if session is None or settings is None:
            return

        def given(password: Secret | None) -> None:
            if password is None:
                self.exit(0)
                return
            session.client.credentials = Credentials(settings.client_id, password, settings.store_id)
            self.refresh_pending()

        self.push_screen(PasswordScreen(settings, f"The receiver refused it: {why}. Try again."), callback=given)

    def start_session(self, password: Secret) -> None:
        """Open the profile's store and the one client of this session."""
        from .screens.queue import QueueScreen
        from .screens.setup import SetupScreen

        settings = self.settings
        assert settings is not None
        credentials = Credentials(settings.client_id, password, settings.store_id)
        try:
            client = ReceiverClient(settings.url, credentials, timeout=settings.timeout, profile=settings.profile,
                                    max_answer_bytes=settings.max_answer_bytes)
        except ClientConfigError as exc:
            self.push_screen(SetupScreen(str(exc)))
            return
        try:
            store = Store.for_profile(settings.profile)
        except (StoreError, OSError) as exc:
            self.push_screen(SetupScreen(
                f"{exc}\n\nThe file was left exactly as it is: it may hold staged work and batches whose "
                "outcome is unknown. Restore it from a backup, or move it away yourself to start afresh.",
                title="The profile's store cannot be used"))
            return
        staging = StagingArea(store)
        self.session = Session(settings, client, store, staging)
        self.session.book.events = LastEvents(store)
        staging.listener = self._staging_changed
        self.push_screen(QueueScreen())
        if self.notice:
            self.log_line(LogKind.INFO, self.notice)
        self._log_notices(staging)
        if staging.entries or staging.held or staging.unverified:
            self.log_line(
                LogKind.INFO,
                f"restored from {store.path}: {counted(len(staging.entries), 'staged entry', 'staged entries')}, "
                f"{counted(len(staging.unknown_batches), 'batch', 'batches')} with unknown outcome, "
                f"{counted(len(staging.unverified), 'unverified entry', 'unverified entries')}",
            )
        self.refresh_pending()
        # Other windows and scripts on this profile: their changes show within a second.
        self.set_interval(STORE_POLL_SECONDS, self._poll_store)
        if self.refresh_every:
            self.set_interval(self.refresh_every, self._refresh_on_timer)

    def _log_notices(self, staging: StagingArea) -> None:
        for note in staging.notices:
            kind = LogKind.UNKNOWN if "UNKNOWN" in note else LogKind.INFO
            self.log_line(kind, note)
            if kind is LogKind.UNKNOWN:
                self.notify(note, title="Outcome unknown", severity="error", timeout=15, markup=False)
        staging.notices.clear()

    def _poll_store(self) -> None:
        session = self.session
        flight = session.in_flight if session is not None else None
        if flight is not None and flight.batch is not None and len(flight.batch) >= OFF_LOOP_ENTRIES:
            return  # our own worker is writing a big batch; its snapshot follows
        if session is not None and session.staging.poll():
            session.book.events.invalidate()
            self._log_notices(session.staging)
            self.changed.publish("events")

    def _refresh_on_timer(self) -> None:
        # Not over a list still coming in, nor beside a batch in flight (one request at a time).
        session = self.session
        if session is not None and not session.book.loading and session.in_flight is None:
            self.refresh_pending(automatic=True)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.client.aclose()
            self.session.store.close()

    # -- helpers for the screens ---------------------------------------------------------

    def log_line(self, kind: LogKind, text: str, *, publish: bool = True) -> None:
        """One log line; callers writing many lines publish once at the end."""
        self.log_buffer.write(kind, redact(text))
        if publish:
            self.changed.publish("log")

    def _staging_changed(self, staging: StagingArea) -> None:
        if staging.error:
            self.log_line(LogKind.ERROR, staging.error)
            staging.error = None
        self.changed.publish("staging")

    def stage(self, actions: list[StagedAction]) -> None:
        session = self.session
        if session is None or not actions:
            return
        session.staging.add(actions)
        kinds = sorted({a.kind.value for a in actions})
        orders = len({a.order_id for a in actions})
        self.log_line(LogKind.INFO, f"staged {'/'.join(kinds)} for {orders} order{'s' if orders != 1 else ''} "
                                    f"({len(session.staging)} staged; b to review)")

    # -- network workers -----------------------------------------------------------------

    @work(exclusive=True, group="pending", exit_on_error=False)
    async def refresh_pending(self, automatic: bool = False) -> None:
        session = self.session
        if session is None:
            return
        request = Request(RequestKind.PENDING, automatic=automatic)
        session.book.begin_pending(request.id)
        self.changed.publish("rows")
        await pump(request, session.client.pending(chunked=True), self.post_message)

    @work(group="query", exit_on_error=False)
    async def query_orders(self, order_ids: list[OrderId], unknown_batch_id: str = "") -> None:
        session = self.session
        if session is None or not order_ids:
            return
        ids = list(dict.fromkeys(order_ids))
        kind = RequestKind.RECONCILE if unknown_batch_id else RequestKind.QUERY
        request = Request(kind, Batch(StagedAction(o, ActionKind.QUERY) for o in ids), tuple(ids), unknown_batch_id)
        self.log_line(LogKind.INFO, f"{kind.value}: asking {session.host} for {len(ids)} order(s)")
        await pump(request, session.client.query(ids, chunked=True), self.post_message)

    def journal_changed(self) -> None:
        """New journal lines (a batch answered, reconciled): the "last sent" cells redraw."""
        if self.session is not None:
            self.session.book.events.invalidate()
            self.changed.publish("events")

    def send_batch(self, batch: Batch) -> bool:
        """Send ``batch``, the staged batch the operator confirmed with ``y``.

        The entries are claimed in the store first, in one transaction: if another window
        or process sent or changed any of them meanwhile, nothing is sent.
        """
        session = self.session
        if session is None or session.in_flight is not None or not session.staging.entries:
            return False
        if any(lint.severity is Severity.ERROR for lint in session.staging.lint()):
            self.notify("Cannot send: the lint shows errors (b to see them).", severity="error", markup=False)
            return False
        try:
            numbered = session.staging.numbered_for(batch)
        except ClaimConflict as exc:
            self._not_sent(str(exc))
            return False
        request = Request(RequestKind.SUBMIT, batch, tuple(batch.order_ids))
        session.in_flight = request  # one batch at a time, from the claim on
        session.progress = (0, len(batch.order_ids))
        self.changed.publish("flight")
        self.run_worker(self._send(request, numbered), name="submit", group="submit", exit_on_error=False)
        return True

    async def _send(self, request: Request, numbered: list) -> None:
        session = self.session
        assert session is not None and request.batch is not None
        staging, batch, meta = session.staging, request.batch, session.batch_meta()
        try:
            if len(numbered) >= OFF_LOOP_ENTRIES:  # writing 100,000 claims takes a second: not on the UI's loop
                def claim_off_loop():
                    return staging.claim_numbered(batch, numbered, meta), staging.store.snapshot()

                request.claim, snapshot = await asyncio.to_thread(claim_off_loop)
                staging.show(snapshot)
            else:
                request.claim = staging.claim_numbered(batch, numbered, meta)
                staging.sync(force=True)
        except (ClaimConflict, StoreError) as exc:
            session.in_flight = None
            staging.sync(force=True)
            self._not_sent(str(exc))
            self.changed.publish("flight")
            return
        self.log_line(LogKind.INFO, f"sending {counted(len(batch), 'entry', 'entries')} for "
                                    f"{counted(len(batch.order_ids), 'order', 'orders')} to {session.host} "
                                    f"(batch {request.claim.batch_id})")
        await pump(request, session.client.submit(batch, chunked=True, batch_id=request.claim.batch_id),
                   self.post_message)

    def _not_sent(self, why: str) -> None:
        self.log_line(LogKind.ERROR, f"not sent: {why}")
        self.notify(why, title="Not sent", severity="error", timeout=10, markup=False)

    def reconcile(self, batch_id: str) -> None:
        session = self.session
        if session is None:
            return
        batch = next((b for b in session.staging.unknown_batches if b.batch_id == batch_id), None)
        if batch is not None:
            self.query_orders([e.order_id for e in batch.entries], unknown_batch_id=batch_id)

    # -- messages from the workers -------------------------------------------------------

    def _stale(self, request: Request) -> bool:
        """A pending list superseded by a newer refresh (its messages may still be queued)."""
        return request.kind is RequestKind.PENDING and (
            self.session is None or request.id != self.session.book.pending_request)

    def on_pending_records(self, message: PendingRecords) -> None:
        if self.session is None or self._stale(message.request):
            return
        self.session.book.add_pending(message.orders)
        for rec in message.other:
            self._log_record(message.request, rec)
        self.changed.publish("rows")
        self.changed.publish("log")

    def on_answer_records(self, message: AnswerRecords) -> None:
        if self.session is None:
            return
        book = self.session.book
        book.learn({r.order_id: r.status for r in message.records if isinstance(r, OrderLine)})
        book.learn_refusals({r.order_id: r.message for r in message.records if isinstance(r, OrderError)})
        for rec in message.records:
            self._log_record(message.request, rec)
        self.changed.publish("status")
        self.changed.publish("log")

    def on_batch_progress(self, message: BatchProgress) -> None:
        session = self.session
        if session is not None and session.in_flight is message.request:
            session.progress = (message.answered, message.total)
            self.changed.publish("flight")

    def on_retry_notice(self, message: RetryNotice) -> None:
        r = message.retrying
        void = f"; its {r.discarded} line(s) are void" if r.discarded else ""
        self.log_line(LogKind.INFO, f"{message.request.kind.value}: attempt {r.attempt} failed ({r.reason}){void}; "
                                    f"retrying in {r.delay:.1f} s")
        if message.request.kind is RequestKind.PENDING and not self._stale(message.request):
            self.session.book.restart_pending()  # the retry sends the whole list again
            self.changed.publish("rows")

    def on_request_finished(self, message: RequestFinished) -> None:
        session = self.session
        if session is None or self._stale(message.request):
            return
        request, answer = message.request, message.answer
        if request.kind is RequestKind.PENDING:
            if (self._password_typed and answer.outcome is Outcome.REFUSED
                    and "invalid login" in answer.message.lower()):
                self._ask_password_again(answer.message)
            session.book.finish_pending(answer.outcome is Outcome.OK, answer.message)
            # A timed refresh that found the same as the last one is not worth a log line.
            if not (request.automatic and answer.outcome is Outcome.OK and answer.message == self._last_list):
                self.log_line(_read_kind(answer.outcome), f"pending list: {answer.message} ({answer.elapsed:.1f} s)")
            self._last_list = answer.message if answer.outcome is Outcome.OK else ""
            self.changed.publish("rows")
        elif request.kind is RequestKind.SUBMIT:
            self._batch_finished(request, answer)
        elif request.kind is RequestKind.RECONCILE:
            self._reconcile_finished(request, answer)
        else:
            self.log_line(_read_kind(answer.outcome), f"query: {answer.message} ({answer.elapsed:.1f} s)")
            self.changed.publish("status")

    def _batch_finished(self, request: Request, answer) -> None:
        session = self.session
        assert session is not None and request.batch is not None and request.claim is not None
        # Entries the answer said nothing about were not logged as lines: log them now.
        for r in answer.entries:
            if r.outcome is EntryOutcome.UNKNOWN and not r.status:
                self.log_line(LogKind.UNKNOWN, f"{r.entry.order_id} {r.entry.kind.value}: {r.message}", publish=False)
        if len(request.batch) >= OFF_LOOP_ENTRIES:
            self.run_worker(self._settle_off_loop(request, answer), group="settle", exit_on_error=False)
            return
        self._batch_settled(request, answer, session.staging.settle(request.claim, answer))

    async def _settle_off_loop(self, request: Request, answer) -> None:
        """Recording 100,000 outcomes takes a second: on a worker thread, the view after."""
        session = self.session
        assert session is not None and request.claim is not None
        staging, claim = session.staging, request.claim

        def settle():
            return staging.settle(claim, answer, reload=False), staging.store.snapshot()

        try:
            report, snapshot = await asyncio.to_thread(settle)
        except Exception as exc:  # sqlite3.Error, OSError: the batch stays held, never re-sent
            self.log_line(LogKind.ERROR, f"the answer to batch {claim.batch_id} could not be recorded: {exc}; "
                                         "it stays held (never re-sent) and is unknown at the next start")
            report = judge_answer(claim, answer)[2]
            snapshot = None
        if snapshot is not None:
            staging.show(snapshot)
        self._batch_settled(request, answer, report)

    def _batch_settled(self, request: Request, answer, report) -> None:
        session = self.session
        assert session is not None
        session.in_flight = None
        label = {
            Outcome.OK: "batch applied", Outcome.SOME_REFUSED: "batch done, some entries refused",
            Outcome.REFUSED: "batch refused, nothing applied", Outcome.UNREACHABLE: "batch not sent",
            Outcome.UNKNOWN: "batch OUTCOME UNKNOWN",
        }[answer.outcome]
        self.log_line(OUTCOME_KIND[answer.outcome], f"{label}: {answer.message} ({answer.elapsed:.1f} s)")
        if report.unknown:
            self.log_line(
                LogKind.UNKNOWN,
                f"{counted(len(report.unknown), 'entry', 'entries')} kept as unknown batch {report.batch_id}: "
                "nothing is re-sent; reconcile it in the composer (b, then R)",
            )
        if report.refused:
            self.log_line(LogKind.INFO, f"{len(report.refused)} refused entr{'y stays' if len(report.refused) == 1 else 'ies stay'} staged with the receiver's words")
        severity = {"ok": "information", "unknown": "error"}.get(answer.outcome.value, "warning")
        hint = {Outcome.UNKNOWN: " (kept, not re-sent: b, then R)", Outcome.SOME_REFUSED: " (refused ones stay staged)"}
        self.notify(label + hint.get(answer.outcome, ""), severity=severity, markup=False)
        self.changed.publish("flight")
        self.journal_changed()

    def _reconcile_finished(self, request: Request, answer) -> None:
        session = self.session
        assert session is not None
        statuses = answer.statuses()
        result = None
        if answer.outcome is Outcome.OK:
            result = session.staging.reconcile(request.unknown_batch_id, statuses, answer.raw_lines)
        if result is None:
            self.log_line(LogKind.ERROR, f"reconcile {request.unknown_batch_id}: {answer.message}; "
                                         "the batch stays unknown (nothing re-sent)")
            return
        kinds = {Verdict.TOOK_EFFECT: LogKind.APPLIED, Verdict.RESTAGED: LogKind.INFO,
                 Verdict.UNVERIFIED: LogKind.UNKNOWN, Verdict.NOT_RESTAGED: LogKind.REFUSED}
        for entry, verdict, status, why in result.verdicts:
            self.log_line(kinds[verdict], f"{entry.order_id} {entry.kind.value}: {verdict.value} ({why})", publish=False)
        self.log_line(LogKind.INFO, f"reconciled {request.unknown_batch_id}: {result.summary()}")
        unverified = result.of(Verdict.UNVERIFIED)
        if unverified:
            self.notify(f"{counted(len(unverified), 'entry is', 'entries are')} unverified: a status cannot show "
                        "whether a discount or tracking took effect. Check, then re-stage (r) or forget (d) "
                        "them in the composer.", title="Unverified", severity="warning", timeout=12, markup=False)
        self.journal_changed()

    def _log_record(self, request: Request, rec) -> None:
        """One answer line, as it was parsed, coloured by what it means for the entries.

        Written without publishing: the caller publishes once per chunk of records.
        """
        def write(kind: LogKind, text: str) -> None:
            self.log_buffer.write(kind, redact(text))  # network text may echo anything

        if isinstance(rec, OrderLine):
            mine = request.numbered_for(rec.order_id) if request.kind is RequestKind.SUBMIT else []
            if mine:
                results = judge_line(mine, rec)
                kinds = "+".join(r.entry.kind.value for r in results)
                why = next((r.message for r in results if r.message), "")
                write(_worst(r.outcome for r in results), f"{rec.order_id} {kinds} → {rec.status}" + (f" ({why})" if why else ""))
                return
            info = status_info(rec.status)
            write(LogKind.INFO if info.known else LogKind.UNKNOWN, f"{rec.order_id} {rec.status} ({info.group.value})")
        elif isinstance(rec, OrderError):
            write(LogKind.REFUSED, f"{rec.order_id} refused by the receiver: {rec.message}")
        elif isinstance(rec, ErrorMessage):
            write(LogKind.REFUSED, f"receiver: error_message {rec.text}")
        elif isinstance(rec, MessageRecord):
            write(LogKind.INFO, f"receiver: message {rec.text}")
        elif isinstance(rec, Unparsed):
            write(LogKind.UNKNOWN, f"not understood ({rec.reason}): {rec.raw[:200]}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died (a bug) must not lose a batch: keep it as unknown."""
        worker = event.worker
        if event.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state is WorkerState.ERROR:
            self.log_line(LogKind.ERROR, f"internal error in {worker.name or worker.group}: {worker.error!r}")
        session = self.session
        if worker.group == "submit" and session is not None and session.in_flight is not None:
            claim = session.in_flight.claim
            session.in_flight = None
            if claim is not None:
                session.staging.mark_unknown(claim.batch_id, "the request was interrupted in flight")
                self.log_line(LogKind.UNKNOWN, f"batch interrupted: kept as unknown batch {claim.batch_id}; nothing re-sent")
            self.changed.publish("flight")

    # -- app-wide actions ----------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        session = self.session
        if session is not None and session.in_flight is not None:
            from .screens.confirm import ConfirmScreen

            self.push_screen(
                ConfirmScreen(
                    "A batch is in flight",
                    "Quitting now loses its answer: the batch will be kept as OUTCOME UNKNOWN "
                    "(never re-sent) for you to reconcile next time.\n\nQuit anyway?",
                    yes="quit",
                ),
                callback=self._quit_confirmed,
            )
            return
        self._quit()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            session = self.session
            if session is not None and session.in_flight is not None and session.in_flight.claim is not None:
                claim = session.in_flight.claim
                session.in_flight = None
                session.staging.mark_unknown(claim.batch_id, "quit while the batch was in flight")
            self._quit()

    def _quit(self) -> None:
        session = self.session
        if session is not None and not session.staging.is_empty:
            staging = session.staging
            n, u, v = len(staging.entries), len(staging.unknown_batches), len(staging.unverified)
            kept = [counted(n, "staged entry", "staged entries")] if n else []
            kept += [f"{counted(u, 'batch', 'batches')} with unknown outcome (reconcile: b, then R)"] if u else []
            kept += [counted(v, "unverified entry", "unverified entries")] if v else []
            self.exit_message = f"Kept in {staging.store.path}: {' and '.join(kept)}. It is restored next time."
        self.exit(0)

    # -- command palette -----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        from .screens.base import palette_commands

        yield from palette_commands(self, screen)


def as_typed(event: events.Key) -> list[events.Key]:
    """The keys the operator typed: alt+X is esc followed by X.

    A terminal sends esc as one byte, and esc read together with the next key is what
    alt+key sends too: Textual reports the pair as alt+key. No key of ours is an alt key,
    so it is taken as the two keys typed. (Where esc and the next key form another
    sequence, esc then ``[`` or ``O`` followed by more, Textual reads a different key and
    the two cannot be told apart.)
    """
    key = event.key
    if not key.startswith("alt+") or len(key) == 4:
        return [event]
    rest = key[4:]
    if rest.startswith("shift+") and len(rest) == 7:
        rest = rest[6].upper()  # alt+shift+s: esc, S
    escape, after = events.Key("escape", "\x1b"), events.Key(rest, event.character)
    escape.time = after.time = event.time
    return [escape, after]


def _mounting_form(app: App) -> bool:
    """A form is on top whose fields do not exist yet: keys wait for them."""
    from .screens.typeahead import TypeAheadTarget

    stack = app.screen_stack
    return bool(stack) and isinstance(stack[-1], TypeAheadTarget) and not stack[-1].ready


def _worst(outcomes: Iterable[EntryOutcome]) -> LogKind:
    seen = set(outcomes)
    if EntryOutcome.UNKNOWN in seen:
        return LogKind.UNKNOWN
    if EntryOutcome.REFUSED in seen:
        return LogKind.REFUSED
    return LogKind.APPLIED


# -- the command-line entry ----------------------------------------------------------------


def build_app(args) -> tuple[CcnowApp, object | None]:
    """The app for ``args`` (cli.py's namespace), and the demo sandbox to stop afterwards."""
    from ..config import ConfigError, load_config, resolve_connection

    if getattr(args, "demo", False):
        from ..sandbox.faults import parse_fault
        from ..sandbox.server import SandboxConfig, SandboxServer

        faults = [parse_fault(f) for f in (getattr(args, "fault", None) or [])]
        # A fresh password per run: the embedded receiver is ours alone, and a password
        # equal to the profile name ("demo") would be masked wherever that word appears.
        password = secrets.token_urlsafe(12)
        server = SandboxServer(SandboxConfig(
            host="127.0.0.1", port=0, client_id="demo", password=password, orders=40, seed=7,
            settle=30.0, arrivals=4.0, faults=faults, log=None,
        )).start()
        settings = ConnectionSettings(
            profile="demo", url=server.url, client_id="demo", store_id="", password=Secret(password),
            timeout=getattr(args, "timeout", None) or 30.0, source="--demo",
        )
        shown = ", ".join(str(f) for f in faults)
        notice = f"demo: embedded sandbox receiver at {server.url}" + (f", faults: {shown}" if shown else "")
        refresh = getattr(args, "refresh", None)
        return CcnowApp(settings, notice=notice, refresh_every=15.0 if refresh is None else refresh), server
    overrides = {
        "url": getattr(args, "url", None), "client_id": getattr(args, "client_id", None),
        "store_id": getattr(args, "store_id", None), "timeout": getattr(args, "timeout", None),
    }
    try:
        settings = resolve_connection(load_config(), getattr(args, "profile", None), os.environ, overrides)
    except ConfigError as exc:
        return CcnowApp(None, setup_message=str(exc)), None
    return CcnowApp(settings, refresh_every=getattr(args, "refresh", None) or 0.0), None


def run_tui(args) -> int:
    try:
        app, server = build_app(args)
    except ValueError as exc:  # a bad --fault
        print(f"ccnow-tui: {exc}", file=sys.stderr)
        return 2
    try:
        code = app.run()
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    if app.exit_message:
        print(app.exit_message, file=sys.stderr)
    return code if isinstance(code, int) else 0


def _read_kind(outcome: Outcome) -> LogKind:
    """How a read-only answer is logged: a lost one changed nothing, so it is an error, not UNKNOWN."""
    if outcome is Outcome.OK:
        return LogKind.INFO
    return LogKind.ERROR if outcome is Outcome.UNKNOWN else OUTCOME_KIND[outcome]
