"""The pending queue: one row per order, at the stress size (docs/scale.md) as easily as for ten.

Rows are indexes into the book's pending list; a filter is a list of matching indexes
(built again only when the filter text or the rows change, extended as a streaming list
grows). Selection is a set of order numbers, so it survives filtering and refreshes.
Sorted (``o``), or with the orders that left the list this session shown after it, the
rows are a copy of the list in that order, built again when it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Unpack

from rich.style import Style
from textual.message import Message
from textual.strip import Strip

from ...protocol.orderid import OrderId
from ...protocol.status import status_info
from ..model import OrderBook, describe_event
from .line_list import CursorList, WidgetOptions, fit, printable, strip_of, wrap_cells
from .styled import GROUP_ROLE, role_css

if TYPE_CHECKING:
    from ...domain.staging import StagingArea

ORDER_W, STATUS_W, STAGED_W = 11, 14, 16

GROUP_CLASS = {group: f"order-table--{role}" for group, role in GROUP_ROLE.items()}  # styled.py's one map


class Sort(StrEnum):
    """The queue's order; ``o`` steps through them in this order."""

    LIST = "list"  # the receiver's order
    NUMBER = "order number"
    STATUS = "status"
    LAST_SENT = "last sent"  # newest first; never sent last

    def next(self) -> Sort:
        members = list(Sort)
        return members[(members.index(self) + 1) % len(members)]


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
    OrderTable > .order-table--left { color: $text-muted; text-style: dim; }
    """ + role_css("OrderTable", "order-table", GROUP_ROLE.values())

    COMPONENT_CLASSES: ClassVar[set[str]] = CursorList.COMPONENT_CLASSES | {
        "order-table--selected",
        "order-table--staged",
        "order-table--dim",
        "order-table--problem",
        "order-table--left",
        *GROUP_CLASS.values(),
    }

    class Open(Message):
        """Enter on a row: open that order."""

        def __init__(self, order_id: OrderId) -> None:
            super().__init__()
            self.order_id = order_id

    def __init__(self, book: OrderBook, staging: StagingArea, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.staging = staging
        self.selected: set[OrderId] = set()
        self.filter_text = ""
        self._view: list[int] | None = None  # matching row indexes, when filtering
        self._seen = 0  # rows of the current generation already filtered
        self._generation = -1
        self._rows: list[OrderId] = book.rows  # the rows shown: the book's list, or a sorted copy
        self.sort = Sort.LIST
        self.show_left = True  # orders that left the list this session, dimmed (z hides them)
        self._follow: OrderId | None = None  # order to put the cursor back on as a new list comes in
        self._unknown: tuple[int, dict[OrderId, str]] = (-1, {})  # (staging version, orders held)
        self._shape = 0  # counts the times the rows or the filter were replaced (shown_set)
        self._shown_key: tuple[int, int, int] | None = None
        self._shown_cache: set[OrderId] = set()

    # -- rows --------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self._view) if self._view is not None else len(self._rows)

    def order_at(self, index: int) -> OrderId | None:
        if not 0 <= index < self.row_count():
            return None
        return self._rows[self._view[index] if self._view is not None else index]

    def shown(self) -> list[OrderId]:
        """Every order shown, top to bottom."""
        if self._view is None:
            return list(self._rows)
        return [self._rows[i] for i in self._view]

    @property
    def current(self) -> OrderId | None:
        return self.order_at(self.cursor)

    def targets(self) -> list[OrderId]:
        """The selected orders (in queue order), or else the highlighted one."""
        if self.selected:
            ordered = list(filter(self.selected.__contains__, self._rows))  # C speed, at the stress size
            rest = sorted(self.selected.difference(ordered)) if len(ordered) < len(self.selected) else []
            return ordered + rest
        return [self.current] if self.current is not None else []

    def sync(self) -> None:
        """The book's rows changed (a new list, more rows of it, or new statuses).

        The cursor stays on the order it was on, not on its row number: orders come and
        go between two lists, and the next key must act on the order the operator saw.
        """
        keep = self.current
        if self._generation != self.book.generation:
            if keep is not None:
                self._follow = keep
            self._generation = self.book.generation
        if self._copied():
            self.rebuild(keep)
            return
        if self._rows is not self.book.rows:  # a new list (or the end of a sorted copy)
            self._rows = self.book.rows
            self._shape += 1
            self._seen = 0
            if self._view is not None:
                self._view = []
        if self._view is not None and self._seen < len(self._rows):
            self._view.extend(self._matches(self._seen, len(self._rows)))
        self._seen = len(self._rows)
        self.rows_changed(growing=self.book.loading)
        if self._follow is not None and (self.go_to(self._follow) or not self.book.loading):
            self._follow = None  # found it, or the list is complete and it left the queue

    # -- sorted, and the orders that left ------------------------------------------------

    def _copied(self) -> bool:
        """Shown as a copy of the list (sorted, or with the orders that left after it)."""
        return self.sort is not Sort.LIST or bool(self.show_left and self.book.left)

    def _source(self) -> list[OrderId]:
        rows = self.book.rows
        if not self._copied():
            return rows
        shown = list(rows)
        if self.show_left and self.book.left:
            current = set(rows)
            shown += [oid for oid in self.book.left if oid not in current]
        if self.sort is Sort.LIST:
            return shown
        return sorted(shown, key=self._sort_key()) if self.sort is not Sort.LAST_SENT else self._by_last_sent(shown)

    def _sort_key(self) -> Callable[[OrderId], tuple[str, str]]:
        status = self.book.status
        if self.sort is Sort.STATUS:
            return lambda oid: (status.get(oid, "\uffff"), oid)
        return lambda oid: (oid, "")

    def _by_last_sent(self, shown: list[OrderId]) -> list[OrderId]:
        """Newest first; orders never sent after them, by number (one bulk query for every
        order not looked up yet, not one each)."""
        events = self.book.events
        events.fill(shown)
        times = {oid: item.time if (item := events.get(oid)) is not None else "" for oid in shown}
        return sorted(sorted(shown), key=times.__getitem__, reverse=True)  # a stable sort

    def rebuild(self, keep: OrderId | None = None) -> None:
        """Build the rows again (sorted, with or without the orders that left); the cursor
        stays on ``keep`` (or the order it follows across a new list), else on its row."""
        self._rows = self._source()
        self._shape += 1
        self._view = list(self._matches(0, len(self._rows))) if self.filter_text else None
        self._seen = len(self._rows)
        self.rows_changed(growing=self.book.loading)
        if self._follow is not None:
            if self.go_to(self._follow) or not self.book.loading:
                self._follow = None
        else:
            self.go_to(keep)

    def cycle_sort(self) -> Sort:
        keep = self.current
        self.sort = self.sort.next()
        self.rebuild(keep)  # back in the list's order: the book's own list again
        return self.sort

    def toggle_left(self) -> bool:
        """Show or hide the orders that left the list; True: they are shown now."""
        keep = self.current
        self.show_left = not self.show_left
        self.rebuild(keep)
        return self.show_left

    def depends_on_status(self) -> bool:
        return self.sort is Sort.STATUS

    def depends_on_events(self) -> bool:
        return self.sort is Sort.LAST_SENT

    def set_filter(self, text: str) -> None:
        keep = self.current
        self.filter_text = text.strip().lower()
        self._shape += 1
        if self.filter_text:
            self._view = list(self._matches(0, len(self._rows)))
        else:
            self._view = None
        self._seen = len(self._rows)
        self.rows_changed(growing=self.book.loading)
        if not self.go_to(keep):
            self.move_to(0)

    def _matches(self, start: int, stop: int) -> Iterator[int]:
        """Indexes whose order number (either spelling), status or staged actions match."""
        needle = self.filter_text
        rows, status, staging = self._rows, self.book.status, self.staging
        for i in range(start, stop):
            oid = rows[i]
            if (
                needle in oid
                or needle in oid.digits
                or needle in status.get(oid, "")
                or (staging.indexes_for(oid) and needle in staging.summary_for(oid))
            ):
                yield i

    def go_to(self, order_id: OrderId | None) -> bool:
        """Move the cursor to ``order_id`` if it is shown."""
        if order_id is None:
            return False
        rows = self._rows
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
        """Select or unselect the highlighted order; the cursor stays on it (as in lazygit
        and k9s: ``space down space`` selects two neighbours, never one and the next but one)."""
        oid = self.current
        if oid is None:
            return
        self.selected.symmetric_difference_update({oid})
        self.refresh_line(self.cursor)

    def select_all_shown(self) -> int:
        """Select every shown row, or unselect them if they all are selected; selected orders
        that are not shown are left as they are. Returns how many rows it selected (negative:
        unselected)."""
        shown = self.shown_set()  # at C speed: A at the stress size is one keystroke
        if shown and shown <= self.selected:
            self.selected -= shown
            self.refresh()
            return -len(shown)
        added = len(shown - self.selected)
        self.selected |= shown
        self.refresh()
        return added

    def shown_set(self) -> set[OrderId]:
        """The orders shown, as a set (kept while the rows and the filter stay as they are)."""
        key = (self._shape, len(self._rows), len(self._view) if self._view is not None else -1)
        if self._shown_key != key:
            self._shown_key, self._shown_cache = key, set(self.shown())
        return self._shown_cache

    def hidden_selected(self) -> list[OrderId]:
        """The selected orders that are not shown (the filter hides them, ``z`` hides the
        orders that left the list, or a new list no longer has them), in targets' order."""
        if not self.selected:
            return []
        shown = self.shown_set()
        if self.selected <= shown:
            return []
        return [oid for oid in self.targets() if oid not in shown]

    def hidden_why(self) -> str:
        """Why selected orders are not shown, in the words the header and the question use."""
        return "hidden by the filter" if self.filter_text else "not shown"

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
            return (
                f"The pending list could not be loaded: {printable(book.refresh_note)} (r tries again)",
                "order-table--problem",
            )
        if self._view is not None and self._rows:
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
        lines = wrap_cells(message, max(10, width - 3)) if message else []
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
        left = oid in self.book.left
        if left:
            staged = f"left queue {staged}".rstrip()  # a word as well as the dimming (NO_COLOR)
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
        if left:
            dim = self.get_component_rich_style("order-table--left")
            return strip_of([(text, dim) for text, _ in cells], width, base)
        styled = []
        for text, cls in cells:
            style = self.get_component_rich_style(cls) if cls else Style()
            if cls == "" and oid in self.selected:
                style = self.get_component_rich_style("order-table--selected")
            styled.append((text, style))
        return strip_of(styled, width, base)
