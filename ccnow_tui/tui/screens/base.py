"""What the queue, detail, composer and history screens share: header, log pane (its
keys: log_focus.py), staging keys.

Every binding has a stable id and a one-line tooltip (the help screen and the command
palette are built from them: keys.py). These screens ask the app for what is not
theirs to do (stage, send, open another screen) by posting messages (messages.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from ...domain.staging import SMALL_CHANGE
from ...gcpause import collector_paused
from ...protocol.actions import ActionKind, StagedAction
from ...protocol.orderid import OrderId
from ..keys import key_of
from ..messages import (
    AppRequest,
    ComposerOpened,
    HistoryOpened,
    OrderOpened,
    SendRequested,
    StageRequested,
    UndoRequested,
)
from ..model import LogKind, Topic
from ..widgets.header import HeaderBar
from ..widgets.key_footer import KeyFooter
from ..widgets.line_list import CursorList
from ..widgets.status_log import StatusLog
from .forms import ActionForm, GoToForm
from .log_focus import LogFocusScreen, LogSearch

if TYPE_CHECKING:
    from ..session import Session


MIN_SIZE = (60, 16)  # below this a screen says the terminal is too small
LOG_ROWS = 8  # the log pane's height (its top border included) where there is room for it


class BaseScreen(LogFocusScreen):
    """Header on top, the screen's body, the status log pane (``L`` focuses it:
    LogFocusScreen) with its search field, the footer.

    The keys of these screens and their lists are priority bindings: the app acts on each
    as it reads it, in the order typed. Keys that arrive in one read (fast typing, SSH)
    are otherwise handed to the focused widget to act on later, and a priority key after
    them (s, say) would act first, on an order the operator had moved away from. Printable
    keys still reach a focused text field (Textual leaves those to the field); enter on
    the queue stays ordinary so the filter field can take it.
    """

    TITLE = ""
    _chrome_scheduled = False  # the header and the log are to follow the model (model_changed)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l",
            "toggle_log",
            "Log",
            show=False,
            priority=True,
            id="view.log",
            tooltip="Show or hide the status log pane",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            key_display="esc",
            priority=True,
            id="nav.back",
            tooltip="Go back (close this screen)",
        ),
        Binding(
            "h",
            "history",
            "History",
            show=False,
            priority=True,
            id="nav.history",
            tooltip="History: every batch sent from this profile, newest first",
        ),
    ]

    @property
    def session(self) -> Session:
        session = self.ccnow.session
        assert session is not None
        return session

    def key(self, binding_id: str, owner: type | None = None) -> str:
        """The keys in effect for a binding of this screen (or of ``owner``), as prose names
        them: hints say ``d forgets it`` with the key ``[keys]`` made of ``d``."""
        return key_of(self, owner or type(self), binding_id)

    def stage_keys(self) -> list[tuple[str, str]]:
        """(keys in effect, action) for each action the queue stages, in the order
        :class:`MainScreen` binds them: the one list the hints name, so a new action kind
        needs only its ``stage.KIND`` binding to be named wherever staging is explained."""
        return [
            (self.key(b.id, MainScreen), b.id.removeprefix("stage."))
            for b in MainScreen.BINDINGS
            if isinstance(b, Binding) and b.id and b.id.startswith("stage.")
        ]

    def ask(self, request: AppRequest) -> None:
        """Ask the app: acted on before the next key (keys wait for it: CcnowApp.post_message)."""
        self.app.post_message(request)

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.TITLE or "", id="header")
        yield from self.compose_body()
        yield LogSearch(self._search_done, placeholder=self.search_hint(), id="log-search", compact=True)
        yield StatusLog(self.ccnow.log_buffer, id="log")
        yield KeyFooter()
        yield Static(id="too-small")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # Looked at as it is published, and posted to this screen only if it is seen: a
        # screen under an opaque one gets no message, so Textual, which counts it as
        # visible, never repaints it under the screen on top (see is_seen).
        self.ccnow.changed.subscribe(self, self._published, immediate=True)
        self.model_changed(Topic.ALL)

    def on_resize(self) -> None:
        self._check_size()
        self.call_after_refresh(self.fit_log)

    def log_above(self) -> Widget | None:
        """The list (or the body) above the log: the log is never taller than it."""
        widgets: list[Widget] = [*self.query(CursorList), *self.query("#detail-body")]
        for widget in widgets:
            if widget.display:
                return widget
        return None

    def fit_log(self) -> None:
        """The log pane as tall as :data:`LOG_ROWS`, but never taller than the list above
        it: on a small terminal (60x16) the two share the room, the list keeping half or more."""
        if not self.is_attached:
            return
        log = self.query_one(StatusLog)
        above = self.log_above()
        if not log.display or above is None:
            return
        room = above.outer_size.height + log.outer_size.height
        if room <= 0:
            return  # not laid out yet
        rows = min(LOG_ROWS, room // 2)
        if log.outer_size.height != rows:
            log.styles.height = rows

    def _check_size(self) -> None:
        """Below MIN_SIZE nothing fits: say so, and what size works, instead."""
        width, height = self.app.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        was_small = self.has_class("-too-small")
        self.set_class(small, "-too-small")
        # The log's display is set in code (l), which the stylesheet cannot override.
        log = self.query_one(StatusLog)
        log.display = self.ccnow.log_visible and not small
        if not log.display:
            self.log_hidden()  # the list takes the focus back from it
        if was_small and not small and self.focused is None:
            self.focus_list()  # Textual took the focus from the hidden list
        if small:
            self.query_one("#too-small", Static).update(
                f"ccnow-tui needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (80x24 shows everything); "
                f"this terminal is {width}x{height}."
            )

    def on_screen_resume(self) -> None:
        self._check_size()  # the terminal may have been resized meanwhile
        self.query_one(StatusLog).sync(force=True)  # lines written while we were hidden
        self.model_changed(Topic.ALL)

    def tell(self, kind: LogKind, text: str) -> None:
        """A result that goes to the log (an export's path, what was copied); with the log
        hidden (``l``, or a small terminal) a toast says it too, or it would go unseen."""
        self.ccnow.log_line(kind, text)
        if not self.query_one(StatusLog).display:
            self.notify(text, severity="error" if kind is LogKind.ERROR else "information", markup=False)

    def show_log(self) -> None:
        """The app's ``log_visible`` changed (l, on any screen)."""
        if self.is_attached:
            self._check_size()  # shows or hides the log (not while the terminal is too small)
            self.call_after_refresh(self.fit_log)

    def _published(self, what: Topic) -> None:
        if self.is_attached and self.is_seen():
            self.call_next(self.model_changed, what)

    def model_changed(self, what: Topic) -> None:
        """Redraw what depends on the model; ``what`` names the part that changed.

        Screens buried under another screen skip the work; they redraw all on resume.
        """
        if not self.is_attached or not self.is_seen():
            return  # brought up to date when shown again (on_screen_resume)
        # One step publishes several parts (an answer's slice: status, log, flight,
        # events): the header and the log follow once, after the app's handler is done.
        if not self._chrome_scheduled:
            self._chrome_scheduled = True
            self.call_next(self._sync_chrome)
        self.refresh_body(what)

    def is_seen(self) -> bool:
        """Whether the operator sees this screen: it is on top, or every screen above it
        lets it show through (a question's dim backdrop).

        Textual's ``is_current`` also counts the screen right under an opaque one (the
        queue under the composer): each message that screen handles ends in a repaint of
        it, and each repaint marks the screen on top for a redraw (40 changes to the staged
        entries with the composer up: 41 repaints of the hidden queue reaching it, and 1
        when it is handed nothing). So a screen not seen is handed no model change, not
        even one to ignore; it redraws all when it is shown again (on_screen_resume)."""
        stack = self.app.screen_stack
        if self not in stack:
            return False
        return all(above.styles.background.a < 1 for above in stack[stack.index(self) + 1 :])

    def _sync_chrome(self) -> None:
        self._chrome_scheduled = False
        if self.is_attached:
            self.query_one(HeaderBar).show(self.session)
            self.query_one(StatusLog).sync()
            self.call_after_refresh(self.fit_log)  # the body may have grown (the composer's lint)

    def refresh_body(self, what: Topic) -> None:
        pass

    def action_toggle_log(self) -> None:
        self.ccnow.log_visible = not self.ccnow.log_visible  # the app's watcher shows or hides it

    def action_back(self) -> None:
        """esc: out of the focused log (or its search) first, then :meth:`back`."""
        if not self.leave_log():
            self.back()

    def back(self) -> None:
        self.dismiss()

    def action_history(self) -> None:
        self.ask(HistoryOpened())


class MainScreen(BaseScreen):
    """Queue and detail: the staging keys act on :meth:`targets`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s",
            "stage('ship')",
            "Ship",
            priority=True,
            id="stage.ship",
            tooltip="Stage ship for the highlighted or selected orders",
        ),
        Binding(
            "c",
            "stage('cancel')",
            "Cancel",
            priority=True,
            id="stage.cancel",
            tooltip="Stage cancel (with a reason) for the highlighted or selected orders",
        ),
        Binding(
            "t",
            "stage('track')",
            "Track",
            priority=True,
            id="stage.track",
            tooltip="Stage tracking (carrier, number, notes) for the highlighted or selected orders",
        ),
        Binding(
            "a",
            "stage('adjust')",
            "Adjust",
            priority=True,
            id="stage.adjust",
            tooltip="Stage a discount (amount, reason) for the highlighted or selected orders",
        ),
        Binding(
            "u",
            "undo",
            "Undo",
            show=False,
            priority=True,
            id="staging.undo",
            tooltip="Undo the last change to the staged entries",
        ),
        Binding(
            "b",
            "composer",
            "Batch",
            priority=True,
            id="nav.composer",
            tooltip="Review the staged batch (composer)",
        ),
        Binding(
            "S",
            "submit",
            "Send",
            priority=True,
            id="batch.submit",
            tooltip="Send the staged batch (asks for confirmation)",
        ),
        Binding(
            "g",
            "goto",
            "Go to",
            show=False,
            priority=True,
            id="nav.goto",
            tooltip="Go to any order by its number",
        ),
    ]

    def targets(self) -> list[OrderId]:
        raise NotImplementedError

    def with_targets(self, what: str, proceed: Callable[[list[OrderId]], object]) -> None:
        """``proceed`` with the orders an action key acts on (:meth:`targets`); the queue
        asks first when some selected orders are not shown (``what`` names the action)."""
        targets = self.targets()
        if not targets:
            self.notify("No order highlighted.", severity="warning")
            return
        proceed(targets)

    def after_staging(self, targets: list[OrderId]) -> None:
        """Hook: the queue unselects the orders once they have been acted on."""

    def action_stage(self, kind: str) -> None:
        action = ActionKind(kind)
        self.with_targets(f"Stage {action.value}", lambda targets: self.stage_for(action, targets))

    def stage_for(self, action: ActionKind, targets: list[OrderId]) -> None:
        if action is ActionKind.SHIP:
            # Targets are order numbers already checked, and a ship has no fields: made at
            # C speed, as staging ship at the stress size (docs/scale.md) is one keystroke,
            # with the collector paused (each of its collections would scan them again).
            with collector_paused() if len(targets) >= SMALL_CHANGE else nullcontext():
                actions = StagedAction.fieldless(action, targets)
            self.ask(StageRequested(actions))
            self.after_staging(targets)
            return

        def done(entries: list[StagedAction] | None) -> None:
            if entries:
                self.ask(StageRequested(entries))
                self.after_staging(targets)

        self.app.push_screen(ActionForm(action, targets), callback=done)

    def action_undo(self) -> None:
        self.ask(UndoRequested())

    def action_composer(self) -> None:
        self.ask(ComposerOpened())

    def action_submit(self) -> None:
        self.ask(SendRequested())

    def action_goto(self) -> None:
        def done(order_id: OrderId | None) -> None:
            if order_id is not None:
                self.ask(OrderOpened(order_id))

        self.app.push_screen(GoToForm(), callback=done)
