"""One order: its status and what it means, what is staged for it, and its journal history."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...protocol.orderid import OrderId
from ...protocol.status import StatusGroup, status_info
from ...storage.journal import NO_OUTCOME
from ..model import clock, journal_time
from ..widgets.line_list import printable
from .base import MainScreen

GROUP_STYLE = {
    StatusGroup.ACTIONABLE: "bold green",
    StatusGroup.ON_HOLD: "yellow",
    StatusGroup.IN_PROGRESS: "cyan",
    StatusGroup.FINAL: "dim",
    StatusGroup.UNKNOWN: "bold red",
}


class DetailScreen(MainScreen):
    TITLE = "Order"

    BINDINGS = [
        Binding("r", "query", "Query", priority=True, id="detail.query", tooltip="Ask the receiver for this order's status now"),
    ]

    def __init__(self, order_id: OrderId) -> None:
        super().__init__()
        self.order_id = order_id
        self.history: list[dict[str, Any]] | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(id="info")
            yield Static(id="staged")
            yield Static(id="history")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail-body").focus()
        self.load_history()
        if self.order_id not in self.session.book.status:
            self.action_query()

    def targets(self) -> list[OrderId]:
        return [self.order_id]

    def action_query(self) -> None:
        self.ccnow.query_orders([self.order_id])

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load_history(self) -> None:
        items = self.session.journal.history(self.order_id)
        self.app.call_from_thread(self._history_loaded, items)

    def _history_loaded(self, items: list[dict[str, Any]]) -> None:
        self.history = items
        self.refresh_body("history")

    def refresh_body(self, what: str) -> None:
        if what in ("log", "flight", "rows"):
            return
        if what == "events":
            self.load_history()
        self.query_one("#info", Static).update(self._info())
        self.query_one("#staged", Static).update(self._staged())
        self.query_one("#history", Static).update(self._history())

    # -- content -------------------------------------------------------------------------

    def _info(self) -> Text:
        book = self.session.book
        code = book.status.get(self.order_id)
        t = Text()
        t.append(f"{self.order_id}\n", style="bold")
        if code is None:
            t.append("status   ", style="dim")
            t.append("not known yet (r asks the receiver)\n")
        else:
            info = status_info(code)
            t.append("status   ", style="dim")
            t.append(printable(code), style=GROUP_STYLE[info.group])
            t.append(f"  ({info.group.value})\n")
            t.append("meaning  ", style="dim")
            t.append(info.meaning + "\n")
        t.append("checked  ", style="dim")
        t.append(clock(book.checked.get(self.order_id)))
        if self.order_id in book.rows:
            t.append("  (on the pending list)", style="dim")
        refusal = book.refusals.get(self.order_id)
        if refusal is not None:
            t.append("\nreceiver ", style="dim")
            t.append(f"refused at {clock(refusal[1])}: ")
            t.append(printable(refusal[0]), style="red")
        return t

    def _staged(self) -> Text:
        staging = self.session.staging
        t = Text("\nstaged for this order\n", style="bold")
        idxs = staging.indexes_for(self.order_id)
        if not idxs:
            t.append("  nothing (s ship, c cancel, t track, a adjust)\n", style="dim")
        for i in idxs:
            entry = staging.entries[i]
            t.append(f"  #{i + 1} {printable(entry.describe())}\n")
            remark = staging.remarks.get(entry)
            if remark:
                t.append(f"     receiver/remark: {printable(remark)}\n", style="red")
        for batch in staging.unknown_batches:
            mine = [e for e in batch.entries if e.order_id == self.order_id]
            for entry in mine:
                t.append(f"  ? {printable(entry.describe())}", style="bold yellow")
                t.append(f"  OUTCOME UNKNOWN (batch {batch.batch_id}, not re-sent)\n", style="yellow")
        return t

    def _history(self) -> Text:
        t = Text("\nhistory (journal)\n", style="bold")
        if self.history is None:
            t.append("  loading…\n", style="dim")
            return t
        if not self.history:
            t.append("  nothing sent for this order from this profile\n", style="dim")
        for item in self.history:
            t.append(f"  {journal_time(item.get('time'))} ", style="dim")
            if item.get("event") == "submit":
                actions = ", ".join(printable(_entry_text(row)) for row in item.get("entries", []))
                t.append(f"sent {actions} (batch {item.get('batch_id', '?')})\n")
                outcome = str(item.get("outcome", ""))
                style = "bold yellow" if outcome in (NO_OUTCOME, "unknown") else "red" if "refused" in outcome else "green"
                t.append(f"     → {printable(outcome)}", style=style)
                if item.get("message"):
                    t.append(f": {printable(item['message'])}")
                t.append("\n")
                for row in item.get("results", []):
                    t.append(f"     {row.get('action', '?')}: {row.get('outcome', row.get('verdict', '?'))}"
                             f" {printable(row.get('status', ''))} {printable(row.get('message', row.get('why', '')))}\n",
                             style="dim")
                for line in item.get("answer_lines", []):
                    t.append(f"     answer: {printable(line)}\n", style="dim")
            else:
                t.append(f"{printable(item.get('event', '?'))} {printable(item.get('outcome', ''))} "
                         f"{printable(item.get('message', ''))}\n")
        return t


def _entry_text(row: dict) -> str:
    parts = [str(row.get("action", "?"))]
    for key in ("amount", "trackname", "tracknumber"):
        if row.get(key):
            parts.append(str(row[key]))
    if row.get("notes"):
        parts.append(f"“{row['notes']}”")
    return " ".join(parts)
