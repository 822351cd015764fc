"""Every key, per screen, read from the bindings themselves (so it cannot go stale)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from .base import BaseScreen, bindings_of, display_key


def key_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    from ..app import CcnowApp
    from .composer import ComposerScreen
    from .confirm import ConfirmScreen
    from .detail import DetailScreen
    from .forms import ActionForm
    from .queue import QueueScreen

    def rows(cls: type, skip: set[str] = frozenset()) -> list[tuple[str, str]]:
        return [(display_key(b), b.tooltip or b.description) for b in bindings_of(cls)
                if (b.id or b.action) not in skip]

    everywhere = [(display_key(b), b.tooltip or b.description) for b in CcnowApp.BINDINGS if isinstance(b, Binding)]
    everywhere += [("f1", "Help (same as ?)"),
                   ("ctrl+p", "Command palette: every action by name"),
                   ("↑ ↓", "Move in a list (pgup/pgdn, home/end too; the mouse works)")]
    shared = {"view.log", "nav.back"}
    return [
        ("Everywhere", everywhere + rows(BaseScreen)),
        ("Pending queue (home)", rows(QueueScreen, shared)),
        ("Order detail", rows(DetailScreen, shared)),
        ("Batch composer", rows(ComposerScreen, shared)),
        ("Forms and questions", rows(ActionForm) + rows(ConfirmScreen)
         + [("enter", "Submit the form")]),
    ]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,f1,q", "close", "Close", key_display="esc", id="help.close", tooltip="Close help"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text("Keys", style="bold"))
            with VerticalScroll(id="help-body"):
                for title, rows in key_sections():
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
            yield Static(Text("esc: close", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
