"""Home: every pending order, what is staged for it, and its last journal event.

Focus stays on the list so single-letter keys work; the filter input takes focus only
while ``/`` is being typed and hands it back on enter or escape, before the next key.
``L`` hands the focus to the log pane until ``esc`` (log_focus.py, as on every screen
with the log): there ``/`` and ``C`` search the log and copy its line, not the queue's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from ...protocol.orderid import OrderId
from ..messages import OrderOpened, RefreshRequested
from ..model import LogKind, Topic, counted
from ..widgets.field_input import FieldInput
from ..widgets.header import HeaderBar
from ..widgets.order_table import OrderTable, Sort, column_header
from .base import MainScreen
from .hidden import HiddenSelectionScreen, Scope
from .import_labels import start_import


class QueueScreen(MainScreen):
    TITLE = "Queue"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            priority=True,
            id="queue.filter",
            tooltip="Filter the queue (order number, status or staged action)",
        ),
        Binding(
            "space",
            "select",
            "Select",
            show=False,
            priority=True,
            id="queue.select",
            tooltip="Select or unselect the highlighted order (the cursor stays on it)",
        ),
        Binding(
            "A",
            "select_all",
            "Select all",
            show=False,
            priority=True,
            id="queue.select_all",
            tooltip="Select every shown order (again: unselect them); hidden selected orders stay as they are",
        ),
        Binding("r", "refresh", "Refresh", priority=True, id="queue.refresh", tooltip="Fetch the pending list again"),
        Binding(
            "i",
            "import_labels",
            "Import",
            priority=True,
            id="labels.import",
            tooltip="Import tracking numbers from a label file (preview first; stages track + ship)",
        ),
        # A priority binding, like every key here: enter in the filter keeps the filter
        # and hands the keys after it to the list; on the list it opens the order.
        Binding(
            "enter",
            "open",
            "Open",
            show=False,
            priority=True,
            id="queue.open",
            tooltip="Open the highlighted order",
        ),
        Binding(
            "escape",
            "back",
            "Clear",
            show=False,
            priority=True,
            id="queue.clear",
            tooltip="Clear the filter and the selection (in the log: back to the list)",
        ),
        Binding(
            "C",
            "copy",
            "Copy",
            show=False,
            priority=True,
            id="queue.copy",
            tooltip="Copy the highlighted order number, or the selected ones, to the clipboard (OSC 52)",
        ),
        Binding(
            "o",
            "sort",
            "Sort",
            show=False,
            priority=True,
            id="queue.sort",
            tooltip="Sort the queue: list order, order number, status, last sent (newest first)",
        ),
        Binding(
            "z",
            "toggle_left",
            "Left",
            show=False,
            priority=True,
            id="queue.left",
            tooltip="Hide or show the orders that left the list this session (dimmed, with their new status)",
        ),
    ]

    _columns = ""  # the column header as last shown

    def compose_body(self) -> ComposeResult:
        yield Static(id="columns")
        yield OrderTable(self.session.book, self.session.staging, id="orders")
        yield FieldInput(
            placeholder="filter: order number, status or staged action (enter: keep, esc: clear)",
            id="filter",
            compact=True,
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#filter", Input).display = False
        self.query_one(OrderTable).focus()

    def on_resize(self) -> None:
        self._columns = column_header(self.query_one(OrderTable).size.width)
        self.query_one("#columns", Static).update(self._columns)

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    def refresh_body(self, what: Topic) -> None:
        table = self.table
        if what in (Topic.LOG, Topic.FLIGHT):
            return
        if what in (Topic.ROWS, Topic.ALL):
            table.sync()
        elif (what is Topic.STATUS and table.depends_on_status()) or (
            what is Topic.EVENTS and table.depends_on_events()
        ):
            table.rebuild(table.current)  # sorted by what changed: the cursor stays on its order
        elif what in (Topic.STAGING, Topic.STATUS) and table.filter_text:
            table.set_filter(table.filter_text)  # a staged action or status may now match
        else:
            table.refresh()
        if table.selected:
            self.show_selection()  # a new list, or a filtered one, may hide selected orders
        columns = column_header(table.size.width or self.size.width)
        if columns != self._columns:  # an update lays the screen out again: only when it changed
            self._columns = columns
            self.query_one("#columns", Static).update(columns)

    def targets(self) -> list[OrderId]:
        return self.table.targets()

    def with_targets(self, what: str, proceed: Callable[[list[OrderId]], object]) -> None:
        """The selected orders, or else the highlighted one; when some selected orders are
        not shown, a question first (hidden.py says the rule): never acted on unasked."""
        table = self.table
        hidden = table.hidden_selected()
        if not hidden:
            super().with_targets(what, proceed)
            return
        selected, why = table.targets(), table.hidden_why()

        def answered(scope: Scope | None) -> None:
            if scope is None:
                self.ccnow.log_line(
                    LogKind.INFO,
                    f"{what}: nothing done ({len(hidden)} of the "
                    f"{counted(len(selected), 'selected order', 'selected orders')} "
                    f"{why})",
                )
                return
            if scope is Scope.SHOWN:
                gone = set(hidden)
                proceed([oid for oid in selected if oid not in gone])
            else:
                proceed(selected)

        self.app.push_screen(HiddenSelectionScreen(what, selected, hidden, why), callback=answered)

    def after_staging(self, targets: list[OrderId]) -> None:
        """The orders acted on are unselected; selected orders left out (hidden, and the
        question answered "shown only") stay selected, and the header counts them."""
        table = self.table
        if table.selected:
            if len(targets) >= len(table.selected):
                table.clear_selection()
            else:
                table.selected.difference_update(targets)
                table.refresh()
        self.show_selection()

    def show_selection(self) -> None:
        """The header counts the selected orders, and those of them not shown."""
        table = self.table
        selection = (
            (len(table.selected), len(table.hidden_selected()), table.hidden_why()) if table.selected else (0, 0, "")
        )
        header = self.query_one(HeaderBar)
        if header.selection != selection:
            header.selection = selection
            header.show(self.session)

    # -- keys ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.set_focus(box)  # at once (focus() waits a turn): keys typed ahead go into it

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter()

    def _apply_filter(self) -> None:
        # The field's value now, not the event's: a Changed message is handled after the
        # keys typed with it (enter, then a move), and must not undo what they did.
        value = self.query_one("#filter", Input).value
        if value.strip().lower() != self.table.filter_text:
            self.table.set_filter(value)
            self.show_selection()

    def _filter_done(self) -> None:
        """enter in the filter: keep it; the list has the focus before the next key."""
        box = self.query_one("#filter", Input)
        self._apply_filter()  # the keys after enter act on the filtered list
        box.display = bool(box.value)
        self.set_focus(self.table)

    def back(self) -> None:
        """Escape on the home screen: clear the filter, then the selection."""
        box = self.query_one("#filter", Input)
        if self.focused is box or box.value:
            box.value = ""
            box.display = False
            self.table.set_filter("")
            self.set_focus(self.table)  # at once: the keys after esc act on the list
        elif self.table.selected:
            self.table.clear_selection()
        self.show_selection()

    def action_select(self) -> None:
        self.table.toggle_selected()  # the cursor stays: down (or j) moves
        self.show_selection()

    def action_select_all(self) -> None:
        """A: every shown order; selected orders the filter hides stay as they are (the
        header counts them, and an action key asks about them)."""
        table = self.table
        changed = table.select_all_shown()
        self.show_selection()
        hidden = len(table.hidden_selected())
        if hidden:
            done = (
                f"selected {counted(changed, 'shown order', 'shown orders')}"
                if changed >= 0
                else f"unselected {counted(-changed, 'shown order', 'shown orders')}"
            )
            self.ccnow.log_line(LogKind.INFO, f"{done}; {len(table.selected)} selected, {hidden} {table.hidden_why()}")

    def action_refresh(self) -> None:
        self.ask(RefreshRequested())

    def action_import_labels(self) -> None:
        start_import(self, self.ask)

    def action_open(self) -> None:
        if self.focused is self.query_one("#filter", Input):
            self._filter_done()
        else:
            self.table.action_open()

    @on(OrderTable.Open)
    def _open(self, event: OrderTable.Open) -> None:
        self.ask(OrderOpened(event.order_id))

    # -- copy, sort, the orders that left ------------------------------------------------

    def action_copy(self) -> None:
        """C: order numbers to the clipboard by OSC 52 (in the focused log, its line: log_focus.py)."""
        self.with_targets("Copy", self.copy_orders)

    def copy_orders(self, targets: list[OrderId]) -> None:
        self.app.copy_to_clipboard("\n".join(targets))
        what = f"order number {targets[0]}" if len(targets) == 1 else f"{len(targets)} order numbers"
        self.tell(LogKind.INFO, f"copied {what}")

    def action_sort(self) -> None:
        sort = self.table.cycle_sort()
        header = self.query_one(HeaderBar)
        header.view_note = "" if sort is Sort.LIST else f"sort: {sort.value}"
        header.show(self.session)

    def action_toggle_left(self) -> None:
        shown = self.table.toggle_left()
        left = len(self.session.book.left)
        what = counted(left, "order that left the list", "orders that left the list")
        self.ccnow.log_line(LogKind.INFO, f"{what}: {'shown' if shown else 'hidden'} (z)")
