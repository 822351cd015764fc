"""The exact form fields the batch will POST, in order, with the password masked."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ..widgets.line_list import printable
from ..widgets.scroll_body import ScrollBody
from ..widgets.styled import Palette, StyledText

PREVIEW_LIMIT = 5000  # fields shown; a huge batch is summarised rather than drawn whole


class PreviewScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding: closed before the next key is looked at (it acts underneath).
        Binding(
            "escape,p",
            "close",
            "Close",
            key_display="esc",
            priority=True,
            id="preview.close",
            tooltip="Close the preview",
        ),
    ]

    def __init__(self, fields: list[tuple[str, str]], url: str) -> None:
        super().__init__()
        self.fields = fields
        self.url = url

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(f"Exactly what S will POST: {len(self.fields)} fields, password masked"), classes="title")
            yield Static(Text(f"POST {self.url}"), classes="muted")
            with ScrollBody(id="preview-body"):
                yield StyledText(self._fields_text)
            yield Static(Text("esc: close"), classes="muted")

    def _fields_text(self, p: Palette) -> Text:
        t = Text()
        for name, value in self.fields[:PREVIEW_LIMIT]:
            t.append(f"{name}", style=p.strong)
            t.append(f"={printable(value)}\n")
        if len(self.fields) > PREVIEW_LIMIT:
            t.append(f"… and {len(self.fields) - PREVIEW_LIMIT} more fields\n", style=p.muted)
        return t

    def on_mount(self) -> None:
        self.query_one("#preview-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
