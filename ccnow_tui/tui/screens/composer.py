"""The batch composer: entries numbered exactly as they will be sent, with the lint.

Batch.numbered() decides the numbers (adjust/track before ship/cancel per order) and
Batch.lint() the findings; this screen only shows them and edits the staging area.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from ...domain.staging import NOT_SENT, is_not_sent
from ...protocol.actions import ActionKind, StagedAction
from ...protocol.batch import Lint, Severity
from ...protocol.form import preview_fields
from ...protocol.orderid import OrderId
from ...protocol.redact import redact
from ...storage.store import BatchState, StoredEntry
from ..messages import Logged, OrderOpened, ReconcileRequested, SendRequested, UndoRequested
from ..model import LogKind, Topic, counted
from ..widgets.entry_table import EntryTable, Row, fields_text
from ..widgets.line_list import CursorList, printable
from ..widgets.styled import Palette, StyledText
from .base import BaseScreen
from .confirm import ConfirmScreen
from .forms import ActionForm
from .import_labels import start_import
from .preview import PreviewScreen

LINT_SHOWN = 30  # the panel shows a few lines; each entry's own findings show under the list

SEVERITY_MARK = {  # (label, palette role)
    Severity.ERROR: ("✖ error", "error"),
    Severity.WARNING: ("⚠ warning", "warning"),
    Severity.INFO: ("· info", "muted"),
}


class ComposerScreen(BaseScreen):
    TITLE = "Batch"
    _rebuild_scheduled = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit", priority=True, id="composer.edit", tooltip="Edit the highlighted entry"),
        Binding(
            "d",
            "remove",
            "Remove",
            priority=True,
            id="composer.remove",
            tooltip="Remove the highlighted entry (or forget an unknown batch)",
        ),
        Binding(
            "u",
            "undo",
            "Undo",
            priority=True,
            id="composer.undo",
            tooltip="Undo the last change to the staged entries",
        ),
        Binding(
            "i",
            "import_labels",
            "Import",
            show=False,
            priority=True,
            id="labels.import",
            tooltip="Import tracking numbers from a label file (preview first; stages track + ship)",
        ),
        Binding(
            "p",
            "preview",
            "Preview",
            priority=True,
            id="composer.preview",
            tooltip="Preview the exact form fields that will be POSTed (password masked)",
        ),
        Binding(
            "S",
            "submit",
            "Send",
            priority=True,
            id="batch.submit",
            tooltip="Send the staged batch (asks for confirmation)",
        ),
        Binding(
            "R",
            "reconcile",
            "Reconcile",
            priority=True,
            id="composer.reconcile",
            tooltip="Query the orders of unknown batches and re-stage only what did not happen",
        ),
        Binding(
            "r",
            "restage",
            "Re-stage",
            show=False,
            priority=True,
            id="composer.restage",
            tooltip="Stage an unverified entry again (asks: it may already have been applied)",
        ),
        Binding(
            "enter",
            "open",
            "Open order",
            show=False,
            priority=True,
            id="composer.open",
            tooltip="Open the highlighted entry's order",
        ),
    ]

    def compose_body(self) -> ComposeResult:
        yield StyledText(id="summary")
        yield StyledText(id="lint")
        yield Static(
            Text(f"{'N':>4}   {'order':<11} {'action':<7} fields, and the receiver's words", no_wrap=True), id="columns"
        )
        yield EntryTable(
            self.session.staging,
            id="entries",
            restage=self.key("composer.restage"),
            forget=self.key("composer.remove"),
            reconcile=self.key("composer.reconcile"),
        )
        yield StyledText(id="entry-detail")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(EntryTable).focus()

    def open_anew(self) -> None:
        """``b``: as a new composer would open: the first entry highlighted, the list
        focused. The session keeps one composer mounted (app: install_composer), so what the
        last visit left (a cursor far down, the log focused) is put back first."""
        self.log_search.display = False
        table = self.table
        table.cursor = 0
        table.scroll_home(animate=False, immediate=True)
        self._list = table
        self.set_focus(table)

    @property
    def table(self) -> EntryTable:
        return self.query_one(EntryTable)

    def known_status(self) -> dict[OrderId, str]:
        return self.session.book.status

    def refresh_body(self, what: Topic) -> None:
        if what not in (Topic.ALL, Topic.STAGING, Topic.STATUS, Topic.FLIGHT, Topic.ROWS):
            return
        if what in (Topic.STATUS, Topic.FLIGHT, Topic.ROWS) and self.session.in_flight is not None:
            return  # the entries do not change until the answer is in; rebuild then, once
        # One change often publishes several parts (staging, then rows): rebuild once,
        # after this round of messages, not once per part (~0.1 s at the stress size, see docs/scale.md).
        if not self._rebuild_scheduled:
            self._rebuild_scheduled = True
            self.call_after_refresh(self._rebuild)

    def _rebuild(self) -> None:
        self._rebuild_scheduled = False
        if not self.is_attached:
            return
        staging = self.session.staging
        book = self.session.book
        lints = staging.lint(book.status, book.status_version, book.learnt_words)
        self.table.rebuild(lints)
        self.query_one("#summary", StyledText).update(self._summary)
        self.query_one("#lint", StyledText).update(lambda p: self._lint_text(p, lints))
        self._show_current()

    def _summary(self, p: Palette) -> Text:
        staging = self.session.staging
        tally = staging.tally  # kept up to date change by change: this runs at every keystroke
        t = Text(no_wrap=True, overflow="ellipsis")
        if not len(staging):
            t.append("nothing staged", style=p.muted)
        else:
            counts = ", ".join(f"{k.value} {n}" for k, n in sorted(tally.counts().items()))
            entries = counted(len(staging), "entry", "entries")
            t.append(f"{entries} for {counted(len(tally.count), 'order', 'orders')}: {counts}", style=p.strong)
        unknown = sum(len(b.entries) for b in staging.unknown_batches)
        sending = sum(len(b.entries) for b in staging.held) - unknown
        if sending:
            t.append(f"   {counted(sending, 'entry', 'entries')} SENDING", style=p.alert)
        if unknown:
            t.append(f"   {counted(unknown, 'entry', 'entries')} of OUTCOME UNKNOWN (below)", style=p.alert)
        if staging.unverified:
            t.append(f"   {len(staging.unverified)} UNVERIFIED (below)", style=p.alert)
        if len(staging):  # the size of what S sends, on a line of its own
            totals = tally.totals
            t.append(f"\n{counted(totals.changed, 'order', 'orders')} changed, total discount ")
            t.append(totals.discount_text, style=p.strong)
            twice = totals.discounted_twice
            if twice:
                more = f" and {len(twice) - 3} more" if len(twice) > 3 else ""
                t.append(f"   more than one discount: {', '.join(str(o) for o in twice[:3])}{more}", style=p.warning)
        return t

    def _lint_text(self, p: Palette, lints: list[Lint]) -> Text:
        t = Text()
        if not lints:
            t.append("lint: no problems found" if len(self.session.staging) else "", style=p.muted)
            return t
        for i, lint in enumerate(lints[:LINT_SHOWN]):
            label, style = SEVERITY_MARK[lint.severity]
            if i:
                t.append("\n")
            t.append(f"{label}: ", style=p.role(style))
            t.append(printable(lint.message))
        if len(lints) > LINT_SHOWN:
            t.append(f"\n… and {len(lints) - LINT_SHOWN} more (each entry shows its own below)", style=p.muted)
        return t

    @on(CursorList.CursorMoved)
    def _cursor_moved(self, event: CursorList.CursorMoved) -> None:
        self._show_current()

    def _show_current(self) -> None:
        row = self.table.current
        index = row.staged_index if row is not None and row.staged_index is not None else -1
        lints = self.table.lints_by_index.get(index, [])
        remark = row.stored.remark if row is not None and row.stored is not None else ""
        self.query_one("#entry-detail", StyledText).update(lambda p: self._entry_detail(p, row, lints, remark))

    def _entry_detail(self, p: Palette, row: Row | None, lints: list[Lint], remark: str) -> Text:
        if row is None or row.entry is None:
            if row is not None and row.unknown is not None:
                b = row.unknown
                if b.state is BatchState.SENDING:
                    return Text(
                        f"batch {b.batch_id} is being sent; its entries cannot be changed until it is answered.",
                        style=p.warning,
                    )
                return Text(
                    f"batch {b.batch_id}: {printable(b.message)}\n{self.key('composer.reconcile')} queries "
                    "its orders and re-stages only what did not happen; "
                    f"{self.key('composer.remove')} forgets it.",
                    style=p.warning,
                )
            if row is not None and row.header:
                return Text(
                    "A status cannot show whether a discount or tracking took effect. Check (the backroom, "
                    f"the customer), then {self.key('composer.restage')} stages it again or "
                    f"{self.key('composer.remove')} forgets it.",
                    style=p.warning,
                )
            stage = "/".join(keys for keys, _ in self.stage_keys())
            return Text(
                f"{stage} on the queue stage entries; they appear here numbered as they will be sent.", style=p.muted
            )
        entry = row.entry
        t = Text()
        if row.unknown is not None:
            sending = row.unknown.state is BatchState.SENDING
            what = "SENDING" if sending else "OUTCOME UNKNOWN"
            t.append(f"{what} (batch {row.unknown.batch_id}): ", style=p.alert)
            t.append(f"{entry.kind.value} {entry.order_id} {printable(fields_text(entry))}\n")
            t.append(printable(row.unknown.message), style=p.warning)
        elif row.unverified is not None:
            t.append(f"UNVERIFIED (batch {row.unverified.batch_id}): ", style=p.alert)
            t.append(f"{entry.kind.value} {entry.order_id} {printable(fields_text(entry))}\n")
            t.append(printable(row.unverified.remark), style=p.warning)
        else:
            fields = "  ".join(f"{k}={v}" for k, v in entry.form_fields(row.n))
            t.append(f"#{row.n}  ", style=p.strong)
            t.append(printable(redact(fields)))  # a note holding the password: the lint below says so
            for lint in lints:
                label, style = SEVERITY_MARK[lint.severity]
                t.append(f"\n{label}: ", style=p.role(style))
                t.append(printable(lint.message))
            if remark and is_not_sent(remark):  # the receiver said nothing: it never got the request
                t.append("\nnot sent: ", style=p.warning)
                t.append(printable(remark.removeprefix(NOT_SENT)))
            elif remark:
                t.append("\nreceiver said: ", style=p.error)
                t.append(printable(remark))
        return t

    # -- keys ----------------------------------------------------------------------------

    def action_edit(self) -> None:
        row = self.table.current
        if row is None or row.entry is None:
            return
        if not row.is_staged:
            self.notify(self._why_not(row, "edited"), severity="warning")
            return
        entry, stored = row.entry, row.stored
        assert stored is not None  # a staged row
        if entry.kind in (ActionKind.SHIP, ActionKind.QUERY):
            self.notify(f"{entry.kind.value} has no fields to edit.")
            return

        entry_id = stored.id

        def done(entries: list[StagedAction] | None) -> None:
            staging = self.session.staging
            if not entries:
                return
            # Find the entry again: another window may have changed the list meanwhile.
            now = next((i for i, e in enumerate(staging.staged) if e.id == entry_id), None)
            if now is None or not staging.replace(now, entries[0]):
                self.notify("Not edited: the entry was sent or removed meanwhile.", severity="warning")
                return
            self.ask(Logged(LogKind.INFO, f"edited #{row.n}: {entries[0].describe()}"))

        self.app.push_screen(ActionForm(entry.kind, [entry.order_id], initial=entry), callback=done)

    def action_remove(self) -> None:
        row = self.table.current
        if row is None:
            return
        if row.unverified is not None:
            self._forget_unverified(row, row.unverified)
            return
        if row.unknown is not None and row.unknown.state is BatchState.SENDING:
            self.notify(self._why_not(row, "removed"), severity="warning")
            return
        if row.unknown is not None:
            batch_id = row.unknown.batch_id

            def done(yes: bool | None) -> None:
                if yes and self.session.staging.forget_unknown(batch_id) is not None:
                    said = f"forgot unknown batch {batch_id} (the journal keeps it; {self.undoes})"
                    self.ask(Logged(LogKind.INFO, said))

            self.app.push_screen(
                ConfirmScreen(
                    "Forget an unknown batch",
                    f"Batch {batch_id} was sent but its answer was lost. Forget it only if you have "
                    "checked these orders another way (the backroom). Nothing is sent.",
                    yes="forget",
                ),
                callback=done,
            )
            return
        if row.stored is not None:
            # The entry shown, found again (the list may have changed since it was drawn).
            index = self.session.staging.index_of(row.stored)
            if index is None:
                self.notify("Not removed: the entry was sent, removed or changed meanwhile.", severity="warning")
                return
            removed = self.session.staging.remove([index])
            if removed:
                self.ask(Logged(LogKind.INFO, f"removed #{row.n}: {removed[0].describe()} ({self.undoes})"))

    @property
    def undoes(self) -> str:
        """The log's ``u undoes``, with the key in effect."""
        return f"{self.key('composer.undo')} undoes"

    def action_undo(self) -> None:
        self.ask(UndoRequested())

    def action_import_labels(self) -> None:
        start_import(self, self.ask)

    def action_preview(self) -> None:
        staging = self.session.staging
        if not len(staging):
            self.notify("Nothing is staged.", severity="warning")
            return
        fields = preview_fields(self.session.client.credentials, staging.batch())
        self.app.push_screen(PreviewScreen(fields, self.session.client.url))

    def action_submit(self) -> None:
        self.ask(SendRequested())

    def action_reconcile(self) -> None:
        staging = self.session.staging
        row = self.table.current
        if row is not None and row.unknown is not None and row.unknown.state is BatchState.UNKNOWN:
            batches = [row.unknown]
        else:
            batches = list(staging.unknown_batches)
        if not batches:
            self.notify("No batch with an unknown outcome.")
            return
        self.ask(ReconcileRequested([b.batch_id for b in batches]))

    def _forget_unverified(self, row: Row, unverified: StoredEntry) -> None:
        """``row``: the unverified section's header (all of them) or one entry's row
        (``unverified``, the row's entry)."""
        staging = self.session.staging
        ids = [e.id for e in staging.unverified] if row.header else [unverified.id]
        what = (
            counted(len(ids), "unverified entry", "unverified entries")
            if row.header
            else printable(unverified.action.describe())
        )

        def done(yes: bool | None) -> None:
            if yes and staging.forget_unverified(ids):
                self.ask(Logged(LogKind.INFO, f"forgot {what} (the journal keeps it; {self.undoes})"))

        self.app.push_screen(
            ConfirmScreen(
                "Forget an unverified entry",
                f"{what}: a status could not show whether it took effect. Forget it only if you have "
                "checked another way that nothing more is needed. Nothing is sent.",
                yes="forget",
            ),
            callback=done,
        )

    def action_restage(self) -> None:
        row = self.table.current
        staging = self.session.staging
        if row is None or row.unverified is None:
            self.notify(
                f"{self.key('composer.restage')} stages an UNVERIFIED entry again; move to one first.",
                severity="warning",
            )
            return
        ids = [e.id for e in staging.unverified] if row.header else [row.unverified.id]
        entries = [e for e in staging.unverified if e.id in ids]
        discount = any(e.action.kind is ActionKind.ADJUST for e in entries)
        listing = "\n".join(f"  {printable(e.action.describe())} (batch {e.batch_id})" for e in entries[:5])
        more = f"\n  … and {len(entries) - 5} more" if len(entries) > 5 else ""
        warning = (
            "This discount may already have been given" if discount else "This tracking may already have been added"
        )

        def done(yes: bool | None) -> None:
            if yes:
                restaged = staging.restage(ids)
                if restaged:
                    what = counted(len(restaged), "unverified entry", "unverified entries")
                    self.ask(
                        Logged(LogKind.INFO, f"re-staged {what} (it may already have been applied once; {self.undoes})")
                    )

        self.app.push_screen(
            ConfirmScreen(
                "Stage it again?",
                f"{warning}: stage it again?\n\n{listing}{more}\n\nNothing is sent now; it joins the staged entries.",
                yes="stage again",
            ),
            callback=done,
        )

    def action_open(self) -> None:
        row = self.table.current
        if row is not None and row.entry is not None:
            self.ask(OrderOpened(row.entry.order_id))

    def _why_not(self, row: Row, done: str) -> str:
        """Why a held or unverified entry cannot be edited or removed."""
        if row.unverified is not None:
            return (
                f"An unverified entry cannot be {done}: {self.key('composer.restage')} stages it again, "
                f"{self.key('composer.remove')} forgets it."
            )
        if row.unknown is not None and row.unknown.state is BatchState.SENDING:
            return f"This entry is being sent (batch {row.unknown.batch_id}): it cannot be {done} until it is answered."
        reconcile, forget = self.key("composer.reconcile"), self.key("composer.remove")
        return (
            f"Entries of an unknown batch cannot be {done}: reconcile them first ({reconcile}), "
            f"or {forget} forgets the batch."
        )
