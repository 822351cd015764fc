"""A keyboard list drawn with Textual's line API: only the visible rows are ever rendered.

DataTable builds a row object per row and takes seconds to paint them at the stress size (docs/scale.md), with
the event loop blocked; here a row exists only as an index until it scrolls into view.
Subclasses say how many rows there are and how to draw one.
"""

from __future__ import annotations

from collections.abc import Iterable
from time import monotonic
from typing import ClassVar, TypedDict

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...protocol.redact import escape_controls


class WidgetOptions(TypedDict, total=False):
    """The keywords every Textual widget takes, passed on by our widgets' ``**kwargs``."""

    name: str | None
    id: str | None
    classes: str | None
    disabled: bool


def printable(text: object) -> str:
    """Text from the network as a screen shows it: control characters written out
    (``\\x1b``, tabs too), never obeyed; the rule is :func:`escape_controls`'s."""
    return escape_controls(str(text), tabs=False)


def fit(text: str, width: int) -> str:
    """``text`` padded or cut (with an ellipsis) to exactly ``width`` terminal cells: a
    wide character (Japanese, Chinese, most emoji) takes two, and is never cut in half."""
    if width <= 0:
        return ""
    if text.isascii():  # one cell a character (printable() made control characters visible)
        if len(text) > width:
            return text[: width - 1] + "…" if width > 1 else text[:width]
        return text.ljust(width)
    cells = cell_len(text)
    if cells > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    return text + " " * (width - cells)


def crop(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells (no padding, no ellipsis)."""
    if width <= 0:
        return ""
    if text.isascii():
        return text[:width]
    return chop_cells(text, width)[0] if cell_len(text) > width else text


def wrap_cells(text: str, width: int, first: int | None = None) -> list[str]:
    """``text`` as rows of at most ``width`` cells (the first row: ``first``), broken
    between words; a word longer than a row is broken by cells, never inside a character."""
    width = max(1, width)
    limit = max(1, first if first is not None else width)
    rows: list[str] = []
    line, line_w = "", 0
    for word in text.split():
        w = cell_len(word)
        if line and line_w + 1 + w <= limit:
            line, line_w = f"{line} {word}", line_w + 1 + w
            continue
        if line:
            rows.append(line)
            limit = width
        while w > limit:
            piece = chop_cells(word, limit)[0]
            rows.append(piece)
            limit = width
            word = word[len(piece) :]
            w = cell_len(word)
        line, line_w = word, w
    if line or not rows:
        rows.append(line)
    return rows


def strip_of(parts: Iterable[tuple[str, Style]], width: int, base: Style) -> Strip:
    """One row from (text, style) cells, padded or cropped to the widget width."""
    segments = [Segment(text, base + style) for text, style in parts if text]
    return Strip(segments).crop_extend(0, width, base)


GROWING_RESIZE_EVERY = 0.15  # seconds between resizes of the scroll area while rows stream in


class RowView(ScrollView):
    """Rows drawn one a line with the line API: what the lists (:class:`CursorList`) and the
    log (status_log.StatusLog) share. Line ``y`` of the view shows row ``scroll_y + y``;
    a page is the view's height less one row kept in sight; a cursor's rows are scrolled
    into view the least that shows them. Subclasses implement :meth:`row_count` and
    :meth:`draw_row`."""

    def row_count(self) -> int:
        raise NotImplementedError

    def draw_row(self, index: int, width: int, base: Style) -> Strip:
        """Row ``index`` (below :meth:`row_count`), ``width`` cells wide on ``base``."""
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.size.width
        base = self.rich_style
        if index >= self.row_count():
            return Strip.blank(width, base)
        return self.draw_row(index, width, base)

    def page_rows(self) -> int:
        """How many rows pgup and pgdn move."""
        return max(1, self.size.height - 1)

    def bring_into_view(self, first: int, last: int) -> None:
        """Scroll the least that shows rows ``first`` to ``last``; ``first`` when they do
        not all fit."""
        height = self.scrollable_content_region.height or self.size.height
        top = round(self.scroll_y)
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif height and last >= top + height:
            self.scroll_to(y=max(first, last - height + 1), animate=False, immediate=True)


class CursorList(RowView, can_focus=True):
    """Rows with a cursor. Subclasses implement :meth:`row_count` and :meth:`render_row`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # j and k too, as in lazygit, k9s and vi: one binding each, so [keys] remaps both.
        Binding("up,k", "cursor(-1)", "Up", show=False, priority=True, id="list.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, priority=True, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, priority=True, id="list.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, priority=True, id="list.pagedown"),
        Binding("home", "jump(0)", "First", show=False, priority=True, id="list.home"),
        Binding("end", "jump(-1)", "Last", show=False, priority=True, id="list.end"),
    ]

    DEFAULT_CSS = """
    CursorList {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"cursor-list--cursor"}

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

    class CursorMoved(Message):
        def __init__(self, cursor_list: CursorList, index: int) -> None:
            super().__init__()
            self.cursor_list = cursor_list
            self.index = index

        @property
        def control(self) -> CursorList:
            return self.cursor_list

    # -- to implement ------------------------------------------------------------------

    def render_row(self, index: int, width: int, base: Style, cursor: Style | None) -> Strip:
        """Row ``index``; ``cursor`` is the cursor style when this row has the cursor."""
        raise NotImplementedError

    # -- machinery ---------------------------------------------------------------------

    _sized_at = 0.0  # when the scroll area was last resized (monotonic seconds)

    def rows_changed(self, *, growing: bool = False) -> None:
        """Call after the rows changed: resizes the scroll area and repaints.

        ``growing``: rows are still arriving (a list streaming in). Resizing the scroll
        area lays the whole screen out again, so then it is done at most every
        :data:`GROWING_RESIZE_EVERY` seconds; the rows themselves repaint at once."""
        count = self.row_count()
        now = monotonic()
        if not growing or count < self.virtual_size.height or now - self._sized_at >= GROWING_RESIZE_EVERY:
            self._sized_at = now
            self.virtual_size = Size(self.size.width, count)
        if self.cursor >= count:
            self.cursor = max(0, count - 1)
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.row_count())

    def draw_row(self, index: int, width: int, base: Style) -> Strip:
        cursor = None
        if index == self.cursor:
            cursor = self.get_component_rich_style("cursor-list--cursor")
        return self.render_row(index, width, base, cursor)

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_cursor()
        self.post_message(self.CursorMoved(self, new))

    def scroll_to_cursor(self) -> None:
        self.bring_into_view(self.cursor, self.cursor)

    def move_to(self, index: int) -> None:
        count = self.row_count()
        self.cursor = max(0, min(index, count - 1)) if count else 0

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * self.page_rows())

    def action_jump(self, where: int) -> None:
        self.move_to(self.row_count() - 1 if where < 0 else 0)

    def on_click(self, event: Click) -> None:
        self.move_to(round(self.scroll_y) + event.y)
