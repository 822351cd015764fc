"""The application: start-up, the network workers, and forwarding.

Workers do the network work and post typed messages (messages.py); the app hands them
to the session controller (controller.py), which applies them to the model and words
the log, and publishes the topics it says changed on ``changed`` so the screens redraw.
Screens ask for what is not theirs (stage, send, open a screen) with messages too.
Nothing sends a batch except :meth:`CcnowApp.send_batch`, reached only from the
confirmation dialog. The command line's entry is launch.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import ClassVar

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from ..client import OFF_LOOP_ENTRIES
from ..config import ConnectionSettings
from ..protocol.actions import ActionKind, StagedAction
from ..protocol.batch import Batch, Severity
from ..protocol.orderid import OrderId
from ..protocol.redact import Secret, redact
from ..staging import ClaimConflict
from ..storage.prefs import load_prefs, save_pref
from ..storage.store import StoreError
from . import launch
from .controller import SessionController, Update
from .keys import Section, bindings_of, palette_commands, rows
from .messages import (
    AnswerRecords,
    AppRequest,
    BatchProgress,
    ComposerOpened,
    Logged,
    OrderOpened,
    PendingRecords,
    QueryRequested,
    ReconcileRequested,
    RefreshRequested,
    Request,
    RequestFinished,
    RequestKind,
    RetryNotice,
    SendRequested,
    StageRequested,
    UndoRequested,
)
from .model import LogBuffer, LogKind, Topic
from .network import pump
from .screens.base import BaseScreen
from .screens.composer import ComposerScreen
from .screens.confirm import ConfirmScreen, describe_send
from .screens.detail import DetailScreen
from .screens.forms import ActionForm
from .screens.help import HelpScreen
from .screens.queue import QueueScreen
from .screens.setup import PasswordScreen, SetupScreen
from .screens.typeahead import as_typed, mounting_form
from .session import Session, SessionError
from .textual_private import run_priority_bindings
from .widgets.field_input import FieldInput

STORE_POLL_SECONDS = 0.5  # how soon another window's or a script's change shows


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

    def __init__(self, settings: ConnectionSettings | None = None, *, setup_message: str = "", notice: str = "",
                 refresh_every: float = 0.0) -> None:
        super().__init__()
        self.settings = settings
        self.refresh_every = refresh_every  # seconds between automatic refreshes; 0: only on r
        self.setup_message = setup_message
        self.notice = notice  # shown in the log at start (e.g. "demo sandbox on ...")
        self.session: Session | None = None
        self.controller: SessionController | None = None
        self.log_buffer = LogBuffer()
        self.changed: Signal[Topic] = Signal(self, "changed")
        self.exit_message = ""  # printed by run_tui after the screen is restored
        self._password_typed = False  # asked for at start-up (so it can be asked again)
        self.key_time = 0.0
        self.held_keys: list[events.Key] = []  # read while a form was built or a request waited, in order
        self._requests = 0  # AppRequests posted and not yet handled
        self._releasing = False  # a _release_one is scheduled

    # -- keys, in the order typed ----------------------------------------------------------
    #
    # Keys that arrive in one read (fast typing, or SSH delivering several at once) are
    # acted on here, one by one, each to the end before the next: a key that closes a form
    # or the filter has closed it before the key after it is looked at, so that key acts
    # on the screen underneath. Text fields take their keys here too (rather than from
    # their own message queue, later), so enter reads every character typed before it.
    # Keys read while a form is still being built, or while a request a screen posted
    # waits, wait for it (see typeahead.py).

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            for key in as_typed(event):
                if self.held_keys or self._requests or mounting_form(self):
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
            if not await run_priority_bindings(self, event.key):
                await focused.take_key(event)
            return
        await super().on_event(event)

    def release_keys(self) -> None:
        """A form's fields are up, or a request is done: act on the keys held, in order
        (from the app's own message loop, so keys still arriving queue up behind them)."""
        if not self._releasing:  # one at a time: two would take two keys in one turn
            self._releasing = True
            self.call_next(self._release_one)

    async def _release_one(self) -> None:
        # One key per turn: a form it closes hands its result to the screen underneath
        # (a callback queued for after this turn) before the next key acts there.
        self._releasing = False
        if self.held_keys and not self._requests and not mounting_form(self):
            await self._take_key(self.held_keys.pop(0))
            if self.held_keys:
                self.release_keys()

    def post_message(self, message: Message) -> bool:
        if not isinstance(message, AppRequest):
            return super().post_message(message)
        self._requests += 1  # keys read from now on wait until it is handled (_request_done)
        if not super().post_message(message):
            self._requests -= 1
            return False
        return True

    @on(AppRequest)
    def _request_done(self) -> None:  # after the request's own handler
        self._requests -= 1
        if not self._requests and self.held_keys:
            self.release_keys()

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
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
            self.push_screen(SetupScreen(str(exc), title=exc.title) if exc.title else SetupScreen(str(exc)))
            return
        self.controller = controller = SessionController(
            session.book, session.staging, self.log_buffer, password_typed=self._password_typed)
        session.staging.listener = lambda _: self.apply(controller.staging_changed())
        self.push_screen(QueueScreen())
        self.apply(controller.started(self.notice))
        self.refresh_pending()
        # Other windows and scripts on this profile: their changes show within a second.
        self.set_interval(STORE_POLL_SECONDS, self._poll_store)
        if self.refresh_every:
            self.set_interval(self.refresh_every, self._refresh_on_timer)

    def _poll_store(self) -> None:
        session = self.session
        flight = session.in_flight if session is not None else None
        if flight is not None and flight.batch is not None and len(flight.batch) >= OFF_LOOP_ENTRIES:
            return  # our own worker is writing a big batch; its snapshot follows
        if self.controller is not None:
            self.apply(self.controller.poll())

    def _refresh_on_timer(self) -> None:
        # Not over a list still coming in, nor beside a batch in flight (one request at a time).
        session = self.session
        if session is not None and not session.book.loading and session.in_flight is None:
            self.refresh_pending(automatic=True)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.client.aclose()
            self.session.store.close()

    # -- what the controller says, shown ----------------------------------------------------

    def apply(self, update: Update | None) -> None:
        if update is None:
            return
        for topic in update.topics:
            self.changed.publish(topic)
        for n in update.notices:
            self.notify(n.text, title=n.title, severity=n.severity, timeout=n.timeout, markup=False)  # type: ignore[arg-type]
        if update.ask_password:
            self._ask_password_again(update.ask_password)

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

    def send_batch(self, batch: Batch) -> bool:
        """Send ``batch``, the staged batch the operator confirmed with ``y``.

        The entries are claimed in the store first, in one transaction: if another window
        or process sent or changed any of them meanwhile, nothing is sent.
        """
        session, controller = self.session, self.controller
        if session is None or controller is None or session.in_flight is not None or not session.staging.entries:
            return False
        if any(lint.severity is Severity.ERROR for lint in session.staging.lint()):
            self.notify("Cannot send: the lint shows errors (b to see them).", severity="error", markup=False)
            return False
        try:
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

    async def _send(self, request: Request, numbered: list) -> None:
        session, controller = self.session, self.controller
        assert session is not None and controller is not None and request.batch is not None
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
            self.apply(controller.not_sent(str(exc)))
            self.changed.publish(Topic.FLIGHT)
            return
        self.apply(controller.sending(request, session.host))
        await pump(request, session.client.submit(batch, chunked=True, batch_id=request.claim.batch_id),
                   self.post_message)

    async def _settle_off_loop(self, request: Request, answer) -> None:
        """Recording 100,000 outcomes takes a second: on a worker thread, the view after."""
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

    def on_answer_records(self, message: AnswerRecords) -> None:
        if self.controller is not None:
            self.apply(self.controller.answer_records(message.request, message.records))

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
        elif request.kind is RequestKind.SUBMIT:
            update = controller.batch_finished(request, answer)
            if update is None:  # a big batch: recorded off the loop
                self.run_worker(self._settle_off_loop(request, answer), group="settle", exit_on_error=False)
                return
            session.in_flight = None
            self.apply(update)
        elif request.kind is RequestKind.RECONCILE:
            self.apply(controller.reconciled(request, answer))
        else:
            self.apply(controller.query_finished(answer))

    # -- what the screens ask ----------------------------------------------------------------

    @on(StageRequested)
    def _stage(self, message: StageRequested) -> None:
        if self.controller is not None:
            self.apply(self.controller.stage(message.entries))

    @on(UndoRequested)
    def _undo(self) -> None:
        if self.controller is not None:
            self.apply(self.controller.undo())

    @on(SendRequested)
    def _confirm_send(self) -> None:
        """``S`` anywhere: say exactly what will happen, and send only on ``y``."""
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
                self.notify("The staged entries changed meanwhile; nothing was sent. Press S again.",
                            severity="warning")

        title, body = describe_send(batch, session)
        self.push_screen(ConfirmScreen(title, body, yes="send"), callback=done)

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

    @on(ComposerOpened)
    def _open_composer(self) -> None:
        self.push_screen(ComposerScreen())

    @on(Logged)
    def _logged(self, message: Logged) -> None:
        self.log_line(message.kind, message.text)

    # -- app-wide actions ----------------------------------------------------------------

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(help_sections()))

    async def action_quit(self) -> None:
        session = self.session
        if session is not None and session.in_flight is not None:
            self.push_screen(ConfirmScreen(
                "A batch is in flight",
                "Quitting now loses its answer: the batch will be kept as OUTCOME UNKNOWN "
                "(never re-sent) for you to reconcile next time.\n\nQuit anyway?",
                yes="quit",
            ), callback=self._quit_confirmed)
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
        if self.controller is not None:
            self.exit_message = self.controller.exit_message()
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen, self.action_help)


def help_sections() -> list[Section]:
    """Every key, per screen, read from the bindings themselves (so it cannot go stale)."""
    everywhere = [
        *rows(b for b in CcnowApp.BINDINGS if isinstance(b, Binding)),
        ("f1", "Help (same as ?)"),
        ("ctrl+p", "Command palette: every action by name"),
        ("↑ ↓", "Move in a list (pgup/pgdn, home/end too; the mouse works)"),
    ]
    shared = {"view.log", "nav.back"}
    return [
        ("Everywhere", everywhere + rows(bindings_of(BaseScreen))),
        ("Pending queue (home)", rows(bindings_of(QueueScreen), shared)),
        ("Order detail", rows(bindings_of(DetailScreen), shared)),
        ("Batch composer", rows(bindings_of(ComposerScreen), shared)),
        ("Forms and questions", rows(bindings_of(ActionForm)) + rows(bindings_of(ConfirmScreen))
         + [("enter", "Submit the form")]),
    ]


def build_app(args) -> tuple[CcnowApp, object | None]:
    """The app for ``args`` (cli.py's namespace), and the demo sandbox to stop afterwards."""
    return launch.build_app(args, CcnowApp)


def run_tui(args) -> int:
    """cli.py's entry (``from .tui.app import run_tui``): launch.py does the work."""
    return launch.run_tui(args, CcnowApp)
