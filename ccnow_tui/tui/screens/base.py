"""What the queue, detail and composer screens share: header, log pane, staging keys.

Every binding has a stable id and a one-line tooltip; the help screen and the command
palette are both built from the bindings, so neither can drift from the real key map.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Iterable, Iterator

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ...protocol.actions import ActionKind, StagedAction
from ...protocol.batch import Severity
from ...protocol.orderid import OrderId
from ..model import LogKind
from ..widgets.header import HeaderBar
from ..widgets.key_footer import KeyFooter
from ..widgets.status_log import StatusLog

if TYPE_CHECKING:
    from ..app import CcnowApp
    from ..session import Session


MIN_SIZE = (60, 16)  # below this a screen says the terminal is too small


class BaseScreen(Screen):
    """Header on top, the screen's body, the status log pane, the footer.

    The keys of these screens and their lists are priority bindings: the app acts on each
    as it reads it, in the order typed. Keys that arrive in one read (fast typing, SSH)
    are otherwise handed to the focused widget to act on later, and a priority key after
    them (s, say) would act first, on an order the operator had moved away from. Printable
    keys still reach a focused text field (Textual leaves those to the field); enter on
    the queue stays ordinary so the filter field can take it.
    """

    TITLE = ""

    BINDINGS = [
        Binding("l", "toggle_log", "Log", show=False, priority=True, id="view.log", tooltip="Show or hide the status log pane"),
        Binding("escape", "back", "Back", key_display="esc", priority=True, id="nav.back", tooltip="Go back (close this screen)"),
    ]

    @property
    def ccnow(self) -> "CcnowApp":
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> "Session":
        session = self.ccnow.session
        assert session is not None
        return session

    def compose(self) -> ComposeResult:
        yield HeaderBar(self.TITLE, id="header")
        yield from self.compose_body()
        yield StatusLog(self.ccnow.log_buffer, id="log")
        yield KeyFooter(compact=True, show_command_palette=False)
        yield Static(id="too-small")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.ccnow.changed.subscribe(self, self.model_changed)
        self.model_changed("all")

    def on_resize(self) -> None:
        self._check_size()

    def _check_size(self) -> None:
        """Below MIN_SIZE nothing fits: say so, and what size works, instead."""
        width, height = self.app.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.set_class(small, "-too-small")
        # The log's display is set in code (l), which the stylesheet cannot override.
        self.query_one(StatusLog).display = self.ccnow.log_visible and not small
        if small:
            self.query_one("#too-small", Static).update(
                f"ccnow-tui needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]} (80x24 shows everything); "
                f"this terminal is {width}x{height}.")

    def on_screen_resume(self) -> None:
        self._check_size()
        log = self.query_one(StatusLog)  # l may have been pressed on another screen: _check_size
        log.sync(force=True)  # lines written while we were hidden
        self.model_changed("all")

    def model_changed(self, what: str) -> None:
        """Redraw what depends on the model; ``what`` names the part that changed.

        Screens buried under another screen skip the work; they redraw all on resume.
        """
        if not self.is_attached or not self.is_current:
            return
        self.query_one(HeaderBar).show(self.session)
        self.query_one(StatusLog).sync()
        self.refresh_body(what)

    def refresh_body(self, what: str) -> None:
        pass

    def action_toggle_log(self) -> None:
        self.ccnow.log_visible = not self.ccnow.log_visible
        self._check_size()  # shows or hides the log (not while the terminal is too small)

    def action_back(self) -> None:
        self.dismiss()


class MainScreen(BaseScreen):
    """Queue and detail: the staging keys act on :meth:`targets`."""

    BINDINGS = [
        Binding("s", "stage('ship')", "Ship", priority=True, id="stage.ship", tooltip="Stage ship for the highlighted or selected orders"),
        Binding("c", "stage('cancel')", "Cancel", priority=True, id="stage.cancel", tooltip="Stage cancel (with a reason) for the highlighted or selected orders"),
        Binding("t", "stage('track')", "Track", priority=True, id="stage.track", tooltip="Stage tracking (carrier, number, notes) for the highlighted or selected orders"),
        Binding("a", "stage('adjust')", "Adjust", priority=True, id="stage.adjust", tooltip="Stage a discount (amount, reason) for the highlighted or selected orders"),
        Binding("u", "undo", "Undo", show=False, priority=True, id="staging.undo", tooltip="Undo the last change to the staged entries"),
        Binding("b", "composer", "Batch", priority=True, id="nav.composer", tooltip="Review the staged batch (composer)"),
        Binding("S", "submit", "Send", priority=True, id="batch.submit", tooltip="Send the staged batch (asks for confirmation)"),
        Binding("g", "goto", "Go to", show=False, priority=True, id="nav.goto", tooltip="Go to any order by its number"),
    ]

    def targets(self) -> list[OrderId]:
        raise NotImplementedError

    def after_staging(self) -> None:
        """Hook: the queue clears its selection once it has been acted on."""

    def action_stage(self, kind: str) -> None:
        from .forms import ActionForm

        targets = self.targets()
        if not targets:
            self.notify("No order highlighted.", severity="warning")
            return
        action = ActionKind(kind)
        if action is ActionKind.SHIP:
            self.ccnow.stage([StagedAction.make(oid, action) for oid in targets])
            self.after_staging()
            return

        def done(entries: list[StagedAction] | None) -> None:
            if entries:
                self.ccnow.stage(entries)
                self.after_staging()

        self.app.push_screen(ActionForm(action, targets), callback=done)

    def action_undo(self) -> None:
        undo(self)

    def action_composer(self) -> None:
        from .composer import ComposerScreen

        self.app.push_screen(ComposerScreen())

    def action_submit(self) -> None:
        confirm_and_send(self)

    def action_goto(self) -> None:
        from .forms import GoToForm
        from .detail import DetailScreen

        def done(order_id: OrderId | None) -> None:
            if order_id is not None:
                self.app.push_screen(DetailScreen(order_id))

        self.app.push_screen(GoToForm(), callback=done)


def undo(screen: BaseScreen) -> None:
    staging = screen.session.staging
    if staging.undo():
        skipped = staging.last_undo_skipped
        left = f"; {skipped} left as they are (sent or changed since)" if skipped else ""
        screen.ccnow.log_line(LogKind.INFO, f"undone ({len(staging)} staged{left})")
    else:
        screen.notify("Nothing to undo.")


def confirm_and_send(screen: BaseScreen) -> None:
    """``S`` anywhere: say exactly what will happen, and send only on ``y``."""
    from .confirm import ConfirmScreen, describe_send

    session = screen.session
    if session.in_flight is not None:
        screen.notify("A batch is already in flight; wait for its answer.", severity="warning")
        return
    if not session.staging.entries:
        screen.notify("Nothing is staged.", severity="warning")
        return
    batch = session.staging.batch()
    errors = [lint for lint in session.staging.lint() if lint.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(e.message for e in errors[:3]) + (f"; … {len(errors) - 3} more (b)" if len(errors) > 3 else "")
        screen.notify("Cannot send: " + shown, severity="error", timeout=8, markup=False)
        return

    def done(yes: bool | None) -> None:
        if yes and screen.session.staging.batch() == batch:
            screen.ccnow.send_batch(batch)
        elif yes:
            screen.notify("The staged entries changed meanwhile; nothing was sent. Press S again.", severity="warning")

    title, body = describe_send(batch, session)
    screen.app.push_screen(ConfirmScreen(title, body, yes="send"), callback=done)


def bindings_of(node_class: type) -> list[Binding]:
    """Every Binding a class declares, its own first, then inherited; a key bound again
    by a subclass hides the inherited binding, as it does in Textual."""
    keys: set[str] = set()
    out: list[Binding] = []
    ours = [cls for cls in node_class.__mro__ if cls.__module__.startswith("ccnow_tui.")]
    for cls in ours:
        for b in cls.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding) and b.key not in keys:
                keys.add(b.key)
                out.append(b)
    return out


def palette_commands(app: "CcnowApp", screen: Screen) -> Iterator[SystemCommand]:
    """One palette entry for every key of the current screen (and its focused list)."""
    from ..widgets.line_list import CursorList

    owners: list = [screen]
    if isinstance(screen.focused, CursorList):
        owners.insert(0, screen.focused)
    seen: set[str] = set()
    for owner in owners:
        for b in bindings_of(type(owner)):
            key = b.id or b.action
            if not b.tooltip or key in seen or key == "nav.back":
                continue
            seen.add(key)
            yield SystemCommand(b.tooltip, f"key: {display_key(b)}", partial(app.run_action, b.action, owner))
    yield SystemCommand("Help: every key", "key: ? or F1", app.action_help)


def display_key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = {"question_mark": "?", "slash": "/", "space": "space", "escape": "esc", "enter": "enter"}
    return " or ".join(names.get(k, k) for k in binding.key.split(","))


def help_sections(screen_classes: Iterable[tuple[str, type]]) -> list[tuple[str, list[tuple[str, str]]]]:
    out = []
    for title, cls in screen_classes:
        rows = [(display_key(b), b.tooltip or b.description) for b in bindings_of(cls)]
        out.append((title, rows))
    return out
