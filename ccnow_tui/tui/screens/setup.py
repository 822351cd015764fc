"""Start-up without a session: how to configure, or the API password, asked once.

The password typed here lives only in memory (a Secret), for this session.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from ...config import ConnectionSettings
from ...protocol.redact import Secret, redact
from ..widgets.field_input import FieldInput


class SetupScreen(Screen[ConnectionSettings]):
    """Shown instead of a traceback when there is nothing (valid) to connect with."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.quit", "Quit", key_display="q", id="setup.quit", tooltip="Quit"),
    ]

    def __init__(self, message: str, title: str = "ccnow-tui is not set up yet", *, form: bool = False) -> None:
        super().__init__()
        self.message = message
        self.title_text = title
        self.form = form  # no configuration at all: a form that writes one (else only the explanation)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="setup-body"):
            yield Label(Text(self.title_text), classes="title")
            yield Static(Text(redact(self.message)), id="setup-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#setup-body").focus()


class PasswordScreen(Screen[Secret | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Quit", key_display="esc", id="password.cancel", tooltip="Quit without connecting"),
    ]

    def __init__(self, settings: ConnectionSettings, error: str = "") -> None:
        super().__init__()
        self.settings = settings
        self.error = error  # why we ask again (the receiver refused the last one)

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(classes="dialog"):
            yield Label(Text("API password"), classes="title")
            yield Static(Text(f"Profile {s.profile}: account {s.client_id} at {s.url}\n"
                              "The API password (not the backroom password). It is kept in memory only."))
            yield FieldInput(password=True, placeholder="password", id="password", compact=True)
            yield Static(Text(self.error), id="password-error", classes="field-error")
            yield Static(Text("enter: connect   esc: quit"), classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            self.query_one("#password-error", Static).update("The password is required.")
            return
        self.dismiss(Secret(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
