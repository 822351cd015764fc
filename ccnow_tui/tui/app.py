"""The application: what it owns, and what it handles, top to bottom.

It owns the session (the profile's store and the one client), the controller that turns
answers into model changes and log lines, the log, the ``changed`` signal the screens
redraw on, the keys read and not yet acted on (key_order.py), the timers (polling.py)
and the theme kept (theme_pref.py).

It handles, in this order: start-up (settings, the password asked, the session), quitting,
the help and the palette, the keys, the network workers and their messages (handed to the
controller, whose updates it shows), and what the screens ask for (messages.py): stage,
import, open a screen, and send, the one way a batch is sent (only from the confirmation
that ``S`` asks). The command line's entry is launch.py.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from ..client import OFF_LOOP_ENTRIES
from ..config.load import ConnectionSettings, KeyTable
from ..config.write import FirstRun
from ..domain.answers import ReceiverAnswer
from ..domain.staging import Claim, ClaimConflict
from ..gcpause import collector_paused
from ..protocol.actions import ActionKind, StagedAction
from ..protocol.batch import Batch, Severity
from ..protocol.orderid import OrderId
from ..protocol.redact import Secret, redact
from ..storage.store import Snapshot, StoreError
from . import key_help, launch
from .controller import SessionController, Update
from .key_order import KeyOrder
from .keys import NO_KEYMAP, Section, palette_commands
from .messages import (
    AnswerRecords,
    AppRequest,
    BatchProgress,
    ComposerOpened,
    HistoryOpened,
    ImportRequested,
    Logged,
    OrderOpened,
    PendingRecords,
    QueryRequested,
    ReconcileRequested,
    RefreshRequested,
    RequestFinished,
    RetryNotice,
    SendRequested,
    StageRequested,
    UndoRequested,
)
from .model import LogBuffer, LogKind, Topic
from .network import pump
from .polling import Timers
from .quitting import in_flight_question, keep_in_flight_unknown
from .request import Request, RequestKind
from .screens.base import BaseScreen
from .screens.composer import ComposerScreen
from .screens.confirm import ConfirmScreen, describe_send, must_type
from .screens.detail import DetailScreen
from .screens.help import HelpScreen
from .screens.history import BatchScreen, HistoryScreen
from .screens.queue import QueueScreen
from .screens.setup import PasswordScreen, SetupScreen
from .session import Session, SessionError
from .theme_pref import ThemeKeeper

COMPOSER = "composer"  # the name the session's one composer is installed under


class CcnowApp(App[int]):
    """``settings`` None: show ``setup_message`` (how to configure) instead of a session."""

    CSS_PATH = "app.tcss"
    TITLE = "ccnow-tui"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
    ]

    log_visible = var(True, init=False)  # the l key hides the log pane on every screen

    def __init__(
        self,
        settings: ConnectionSettings | None = None,
        *,
        setup_message: str = "",
        notice: str = "",
        refresh_every: float = 0.0,
        first_run: FirstRun | None = None,
        keys: KeyTable | None = None,
        after_first_frame: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.key_order = KeyOrder(self, super().on_event)  # keys read and not yet acted on, in order
        self.keymap: Mapping[str, str] = NO_KEYMAP  # binding id -> keys, as config.toml's [keys] makes them
        if keys is not None:  # config.toml's [keys]: a ConfigError naming its line, or Textual's keymap
            self.keymap = key_help.keymap_of(keys, type(self))
            if self.keymap:
                self.set_keymap(self.keymap)
        self.settings = settings
        self.refresh_every = refresh_every  # seconds between automatic refreshes (polling.py); 0: only on r
        self.setup_message = setup_message
        self.first_run = first_run  # nothing configured: the setup screen is a form that writes config.toml
        self.notice = notice  # shown in the log at start (e.g. "demo sandbox on ...")
        # Work the queue's first frame must not wait for: --demo starts its receiver here.
        self.after_first_frame = after_first_frame
        self.session: Session | None = None
        self.controller: SessionController | None = None
        self.log_buffer = LogBuffer()
        self.changed: Signal[Topic] = Signal(self, "changed")
        self.timers = Timers(self)
        self.theme_keeper = ThemeKeeper(self)
        self.password_typed = False  # asked for at start-up (so it is asked again if refused)
        self.exit_message = ""  # printed by run_tui after the screen is restored
        self.start_failure = ""  # why the session could not start (the store): run_tui exits 2 saying it
        self.start_dir = Path.cwd()  # where a label file's path is read from (i)
        # Toasts posted (posted at, message, title, severity, seconds, markup, unknown batch
        # they are about or ""), and the batch the toast being posted is about.
        self._toasts: list[tuple[float, str, str, SeverityLevel, float, bool, str]] = []
        self._about_batch = ""

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme_keeper.restore()
        self.begin(self.settings)

    def begin(self, settings: ConnectionSettings | None) -> None:
        """Start with ``settings``: none, the setup screen (which calls back here once saved);
        no password, ask for it; else the session."""
        self.settings = settings
        if settings is None:
            self.push_screen(
                SetupScreen(self.setup_message or "No connection settings.", first_run=self.first_run),
                callback=self.begin,
            )
            return
        self.notice = self.notice or f"settings: {settings.source}"  # saved by the setup form just now
        if settings.password is None:  # no password from the profile, the environment or a command
            self.password_typed = True
            self.push_screen(PasswordScreen(settings), callback=self._password_given)
        else:
            self.start_session(settings.password)

    def _password_given(self, password: Secret | None) -> None:
        if password is None:
            self.exit(0)  # esc: nothing to do without it
        else:
            self.start_session(password)

    def ask_password_again(self, why: str) -> None:
        """A typed password the receiver refused: ask again rather than leave a dead session."""
        session, settings = self.session, self.settings
        if session is None or settings is None:
            return

        def given(password: Secret | None) -> None:
            if password is None:
                self.exit(0)
                return
            session.use_password(password)
            self.refresh_pending()

        self.push_screen(PasswordScreen(settings, f"The receiver refused it: {why}. Try again."), callback=given)

    def start_session(self, password: Secret) -> None:
        """Open the profile's store and the one client of this session."""
        assert self.settings is not None
        try:
            self.session = session = Session.open(self.settings, password)
        except SessionError as exc:
            if exc.title:  # the store cannot be used: shown here, said again on exit, exit status 2
                self.start_failure = str(exc)
            self.push_screen(SetupScreen(str(exc), title=exc.title) if exc.title else SetupScreen(str(exc)))
            return
        self.controller = controller = SessionController(
            session.book,
            session.staging,
            self.log_buffer,
            password_typed=self.password_typed,
            keys=key_help.log_hint_keys(self),
        )
        session.staging.listener = lambda _: self.apply(controller.staging_changed())
        self.push_screen(QueueScreen())
        if self.after_first_frame is not None:
            self.call_after_refresh(self._after_first_frame)
        # The composer is mounted ahead (install_composer), but only once
        # the first pending list is on the screen: at the stress size (docs/scale.md) mounting it
        # would hold back the queue's first frame.
        self.apply(controller.started(self.notice))
        self.refresh_pending()
        self.timers.start()

    def _after_first_frame(self) -> None:
        assert self.after_first_frame is not None
        try:
            self.after_first_frame()
        except Exception as exc:  # said in the log (no traceback); what it was for goes unanswered
            self.log_line(LogKind.ERROR, str(exc))

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.client.aclose()
            self.session.store.close()

    # -- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """``q``: at once, or after a question when a batch is in flight (its answer is lost)."""
        session = self.session
        if session is not None and session.in_flight is not None:
            demo = self.settings is not None and self.settings.store_dir is not None
            self.push_screen(in_flight_question(demo), callback=self._quit_confirmed)
            return
        self._quit()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            if self.session is not None:
                keep_in_flight_unknown(self.session)
            self._quit()

    def _quit(self) -> None:
        if self.controller is not None:
            self.exit_message = self.controller.exit_message()
        self.exit(0)

    # -- help and the palette ------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(key_help.help_screen(self, self.keymap))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen, self.action_help, self.keymap)

    # -- keys, in the order typed (key_order.py) ------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.key_order.read(event)
            return
        await super().on_event(event)

    def post_message(self, message: Message) -> bool:
        if not isinstance(message, AppRequest):
            return super().post_message(message)
        self.key_order.request_posted()
        if not super().post_message(message):
            self.key_order.request_done()
            return False
        return True

    @property
    def key_time(self) -> float:
        """When the key being acted on was read (a question ignores keys typed before it showed)."""
        return self.key_order.key_time

    def release_keys(self) -> None:
        """A form's fields are up: act on the keys held for it, in order."""
        self.key_order.release()

    # -- what the controller says, shown ----------------------------------------------------

    def apply(self, update: Update | None) -> None:
        if update is None:
            return
        for topic in update.topics:
            self.changed.publish(topic)
        for n in update.notices:
            self._about_batch = n.batch_id
            try:
                self.notify(n.text, title=n.title, severity=n.severity, timeout=n.timeout, markup=False)  # type: ignore[arg-type]
            finally:
                self._about_batch = ""
        if update.ask_password:
            self.ask_password_again(update.ask_password)
        self.withdraw_settled()

    # -- toasts, and withdrawing those about a batch that is settled ---------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Textual's notify, remembered: a toast about an unknown batch is withdrawn once
        that batch is reconciled or forgotten (:meth:`withdraw_settled`)."""
        lasts = self.NOTIFICATION_TIMEOUT if timeout is None else timeout
        self._toasts.append((time.monotonic(), message, title, severity, lasts, markup, self._about_batch))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def withdraw_settled(self) -> None:
        """Toasts about batches that are no longer unknown (reconciled, forgotten, here or in
        another window) go; the others stay, for the time they had left."""
        if not any(t[6] for t in self._toasts) or self.session is None:
            return
        now = time.monotonic()
        alive = [t for t in self._toasts if now - t[0] < t[4]]
        unknown = {b.batch_id for b in self.session.staging.unknown_batches}
        settled = {t[6] for t in alive if t[6] and t[6] not in unknown}
        self._toasts = alive
        if not settled:
            return
        self.clear_notifications()  # Textual's public way; the others are shown again below
        self._toasts = []
        for posted, message, title, severity, lasts, markup, batch_id in alive:
            if batch_id in settled:
                continue
            self._about_batch = batch_id
            try:
                self.notify(
                    message, title=title, severity=severity, timeout=max(0.5, lasts - (now - posted)), markup=markup
                )
            finally:
                self._about_batch = ""

    def log_line(self, kind: LogKind, text: str, *, publish: bool = True) -> None:
        """One log line; callers writing many lines publish once at the end."""
        self.log_buffer.write(kind, redact(text))
        if publish:
            self.changed.publish(Topic.LOG)

    def watch_log_visible(self) -> None:
        if isinstance(self.screen, BaseScreen):
            self.screen.show_log()  # the others follow when they are shown again

    # -- network workers -----------------------------------------------------------------

    @work(exclusive=True, group="pending", exit_on_error=False)
    async def refresh_pending(self, automatic: bool = False) -> None:
        session, controller = self.session, self.controller
        if session is None or controller is None:
            return
        request = Request(RequestKind.PENDING, automatic=automatic)
        self.apply(controller.pending_started(request))
        await pump(request, session.client.pending(chunked=True), self.post_message)

    @work(group="query", exit_on_error=False)
    async def query_orders(self, order_ids: list[OrderId], unknown_batch_id: str = "") -> None:
        session, controller = self.session, self.controller
        if session is None or controller is None or not order_ids:
            return
        ids = list(dict.fromkeys(order_ids))
        kind = RequestKind.RECONCILE if unknown_batch_id else RequestKind.QUERY
        request = Request(kind, Batch(StagedAction(o, ActionKind.QUERY) for o in ids), tuple(ids), unknown_batch_id)
        self.apply(controller.asking(request, session.host))
        await pump(request, session.client.query(ids, chunked=True), self.post_message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that died (a bug) must not lose a batch: keep it as unknown."""
        worker = event.worker
        if event.state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if event.state is WorkerState.ERROR:
            self.log_line(LogKind.ERROR, f"internal error in {worker.name or worker.group}: {worker.error!r}")
        session, controller = self.session, self.controller
        in_flight = session.in_flight if session is not None else None
        if worker.group == "submit" and session is not None and in_flight is not None and controller is not None:
            claim = in_flight.claim
            session.in_flight = None
            self.apply(controller.interrupted(claim))

    # -- messages from the workers, to the controller ----------------------------------------

    def on_pending_records(self, message: PendingRecords) -> None:
        if self.controller is not None:
            self.apply(self.controller.pending_records(message.request, message.orders, message.other))
        message.delivered.set()  # the worker posts the next slice now (network.py)

    def on_answer_records(self, message: AnswerRecords) -> None:
        if self.controller is not None:
            self.apply(self.controller.answer_records(message.request, message.records))
        message.delivered.set()

    def on_batch_progress(self, message: BatchProgress) -> None:
        session = self.session
        if session is not None and session.in_flight is message.request:
            session.progress = (message.answered, message.total)
            self.changed.publish(Topic.FLIGHT)

    def on_retry_notice(self, message: RetryNotice) -> None:
        if self.controller is not None:
            self.apply(self.controller.retrying(message.request, message.retrying))

    def on_request_finished(self, message: RequestFinished) -> None:
        session, controller = self.session, self.controller
        if session is None or controller is None:
            return
        request, answer = message.request, message.answer
        if request.kind is RequestKind.PENDING:
            self.apply(controller.pending_finished(request, answer))
            self.install_composer_after_refresh()
        elif request.kind is RequestKind.SUBMIT:
            self.batch_answered(request, answer)
        elif request.kind is RequestKind.RECONCILE:
            self.apply(controller.reconciled(request, answer))
        else:
            self.apply(controller.query_finished(answer))

    # -- what the screens ask for (messages.py) ---------------------------------------------

    @on(ImportRequested)
    def _import_labels(self, message: ImportRequested) -> None:
        """A label file's accepted rows: one change, so one u undoes the whole import."""
        if self.controller is not None:
            self.apply(self.controller.imported(message.entries, message.name, message.accepted, message.rejected))

    @on(HistoryOpened)
    def _open_history(self) -> None:
        if isinstance(self.screen, BatchScreen):  # h on a batch: back to the list under it
            self.pop_screen()
        elif not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    @on(StageRequested)
    def _stage(self, message: StageRequested) -> None:
        if self.controller is not None:
            self.apply(self.controller.stage(message.entries))

    @on(UndoRequested)
    def _undo(self) -> None:
        if self.controller is not None:
            self.apply(self.controller.undo())

    @on(ReconcileRequested)
    def _reconcile(self, message: ReconcileRequested) -> None:
        for batch_id in message.batch_ids:
            orders = self.controller.unknown_batch(batch_id) if self.controller is not None else None
            if orders is not None:
                self.query_orders(orders, unknown_batch_id=batch_id)

    @on(QueryRequested)
    def _query(self, message: QueryRequested) -> None:
        self.query_orders(message.order_ids)

    @on(RefreshRequested)
    def _refresh(self) -> None:
        self.refresh_pending()

    @on(OrderOpened)
    def _open_order(self, message: OrderOpened) -> None:
        self.push_screen(DetailScreen(message.order_id))

    def install_composer_after_refresh(self) -> None:
        """Mount the session's composer ahead, after the frame being drawn now: called
        when a pending list has come in (whatever its outcome), so the first frame with
        orders never waits for the composer. Until then ``b`` mounts it itself."""
        if not self.is_screen_installed(COMPOSER):
            self.call_after_refresh(self._install_composer_if_missing)

    def _install_composer_if_missing(self) -> None:
        if not self.is_screen_installed(COMPOSER):
            self.install_composer()

    def install_composer(self) -> None:
        """One composer for the session, mounted ahead while nothing waits on it: at the
        stress size (docs/scale.md) mounting it costs more than the 0.2 s ``b`` may take
        (0.1 s of CPU of the 0.37 s it takes on a loaded machine); shown, it only redraws
        (it follows the staging area on every resume).

        Textual mounts a screen when it is first pushed, and has no public way to mount
        one without showing it (installing a screen does not mount it, Textualize/textual
        #1775): so it is pushed and popped in one step, which draws no frame of it. Its
        mount runs after this handler; it stays mounted, being installed. Only over the
        queue: a question or form on top keeps its place, and the next list, or ``b``,
        mounts the composer then."""
        if not isinstance(self.screen, QueueScreen):
            return
        composer = ComposerScreen()
        self.install_screen(composer, COMPOSER)
        self.push_screen(composer)
        self.pop_screen()

    @on(ComposerOpened)
    def _open_composer(self) -> None:
        """Show the composer; from a screen opened over it (an order, history), go back to it."""
        if not self.is_screen_installed(COMPOSER):  # b before the first list came in
            self.install_screen(ComposerScreen(), COMPOSER)  # push_screen mounts it
        composer = self.get_screen(COMPOSER)
        assert isinstance(composer, ComposerScreen)
        if composer not in self.screen_stack:
            if composer.is_mounted:  # one not mounted yet opens as new by itself
                composer.open_anew()
            self.push_screen(composer)
            return
        while self.screen is not composer:
            self.pop_screen()

    @on(Logged)
    def _logged(self, message: Logged) -> None:
        self.log_line(message.kind, message.text)

    # -- sending -----------------------------------------------------------------------

    @on(SendRequested)
    def _confirm_send(self) -> None:
        """``S`` anywhere: say exactly what will happen, and send only on ``y``; a batch
        over the profile's limits (``confirm_over`` cancel and discount entries,
        ``confirm_discount_over`` dollars of discount) only when the number of entries it
        sends that change orders is typed."""
        session, controller = self.session, self.controller
        if session is None or controller is None:
            return
        why = controller.cannot_send(session.in_flight is not None)
        if why is not None:
            self.notify(why.text, severity=why.severity, timeout=why.timeout, markup=False)  # type: ignore[arg-type]
            return
        batch = session.staging.batch()

        def done(yes: bool | None) -> None:
            if yes and session.staging.batch() == batch:
                self.send_batch(batch)
            elif yes:
                self.notify(
                    "The staged entries changed meanwhile; nothing was sent. Press S again.", severity="warning"
                )

        typed = must_type(batch, session.settings.confirm_over, session.settings.confirm_discount_over)
        title, body = describe_send(batch, session, typed)
        self.push_screen(ConfirmScreen(title, body, yes="send", typed=typed), callback=done)

    def send_batch(self, batch: Batch) -> bool:
        """Send ``batch``, the staged batch the operator confirmed with ``y``.

        The entries are claimed in the store first, in one transaction: if another window
        or process sent or changed any of them meanwhile, nothing is sent.
        """
        session, controller = self.session, self.controller
        if session is None or controller is None or session.in_flight is not None or not len(session.staging):
            return False
        book = session.book
        if any(
            lint.severity is Severity.ERROR
            for lint in session.staging.lint(book.status, book.status_version, book.learnt_words)
        ):
            self.notify("Cannot send: the lint shows errors (b to see them).", severity="error", markup=False)
            return False
        try:
            with collector_paused():  # every row made at once, kept until the answer: see gcpause.py
                numbered = session.staging.numbered_for(batch)
        except ClaimConflict as exc:
            self.apply(controller.not_sent(str(exc)))
            return False
        request = Request(RequestKind.SUBMIT, batch, tuple(batch.order_ids))
        session.in_flight = request  # one batch at a time, from the claim on
        session.progress = (0, len(batch.order_ids))
        self.changed.publish(Topic.FLIGHT)
        self.run_worker(self._send(request, numbered), name="submit", group="submit", exit_on_error=False)
        return True

    async def _send(self, request: Request, numbered: list[tuple[int, int, int, StagedAction]]) -> None:
        session, controller = self.session, self.controller
        assert session is not None and controller is not None and request.batch is not None
        staging, batch, meta = session.staging, request.batch, session.batch_meta()
        try:
            if len(numbered) >= OFF_LOOP_ENTRIES:  # a stress-size claim takes a second: not on the UI's loop

                def claim_off_loop() -> tuple[Claim, Snapshot]:
                    with collector_paused():
                        request.index_orders()  # here, not on the UI's loop at the first answer line
                        return staging.claim_numbered(batch, numbered, meta), staging.store.snapshot()

                claim, snapshot = await asyncio.to_thread(claim_off_loop)
                request.claim = claim
                staging.show(snapshot)
            else:
                request.claim = claim = staging.claim_numbered(batch, numbered, meta)
                staging.sync(force=True)
        except (ClaimConflict, StoreError) as exc:
            session.in_flight = None
            staging.sync(force=True)
            self.apply(controller.not_sent(str(exc)))
            self.changed.publish(Topic.FLIGHT)
            return
        self.apply(controller.sending(request, session.host))
        await pump(request, session.client.submit(batch, chunked=True, batch_id=claim.batch_id), self.post_message)

    def batch_answered(self, request: Request, answer: ReceiverAnswer) -> None:
        """The answer to the batch in flight: recorded (a big one off the loop), and said."""
        session, controller = self.session, self.controller
        assert session is not None and controller is not None
        update = controller.batch_finished(request, answer)
        if update is None:  # a big batch: recorded off the loop
            self.run_worker(self._settle_off_loop(request, answer), group="settle", exit_on_error=False)
            return
        session.in_flight = None
        self.apply(update)

    async def _settle_off_loop(self, request: Request, answer: ReceiverAnswer) -> None:
        """Recording a stress-size batch's outcomes takes a second: on a worker thread, the view after."""
        session, controller = self.session, self.controller
        assert session is not None and controller is not None
        try:
            report, snapshot = await asyncio.to_thread(controller.settle_in_thread, request, answer)
        except Exception as exc:  # sqlite3.Error, OSError: the batch stays held, never re-sent
            report, snapshot = controller.settle_failed(request, answer, exc), None
        if snapshot is not None:
            session.staging.show(snapshot)
        session.in_flight = None
        self.apply(controller.batch_settled(request, answer, report))

    @on(AppRequest)
    def _request_done(self) -> None:
        """After the request's own handler (Textual runs a class's handlers for the most
        specific message type first): keys held for it act now."""
        self.key_order.request_done()


def help_sections(keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen, as ``keymap`` ([keys] in config.toml) makes it."""
    return key_help.help_sections(CcnowApp, keymap)


def build_app(args: argparse.Namespace) -> tuple[CcnowApp, object | None]:
    """The app for ``args`` (the command line's namespace, cli/parsing.py), and the demo sandbox to stop afterwards."""
    return launch.build_app(args, CcnowApp)


def run_tui(args: argparse.Namespace) -> int:
    """The command line's way in (cli/__init__.py imports it only to start the TUI): launch.py does the work."""
    return launch.run_tui(args, CcnowApp)
