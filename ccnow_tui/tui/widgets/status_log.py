"""The status log pane: a view of the app's bounded log buffer, drawn with the line API.

Every screen shows the same buffer. Writing a line costs an append; only the visible
lines are drawn. Long lines wrap (a receiver's message must be readable at 80 columns),
so the view keeps a ring of wrapped rows beside the buffer: new lines are wrapped once,
rows of lines that left the buffer are dropped from the front, and a new width wraps
everything again (at most LOG_LINES lines). The view follows new lines while it is
scrolled to the bottom.

The pane takes the focus only when asked (``L``, on every screen that shows it:
screens/log_focus.py): then a cursor marks one line (by its sequence number, so new
lines do not move it), the arrows and pgup/pgdn move it, and :meth:`search` finds a
line. Otherwise it never has the focus, so single-letter keys keep reaching the list
above it. ``/`` (search) and ``C`` (copy the line) are its own keys, live only while it
has the focus; the screen does the work (log_focus.py), and leaves its own meaning of
those keys (the queue's filter) to its list.
"""

from __future__ import annotations

import itertools
import textwrap
from collections import deque
from typing import ClassVar, Unpack

from rich.cells import cell_len
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.strip import Strip

from ..model import LOG_TAGS, LogBuffer, LogKind, LogLine
from .line_list import RowView, WidgetOptions, crop, printable, strip_of, wrap_cells

KIND_CLASS = {kind: f"status-log--{kind.value}" for kind in LogKind}
INDENT = len("HH:MM:SS ")  # continuation rows start under the outcome tag
MAX_ROWS_PER_LINE = 8  # a runaway line cannot push the rest out of view


def wrap_line(line: LogLine, width: int) -> list[str]:
    """The text of one log line as rows: the first after the time and tag, the rest indented."""
    text = printable(line.text)
    first = max(8, width - INDENT - len(LOG_TAGS[line.kind]) - 1)
    rest = max(8, width - INDENT)
    if cell_len(text) <= first:
        return [text]
    if text.isascii():
        head = textwrap.wrap(text, first, break_long_words=True, break_on_hyphens=False)[0]
        rows = [head]
        tail = text[len(head) :].lstrip()
        rows += textwrap.wrap(tail, rest, break_long_words=True, break_on_hyphens=False)
    else:  # by terminal cells: a wide character takes two (textwrap counts characters)
        rows = wrap_cells(text, rest, first)
    if len(rows) > MAX_ROWS_PER_LINE:
        rows = rows[:MAX_ROWS_PER_LINE]
        rows[-1] = crop(rows[-1], rest - 1) + "…"
    return rows


def shown_text(line: LogLine) -> str:
    """One log line as the pane shows it (the password already masked when written)."""
    return f"{line.when} {LOG_TAGS[line.kind]} {printable(line.text)}"


class StatusLog(RowView, can_focus=False):
    """Not focusable until :meth:`take_focus`: single-letter keys must keep reaching the list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False, priority=True, id="log.up"),
        Binding("down,j", "move(1)", "Down", show=False, priority=True, id="log.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, priority=True, id="log.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, priority=True, id="log.pagedown"),
        Binding("home", "move(-1000000)", "First", show=False, priority=True, id="log.home"),
        Binding("end", "move(1000000)", "Last", show=False, priority=True, id="log.end"),
        # The screen's actions (log_focus.py): the search field and the clipboard are its.
        Binding(
            "slash",
            "screen.log_search",
            "Search",
            key_display="/",
            show=False,
            priority=True,
            id="log.search",
            tooltip="In the focused log: search it (enter keeps the match, esc goes back)",
        ),
        Binding(
            "C",
            "screen.log_copy",
            "Copy line",
            show=False,
            priority=True,
            id="log.copy",
            tooltip="In the focused log: copy the highlighted line to the clipboard (OSC 52), masked as shown",
        ),
    ]

    DEFAULT_CSS = """
    StatusLog {
        height: 8;
        overflow-x: hidden;
        border-top: solid $primary 50%;
        scrollbar-size-vertical: 1;
    }
    StatusLog > .status-log--time { color: $text-muted; }
    StatusLog > .status-log--applied { color: $text-success; }
    StatusLog > .status-log--refused { color: $text-error; }
    StatusLog > .status-log--unknown { color: $text-warning; text-style: bold; }
    StatusLog > .status-log--unverified { color: $text-warning; }
    StatusLog > .status-log--info { color: $foreground; }
    StatusLog > .status-log--error { color: $text-error; text-style: bold; }
    StatusLog:focus { border-top: solid $accent; }
    StatusLog > .status-log--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"status-log--time", "status-log--cursor", *KIND_CLASS.values()}

    def __init__(self, buffer: LogBuffer, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.buffer = buffer
        self._total = -1
        # Follow new lines until the operator scrolls up; scrolling back to the bottom
        # follows again. A flag, not "are we at the end now?": lines written while
        # this screen is in the background must still be followed when it returns.
        self.follow = True
        # (sequence number of the line, the line, row within it, text of the row)
        self._rows: deque[tuple[int, LogLine, int, str]] = deque()
        self._next_seq = 0  # sequence number of the next line to wrap
        self._width = -1
        self.cursor: int | None = None  # sequence number of the highlighted line, while focused

    def on_mount(self) -> None:
        self.border_title = "log"
        self.sync()

    def on_resize(self) -> None:
        self.sync(force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        old, new = old_value, new_value
        if new < old and self.virtual_size.height == len(self._rows):
            self.follow = False  # only the operator scrolls up
        elif new >= self.max_scroll_y:
            self.follow = True

    def _wrap_new_lines(self, width: int) -> None:
        buffer = self.buffer
        first_seq = buffer.total - len(buffer)  # sequence number of the oldest line kept
        if width != self._width:
            self._rows.clear()
            self._next_seq = first_seq
            self._width = width
        rows = self._rows
        while rows and rows[0][0] < first_seq:
            rows.popleft()
        new = buffer.total - max(self._next_seq, first_seq)
        # The newest lines, from the right end of the ring: no walk over the old ones.
        fresh = list(itertools.islice(reversed(buffer.lines), new))
        for seq, line in enumerate(reversed(fresh), start=buffer.total - new):
            for i, text in enumerate(wrap_line(line, width)):
                rows.append((seq, line, i, text))
        self._next_seq = buffer.total

    def sync(self, force: bool = False) -> None:
        """New lines were written: grow, and follow them unless scrolled up."""
        # Wrap as if the scrollbar were there: it appears only once the rows overflow,
        # and rows wrapped for the wider view would then be cut at the right edge.
        width = self.size.width - self.styles.scrollbar_size_vertical
        if self._total == self.buffer.total and width == self._width and not force:
            return
        self._total = self.buffer.total
        if width > 0:
            self._wrap_new_lines(width)
        self.virtual_size = Size(width, len(self._rows))
        self.refresh()
        if self.follow:
            # force: on a screen shown again its scrollbars are as they were when it was
            # hidden (no layout since), and Textual would refuse to scroll to the new end.
            self.scroll_end(animate=False, x_axis=False, force=True)

    # -- the cursor, while focused ------------------------------------------------------

    def take_focus(self) -> None:
        """Focus the pane, its cursor on the newest line (or where it was, if still kept)."""
        self.can_focus = True
        first, last = self.buffer.total - len(self.buffer), self.buffer.total - 1
        if self.cursor is None or not first <= self.cursor <= last:
            self.cursor = last if last >= first else None
        self.screen.set_focus(self)  # at once: the keys after this one act on the log
        self.show_cursor()

    def on_blur(self) -> None:
        # Tab and the list's keys never land here by themselves. But not when the terminal
        # lost the focus (another window, a tmux pane): Textual gives it back here on return.
        if self.app.app_focus and self.screen.focused is not self:
            self.can_focus = False
        self.refresh()

    def current_line(self) -> LogLine | None:
        if self.cursor is None:
            return None
        index = self.cursor - (self.buffer.total - len(self.buffer))
        return self.buffer.lines[index] if 0 <= index < len(self.buffer) else None

    def move_to(self, seq: int) -> None:
        first, last = self.buffer.total - len(self.buffer), self.buffer.total - 1
        if last < first:
            return
        self.cursor = max(first, min(seq, last))
        self.show_cursor()

    def action_move(self, delta: int) -> None:
        if self.cursor is not None:
            self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * self.page_rows())

    def show_cursor(self) -> None:
        """Scroll so every row of the highlighted line is in view."""
        self.sync()
        rows = [i for i, row in enumerate(self._rows) if row[0] == self.cursor]
        if rows:
            self.bring_into_view(rows[0], rows[-1])
        self.refresh()

    def search(self, text: str, start: int | None = None) -> bool:
        """Put the cursor on the first line at or above ``start`` (older lines first, then
        round from the newest) whose text as shown holds ``text``, case aside."""
        needle = text.strip().lower()
        lines = self.buffer.lines
        if not needle or not lines:
            return False
        first = self.buffer.total - len(lines)
        begin = (start if start is not None else self.buffer.total - 1) - first
        count = len(lines)
        for step in range(count):
            index = (begin - step) % count
            if needle in shown_text(lines[index]).lower():
                self.move_to(first + index)
                return True
        return False

    def row_count(self) -> int:
        return len(self._rows)

    def draw_row(self, index: int, width: int, base: Style) -> Strip:
        seq, line, part, text = self._rows[index]
        if self.has_focus and seq == self.cursor:
            cursor = self.get_component_rich_style("status-log--cursor")
            if part:
                return strip_of([(" " * INDENT + text, cursor)], width, base + cursor)
            return strip_of([(f"{line.when} {LOG_TAGS[line.kind]} {text}", cursor)], width, base + cursor)
        kind_style = self.get_component_rich_style(KIND_CLASS[line.kind])
        text_style = kind_style if line.kind is not LogKind.INFO else Style()
        if part:
            return strip_of([(" " * INDENT + text, text_style)], width, base)
        return strip_of(
            [
                (line.when + " ", self.get_component_rich_style("status-log--time")),
                (LOG_TAGS[line.kind] + " ", kind_style),
                (text, text_style),
            ],
            width,
            base,
        )
