"""History (``h``): every batch sent from this profile, newest first, read from the store.

A row per batch: when, the receiver, the account, its entries per action and what became
of it (applied, some refused, refused, unknown, reconciled, forgotten, sending). ``/``
filters, ``enter`` opens a batch (its entries, their results, the receiver's raw lines),
``R`` reconciles an unknown batch, ``x`` writes the shown batches to a CSV file.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import ClassVar, Unpack

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.strip import Strip
from textual.widgets import Input, Static

from ...protocol.actions import describe_fields
from ...protocol.redact import safe_text
from ...storage.store import BatchDetail, BatchResult, BatchSummary, Store
from ..messages import Logged, ReconcileRequested
from ..model import LogKind, Topic, counted, journal_time
from ..widgets.field_input import FieldInput
from ..widgets.line_list import CursorList, WidgetOptions, fit, printable, strip_of
from ..widgets.scroll_body import ScrollBody
from ..widgets.styled import Palette, StyledText, role_css
from .base import BaseScreen

HISTORY_LIMIT = 1000  # batches listed (the newest); ~70 ms at 1,000,000 journal lines
DETAIL_SHOWN = 500  # entries and results drawn on a batch's screen (x exports them all)
FILE_MODE = 0o600

# The outcome word's palette role: the same word is always shown the same way.
OUTCOME_ROLE = {
    "applied": "success",
    "some refused": "refused",
    "refused": "refused",
    "not sent": "warning",
    "unknown": "alert",
    "sending": "alert",
    "reconciled": "muted",
    "forgotten": "muted",
}
ROLES = ("muted", "alert", "refused", "warning", "success", "strong")
CSV_HEADER = [
    "batch",
    "sent_at",
    "receiver",
    "account",
    "batch_outcome",
    "n",
    "order",
    "action",
    "amount",
    "trackname",
    "tracknumber",
    "notes",
    "result",
    "outcome",
    "status",
    "receiver_words",
]


def widths(width: int) -> tuple[int, int, int, int, int]:
    """time, receiver, account, entries, outcome: the columns at ``width`` cells."""
    when, outcome = 17, 13
    rest = max(0, width - when - outcome)
    receiver = min(22, rest // 3)
    account = min(12, rest // 5)
    return when, receiver, account, max(0, rest - receiver - account), outcome


def column_header(width: int) -> Text:
    w, r, a, e, o = widths(width)
    return Text(
        fit("time", w) + fit("receiver", r) + fit("account", a) + fit("entries", e) + fit("outcome", o), no_wrap=True
    )


class BatchList(CursorList):
    """The batches, one row each (only the visible rows are drawn)."""

    DEFAULT_CSS = "BatchList { height: 1fr; }\n" + role_css("BatchList", "batch-list", ROLES)
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"batch-list--{role}" for role in ROLES}

    def __init__(self, **kwargs: Unpack[WidgetOptions]) -> None:
        super().__init__(**kwargs)
        self.batches: list[BatchSummary] = []

    def show(self, batches: list[BatchSummary]) -> None:
        self.batches = batches
        self.rows_changed()

    def row_count(self) -> int:
        return len(self.batches)

    @property
    def current(self) -> BatchSummary | None:
        return self.batches[self.cursor] if 0 <= self.cursor < len(self.batches) else None

    def render_row(self, index: int, width: int, base: Style, cursor: Style | None) -> Strip:
        b = self.batches[index]
        w, r, a, e, o = widths(width)
        word = b.outcome.upper() if b.outcome in ("unknown", "sending") else b.outcome
        cells = [
            (fit(journal_time(b.time), w - 1) + " ", "muted"),
            (fit(printable(b.host), r - 1) + " " if r else "", ""),
            (fit(printable(b.client_id), a - 1) + " " if a else "", ""),
            (fit(printable(b.counts_text or f"{b.entry_count} entries"), e - 1) + " " if e else "", ""),
            (fit(word, o), OUTCOME_ROLE.get(b.outcome, "")),
        ]
        if cursor is not None:
            return strip_of([(t, cursor) for t, _ in cells], width, base)
        style = self.get_component_rich_style
        return strip_of([(t, style(f"batch-list--{role}") if role else Style()) for t, role in cells], width, base)


def matches(batch: BatchSummary, text: str, with_order: set[str]) -> bool:
    """``/``: an order number in the batch, its outcome word, an action in it (or its id)."""
    return (
        batch.batch_id in with_order
        or text in batch.outcome
        or batch.batch_id.startswith(text)
        or any(text in action for action, _ in batch.counts)
    )


class HistoryScreen(BaseScreen):
    TITLE = "History"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            priority=True,
            id="history.filter",
            tooltip="Filter the batches (order number, outcome or action)",
        ),
        Binding(
            "enter",
            "open",
            "Open",
            priority=True,
            id="history.open",
            tooltip="Open the highlighted batch: entries, results, the receiver's lines",
        ),
        Binding(
            "R",
            "reconcile",
            "Reconcile",
            priority=True,
            id="history.reconcile",
            tooltip="Reconcile the highlighted batch if its outcome is unknown (queries its orders)",
        ),
        Binding(
            "x",
            "export",
            "Export",
            priority=True,
            id="history.export",
            tooltip="Write the shown batches' entries and results to a CSV file (in the start directory)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all: list[BatchSummary] = []
        self.shown: list[BatchSummary] = []
        self.filter_text = ""

    def compose_body(self) -> ComposeResult:
        yield Static(id="columns")
        yield BatchList(id="batches")
        yield FieldInput(
            placeholder="filter: order number, outcome or action (enter: keep, esc: clear)", id="filter", compact=True
        )

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        super().on_mount()
        self.table.focus()

    @property
    def table(self) -> BatchList:
        return self.query_one(BatchList)

    @property
    def store(self) -> Store:
        return self.session.store

    def on_resize(self) -> None:
        super().on_resize()
        self.query_one("#columns", Static).update(column_header(self.table.size.width or self.size.width))

    def load(self) -> None:
        try:
            self.all = self.store.batches(limit=HISTORY_LIMIT)
        except Exception as exc:  # sqlite3.Error: say so, show what we had
            self.ask(Logged(LogKind.ERROR, f"history not read: {exc}"))
        self._apply()

    def _apply(self) -> None:
        text = self.filter_text
        if not text:
            self.shown = self.all
        else:
            with_order = self.store.batch_ids_with_order(text) if any(c.isdigit() for c in text) else set()
            self.shown = [b for b in self.all if matches(b, text, with_order)]
        self.table.show(self.shown)

    def refresh_body(self, what: Topic) -> None:
        if what in (Topic.ALL, Topic.EVENTS, Topic.STAGING, Topic.FLIGHT):
            current = self.table.current
            self.load()
            if current is not None:  # keep the cursor on the batch it was on
                at = next((i for i, b in enumerate(self.shown) if b.batch_id == current.batch_id), None)
                if at is not None:
                    self.table.move_to(at)
        self.query_one("#columns", Static).update(column_header(self.table.size.width or self.size.width))

    # -- keys ----------------------------------------------------------------------------

    def action_history(self) -> None:
        pass  # here already

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        self.set_focus(box)  # at once: keys typed ahead go into it

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._set_filter()

    def _set_filter(self) -> None:
        value = self.query_one("#filter", Input).value.strip().lower()
        if value != self.filter_text:
            self.filter_text = value
            self._apply()

    def back(self) -> None:
        box = self.query_one("#filter", Input)
        if self.focused is box or box.value:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self._apply()
            self.set_focus(self.table)
        else:
            self.dismiss()

    def action_open(self) -> None:
        box = self.query_one("#filter", Input)
        if self.focused is box:
            self._set_filter()
            box.display = bool(box.value)
            self.set_focus(self.table)
            return
        batch = self.table.current
        if batch is not None:
            self.app.push_screen(BatchScreen(batch.batch_id))

    def action_reconcile(self) -> None:
        reconcile(self, self.table.current)

    def action_export(self) -> None:
        if not self.shown:
            self.notify("No batch is shown.", severity="warning")
            return
        try:
            path, rows = export_csv(self.store, self.shown, self.ccnow.start_dir)
        except OSError as exc:
            self.tell(LogKind.ERROR, f"history not exported: {exc.strerror or exc}")
            return
        self.tell(
            LogKind.INFO,
            f"history: {counted(len(self.shown), 'batch', 'batches')}, "
            f"{counted(rows, 'row', 'rows')} written to {path}",
        )


def reconcile(screen: BaseScreen, batch: BatchSummary | None) -> None:
    """``R``: an unknown batch's orders queried (the composer's R, for one batch)."""
    if batch is None:
        return
    if batch.outcome != "unknown":
        screen.notify(
            f"Only a batch whose outcome is unknown is reconciled; this one: {batch.outcome}.", severity="warning"
        )
        return
    screen.ask(ReconcileRequested([batch.batch_id]))


class BatchScreen(BaseScreen):
    """One batch: its entries as sent, their results, the receiver's raw lines."""

    TITLE = "Batch"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "R",
            "reconcile",
            "Reconcile",
            priority=True,
            id="history.reconcile",
            tooltip="Reconcile the highlighted batch if its outcome is unknown (queries its orders)",
        ),
    ]

    def __init__(self, batch_id: str) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.detail: BatchDetail | None = None

    def compose_body(self) -> ComposeResult:
        with ScrollBody(id="detail-body"):
            yield StyledText(id="batch")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail-body").focus()

    def action_history(self) -> None:
        self.dismiss()  # h: back to the list

    def refresh_body(self, what: Topic) -> None:
        if what in (Topic.LOG, Topic.ROWS, Topic.STATUS):
            return
        try:
            self.detail = self.session.store.batch_detail(self.batch_id)
        except Exception as exc:  # sqlite3.Error
            self.ask(Logged(LogKind.ERROR, f"batch {self.batch_id} not read: {exc}"))
        self.query_one("#batch", StyledText).update(self._text)

    def action_reconcile(self) -> None:
        reconcile(self, self.detail.summary if self.detail is not None else None)

    def _text(self, p: Palette) -> Text:
        d = self.detail
        t = Text()
        if d is None:
            t.append(f"batch {self.batch_id}: not in the store\n", style=p.muted)
            return t
        s = d.summary
        t.append(f"batch {s.batch_id}  ", style=p.strong)
        t.append(
            s.outcome.upper() if s.outcome in ("unknown", "sending") else s.outcome,
            style=p.role(OUTCOME_ROLE.get(s.outcome, "")),
        )
        if s.message:
            t.append(f": {printable(s.message)}")
        t.append("\nsent     ", style=p.muted)
        t.append(
            f"{journal_time(s.time)} to {printable(s.host)}, account {printable(s.client_id)}: "
            f"{printable(s.counts_text or 'no entries')}\n"
        )
        if s.outcome == "unknown":
            t.append(
                f"{self.key('history.reconcile')} reconciles it: queries its orders, re-stages only what did "
                "not happen\n",
                style=p.alert,
            )
        t.append("\nentries (as sent)\n", style=p.strong)
        for e in d.entries[:DETAIL_SHOWN]:
            fields = describe_fields(
                e.fields.get("amount", ""),
                e.fields.get("trackname", ""),
                e.fields.get("tracknumber", ""),
                e.fields.get("notes", ""),
            )
            t.append(
                f"  #{e.n if e.n is not None else '?'} {e.order_id} {e.action} {printable(fields)}".rstrip() + "\n"
            )
        _more(t, p, len(d.entries))
        t.append("\nresults\n", style=p.strong)
        shown = [r for r in d.results if r.order_id][:DETAIL_SHOWN]
        if not shown:
            t.append("  none recorded yet\n", style=p.muted)
        for r in shown:
            word = printable(r.outcome)
            role = (
                "success"
                if word in ("applied", "took effect")
                else "refused"
                if word == "refused"
                else "warning"
                if word == "not sent"
                else "alert"
                if word in ("unknown", "unverified")
                else "muted"
            )
            t.append(f"  {r.order_id} {r.action or '?'}: ")
            t.append(word, style=p.role(role))
            if r.status:
                t.append(f"  status {printable(r.status)}", style=p.muted)
            if r.message:
                t.append(f"  “{printable(r.message)}”")
            t.append(f"  ({r.kind}, {journal_time(r.time)})\n", style=p.muted)
        _more(t, p, len([r for r in d.results if r.order_id]))
        t.append("\nthe receiver's lines\n", style=p.strong)
        if not d.raw_lines:
            t.append("  none recorded\n", style=p.muted)
        for line in d.raw_lines[:DETAIL_SHOWN]:
            t.append(f"  {printable(line)}\n", style=p.muted)
        _more(t, p, len(d.raw_lines))
        return t


def _more(t: Text, p: Palette, total: int) -> None:
    if total > DETAIL_SHOWN:
        t.append(f"  … and {total - DETAIL_SHOWN} more (x on the history writes them all)\n", style=p.muted)


# -- export -----------------------------------------------------------------------------------


def _cell(text: object) -> str:
    """Free text for a spreadsheet: password masked, controls escaped, never read as a formula."""
    out = safe_text(text)
    return "'" + out if out[:1] in ("=", "+", "-", "@") else out


def export_csv(store: Store, batches: list[BatchSummary], folder: Path) -> tuple[Path, int]:
    """``batches``' entries and results to ``ccnow-history-YYYYmmdd-HHMMSS.csv`` in ``folder``
    (created 0600, never over another file): the path and the number of rows."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for i in range(1, 100):
        path = folder / (f"ccnow-history-{stamp}.csv" if i == 1 else f"ccnow-history-{stamp}-{i}.csv")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"{folder}: too many exports this second")
    count = 0
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        for b in batches:
            detail = store.batch_detail(b.batch_id)
            if detail is None:
                continue
            head = [b.batch_id, b.time, _cell(b.host), _cell(b.client_id), b.outcome]
            results: dict[int | None, list[BatchResult]] = {}
            for r in detail.results:
                if r.order_id:
                    results.setdefault(r.entry_id, []).append(r)
            for e in detail.entries:
                fields = [
                    e.fields.get("amount", ""),
                    _cell(e.fields.get("trackname", "")),
                    _cell(e.fields.get("tracknumber", "")),
                    _cell(e.fields.get("notes", "")),
                ]
                entry = [*head, e.n if e.n is not None else "", e.order_id, e.action, *fields]
                done: list[BatchResult | None] = [*results.get(e.entry_id, [])]
                for res in done or [None]:
                    if res is None:
                        writer.writerow([*entry, "", "", "", ""])
                    else:
                        writer.writerow([*entry, res.kind, _cell(res.outcome), _cell(res.status), _cell(res.message)])
                    count += 1
    return path, count
