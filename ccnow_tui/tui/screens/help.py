"""Every key, per screen, read from the bindings themselves (so the help cannot go stale),
with the keys in effect: ``[keys]`` in config.toml remaps them (keymap.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..keys import NO_KEYMAP, Section, bindings_of, display_key, owned_binding, rows
from ..widgets.line_list import CursorList
from ..widgets.status_log import StatusLog
from .base import BaseScreen
from .composer import ComposerScreen
from .confirm import ConfirmScreen
from .detail import DetailScreen
from .forms import ActionForm
from .hidden import HiddenSelectionScreen
from .history import BatchScreen, HistoryScreen
from .import_labels import ImportPreviewScreen, LabelChoiceForm, LabelPathForm
from .queue import QueueScreen
from .setup import SetupScreen

SELECTION_RULE = ("Stage keys and C act on the selected orders (the header counts them), else on the highlighted "
                  "one. With selected orders the filter hides, they ask first: v the shown ones only, a all, "
                  "esc none")
LOG_MOVES = {"log.up", "log.down", "log.pageup", "log.pagedown", "log.home", "log.end"}  # one row for all


def key_sections(app_bindings: Iterable[Binding], keymap: Mapping[str, str] = NO_KEYMAP) -> list[Section]:
    """Every key, per screen: the app's own (``app_bindings``) first; each key as the
    keymap (``[keys]``) makes it."""
    app_rows = rows(app_bindings, keymap=keymap)
    up, down = (display_key(owned_binding(CursorList, i), keymap) for i in ("list.up", "list.down"))
    moves = "↑ ↓ j k" if not {"list.up", "list.down"} & set(keymap) else f"{up} / {down}"
    everywhere = [
        *app_rows,
        *([("f1", "Help (same as ?)")] if "app.help" not in keymap else []),
        ("ctrl+p", "Command palette: every action by name"),
        (moves, "Move in a list (pgup/pgdn, home/end too; the mouse works)"),
    ]
    shared = {"view.log", "nav.back"}

    def of(node_class: type, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
        return rows(bindings_of(node_class), skip, keymap)

    return [
        ("Everywhere", everywhere + of(BaseScreen)),
        ("Pending queue (home)", [*of(QueueScreen, shared), ("", SELECTION_RULE)]),
        ("Order detail", of(DetailScreen, shared)),
        ("Batch composer", of(ComposerScreen, shared)),
        ("History (h): every batch sent, newest first", of(HistoryScreen, shared | {"nav.history"})
         + of(BatchScreen, shared | {"nav.history"})),
        ("In the focused log (L on any screen with it)",
         [("↑ ↓ j k pgup pgdn home end", "Scroll the log"), *of(StatusLog, LOG_MOVES)]),
        ("Label import (i): the path, then the preview", of(LabelPathForm) + of(ImportPreviewScreen)
         + of(LabelChoiceForm)),
        ("Forms and questions", of(ActionForm) + of(ConfirmScreen) + of(HiddenSelectionScreen)
         + [(display_key(owned_binding(ActionForm, "form.submit"), keymap), "Submit the form")]),
        ("First-run setup (no configuration yet)",
         [*of(SetupScreen), ("enter", "In a text field: test what is entered (as ctrl+t)")]),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            # A priority binding: the help is closed before the key after esc is looked at
            # (esc and s in one read: s acts on the screen underneath, it is not dropped).
            "escape,question_mark,f1,q", "close", "Close", key_display="esc", priority=True, id="help.close",
            tooltip="Close help",
        ),
    ]

    def __init__(self, sections: list[Section], close_key: str = "esc") -> None:
        super().__init__()
        self.sections = sections
        self.close_key = close_key  # help.close's first key in effect

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text("Keys"), classes="title")
            with VerticalScroll(id="help-body"):
                for title, rows in self.sections:
                    table = Table(title=title, title_justify="left", title_style="bold", show_header=False,
                                  box=None, padding=(0, 1), expand=True)
                    table.add_column(style="bold", no_wrap=True, width=7)
                    table.add_column(ratio=1)
                    seen = set()
                    for key, what in rows:
                        if (key, what) not in seen:
                            seen.add((key, what))
                            table.add_row(key, what)
                    yield Static(table)
            yield Static(Text(f"{self.close_key}: close"), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
