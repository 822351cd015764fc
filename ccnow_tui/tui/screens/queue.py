"""Home: every pending order, what is staged for it, and its last journal event.

Focus stays on the list so single-letter keys work; the filter input takes focus only
while ``/`` is being typed and hands it back on enter or escape.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Static

from ...protocol.orderid import OrderId
from ..widgets.field_input import FieldInput
from ..widgets.order_table import OrderTable, column_header
from .base import MainScreen


class QueueScreen(MainScreen):
    TITLE = "Queue"

    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/", priority=True, id="queue.filter", tooltip="Filter the queue (order number, status or staged action)"),
        Binding("space", "select", "Select", show=False, priority=True, id="queue.select", tooltip="Select or unselect the highlighted order"),
        Binding("A", "select_all", "Select all", show=False, priority=True, id="queue.select_all", tooltip="Select every shown order (again: unselect them)"),
        Binding("r", "refresh", "Refresh", priority=True, id="queue.refresh", tooltip="Fetch the pending list again"),
        Binding("enter", "open", "Open", show=False, id="queue.open", tooltip="Open the highlighted order"),
        Binding("escape", "back", "Clear", show=False, priority=True, id="queue.clear", tooltip="Clear the filter and the selection"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static(id="columns")
        yield OrderTable(self.session.book, self.session.staging, id="orders")
        yield FieldInput(placeholder="filter: order number, status or staged action (enter: keep, esc: clear)",
                    id="filter", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#filter", Input).display = False
        self.query_one(OrderTable).focus()

    def on_resize(self) -> None:
        self.query_one("#columns", Static).update(column_header(self.query_one(OrderTable).size.width))

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    def refresh_body(self, what: str) -> None:
        table = self.table
        if what in ("log", "flight"):
            return
        if what in ("rows", "all"):
            table.sync()
        elif what in ("staging", "status") and table.filter_text:
            table.set_filter(table.filter_text)  # a staged action or status may now match
        else:
            table.refresh()
        self.query_one("#columns", Static).update(column_header(table.size.width or self.size.width))

    def targets(self) -> list[OrderId]:
        return self.table.targets()

    def after_staging(self) -> None:
        if self.table.selected:
            self.table.clear_selection()

    # -- keys ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.set_focus(box)  # at once (focus() waits a turn): keys typed ahead go into it

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        self.table.focus()

    def action_back(self) -> None:
        """Escape on the home screen: clear the filter, then the selection."""
        box = self.query_one("#filter", Input)
        if box.has_focus or box.value:
            box.value = ""
            box.display = False
            self.table.set_filter("")
            self.table.focus()
        elif self.table.selected:
            self.table.clear_selection()

    def action_select(self) -> None:
        self.table.toggle_selected()

    def action_select_all(self) -> None:
        self.table.select_all_shown()

    def action_refresh(self) -> None:
        self.ccnow.refresh_pending()

    def action_open(self) -> None:
        self.table.action_open()

    @on(OrderTable.Open)
    def _open(self, event: OrderTable.Open) -> None:
        from .detail import DetailScreen

        self.app.push_screen(DetailScreen(event.order_id))
