"""Home: every pending order, what is staged for it, and its last journal event.

Focus stays on the list so single-letter keys work; the filter input takes focus only
while ``/`` is being typed and hands it back on enter or escape, before the next key.
``L`` hands the focus to the log pane (scroll, search with ``/`` and ``n``, copy a line
with ``C``) until ``esc``; its search field works as the filter's does.
"""

from __future__ import annotations

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
from ..widgets.status_log import StatusLog, shown_text
from .base import MainScreen
from .import_labels import start_import


class QueueScreen(MainScreen):
    TITLE = "Queue"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash", "filter", "Filter", key_display="/", priority=True, id="queue.filter",
            tooltip="Filter the queue (order number, status or staged action)",
        ),
        Binding(
            "space", "select", "Select", show=False, priority=True, id="queue.select",
            tooltip="Select or unselect the highlighted order",
        ),
        Binding(
            "A", "select_all", "Select all", show=False, priority=True, id="queue.select_all",
            tooltip="Select every shown order (again: unselect them)",
        ),
        Binding("r", "refresh", "Refresh", priority=True, id="queue.refresh", tooltip="Fetch the pending list again"),
        Binding(
            "i", "import_labels", "Import", priority=True, id="labels.import",
            tooltip="Import tracking numbers from a label file (preview first; stages track + ship)",
        ),
        # A priority binding, like every key here: enter in the filter keeps the filter
        # and hands the keys after it to the list; on the list it opens the order.
        Binding(
            "enter", "open", "Open", show=False, priority=True, id="queue.open",
            tooltip="Open the highlighted order",
        ),
        Binding(
            "escape", "back", "Clear", show=False, priority=True, id="queue.clear",
            tooltip="Clear the filter and the selection (in the log: back to the list)",
        ),
        Binding(
            "C", "copy", "Copy", show=False, priority=True, id="queue.copy",
            tooltip="Copy the highlighted order number, or the selected ones, to the clipboard "
                    "(OSC 52; in the log: the highlighted line)",
        ),
        Binding(
            "o", "sort", "Sort", show=False, priority=True, id="queue.sort",
            tooltip="Sort the queue: list order, order number, status, last sent (newest first)",
        ),
        Binding(
            "z", "toggle_left", "Left", show=False, priority=True, id="queue.left",
            tooltip="Hide or show the orders that left the list this session (dimmed, with their new status)",
        ),
        Binding(
            "L", "focus_log", "Log focus", show=False, priority=True, id="log.focus",
            tooltip="Focus the log: arrows and pgup/pgdn scroll, / searches, n next match, "
                    "C copies the line, esc back to the list",
        ),
        Binding(
            "n", "next_match", "Next match", show=False, priority=True, id="log.next",
            tooltip="In the focused log: the next (older) line matching the search",
        ),
    ]

    _columns = ""  # the column header as last shown

    def compose_body(self) -> ComposeResult:
        yield Static(id="columns")
        yield OrderTable(self.session.book, self.session.staging, id="orders")
        yield FieldInput(placeholder="filter: order number, status or staged action (enter: keep, esc: clear)",
                    id="filter", compact=True)
        yield FieldInput(placeholder="search the log (enter: keep, then n: next match; esc: cancel)",
                         id="log-search", compact=True)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#filter", Input).display = False
        self.query_one("#log-search", Input).display = False
        self.query_one(OrderTable).focus()
        self._search_from: int | None = None  # the log line the search started on

    def on_resize(self) -> None:
        self._columns = column_header(self.query_one(OrderTable).size.width)
        self.query_one("#columns", Static).update(self._columns)

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    @property
    def log_pane(self) -> StatusLog:
        return self.query_one(StatusLog)

    def refresh_body(self, what: Topic) -> None:
        table = self.table
        if what in (Topic.LOG, Topic.FLIGHT):
            return
        if what in (Topic.ROWS, Topic.ALL):
            table.sync()
        elif (what is Topic.STATUS and table.depends_on_status()) or (
                what is Topic.EVENTS and table.depends_on_events()):
            table.rebuild(table.current)  # sorted by what changed: the cursor stays on its order
        elif what in (Topic.STAGING, Topic.STATUS) and table.filter_text:
            table.set_filter(table.filter_text)  # a staged action or status may now match
        else:
            table.refresh()
        columns = column_header(table.size.width or self.size.width)
        if columns != self._columns:  # an update lays the screen out again: only when it changed
            self._columns = columns
            self.query_one("#columns", Static).update(columns)

    def targets(self) -> list[OrderId]:
        return self.table.targets()

    def after_staging(self) -> None:
        if self.table.selected:
            self.table.clear_selection()

    # -- keys ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.focused is self.log_pane:
            self._start_search()
            return
        if self.focused is self.query_one("#log-search", Input):
            return
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

    def _filter_done(self) -> None:
        """enter in the filter: keep it; the list has the focus before the next key."""
        box = self.query_one("#filter", Input)
        self._apply_filter()  # the keys after enter act on the filtered list
        box.display = bool(box.value)
        self.set_focus(self.table)

    def action_back(self) -> None:
        """Escape on the home screen: clear the filter, then the selection (from the log
        or its search field: back to the log, then to the list)."""
        search = self.query_one("#log-search", Input)
        if self.focused is search:
            self._search_done(keep=False)
            return
        if self.focused is self.log_pane:
            self.set_focus(self.table)  # at once: the keys after esc act on the list
            return
        box = self.query_one("#filter", Input)
        if self.focused is box or box.value:
            box.value = ""
            box.display = False
            self.table.set_filter("")
            self.set_focus(self.table)  # at once: the keys after esc act on the list
        elif self.table.selected:
            self.table.clear_selection()

    def action_select(self) -> None:
        self.table.toggle_selected()

    def action_select_all(self) -> None:
        self.table.select_all_shown()

    def action_refresh(self) -> None:
        self.ask(RefreshRequested())

    def action_import_labels(self) -> None:
        start_import(self, self.ask)

    def action_open(self) -> None:
        if self.focused is self.query_one("#filter", Input):
            self._filter_done()
        elif self.focused is self.query_one("#log-search", Input):
            self._search_done(keep=True)
        elif self.focused is self.log_pane:
            pass  # enter in the log opens nothing
        else:
            self.table.action_open()

    @on(OrderTable.Open)
    def _open(self, event: OrderTable.Open) -> None:
        self.ask(OrderOpened(event.order_id))

    # -- copy, sort, the orders that left ------------------------------------------------

    def action_copy(self) -> None:
        """C: order numbers (or, in the log, its highlighted line) to the clipboard by OSC 52."""
        if self.focused is self.log_pane:
            line = self.log_pane.current_line()
            if line is None:
                self.app.bell()
                return
            self.app.copy_to_clipboard(shown_text(line))
            self.ccnow.log_line(LogKind.INFO, "copied a log line")
            return
        targets = self.table.targets()
        if not targets:
            self.notify("No order highlighted.", severity="warning")
            return
        self.app.copy_to_clipboard("\n".join(targets))
        what = f"order number {targets[0]}" if len(targets) == 1 else f"{len(targets)} order numbers"
        self.ccnow.log_line(LogKind.INFO, f"copied {what}")

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

    # -- the log pane, focused -------------------------------------------------------------

    def action_focus_log(self) -> None:
        if not self.ccnow.log_visible:
            self.ccnow.log_visible = True  # shows it (the app's watcher) before it takes the focus
        if not self.log_pane.display:
            self.app.bell()  # the terminal is too small for it
            return
        self.log_pane.take_focus()

    def show_log(self) -> None:
        super().show_log()
        if not self.log_pane.display and self.focused in (self.log_pane, self.query_one("#log-search", Input)):
            self.set_focus(self.table)  # the log was hidden (l) while it had the focus

    def action_next_match(self) -> None:
        log = self.log_pane
        if self.focused is not log:
            return
        text = self.query_one("#log-search", Input).value
        if not text.strip():
            self.app.bell()
        elif log.cursor is None or not log.search(text, log.cursor - 1):
            self.app.bell()

    def _start_search(self) -> None:
        box = self.query_one("#log-search", Input)
        self._search_from = self.log_pane.cursor
        box.value = ""
        box.display = True
        self.set_focus(box)  # at once: the keys typed ahead go into it

    @on(Input.Changed, "#log-search")
    def _search_changed(self, event: Input.Changed) -> None:
        value = self.query_one("#log-search", Input).value
        if value.strip():
            self.log_pane.search(value, self._search_from)

    def _search_done(self, keep: bool) -> None:
        box = self.query_one("#log-search", Input)
        log = self.log_pane
        if keep and box.value.strip():
            log.search(box.value, self._search_from)  # the keys after enter act on the match
        else:
            box.value = ""
            if self._search_from is not None:
                log.move_to(self._search_from)
        box.display = False
        log.take_focus()
