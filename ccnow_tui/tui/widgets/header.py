"""The one-line header: which account and receiver, how many pending, how fresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from ..model import clock

if TYPE_CHECKING:
    from ..session import Session


class HeaderBar(Static):
    DEFAULT_CSS = """
    HeaderBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, screen_name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.screen_name = screen_name

    def show(self, session: "Session") -> None:
        # Most important first: at 80 columns the tail is cut with an ellipsis.
        book = session.book
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.screen_name, style="bold")
        text.append(f"  {session.profile}@{session.host}  ")
        text.append(f"{book.pending_count} pending", style="bold")
        if book.loading:
            text.append(" loading…", style="italic")
        else:
            text.append(f" @{clock(book.last_refresh)}")
            if getattr(self.app, "refresh_every", 0):
                text.append(f" ↻{self.app.refresh_every:g}s", style="dim")
        if book.refresh_note:
            text.append(" INCOMPLETE", style="bold reverse")
        if session.in_flight is not None:
            answered, total = session.progress
            text.append(f"  sending {answered}/{total}…", style="bold reverse")
        unknown = len(session.staging.unknown_batches)
        if unknown:
            text.append(f"  {unknown} UNKNOWN", style="bold reverse")
        unverified = len(session.staging.unverified)
        if unverified:
            text.append(f"  {unverified} UNVERIFIED", style="bold reverse")
        staged = len(session.staging)
        if staged:
            text.append(f"  {staged} staged")
        self.update(text)
