"""The status log pane: a view of the app's bounded log buffer, drawn with the line API.

Every screen shows the same buffer. Writing a line costs an append; only the visible
lines are drawn. The view follows new lines while it is scrolled to the bottom.
"""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..model import LOG_TAGS, LogBuffer, LogKind
from .line_list import printable, strip_of

KIND_CLASS = {kind: f"status-log--{kind.value}" for kind in LogKind}


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

    COMPONENT_CLASSES = {"status-log--time", *KIND_CLASS.values()}

    def __init__(self, buffer: LogBuffer, **kwargs) -> None:
        super().__init__(**kwargs)
        self.buffer = buffer
        self._total = -1
        # Follow new lines until the operator scrolls up; scrolling back to the bottom
        # follows again. A flag, not "are we at the end now?": lines written while
        # this screen is in the background must still be followed when it returns.
        self.follow = True

    def on_mount(self) -> None:
        self.border_title = "log"
        self.sync()

    def on_resize(self) -> None:
        self.sync(force=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old and self.virtual_size.height == len(self.buffer):
            self.follow = False  # only the operator scrolls up
        elif new >= self.max_scroll_y:
            self.follow = True

    def sync(self, force: bool = False) -> None:
        """New lines were written: grow, and follow them unless scrolled up."""
        if self._total == self.buffer.total and not force:
            return
        self._total = self.buffer.total
        self.virtual_size = Size(self.size.width, len(self.buffer))
        self.refresh()
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.size.width
        base = self.rich_style
        lines = self.buffer.lines
        if index >= len(lines):
            return Strip.blank(width, base)
        line = lines[index]
        kind_style = self.get_component_rich_style(KIND_CLASS[line.kind])
        return strip_of(
            [
                (line.when + " ", self.get_component_rich_style("status-log--time")),
                (LOG_TAGS[line.kind] + " ", kind_style),
                (printable(line.text), kind_style if line.kind is not LogKind.INFO else Style()),
            ],
            width,
            base,
        )
