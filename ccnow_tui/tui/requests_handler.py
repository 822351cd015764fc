"""What the screens ask the app for (messages.py), and the one way a batch is sent.

Screens post typed requests; each is handled here with ``@on``, in a line or two that
hands it to the session controller or opens a screen. Nothing sends a batch except
:meth:`ScreenRequests.send_batch`, reached only from the confirmation that ``S`` asks.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import on
from textual.app import App
from textual.signal import Signal

from ..client import OFF_LOOP_ENTRIES, ReceiverAnswer
from ..gcpause import collector_paused
from ..protocol.batch import Batch, Severity
from ..protocol.orderid import OrderId
from ..staging import ClaimConflict
from ..storage.store import StoreError
from .messages import (
    ComposerOpened,
    HistoryOpened,
    ImportRequested,
    Logged,
    OrderOpened,
    QueryRequested,
    ReconcileRequested,
    RefreshRequested,
    SendRequested,
    StageRequested,
    UndoRequested,
)
from .model import LogKind, Topic
from .network import pump
from .request import Request, RequestKind
from .screens.composer import ComposerScreen
from .screens.confirm import ConfirmScreen, describe_send, must_type
from .screens.detail import DetailScreen
from .screens.history import BatchScreen, HistoryScreen
from .textual_private import premount

if TYPE_CHECKING:
    from .controller import SessionController, Update
    from .session import Session

COMPOSER = "composer"  # the name the session's one composer is installed under


class ScreenRequests(App[int]):
    """The app's answers to its screens' requests (CcnowApp provides the rest)."""

    session: Session | None
    controller: SessionController | None
    changed: Signal[Topic]

    # -- the app's own (CcnowApp): what the controller says, shown; its workers -----------

    def apply(self, update: Update | None) -> None:
        raise NotImplementedError

    def log_line(self, kind: LogKind, text: str, *, publish: bool = True) -> None:
        raise NotImplementedError

    def query_orders(self, order_ids: list[OrderId], unknown_batch_id: str = "") -> object:
        raise NotImplementedError

    def refresh_pending(self, automatic: bool = False) -> object:
        raise NotImplementedError

    # -- requests ----------------------------------------------------------------------

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
        """One composer for the session, mounted ahead while nothing waits on it: at 100,000
        entries mounting it costs more than the 0.2 s ``b`` may take; shown, it only redraws
        (it follows the staging area on every resume)."""
        composer = ComposerScreen()
        self.install_screen(composer, COMPOSER)
        premount(self, composer)

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
                self.notify("The staged entries changed meanwhile; nothing was sent. Press S again.",
                            severity="warning")

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
        if any(lint.severity is Severity.ERROR
               for lint in session.staging.lint(book.status, book.status_version, book.learnt_words)):
            self.notify("Cannot send: the lint shows errors (b to see them).", severity="error", markup=False)
            return False
        try:
            with collector_paused():  # 100,000 rows made at once, kept until the answer: see gcpause.py
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
                    with collector_paused():
                        request.index_orders()  # here, not on the UI's loop at the first answer line
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
