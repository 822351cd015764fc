"""One order: its status and what it means, what is staged for it, and its journal history."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ...domain.staging import is_not_sent
from ...protocol.actions import describe_fields
from ...protocol.orderid import OrderId
from ...protocol.status import status_info
from ...storage.store import BatchState, HistoryItem
from ..messages import Logged, QueryRequested
from ..model import LogKind, Topic, clock, journal_time
from ..widgets.line_list import printable
from ..widgets.scroll_body import ScrollBody
from ..widgets.styled import Palette, StyledText
from .base import MainScreen


class DetailScreen(MainScreen):
    TITLE = "Order"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "query",
            "Query",
            priority=True,
            id="detail.query",
            tooltip="Ask the receiver for this order's status now",
        ),
    ]

    def __init__(self, order_id: OrderId) -> None:
        super().__init__()
        self.order_id = order_id
        self.history: list[HistoryItem] | None = None

    def compose_body(self) -> ComposeResult:
        with ScrollBody(id="detail-body"):
            yield StyledText(id="info")
            yield StyledText(id="staged")
            yield StyledText(id="history")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail-body").focus()
        self.load_history()
        if self.order_id not in self.session.book.status:
            self.action_query()

    def targets(self) -> list[OrderId]:
        return [self.order_id]

    def action_query(self) -> None:
        self.ask(QueryRequested([self.order_id]))

    def load_history(self) -> None:
        """This order's batches: an indexed query (milliseconds, whatever the journal's size)."""
        try:
            self.history = self.session.store.history(self.order_id)
        except Exception as exc:  # sqlite3.Error: say so in place of the history
            self.history = []
            self.ask(Logged(LogKind.ERROR, f"history of {self.order_id} not read: {exc}"))

    def refresh_body(self, what: Topic) -> None:
        if what in (Topic.LOG, Topic.FLIGHT, Topic.ROWS):
            return
        if what in (Topic.EVENTS, Topic.STAGING):
            self.load_history()
        self.query_one("#info", StyledText).update(self._info)
        self.query_one("#staged", StyledText).update(self._staged)
        self.query_one("#history", StyledText).update(self._history)

    # -- content -------------------------------------------------------------------------

    def _info(self, p: Palette) -> Text:
        book = self.session.book
        code = book.status.get(self.order_id)
        t = Text()
        t.append(f"{self.order_id}\n", style=p.strong)
        if code is None:
            t.append("status   ", style=p.muted)
            t.append("not known yet (r asks the receiver)\n")
        else:
            info = status_info(code)
            t.append("status   ", style=p.muted)
            t.append(printable(code), style=p.group(info.group))
            t.append(f"  ({info.group.value})\n")
            t.append("meaning  ", style=p.muted)
            t.append(info.meaning + "\n")
        t.append("checked  ", style=p.muted)
        t.append(clock(book.checked.get(self.order_id)))
        if self.order_id in book.rows:
            t.append("  (on the pending list)", style=p.muted)
        refusal = book.refusals.get(self.order_id)
        if refusal is not None:
            t.append("\nreceiver ", style=p.muted)
            t.append(f"refused at {clock(refusal[1])}: ")
            t.append(printable(refusal[0]), style=p.refused)
        return t

    def _staged(self, p: Palette) -> Text:
        staging = self.session.staging
        t = Text("\n")
        t.append("staged for this order\n", style=p.strong)
        idxs = staging.indexes_for(self.order_id)
        if not idxs:
            keys = ", ".join(f"{keys} {action}" for keys, action in self.stage_keys())
            t.append(f"  nothing ({keys})\n", style=p.muted)
        # Numbered and listed as they will be sent, as the composer shows them (x_*_N).
        numbers = {i: staging.tally.number(i) for i in idxs}
        for i in sorted(idxs, key=numbers.__getitem__):
            entry = staging.actions[i]
            t.append(f"  #{numbers[i]} {printable(entry.describe())}\n")
            remark = staging.remark_at(i)
            if remark:
                label = "" if is_not_sent(remark) else "receiver/remark: "
                t.append(f"     {label}{printable(remark)}\n", style=p.warning if not label else p.refused)
        for batch in staging.held:
            what = "SENDING" if batch.state is BatchState.SENDING else "OUTCOME UNKNOWN"
            for e in batch.entries:
                if e.order_id == self.order_id:
                    t.append(f"  ? {printable(e.action.describe())}", style=p.alert)
                    t.append(f"  {what} (batch {batch.batch_id}, not re-sent)\n", style=p.warning)
        for e in staging.unverified:
            if e.order_id == self.order_id:
                t.append(f"  ? {printable(e.action.describe())}", style=p.alert)
                t.append(
                    f"  UNVERIFIED (batch {e.batch_id}): may already have been applied; r/d in the composer\n",
                    style=p.warning,
                )
        return t

    def _history(self, p: Palette) -> Text:
        t = Text("\n")
        t.append("history (journal)\n", style=p.strong)
        if self.history is None:
            t.append("  loading…\n", style=p.muted)
            return t
        if not self.history:
            t.append("  nothing sent for this order from this profile\n", style=p.muted)
        for item in self.history:
            t.append(f"  {journal_time(item.time)} ", style=p.muted)
            if item.entries:
                actions = ", ".join(printable(_entry_text(row)) for row in item.entries)
                t.append(f"sent {actions} (batch {item.batch_id} to {printable(item.host)})\n")
            else:
                t.append(f"batch {item.batch_id}\n")
            outcome = item.outcome or ("sending" if item.state == "sending" else "no outcome recorded yet")
            outcome = "not sent" if outcome == "unreachable" else outcome  # it never reached the receiver
            style = (
                p.alert
                if outcome in ("unknown", "sending", "no outcome recorded yet")
                else p.warning
                if outcome == "not sent"
                else p.refused
                if "refused" in outcome
                else p.success
            )
            t.append(f"     → {printable(outcome)}", style=style)
            if item.message:
                t.append(f": {printable(item.message)}")
            t.append("\n")
            for row in item.results:
                t.append(
                    f"     {row.get('action') or '?'}: {printable(row.get('outcome', '?'))}"
                    f" {printable(row.get('status', ''))} {printable(row.get('message', ''))}\n",
                    style=p.muted,
                )
            for line in item.answer_lines:
                t.append(f"     answer: {printable(line)}\n", style=p.muted)
        return t


def _entry_text(row: dict[str, Any]) -> str:
    """A journal row's entry, worded as the composer and the CLI word a staged one."""
    fields = describe_fields(
        str(row.get("amount") or ""),
        str(row.get("trackname") or ""),
        str(row.get("tracknumber") or ""),
        str(row.get("notes") or ""),
    )
    action = str(row.get("action") or "?")
    return f"{action} {fields}" if fields else action
