"""Every key, per screen, read from the bindings themselves (so the help cannot go stale)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..keys import Section, bindings_of, rows
from .base import BaseScreen
from .composer import ComposerScreen
from .confirm import ConfirmScreen
from .detail import DetailScreen
from .forms import ActionForm
from .history import BatchScreen, HistoryScreen
from .import_labels import ImportPreviewScreen, LabelPathForm
from .queue import QueueScreen


def key_sections(app_bindings: Iterable[Binding]) -> list[Section]:
    """Every key, per screen: the app's own (``app_bindings``) first."""
    everywhere = [
        *rows(app_bindings),
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
        ("History (h): every batch sent, newest first", rows(bindings_of(HistoryScreen), shared | {"nav.history"})
         + rows(bindings_of(BatchScreen), shared | {"nav.history"})),
        ("Label import (i): the path, then the preview",
         rows(bindings_of(LabelPathForm)) + rows(bindings_of(ImportPreviewScreen))),
        ("Forms and questions", rows(bindings_of(ActionForm)) + rows(bindings_of(ConfirmScreen))
         + [("enter", "Submit the form")]),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,f1,q", "close", "Close", key_display="esc", id="help.close",
            tooltip="Close help",
        ),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

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
            yield Static(Text("esc: close"), classes="muted")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
