"""The status log pane: a view of the app's bounded log buffer, drawn with the line API.

Every screen shows the same buffer. Writing a line costs an append; only the visible
lines are drawn. Long lines wrap (a receiver's message must be readable at 80 columns),
so the view keeps a ring of wrapped rows beside the buffer: new lines are wrapped once,
rows of lines that left the buffer are dropped from the front, and a new width wraps
everything again (at most LOG_LINES lines). The view follows new lines while it is
scrolled to the bottom.
"""

from __future__ import annotations

import itertools
import textwrap
from collections import deque
from typing import ClassVar

from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..model import LOG_TAGS, LogBuffer, LogKind, LogLine
from .line_list import printable, strip_of

KIND_CLASS = {kind: f"status-log--{kind.value}" for kind in LogKind}
INDENT = len("HH:MM:SS ")  # continuation rows start under the outcome tag
MAX_ROWS_PER_LINE = 8  # a runaway line cannot push the rest out of view


def wrap_line(line: LogLine, width: int) -> list[str]:
    """The text of one log line as rows: the first after the time and tag, the rest indented."""
    text = printable(line.text)
    first = max(8, width - INDENT - len(LOG_TAGS[line.kind]) - 1)
    rest = max(8, width - INDENT)
    if len(text) <= first:
        return [text]
    head = textwrap.wrap(text, first, break_long_words=True, break_on_hyphens=False)[0]
    rows = [head]
    tail = text[len(head):].lstrip()
    rows += textwrap.wrap(tail, rest, break_long_words=True, break_on_hyphens=False)
    if len(rows) > MAX_ROWS_PER_LINE:
        rows = rows[:MAX_ROWS_PER_LINE]
        rows[-1] = rows[-1][: rest - 1] + "…"
    return rows


class StatusLog(ScrollView, can_focus=False):
    """Not focusable: single-letter keys must keep reaching the list above it."""

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
    StatusLog > .status-log--info { color: $foreground; }
    StatusLog > .status-log--error { color: $text-error; text-style: bold; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"status-log--time", *KIND_CLASS.values()}

    def __init__(self, buffer: LogBuffer, **kwargs) -> None:
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

    def on_mount(self) -> None:
        self.border_title = "log"
        self.sync()

    def on_resize(self) -> None:
        self.sync(force=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
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
            self.scroll_end(animate=False, x_axis=False)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.size.width
        base = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, base)
        _, line, part, text = self._rows[index]
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
