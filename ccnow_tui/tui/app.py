"""The application: start-up, the network workers, and forwarding.

Workers do the network work and post typed messages (messages.py); the app hands them
to the session controller (controller.py), which applies them to the model and words
the log, and publishes the topics it says changed on ``changed`` so the screens redraw.
Screens ask for what is not theirs (stage, import, send, open a screen) with messages
too, answered in requests_handler.py, which holds the one way a batch is sent; keys typed
ahead act in order (key_order.py). The command line's entry is launch.py. Beside it:
the password prompt (password_ask.py), the timers (polling.py), quitting (quitting.py),
the theme kept (theme_pref.py), the keys in effect and the help (key_help.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from ..config import ConnectionSettings, KeyTable
from ..config_writer import FirstRun
from ..protocol.actions import ActionKind, StagedAction
from ..protocol.batch import Batch
from ..protocol.orderid import OrderId
from ..protocol.redact import Secret, redact
from . import key_help, launch
from .controller import SessionController, Update
from .key_help import KeyHelp
from .key_order import KeyOrderApp
from .keys import NO_KEYMAP, Section
from .messages import AnswerRecords, BatchProgress, PendingRecords, RequestFinished, RetryNotice
from .model import LogBuffer, LogKind, Topic
from .network import pump
from .password_ask import PasswordAsk
from .polling import Polling
from .quitting import Quitting
from .request import Request, RequestKind
from .requests_handler import ScreenRequests
from .screens.base import BaseScreen
from .screens.queue import QueueScreen
from .screens.setup import SetupScreen
from .session import Session, SessionError
from .textual_private import SeeThroughApp
from .theme_pref import ThemePref


class CcnowApp(ScreenRequests, PasswordAsk, Polling, Quitting, ThemePref, KeyHelp, KeyOrderApp, SeeThroughApp):
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
                 refresh_every: float = 0.0, first_run: FirstRun | None = None, keys: KeyTable | None = None) -> None:
        super().__init__()
        if keys is not None:  # config.toml's [keys]: a ConfigError naming its line, or Textual's keymap
            self.use_keys(keys)
        self.settings = settings
        self.refresh_every = refresh_every  # seconds between automatic refreshes (polling.py); 0: only on r
        self.setup_message = setup_message
        self.first_run = first_run  # nothing configured: the setup screen is a form that writes config.toml
        self.notice = notice  # shown in the log at start (e.g. "demo sandbox on ...")
        self.session: Session | None = None
        self.controller: SessionController | None = None
        self.log_buffer = LogBuffer()
        self.changed: Signal[Topic] = Signal(self, "changed")
        self.exit_message = ""  # printed by run_tui after the screen is restored
        self.start_failure = ""  # why the session could not start (the store): run_tui exits 2 saying it
        self.start_dir = Path.cwd()  # where a label file's path is read from (i)

    # -- start-up ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.restore_theme()
        self.begin(self.settings)

    def begin(self, settings: ConnectionSettings | None) -> None:
        """Start with ``settings``: none, the setup screen (which calls back here once saved);
        no password, ask for it; else the session."""
        self.settings = settings
        if settings is None:
            self.push_screen(SetupScreen(self.setup_message or "No connection settings.", first_run=self.first_run),
                             callback=self.begin)
            return
        self.notice = self.notice or f"settings: {settings.source}"  # saved by the setup form just now
        if settings.password is None:
            self.ask_password(settings)
        else:
            self.start_session(settings.password)

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
            session.book, session.staging, self.log_buffer, password_typed=self._password_typed,
            keys=self.log_hint_keys())
        session.staging.listener = lambda _: self.apply(controller.staging_changed())
        self.push_screen(QueueScreen())
        # The composer is mounted ahead (requests_handler.install_composer), but only once
        # the first pending list is on the screen: at 100,000 staged entries mounting it
        # would hold back the queue's first frame.
        self.apply(controller.started(self.notice))
        self.refresh_pending()
        self.start_timers()

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
            self.ask_password_again(update.ask_password)

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



def help_sections(keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen, as ``keymap`` ([keys] in config.toml) makes it."""
    return key_help.help_sections(CcnowApp, keymap)


def build_app(args) -> tuple[CcnowApp, object | None]:
    """The app for ``args`` (cli.py's namespace), and the demo sandbox to stop afterwards."""
    return launch.build_app(args, CcnowApp)


def run_tui(args) -> int:
    """cli.py's entry (``from .tui.app import run_tui``): launch.py does the work."""
    return launch.run_tui(args, CcnowApp)
