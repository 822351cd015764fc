"""The pending queue: one row per order, for 100,000 orders as easily as for ten.

Rows are indexes into the book's pending list; a filter is a list of matching indexes
(built again only when the filter text or the rows change, extended as a streaming list
grows). Selection is a set of order numbers, so it survives filtering and refreshes.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from ...protocol.orderid import OrderId
from ...protocol.status import status_info
from ..model import OrderBook, describe_event
from .line_list import CursorList, fit, printable, strip_of
from .styled import GROUP_ROLE, role_css

if TYPE_CHECKING:
    from ...staging import StagingArea

ORDER_W, STATUS_W, STAGED_W = 11, 14, 16

GROUP_CLASS = {group: f"order-table--{role}" for group, role in GROUP_ROLE.items()}  # styled.py's one map


def column_header(width: int) -> str:
    event_w = max(0, width - (2 + ORDER_W + 1 + STATUS_W + 1 + STAGED_W + 1))
    cells = [fit("order", ORDER_W), fit("status", STATUS_W), fit("staged", STAGED_W), fit("last sent", event_w)]
    return "  " + " ".join(cells)


class OrderTable(CursorList):
    DEFAULT_CSS = """
    OrderTable > .order-table--selected { color: $text-accent; text-style: bold; }
    OrderTable > .order-table--staged { color: $text-primary; text-style: bold; }
    OrderTable > .order-table--dim { color: $text-muted; }
    OrderTable > .order-table--problem { color: $text-warning; text-style: bold; }
    """ + role_css("OrderTable", "order-table", GROUP_ROLE.values())

    COMPONENT_CLASSES: ClassVar[set[str]] = CursorList.COMPONENT_CLASSES | {
        "order-table--selected", "order-table--staged", "order-table--dim", "order-table--problem",
        *GROUP_CLASS.values(),
    }

    class Open(Message):
        """Enter on a row: open that order."""

        def __init__(self, order_id: OrderId) -> None:
            super().__init__()
            self.order_id = order_id

    def __init__(self, book: OrderBook, staging: StagingArea, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.staging = staging
        self.selected: set[OrderId] = set()
        self.filter_text = ""
        self._view: list[int] | None = None  # matching row indexes, when filtering
        self._seen = 0  # rows of the current generation already filtered
        self._generation = -1
        self._rows: list[OrderId] = book.rows  # the list the cursor's row number refers to
        self._follow: OrderId | None = None  # order to put the cursor back on as a new list comes in
        self._unknown: tuple[int, dict[OrderId, str]] = (-1, {})  # (staging version, orders held)

    # -- rows --------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._view) if self._view is not None else len(self.book.rows)

    def order_at(self, index: int) -> OrderId | None:
        if not 0 <= index < self.row_count():
            return None
        return self.book.rows[self._view[index] if self._view is not None else index]

    @property
    def current(self) -> OrderId | None:
        return self.order_at(self.cursor)

    def targets(self) -> list[OrderId]:
        """The selected orders (in queue order), or else the highlighted one."""
        if self.selected:
            ordered = [oid for oid in self.book.rows if oid in self.selected]
            rest = sorted(self.selected.difference(ordered))
            return ordered + rest
        return [self.current] if self.current is not None else []

    def sync(self) -> None:
        """The book's rows changed (a new list, more rows of it, or new statuses).

        The cursor stays on the order it was on, not on its row number: orders come and
        go between two lists, and the next key must act on the order the operator saw.
        """
        if self._generation != self.book.generation:
            old_rows, old_view = self._rows, self._view
            if 0 <= self.cursor < (len(old_view) if old_view is not None else len(old_rows)):
                self._follow = old_rows[old_view[self.cursor] if old_view is not None else self.cursor]
            self._generation = self.book.generation
            self._seen = 0
            if self._view is not None:
                self._view = []
        self._rows = self.book.rows
        if self._view is not None and self._seen < len(self.book.rows):
            self._view.extend(self._matches(self._seen, len(self.book.rows)))
        self._seen = len(self.book.rows)
        self.rows_changed()
        if self._follow is not None and (self.go_to(self._follow) or not self.book.loading):
            self._follow = None  # found it, or the list is complete and it left the queue

    def set_filter(self, text: str) -> None:
        keep = self.current
        self.filter_text = text.strip().lower()
        if self.filter_text:
            self._view = list(self._matches(0, len(self.book.rows)))
        else:
            self._view = None
        self._seen = len(self.book.rows)
        self.rows_changed()
        if not self.go_to(keep):
            self.move_to(0)

    def _matches(self, start: int, stop: int):
        """Indexes whose order number (either spelling), status or staged actions match."""
        needle = self.filter_text
        rows, status, staging = self.book.rows, self.book.status, self.staging
        for i in range(start, stop):
            oid = rows[i]
            if (needle in oid or needle in oid.digits or needle in status.get(oid, "")
                    or (staging.indexes_for(oid) and needle in staging.summary_for(oid))):
                yield i

    def go_to(self, order_id: OrderId | None) -> bool:
        """Move the cursor to ``order_id`` if it is shown."""
        if order_id is None:
            return False
        rows = self.book.rows
        if self._view is None:
            try:
                self.move_to(rows.index(order_id))
                return True
            except ValueError:
                return False
        for pos, i in enumerate(self._view):
            if rows[i] == order_id:
                self.move_to(pos)
                return True
        return False

    # -- selection ---------------------------------------------------------------------

    def toggle_selected(self) -> None:
        oid = self.current
        if oid is None:
            return
        self.selected.symmetric_difference_update({oid})
        self.refresh_line(self.cursor)
        self.move_to(self.cursor + 1)

    def select_all_shown(self) -> None:
        """Select every shown row, or clear the selection if they all are selected."""
        shown = {oid for i in range(self.row_count()) if (oid := self.order_at(i)) is not None}
        if shown and shown <= self.selected:
            self.selected -= shown
        else:
            self.selected |= shown
        self.refresh()

    def clear_selection(self) -> None:
        self.selected.clear()
        self.refresh()

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Open(self.current))

    # -- drawing -----------------------------------------------------------------------

    def empty_message(self) -> tuple[str, str]:
        """What an empty table says in place of rows, and its component class."""
        book = self.book
        if book.loading:
            return "Loading the pending list…", "order-table--dim"
        if book.refresh_note and not book.rows:
            return (f"The pending list could not be loaded: {printable(book.refresh_note)} (r tries again)",
                    "order-table--problem")
        if self._view is not None and book.rows:
            return f"No order matches “{printable(self.filter_text)}” (esc clears the filter)", "order-table--dim"
        if book.last_refresh is not None:
            return "No pending orders (r fetches the list again)", "order-table--dim"
        return "", "order-table--dim"

    def render_line(self, y: int) -> Strip:
        if self.row_count():
            return super().render_line(y)
        width = self.size.width
        base = self.rich_style
        message, cls = self.empty_message()
        lines = textwrap.wrap(message, max(10, width - 3)) if message else []
        if not 0 <= y - 1 < len(lines):
            return Strip.blank(width, base)
        return strip_of([("  " + lines[y - 1], self.get_component_rich_style(cls))], width, base)

    def _held_orders(self) -> dict[OrderId, str]:
        version, orders = self._unknown
        if version != self.staging.version:
            orders = self.staging.held_orders()
            self._unknown = (self.staging.version, orders)
        return orders

    def render_row(self, index: int, width: int, base: Style, cursor: Style | None) -> Strip:
        oid = self.order_at(index)
        assert oid is not None
        code = self.book.status.get(oid, "")
        info = status_info(code) if code else None
        staged = self.staging.summary_for(oid) if self.staging.indexes_for(oid) else ""
        held = self._held_orders().get(oid)
        if held is not None:
            staged = f"{held} {staged}"  # in flight, answer lost, or unproved: never hidden behind a colour
        event = describe_event(self.book.events.get(oid), oid)
        event_w = max(0, width - (2 + ORDER_W + 1 + STATUS_W + 1 + STAGED_W + 1))
        # Drawn marks as well as colours: the cursor and selection read without colour too.
        mark = ("▸" if cursor is not None else " ") + ("✓" if oid in self.selected else " ")
        cells = [
            (mark, "order-table--selected"),
            (fit(oid, ORDER_W) + " ", ""),
            (fit(printable(code) or "?", STATUS_W) + " ", GROUP_CLASS[info.group] if info else "order-table--unknown"),
            (fit(staged, STAGED_W) + " ", "order-table--staged"),
            (fit(printable(event), event_w), "order-table--dim"),
        ]
        if cursor is not None:
            return strip_of([(text, cursor) for text, _ in cells], width, base)
        styled = []
        for text, cls in cells:
            style = self.get_component_rich_style(cls) if cls else Style()
            if cls == "" and oid in self.selected:
                style = self.get_component_rich_style("order-table--selected")
            styled.append((text, style))
        return strip_of(styled, width, base)
