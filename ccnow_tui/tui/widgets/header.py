"""The one-line header: which account and receiver, how many pending, how fresh."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Unpack

from rich.cells import cell_len
from rich.text import Text

from ..model import clock
from .line_list import WidgetOptions
from .styled import Palette, StyledText

if TYPE_CHECKING:
    from ..session import Session


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TICK_SECONDS = 0.25  # while a request is out the header is redrawn this often (the app's timer)


def alive(since: float, now: float | None = None) -> str:
    """A request still out: a spinner frame and the seconds since it left (``⠹ 3.2s``)."""
    elapsed = max(0.0, (time.monotonic() if now is None else now) - since)
    return f"{SPINNER[int(elapsed / TICK_SECONDS) % len(SPINNER)]} {elapsed:.1f}s"


class HeaderBar(StyledText):
    DEFAULT_CSS = """
    HeaderBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, screen_name: str, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.screen_name = screen_name
        self.view_note = ""  # how the screen's list is shown, e.g. "sort: status" (the queue's o)
        self.selection: tuple[int, int, str] = (0, 0, "")  # the queue's: selected, of them not shown, and why

    def show(self, session: Session) -> None:
        self._session = session
        width = self.content_size.width or self.app.size.width - 2
        self.update(lambda p: self.line(session, width, p))

    def on_resize(self) -> None:
        if getattr(self, "_session", None) is not None:
            self.show(self._session)

    def line(self, session: Session, width: int, p: Palette) -> Text:
        """The header, its least important parts left out until it fits ``width``.

        Never left out: the profile, INCOMPLETE, a batch in flight, the counts of
        UNKNOWN, UNVERIFIED and staged entries, and of the selected orders (with how many
        of them are not shown: "3 selected, 2 hidden by the filter"). Left out first: the refresh interval,
        the receiver's host and the list's sort, the time of the last refresh, the
        screen's name, the pending count (a tail that still does not fit is cut with an ellipsis).
        """
        book = session.book
        # (text, palette role, drop rank: 0 never, 1 first)
        parts: list[tuple[str, str, int]] = [
            (self.screen_name, "strong", 4),
            ("  ", "", 4),
            (session.profile, "", 0),
            (f"@{session.host}", "", 2),
            ("  ", "", 0),
            (f"{book.pending_count} pending", "strong", 5),
        ]
        if book.loading:
            parts.append((f" loading… {alive(book.loading_since)}", "busy", 0))
        else:
            parts.append((f" @{clock(book.last_refresh)}", "", 3))
            every = getattr(self.app, "refresh_every", 0)
            if every:
                parts.append((f" ↻{every:g}s", "muted", 1))
        if self.view_note:
            parts.append((f"  {self.view_note}", "muted", 2))
        selected, hidden, why = self.selection
        if selected:
            parts.append((f"  {selected} selected", "strong", 0))
            if hidden:
                parts.append((f", {hidden} {why}", "flag", 0))
        if book.refresh_note:
            # The last refresh failed: the list may miss orders (or hold the failed one's
            # first part); the time says how old the last complete one is.
            since = f"last full list {clock(book.last_complete)}" if book.last_complete else "no full list yet"
            parts.append((f" INCOMPLETE: refresh failed, {since}", "flag", 0))
        if session.in_flight is not None:
            answered, total = session.progress
            parts.append((f"  sending {answered}/{total}… {alive(session.in_flight.started)}", "flag", 0))
        unknown = len(session.staging.unknown_batches)
        if unknown:
            parts.append((f"  {unknown} UNKNOWN", "flag", 0))
        unverified = len(session.staging.unverified)
        if unverified:
            parts.append((f"  {unverified} UNVERIFIED", "flag", 0))
        staged = len(session.staging)
        if staged:
            parts.append((f"  {staged} staged", "", 0))
        for rank in range(1, 6):
            if width <= 0 or sum(cell_len(t) for t, _, _ in parts) <= width:  # cells: a profile may be 店舗
                break
            parts = [p for p in parts if p[2] != rank]
        text = Text(no_wrap=True, overflow="ellipsis")
        for t, role, _ in parts:
            text.append(t, style=p.role(role))
        return text
