"""Every key, per screen: the sections are the app's, read from the bindings (``app.help_sections``)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..keys import Section


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
