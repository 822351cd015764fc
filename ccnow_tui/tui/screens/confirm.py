"""The one gate before a batch is sent, and other yes/no questions: only ``y`` says yes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from ...protocol.batch import Batch, Severity
from ..widgets.styled import Builder, Content, Palette, StyledText

if TYPE_CHECKING:
    from ..session import Session


def describe_send(batch: Batch, session: Session) -> tuple[str, Builder]:
    """What ``y`` will do, in full: counts per action, orders, receiver, account."""
    counts = batch.counts()
    n, orders = len(batch), len(batch.order_ids)
    host, account = session.host, session.account
    lints = session.staging.lint(session.book.status)
    unverified = list(session.staging.unverified)
    warnings = [lint for lint in lints
                if lint.severity is Severity.WARNING and not lint.message.startswith("unverified:")]

    def body(p: Palette) -> Text:
        t = Text()
        t.append(f"{n} entr{'y' if n == 1 else 'ies'} for {orders} order{'s' if orders != 1 else ''}\n", style=p.strong)
        for kind, count in sorted(counts.items()):
            t.append(f"  {kind.value:<7} {count}\n")
        t.append("to receiver ")
        t.append(host, style=p.strong)
        t.append("\nas account ")
        t.append(account, style=p.strong)
        if unverified:
            # Named one by one: each may already have been applied, and none of them is sent.
            t.append(f"\n\n? {len(unverified)} UNVERIFIED (not in this batch; may already have been applied):\n",
                     style=p.alert)
            for e in unverified[:5]:
                t.append(f"  {e.action.describe()} (batch {e.batch_id})\n", style=p.warning)
            if len(unverified) > 5:
                t.append(f"  … and {len(unverified) - 5} more (b shows them)\n", style=p.warning)
        if warnings:
            t.append(f"\n\n⚠ {len(warnings)} warning{'s' if len(warnings) != 1 else ''} (b shows them):\n",
                     style=p.warning)
            for lint in warnings[:3]:
                t.append(f"  {lint.message}\n", style=p.warning)
            if len(warnings) > 3:
                t.append(f"  … and {len(warnings) - 3} more\n", style=p.warning)
        if batch.changes_orders:
            t.append("\nShip, cancel and adjust change money and goods; they cannot be taken back.", style=p.muted)
        return t

    return "Send this batch?", body


class ConfirmScreen(ModalScreen[bool]):
    """A question that covers the screen; nothing covers it (toasts are hidden while it
    is up, app.tcss) and its own notices show inside it.

    The answers are priority bindings: the question is closed before the next key is
    looked at, so keys typed after ``n`` or ``esc`` act on the screen underneath.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", priority=True, id="confirm.yes", tooltip="Yes: go ahead"),
        Binding(
            "n,escape", "answer(False)", "No", key_display="n/esc", priority=True, id="confirm.no",
            tooltip="No: go back, nothing happens",
        ),
    ]

    def __init__(self, title: str, body: Content, *, yes: str = "yes") -> None:
        super().__init__()
        self.shown_at = float("inf")  # until mounted, nothing answers
        self.title_text = title
        self.body = body
        self.yes = yes
        self.early_yes = False  # a y read before the question showed (it does not count)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="title")
            yield StyledText(self.body, id="confirm-body")
            yield StyledText(lambda p: Text.assemble(("y", p.key), f" {self.yes}    ", ("n", p.key), " / ",
                                                     ("esc", p.key), " go back (nothing happens)"), id="confirm-keys")
            yield StyledText("", id="confirm-note")

    def on_mount(self, event: events.Mount) -> None:
        self.shown_at = event.time
        self._show_note()

    def _show_note(self) -> None:
        if self.early_yes and self.is_mounted:
            self.query_one("#confirm-note", StyledText).update(lambda p: Text(
                f"The y typed before this question showed was not taken: press y again to {self.yes}.", style=p.strong))

    def action_answer(self, yes: bool) -> None:
        # A "y" typed before this question was up (keys typed ahead arrive in one burst
        # over SSH, and "Sy" would otherwise send unseen) does not answer it.
        if yes and getattr(self.app, "key_time", self.shown_at) < self.shown_at:
            self.early_yes = True
            self._show_note()
            return
        self.dismiss(yes)
